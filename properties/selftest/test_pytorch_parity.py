"""Parity with PyTorch itself (torch is installed in the project's environment).

The suite does not need torch: every behaviour checked here is also checked against
hand-computed values and theory elsewhere, and this module is skipped (with its reason shown by
``-ra``) where torch is not installed. It verifies no claim. It compares impls with
``torch.nn.init``, ``torch.nn.functional`` and ``torch.optim`` in float64:

- losses, their gradients and edge cases (-inf logits, zero total weight, all targets ignored,
  empty inputs, weights that would enlarge the input): equal to PyTorch to 1e-12 relative;
- activations and derivatives: equal to PyTorch to 1e-12 relative, *except* where PyTorch's
  formula loses accuracy (GELU and its tanh form in the negative tail, where PyTorch returns
  -0.0 and impls the exact tiny value; tanh' = 1 - tanh^2 for |x| > 1; silu' and sigmoid'
  for large x). There both are compared with the exact value (mpmath, ``mpmath_reference``):
  impls must be within its derived ulp bound (``test_accuracy_numerics.BOUNDS``) and at least
  as close as PyTorch;
- optimizers: one step from PyTorch's own state (PyTorch's default CPU path, which fuses some
  multiply-adds) within 18 ulp of ``|p| + |p_new - p|``, the bound derived below; 30-step
  trajectories within 1e-13; the options maximize, a tensor lr and decoupled weight decay.
"""

from __future__ import annotations

from typing import Any

import mpmath as mp
import numpy as np
import pytest

import impls
from impls.optimizers import AdaGradState, AdamState, RMSPropState, SGDState
from properties.selftest import mpmath_reference as ref
from properties.selftest.test_accuracy_numerics import BOUNDS

torch = pytest.importorskip("torch", reason="torch is not installed; parity with PyTorch not checked")
F = torch.nn.functional


@pytest.fixture(autouse=True)
def _double_precision():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def _torch_ce(x: np.ndarray, t: np.ndarray, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    xt = torch.tensor(x, requires_grad=True)
    kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    loss = F.cross_entropy(xt, torch.tensor(t), **kwargs)
    loss.sum().backward()
    return loss.detach().numpy(), xt.grad.numpy()


def test_losses_and_gradients_match_pytorch() -> None:
    rng = np.random.default_rng(0)
    x, t, w = rng.normal(size=(7, 5)) * 3, rng.integers(0, 5, 7), rng.random(5) + 0.5
    t[2] = -100
    for smoothing in (0.0, 0.2):
        for reduction in ("mean", "sum", "none"):
            for weight in (None, w):
                kwargs: dict[str, Any] = {"weight": weight, "reduction": reduction}
                kwargs["label_smoothing"] = smoothing
                loss, grad = _torch_ce(x, t, **kwargs)
                assert np.allclose(impls.cross_entropy(x, t, **kwargs), loss, rtol=1e-12)
                assert np.allclose(impls.cross_entropy_grad(x, t, **kwargs), grad, rtol=1e-10, atol=1e-14)
    z, y, pw = rng.normal(size=(4, 3)) * 30, rng.random((4, 3)), rng.random(3) + 0.5
    ours = impls.binary_cross_entropy_with_logits(z, y, weight=w[:3], pos_weight=pw)
    theirs = F.binary_cross_entropy_with_logits(
        torch.tensor(z), torch.tensor(y), weight=torch.tensor(w[:3]), pos_weight=torch.tensor(pw)
    )
    assert np.allclose(ours, theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    ("logits", "target", "kwargs"),
    [
        # issue 9: a non-target class at -inf gave NaN (PyTorch: 0.8604338259813016)
        (np.array([[-np.inf, 0.0, 1.0], [0.0, 1.0, 2.0]]), np.array([1, 2]), {}),
        # zero total class weight: loss NaN, gradient NaN on the kept samples
        (np.array([[0.2, 0.7, 0.1], [1.0, 2.0, 3.0]]), np.array([0, 0]), {"weight": np.array([0.0, 1, 1])}),
        (
            np.array([[0.2, 0.7, 0.1], [1.0, 2.0, 3.0]]),
            np.array([0, -100]),
            {"weight": np.array([0.0, 1, 1])},
        ),
        # every target ignored: loss NaN, gradient 0
        (np.array([[0.2, 0.7, 0.1], [1.0, 2.0, 3.0]]), np.array([-100, -100]), {}),
        (np.array([[0.2, 0.7, 0.1], [1.0, 2.0, 3.0]]), np.array([-100, -100]), {"reduction": "sum"}),
        (np.zeros((0, 3)), np.zeros(0, int), {}),
        (np.zeros((0, 3)), np.zeros(0, int), {"reduction": "sum"}),
    ],
)
def test_cross_entropy_edge_cases_match_pytorch(logits: np.ndarray, target: np.ndarray, kwargs: dict) -> None:
    loss, grad = _torch_ce(logits, target, **kwargs)
    np.testing.assert_allclose(impls.cross_entropy(logits, target, **kwargs), loss, rtol=1e-14)
    np.testing.assert_allclose(
        impls.cross_entropy_grad(logits, target, **kwargs), grad, rtol=1e-14, atol=1e-16
    )


def test_cross_entropy_with_minus_inf_logit_is_pytorch_value() -> None:
    logits = np.array([[-np.inf, 0.0, 1.0], [0.0, 1.0, 2.0]])
    assert float(impls.cross_entropy(logits, np.array([1, 2]))) == pytest.approx(
        0.8604338259813016, rel=1e-15
    )


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0,), ()])
def test_softmax_of_empty_and_scalar_inputs_match_pytorch(function: str, shape: tuple[int, ...]) -> None:
    x = np.ones(shape)
    theirs = getattr(F, function)(torch.tensor(x), -1).numpy()
    ours = getattr(impls, function)(x)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("keyword", ["weight", "pos_weight"])
