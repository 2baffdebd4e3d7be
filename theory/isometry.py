"""Dynamical isometry: the spectrum of a deep network's input-output Jacobian.

References: Saxe, McClelland & Ganguli (2013), arXiv:1312.6120; Pennington, Schoenholz &
Ganguli (2017), arXiv:1711.04735; ``theory_claims.md`` S6.
"""

from __future__ import annotations

import math

from scipy import special

from theory._domain import non_negative, positive_int, real


def fuss_catalan_moment(depth: int, k: int) -> float:
    """k-th moment of the limiting spectrum of ``J J^T`` for a Gaussian deep linear net.

    Formula: ``binom((L + 1) k, k) / (L k + 1)`` (Fuss-Catalan numbers); m_1 = 1, m_2 = L + 1.
    """
    depth, k = positive_int(depth, "depth"), positive_int(k, "k")
    return float(special.comb((depth + 1) * k, k, exact=True)) / (depth * k + 1)


def gaussian_linear_spectrum_variance(depth: int) -> float:
    """Variance of the squared singular values of ``J`` for Gaussian weights: ``m_2 - m_1^2 = L``."""
    return fuss_catalan_moment(depth, 2) - fuss_catalan_moment(depth, 1) ** 2


ORTHOGONAL_LINEAR_SPECTRUM_VARIANCE = 0.0
"""Orthogonal deep linear nets: J is orthogonal, every singular value is exactly 1 (Saxe 2013)."""


def jx_norm_moments(width: int, depth: int) -> tuple[float, float]:
    """Exact mean and variance of ``||J x||^2`` for unit x, Gaussian weights N(0, 1/N), width N.

    Formula: ``||Jx||^2 ~ prod_{l<=L} chi^2_N / N`` independently per layer (rotation invariance):
    mean 1, variance ``(1 + 2/N)^L - 1``.
    """
    n, depth = positive_int(width, "width"), positive_int(depth, "depth")
    return 1.0, (1.0 + 2.0 / n) ** depth - 1.0


def jx_log_norm_moments(width: int, depth: int) -> tuple[float, float]:
    """Exact mean and variance of ``log ||J x||^2``: ``L (psi(N/2) + log(2/N))`` and ``L psi'(N/2)``."""
    n, depth = positive_int(width, "width"), positive_int(depth, "depth")
    mean = depth * (special.digamma(n / 2) + math.log(2.0 / n))
    return float(mean), float(depth * special.polygamma(1, n / 2))


def pennington_spectrum_variance(depth: int, mu1: float, mu2: float, s1: float) -> float:
    """``sigma^2_{JJ^T} = L (mu_2 / mu_1^2 - 1 - s_1)`` at criticality (sigma_w^2 mu_1 = 1).

    Args:
        depth: L.
        mu1: ``E phi'(sqrt(q*) z)^2``.
        mu2: ``E phi'(sqrt(q*) z)^4``.
        s1: first S-transform coefficient: -1 Gaussian, 0 orthogonal weights.

    Returns:
        The variance of the spectrum of ``J J^T`` (mean 1).
    """
    depth = positive_int(depth, "depth")
    mu1, mu2 = non_negative(mu1, "mu1"), non_negative(mu2, "mu2")
    return depth * (mu2 / mu1**2 - 1.0 - real(s1, "s1"))


def relu_spectrum_variance(depth: int, weights: str) -> float:
    """ReLU at criticality: phi' in {0, 1} so mu_1 = mu_2 = 1/2: ``2L`` Gaussian, ``L`` orthogonal."""
    s1 = {"gaussian": -1.0, "orthogonal": 0.0}
    if weights not in s1:
        raise ValueError(f"weights must be 'gaussian' or 'orthogonal', got {weights!r}")
    return pennington_spectrum_variance(depth, 0.5, 0.5, s1[weights])
