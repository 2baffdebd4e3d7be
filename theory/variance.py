"""Variance algebra: the identities every initialization scheme is derived from.

References: seed 002 (Glorot & Bengio's derivation), seed 004 (D(XY), D(X+Y)), He et al. (2015)
eq. (7) (the second moment ``E[x^2]``, not ``Var x``), ``theory_claims.md`` S1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from theory._domain import non_negative, positive, positive_int, real


def uniform_variance(a: float) -> float:
    """Variance of U[-a, a]: ``(2a)^2 / 12 = a^2 / 3``.

    References:
        Seed 002, Sec. 4 ("[c - (-c)]^2 / 12 = c^2 / 3"); seed 004, eq. (3).
    """
    a = non_negative(a, "a")
    return a * a / 3.0


def uniform_bound(variance: float) -> float:
    """Bound ``a = sqrt(3 v)`` of the zero-mean uniform with variance ``v``."""
    return math.sqrt(3.0 * non_negative(variance, "variance"))


def product_variance(mean_x: float, var_x: float, mean_y: float, var_y: float) -> float:
    """``Var(XY)`` for independent X, Y.

    Formula: ``Var X Var Y + Var X (E Y)^2 + Var Y (E X)^2``.

    References:
        Seed 002, Sec. 3 derivation; seed 004 ("D(X*Y) = D(X)D(Y) + D(X)[E(Y)]^2 + D(Y)[E(X)]^2").
    """
    mx, my = real(mean_x, "mean_x"), real(mean_y, "mean_y")
    vx, vy = non_negative(var_x, "var_x"), non_negative(var_y, "var_y")
    return vx * vy + vx * my * my + vy * mx * mx


def sum_variance(var_x: float, var_y: float) -> float:
    """``Var(X + Y) = Var X + Var Y`` for independent X, Y (seed 004, identity 3)."""
    return non_negative(var_x, "var_x") + non_negative(var_y, "var_y")


def preactivation_variance(fan_in: int, weight_variance: float, input_second_moment: float) -> float:
    """``Var(sum_i w_i x_i) = n Var(w) E[x^2]`` for iid zero-mean weights independent of x.

    Seed 001 and 002 write ``n Var(w) Var(x)``, which holds only when ``E x = 0``; He et al.
    (2015) eq. (7) use ``E[x^2]``, which is what the next layer sees after a ReLU.
    """
    n = positive_int(fan_in, "fan_in")
    return (
        n
        * non_negative(weight_variance, "weight_variance")
        * non_negative(input_second_moment, "input_second_moment")
    )


def glorot_forward_variances(
    input_variance: float, widths: Sequence[int], weight_variances: Sequence[float]
) -> list[float]:
    """Glorot & Bengio's forward product ``Var[z^i] = Var[x] prod_{j<i} n_j Var[W^j]``.

    Args:
        input_variance: ``Var[x]``.
        widths: ``n_0, ..., n_{d-1}``: each layer's fan-in.
        weight_variances: ``Var[W^0], ..., Var[W^{d-1}]``.

    Returns:
        ``[Var z^1, ..., Var z^d]`` (linear regime ``f'(s) = 1``).

    References:
        Glorot & Bengio (2010), Sec. 4.2.1, eq. (3) (seed 002's eq. (3)).
    """
    if len(widths) != len(weight_variances):
        raise ValueError("widths and weight_variances must have the same length")
    out, value = [], non_negative(input_variance, "input_variance")
    for n, v in zip(widths, weight_variances, strict=True):
        value *= positive_int(n, "widths[i]") * non_negative(v, "weight_variances[i]")
        out.append(value)
    return out


def glorot_backward_variances(
    top_gradient_variance: float, fan_outs: Sequence[int], weight_variances: Sequence[float]
) -> list[float]:
    """Glorot & Bengio's backward product ``Var[dC/ds^i] = Var[dC/ds^d] prod_{j>=i} n_{j+1} Var[W^j]``.

    Args:
        top_gradient_variance: variance of the gradient at the top.
        fan_outs: ``n_{j+1}`` for each weight matrix ``W^j``, bottom to top.
        weight_variances: ``Var[W^j]``, bottom to top.

    Returns:
        Variances of the gradient below each weight matrix, bottom to top.

    References:
        Glorot & Bengio (2010), Sec. 4.2.1, eq. (6); seed 002.
    """
    if len(fan_outs) != len(weight_variances):
        raise ValueError("fan_outs and weight_variances must have the same length")
    out, value = [], non_negative(top_gradient_variance, "top_gradient_variance")
    for n, v in zip(reversed(fan_outs), reversed(weight_variances), strict=True):
        value *= positive_int(n, "fan_outs[i]") * non_negative(v, "weight_variances[i]")
        out.append(value)
    return out[::-1]


def glorot_variance(fan_in: int, fan_out: int) -> float:
    """The compromise ``Var W = 2 / (n_i + n_{i+1})`` of ``n_i Var W = 1`` and ``n_{i+1} Var W = 1``.

    References:
        Glorot & Bengio (2010), eq. (12); seed 002, Sec. 3; seed 004.
    """
    return 2.0 / (positive_int(fan_in, "fan_in") + positive_int(fan_out, "fan_out"))


def glorot_fan_products(fan_in: int, fan_out: int) -> tuple[float, float]:
    """``(n_in Var W, n_out Var W)`` at Glorot's compromise: ``(2 n_in, 2 n_out) / (n_in + n_out)``.

    The two sum to 2 and their product ``4 n_in n_out / (n_in + n_out)^2`` is at most 1 (AM-GM),
    so one is below 1 and the other above unless ``n_in = n_out``: with unequal widths neither
    the forward condition (eq. (10)) nor the backward one (eq. (11)) holds; each layer scales the
    forward variance by the first and the backward variance by the second.

    References:
        Glorot & Bengio (2010), eqs. (10)-(12).
    """
    variance = glorot_variance(fan_in, fan_out)
    return fan_in * variance, fan_out * variance


def glorot_uniform_bound(fan_in: int, fan_out: int) -> float:
    """``sqrt(6) / sqrt(n_i + n_{i+1})``: the uniform bound with Glorot's variance (eq. (16))."""
    return uniform_bound(glorot_variance(fan_in, fan_out))


def he_variance(fan: int, negative_slope: float = 0.0) -> float:
    """``Var W = 2 / ((1 + a^2) n)`` (He et al. 2015, eqs. (10), (15)); a = 0 for ReLU."""
    a = real(negative_slope, "negative_slope")
    return 2.0 / ((1.0 + a * a) * positive_int(fan, "fan"))


def lecun_variance(fan_in: int) -> float:
    """``Var W = 1 / n`` (LeCun et al. 1998; seed 001's "Xavier" N(0, 1/N); seed 004)."""
    return 1.0 / positive_int(fan_in, "fan_in")


def glorot_standard_init_variance(fan_in: int) -> float:
    """Variance of Glorot & Bengio's "standard" U[-1/sqrt n, 1/sqrt n]: ``1 / (3 n)``.

    This is PyTorch's ``nn.Linear``/``nn.ConvNd`` default (``kaiming_uniform(a=sqrt 5)``), so
    ``n Var W = 1/3`` (GB10 eq. (1); seed 002's experiments).
    """
    return uniform_variance(1.0 / math.sqrt(positive_int(fan_in, "fan_in")))


def variance_scaling_variance(scale: float, fan_in: int, fan_out: int, mode: str) -> float:
    """``scale / n`` with n = fan_in, fan_out, their mean, or their geometric mean.

    References:
        JAX ``variance_scaling``; Keras ``VarianceScaling``.
    """
    scale = positive(scale, "scale")
    fi, fo = positive_int(fan_in, "fan_in"), positive_int(fan_out, "fan_out")
    fans = {"fan_in": fi, "fan_out": fo, "fan_avg": (fi + fo) / 2, "fan_geo_avg": math.sqrt(fi * fo)}
    if mode not in fans:
        raise ValueError(f"mode must be one of {sorted(fans)}, got {mode!r}")
    return scale / fans[mode]


def chain_growth(weight: float, depth: int) -> float:
    """``z_n = w^n x`` for a chain of identity units with equal weights (seed 000).

    ``|w| > 1`` explodes, ``|w| < 1`` vanishes, exponentially in depth.
    """
    return real(weight, "weight") ** positive_int(depth, "depth")
