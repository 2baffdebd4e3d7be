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
