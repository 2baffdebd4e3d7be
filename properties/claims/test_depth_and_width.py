"""Finite-width and residual claims: the squared norm of deep ReLU and residual networks.

Each sample is one freshly initialized network (weights from the implementation under test,
``relu`` from it too) applied to a fixed input; the statistic is the squared-norm ratio
``||x_L||^2 / ||x_0||^2``, whose exact mean and variance at every width come from theory (the
layers' ratios are i.i.d.; :mod:`theory.finite_width`, :mod:`theory.residual`). The mean checks
are medians of means sized by that exact variance; their declared effect is 20% of the claimed
moment, which these small widths (8-24) keep practical: at these sizes the claims' own content,
the 5L/N correction and the 2^L growth, is several times larger than that effect.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from properties import decide
from properties import strategies as cs
from properties.checks import gaussian_expectation
from properties.decide import Context
from theory import activations, finite_width, kernels, meanfield, residual

EFFECT = 0.2
"""Declared detectable effect, relative to the claimed moment."""
CHUNK_VALUES = 1 << 21
"""Weights drawn per initializer call: many networks' layers at once, as independent rows."""


def _weights(init: Callable[..., np.ndarray], count: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` independent ``(width, width)`` matrices from one call of a row-i.i.d. initializer.

    A ``(count * width, width)`` weight has fan-in ``width`` and i.i.d. rows, so its blocks of
    ``width`` rows are independent matrices with the law of a ``(width, width)`` weight.
    """
    return init((count * width, width), rng=rng).reshape(count, width, width)


def _chunks(n: int, width: int, layers: int) -> list[int]:
    per_chunk = max(1, CHUNK_VALUES // (width * width * layers))
    return [min(per_chunk, n - start) for start in range(0, n, per_chunk)]


def relu_ratios(impl, width: int, depth: int, power: int, rng: np.random.Generator) -> decide.Sampler:
    """Sampler of ``(||x_L||^2 / ||x_0||^2)^power`` for He-initialized ReLU networks."""
    he = functools.partial(impl.kaiming_normal, nonlinearity="relu")
    x0 = rng.normal(size=width)

    def sampler(n: int) -> np.ndarray:
        out = []
        for count in _chunks(n, width, depth):
            x = np.broadcast_to(x0, (count, width))
            for _ in range(depth):
                x = impl.relu(np.einsum("bij,bj->bi", _weights(he, count, width, rng), x))
            out.append(((x * x).sum(axis=1) / (x0 @ x0)) ** power)
        return np.concatenate(out)

    return sampler


def residual_ratios(impl, width: int, depth: int, alpha: float, rng: np.random.Generator) -> decide.Sampler:
    """Sampler of ``||x_L||^2 / ||x_0||^2`` for residual streams with He-initialized ReLU branches."""
    first = functools.partial(impl.kaiming_normal, nonlinearity="relu")  # sigma_1^2 = 2
    last = functools.partial(impl.kaiming_normal, nonlinearity="linear")  # sigma_2^2 = 1
    first((1, 1), rng=0), last((1, 1), rng=0)  # a target without either gain refuses here, not mid-draw
    x0 = rng.normal(size=width)

    def sampler(n: int) -> np.ndarray:
        out = []
        for count in _chunks(n, width, 2 * depth):
            x = np.broadcast_to(x0, (count, width))
            for _ in range(depth):
                h = impl.relu(np.einsum("bij,bj->bi", _weights(first, count, width, rng), x))
                x = x + alpha * np.einsum("bij,bj->bi", _weights(last, count, width, rng), h)
            out.append((x * x).sum(axis=1) / (x0 @ x0))
        return np.concatenate(out)

    return sampler


@pytest.mark.claim("he-relu-norm-preserved")
@given(width=st.integers(8, 24), depth=st.integers(1, 3), seed=cs.seeds())
@cs.scaled(2)
def test_he_relu_preserves_the_squared_norm(impl, width: int, depth: int, seed: int) -> None:
    mean = finite_width.relu_norm_ratio_moment(width, depth, 1)
    variance = finite_width.relu_norm_ratio_moment(width, depth, 2) - mean**2
    decide.check_mean(
        Context("he-relu-norm-preserved", {"width": width, "depth": depth}, seed),
        relu_ratios(impl, width, depth, 1, np.random.default_rng(seed)),
        mean,
        variance,
        effect=EFFECT * mean,
    )


@pytest.mark.claim("he-relu-fourth-moment")
@given(width=st.integers(16, 20), depth=st.integers(1, 2), seed=cs.seeds())
@cs.scaled(2)
def test_he_relu_fourth_moment_has_the_5_over_n_correction(impl, width: int, depth: int, seed: int) -> None:
    predicted = finite_width.he_relu_fourth_moment(width, depth)
    assert predicted == pytest.approx(finite_width.relu_norm_ratio_moment(width, depth, 2), rel=1e-12)
    variance = finite_width.relu_norm_ratio_moment(width, depth, 4) - predicted**2
    decide.check_mean(
        Context("he-relu-fourth-moment", {"width": width, "depth": depth}, seed),
        relu_ratios(impl, width, depth, 2, np.random.default_rng(seed)),
        predicted,
        variance,
        effect=EFFECT * predicted,
    )


@pytest.mark.parametrize(
    "claim",
    [
        pytest.param(c, marks=pytest.mark.claim(c))
        for c in ("resnet-norm-growth", "resnet-depth-scaled-branch-bounded")
    ],
)
@given(width=st.integers(8, 24), depth=st.integers(1, 4), seed=cs.seeds())
@cs.scaled(2)
def test_residual_stream_growth(impl, claim: str, width: int, depth: int, seed: int) -> None:
    alpha = 1.0 if claim == "resnet-norm-growth" else residual.depth_scaled_branch(depth)
    mean = residual.residual_norm_growth(depth, alpha)
    if claim == "resnet-depth-scaled-branch-bounded":
        assert mean < np.e
    decide.check_mean(
        Context(claim, {"width": width, "depth": depth, "alpha": alpha}, seed),
        residual_ratios(impl, width, depth, alpha, np.random.default_rng(seed)),
        mean,
        residual.residual_norm_ratio_variance(width, depth, alpha),
        effect=EFFECT * mean,
    )


def mean_square_ratios(impl, widths: tuple[int, ...], mode: str, rng: np.random.Generator) -> decide.Sampler:
    """Sampler of the per-unit mean-square ratio of He-initialized ReLU networks of ``widths``.

    Each layer's weights come from one call for many networks. With ``mode="fan_in"`` a
    ``(count * n_out, n_in)`` weight has the fan-in of one layer. With ``"fan_out"`` its fan-out is
    ``count * n_out``: the implementation's variance ``2 / (count * n_out)`` times ``count`` is that
    of one ``(n_out, n_in)`` layer, so the draw is multiplied by ``sqrt(count)`` (a wrong fan in the
    implementation still shows: its variance would not scale as ``1 / count``).
    """
    he = functools.partial(impl.kaiming_normal, mode=mode, nonlinearity="relu")
    x0 = rng.normal(size=widths[0])
    largest = max(widths) ** 2 * (len(widths) - 1)

    def sampler(n: int) -> np.ndarray:
        out = []
        for count in _chunks(n, int(np.sqrt(largest)) + 1, 1):
            x = np.broadcast_to(x0, (count, widths[0]))
            for n_in, n_out in itertools.pairwise(widths):
                w = he((count * n_out, n_in), rng=rng).reshape(count, n_out, n_in)
                if mode == "fan_out":
                    w = w * np.sqrt(count)
                x = impl.relu(np.einsum("bij,bj->bi", w, x))
            out.append(((x * x).mean(axis=1)) / np.mean(x0 * x0))
        return np.concatenate(out)

    return sampler


@pytest.mark.claim("he-either-mode-suffices")
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@given(widths=st.lists(st.integers(8, 24), min_size=2, max_size=4).map(tuple), seed=cs.seeds())
@cs.scaled(2)
def test_he_either_mode_avoids_exponential_growth(
    impl, mode: str, widths: tuple[int, ...], seed: int
) -> None:
    mean = finite_width.relu_mean_square_ratio_moment(widths, 1, mode)
    assert mean == pytest.approx(1.0 if mode == "fan_in" else widths[0] / widths[-1], rel=1e-12)
    variance = finite_width.relu_mean_square_ratio_moment(widths, 2, mode) - mean**2
    decide.check_mean(
        Context("he-either-mode-suffices", {"widths": widths, "mode": mode}, seed),
        mean_square_ratios(impl, widths, mode, np.random.default_rng(seed)),
        mean,
        variance,
        effect=EFFECT * mean,
    )


@pytest.mark.claim("relu-edge-of-chaos-point")
@given(q=st.floats(1e-3, 1e3), sigma_b2=st.floats(1e-3, 1.0))
@cs.scaled(5)
def test_relu_edge_of_chaos_is_a_point(impl, q: float, sigma_b2: float) -> None:
    relu = impl.ACTIVATIONS["relu"]
    slope = gaussian_expectation(lambda v: relu.derivative(v) ** 2, q)
    second = gaussian_expectation(lambda v: relu(v) ** 2, q)
    assert slope == pytest.approx(activations.moment("relu", 2, q, derivative=True), rel=1e-9)
    assert slope == pytest.approx(0.5, rel=1e-9)  # chi_1 = sigma_w^2 / 2 whatever q
    sigma_w2 = meanfield.RELU_CRITICAL_SIGMA_W2
    # at criticality the length map q -> sigma_w^2 E relu^2 + sigma_b^2 adds sigma_b^2 every layer
    assert sigma_w2 * second + sigma_b2 == pytest.approx(q + sigma_b2, rel=1e-9)


@pytest.mark.claim("ntk-two-layer-relu")
@given(d=st.integers(2, 8), seed=cs.seeds())  # d >= 2: x, y are not collinear (a.s.)
@cs.scaled(3)
def test_two_layer_relu_ntk(impl, d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=d), rng.normal(size=d)
    relu = impl.ACTIVATIONS["relu"]

    def kernel_terms(n: int) -> np.ndarray:
        w, a = impl.normal((n, d), 0.0, 1.0, rng=rng), impl.normal((n,), 0.0, 1.0, rng=rng)
        u, v = w @ x, w @ y
        return a**2 * relu.derivative(u) * relu.derivative(v) * (x @ y) + relu(u) * relu(v)

    mean = kernels.relu_ntk(x, y)
    scale = float(np.linalg.norm(x) * np.linalg.norm(y))
    decide.check_mean(
        Context("ntk-two-layer-relu", {"d": d}, seed),
        kernel_terms,
        mean,
        max(0.0, kernels.relu_ntk_term_second_moment(x, y) - mean**2),  # 0 at theta = pi, up to rounding
        effect=0.1 * scale,  # 10% of ||x|| ||y||: Theta(x, x) = ||x||^2
    )


def log_ratios(impl, width: int, depth: int, rng: np.random.Generator) -> decide.Sampler:
    """Sampler of ``log(||x_L||^2 / ||x_0||^2)`` given ``x_L != 0``, drawn once and reused.

    Networks whose output is exactly 0 (a dead layer, probability ``1 - (1 - 2^-N)^L``) are
    discarded: what is left has the conditional law the claims state. Every check takes a prefix
    of the same draws (one sample, several decisions).
    """
    ratios = relu_ratios(impl, width, depth, 1, rng)
    drawn = np.empty(0)

    def sampler(n: int) -> np.ndarray:
        nonlocal drawn
        while drawn.size < n:
            r = ratios(max(1024, n - drawn.size + (n - drawn.size) // 16))
            drawn = np.concatenate([drawn, np.log(r[r > 0])])
        return drawn[:n]

    return sampler


@pytest.mark.claim("he-relu-log-norm-moments")
@given(width=st.integers(8, 12), depth=st.integers(1, 2), seed=cs.seeds())
@cs.scaled(2)
def test_he_relu_log_norm_moments(impl, width: int, depth: int, seed: int) -> None:
    moments = finite_width.relu_log_norm_moments(width, depth)
    logs = log_ratios(impl, width, depth, np.random.default_rng(seed))
    case = {"width": width, "depth": depth}
    # 0.2 in log units: a 20% error of the geometric mean of the squared norm
    decide.check_mean(
        Context("he-relu-log-norm-moments", case, seed), logs, moments.mean, moments.variance, effect=0.2
    )
    decide.check_variance(
        Context("he-relu-log-norm-moments", {**case, "moment": "variance"}, seed),
        logs,
        moments.variance,
        moments.kurtosis,
        mean=moments.mean,
        relative_std=0.3,
    )


@pytest.mark.claim("he-relu-log-norm-gaussian")
@given(width=st.integers(8, 24), depth=st.integers(1, 3), seed=cs.seeds())
@cs.scaled(2)
def test_he_relu_log_norm_is_nearly_gaussian(impl, width: int, depth: int, seed: int) -> None:
    moments = finite_width.relu_log_norm_moments(width, depth)
    distance = finite_width.relu_log_norm_normal_distance(width, depth)
    decide.check_cdf(
        Context("he-relu-log-norm-gaussian", {"width": width, "depth": depth, "distance": distance}, seed),
        log_ratios(impl, width, depth, np.random.default_rng(seed)),
        stats.norm(moments.mean, np.sqrt(moments.variance)),
        effect=0.05,
        allowance=distance + GRID_ERROR,
    )


GRID_ERROR = 1e-3
"""Bound on the error of the convolved CDF (grid of 2^14 points; selftest: two grids agree to 1e-4)."""
