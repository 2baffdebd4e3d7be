"""Dynamical isometry: Jacobian spectra of deep networks built with impls (theory_claims.md S6)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special, stats

from properties import compare, decide
from properties import strategies as cs
from properties.decide import Context
from properties.simulation import jacobian_spectrum, scaled_weights
from theory import isometry


@pytest.mark.claim("orthogonal-linear-isometry")
@given(width=st.integers(2, 64), depth=st.integers(1, 12), seed=cs.seeds())
def test_orthogonal_linear_nets_are_isometries(impl, width: int, depth: int, seed: int) -> None:
    params = impl.init_mlp([width] * (depth + 1), impl.orthogonal, rng=seed)
    jac = impl.jacobian(params, np.random.default_rng(seed).normal(size=width), "linear")
    singular = np.linalg.svd(jac, compute_uv=False)
    assert np.allclose(singular, 1.0, atol=1e-12 * depth * width)
    assert isometry.ORTHOGONAL_LINEAR_SPECTRUM_VARIANCE == 0.0


@pytest.mark.claim("jx-norm-law")
@given(width=st.integers(2, 24), depth=st.integers(1, 4), seed=cs.seeds())
@cs.scaled(2)
def test_exact_law_of_jacobian_norms(impl, width: int, depth: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    mean_log, var_log = isometry.jx_log_norm_moments(width, depth)

    def log_norms(count: int) -> np.ndarray:
        v = np.zeros((count, width))
        v[:, 0] = 1.0
        for _ in range(depth):
            w = impl.normal((count, width, width), 0.0, 1 / math.sqrt(width), rng=rng)
            v = np.einsum("bij,bj->bi", w, v)
        return np.log(np.einsum("bi,bi->b", v, v))

    decide.check_mean(
        Context("jx-norm-law", {"width": width, "depth": depth}, seed),
        log_norms,
        mean_log,
        var_log,
        effect=0.15 * math.sqrt(var_log) + 0.02,
    )
    mean, var = isometry.jx_norm_moments(width, depth)
    assert (mean, var) == (1.0, pytest.approx((1 + 2 / width) ** depth - 1))
    assert mean_log == pytest.approx(depth * (special.digamma(width / 2) + math.log(2 / width)))


def spectrum_variance(
    impl, activation: str, sigma_w2: float, weights: str, width: int, depth: int, draws: int, seed: int
) -> np.ndarray:
    """``(draws, 2)``: mean and variance of s^2 for ``draws`` networks from ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    spectra = [
        jacobian_spectrum(
            width,
            depth,
            scaled_weights(sigma_w2, weights, implementation=impl),
            activation,
            rng,
            implementation=impl,
        )
        for _ in range(draws)
    ]
    return np.array([[s2.mean(), s2.var()] for s2 in spectra])


@pytest.mark.parametrize(
    ("activation", "sigma_w2", "weights", "claim"),
    [
        pytest.param(*case, marks=pytest.mark.claim(case[-1]))
        for case in (
            ("linear", 1.0, "normal", "gaussian-linear-spectrum"),
            ("relu", 2.0, "normal", "relu-spectrum-variance"),
            ("relu", 2.0, "orthogonal", "relu-spectrum-variance"),
        )
    ],
)
@pytest.mark.parametrize("depth", [1, 2, 4])
def test_jacobian_spectrum_variance(
    impl, activation: str, sigma_w2: float, weights: str, claim: str, depth: int
) -> None:
    """Var of s^2 grows like L (Gaussian linear), 2L (ReLU Gaussian), L (ReLU orthogonal).

    Tolerance: z times the standard error over draws (estimated from the draws, a t-type
    approximation) plus the finite-width bias bound 2 L (L + 1) / N of the 1/N corrections
    (for L = 1, Gaussian: E Var s^2 = 1 + 1/N exactly).
    """
    width, draws = 256, 6
    stats_ = spectrum_variance(impl, activation, sigma_w2, weights, width, depth, draws, seed=depth)
    predicted = (
        isometry.gaussian_linear_spectrum_variance(depth)
        if activation == "linear"
        else isometry.relu_spectrum_variance(depth, "gaussian" if weights == "normal" else "orthogonal")
    )
    z = float(stats.t.isf(1e-9 / 2, draws - 1))
    bias = 2 * depth * (depth + 1) / width * max(1.0, predicted)
    for column, target in ((0, 1.0), (1, predicted)):
        values = stats_[:, column]
        sem = values.std(ddof=1) / math.sqrt(draws)
        compare.check_close(
            Context(
                claim,
                {
                    "activation": activation,
                    "weights": weights,
                    "depth": depth,
                    "width": width,
                    "moment": column + 1,
                },
            ),
            values.mean(),
            target,
            rtol=0,
            atol=z * sem + bias,
            rule="meanfield",
            derivation="t-quantile x standard error over draws + 2L(L+1)/N bias",
        )
