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
            ``atol`` is 0, else ``atol`` (effect: the largest tolerance ``atol + rtol |p|``).
            Say ``log error`` when comparing logarithms.

    Returns:
        The decision (statistic: the worst element's error; threshold: its tolerance).
    """
    if false_fail is None:
        false_fail = 0.0 if rule == "exact" else DEFAULT_FALSE_FAIL
    started = time.perf_counter()
    m, p = np.asarray(measured, float), np.asarray(predicted, float)
    excess = np.abs(m - p) - (np.asarray(atol, float) + rtol * np.abs(p))
    tolerance = np.broadcast_to(np.asarray(atol, float) + rtol * np.abs(p), excess.shape)
    worst = int(np.argmax(excess)) if excess.size else 0
    statistic = float(np.abs(m - p).ravel()[worst]) if excess.size else 0.0
    threshold = float(tolerance.ravel()[worst]) if excess.size else float(np.max(atol, initial=0.0))
    passed = bool(np.all(excess <= 0)) and bool(np.all(np.isfinite(m) == np.isfinite(p)))
    detail = f" (measured {m.ravel()[worst]:.6g}, predicted {p.ravel()[worst]:.6g}" if m.size else " ("
    detail += f"; tolerance: {derivation})" if derivation else ")"
    absolute = bool(np.any(np.asarray(atol, float) != 0))
    unit = effect_unit or (EffectUnit.ATOL.value if absolute else EffectUnit.RTOL.value)
    effect = float(np.max(tolerance, initial=0.0)) if absolute else float(rtol)
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
