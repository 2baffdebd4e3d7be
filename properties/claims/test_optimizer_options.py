"""Every optimizer option against the algorithm as PyTorch documents it, one scalar at a time.

The references below transcribe the pseudo-code of the ``torch.optim`` documentation pages (SGD,
Adagrad, RMSprop, Adam, AdamW; AMSGrad keeps the running maximum of the *raw* second moment and
bias-corrects after it, as ``torch/optim/adam.py`` does) in plain Python floats, element by
element. They share no code with impl. Trajectories run 25 steps on gradients whose scale falls
(so AMSGrad's maximum differs from the current moment) and whose sign changes, from non-zero
parameters (so weight decay matters), and must agree to 1e-10 relative.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from impls.optimizers import Optimizer
from properties import compare
from properties.decide import Context

STEPS = 25


def gradients(seed: int, size: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=size) * 10.0 ** (1 - t / 6) for t in range(STEPS)]


def sgd_reference(p: float, gs: list[float], lr, momentum=0.0, dampening=0.0, nesterov=False, wd=0.0):
    b = 0.0
    for t, g in enumerate(gs, start=1):
        if wd:
            g = g + wd * p
        if momentum:
            b = g if t == 1 else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        p = p - lr * g
    return p


def adagrad_reference(p: float, gs: list[float], lr, lr_decay=0.0, wd=0.0, initial=0.0, eps=1e-10):
    s = initial
    for t, g in enumerate(gs, start=1):
        clr = lr / (1 + (t - 1) * lr_decay)
        if wd:
            g = g + wd * p
        s = s + g * g
        p = p - clr * g / (math.sqrt(s) + eps)
    return p


def rmsprop_reference(
    p: float, gs: list[float], lr, alpha=0.99, eps=1e-8, wd=0.0, momentum=0.0, centered=False
):
    v = mean = b = 0.0
    for g in gs:
        if wd:
            g = g + wd * p
        v = alpha * v + (1 - alpha) * g * g
        denominator = v
        if centered:
            mean = alpha * mean + (1 - alpha) * g
            denominator = v - mean * mean
        if momentum > 0:
            b = momentum * b + g / (math.sqrt(denominator) + eps)
            p = p - lr * b
        else:
            p = p - lr * g / (math.sqrt(denominator) + eps)
    return p


def adam_reference(
    p: float, gs: list[float], lr, betas=(0.9, 0.999), eps=1e-8, wd=0.0, amsgrad=False, decoupled=False
):
    b1, b2 = betas
    m = v = v_max = 0.0
    for t, g in enumerate(gs, start=1):
        if wd and decoupled:
            p = p * (1 - lr * wd)
        elif wd:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = max(v_max, v)
        second = v_max if amsgrad else v
        p = p - lr * (m / (1 - b1**t)) / (math.sqrt(second / (1 - b2**t)) + eps)
    return p


def _cases() -> Iterator:
    yield (
        "sgd momentum dampening decay",
        lambda impl: impl.sgd(0.05, 0.9, 0.3, False, 0.2),
        (lambda p, g: sgd_reference(p, g, 0.05, 0.9, 0.3, False, 0.2)),
    )
    yield (
        "sgd nesterov decay",
        lambda impl: impl.sgd(0.05, 0.8, 0.0, True, 0.1),
        (lambda p, g: sgd_reference(p, g, 0.05, 0.8, 0.0, True, 0.1)),
    )
    yield (
        "adagrad every option",
        lambda impl: impl.adagrad(0.3, 0.05, 0.1, 0.4, 1e-3),
        (lambda p, g: adagrad_reference(p, g, 0.3, 0.05, 0.1, 0.4, 1e-3)),
    )
    yield (
        "rmsprop centered momentum decay",
        lambda impl: impl.rmsprop(0.01, 0.9, 1e-3, 0.1, 0.5, True),
        (lambda p, g: rmsprop_reference(p, g, 0.01, 0.9, 1e-3, 0.1, 0.5, True)),
    )
    yield (
        "rmsprop decay",
        lambda impl: impl.rmsprop(0.01, 0.95, 1e-3, 0.2),
        (lambda p, g: rmsprop_reference(p, g, 0.01, 0.95, 1e-3, 0.2)),
    )
    yield (
        "adam decay",
        lambda impl: impl.adam(0.05, (0.8, 0.99), 1e-6, 0.1),
        (lambda p, g: adam_reference(p, g, 0.05, (0.8, 0.99), 1e-6, 0.1)),
    )
    yield (
        "adam amsgrad decay",
        lambda impl: impl.adam(0.05, (0.8, 0.99), 1e-6, 0.1, True),
        (lambda p, g: adam_reference(p, g, 0.05, (0.8, 0.99), 1e-6, 0.1, True)),
    )
    yield (
        "adamw",
        lambda impl: impl.adamw(0.05, (0.8, 0.99), 1e-6, 0.3),
        (lambda p, g: adam_reference(p, g, 0.05, (0.8, 0.99), 1e-6, 0.3, decoupled=True)),
    )
    yield (
        "adamw amsgrad",
        lambda impl: impl.adamw(0.05, (0.8, 0.99), 1e-6, 0.3, True),
        (lambda p, g: adam_reference(p, g, 0.05, (0.8, 0.99), 1e-6, 0.3, True, decoupled=True)),
    )


CASES = {name: (make, reference) for name, make, reference in _cases()}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", sorted(CASES))
def test_options_follow_the_documented_algorithm(impl, name: str, seed: int) -> None:
    make, reference = CASES[name]
    start = np.random.default_rng(seed + 10).normal(size=3) * 2
    opt: Optimizer = make(impl)
    params, state = start.copy(), opt.init(start)
    grads = gradients(seed)
    for g in grads:
        params, state = opt.step(params, g, state)
    expected = [reference(float(start[i]), [float(g[i]) for g in grads]) for i in range(start.size)]
    assert np.allclose(params, expected, rtol=1e-10, atol=1e-13), (params, expected)


@pytest.mark.claim("gradient-clipping")
@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf])
def test_clipping_several_leaves_uses_the_norm_of_all_of_them(impl, norm_type: float) -> None:
    """N is the p-norm of the concatenation of every leaf; below max_norm nothing changes."""
    rng = np.random.default_rng(4)
    a, c = rng.normal(size=(3, 2)), rng.normal(size=5) * 3
    grads: dict[str, Any] = {"a": a, "b": {"c": c}}
    flat = np.concatenate([a.ravel(), c])
    total = float(np.linalg.norm(flat, ord=norm_type))
    for max_norm in (0.5 * total, 2 * total):
        clipped: Any
        clipped, reported = impl.clip_grad_norm(grads, max_norm, norm_type)
        assert reported == pytest.approx(total, rel=1e-13)
        factor = min(1.0, max_norm / (total + 1e-6))
        compare.check_close(
            Context(
                "gradient-clipping",
                {"max_norm": max_norm, "total": total, "norm_type": norm_type, "rtol": 1e-14},
            ),
            np.concatenate([clipped["a"].ravel(), clipped["b"]["c"]]),
            factor * flat,
            rtol=1e-14,
            atol=1e-8,  # np.allclose's default absolute tolerance, as before
            derivation="g min(1, max_norm / (N + 1e-6)), PyTorch's coefficient; a few ulp",
        )


def test_clip_grad_value_clips_both_sides(impl) -> None:
    g = np.array([-3.0, -0.5, 0.0, 0.7, 4.0])
    clipped: Any = impl.clip_grad_value(g, 1.0)
    assert np.array_equal(clipped, [-1.0, -0.5, 0.0, 0.7, 1.0])
