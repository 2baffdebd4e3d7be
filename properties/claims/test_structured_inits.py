"""Structured initializations: delta-orthogonal convolutions, orthogonal/identity and Gaussian
recurrences, and LSUV (Xiao et al. 2018; Le, Jaitly & Hinton 2015; Saxe et al. 2014; Mishkin &
Matas 2016)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties import decide
from properties import strategies as cs
from properties.checks import orthogonality_bound
from properties.decide import Context
from properties.sampling import repeated
from theory import isometry

EPS = float(np.finfo(np.float64).eps) / 2  # unit roundoff u


def circular_conv(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """PyTorch's cross-correlation ``y_o(p) = sum_{i,k} w[o, i, k] x_i(p + k - c)`` with circular
    padding (``padding_mode="circular"``, c = k // 2), by the FFT: a circular cross-correlation
    multiplies the input's spectrum by the conjugate spectrum of the kernel embedded at -c."""
    spatial = x.shape[1:]
    embedded = np.zeros(weight.shape[:2] + spatial)
    centre = tuple(k // 2 for k in weight.shape[2:])
    for offset in np.ndindex(*weight.shape[2:]):
        shifted = tuple((o - c) % n for o, c, n in zip(offset, centre, spatial, strict=True))
        target, source = (slice(None), slice(None), *shifted), (slice(None), slice(None), *offset)
        embedded[target] += weight[source]
    axes = tuple(range(-len(spatial), 0))
    spectrum = np.einsum(
        "oi...,i...->o...", np.conj(np.fft.fftn(embedded, axes=axes)), np.fft.fftn(x, axes=axes)
    )
    return np.real(np.fft.ifftn(spectrum, axes=axes))


@pytest.mark.claim("delta-orthogonal-circular-isometry")
@given(
    channels=st.tuples(st.integers(1, 6), st.integers(0, 4)),
    kernel=st.lists(st.integers(1, 4), min_size=1, max_size=2),
    gain=st.floats(0.1, 3.0),
    seed=cs.seeds(),
)
def test_delta_orthogonal_circular_convolution_is_an_isometry(
    impl, channels: tuple[int, int], kernel: list[int], gain: float, seed: int
) -> None:
    """Every singular value of the layer (built column by column from basis inputs) is |gain|.

    Tolerance: the FFT's relative error ~ log2(size) u per transform plus the orthogonality a
    QR-made centre is allowed (:func:`orthogonality_bound`, fixed in advance).
    """
    in_channels, extra = channels
    shape = (in_channels + extra, in_channels, *kernel)
    weight = impl.delta_orthogonal(shape, gain, rng=seed)
    centre = (slice(None), slice(None), *(k // 2 for k in kernel))
    off_centre = weight.copy()
    off_centre[centre] = 0
    assert weight.shape == shape and not np.any(off_centre)
    spatial = tuple(k + 2 for k in kernel)
    size = in_channels * math.prod(spatial)
    basis = np.eye(size).reshape(size, in_channels, *spatial)
    operator = np.stack([circular_conv(b, weight).ravel() for b in basis], axis=1)
    singular = np.linalg.svd(operator, compute_uv=False)
    tol = orthogonality_bound(in_channels) + 20 * (1 + math.log2(size)) * EPS * math.sqrt(size)
    np.testing.assert_allclose(singular / gain, 1.0, rtol=0, atol=tol)
    x = np.random.default_rng(seed).standard_normal((in_channels, *spatial))
    assert np.linalg.norm(circular_conv(x, weight)) == pytest.approx(gain * np.linalg.norm(x), rel=tol)


@pytest.mark.claim("orthogonal-rnn-norm-preserving")
@pytest.mark.parametrize("matrix", ["orthogonal", "eye"])
@given(width=st.integers(1, 64), seed=cs.seeds())
def test_orthogonal_and_identity_recurrences_keep_the_norm(impl, matrix: str, width: int, seed: int) -> None:
    """1000 steps of h_t = W h_{t-1}. Tolerance per step: half the orthogonality a QR-made matrix
    is allowed (:func:`orthogonality_bound`, fixed in advance) plus the product's rounding
    ``gamma_n sqrt(n)``."""
    steps = 1000
    w = impl.orthogonal((width, width), rng=seed) if matrix == "orthogonal" else impl.eye((width, width))
    h = np.random.default_rng(seed).standard_normal(width)
    norms = [np.linalg.norm(h)]
    for _ in range(steps):
        h = w @ h
        norms.append(np.linalg.norm(h))
    per_step = orthogonality_bound(width) / 2 + 1.01 * width * EPS * math.sqrt(width) + EPS
    t = np.arange(steps + 1)
    assert np.all(np.abs(np.array(norms) / norms[0] - 1) <= t * per_step * 1.01 + 1e-300)


@pytest.mark.claim("tied-gaussian-rnn-norm-drift")
@pytest.mark.parametrize(("width", "steps"), [(2, 2), (2, 3), (3, 2)])
@given(seed=cs.seeds())
@cs.scaled(1)
def test_tied_gaussian_recurrence_second_moment(impl, width: int, steps: int, seed: int) -> None:
    """E ||W^t e_1||^2 against theory's exact moment (variance from the exact fourth moment); the
    check catches half the distance to 1, the value a product of independent layers would give."""
    mean = isometry.tied_gaussian_rnn_moment(width, steps)
    variance = isometry.tied_gaussian_rnn_moment(width, steps, 2) - mean**2
    rng = np.random.default_rng(seed)

    def ratios(r: np.random.Generator) -> np.ndarray:
        w = impl.normal((1 << 16, width, width), 0.0, 1 / math.sqrt(width), rng=r)
        v = w[:, :, 0]
        for _ in range(steps - 1):
            v = np.einsum("bij,bj->bi", w, v)
        return np.sum(v * v, axis=1)

    decide.check_mean(
        Context("tied-gaussian-rnn-norm-drift", {"width": width, "steps": steps}, seed),
        repeated(ratios, rng),
        mean,
        variance,
        effect=(mean - 1) / 2,
    )
    if steps == 2:
        assert mean == pytest.approx(1 + 2 / width**2, rel=1e-12)


@pytest.mark.claim("lsuv-unit-variance")
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@given(
    widths=st.lists(st.integers(2, 48), min_size=2, max_size=6),
    batch=st.integers(2, 64),
    input_scale=st.floats(0.01, 100.0),
    tol=st.sampled_from([0.1, 0.01, 1e-6]),
    seed=cs.seeds(),
)
def test_lsuv_leaves_unit_output_variances(
    impl, activation: str, widths: list[int], batch: int, input_scale: float, tol: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    params = impl.init_mlp(widths, impl.orthogonal, rng=rng)
    x = rng.standard_normal((batch, widths[0])) * input_scale
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # zero biases: no layer may reach max_iter
        try:
            result = impl.lsuv(params, x, activation, tol=tol, max_iter=10)
        except ValueError as error:  # a ReLU layer dead on the whole batch: refused, not hidden
            assert "cannot be rescaled" in str(error)
            assert activation == "relu" and any(np.all(a == 0) for a in impl.forward(params, x, "relu").post)
            return
    pre = impl.forward(result.params, x, activation).pre
    measured = [float(np.var(h)) for h in pre]
    np.testing.assert_allclose(measured, result.variances, rtol=1e-12)
    assert all(abs(v - 1) < tol for v in measured)
    assert all(r in (0, 1) for r in result.rescalings)  # one rescaling per layer suffices
    for key in params:  # biases untouched, weights only rescaled
        if key.startswith("b"):
            np.testing.assert_array_equal(result.params[key], params[key])
        else:
            ratio = result.params[key] / params[key]
            np.testing.assert_allclose(ratio, ratio.flat[0], rtol=1e-12)
