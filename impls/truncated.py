"""The sampling engine behind :func:`impls.truncated_normal`: N(mean, std^2) truncated to (a, b).

What it returns is the law *as it can be stored*: a draw is rounded once to ``dtype`` and kept
only if it lies strictly inside ``(a, b)`` and is finite. The engine therefore samples the exact
law truncated to the *representable region* ``R`` (the reals that round to such values: ``(a, b)``
moved inwards by half an ulp of ``dtype`` at each bound and clipped at the dtype's overflow
threshold), so no call waits on rejections that almost never succeed. Three samplers, chosen by
where R lies (all accept a fixed fraction of their proposals, so time is linear in the size):

- R holds more than 30% of the normal's mass: draw N(mean, std^2), resample the draws outside
  (PyTorch's method, block by block while the block is in cache);
- the mean lies inside R but R holds little mass (R is narrow): a uniform proposal on R,
  accepted with probability ``exp(-z^2 / 2)`` (PyTorch's method for small mass);
- R lies on one side of the mean (a tail): the offset ``t`` from R's near edge, in units of
  ``std``, has density proportional to ``exp(-z0 t - t^2 / 2)`` on ``(0, w)``; a truncated
  exponential proposal with Robert's rate, accepted with the exact ratio. Working with the
  offset, never with ``mean + std z``, keeps far tails exact (``mean = 1e9, a = -1, b = 1``).

Where less than a fraction 2^-53 of the mass falls in R (the law is, to float64 precision, a point
on a bound or beyond the dtype's range) the law cannot be represented and a ``ValueError`` says so.

References:
    Robert (1995), "Simulation of truncated normal variables", Statistics and Computing 5;
    PyTorch ``torch/nn/init.py::trunc_normal_`` (PR #174997).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from scipy import special

from impls._validation import largest, working_dtype

BLOCK = 1 << 15
"""Elements drawn and tested at a time by the normal proposal (256 KiB of float64: fits in L2)."""

NORMAL_PROPOSAL_MASS = 0.3
"""Use the normal proposal when the region holds more than this much mass (PyTorch's rule)."""

SMALLEST_FRACTION = 2.0**-53
"""Refuse a law of which a smaller fraction rounds strictly inside (a, b): below float64's
resolution of the total mass, the representable part is not distinguishable from nothing."""

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF = math.sqrt(0.5)


def standard_truncated_std(bound: float) -> float:
    """Standard deviation of N(0, 1) truncated to (-bound, bound), from erf alone.

    Formula: Var = 1 - 2 b phi(b) / (2 Phi(b) - 1), with Phi(b) = (1 + erf(b / sqrt 2)) / 2.
    """
    mass = math.erf(bound / math.sqrt(2.0))
    density = math.exp(-0.5 * bound * bound) / math.sqrt(2.0 * math.pi)
    return math.sqrt(1.0 - 2.0 * bound * density / mass)


# --------------------------------------------------------------------------------------------
# Masses, in logs, without overflow, underflow or cancellation
# --------------------------------------------------------------------------------------------


def _log1mexp(x: float) -> float:
    """``log(1 - exp(x))`` for ``x <= 0`` (Maechler 2012)."""
    if x >= 0.0:
        return -math.inf
    return math.log(-math.expm1(x)) if x > -math.log(2.0) else math.log1p(-math.exp(x))


def _log_tail_integral(z0: float, width: float) -> float:
    """``log of the integral of exp(-z0 t - t^2 / 2) over t in (0, width)``, ``z0 >= 0``.

    Formula: the integral is ``sqrt(pi / 2) erfcx(z0 / sqrt 2) (1 - exp(d))`` with
    ``d = -(z0 w + w^2 / 2) + log erfcx((z0 + w) / sqrt 2) - log erfcx(z0 / sqrt 2)``; for
    ``w (z0 + 1) < 1e-3`` the midpoint rule (relative error below 1e-7) avoids cancellation.
    """
    if not width > 0.0 or math.isinf(z0):
        return -math.inf
    if width * (z0 + 1.0) < 1e-3:
        half = 0.5 * width
        return math.log(width) - (z0 * half + 0.5 * half * half)
    base = 0.5 * math.log(math.pi / 2.0) + math.log(special.erfcx(z0 * _SQRT_HALF))
    exponent = -(z0 * width + 0.5 * width * width)
    if not exponent > -1500.0:  # exp(d) underflows: the integral runs to infinity
        return base
    far = special.erfcx((z0 + width) * _SQRT_HALF) / special.erfcx(z0 * _SQRT_HALF)
    return base + _log1mexp(exponent + math.log(far))


def _log_normal_density(z: float) -> float:
    return -0.5 * z * z - _LOG_SQRT_2PI


def log_mass(z_low: float, z_high: float) -> float:
    """``log(Phi(z_high) - Phi(z_low))`` for ``z_low < z_high`` (either may be infinite)."""
    if z_low < 0.0 < z_high:
        return math.log(0.5 * (math.erf(z_high * _SQRT_HALF) + math.erf(-z_low * _SQRT_HALF)))
    near, far = (z_low, z_high) if z_low >= 0.0 else (-z_high, -z_low)
    if math.isinf(near):
        return -math.inf
    return _log_normal_density(near) + _log_tail_integral(near, far - near)


# --------------------------------------------------------------------------------------------
# The representable region
# --------------------------------------------------------------------------------------------


class Region(NamedTuple):
    """The reals that round to finite values of ``dtype`` strictly inside ``(a, b)``.

    ``(low + low_shift, high - high_shift)`` in exact arithmetic: ``low``/``high`` are float64
    (``a``/``b``, or the overflow threshold where a bound lies beyond it) and the shifts (half an
    ulp of ``dtype`` or less) are kept apart so that float64 does not round them away.
    """

    low: float
    low_shift: float
    high: float
    high_shift: float
    low_stored: np.generic
    high_stored: np.generic


def scaled_difference(x: float, y: float, std: float) -> float:
    """``(x - y) / std`` without a spurious overflow of ``x - y`` (it may still be infinite)."""
    difference = x - y
    if math.isfinite(difference):
        return difference / std
    return (0.5 * x - 0.5 * y) / std * 2.0


class Standardized(NamedTuple):
    """A region in units of ``std`` from the mean: its edges and its width."""

    z_low: float
    z_high: float
    width: float


def standardize(where: Region, mean: float, std: float) -> Standardized:
    """The region's edges ``(edge - mean) / std`` and width, the half-ulp shifts included."""
    z_low, z_high = scaled_difference(where.low, mean, std), scaled_difference(where.high, mean, std)
    span = scaled_difference(where.high, where.low, std)
    # An infinite edge or span stays infinite: its shift (at most half an ulp) cannot matter.
    if math.isfinite(z_low):
        z_low += where.low_shift / std
    if math.isfinite(z_high):
        z_high -= where.high_shift / std
    if math.isfinite(span):
        span -= (where.low_shift + where.high_shift) / std
    return Standardized(z_low, z_high, span)


def region(a: float, b: float, dtype: np.dtype) -> Region:
    """The representable region of ``(a, b)`` in ``dtype``; ``ValueError`` if it is empty."""
    with np.errstate(over="ignore"):
        low_stored, high_stored = np.array([a, b]).astype(dtype)
    if not np.nextafter(low_stored, high_stored) < high_stored:
        raise ValueError(f"a must be < b with a finite {dtype} value strictly between them, got a={a}, b={b}")
    top = largest(dtype)
    if math.isinf(top * 2.0):  # float64: every finite float64 a, b is stored as itself
        threshold = math.inf
    else:
        below_top = float(np.nextafter(dtype.type(top), dtype.type(0)))
        threshold = top + 0.5 * (top - below_top)
    if np.isinf(low_stored):
        low, low_shift = -threshold, 0.0
    else:
        up = float(np.nextafter(low_stored, high_stored))
        low, low_shift = a, max(0.0, (float(low_stored) - a) + 0.5 * (up - float(low_stored)))
    if np.isinf(high_stored):
        high, high_shift = threshold, 0.0
    else:
        down = float(np.nextafter(high_stored, low_stored))
        high, high_shift = b, max(0.0, (b - float(high_stored)) + 0.5 * (float(high_stored) - down))
    return Region(low, low_shift, high, high_shift, low_stored, high_stored)


def _log_fraction(mean: float, std: float, a: float, b: float, where: Region) -> tuple[float, float]:
    """``(log mass of the region, log of the fraction of (a, b)'s mass in it)``."""
    z_a, z_b = scaled_difference(a, mean, std), scaled_difference(b, mean, std)
    if z_a == math.inf or z_b == -math.inf:
        return -math.inf, -math.inf  # (a, b) beyond float64's reach of the mean
    z_low, z_high, width_region = standardize(where, mean, std)
    if not (z_low < z_high and width_region > 0.0):
        return -math.inf, -math.inf
    log_region = log_mass(z_low, z_high)
    if z_a >= 0.0 or z_b <= 0.0:
        # (a, b) in a tail: both masses relative to the density at the bound nearer the mean,
        # so that a common factor exp(-z^2 / 2) that underflows cancels exactly.
        if z_a >= 0.0:
            near = z_a
            gap = scaled_difference(where.low, a, std) + where.low_shift / std
        else:
            near = -z_b
            gap = scaled_difference(b, where.high, std) + where.high_shift / std
        log_ratio = -(near * gap + 0.5 * gap * gap) + _log_tail_integral(near + gap, width_region)
        return log_region, log_ratio - _log_tail_integral(near, scaled_difference(b, a, std))
    return log_region, log_region - log_mass(z_a, z_b)


# --------------------------------------------------------------------------------------------
# The three samplers
# --------------------------------------------------------------------------------------------


def _inside(values: np.ndarray, low: np.generic, high: np.generic) -> np.ndarray:
    return (values > low) & (values < high)


def _outside(values: np.ndarray, low: Any, high: Any) -> np.ndarray:
    """Indices of values not strictly inside (low, high); one ``|x| >= high`` test if symmetric."""
    if low == -high:
        return np.flatnonzero(np.abs(values) >= high)
    return np.flatnonzero(~_inside(values, low, high))


def _normal_into(
    out: np.ndarray, generator: np.random.Generator, mean: float, std: float, work: np.dtype
) -> None:
    """Fill ``out`` with N(mean, std^2) draws made in ``work`` and rounded once to its dtype."""
    block = out if out.dtype == work else np.empty(out.shape, dtype=work)
    generator.standard_normal(out=block, dtype=work)
    with np.errstate(over="ignore"):  # a draw that overflows is outside (a, b): resampled
        if std != 1.0:
            block *= work.type(std)
        if mean != 0.0:
            block += work.type(mean)
        if block is not out:
            out[...] = block


def _by_normal_proposal(
    size: int,
    generator: np.random.Generator,
    mean: float,
    std: float,
    mass: float,
    where: Region,
    dtype: np.dtype,
) -> np.ndarray:
    work = working_dtype(dtype)
    if work != np.float64 and abs(mean) + 16.0 * std > largest(work):
        work = np.dtype(np.float64)
    low, high = where.low_stored, where.high_stored
    out = np.empty(size, dtype=dtype)
    rejected = []
    for start in range(0, size, BLOCK):
        block = out[start : start + BLOCK]
        _normal_into(block, generator, mean, std, work)
        bad = _outside(block, low, high)
        if bad.size:
            rejected.append(bad + start)
    pending = np.concatenate(rejected) if rejected else np.empty(0, dtype=np.intp)
    for _ in _rounds():
        if not pending.size:
            break
        # Resample the few rejects, oversampled so that one or two rounds suffice.
        fresh = np.empty(math.ceil(1.1 * pending.size / mass) + 16, dtype=dtype)
        _normal_into(fresh, generator, mean, std, work)
        fresh = fresh[_inside(fresh, low, high)][: pending.size]
        out[pending[: fresh.size]] = fresh
        pending = pending[fresh.size :]
    if pending.size:  # pragma: no cover - the acceptance rates make this unreachable
        raise RuntimeError(f"truncated normal sampler made no progress (mean={mean}, std={std})")
    return out


def _uniform_proposal(
    generator: np.random.Generator, count: int, mean: float, std: float, where: Region
) -> np.ndarray:
    """Up to ``count`` draws on a narrow region holding the mean: U(region), kept w.p. exp(-z^2/2)."""
    low, high = where.low + where.low_shift, where.high - where.high_shift
    middle, half = 0.5 * low + 0.5 * high, 0.5 * high - 0.5 * low
    x = middle + half * generator.uniform(-1.0, 1.0, count)
    z = 2.0 * ((0.5 * x - 0.5 * mean) / std)
    return x[-generator.standard_exponential(count) <= -0.5 * z * z]


def _tail_proposal(
    generator: np.random.Generator, count: int, mean: float, std: float, where: Region
) -> np.ndarray:
    """Up to ``count`` draws on a region that lies entirely on one side of the mean.

    The offset ``t`` from the near edge (units of std) has density ~ exp(-z0 t - t^2 / 2) on
    (0, w). Proposal: Exp(rate) truncated to (0, w) by inversion, rate = (z0 + sqrt(z0^2 + 4)) / 2
    (Robert 1995); accepted with the ratio target / proposal over its maximum, at ``t = m`` with
    ``m = rate - z0 = 2 / (sqrt(z0^2 + 4) + z0)`` (or at ``w`` if ``w < m``).
    """
    z_low, z_high, width = standardize(where, mean, std)
    above = z_low >= 0.0
    edge, shift, z0 = (
        (where.low, where.low_shift, z_low) if above else (where.high, where.high_shift, -z_high)
    )
    root = math.hypot(z0, 2.0)
    rate, peak = (z0 + root) / 2.0, 2.0 / (root + z0)
    t = -np.log1p(generator.random(count) * math.expm1(-rate * width)) / rate
    # The ratio peaks at t = peak inside (0, w), else at w.
    at_peak = peak <= width
    log_ratio = -0.5 * (t - peak) ** 2 if at_peak else (t - width) * (peak - 0.5 * (t + width))
    t = t[-generator.standard_exponential(count) <= log_ratio]
    offset = shift + std * t
    return edge + offset if above else edge - offset


def _rounds(limit: int = 1000) -> range:
    """Rounds of resampling allowed: every sampler accepts a fixed fraction (over 10%) of its
    proposals, so ``limit`` rounds end the work with certainty; reaching it is a bug."""
    return range(limit)


def sample(
    size: int, mean: float, std: float, a: float, b: float, generator: np.random.Generator, dtype: np.dtype
) -> np.ndarray:
    """``size`` draws of N(mean, std^2) truncated to (a, b), rounded to ``dtype``, flat.

    Args:
        size: number of draws.
        mean: finite.
        std: finite, ``> 0``.
        a: finite lower bound.
        b: finite upper bound, ``> a``.
        generator: the random stream.
        dtype: a floating dtype of the policy.

    Returns:
        A new 1-D array of ``dtype``, every value finite and strictly inside ``(a, b)``.

    Raises:
        ValueError: no ``dtype`` value lies strictly between ``a`` and ``b``, or less than a
            fraction 2^-53 of the law's mass rounds to one (the law cannot be represented).
    """
    where = region(a, b, dtype)
    log_region, log_fraction = _log_fraction(mean, std, a, b, where)
    if not log_fraction >= math.log(SMALLEST_FRACTION):
        raise ValueError(
            f"N(mean={mean}, std={std}^2) truncated to (a={a}, b={b}) cannot be represented in "
            f"{dtype}: all but a fraction {math.exp(log_fraction):.3g} of its mass lies within half "
            "an ulp of a bound or beyond the dtype's range; widen (a, b), raise std or use a wider dtype"
        )
    mass = math.exp(log_region)
    if mass > NORMAL_PROPOSAL_MASS or size == 0:
        return _by_normal_proposal(size, generator, mean, std, mass, where, dtype)
    z_low, z_high, _ = standardize(where, mean, std)
    propose = _uniform_proposal if z_low < 0.0 < z_high else _tail_proposal
    out = np.empty(size, dtype=dtype)
    filled = 0
    for _ in _rounds():
        if filled == size:
            break
        with np.errstate(over="ignore"):
            candidates = propose(generator, 2 * (size - filled) + 16, mean, std, where).astype(dtype)
        candidates = candidates[_inside(candidates, where.low_stored, where.high_stored)]
        candidates = candidates[: size - filled]
        out[filled : filled + candidates.size] = candidates
        filled += candidates.size
    if filled < size:  # pragma: no cover - the acceptance rates make this unreachable
        raise RuntimeError(
            f"truncated normal sampler made no progress (mean={mean}, std={std}, a={a}, b={b})"
        )
    return out
