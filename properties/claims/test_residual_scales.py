"""Residual and BatchNorm networks at initialization: zero-gamma blocks, Fixup's rescaling, BatchNorm's
gradient factor.

The zero-gamma block is exact. Fixup's first update and the BatchNorm factor are statistical: each
sample is one freshly drawn branch (or output channel), weights from the implementation under test
(many at once, as independent rows of one call), and the check is a median of means sized by the
exact variance from :mod:`theory.residual` / :mod:`theory.normalization`, with a declared effect of
20% of the claimed mean.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties import decide, layer_checks
from properties import strategies as cs
from properties.decide import Context
from theory import residual

EFFECT = 0.2
"""Declared detectable effect, relative to the claimed mean."""


@pytest.mark.claim("zero-gamma-block-identity")
@given(batch=st.integers(2, 6), width=st.integers(1, 8), hidden=st.integers(1, 8), seed=cs.seeds())
def test_zero_gamma_block_is_the_identity(impl, batch: int, width: int, hidden: int, seed: int) -> None:
    impl.require("batch_norm", "batch_norm_backward")
    impl.batch_norm(np.eye(2), np.zeros(2), np.zeros(2))  # a target without BatchNorm's gamma refuses here
    rng = np.random.default_rng(seed)
    w1 = impl.kaiming_normal((hidden, width), nonlinearity="relu", rng=rng)
    w2 = impl.kaiming_normal((width, hidden), nonlinearity="relu", rng=rng)
    x = impl.relu(rng.normal(size=(batch, width)))  # a block's input is the previous block's ReLU output
    gamma, beta = np.zeros(width), np.zeros(width)
    pre1 = x @ w1.T
    h = impl.relu(impl.batch_norm(pre1, np.ones(hidden), np.zeros(hidden)))
    pre2 = h @ w2.T
    branch = impl.batch_norm(pre2, gamma, beta)
    out = impl.relu(x + branch)
    assert np.array_equal(out, x)
    # backward of sum(u * out): the branch's weights get no gradient, gamma does
    u = rng.normal(size=out.shape)
    g = u * impl.ACTIVATIONS["relu"].derivative(x + branch)
    g_pre2, g_gamma, _ = impl.batch_norm_backward(pre2, g, gamma)
    grad_w2 = g_pre2.T @ h
    g_pre1, _, _ = impl.batch_norm_backward(pre1, (g_pre2 @ w2) * (h > 0), np.ones(hidden))
    assert not np.any(grad_w2) and not np.any(g_pre1.T @ x)
    varying = np.ptp(pre2, axis=0) > 0  # a channel with one value normalizes to 0: no gradient
    assert np.all(g_gamma[varying & np.any(g != 0, axis=0)] != 0) or not np.any(varying)


@pytest.mark.claim("fixup-rescale-bounded-update")
@pytest.mark.parametrize("rescale", [True, False])
@given(width=st.integers(8, 24), depth=st.integers(1, 8), branch_layers=st.integers(2, 3), seed=cs.seeds())
@cs.scaled(2)
def test_fixup_first_update(
    impl, rescale: bool, width: int, depth: int, branch_layers: int, seed: int
) -> None:
    """U = sum_l ||h_l||^2 / ||x_0||^2: 1 with Fixup, L without, at every width (x_l = x_0 at init)."""
    rng = np.random.default_rng(seed)
    c = residual.fixup_branch_rescale(depth, branch_layers) if rescale else 1.0
    he = functools.partial(impl.kaiming_normal, nonlinearity="relu")
    x0 = rng.normal(size=width)
    mean, second = residual.fixup_first_update_moments(width, depth, branch_layers, rescale)
    assert mean == pytest.approx(1.0 if rescale else depth, rel=1e-12)

    def updates(n: int) -> np.ndarray:
        count = n * depth  # independent branches, all fed x_0
        h = np.broadcast_to(x0, (count, width))
        for _ in range(branch_layers - 1):
            w = c * he((count * width, width), rng=rng).reshape(count, width, width)
            h = impl.relu(np.einsum("bij,bj->bi", w, h))
        # the zero last layer's gradient is g h^T; its step moves x_L by -eta g ||h||^2
        return (np.sum(h * h, axis=1) / (x0 @ x0)).reshape(n, depth).sum(axis=1)

    decide.check_mean(
        Context(
            "fixup-rescale-bounded-update",
            {"width": width, "depth": depth, "m": branch_layers, "rescale": rescale},
            seed,
        ),
        updates,
        mean,
        second - mean**2,
        effect=EFFECT * mean,
    )


@pytest.mark.claim("batchnorm-gradient-explosion")
@given(batch=st.integers(6, 12), width_extra=st.integers(0, 40), seed=cs.seeds())
@cs.scaled(2)
def test_batchnorm_linear_gradient_factor(impl, batch: int, width_extra: int, seed: int) -> None:
    """One output channel per sample: ||dL/dh||^2 ||w||^2 / (B - 1) by impl's batch_norm_backward."""
    layer_checks.verify_batchnorm_gradient_factor(impl, batch=batch, width=batch + width_extra, seed=seed)
