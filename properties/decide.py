"""Statistical decision rules with declared error rates.

Every rule takes a *false-fail rate* (the probability of failing a correct implementation,
default 1e-9 per check) and a *detectable effect* caught with probability at least 1 - the
*false-pass rate* (default 1e-3). Like TensorFlow Probability's ``statistical_testing``, every
rule is a triple: ``*_sample_size`` (the n the declared rates and effect need),
``*_detectable_effect`` (the effect caught at a given n) and the test itself, a pure function
that draws the values through a ``sampler(n)`` callback and returns a frozen :class:`Decision`.
:func:`require` turns a decision into a record (:mod:`properties.records`) and raises
:class:`CheckFailed` with a message naming claim, case, statistic, threshold, n and seed; each
``check_*`` is ``require(context, <test>(...))``.

Rules, rigorous first:

- :func:`cdf_test` — the Dvoretzky-Kiefer-Wolfowitz inequality with Massart's constant,
  ``P(sup |F_n - F| > e) <= 2 exp(-2 n e^2)``, for any continuous law.
- :func:`normal_variance_test` — the exact chi-square law of ``sum x^2 / sigma^2`` for a normal
  sample with known mean.
- :func:`mean_test` — Bernstein's inequality for bounded variables, or a median of means
  (Chebyshev per group, Hoeffding on the groups) that needs only a variance bound.
- :func:`variance_test` — :func:`mean_test` on squared deviations, whose variance
  ``(kappa - 1) sigma^4`` accounts for the law's kurtosis ``kappa``.
- :func:`proportion_test` — the exact binomial test.
- :func:`ratio_test` — a ratio of two means, as the mean of ``X - ratio Y``.
- :func:`median_band_test` — the exact sign test that a median lies in a band.

No rule uses an asymptotic approximation (exact and asymptotic comparisons live in
:mod:`properties.compare`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Concatenate, ParamSpec

import numpy as np
from scipy import stats

from properties.records import CheckRecord, EffectUnit, decision_record, emit

DEFAULT_FALSE_FAIL = 1e-9
"""Per-check probability of failing a correct implementation."""
DEFAULT_FALSE_PASS = 1e-3
"""Per-check probability of passing an implementation that is off by the detectable effect."""

P = ParamSpec("P")
Sampler = Callable[[int], np.ndarray]
"""``sampler(n)`` returns at least ``n`` independent values (a 1-D array; more are ignored)."""


class CheckFailed(AssertionError):
    """A decision rule rejected the claim for this case."""


@dataclass(frozen=True)
class Context:
    """What a check is about: the claim id, the Hypothesis case, the sample's seed and, where the
    target renders it, the framework call that drew the sample (:attr:`CheckRecord.call
    <properties.records.CheckRecord>`)."""

    claim: str
    case: dict[str, Any]
    seed: int | None = None
    call: str = ""


@dataclass(frozen=True)
class Decision:
    """A rule's verdict on one sample: pure data, recorded by :func:`require`.

    Attributes:
        rule: the rule's name (``dkw-cdf``, ``chi2-variance``, ...).
        n: the sample size.
        statistic: the test statistic.
        threshold: the bound the statistic was compared with (the violated one on failure).
        passed: the verdict.
        effect: the effect caught with probability ``1 - false_pass``.
        effect_unit: what ``effect`` measures (a :class:`properties.records.EffectUnit` value).
        false_fail: probability of failing a correct implementation.
        false_pass: probability of missing an error of ``effect``.
        p_value: the p-value where the rule has an exact one.
        detail: extra words for the failure message.
        seconds: wall time of the decision (drawing included).
    """

    rule: str
    n: int
    statistic: float
    threshold: float
    passed: bool
    effect: float
    effect_unit: str
    false_fail: float
    false_pass: float
    p_value: float | None = None
    detail: str = ""
    seconds: float = 0.0


def require(context: Context, decision: Decision) -> CheckRecord:
    """Record ``decision`` for ``context`` and raise :class:`CheckFailed` if it failed.

    Raises:
        properties.records.ClaimError: ``context.claim`` is not in ``theory.CLAIMS`` or not
            marked by the running test.
        CheckFailed: the decision rejected the claim.
    """
    record = decision_record(
        context.claim,
        context.case,
        rule=decision.rule,
        n=decision.n,
        statistic=decision.statistic,
        threshold=decision.threshold,
        passed=decision.passed,
        effect=decision.effect,
        effect_unit=decision.effect_unit,
        false_fail=decision.false_fail,
        false_pass=decision.false_pass,
        p_value=decision.p_value,
        seed=context.seed,
        seconds=decision.seconds,
        call=context.call,
    )
    emit(record)
    if not decision.passed:
        raise CheckFailed(
            f"claim {context.claim!r} rejected by {decision.rule}: statistic {decision.statistic:.6g} "
            f"vs threshold {decision.threshold:.6g}{decision.detail} (n={decision.n}, seed={context.seed}, "
            f"false-fail rate {decision.false_fail:g}, case {record.case})"
            + (f"; the framework's call: {context.call}" if context.call else "")
        )
    return record


def requiring(rule: Callable[P, Decision]) -> Callable[Concatenate[Context, P], CheckRecord]:
    """``check(context, *args, **kwargs) = require(context, rule(*args, **kwargs))``, typed as ``rule``."""

    def check(context: Context, /, *args: P.args, **kwargs: P.kwargs) -> CheckRecord:
        return require(context, rule(*args, **kwargs))

    check.__name__ = check.__qualname__ = f"check_{rule.__name__.removesuffix('_test')}"
    check.__doc__ = f":func:`require` of :func:`{rule.__name__}` (same arguments after the context)."
    return check


def _draw(sampler: Sampler, n: int) -> np.ndarray:
    values = np.asarray(sampler(n), dtype=np.float64).ravel()
    if values.size < n:
        raise ValueError(f"sampler returned {values.size} values, {n} were asked for")
    return values[:n]


def _check_rates(false_fail: float, false_pass: float) -> None:
    for name, rate in (("false_fail", false_fail), ("false_pass", false_pass)):
        if not 0 < rate < 1:
            raise ValueError(f"{name} must be in (0, 1), got {rate}")


# --------------------------------------------------------------------------------------------
# CDF: DKW
# --------------------------------------------------------------------------------------------


def dkw_halfwidth(n: int, rate: float) -> float:
    """``e`` with ``P(sup |F_n - F| > e) <= rate``: ``sqrt(log(2 / rate) / (2 n))`` (Massart 1990)."""
    return math.sqrt(math.log(2.0 / rate) / (2.0 * n))


def dkw_sample_size(
    effect: float, false_fail: float = DEFAULT_FALSE_FAIL, false_pass: float = DEFAULT_FALSE_PASS
) -> int:
    """Smallest n at which a CDF distance ``effect`` is caught with the declared rates.

    Formula: reject when ``D_n > e_ff``; a law at distance ``d`` has ``D_n >= d - e_fp`` with
    probability ``>= 1 - false_pass``, so ``e_ff + e_fp <= d`` suffices:
    ``n = (sqrt(log(2/ff)/2) + sqrt(log(2/fp)/2))^2 / d^2``.
    """
    _check_rates(false_fail, false_pass)
    root = math.sqrt(math.log(2 / false_fail) / 2) + math.sqrt(math.log(2 / false_pass) / 2)
    return math.ceil((root / effect) ** 2)


def dkw_detectable_effect(
    n: int, false_fail: float = DEFAULT_FALSE_FAIL, false_pass: float = DEFAULT_FALSE_PASS
) -> float:
    """Smallest CDF distance caught at sample size n: ``e_ff(n) + e_fp(n)``."""
    return dkw_halfwidth(n, false_fail) + dkw_halfwidth(n, false_pass)


def cdf_test(
    sampler: Sampler,
    law: Any,
    *,
    effect: float = 0.02,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
    n: int | None = None,
    allowance: float = 0.0,
) -> Decision:
    """Decide whether the sample's law is ``law`` (a frozen scipy distribution or a CDF), by DKW.

    Formula: reject iff ``sup |F_n - F| > sqrt(log(2 / false_fail) / (2 n)) + allowance``. With
    an ``allowance`` the claim is that the sampled law ``G`` is within ``allowance`` of ``F``
    (``sup |G - F| <= allowance``, e.g. the rounding of a low-precision dtype, bounded by
    theory): ``|F_n - F| <= |F_n - G| + allowance`` keeps the false-fail rate, and the DKW
    inequality holds for any ``G``, discrete ones included.

    Args:
        sampler: draws the values.
        law: frozen ``scipy.stats`` distribution (its ``cdf`` is used) or a CDF callable.
        effect: Kolmogorov distance caught with probability ``1 - false_pass``.
        false_fail: probability of failing a correct implementation.
        false_pass: probability of passing a law at distance ``effect``.
        n: sample size; :func:`dkw_sample_size` if None.
        allowance: a bound on the distance between the sampled law and ``law`` that the claim
            allows, >= 0 (0: the laws are equal).

    Returns:
        The decision (statistic: the Kolmogorov distance; effect: the distance caught at n).
    """
    started = time.perf_counter()
    if not 0 <= allowance < 1:
        raise ValueError(f"allowance must be in [0, 1), got {allowance}")
    n = n or dkw_sample_size(effect, false_fail, false_pass)
    cdf = law.cdf if hasattr(law, "cdf") else law
    result = stats.kstest(_draw(sampler, n), cdf)
    threshold = dkw_halfwidth(n, false_fail) + allowance
    return Decision(
        "dkw-cdf",
        n,
        float(result.statistic),
        threshold,
        bool(result.statistic <= threshold),
        dkw_detectable_effect(n, false_fail, false_pass) + allowance,
        EffectUnit.KOLMOGOROV.value,
        false_fail,
        false_pass,
        p_value=float(result.pvalue),
        seconds=time.perf_counter() - started,
    )


check_cdf = requiring(cdf_test)


# --------------------------------------------------------------------------------------------
# Normal variance: exact chi-square
# --------------------------------------------------------------------------------------------


def _chi2_bounds(n: int, false_fail: float) -> tuple[float, float]:
    """Acceptance interval of ``sum x^2 / (n sigma^2)`` at two-sided level ``false_fail``."""
    return stats.chi2.ppf(false_fail / 2, n) / n, stats.chi2.isf(false_fail / 2, n) / n


def _chi2_miss(n: int, relative_std: float, false_fail: float) -> float:
    low, high = _chi2_bounds(n, false_fail)
    up, down = (1 + relative_std) ** 2, (1 - relative_std) ** 2
    return max(stats.chi2.cdf(n * high / up, n), stats.chi2.sf(n * low / down, n))


def _smallest_n(fails: Callable[[int], bool], start: int = 2) -> int:
    """Smallest n >= start with ``not fails(n)``, for ``fails`` monotone in n."""
    high = start
    while fails(high):
        high *= 2
    low = high // 2
    while low + 1 < high:
        mid = (low + high) // 2
        low, high = (mid, high) if fails(mid) else (low, mid)
    return max(high, start)


def _smallest_effect(misses: Callable[[float], bool], largest: float) -> float:
    """Smallest effect in ``(0, largest]`` with ``not misses(effect)`` (to 1e-6 relative), for
    ``misses`` monotone decreasing in the effect; ``inf`` if even ``largest`` is missed."""
    if misses(largest):
        return math.inf
    low, high = 0.0, largest
    while high - low > 1e-6 * high:
        mid = (low + high) / 2
        low, high = (mid, high) if misses(mid) else (low, mid)
    return high


def chi2_variance_sample_size(
    relative_std: float = 0.05,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> int:
    """Smallest n at which a std off by a factor ``1 +- relative_std`` is caught (exact chi^2)."""
    _check_rates(false_fail, false_pass)
    return _smallest_n(lambda n: _chi2_miss(n, relative_std, false_fail) > false_pass)


def chi2_variance_detectable_effect(
    n: int, false_fail: float = DEFAULT_FALSE_FAIL, false_pass: float = DEFAULT_FALSE_PASS
) -> float:
    """Smallest relative std error ``delta`` caught at sample size n (exact chi^2)."""
    _check_rates(false_fail, false_pass)
    return _smallest_effect(lambda d: _chi2_miss(n, d, false_fail) > false_pass, 1.0 - 1e-12)


def normal_variance_test(
    sampler: Sampler,
    variance: float,
    *,
    mean: float = 0.0,
    relative_std: float = 0.05,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
    n: int | None = None,
) -> Decision:
    """Decide ``Var X = variance`` for a normal sample with known mean (exact chi-square).

    Formula: ``S = sum (x - mean)^2 / (n variance) ~ chi^2_n / n``; accept iff S lies between its
    ``false_fail/2`` and ``1 - false_fail/2`` quantiles.

    Args:
        sampler: draws the values (normal under the claim).
        variance: the claimed variance, ``> 0``.
        mean: the known mean.
        relative_std: std error ``delta`` caught (a std of ``(1 +- delta) sigma``).
        false_fail: probability of failing a correct implementation.
        false_pass: probability of missing an error of ``relative_std``.
        n: sample size; :func:`chi2_variance_sample_size` if None.

    Returns:
        The decision (statistic: the ratio S of sample to claimed variance).
    """
    started = time.perf_counter()
    if not variance > 0:
        raise ValueError(f"variance must be > 0, got {variance}")
    n = n or chi2_variance_sample_size(relative_std, false_fail, false_pass)
    x = _draw(sampler, n) - mean
    ratio = float(np.dot(x, x) / (n * variance))
    low, high = _chi2_bounds(n, false_fail)
    p_value = 2 * min(stats.chi2.cdf(n * ratio, n), stats.chi2.sf(n * ratio, n))
    return Decision(
        "chi2-variance",
        n,
        ratio,
        float(high if ratio > 1 else low),
        bool(low <= ratio <= high),
        relative_std,
        EffectUnit.RELATIVE_STD.value,
        false_fail,
        false_pass,
        p_value=min(1.0, float(p_value)),
        detail=f" (accept [{low:.6g}, {high:.6g}])",
        seconds=time.perf_counter() - started,
    )


check_normal_variance = requiring(normal_variance_test)


# --------------------------------------------------------------------------------------------
# Means: Bernstein (bounded) or median of means (variance bound only)
# --------------------------------------------------------------------------------------------


def bernstein_halfwidth(n: int, variance: float, spread: float, rate: float) -> float:
    """``t`` with ``P(|mean - mu| >= t) <= rate`` for ``|X - mu| <= spread``, ``Var X <= variance``.

    Formula: Bernstein, ``2 exp(-n t^2 / (2 v + 2 M t / 3)) = rate``, solved for t:
    ``t = (2 L M / 3 + sqrt((2 L M / 3)^2 + 8 n L v)) / (2 n)`` with ``L = log(2 / rate)``.
    """
    log_term = math.log(2.0 / rate)
    linear = 2.0 * log_term * spread / 3.0
    return (linear + math.sqrt(linear**2 + 8.0 * n * log_term * variance)) / (2.0 * n)


def median_of_means_groups(rate: float) -> int:
    """Groups k with ``P(median of group means off by >= t) <= exp(-k/8) <= rate``."""
    return math.ceil(8.0 * math.log(1.0 / rate))


def median_of_means_halfwidth(group_size: int, variance: float) -> float:
    """``t = 2 sigma / sqrt(m)``: each group mean is off by ``>= t`` w.p. ``<= 1/4`` (Chebyshev)."""
    return 2.0 * math.sqrt(variance / group_size)


ALTERNATIVE_VARIANCE_FACTOR = 1.5
"""Power is computed for alternatives whose summand variance is at most 1.5 times the claimed
one (a variance check off by up to ~10% in std has a factor of at most 1.46)."""

MAX_SAMPLES = 20_000_000
"""A design needing more samples than this is refused (choose a larger effect)."""

_MOM_ROOT = 2 * (1 + math.sqrt(ALTERNATIVE_VARIANCE_FACTOR))
"""``t_ff + t_fp = 2 sigma / sqrt(m) (1 + sqrt(factor))`` for a median of means."""


@dataclass(frozen=True)
class MeanDesign:
    """How :func:`mean_test` decides: sample size, method and the two half-widths."""

    n: int
    method: str
    halfwidth_fail: float
    halfwidth_pass: float
    groups: int = 0


def _bernstein_width(n: int, variance: float, spread: float, ff: float, fp: float) -> float:
    alternative = ALTERNATIVE_VARIANCE_FACTOR * variance
    return bernstein_halfwidth(n, variance, spread, ff) + bernstein_halfwidth(n, alternative, spread, fp)


def _bernstein_design(effect: float, variance: float, spread: float, ff: float, fp: float) -> MeanDesign:
    def misses(n: int) -> bool:
        return _bernstein_width(n, variance, spread, ff, fp) > effect and n < 4 * MAX_SAMPLES

    n = _smallest_n(misses)
    return MeanDesign(
        n,
        "bernstein",
        bernstein_halfwidth(n, variance, spread, ff),
        bernstein_halfwidth(n, ALTERNATIVE_VARIANCE_FACTOR * variance, spread, fp),
    )


def _median_of_means_design(effect: float, variance: float, ff: float, fp: float) -> MeanDesign:
    groups = median_of_means_groups(min(ff, fp))
    group_size = max(1, math.ceil(_MOM_ROOT**2 * variance / effect**2))
    width = median_of_means_halfwidth(group_size, variance)
    return MeanDesign(
        groups * group_size,
        "median-of-means",
        width,
        median_of_means_halfwidth(group_size, ALTERNATIVE_VARIANCE_FACTOR * variance),
        groups,
    )


def mean_design(
    effect: float,
    variance: float,
    *,
    spread: float | None = None,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> MeanDesign:
    """Sample size and thresholds for a mean check that catches a shift of ``effect``.

    Two rigorous designs: a median of means (needs only the claimed ``variance``) and, when
    ``|X - mu| <= spread`` under the claim, Bernstein's inequality (also rejects any value
    outside the claimed support); the one needing fewer samples is used. The false-fail side
    uses the claimed variance exactly; the power side assumes the alternative's variance is at
    most :data:`ALTERNATIVE_VARIANCE_FACTOR` times it.

    Raises:
        ValueError: the design needs more than :data:`MAX_SAMPLES` samples.
    """
    _check_rates(false_fail, false_pass)
    if not (effect > 0 and variance >= 0):
        raise ValueError(f"effect must be > 0 and variance >= 0, got {effect}, {variance}")
    designs = [_median_of_means_design(effect, variance, false_fail, false_pass)]
    if spread is not None:
        designs.append(_bernstein_design(effect, variance, spread, false_fail, false_pass))
    design = min(designs, key=lambda d: d.n)
    if design.n > MAX_SAMPLES:
        raise ValueError(
            f"a mean check of effect {effect:g} with variance {variance:g} needs {design.n:,} samples "
            f"(more than {MAX_SAMPLES:,}); choose a larger effect"
        )
    return design


def mean_sample_size(
    effect: float,
    variance: float,
    *,
    spread: float | None = None,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> int:
    """Smallest n at which a shift ``effect`` of the mean is caught (the design of :func:`mean_design`)."""
    return mean_design(effect, variance, spread=spread, false_fail=false_fail, false_pass=false_pass).n


def mean_detectable_effect(
    n: int,
    variance: float,
    *,
    spread: float | None = None,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> float:
    """Smallest shift of the mean caught with n samples, by the better of the two designs.

    Formula: median of means with ``k`` groups of ``m = n // k``: ``2 (1 + sqrt(1.5)) sigma / sqrt(m)``;
    Bernstein: ``t_ff(n, v) + t_fp(n, 1.5 v)``.
    """
    _check_rates(false_fail, false_pass)
    groups = median_of_means_groups(min(false_fail, false_pass))
    effects = [_MOM_ROOT * math.sqrt(variance / (n // groups)) if n >= groups else math.inf]
    if spread is not None:
        effects.append(_bernstein_width(n, variance, spread, false_fail, false_pass))
    return min(effects)


def mean_test(
    sampler: Sampler,
    mean: float,
    variance: float,
    *,
    effect: float | None = None,
    relative_effect: float | None = None,
    effect_unit: str | None = None,
    spread: float | None = None,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> Decision:
    """Decide ``E X = mean`` given ``Var X = variance`` (and ``|X - mean| <= spread`` if bounded).

    Args:
        sampler: draws the values.
        mean: the claimed mean.
        variance: the claimed variance of one value (from theory).
        effect: shift of the mean caught with probability ``1 - false_pass`` (absolute), or
        relative_effect: the same as a fraction of ``|mean|`` (give exactly one of the two).
        effect_unit: what the recorded effect means; default ``absolute mean`` or
            ``relative mean`` (say ``relative variance`` when the mean is a variance).
        spread: a bound on ``|X - mean|`` (enables Bernstein), or None (median of means).
        false_fail: probability of failing a correct implementation.
        false_pass: probability of missing a shift of ``effect``.

    Returns:
        The decision (statistic: the estimate's distance from ``mean``).
    """
    started = time.perf_counter()
    if (effect is None) == (relative_effect is None):
        raise ValueError("give exactly one of effect and relative_effect")
    if relative_effect is not None:
        shift, declared = relative_effect * abs(mean), relative_effect
        unit = effect_unit or EffectUnit.RELATIVE_MEAN.value
    else:
        assert effect is not None
        shift, declared = effect, effect
        unit = effect_unit or EffectUnit.ABSOLUTE_MEAN.value
    design = mean_design(shift, variance, spread=spread, false_fail=false_fail, false_pass=false_pass)
    x = _draw(sampler, design.n)
    if design.method == "bernstein":
        estimate = float(np.mean(x))
        assert spread is not None  # the Bernstein design is chosen only with a support bound
        if np.any(np.abs(x - mean) > spread * (1 + 1e-12)):
            return Decision(
                "bernstein-mean",
                design.n,
                float(np.max(np.abs(x - mean))),
                spread,
                False,
                declared,
                unit,
                false_fail,
                false_pass,
                detail=" (a value outside the claimed support)",
                seconds=time.perf_counter() - started,
            )
    else:
        estimate = float(np.median(x.reshape(design.groups, -1).mean(axis=1)))
    distance = abs(estimate - mean)
    return Decision(
        f"{design.method}-mean",
        design.n,
        distance,
        design.halfwidth_fail,
        distance < design.halfwidth_fail,
        declared,
        unit,
        false_fail,
        false_pass,
        detail=f" (estimate {estimate:.6g}, claimed {mean:.6g})",
        seconds=time.perf_counter() - started,
    )


check_mean = requiring(mean_test)


def _variance_shift(relative_std: float, variance: float) -> float:
    """A std error of ``delta`` shifts ``E (x - mean)^2`` by ``(2 delta - delta^2) variance``."""
    return (2 * relative_std - relative_std**2) * variance


def variance_sample_size(
    variance: float,
    kurtosis: float,
    *,
    bound: float | None = None,
    relative_std: float = 0.05,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> int:
    """Smallest n at which :func:`variance_test` catches a std error of ``relative_std``."""
    return mean_sample_size(
        _variance_shift(relative_std, variance),
        (kurtosis - 1.0) * variance**2,
        spread=None if bound is None else bound**2,
        false_fail=false_fail,
        false_pass=false_pass,
    )


def variance_detectable_effect(
    n: int,
    variance: float,
    kurtosis: float,
    *,
    bound: float | None = None,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> float:
    """Smallest relative std error caught by :func:`variance_test` with n samples.

    Formula: the mean check on ``(x - mean)^2`` catches a shift ``s``; ``s = (1 - (1 - delta)^2)
    variance`` gives ``delta = 1 - sqrt(1 - s / variance)`` (1 when ``s >= variance``).
    """
    shift = mean_detectable_effect(
        n,
        (kurtosis - 1.0) * variance**2,
        spread=None if bound is None else bound**2,
        false_fail=false_fail,
        false_pass=false_pass,
    )
    return 1.0 - math.sqrt(1.0 - shift / variance) if shift < variance else 1.0


def variance_test(
    sampler: Sampler,
    variance: float,
    kurtosis: float,
    *,
    mean: float = 0.0,
    bound: float | None = None,
    relative_std: float = 0.05,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> Decision:
    """Decide ``Var X = variance`` for any law with known mean and (non-excess) ``kurtosis``.

    Formula: the squared deviations ``y = (x - mean)^2`` have ``E y = variance`` and
    ``Var y = (kurtosis - 1) variance^2``; with ``|x - mean| <= bound``, ``0 <= y <= bound^2``.
    A std error of ``delta`` shifts ``E y`` by ``(2 delta - delta^2) variance``.

    Args:
        sampler: draws the values.
        variance: the claimed variance.
        kurtosis: ``E (x - mean)^4 / variance^2`` (uniform 1.8, normal 3).
        mean: the known mean.
        bound: support half-width around the mean, if bounded.
        relative_std: std error ``delta`` caught.
        false_fail: probability of failing a correct implementation.
        false_pass: probability of missing an error of ``relative_std``.

    Returns:
        The decision of the mean check on the squared deviations, its effect in relative std.
    """
    decision = mean_test(
        lambda n: (_draw(sampler, n) - mean) ** 2,
        variance,
        (kurtosis - 1.0) * variance**2,
        effect=_variance_shift(relative_std, variance),
        spread=None if bound is None else bound**2,
        false_fail=false_fail,
        false_pass=false_pass,
    )
    return replace(decision, effect=relative_std, effect_unit=EffectUnit.RELATIVE_STD.value)


check_variance = requiring(variance_test)


# --------------------------------------------------------------------------------------------
# Proportions: exact binomial
# --------------------------------------------------------------------------------------------


def binomial_acceptance(n: int, p: float, false_fail: float) -> tuple[int, int]:
    """``[low, high]`` with ``P(X < low) <= ff/2`` and ``P(X > high) <= ff/2`` for X ~ Bin(n, p)."""
    law = stats.binom(n, p)
    low = int(law.ppf(false_fail / 2))
    while low > 0 and law.cdf(low - 1) > false_fail / 2:
        low -= 1
    high = int(law.isf(false_fail / 2))
    while law.sf(high) > false_fail / 2:
        high += 1
    while high > 0 and law.sf(high - 1) <= false_fail / 2:
        high -= 1
    return low, high


def _binomial_miss(n: int, p: float, effect: float, false_fail: float) -> float:
    """Largest probability of accepting a probability ``p +- effect`` (inside [0, 1])."""
    low, high = binomial_acceptance(n, p, false_fail)
    worst = 0.0
    for alternative in (p - effect, p + effect):
        if 0 <= alternative <= 1:
            law = stats.binom(n, alternative)
            worst = max(worst, law.cdf(high) - law.cdf(low - 1))
    return worst


def binomial_sample_size(
    p: float,
    effect: float,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> int:
    """Smallest n at which a probability off by ``effect`` is caught (exact binomial)."""
    _check_rates(false_fail, false_pass)
    return _smallest_n(lambda n: _binomial_miss(n, p, effect, false_fail) > false_pass, start=8)


def binomial_detectable_effect(
    n: int,
    p: float,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> float:
    """Smallest absolute error of the probability ``p`` caught with n draws (exact binomial)."""
    _check_rates(false_fail, false_pass)
    return _smallest_effect(lambda e: _binomial_miss(n, p, e, false_fail) > false_pass, max(p, 1 - p))


def proportion_test(
    sampler: Sampler,
    probability: float,
    *,
    effect: float = 0.02,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
    n: int | None = None,
) -> Decision:
    """Decide ``P(event) = probability`` from indicator draws (exact binomial test).

    Args:
        sampler: returns booleans (or 0/1).
        probability: the claimed probability.
        effect: absolute error of the probability caught.
        false_fail: probability of failing a correct implementation.
        false_pass: probability of missing an error of ``effect``.
        n: sample size; :func:`binomial_sample_size` if None.

    Returns:
        The decision (statistic: the observed proportion).
    """
    started = time.perf_counter()
    n = n or binomial_sample_size(probability, effect, false_fail, false_pass)
    count = int(np.count_nonzero(_draw(sampler, n)))
    low, high = binomial_acceptance(n, probability, false_fail)
    p_value = stats.binomtest(count, n, probability).pvalue
    return Decision(
        "binomial",
        n,
        count / n,
        (high if count > n * probability else low) / n,
        low <= count <= high,
        effect,
        EffectUnit.ABSOLUTE_PROBABILITY.value,
        false_fail,
        false_pass,
        p_value=float(p_value),
        detail=f" (accept counts [{low}, {high}], observed {count})",
        seconds=time.perf_counter() - started,
    )


check_proportion = requiring(proportion_test)


# --------------------------------------------------------------------------------------------
# Ratios of means
# --------------------------------------------------------------------------------------------


def _difference_variance(
    ratio: float, numerator: tuple[float, float], denominator: tuple[float, float], known: float | None
) -> float:
    """``Var(X - ratio Y)``: ``known``, else the Cauchy-Schwarz bound ``(sigma_X + |ratio| sigma_Y)^2``."""
    if known is not None:
        return known
    return (math.sqrt(numerator[1]) + abs(ratio) * math.sqrt(denominator[1])) ** 2


def _denominator_mean(denominator: tuple[float, float]) -> float:
    if not denominator[0] > 0:
        raise ValueError(f"the denominator's mean must be > 0, got {denominator[0]}")
    return denominator[0]


def ratio_sample_size(
    ratio: float,
    *,
    numerator: tuple[float, float],
    denominator: tuple[float, float],
    difference_variance: float | None = None,
    relative_effect: float = 0.05,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> int:
    """Smallest n at which :func:`ratio_test` catches a relative error ``relative_effect``."""
    my = _denominator_mean(denominator)
    return mean_sample_size(
        relative_effect * abs(ratio) * my,
        _difference_variance(ratio, numerator, denominator, difference_variance),
        false_fail=false_fail,
        false_pass=false_pass,
    )


def ratio_detectable_effect(
    n: int,
    ratio: float,
    *,
    numerator: tuple[float, float],
    denominator: tuple[float, float],
    difference_variance: float | None = None,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> float:
    """Smallest relative error of the ratio caught by :func:`ratio_test` with n pairs."""
    my = _denominator_mean(denominator)
    variance = _difference_variance(ratio, numerator, denominator, difference_variance)
    shift = mean_detectable_effect(n, variance, false_fail=false_fail, false_pass=false_pass)
    return shift / (abs(ratio) * my)


def ratio_test(
    sampler: Callable[[int], tuple[np.ndarray, np.ndarray]],
    ratio: float,
    *,
    numerator: tuple[float, float],
    denominator: tuple[float, float],
    difference_variance: float | None = None,
    relative_effect: float = 0.05,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> Decision:
    """Decide ``E X / E Y = ratio`` from paired draws, as the mean check ``E[X - ratio Y] = 0``.

    A ratio off by ``delta`` shifts ``E[X - ratio Y]`` by ``delta E Y``, so the check catches a
    relative error ``relative_effect`` of the ratio. The variance of ``X - ratio Y`` is
    ``difference_variance`` when theory knows it, else the Cauchy-Schwarz bound
    ``(sigma_X + ratio sigma_Y)^2``, which needs no covariance.

    Args:
        sampler: ``sampler(n) -> (x, y)``, n paired values each.
        ratio: the claimed ``E X / E Y``.
        numerator: ``(E X, Var X)`` under the claim.
        denominator: ``(E Y, Var Y)`` under the claim, ``E Y > 0``.
        difference_variance: ``Var(X - ratio Y)`` if known.
        relative_effect: relative error of the ratio caught.
        false_fail: probability of failing a correct implementation.
        false_pass: probability of missing an error of ``relative_effect``.

    Returns:
        The decision of the mean check on the differences, its effect a relative ratio error.
    """
    my = _denominator_mean(denominator)
    variance = _difference_variance(ratio, numerator, denominator, difference_variance)

    def differences(n: int) -> np.ndarray:
        x, y = sampler(n)
        return np.asarray(x, float)[:n] - ratio * np.asarray(y, float)[:n]

    decision = mean_test(
        differences,
        0.0,
        variance,
        effect=relative_effect * abs(ratio) * my,
        false_fail=false_fail,
        false_pass=false_pass,
    )
    return replace(decision, effect=relative_effect, effect_unit=EffectUnit.RELATIVE_RATIO.value)


check_ratio = requiring(ratio_test)


# --------------------------------------------------------------------------------------------
# Medians: exact sign test of a band
# --------------------------------------------------------------------------------------------


def sign_test_count(n: int, false_fail: float) -> int:
    """Smallest ``k`` with ``P(Bin(n, 1/2) >= k) <= false_fail / 2`` (``n + 1`` if none)."""
    law = stats.binom(n, 0.5)
    k = int(law.isf(false_fail / 2)) + 1
    while k > 0 and law.sf(k - 2) <= false_fail / 2:
        k -= 1
    while k <= n and law.sf(k - 1) > false_fail / 2:
        k += 1
    return k


def sign_test_sample_size(
    coverage: float = 0.99, false_fail: float = DEFAULT_FALSE_FAIL, false_pass: float = DEFAULT_FALSE_PASS
) -> int:
    """Smallest n at which a law with mass ``coverage`` on one side outside the band is caught.

    Formula: reject when ``k = sign_test_count(n, false_fail)`` values lie on one side; the
    alternative puts ``Bin(n, coverage)`` values there, caught if ``P(Bin(n, coverage) >= k) >=
    1 - false_pass``.
    """
    _check_rates(false_fail, false_pass)
    if not 0.5 < coverage < 1:
        raise ValueError(f"coverage must be in (1/2, 1), got {coverage}")
    return _smallest_n(
        lambda n: stats.binom.sf(sign_test_count(n, false_fail) - 1, n, coverage) < 1 - false_pass
    )


def sign_test_detectable_effect(
    n: int, false_fail: float = DEFAULT_FALSE_FAIL, false_pass: float = DEFAULT_FALSE_PASS
) -> float:
    """Smallest ``coverage - 1/2`` caught with n values (1/2 if even coverage 1 is not caught)."""
    _check_rates(false_fail, false_pass)
    k = sign_test_count(n, false_fail)
    return _smallest_effect(lambda e: stats.binom.sf(k - 1, n, 0.5 + e) < 1 - false_pass, 0.5)


def median_band_test(
    sampler: Sampler,
    low: float,
    high: float,
    *,
    coverage: float = 0.99,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
    n: int | None = None,
) -> Decision:
    """Decide that the median of X lies in ``[low, high]`` (exact sign test, any law).

    Formula: if the median lies in the band, ``P(X > high) <= 1/2`` and ``P(X < low) <= 1/2``, so
    each count of values beyond a side is stochastically below ``Bin(n, 1/2)``; reject when either
    reaches ``k`` with ``P(Bin(n, 1/2) >= k) <= false_fail / 2``.

    Args:
        sampler: draws the values (i.i.d.).
        low: the band's lower end.
        high: the band's upper end, ``> low``.
        coverage: a law with at least this mass on one side outside the band is caught with
            probability ``1 - false_pass``.
        false_fail: probability of failing a law whose median lies in the band.
        false_pass: probability of missing a law of ``coverage`` outside.
        n: sample size; :func:`sign_test_sample_size` if None.

    Returns:
        The decision (statistic: the larger count beyond a side; threshold: ``k - 1``; effect:
        ``coverage - 1/2``, the excess over 1/2 of the probability beyond a side that is caught).
    """
    started = time.perf_counter()
    if not high > low:
        raise ValueError(f"high must be > low, got [{low}, {high}]")
    n = n or sign_test_sample_size(coverage, false_fail, false_pass)
    x = _draw(sampler, n)
    above, below = int(np.count_nonzero(x > high)), int(np.count_nonzero(x < low))
    k = sign_test_count(n, false_fail)
    worst = max(above, below)
    p_value = min(1.0, 2 * float(stats.binom.sf(worst - 1, n, 0.5)))
    return Decision(
        "sign-median",
        n,
        float(worst),
        float(k - 1),
        worst < k,
        coverage - 0.5,
        EffectUnit.ABSOLUTE_PROBABILITY.value,
        false_fail,
        false_pass,
        p_value=p_value,
        detail=f" ({below} below {low:.6g}, {above} above {high:.6g}; median {float(np.median(x)):.6g})",
        seconds=time.perf_counter() - started,
    )


check_median_band = requiring(median_band_test)
