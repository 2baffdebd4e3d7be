"""The network: exact backpropagation, and the symmetry claims of zero/constant initialization."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties import strategies as cs

OPTIMIZERS = {
    "sgd": lambda impl: impl.sgd(0.3),
    "momentum": lambda impl: impl.sgd(0.1, momentum=0.9, nesterov=True),
    "adagrad": lambda impl: impl.adagrad(0.1),
    "rmsprop": lambda impl: impl.rmsprop(0.01, centered=True, momentum=0.5),
    "adam": lambda impl: impl.adam(0.01),
    "adamw": lambda impl: impl.adamw(0.01),
}
HIDDEN = ["tanh", "sigmoid", "relu", "gelu", "selu"]


def loss_and_grads(impl, params, x, labels, activation):
    """Softmax cross-entropy of the network's output logits, and its parameter gradients."""
    cache = impl.forward(params, x, activation, output_activation="linear")
    loss = float(impl.cross_entropy(cache.post[-1], labels))
    grad_out = impl.cross_entropy_grad(cache.post[-1], labels)
    return loss, impl.backward(params, cache, grad_out, activation, "linear").params


def data(seed: int, batch: int = 16, width: int = 4, classes: int = 3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(batch, width)), rng.integers(0, classes, batch)


@given(
    widths=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    activation=st.sampled_from(HIDDEN),
    seed=cs.seeds(),
)
def test_backward_matches_finite_differences(impl, widths: list[int], activation: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    params = impl.init_mlp(widths, impl.xavier_normal, rng=rng)
    params = {k: v + 0.1 * rng.normal(size=v.shape) for k, v in params.items()}
    x = rng.normal(size=(3, widths[0]))
    top = rng.normal(size=(3, widths[-1]))

    def objective(p):
        return float(np.sum(top * impl.forward(p, x, activation).post[-1]))

    cache = impl.forward(params, x, activation)
    grads = impl.backward(params, cache, top, activation).params
    h = 1e-6
    for key, value in params.items():
        for index in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in params.items()}
            minus = {k: v.copy() for k, v in params.items()}
            plus[key][index] += h
            minus[key][index] -= h
            numeric = (objective(plus) - objective(minus)) / (2 * h)
            # central difference: O(h^2) truncation + O(eps/h) rounding, both < 1e-7 here
            assert grads[key][index] == pytest.approx(numeric, abs=1e-6, rel=1e-5)


def test_jacobian_matches_finite_differences(impl) -> None:
    rng = np.random.default_rng(3)
    params = impl.init_mlp([4, 5, 3], impl.orthogonal, rng=rng)
    x = rng.normal(size=4)
    jac = impl.jacobian(params, x, "tanh")
    for j in range(4):
        e = np.zeros(4)
        e[j] = 1e-6
        up = impl.forward(params, (x + e)[None], "tanh").post[-1][0]
        down = impl.forward(params, (x - e)[None], "tanh").post[-1][0]
        assert np.allclose(jac[:, j], (up - down) / 2e-6, atol=1e-8)


def test_network_errors(impl) -> None:
    impl.require_reference_api("argument errors")
    with pytest.raises(ValueError, match="widths must hold at least two positive ints"):
        impl.init_mlp([3], impl.zeros)
    with pytest.raises(TypeError, match="widths must be a sequence of ints"):
        impl.init_mlp(np.array(3.0), impl.zeros)  # 0-d: a named error, not numpy's iteration error
    params = impl.init_mlp([3, 2], impl.zeros)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 3\)"):
        impl.forward(params, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="activation must be one of"):
        impl.forward(params, np.zeros((2, 3)), "swish")


def tied_network(seed: int, hidden: int = 6) -> dict[str, np.ndarray]:
    """Hidden units with identical incoming and outgoing weights (a 'constant' init)."""
    rng = np.random.default_rng(seed)
    row, column = rng.normal(size=4), rng.normal(size=3)
    return {
        "W1": np.tile(row, (hidden, 1)),
        "b1": np.full(hidden, 0.1),
        "W2": np.tile(column[:, None], (1, hidden)),
        "b2": np.zeros(3),
    }


@pytest.mark.claim("zero-init-symmetry")
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("activation", HIDDEN)
@given(seed=cs.seeds())
@cs.scaled(3)
def test_identical_units_stay_identical(impl, optimizer: str, activation: str, seed: int) -> None:
    params, (x, labels) = tied_network(seed), data(seed)
    opt = OPTIMIZERS[optimizer](impl)
    state = opt.init(params)
    for _ in range(30):
        _, grads = loss_and_grads(impl, params, x, labels, activation)
        assert np.all(grads["W1"] == grads["W1"][:1]) and np.all(grads["W2"] == grads["W2"][:, :1])
        params, state = opt.step(params, grads, state)
    assert np.all(params["W1"] == params["W1"][:1])  # bitwise
    assert np.all(params["W2"] == params["W2"][:, :1])
    assert np.linalg.matrix_rank(params["W1"]) <= 1


@pytest.mark.claim("zero-init-stays-zero")
@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_all_zero_weights_never_move(impl, activation: str, optimizer: str) -> None:
    params = impl.init_mlp([4, 6, 3], impl.zeros)
    x, labels = data(1)
    opt = OPTIMIZERS[optimizer](impl)
    state = opt.init(params)
    for _ in range(20):
        _, grads = loss_and_grads(impl, params, x, labels, activation)
        params, state = opt.step(params, grads, state)
    for key in ("W1", "b1", "W2"):
        assert not np.any(params[key]), key  # (AdamW's decoupled decay of zeros is still zero)
    assert np.any(params["b2"])  # only the output bias learns: the net stays constant


@pytest.mark.claim("symmetric-net-is-one-neuron")
@given(seed=cs.seeds(), hidden=st.integers(2, 16), activation=st.sampled_from(HIDDEN))
def test_tied_layer_computes_one_neurons_function(impl, seed: int, hidden: int, activation: str) -> None:
    wide = tied_network(seed, hidden)
    narrow = {"W1": wide["W1"][:1], "b1": wide["b1"][:1], "W2": hidden * wide["W2"][:, :1], "b2": wide["b2"]}
    x, _ = data(seed)
    out_wide = impl.forward(wide, x, activation, "linear").post[-1]
    out_narrow = impl.forward(narrow, x, activation, "linear").post[-1]
    assert np.allclose(out_wide, out_narrow, rtol=1e-12, atol=1e-12)


@pytest.mark.claim("random-init-breaks-symmetry")
@pytest.mark.parametrize("init", ["normal_small", "xavier_normal", "kaiming_uniform", "orthogonal"])
@given(seed=cs.seeds())
@cs.scaled(3)
def test_random_init_breaks_symmetry(impl, init: str, seed: int) -> None:
    weight_init = {
        "normal_small": functools.partial(impl.normal, std=0.01),  # seed 003: randn * 0.01
        "xavier_normal": impl.xavier_normal,
        "kaiming_uniform": impl.kaiming_uniform,
        "orthogonal": impl.orthogonal,
    }[init]
    params = impl.init_mlp([4, 6, 3], weight_init, rng=seed)
    x, labels = data(seed)
    opt = impl.sgd(0.3)
    state = opt.init(params)
    for _ in range(20):
        _, grads = loss_and_grads(impl, params, x, labels, "tanh")
        params, state = opt.step(params, grads, state)
    rows = params["W1"]
    distances = np.abs(rows[:, None, :] - rows[None, :, :]).max(axis=2) + np.eye(len(rows))
    assert distances.min() > 0
    assert np.linalg.matrix_rank(rows) == min(rows.shape)
