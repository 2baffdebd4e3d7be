"""Parity with PyTorch itself, where torch is installed (``pip install torch``).

The suite does not need torch: every behaviour checked here is also checked against
hand-computed values and theory elsewhere. This module adds a direct comparison with
``torch.nn.init``, ``torch.nn.functional`` and ``torch.optim`` for users who have torch, and is
skipped (with its reason shown by ``-ra``) where it is not installed. It verifies no claim.
"""

from __future__ import annotations

import numpy as np
import pytest

import impls

torch = pytest.importorskip("torch", reason="torch is not installed; parity with PyTorch not checked")
F = torch.nn.functional


@pytest.fixture(autouse=True)
def _double_precision():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def test_losses_and_gradients_match_pytorch() -> None:
    rng = np.random.default_rng(0)
    x, t, w = rng.normal(size=(7, 5)) * 3, rng.integers(0, 5, 7), rng.random(5) + 0.5
    t[2] = -100
    for smoothing in (0.0, 0.2):
        for reduction in ("mean", "sum", "none"):
            for weight in (None, w):
                xt = torch.tensor(x, requires_grad=True)
                ours = impls.cross_entropy(
                    x, t, weight=weight, reduction=reduction, label_smoothing=smoothing
                )
                theirs = F.cross_entropy(
                    xt,
                    torch.tensor(t),
                    weight=None if weight is None else torch.tensor(weight),
                    reduction=reduction,
                    label_smoothing=smoothing,
                )
                assert np.allclose(ours, theirs.detach().numpy(), rtol=1e-12)
                theirs.sum().backward()
                grad = impls.cross_entropy_grad(
                    x, t, weight=weight, reduction=reduction, label_smoothing=smoothing
                )
                assert np.allclose(grad, xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    z, y, pw = rng.normal(size=(4, 3)) * 30, rng.random((4, 3)), rng.random(3) + 0.5
    ours = impls.binary_cross_entropy_with_logits(z, y, weight=w[:3], pos_weight=pw)
    theirs = F.binary_cross_entropy_with_logits(
        torch.tensor(z), torch.tensor(y), weight=torch.tensor(w[:3]), pos_weight=torch.tensor(pw)
    )
    assert np.allclose(ours, theirs.numpy(), rtol=1e-12)


OPTIMIZERS = [
    (
        lambda: impls.sgd(0.1, momentum=0.9, dampening=0.3, weight_decay=0.1),
        lambda p: torch.optim.SGD(p, 0.1, momentum=0.9, dampening=0.3, weight_decay=0.1),
    ),
    (
        lambda: impls.sgd(0.1, momentum=0.9, nesterov=True),
        lambda p: torch.optim.SGD(p, 0.1, momentum=0.9, nesterov=True),
    ),
    (
        lambda: impls.adagrad(0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.2),
        lambda p: torch.optim.Adagrad(p, 0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.2),
    ),
    (
        lambda: impls.rmsprop(0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1),
        lambda p: torch.optim.RMSprop(p, 0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1),
    ),
    (
        lambda: impls.adam(0.01, weight_decay=0.1, amsgrad=True),
        lambda p: torch.optim.Adam(p, 0.01, weight_decay=0.1, amsgrad=True, foreach=False),
    ),
    (
        lambda: impls.adamw(0.01, weight_decay=0.1),
        lambda p: torch.optim.AdamW(p, 0.01, weight_decay=0.1, foreach=False),
    ),
]


@pytest.mark.parametrize("index", range(len(OPTIMIZERS)))
def test_optimizer_trajectories_match_pytorch(index: int) -> None:
    ours_factory, theirs_factory = OPTIMIZERS[index]
    rng = np.random.default_rng(index)
    start = rng.normal(size=(3, 4))
    ours, opt = start.copy(), ours_factory()
    state = opt.init(ours)
    theirs = torch.tensor(start.copy(), requires_grad=True)
    torch_opt = theirs_factory([theirs])
    for step in range(30):
        g = rng.normal(size=(3, 4)) * (1 + step % 3)
        ours, state = opt.step(ours, g, state)
        theirs.grad = torch.tensor(g)
        torch_opt.step()
    assert np.max(np.abs(ours - theirs.detach().numpy())) < 1e-13


@pytest.mark.parametrize(
    "name", ["sigmoid", "tanh", "relu", "leaky_relu", "softsign", "elu", "selu", "gelu", "silu", "softplus"]
)
def test_activations_and_derivatives_match_pytorch(name: str) -> None:
    xs = np.concatenate([np.random.default_rng(0).normal(size=50) * 5, [0.0, 25.0, -25.0, 1e3, -1e3]])
    fn = {"sigmoid": torch.sigmoid, "tanh": torch.tanh}.get(name) or getattr(F, name)
    xt = torch.tensor(xs, requires_grad=True)
    y = fn(xt)
    y.sum().backward()
    assert np.allclose(impls.ACTIVATIONS[name](xs), y.detach().numpy(), rtol=1e-12, atol=1e-300)
    assert np.allclose(impls.ACTIVATIONS[name].derivative(xs), xt.grad.numpy(), rtol=1e-10, atol=1e-15)


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
