"""Float64 building blocks accurate to a few ulp over the whole float range.

Error-free transformations (Knuth's TwoSum, Dekker/Veltkamp's TwoProduct) carry the rounding
error of a sum or product as a second double, so that ``exp`` of a product (``exp(-x^2/2)``,
``exp(beta x)``) keeps its full relative accuracy where a rounded argument would cost up to
``|argument|`` ulp. Exponentials that may land among the subnormals are returned as two normal
factors ``a * b`` whose product is rounded once, by the caller, after any other factor: a
subnormal multiplied by ``|x|`` would otherwise carry ``|x|`` half-ulps of error.

References:
    Dekker (1971), "A floating-point technique for extending the available precision";
    Knuth, TAOCP vol. 2, Sec. 4.2.2; Ogita, Rump & Oishi (2005), "Accurate sum and dot product".
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

_SPLITTER = 134217729.0  # 2^27 + 1 (Veltkamp)
_SPLIT_LIMIT = 1e290  # beyond this the splitter overflows; callers clip first

SQRT_2_OVER_PI = (0.7978845608028654, -4.98465440455546e-17)
"""sqrt(2/pi) as a double-double (hi, lo)."""
SQRT_PI_OVER_2 = 1.2533141373155003
INV_SQRT_2PI = 0.3989422804014327
INV_SQRT_2 = 0.7071067811865476


def two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(s, e)`` with ``s = fl(a + b)`` and ``s + e = a + b`` exactly (Knuth)."""
    s = a + b
    v = s - a
    return s, (a - (s - v)) + (b - v)


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(p, e)`` with ``p = fl(a b)`` and ``p + e = a b`` (exactly, for ``|a|, |b| < 1e290``).

    Outside that range, or where the error term is not finite, ``e`` is 0.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    with np.errstate(all="ignore"):
        p = a * b
        a_hi, a_lo = _split(a)
        b_hi, b_lo = _split(b)
        e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    safe = (np.abs(a) < _SPLIT_LIMIT) & (np.abs(b) < _SPLIT_LIMIT) & np.isfinite(e)
    return p, np.where(safe, e, 0.0)


DoubleDouble = tuple[np.ndarray, np.ndarray]


def dd_mul(a: tuple[Any, Any], b: tuple[Any, Any]) -> DoubleDouble:
    """Product of two double-doubles (relative error about 2^-104)."""
    p, e = two_prod(a[0], b[0])
    e = e + (a[0] * b[1] + a[1] * b[0])
    return two_sum(p, e)


def exp_halves(hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(f, g)`` with ``f g = exp(hi + lo)`` to about 1 ulp, each factor normal for ``hi > -1400``.

    ``f = exp(hi/2) (1 + lo)``, ``g = exp(hi/2)``; multiply ``f`` by any other factor first and
    by ``g`` last, so that a subnormal result is rounded once.
    """
    with np.errstate(over="ignore", under="ignore"):
        half = np.exp(0.5 * hi)
        return half * (1.0 + lo), half


def expit(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))`` within 2 ulp, subnormal tail included.

    ``scipy.special.expit`` (within 2 ulp) except below ``x = -700``: there it computes
    ``1 / (1 + exp(-x))`` and underflows to 0 where the exact value is a representable
    subnormal; ``exp(x) / (1 + exp(x))`` does not.
    """
    result = special.expit(x)
    tail = x < -700.0
    if np.any(tail):
        with np.errstate(under="ignore"):
            e = np.exp(x[tail])
            result = np.array(result, copy=True)
            result[tail] = e / (1.0 + e)
    return result


def expit_dd(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """``expit(hi + lo)`` for a double-double argument (first order in ``lo``)."""
    return expit(hi) * (1.0 + lo * expit(-hi))


def log1pexp(y: np.ndarray) -> np.ndarray:
    """``log(1 + exp(y))`` within 2 ulp: ``max(y, 0) + log1p(exp(-|y|))``."""
    with np.errstate(over="ignore", under="ignore"):
        return np.maximum(y, 0.0) + np.log1p(np.exp(-np.abs(y)))


def exp_neg_half_square(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``exp(-x^2 / 2)`` as two factors (see :func:`exp_halves`), ``x^2`` carried exactly."""
    clipped = np.clip(x, -60.0, 60.0)
    square, error = two_prod(clipped, clipped)
    return exp_halves(-0.5 * square, -0.5 * error)


def erfcx(z: np.ndarray) -> np.ndarray:
    """Scaled complementary error function ``exp(z^2) erfc(z)`` (``scipy.special.erfcx``)."""
    return special.erfcx(z)


def times_expit(a: np.ndarray | float, hi: np.ndarray, lo: np.ndarray | float = 0.0) -> np.ndarray:
    """``a expit(hi + lo)`` within a few ulp, rounded once where the result is subnormal.

    Formula: ``a expit(hi) (1 + lo expit(-hi))``; below ``hi = -700``, where ``expit(hi)`` may
    be subnormal, ``((a f) / (1 + f g)) g`` with ``f g = exp(hi + lo)`` (see :func:`exp_halves`).
    """
    hi = np.asarray(hi, np.float64)
    a_array, lo_array = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(lo, np.float64), hi)[:2]
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        result = a_array * expit(hi)
        if np.any(lo_array):
            result = result * (1.0 + lo_array * expit(-hi))
        tail = hi < -700.0
        if tail.any():
            f, g = exp_halves(hi[tail], lo_array[tail])
            result = np.array(result, copy=True)
            result[tail] = ((a_array[tail] * f) / (1.0 + f * g)) * g
    return result
