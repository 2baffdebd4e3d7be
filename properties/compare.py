"""Exact and asymptotic comparisons, decided and recorded like the statistical rules.

An exact claim holds to floating-point tolerance; an asymptotic claim is compared at finite size
with a tolerance derived from the finite-size correction (``properties/simulation.py``), never
tuned. Unlike :mod:`properties.decide`, these are not tests with a sample size: the tolerance is
the whole decision.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import ArrayLike

from properties.decide import DEFAULT_FALSE_FAIL, Context, Decision, require
from properties.records import CheckRecord, EffectUnit


def comparison(
    measured: ArrayLike,
    predicted: ArrayLike,
    *,
    rtol: float,
    atol: ArrayLike = 0.0,
    rule: str = "exact",
    derivation: str = "",
    false_fail: float | None = None,
    effect_unit: str | None = None,
) -> Decision:
    """Decide ``|measured - predicted| <= atol + rtol |predicted|`` elementwise.

    Equal values match exactly, equal infinities included (a limit at infinity is a claim too);
    an infinite prediction grants no tolerance, and a NaN never matches.

    Args:
        measured: the implementation's values.
        predicted: theory's values (broadcast against ``measured``).
        rtol: relative tolerance.
        atol: absolute tolerance, a scalar or one per element (e.g. per layer).
        rule: ``exact``, or the asymptotic regime (``meanfield``, ``spectrum``, ...).
        derivation: how the tolerance was derived, quoted on failure.
        false_fail: the rate the tolerance was derived at: 0 for exact comparisons (default),
            :data:`properties.decide.DEFAULT_FALSE_FAIL` otherwise.
        effect_unit: what the recorded effect means; default ``rtol`` (effect ``rtol``) when
            ``atol`` is 0, else ``rtol`` with the tightest tolerance relative to the predicted
            value (``atol`` when a predicted value is 0). Say ``log error`` when comparing
            logarithms (effect: the tightest tolerance).

    Returns:
        The decision (statistic: the worst element's error; threshold: its tolerance).
    """
    if false_fail is None:
        false_fail = 0.0 if rule == "exact" else DEFAULT_FALSE_FAIL
    started = time.perf_counter()
    m, p = np.asarray(measured, float), np.asarray(predicted, float)
    with np.errstate(invalid="ignore"):  # inf - inf: equal infinities are an exact match
        error = np.where(m == p, 0.0, np.abs(m - p))
        scale = np.where(np.isinf(p), 0.0, np.abs(p))  # an infinite prediction grants no tolerance
        tolerance = np.broadcast_to(np.asarray(atol, float) + rtol * scale, error.shape)
        excess = np.where(np.isnan(error), np.inf, error - tolerance)
    worst = int(np.argmax(excess)) if excess.size else 0
    statistic = float(error.ravel()[worst]) if excess.size else 0.0
    threshold = float(tolerance.ravel()[worst]) if excess.size else float(np.max(atol, initial=0.0))
    passed = bool(np.all(excess <= 0)) and bool(np.all(np.isfinite(m) == np.isfinite(p)))
    detail = f" (measured {m.ravel()[worst]:.6g}, predicted {p.ravel()[worst]:.6g}" if m.size else " ("
    detail += f"; tolerance: {derivation})" if derivation else ")"
    unit, effect = _effect(tolerance, np.broadcast_to(p, tolerance.shape), rtol, atol, effect_unit)
    return Decision(
        rule,
        int(m.size),
        statistic,
        threshold,
        passed,
        effect,
        unit,
        false_fail,
        0.0,
        detail=detail,
        seconds=time.perf_counter() - started,
    )


def _effect(
    tolerance: np.ndarray, predicted: np.ndarray, rtol: float, atol: ArrayLike, effect_unit: str | None
) -> tuple[str, float]:
    """The smallest deviation the comparison catches when every compared value is off by it
    (a systematic error, as a wrong formula makes): the tightest tolerance, relative to the
    predicted value where it is non-zero."""
    if not np.any(np.asarray(atol, float) != 0):
        return effect_unit or EffectUnit.RTOL.value, float(rtol)
    if effect_unit is not None:
        return effect_unit, float(np.min(tolerance, initial=np.inf))
    nonzero = predicted != 0
    if tolerance.size and np.all(nonzero):
        return EffectUnit.RTOL.value, float(np.min(tolerance / np.abs(predicted)))
    return EffectUnit.ATOL.value, float(np.min(tolerance, initial=np.inf))


def check_close(
    context: Context,
    measured: ArrayLike,
    predicted: ArrayLike,
    *,
    rtol: float,
    atol: ArrayLike = 0.0,
    rule: str = "exact",
    derivation: str = "",
    false_fail: float | None = None,
    effect_unit: str | None = None,
) -> CheckRecord:
    """:func:`properties.decide.require` of :func:`comparison` (same arguments)."""
    return require(
        context,
        comparison(
            measured,
            predicted,
            rtol=rtol,
            atol=atol,
            rule=rule,
            derivation=derivation,
            false_fail=false_fail,
            effect_unit=effect_unit,
        ),
    )


def at_most(measured: ArrayLike, bound: float, *, derivation: str = "") -> Decision:
    """Decide ``measured <= bound`` elementwise (a one-sided exact claim: a slope that must not
    exceed a value); a NaN never passes.

    Returns:
        The decision (statistic: the largest measured value; threshold: ``bound``; effect: 0, as
        any excess is caught).
    """
    started = time.perf_counter()
    m = np.asarray(measured, float)
    statistic = float(np.max(m, initial=-np.inf)) if not np.any(np.isnan(m)) else float("nan")
    passed = bool(m.size == 0 or (not np.any(np.isnan(m)) and statistic <= bound))
    detail = f" (at most {bound:.17g}; {derivation})" if derivation else f" (at most {bound:.17g})"
    return Decision(
        "exact",
        int(m.size),
        statistic,
        float(bound),
        passed,
        0.0,
        EffectUnit.ATOL.value,
        0.0,
        0.0,
        detail=detail,
        seconds=time.perf_counter() - started,
    )


def check_at_most(
    context: Context, measured: ArrayLike, bound: float, *, derivation: str = ""
) -> CheckRecord:
    """:func:`properties.decide.require` of :func:`at_most` (same arguments)."""
    return require(context, at_most(measured, bound, derivation=derivation))
