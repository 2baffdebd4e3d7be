"""Dynamical isometry: the spectrum of a deep network's input-output Jacobian.

References: Saxe, McClelland & Ganguli (2013), arXiv:1312.6120; Pennington, Schoenholz &
Ganguli (2017), arXiv:1711.04735; ``theory_claims.md`` S6.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from scipy import special

from theory import activations, meanfield
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


S1 = MappingProxyType({"gaussian": -1.0, "orthogonal": 0.0})
"""First coefficient of the S-transform of ``W W^T`` (Pennington et al. 2017, Sec. 2.3): -1 for
Gaussian weights (the free Poisson law), 0 for orthogonal ones (every singular value 1)."""


def _s1(weights: str) -> float:
    if weights not in S1:
        raise ValueError(f"weights must be 'gaussian' or 'orthogonal', got {weights!r}")
    return S1[weights]


def relu_spectrum_variance(depth: int, weights: str) -> float:
    """ReLU at criticality: phi' in {0, 1} so mu_1 = mu_2 = 1/2: ``2L`` Gaussian, ``L`` orthogonal."""
    return pennington_spectrum_variance(depth, 0.5, 0.5, _s1(weights))


@dataclass(frozen=True)
class CriticalPoint:
    """A network on the order-to-chaos line at ``sigma_b = 0``: ``sigma_w^2`` and the fixed point q*."""

    activation: str
    sigma_w2: float
    q_star: float


CRITICAL = MappingProxyType(
    {
        # linear: chi_1 = sigma_w^2; any q is a fixed point at sigma_w^2 = 1 (q* = 0 taken).
        "linear": CriticalPoint("linear", meanfield.critical_sigma_w(0.0, "linear") ** 2, 0.0),
        # tanh: sigma_w = 1/phi'(0) = 1 and q* = 0 (Poole et al. 2016, Sec. 3).
        "tanh": CriticalPoint("tanh", meanfield.critical_sigma_w(0.0, "tanh") ** 2, 0.0),
        # ReLU: positively homogeneous, any q is a fixed point at sigma_w^2 = 2 (q* = 1 taken).
        "relu": CriticalPoint("relu", meanfield.RELU_CRITICAL_SIGMA_W2, 1.0),
    }
)
"""The critical points at which the benchmark measures Jacobian spectra."""


def critical_spectrum_variance(activation: str, weights: str, depth: int) -> float:
    """``sigma^2_{JJ^T}`` at the critical point of ``activation`` (Pennington et al. eq. (15)).

    Formula: ``L (mu_2 / mu_1^2 - 1 - s_1)`` with ``mu_k = E phi'(sqrt(q*) z)^(2k)`` and ``s_1``
    from :data:`S1`: linear and tanh (q* = 0) give ``L`` Gaussian, 0 orthogonal; ReLU ``2L``, ``L``.
    """
    if activation not in CRITICAL:
        raise ValueError(f"activation must be one of {sorted(CRITICAL)}, got {activation!r}")
    if activation == "relu":
        return relu_spectrum_variance(depth, weights)  # closed-form mu_1 = mu_2 = 1/2
    q_star = CRITICAL[activation].q_star
    mu1 = activations.moment(activation, 2, q_star, derivative=True)
    mu2 = activations.moment(activation, 4, q_star, derivative=True)
    return pennington_spectrum_variance(depth, mu1, mu2, _s1(weights))


_MAX_RULE_POINTS = 4_000_000


def tied_gaussian_rnn_moment(width: int, steps: int, power: int = 1) -> float:
    """``E (||W^t h||^2 / ||h||^2)^power`` for one ``n x n`` matrix W with iid N(0, 1/n) entries.

    A linear recurrence ``h_t = W h_{t-1}`` reuses the same W at every step, so unlike a product
    of independent layers (``E ||x_L||^2 = ||x_0||^2`` exactly, :func:`jx_norm_moments`) its
    second moment is not preserved at finite width: ``1`` at ``t = 1`` and ``1 + 2/n^2`` at
    ``t = 2`` (Wick: the two pairings that tie an entry to itself), growing with t (n = 2: 1, 1.5,
    4, 14.5 for t = 1..4; n = 1: ``(2t - 1)!!``). By the orthogonal invariance of W the moment
    does not depend on h.

    Formula: the quantity is a polynomial of degree ``2 t power`` in the ``n^2`` entries, so a
    product Gauss-Hermite rule with ``t power + 1`` nodes per entry is exact (up to rounding).

    Args:
        width: n >= 1, with ``(t power + 1)^(n^2)`` at most 4e6 (n <= 3 in practice).
        steps: t >= 1.
        power: 1 (the mean) or 2 (the second moment).

    Returns:
        The moment.

    References:
        Isserlis/Wick theorem; Le, Jaitly & Hinton (2015), arXiv:1504.00941 (IRNN) and Saxe et
        al. (2014), arXiv:1312.6120, for the orthogonal alternative that preserves ``||h||``.
    """
    n, t = positive_int(width, "width"), positive_int(steps, "steps")
    if power not in (1, 2):
        raise ValueError(f"power must be 1 or 2, got {power!r}")
    nodes_per_entry = t * power + 1
    if nodes_per_entry ** (n * n) > _MAX_RULE_POINTS:
        raise ValueError(
            f"width={n}, steps={t}, power={power} needs more than {_MAX_RULE_POINTS:,} rule points"
        )
    z, w = np.polynomial.hermite_e.hermegauss(nodes_per_entry)
    w = w / math.sqrt(2 * math.pi)
    index = np.array(list(itertools.product(range(nodes_per_entry), repeat=n * n - 1)), dtype=int)
    index = index.reshape(-1, n * n - 1) if n > 1 else np.zeros((1, 0), dtype=int)
    total = 0.0
    for first in range(nodes_per_entry):  # one slice of the first entry at a time (memory)
        entries = np.concatenate([np.full((len(index), 1), z[first]), z[index]], axis=1) / math.sqrt(n)
        weights = w[first] * np.prod(w[index], axis=1)
        v = np.zeros((len(index), n))
        v[:, 0] = 1.0
        matrices = entries.reshape(-1, n, n)
        for _ in range(t):
            v = np.einsum("bij,bj->bi", matrices, v)
        total += float(np.sum(weights * np.sum(v * v, axis=1) ** power))
    return total
