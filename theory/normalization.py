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


def batchnorm_linear_gradient_rate(batch: int) -> float:
    """The mean-field gradient explosion rate of linear BatchNorm layers: ``(B - 2) / (B - 3)``.

    Yang et al. (2019), "A mean field theory of batch normalization", ICLR, arXiv:1902.08129:
    the limit ``N -> inf`` of :func:`batchnorm_linear_gradient_factor`.

    Args:
        batch: the batch size B >= 4.
    """
    b = _batch(batch, 4)
    return (b - 2) / (b - 3)


def _batch(batch: int, least: int) -> int:
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < least:
        raise ValueError(f"batch must be an int >= {least}, got {batch!r}")
    return batch


def batchnorm_linear_gradient_factor(batch: int, width: int) -> float:
    """``E ||dL/dX||^2 / E ||dL/dY||^2 = (B - 2)/(B - 3) (1 - 2/N)`` for ``Y = BN(X W^T)``.

    Derivation (here): the input X (B x N) is at BatchNorm's fixed point, ``X X^T = c^2 G``
    (``G = I - 11^T / B``, ``c^2 = N B / (B - 1)``); the upstream gradient ``g = G z``, ``z ~ N(0, I)``,
    is independent of W (the mean-field gradient independence). Per output channel
    ``h = X w``, ``||h||^2 = t ~ (s^2 c^2 / N) chi^2_{B-1}``; BatchNorm's Jacobian (eps = 0) gives
    ``||J^T g||^2 = B ||P g||^2 / t`` with ``P`` the projection off ``1`` and ``h``
    (``||P g||^2 ~ chi^2_{B-2}``); and ``||w||^2 = t / c^2 + a``, ``a ~ (s^2 / N) chi^2_{N-B+1}``
    independent of ``t``. So ``E ||J^T g||^2 ||w||^2 = (B (B - 2) / c^2) (N - 2) / (B - 3)``;
    divided by ``E ||g||^2 = B - 1``. The channels' cross terms vanish (``h -> -h`` symmetry).

    Args:
        batch: B >= 4.
        width: N >= B (the layer's input width).

    Returns:
        The factor by which the layer multiplies the expected squared gradient norm.
    """
    b, n = _batch(batch, 4), int(width)
    if isinstance(width, bool) or not isinstance(width, int) or n < b:
        raise ValueError(f"width must be an int >= batch = {b}, got {width!r}")
    return batchnorm_linear_gradient_rate(b) * (1 - 2 / n)


def batchnorm_channel_gradient_moments(batch: int, width: int) -> tuple[float, float]:
    """``(E S, E S^2)`` of one output channel's ``S = ||J^T g||^2 ||w||^2 / (B - 1)``.

    Formula: ``S = (B p / c^2) (A / T + 1) / (B - 1)`` with ``p ~ chi^2_{B-2}``,
    ``A ~ chi^2_{N-B+1}``, ``T ~ chi^2_{B-1}`` independent (see
    :func:`batchnorm_linear_gradient_factor`); ``E T^-1 = 1/(B - 3)``,
    ``E T^-2 = 1/((B - 3)(B - 5))``, so B >= 6 for the second moment.

    Args:
        batch: B >= 6.
        width: N >= B.
    """
    b = _batch(batch, 6)
    mean = batchnorm_linear_gradient_factor(b, width)
    n = int(width)
    c2 = n * b / (b - 1)
    k_p, k_a, k_t = b - 2, n - b + 1, b - 1
    ratio_second = (k_a**2 + 2 * k_a) / ((k_t - 2) * (k_t - 4)) + 2 * k_a / (k_t - 2) + 1
    second = (b / c2) ** 2 * (k_p**2 + 2 * k_p) * ratio_second / (b - 1) ** 2
    return mean, second
