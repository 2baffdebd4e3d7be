"""Haar-distributed orthogonal matrices, and what uncorrected QR produces instead.

References: Mezzadri (2007), Notices AMS 54(5), arXiv:math-ph/0609050, "A correct and efficient
algorithm"; Diaconis & Shahshahani (1994); ``theory_claims.md`` S7.
"""

from __future__ import annotations

from typing import Any

from scipy import stats

from theory._domain import positive_int

TRACE_MEAN = 0.0
"""E tr Q = 0 for Haar Q in O(n), every n >= 1."""
TRACE_VARIANCE = 1.0
"""Var tr Q = E (tr Q)^2 = 1 for every n >= 1 (E[Q_ij Q_kl] = delta_ik delta_jl / n)."""
DET_PLUS_PROBABILITY = 0.5
"""P(det Q = +1) = 1/2: Haar measure gives both components of O(n) equal mass."""
NEGATIVE_ENTRY_PROBABILITY = 0.5
"""P(Q_11 < 0) = 1/2 (Q -> -Q preserves Haar measure)."""


def entry_square_law(n: int) -> Any:
    """``Q_11^2 ~ Beta(1/2, (n - 1)/2)`` (a column is uniform on the sphere S^{n-1}); n >= 2."""
    n = positive_int(n, "n")
    if n < 2:
        raise ValueError("n must be >= 2 for a non-degenerate Beta law")
    return stats.beta(0.5, (n - 1) / 2.0)


def entry_square_moments(n: int) -> tuple[float, float]:
    """Mean ``1/n`` and variance of ``Q_11^2`` (from the Beta law)."""
    law = entry_square_law(n)
    return float(law.mean()), float(law.var())


def trace_fourth_moment_bound() -> float:
    """E (tr Q)^4 <= 3 for Haar Q (= 3 for n >= 4; Diaconis & Shahshahani 1994).

    Used as the variance bound ``Var (tr Q)^2 <= 3 - 1 = 2`` in the trace variance check.
    """
    return 3.0


def naive_qr_determinant(n: int) -> float:
    """det Q of LAPACK's Householder QR of a Gaussian matrix: ``(-1)^(n-1)``, always."""
    return float((-1) ** (positive_int(n, "n") - 1))
