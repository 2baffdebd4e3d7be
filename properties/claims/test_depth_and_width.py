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
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties import decide
from properties import strategies as cs
from properties.decide import Context
from theory import finite_width, residual

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


@pytest.mark.claim("resnet-norm-growth")
@pytest.mark.claim("resnet-depth-scaled-branch-bounded")
@pytest.mark.parametrize("claim", ["resnet-norm-growth", "resnet-depth-scaled-branch-bounded"])
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
