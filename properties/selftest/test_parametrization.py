"""impls.parametrization: Table 3 literally, argument errors, parity with PyTorch autograd and optimizers.

PyTorch has no μP or NTK parametrization; what it has is checked: the SP layer is
``torch.nn.functional.linear`` without bias, every parametrization's exact backward equals
autograd through ``m * (x @ w.T)``, and :func:`impls.parametrized_optimizer` equals
``torch.optim.SGD``/``Adam`` with one parameter group per weight at the prescribed rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import impls
from properties import strategies as cs

WIDTHS = (3, 16, 16, 2)


def test_table_3_of_tensor_programs_v_literally() -> None:
    """Init std, multipliers and learning-rate multipliers by role, for d = 3, n = 16, k = 2."""
    g, d, n = 1.5, 3, 16
    sp, ntk, mup = (impls.layer_scalings(WIDTHS, p, gain=g) for p in ("sp", "ntk", "mup"))
    assert [s.role for s in sp] == ["input", "hidden", "output"]
    assert [tuple(s[1:]) for s in sp] == [
        (g / math.sqrt(d), 1, 1, 1),
        (g / math.sqrt(n), 1, 1, 1),
        (1 / math.sqrt(n), 1, 1, 1),
    ]
    assert [tuple(s[1:]) for s in ntk] == [
        (1, g / math.sqrt(d), 1, 1),
        (1, g / math.sqrt(n), 1, 1),
        (1, 1 / math.sqrt(n), 1, 1),
    ]
    # Table 3: input (var 1/fan_in, SGD eta fan_out, Adam eta), hidden (1/fan_in, eta, eta/fan_in),
    # output (1/fan_in^2, eta/fan_in, eta/fan_in)
    assert [tuple(s[1:]) for s in mup] == [
        (g / math.sqrt(d), 1, n, 1),
        (g / math.sqrt(n), 1, 1, 1 / n),
        (1 / n, 1, 1 / n, 1 / n),
    ]
    assert impls.layer_learning_rates(WIDTHS, "mup", "sgd", 0.5) == {"W1": 8.0, "W2": 0.5, "W3": 0.5 / 16}


def test_same_seed_same_draws_and_dtypes() -> None:
    a = impls.init_parametrized_mlp(WIDTHS, "mup", rng=3, dtype=np.float32)
    b = impls.init_parametrized_mlp(WIDTHS, "mup", rng=np.random.default_rng(3), dtype=np.float32)
    assert all(np.array_equal(a[k], b[k]) and a[k].dtype == np.float32 for k in a)
    assert [a[k].shape for k in a] == [(16, 3), (16, 16), (2, 16)]


def _forward_call(**changes: Any) -> Callable[[], Any]:
    params = impls.init_parametrized_mlp(WIDTHS, "sp", rng=0)
    arguments: dict[str, Any] = {"params": params, "x": np.ones((2, 3)), "parametrization": "sp"}
    arguments.update(changes)
    return lambda: impls.parametrized_forward(**arguments)


ERRORS = [
    (lambda: impls.layer_scalings(WIDTHS, "mu"), ValueError, "parametrization"),
    (lambda: impls.layer_scalings((3, 2), "sp"), ValueError, "widths"),
    (lambda: impls.layer_scalings((3, 0, 2), "sp"), ValueError, "widths"),
    (lambda: impls.layer_scalings((3, 2.5, 2), "sp"), TypeError, "widths"),
    (lambda: impls.layer_scalings("abc", "sp"), TypeError, "widths"),
    (lambda: impls.layer_scalings(np.array(3.0), "sp"), TypeError, "widths"),
    (lambda: impls.layer_scalings(WIDTHS, "sp", gain=0.0), ValueError, "gain"),
    (lambda: impls.layer_scalings(WIDTHS, "sp", gain=True), TypeError, "gain"),
    (lambda: impls.layer_scalings(WIDTHS, "sp", gain=math.inf), ValueError, "gain"),
    (lambda: impls.init_parametrized_mlp(WIDTHS, "sp", dtype=np.float16), TypeError, "dtype"),
    (lambda: impls.init_parametrized_mlp(WIDTHS, "sp", dtype=np.int32), TypeError, "dtype"),
    (lambda: impls.init_parametrized_mlp(WIDTHS, "sp", rng="seed"), TypeError, "rng"),
    (lambda: impls.layer_learning_rates(WIDTHS, "sp", "rmsprop", 0.1), ValueError, "optimizer"),
    (lambda: impls.layer_learning_rates(WIDTHS, "sp", "sgd", -0.1), ValueError, "lr"),
    (lambda: impls.parametrized_optimizer(WIDTHS, "sp", "lamb", 0.1), ValueError, "optimizer"),
    (_forward_call(x=np.ones((2, 4))), ValueError, "x"),
    (_forward_call(x=np.ones(3)), ValueError, "x"),
    (_forward_call(x=np.array([["a", "b", "c"]])), TypeError, "x"),
    (_forward_call(params={"W1": np.ones((4, 3))}), ValueError, "params"),
    (_forward_call(params={"W1": np.ones((4, 3)), "W2": np.ones((2, 5))}), ValueError, "params"),
    (_forward_call(params={"W1": np.ones((4, 3)), "W2": [[1.0] * 4]}), TypeError, "params"),
    (_forward_call(params=[np.ones((4, 3))]), TypeError, "params"),
    (_forward_call(params={"W1": np.array(1.0), "W2": np.ones((2, 4))}), ValueError, "params"),
    (_forward_call(params={"W1": np.float64(1.0), "W2": np.ones((2, 4))}), TypeError, "params"),
    (_forward_call(params={"W1": np.ones((4, 3), np.float16), "W2": np.ones((2, 4))}), TypeError, "params"),
    (
        _forward_call(params={"W1": np.full((4, 3), 1e200), "W2": np.ones((2, 4))}, x=np.full((2, 3), 1e200)),
        ValueError,
        "overflow",
    ),
    (_forward_call(parametrization="standard"), ValueError, "parametrization"),
    (_forward_call(activation="swish"), ValueError, "activation"),
]


@pytest.mark.parametrize(("call", "error", "name"), ERRORS)
def test_errors_name_the_argument(call: Callable[[], Any], error: type, name: str) -> None:
    with pytest.raises(error, match=name):
        call()


def test_backward_and_optimizer_refuse_mismatched_inputs() -> None:
    params = impls.init_parametrized_mlp(WIDTHS, "ntk", rng=0)
    cache = impls.parametrized_forward(params, np.ones((2, 3)), "ntk")
    with pytest.raises(ValueError, match="grad_output"):
        impls.parametrized_backward(params, cache, np.ones((2, 3)), "ntk")
    with pytest.raises(ValueError, match="cache"):
        impls.parametrized_backward(params, cache._replace(pre=cache.pre[:2]), np.ones((2, 2)), "ntk")
    opt = impls.parametrized_optimizer(WIDTHS, "ntk", "adam", 0.1)
    with pytest.raises(ValueError, match="params"):
        opt.init({"W1": params["W1"]})
    state = opt.init(params)
    with pytest.raises(ValueError, match="grads"):
        opt.step(params, {"W1": params["W1"]}, state)


torch = pytest.importorskip("torch", reason="torch is not installed; parity with PyTorch not checked")


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


@given(
    parametrization=st.sampled_from(impls.PARAMETRIZATIONS),
    widths=st.lists(st.integers(1, 9), min_size=3, max_size=5).map(tuple),
    gain=st.floats(0.5, 2.0),
    batch=st.integers(1, 4),
    seed=cs.seeds(),
)
def test_forward_and_backward_match_torch_autograd(
    parametrization: str, widths: tuple[int, ...], gain: float, batch: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    params = impls.init_parametrized_mlp(widths, parametrization, gain=gain, rng=rng)
    x, upstream = rng.normal(size=(batch, widths[0])), rng.normal(size=(batch, widths[-1]))
    cache = impls.parametrized_forward(params, x, parametrization, gain=gain)
    grads = impls.parametrized_backward(params, cache, upstream, parametrization, gain=gain).params
    multipliers = [s.multiplier for s in impls.layer_scalings(widths, parametrization, gain)]
    weights = [_t(params[f"W{i}"]) for i in range(1, len(widths))]
    h = torch.tensor(x)
    for layer, (w, m) in enumerate(zip(weights, multipliers, strict=True)):
        h = m * torch.nn.functional.linear(h, w)
        np.testing.assert_allclose(cache.pre[layer], h.detach().numpy(), rtol=1e-12, atol=1e-12)
        if layer < len(weights) - 1:
            h = torch.relu(h)
    h.backward(torch.tensor(upstream))
    for i, w in enumerate(weights, start=1):
        assert w.grad is not None
        np.testing.assert_allclose(grads[f"W{i}"], w.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("parametrization", impls.PARAMETRIZATIONS)
@pytest.mark.parametrize("optimizer", impls.PARAMETRIZED_OPTIMIZERS)
def test_optimizer_matches_torch_param_groups(parametrization: str, optimizer: str) -> None:
    rng = np.random.default_rng(5)
    params = impls.init_parametrized_mlp(WIDTHS, parametrization, rng=rng)
    rates = impls.layer_learning_rates(WIDTHS, parametrization, optimizer, 0.03)
    opt = impls.parametrized_optimizer(WIDTHS, parametrization, optimizer, 0.03)
    tensors = {k: _t(v) for k, v in params.items()}
    groups = [{"params": [tensors[k]], "lr": rates[k]} for k in params]
    reference = (torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam)(groups, lr=0.03)
    state = opt.init(params)
    for _ in range(3):
        grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
        params, state = opt.step(params, grads, state)
        for k, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[k])
        reference.step()
    for k, tensor in tensors.items():
        np.testing.assert_allclose(params[k], tensor.detach().numpy(), rtol=1e-12, atol=1e-15)
