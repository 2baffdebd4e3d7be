"""Initializing in low precision: underflow in float16, and what rounding a draw does to its law.

IEEE binary16 (float16) has 11 significand bits (unit roundoff ``u = 2^-11``) and its smallest
normal number is ``2^-14 ~ 6.1e-5``; below it values are subnormal (spacing ``2^-24``, fewer
significant bits) and below ``2^-25`` they round to zero. bfloat16 keeps float32's exponent
range with 8 significand bits (``u = 2^-8``). A weight of std ``sigma ~ 1/n`` (e.g. a muP or
zero-mean output layer of width n) is largely subnormal in float16 once ``n`` is in the
thousands: ``P(|w| < 2^-14) = 2 Phi(t / sigma) - 1`` with ``t = 2^-14 - 2^-25`` (the midpoint
below the smallest normal, which rounds up).

Rounding a draw ``X ~ N(0, sigma^2)`` to nearest with relative error at most ``u`` moves its CDF
by at most ``u / (1 - u) * sup_y y phi(y) = u / (1 - u) * phi(1)`` in Kolmogorov distance (for
``x > 0``, ``{X <= x / (1 + u)} within {round(X) <= x} within {X <= x / (1 - u)}``, and
``F(x / (1 - u)) - F(x) <= x f(x) u / (1 - u)``; symmetrically for ``x < 0``), plus
``h / (sigma sqrt(2 pi))`` where values below the smallest normal are rounded with absolute
error ``h`` (half the subnormal spacing). Drawing in float32 and rounding once to bfloat16
therefore moves the law by at most ~9.5e-4: harmless for every practical test. Computing the
draw *in* bfloat16 (e.g. an inverse-CDF truncated normal evaluated in bfloat16) is not covered by
this bound, and can distort the law (pytorch/pytorch#145498).

References: IEEE Std 754-2019, Sec. 3.6 (binary16 parameters); Kalamkar et al. (2019), "A study of
BFLOAT16 for deep learning training", arXiv:1905.12322, Sec. 2; Higham (2002), "Accuracy and
stability of numerical algorithms", Sec. 2.2 (rounding to nearest, relative error ``u``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from theory._domain import positive


@dataclass(frozen=True)
class Format:
    """A binary floating-point format's rounding parameters.

    Attributes:
        name: the dtype's name.
        unit_roundoff: ``2^-p`` for p significand bits (round to nearest).
        smallest_normal: the smallest positive normal number.
        subnormal_spacing: the spacing of the subnormal numbers.
    """

    name: str
    unit_roundoff: float
    smallest_normal: float
    subnormal_spacing: float


FLOAT16 = Format("float16", 2.0**-11, 2.0**-14, 2.0**-24)
BFLOAT16 = Format("bfloat16", 2.0**-8, 2.0**-126, 2.0**-133)
FLOAT32 = Format("float32", 2.0**-24, 2.0**-126, 2.0**-149)
FORMATS = {f.name: f for f in (FLOAT16, BFLOAT16, FLOAT32)}
"""The formats by dtype name."""


def subnormal_probability(std: float, fmt: Format = FLOAT16) -> float:
    """``P(|round(X)| < smallest normal)`` for ``X ~ N(0, std^2)``: subnormal or zero after rounding.

    Formula: ``2 Phi(t / std) - 1`` with ``t = smallest_normal - subnormal_spacing / 2`` (values
    above the midpoint below the smallest normal round up to it).

    Args:
        std: the normal law's standard deviation.
        fmt: the format rounded to.

    Returns:
        The probability that a rounded draw is subnormal or zero.
    """
    t = fmt.smallest_normal - fmt.subnormal_spacing / 2
    return float(2 * stats.norm.cdf(t / positive(std, "std")) - 1)


def zero_probability(std: float, fmt: Format = FLOAT16) -> float:
    """``P(round(X) = 0)`` for ``X ~ N(0, std^2)``: ``2 Phi(h / std) - 1``, h half the subnormal spacing."""
    return float(2 * stats.norm.cdf(fmt.subnormal_spacing / 2 / positive(std, "std")) - 1)


def rounding_kolmogorov_bound(std: float, fmt: Format, drawn_in: Format | None = FLOAT32) -> float:
    """A bound on the Kolmogorov distance between ``N(0, std^2)`` and its draws rounded to ``fmt``.

    Formula: ``u / (1 - u) * phi(1) + h / (std sqrt(2 pi))`` with ``u`` the relative error of the
    rounding (``(1 + u_draw)(1 + u_fmt) - 1`` when the draw is first rounded to ``drawn_in``) and
    ``h`` half the subnormal spacing of ``fmt``.

    Args:
        std: the normal law's standard deviation.
        fmt: the format of the returned values.
        drawn_in: the format the draw was made in before rounding once to ``fmt`` (None: exact).

    Returns:
        ``sup_x |P(round(X) <= x) - Phi(x / std)|`` is at most this.
    """
    std = positive(std, "std")
    u = fmt.unit_roundoff if drawn_in is None else (1 + drawn_in.unit_roundoff) * (1 + fmt.unit_roundoff) - 1
    return u / (1 - u) * float(stats.norm.pdf(1.0)) + fmt.subnormal_spacing / 2 / (
        std * math.sqrt(2 * math.pi)
    )


def law_rounding_constants(family: str, scale: float, bound: float = 2.0) -> tuple[float, float]:
    """``(sup_{y>0} y f(y), sup f)`` of a zero-mean symmetric law whose density decreases on y > 0.

    Formula: normal N(0, s^2): ``(phi(1), 1 / (s sqrt(2 pi)))``; uniform U(-a, a) (``scale = a``):
    ``(1/2, 1/(2a))``; normal of scale s truncated to ``(-b s, b s)`` (``bound = b``), Z = 2 Phi(b)
    - 1: ``(max_{t <= b} t phi(t) / Z, phi(0) / (s Z))``, the max at ``t = min(1, b)``.

    Args:
        family: ``"normal"``, ``"uniform"`` or ``"truncated_normal"``.
        scale: s (normal, truncated normal) or the bound a (uniform), ``> 0``.
        bound: b, the truncation in units of s (truncated normal only).

    Returns:
        The two constants :func:`law_rounding_kolmogorov_bound` needs.
    """
    s = positive(scale, "scale")
    if family == "normal":
        return float(stats.norm.pdf(1.0)), float(stats.norm.pdf(0.0)) / s
    if family == "uniform":
        return 0.5, 0.5 / s
    if family == "truncated_normal":
        b = positive(bound, "bound")
        z = float(2 * stats.norm.cdf(b) - 1)
        t = min(1.0, b)
        return t * float(stats.norm.pdf(t)) / z, float(stats.norm.pdf(0.0)) / (s * z)
    raise ValueError(f"family must be normal, uniform or truncated_normal, got {family!r}")


def law_rounding_kolmogorov_bound(
    family: str, scale: float, fmt: Format, drawn_in: Format | None = FLOAT32, bound: float = 2.0
) -> float:
    """A bound on the Kolmogorov distance between a symmetric law and its draws rounded to ``fmt``.

    Formula: for x > 0, ``{X <= x / (1 + u)}`` within ``{round(X) <= x}`` within ``{X <= x / (1 -
    u)}``, and a density non-increasing on y > 0 gives ``F(x / (1 - u)) - F(x) <= u / (1 - u) x
    f(x)`` and ``F(x) - F(x / (1 + u)) <= u sup y f(y)``: the distance is at most ``u / (1 - u)
    sup y f(y) + h sup f`` (h: half the subnormal spacing of ``fmt``, the absolute error below its
    smallest normal); ``u = (1 + u_draw)(1 + u_fmt) - 1`` for a draw in ``drawn_in`` rounded once.
    The normal case is :func:`rounding_kolmogorov_bound`.

    Args:
        family: ``"normal"``, ``"uniform"`` or ``"truncated_normal"``.
        scale: see :func:`law_rounding_constants`.
        fmt: the format of the returned values.
        drawn_in: the format the draw was made in (None: exact).
        bound: the truncation in units of the scale (truncated normal).

    Returns:
        The bound.
    """
    sup_xf, sup_f = law_rounding_constants(family, scale, bound)
    u = fmt.unit_roundoff if drawn_in is None else (1 + drawn_in.unit_roundoff) * (1 + fmt.unit_roundoff) - 1
    return u / (1 - u) * sup_xf + fmt.subnormal_spacing / 2 * sup_f


def inverse_cdf_draw_distance(fmt: Format) -> float:
    """The Kolmogorov distance between N(0, s^2) and ``s Phi^-1(round_fmt(U))``, U uniform on (0, 1).

    Formula: rounding U to nearest on the format's grid makes ``P(round(U) <= g)`` the midpoint
    between g and the next grid point, so ``sup_u |P(round(U) <= u) - u|`` is half the largest
    spacing of the grid in (0, 1): ``u_fmt / 2`` (the spacing in [1/2, 1) is ``2^-p = u``). The
    inverse CDF is monotone, so the distance carries over to the normal draw: a draw made *in*
    the format (not rounded from float32) moves the law by ``u/2``, 2^-9 ~ 2e-3 for bfloat16.

    Args:
        fmt: the format the uniform is rounded to.

    Returns:
        ``u / 2``.
    """
    return fmt.unit_roundoff / 2