def test_a_weight_that_enlarges_the_input_is_refused_like_pytorch(keyword: str) -> None:
    x, t, big = np.zeros(2), np.zeros(2), np.ones((4, 2))
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        F.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(t), **{keyword: torch.tensor(big)})
    options: dict[str, Any] = {keyword: big}
    for function in (impls.binary_cross_entropy_with_logits, impls.binary_cross_entropy_with_logits_grad):
        with pytest.raises(ValueError, match=f"{keyword} of shape \\(4, 2\\) would broadcast"):
            function(x, t, **options)
    if keyword == "weight":
        with pytest.raises(ValueError, match="weight of shape \\(4, 2\\) would broadcast"):
            impls.binary_cross_entropy(np.full(2, 0.5), t, weight=big)


# --------------------------------------------------------------------------------------------
# Optimizers
# --------------------------------------------------------------------------------------------

OPTIMIZERS = {
    "sgd": (
        lambda: impls.sgd(0.1, momentum=0.9, dampening=0.3, weight_decay=0.1),
        lambda p: torch.optim.SGD(p, 0.1, momentum=0.9, dampening=0.3, weight_decay=0.1),
    ),
    "sgd-nesterov-maximize": (
        lambda: impls.sgd(0.1, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True),
        lambda p: torch.optim.SGD(p, 0.1, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True),
    ),
    "adagrad": (
        lambda: impls.adagrad(0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.2),
        lambda p: torch.optim.Adagrad(p, 0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.2),
    ),
    "adagrad-maximize": (
        lambda: impls.adagrad(0.1, maximize=True),
        lambda p: torch.optim.Adagrad(p, 0.1, maximize=True),
    ),
    "rmsprop": (
        lambda: impls.rmsprop(0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1),
        lambda p: torch.optim.RMSprop(p, 0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1),
    ),
    "rmsprop-maximize": (
        lambda: impls.rmsprop(0.01, maximize=True),
        lambda p: torch.optim.RMSprop(p, 0.01, maximize=True),
    ),
    "adam": (
        lambda: impls.adam(0.01, weight_decay=0.1, amsgrad=True),
        lambda p: torch.optim.Adam(p, 0.01, weight_decay=0.1, amsgrad=True),
    ),
    "adam-decoupled-maximize": (
        lambda: impls.adam(0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True),
        lambda p: torch.optim.Adam(p, 0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True),
    ),
    "adamw-tensor-lr": (
        lambda: impls.adamw(np.array(0.01), weight_decay=0.1),
        lambda p: torch.optim.AdamW(p, torch.tensor(0.01), weight_decay=0.1),
    ),
}


def _state_from_torch(opt: impls.Optimizer, torch_state: dict, like: np.ndarray) -> object:
    """impls' state holding PyTorch's current buffers (zeros where PyTorch has none yet)."""
    kind = type(opt.init(like))

    def buffer(key: str) -> np.ndarray:
        value = torch_state.get(key)
        return like * 0 if value is None else value.detach().numpy().copy()

    step = int(torch_state["step"]) if "step" in torch_state else int("momentum_buffer" in torch_state)
    if kind is SGDState:
        return SGDState(step, buffer("momentum_buffer"))
    if kind is AdaGradState:
        return AdaGradState(step, buffer("sum"))
    if kind is RMSPropState:
        return RMSPropState(step, buffer("square_avg"), buffer("grad_avg"), buffer("momentum_buffer"))
    return AdamState(step, buffer("exp_avg"), buffer("exp_avg_sq"), buffer("max_exp_avg_sq"))


