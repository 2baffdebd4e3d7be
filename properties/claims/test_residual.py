"""Residual networks at initialization: identity by a zero branch scale or zero last layers (exact)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties import strategies as cs
from theory import initial_loss


@pytest.mark.claim("rezero-identity")
@given(width=st.integers(1, 12), depth=st.integers(1, 6), batch=st.integers(1, 4), seed=cs.seeds())
def test_zero_branch_scale_is_the_identity(impl, width: int, depth: int, batch: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    he = functools.partial(impl.kaiming_normal, nonlinearity="relu")
    params = impl.init_residual_mlp(width, depth, he, he, rng=rng)
    x, upstream = rng.normal(size=(batch, width)), rng.normal(size=(batch, width))
    forward = impl.residual_forward(params, x, branch_scale=0.0)
    assert np.array_equal(forward.stream[-1], x)
    grads, grad_x = impl.residual_backward(params, forward, upstream, branch_scale=0.0)
    assert np.array_equal(grad_x, upstream)  # the Jacobian is I
    assert all(not np.any(g) for g in grads.values())  # alpha = 0 also blocks the branch gradients


@pytest.mark.claim("fixup-zero-init-identity")
@pytest.mark.claim("zero-logits-loss-log-k")
@given(
    width=st.integers(1, 12),
    depth=st.integers(1, 5),
    classes=st.integers(2, 10),
    batch=st.integers(1, 4),
    seed=cs.seeds(),
)
def test_zero_last_layers_and_classifier(
    impl, width: int, depth: int, classes: int, batch: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    he = functools.partial(impl.kaiming_normal, nonlinearity="relu")
    params = impl.init_residual_mlp(width, depth, he, he, zero_last=True, rng=rng)
    classifier = impl.zeros((classes, width))
    x = rng.normal(size=(batch, width)) + 0.1  # x_0 != 0 almost surely
    target = rng.integers(0, classes, size=batch)
    forward = impl.residual_forward(params, x)
    assert np.array_equal(forward.stream[-1], x)
    logits = forward.stream[-1] @ classifier.T
    loss = impl.cross_entropy(logits, target)
    assert float(loss) == pytest.approx(initial_loss.uniform_logits_cross_entropy(classes), rel=1e-15)
    grad_logits = impl.cross_entropy_grad(logits, target)
    grad_classifier = grad_logits.T @ forward.stream[-1]
    grads, _ = impl.residual_backward(params, forward, grad_logits @ classifier)
    assert all(not np.any(g) for g in grads.values())
    assert np.any(grad_classifier != 0)
