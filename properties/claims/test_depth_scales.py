"""The length and correlation maps and their depth scales, with impls' activations (quadrature;
theory_claims.md S5)."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest
from scipy import integrate

from properties import compare
from properties.checks import gaussian_expectation
from properties.decide import Context
from theory import meanfield


def impls_length_map(impl, q: float, sigma_w2: float, sigma_b2: float, activation: str) -> float:
    return sigma_w2 * gaussian_expectation(lambda v: impl.ACTIVATIONS[activation](v) ** 2, q) + sigma_b2


@pytest.mark.claim("depth-scale-q")
@pytest.mark.parametrize(("sigma_w", "sigma_b"), [(1.2, 0.3), (1.5, 0.05), (2.0, 0.3)])
def test_length_map_converges_at_the_predicted_depth_scale(impl, sigma_w: float, sigma_b: float) -> None:
    q_star = meanfield.fixed_point(sigma_w**2, sigma_b**2, "tanh")
    q, deviations = q_star + 0.5, []
    for _ in range(60):
        q = impls_length_map(impl, q, sigma_w**2, sigma_b**2, "tanh")
        deviations.append(abs(q - q_star))
    rates = [-1 / math.log(b / a) for a, b in pairwise(deviations) if b > 1e-11 and a > 0]
    compare.check_close(
        Context("depth-scale-q", {"sigma_w": sigma_w, "sigma_b": sigma_b, "iterations": 60}),
        rates[-1],
        meanfield.depth_scale_q(sigma_w**2, sigma_b**2, "tanh"),
        rtol=1e-3,
        rule="numerical",
        derivation="local rate of the last iterates above 1e-11; allows the O(|q - q*|) curvature term "
        "and quadrature error (stated, not derived from a bound)",
    )


@pytest.mark.claim("depth-scale-c")
@pytest.mark.claim("relu-correlation-map")
def test_correlations_converge_at_the_predicted_depth_scale(impl) -> None:
    from theory.gaussian import bivariate_expectation

    sigma_w2, sigma_b2 = 1.2**2, 0.3**2  # ordered: c* = 1
    q_star = meanfield.fixed_point(sigma_w2, sigma_b2, "tanh")
    tanh = impl.ACTIVATIONS["tanh"]
    c, gaps = 0.5, []
    for _ in range(80):
        c = (
            sigma_w2 * bivariate_expectation(lambda a, b: tanh(a) * tanh(b), q_star, q_star, c) + sigma_b2
        ) / q_star
        gaps.append(1 - c)
    rate = -1 / math.log(gaps[-1] / gaps[-2])
    compare.check_close(
        Context("depth-scale-c", {"sigma_w2": sigma_w2, "sigma_b2": sigma_b2, "iterations": 80}),
        rate,
        meanfield.depth_scale_c(sigma_w2, sigma_b2, "tanh"),
        rtol=1e-2,
        rule="numerical",
        derivation="local rate after 80 iterations; allows the O(1 - c) curvature term and "
        "Gauss-Hermite error (stated, not derived from a bound)",
    )
    # ReLU at criticality: impls' relu through the bivariate Gaussian (adaptive 2-D quadrature;
    # Gauss-Hermite is inaccurate at the kink) matches the arc-cosine map.
    relu = impl.ACTIVATIONS["relu"]
    for c0 in (-0.5, 0.0, 0.3, 0.9):
        s0 = math.sqrt(1 - c0 * c0)

        def integrand(z2: float, z1: float, c0: float = c0, s0: float = s0) -> float:
            both = relu(np.array([z1, c0 * z1 + s0 * z2]))
            return float(both[0] * both[1]) * math.exp(-(z1 * z1 + z2 * z2) / 2) / (2 * math.pi)

        # the inner integral starts at the kink of relu(u2), so each piece is smooth
        value, error = integrate.dblquad(
            integrand, 0, 12, lambda z1, c0=c0, s0=s0: -c0 * z1 / s0, 12, epsabs=1e-12
        )
        compare.check_close(
            Context("relu-correlation-map", {"c0": c0}),
            2 * value,
            meanfield.relu_correlation_map(c0),
            rtol=0,
            atol=2 * 10 * error + 1e-12,
            rule="numerical",
            derivation="10x the adaptive quadrature's own error estimate",
        )
    c, l_star = 0.0, 10_000
    for _ in range(l_star):
        c = meanfield.relu_correlation_map(c)
    assert l_star**2 * (1 - c) == pytest.approx(meanfield.RELU_CORRELATION_ASYMPTOTE, rel=0.01)