# A step is at most 9 operations (SGD with weight decay and Nesterov momentum: 2 for the decay,
# 3 for the buffer, 2 for the look-ahead, 2 for the update). Each rounds once in one evaluation
# and at most once more (an unfused multiply-add) in the other, each rounding is at most 1/2 ulp
# of a magnitude bounded by |p| + |p_new - p| for O(1) hyper-parameters: 2 * 9 * 1/2 = 9 per
# evaluation, 18 between the two.
STEP_ULP_BOUND = 18


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_steps_and_trajectories_match_pytorch(name: str) -> None:
    ours_factory, theirs_factory = OPTIMIZERS[name]
    rng = np.random.default_rng(0)
    start = rng.normal(size=(20, 30))
    opt = ours_factory()
    ours, state = start.copy(), opt.init(start)
    theirs = torch.tensor(start.copy(), requires_grad=True)
    torch_opt = theirs_factory([theirs])
    worst_step = 0.0
    for step in range(30):
        g = rng.normal(size=start.shape) * (1 + step % 3)
        before = theirs.detach().numpy().copy()
        from_torch = _state_from_torch(opt, torch_opt.state[theirs], before) if step else opt.init(before)
        one_step, _ = opt.step(before, g, from_torch)
        ours, state = opt.step(ours, g, state)
        theirs.grad = torch.tensor(g)
        torch_opt.step()
        after = theirs.detach().numpy()
        scale = np.spacing(np.abs(before) + np.abs(after - before))
        worst_step = max(worst_step, float(np.max(np.abs(one_step - after) / scale)))
    assert worst_step <= STEP_ULP_BOUND
    assert np.max(np.abs(ours - theirs.detach().numpy())) < 1e-13


# --------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------

ACTIVATION_NAMES = ["sigmoid", "tanh", "relu", "leaky_relu", "softsign", "elu", "selu"]
ACTIVATION_NAMES += ["gelu", "gelu_tanh", "silu", "softplus"]


def _torch_activation(name: str):
    if name == "gelu_tanh":
        return lambda x: F.gelu(x, approximate="tanh")
    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh}.get(name) or getattr(F, name)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activations_and_derivatives_match_pytorch_or_are_closer_to_exact(name: str) -> None:
    xs = np.concatenate(
        [
            np.random.default_rng(0).normal(size=200) * 5,
            [0.0, 9.0, -12.0, 25.0, -25.0, 40.0, -40.0, 1e3, -1e3],
        ]
    )
    base, params = ref.PARAMETERS.get(name, (name, {}))
    act = impls.ACTIVATIONS[base]
    xt = torch.tensor(xs, requires_grad=True)
    y = _torch_activation(name)(xt)
    y.sum().backward()
    exact_f, exact_d = ref.EXACT[name]
    bound_f, bound_d = BOUNDS[name]
    for ours, theirs, exact, bound in [
        (act.function(xs, **params), y.detach().numpy(), exact_f, bound_f),
        (act.derivative(xs, **params), xt.grad.numpy(), exact_d, bound_d),
    ]:
        differ = ~np.isclose(ours, theirs, rtol=1e-12, atol=1e-300)
        if differ.any():
            values = ref.exact_values(exact, xs[differ])
            ours_error = np.array(
                [float(abs(mp.mpf(float(o)) - e)) for o, e in zip(ours[differ], values, strict=True)]
            )
            theirs_error = np.array(
                [float(abs(mp.mpf(float(t)) - e)) for t, e in zip(theirs[differ], values, strict=True)]
            )
            assert np.all(ref.ulp_errors(ours[differ], values) <= bound), f"{name}: x = {xs[differ]}"
            assert np.all(ours_error <= theirs_error), f"{name}: PyTorch closer to exact at {xs[differ]}"


def test_fans_gains_and_deterministic_initializers_match_pytorch() -> None:
    for nonlinearity, param in [
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0),
        ("selu", None),
    ]:
        assert impls.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)
    for shape in [(3, 4), (5, 3, 2, 2), (2, 3, 4, 5, 6)]:
        assert impls.compute_fans(shape) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    weight = torch.empty(6, 4, 3, 4)
    torch.nn.init.dirac_(weight, groups=2)
    assert np.array_equal(impls.dirac((6, 4, 3, 4), groups=2), weight.numpy())
