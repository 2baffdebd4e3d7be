"""Normalization layers at initialization: output moments and scale invariance (exact).

The predicted moments come from :mod:`theory.normalization` given the input's own statistics
(computed here in float64 from the input, independently of the implementation).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties import strategies as cs
from theory import normalization

EPS = st.sampled_from([0.0, 1e-5, 1e-2, 1.0])
RTOL = 1e-10
"""Floating-point tolerance of an exact identity over a few hundred float64 terms."""


@pytest.mark.claim("layernorm-output-moments")
@given(
    batch=st.integers(1, 4),
    features=st.integers(2, 64),
    scale=st.floats(1e-3, 1e3),
    eps=EPS,
    seed=cs.seeds(),
)
def test_layer_norm_output_moments(
    impl, batch: int, features: int, scale: float, eps: float, seed: int
) -> None:
    x = np.random.default_rng(seed).normal(0.7, scale, size=(batch, features))
    y = impl.layer_norm(x, features, eps=eps)
    s2 = x.var(axis=-1)
    np.testing.assert_allclose(y.mean(axis=-1), 0.0, atol=RTOL)
    expected = [normalization.normalized_variance(v, eps) for v in s2]
    np.testing.assert_allclose((y * y).mean(axis=-1), expected, rtol=RTOL)


@pytest.mark.claim("rmsnorm-output-mean-square")
@given(
    batch=st.integers(1, 4), features=st.integers(1, 64), scale=st.floats(1e-3, 1e3), eps=EPS, seed=cs.seeds()
)
def test_rms_norm_output_mean_square(
    impl, batch: int, features: int, scale: float, eps: float, seed: int
) -> None:
    x = np.random.default_rng(seed).normal(0.3, scale, size=(batch, features))
    y = impl.rms_norm(x, features, eps=eps)
    expected = [normalization.rms_normalized_mean_square(m, eps) for m in (x * x).mean(axis=-1)]
    np.testing.assert_allclose((y * y).mean(axis=-1), expected, rtol=RTOL)


@pytest.mark.claim("batchnorm-train-output-moments")
@given(
    batch=st.integers(2, 8),
    channels=st.integers(1, 5),
    spatial=st.sampled_from([(), (3,), (2, 3)]),
    scale=st.floats(1e-3, 1e3),
    eps=EPS,
    seed=cs.seeds(),
)
def test_batch_norm_output_moments(
    impl, batch: int, channels: int, spatial: tuple[int, ...], scale: float, eps: float, seed: int
) -> None:
    x = np.random.default_rng(seed).normal(-0.4, scale, size=(batch, channels, *spatial))
    y = impl.batch_norm(x, eps=eps)
    axes = (0, *range(2, x.ndim))
    np.testing.assert_allclose(y.mean(axis=axes), 0.0, atol=RTOL)
    expected = [normalization.normalized_variance(v, eps) for v in x.var(axis=axes)]
    np.testing.assert_allclose((y * y).mean(axis=axes), expected, rtol=RTOL)


@pytest.mark.claim("normalization-scale-invariance")
@given(
    batch=st.integers(1, 4),
    n_in=st.integers(1, 8),
    n_out=st.integers(2, 8),
    c=st.floats(1e-2, 1e2),
    seed=cs.seeds(),
)
def test_layer_norm_scale_invariance(impl, batch: int, n_in: int, n_out: int, c: float, seed: int) -> None:
    """f(W) = sum(u * LN(x W^T)): <grad f, W> = 0 and grad f(c W) = grad f(W) / c (eps = 0)."""
    rng = np.random.default_rng(seed)
    x, w, u = rng.normal(size=(batch, n_in)), rng.normal(size=(n_out, n_in)), rng.normal(size=(batch, n_out))

    def loss_and_grad(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = x @ weight.T
        grad_h, _, _ = impl.layer_norm_backward(h, u, n_out, eps=0.0)
        return impl.layer_norm(h, n_out, eps=0.0), grad_h.T @ x

    y, grad = loss_and_grad(w)
    y_scaled, grad_scaled = loss_and_grad(c * w)
    np.testing.assert_allclose(y_scaled, y, rtol=1e-9, atol=1e-9)
    # The gradient's natural size is ||u|| ||x|| / ||W||; it can vanish (n_in = 1), so rounding is
    # bounded against that size, not against the gradient itself.
    natural = np.linalg.norm(u) * np.linalg.norm(x) / np.linalg.norm(w)
    assert abs(np.sum(grad * w)) <= 1e-9 * natural * np.linalg.norm(w)
    np.testing.assert_allclose(grad_scaled, grad / c, rtol=1e-8, atol=1e-9 * natural / c)
