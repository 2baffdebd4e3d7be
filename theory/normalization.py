"""Normalization layers at initialization: the moments of their outputs and their scale invariance.

For any input group with mean ``mu`` and biased variance ``s^2`` (over the normalized
dimensions), ``(x - mu) / sqrt(s^2 + eps)`` has mean exactly 0 and variance exactly
``s^2 / (s^2 + eps)``; RMS normalization gives a mean square ``m / (m + eps)`` for an input
mean square ``m``. With ``eps = 0`` the output does not change when the input is scaled by
``c > 0``, so a loss ``f(W)`` of a normalized layer ``LN(W x)`` is scale invariant: its gradient
is orthogonal to ``W`` (Euler's identity for a degree-0 homogeneous function) and scales as
``1 / c`` (``grad f(c W) = grad f(W) / c``).

References: Ioffe & Szegedy (2015), arXiv:1502.03167, Algorithm 1; Ba, Kiros & Hinton (2016),
arXiv:1607.06450; Zhang & Sennrich (2019), arXiv:1910.07467; van Laarhoven (2017),
"L2 regularization versus batch and weight normalization", arXiv:1706.05350, eqs. (4)-(6);
Arora, Li & Lyu (2019), "Theoretical analysis of auto rate-tuning by batch normalization", ICLR,
arXiv:1812.03981, Lemma 2.4.
"""

from __future__ import annotations

from theory._domain import non_negative, positive


def normalized_variance(variance: float, eps: float) -> float:
    """The biased variance of a normalized group: ``s^2 / (s^2 + eps)``.

    Args:
        variance: the group's biased variance ``s^2`` >= 0.
        eps: the layer's epsilon >= 0 (``s^2 + eps`` must be > 0).

    Returns:
        The output's variance (its mean is exactly 0).
    """
    variance, eps = non_negative(variance, "variance"), non_negative(eps, "eps")
    return variance / positive(variance + eps, "variance + eps")


def rms_normalized_mean_square(mean_square: float, eps: float) -> float:
    """The mean square of an RMS-normalized group: ``m / (m + eps)``.

    Args:
        mean_square: the group's mean square ``m`` >= 0.
        eps: the layer's epsilon >= 0.

    Returns:
        The output's mean square.
    """
    mean_square, eps = non_negative(mean_square, "mean_square"), non_negative(eps, "eps")
    return mean_square / positive(mean_square + eps, "mean_square + eps")


SCALE_INVARIANT_GRADIENT_EXPONENT = -1
"""``grad f(c W) = c^(-1) grad f(W)`` for a degree-0 homogeneous loss (Arora, Li & Lyu 2019)."""


def dropout_second_moment_factor(p: float) -> float:
    """``E[dropout(x)^2] / x^2 = 1 / (1 - p)`` for inverted dropout with drop probability p.

    With dropout on a layer's input the length map becomes ``q = sigma_w^2 E[phi^2] / (1 - p) +
    sigma_b^2`` (Schoenholz et al. 2017, Sec. 6): the fixed point and the critical line move.

    Args:
        p: the drop probability, in [0, 1).

    Returns:
        The factor by which dropout multiplies the second moment (its mean is unchanged).
    """
    p = non_negative(p, "p")
    if p >= 1:
        raise ValueError(f"p must be < 1, got {p}")
    return 1.0 / (1.0 - p)
