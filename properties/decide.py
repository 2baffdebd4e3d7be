"""Statistical decision rules with declared error rates.

Every rule takes a *false-fail rate* (the probability of failing a correct implementation,
default 1e-9 per check) and a *detectable effect* caught with probability at least 1 - the
*false-pass rate* (default 1e-3). From these it computes the sample size it needs (each
``*_sample_size`` function exposes that computation, like TFP's ``min_num_samples_for_dkwm_cdf_test``),
draws that many values through a ``sampler(n)`` callback, emits a record and raises
:class:`CheckFailed` with a message naming claim, case, statistic, threshold, n and seed.

Rules, rigorous first:

- :func:`check_cdf` — the Dvoretzky-Kiefer-Wolfowitz inequality with Massart's constant,
  ``P(sup |F_n - F| > e) <= 2 exp(-2 n e^2)``, for any continuous law.
- :func:`check_normal_variance` — the exact chi-square law of ``sum x^2 / sigma^2`` for a normal
  sample with known mean.
- :func:`check_mean` — Bernstein's inequality for bounded variables, or a median of means
  (Chebyshev per group, Hoeffding on the groups) that needs only a variance bound.
- :func:`check_variance` — :func:`check_mean` on squared deviations, whose variance
  ``(kappa - 1) sigma^4`` accounts for the law's kurtosis ``kappa``.
- :func:`check_proportion` — the exact binomial test.
- :func:`check_ratio` — a ratio of two means, as the mean of ``X - ratio Y``.

No rule uses an asymptotic approximation.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from properties.records import case_text, emit

DEFAULT_FALSE_FAIL = 1e-9
"""Per-check probability of failing a correct implementation."""
DEFAULT_FALSE_PASS = 1e-3
"""Per-check probability of passing an implementation that is off by the detectable effect."""

Sampler = Callable[[int], np.ndarray]
"""``sampler(n)`` returns at least ``n`` independent values (a 1-D array; more are ignored)."""


class CheckFailed(AssertionError):
    """A decision rule rejected the claim for this case."""


@dataclass(frozen=True)
class Context:
    """What a check is about: the claim id, the Hypothesis case, and the sample's seed."""

    claim: str
    case: dict[str, Any]
    seed: int | None = None


def _draw(sampler: Sampler, n: int) -> np.ndarray:
    values = np.asarray(sampler(n), dtype=np.float64).ravel()
    if values.size < n:
        raise ValueError(f"sampler returned {values.size} values, {n} were asked for")
    return values[:n]


def _decide(
    context: Context,
    rule: str,
    *,
    n: int,
    statistic: float,
    threshold: float,
    passed: bool,
    effect: float,
    false_fail: float,
    false_pass: float,
    started: float,
    p_value: float | None = None,
    detail: str = "",
) -> dict[str, Any]:
    record = {
        "claim": context.claim,
        "rule": rule,
        "case": case_text(context.case),
        "n": int(n),
        "statistic": float(statistic),
        "threshold": float(threshold),
        "p_value": None if p_value is None else float(p_value),
        "effect": float(effect),
        "false_fail": float(false_fail),
        "false_pass": float(false_pass),
        "verdict": "pass" if passed else "fail",
        "seed": context.seed,
        "seconds": time.perf_counter() - started,
    }
    emit(record)
    if not passed:
        raise CheckFailed(
            f"claim {context.claim!r} rejected by {rule}: statistic {statistic:.6g} vs threshold "
            f"{threshold:.6g}{detail} (n={n}, seed={context.seed}, false-fail rate {false_fail:g}, "
            f"case {record['case']})"
        )
    return record


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


def check_cdf(
    context: Context,
    sampler: Sampler,
    law: Any,
    *,
    effect: float = 0.02,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
    n: int | None = None,
) -> dict[str, Any]:
    """Decide whether the sample's law is ``law`` (a frozen scipy distribution or a CDF).

    Args:
        context: claim, case and seed.
        sampler: draws the values.
        law: frozen ``scipy.stats`` distribution (its ``cdf`` is used) or a CDF callable.
        effect: Kolmogorov distance caught with probability ``1 - false_pass``.
        false_fail: probability of failing a correct implementation.
        false_pass: probability of passing a law at distance ``effect``.
        n: sample size; computed from the rates and effect if None.

    Returns:
        The record.
    """
    started = time.perf_counter()
    n = n or dkw_sample_size(effect, false_fail, false_pass)
    cdf = law.cdf if hasattr(law, "cdf") else law
    result = stats.kstest(_draw(sampler, n), cdf)
    return _decide(
        context,
        "dkw-cdf",
        n=n,
        statistic=result.statistic,
        threshold=dkw_halfwidth(n, false_fail),
        passed=result.statistic <= dkw_halfwidth(n, false_fail),
        p_value=result.pvalue,
        effect=dkw_detectable_effect(n, false_fail, false_pass),
        false_fail=false_fail,
        false_pass=false_pass,
        started=started,
    )


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


def chi2_variance_sample_size(
    relative_std: float = 0.05,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> int:
    """Smallest n at which a std off by a factor ``1 +- relative_std`` is caught (exact chi^2)."""
    _check_rates(false_fail, false_pass)
    return _smallest_n(lambda n: _chi2_miss(n, relative_std, false_fail) > false_pass)


def check_normal_variance(
    context: Context,
    sampler: Sampler,
    variance: float,
    *,
    mean: float = 0.0,
    relative_std: float = 0.05,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
    n: int | None = None,
) -> dict[str, Any]:
    """Decide ``Var X = variance`` for a normal sample with known mean (exact chi-square).

    Formula: ``S = sum (x - mean)^2 / (n variance) ~ chi^2_n / n``; accept iff S lies between its
    ``false_fail/2`` and ``1 - false_fail/2`` quantiles.

    Args:
        context: claim, case and seed.
        sampler: draws the values (normal under the claim).
        variance: the claimed variance, ``> 0``.
        mean: the known mean.
        relative_std: std error ``delta`` caught (a std of ``(1 +- delta) sigma``).
        false_fail: probability of failing a correct implementation.
        false_pass: probability of missing an error of ``relative_std``.
        n: sample size; computed if None.

    Returns:
        The record (statistic: the ratio S of sample to claimed variance).
    """
    started = time.perf_counter()
    if not variance > 0:
        raise ValueError(f"variance must be > 0, got {variance}")
    n = n or chi2_variance_sample_size(relative_std, false_fail, false_pass)
    x = _draw(sampler, n) - mean
    ratio = float(np.dot(x, x) / (n * variance))
    low, high = _chi2_bounds(n, false_fail)
    p_value = 2 * min(stats.chi2.cdf(n * ratio, n), stats.chi2.sf(n * ratio, n))
    return _decide(
        context,
        "chi2-variance",
        n=n,
        statistic=ratio,
        threshold=high if ratio > 1 else low,
        passed=low <= ratio <= high,
        p_value=min(1.0, p_value),
        effect=relative_std,
        false_fail=false_fail,
        false_pass=false_pass,
        started=started,
        detail=f" (accept [{low:.6g}, {high:.6g}])",
    )


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


@dataclass(frozen=True)
class MeanDesign:
    """How :func:`check_mean` decides: sample size, method and the two half-widths."""

    n: int
    method: str
    halfwidth_fail: float
    halfwidth_pass: float
    groups: int = 0


def _bernstein_design(effect: float, variance: float, spread: float, ff: float, fp: float) -> MeanDesign:
    alternative = ALTERNATIVE_VARIANCE_FACTOR * variance

    def misses(n: int) -> bool:
        width = bernstein_halfwidth(n, variance, spread, ff) + bernstein_halfwidth(n, alternative, spread, fp)
        return width > effect and n < 4 * MAX_SAMPLES

    n = _smallest_n(misses)
    return MeanDesign(
        n,
        "bernstein",
        bernstein_halfwidth(n, variance, spread, ff),
        bernstein_halfwidth(n, alternative, spread, fp),
    )


def _median_of_means_design(effect: float, variance: float, ff: float, fp: float) -> MeanDesign:
    groups = median_of_means_groups(min(ff, fp))
    # t_ff + t_fp = 2 sigma / sqrt(m) (1 + sqrt(factor)) <= effect
    root = 2 * (1 + math.sqrt(ALTERNATIVE_VARIANCE_FACTOR))
    group_size = max(1, math.ceil(root**2 * variance / effect**2))
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


def check_mean(
    context: Context,
    sampler: Sampler,
    mean: float,
    variance: float,
    *,
    effect: float,
    spread: float | None = None,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> dict[str, Any]:
    """Decide ``E X = mean`` given ``Var X = variance`` (and ``|X - mean| <= spread`` if bounded).

    Args:
        context: claim, case and seed.
        sampler: draws the values.
        mean: the claimed mean.
        variance: the claimed variance of one value (from theory).
        effect: shift of the mean caught with probability ``1 - false_pass``.
        spread: a bound on ``|X - mean|`` (enables Bernstein), or None (median of means).
        false_fail: probability of failing a correct implementation.
        false_pass: probability of missing a shift of ``effect``.

    Returns:
        The record (statistic: the estimate's distance from ``mean``).
    """
    started = time.perf_counter()
    design = mean_design(effect, variance, spread=spread, false_fail=false_fail, false_pass=false_pass)
    x = _draw(sampler, design.n)
    if design.method == "bernstein":
        estimate = float(np.mean(x))
        assert spread is not None  # the Bernstein design is chosen only with a support bound
        if np.any(np.abs(x - mean) > spread * (1 + 1e-12)):
            return _decide(
                context,
                "bernstein-mean",
                n=design.n,
                statistic=float(np.max(np.abs(x - mean))),
                threshold=spread,
                passed=False,
                effect=effect,
                false_fail=false_fail,
                false_pass=false_pass,
                started=started,
                detail=" (a value outside the claimed support)",
            )
    else:
        estimate = float(np.median(x.reshape(design.groups, -1).mean(axis=1)))
    distance = abs(estimate - mean)
    return _decide(
        context,
        f"{design.method}-mean",
        n=design.n,
        statistic=distance,
        threshold=design.halfwidth_fail,
        passed=distance < design.halfwidth_fail,
        effect=effect,
        false_fail=false_fail,
        false_pass=false_pass,
        started=started,
        detail=f" (estimate {estimate:.6g}, claimed {mean:.6g})",
    )


def check_variance(
    context: Context,
    sampler: Sampler,
    variance: float,
    kurtosis: float,
    *,
    mean: float = 0.0,
    bound: float | None = None,
    relative_std: float = 0.05,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> dict[str, Any]:
    """Decide ``Var X = variance`` for any law with known mean and (non-excess) ``kurtosis``.

    Formula: the squared deviations ``y = (x - mean)^2`` have ``E y = variance`` and
    ``Var y = (kurtosis - 1) variance^2``; with ``|x - mean| <= bound``, ``0 <= y <= bound^2``.
    A std error of ``delta`` shifts ``E y`` by ``(2 delta - delta^2) variance``.

    Args:
        context: claim, case and seed.
        sampler: draws the values.
        variance: the claimed variance.
        kurtosis: ``E (x - mean)^4 / variance^2`` (uniform 1.8, normal 3).
        mean: the known mean.
        bound: support half-width around the mean, if bounded.
        relative_std: std error ``delta`` caught.
        false_fail: probability of failing a correct implementation.
        false_pass: probability of missing an error of ``relative_std``.

    Returns:
        The record.
    """
    spread = None if bound is None else bound**2
    return check_mean(
        context,
        lambda n: (_draw(sampler, n) - mean) ** 2,
        variance,
        (kurtosis - 1.0) * variance**2,
        effect=(2 * relative_std - relative_std**2) * variance,
        spread=spread,
        false_fail=false_fail,
        false_pass=false_pass,
    )


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


def binomial_sample_size(
    p: float,
    effect: float,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> int:
    """Smallest n at which a probability off by ``effect`` is caught (exact binomial)."""
    _check_rates(false_fail, false_pass)

    def misses(n: int) -> bool:
        low, high = binomial_acceptance(n, p, false_fail)
        worst = 0.0
        for alternative in (p - effect, p + effect):
            if 0 <= alternative <= 1:
                law = stats.binom(n, alternative)
                worst = max(worst, law.cdf(high) - law.cdf(low - 1))
        return worst > false_pass

    return _smallest_n(misses, start=8)


def check_proportion(
    context: Context,
    sampler: Sampler,
    probability: float,
    *,
    effect: float = 0.02,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
    n: int | None = None,
) -> dict[str, Any]:
    """Decide ``P(event) = probability`` from indicator draws (exact binomial test).

    Args:
        context: claim, case and seed.
        sampler: returns booleans (or 0/1).
        probability: the claimed probability.
        effect: absolute error of the probability caught.
        false_fail: probability of failing a correct implementation.
        false_pass: probability of missing an error of ``effect``.
        n: sample size; computed if None.

    Returns:
        The record (statistic: the observed proportion).
    """
    started = time.perf_counter()
    n = n or binomial_sample_size(probability, effect, false_fail, false_pass)
    count = int(np.count_nonzero(_draw(sampler, n)))
    low, high = binomial_acceptance(n, probability, false_fail)
    p_value = stats.binomtest(count, n, probability).pvalue
    return _decide(
        context,
        "binomial",
        n=n,
        statistic=count / n,
        threshold=(high if count > n * probability else low) / n,
        passed=low <= count <= high,
        p_value=p_value,
        effect=effect,
        false_fail=false_fail,
        false_pass=false_pass,
        started=started,
        detail=f" (accept counts [{low}, {high}], observed {count})",
    )


# --------------------------------------------------------------------------------------------
# Ratios of means
# --------------------------------------------------------------------------------------------


def check_ratio(
    context: Context,
    sampler: Callable[[int], tuple[np.ndarray, np.ndarray]],
    ratio: float,
    *,
    numerator: tuple[float, float],
    denominator: tuple[float, float],
    difference_variance: float | None = None,
    relative_effect: float = 0.05,
    false_fail: float = DEFAULT_FALSE_FAIL,
    false_pass: float = DEFAULT_FALSE_PASS,
) -> dict[str, Any]:
    """Decide ``E X / E Y = ratio`` from paired draws, as the mean check ``E[X - ratio Y] = 0``.

    A ratio off by ``delta`` shifts ``E[X - ratio Y]`` by ``delta E Y``, so the check catches a
    relative error ``relative_effect`` of the ratio. The variance of ``X - ratio Y`` is
    ``difference_variance`` when theory knows it, else the Cauchy-Schwarz bound
    ``(sigma_X + ratio sigma_Y)^2``, which needs no covariance.

    Args:
        context: claim, case and seed.
        sampler: ``sampler(n) -> (x, y)``, n paired values each.
        ratio: the claimed ``E X / E Y``.
        numerator: ``(E X, Var X)`` under the claim.
        denominator: ``(E Y, Var Y)`` under the claim, ``E Y > 0``.
        difference_variance: ``Var(X - ratio Y)`` if known.
        relative_effect: relative error of the ratio caught.
        false_fail: probability of failing a correct implementation.
        false_pass: probability of missing an error of ``relative_effect``.

    Returns:
        The record of the mean check on the differences.
    """
    (_, vx), (my, vy) = numerator, denominator
    if not my > 0:
        raise ValueError(f"the denominator's mean must be > 0, got {my}")
    variance = difference_variance
    if variance is None:
        variance = (math.sqrt(vx) + abs(ratio) * math.sqrt(vy)) ** 2

    def differences(n: int) -> np.ndarray:
        x, y = sampler(n)
        return np.asarray(x, float)[:n] - ratio * np.asarray(y, float)[:n]

    return check_mean(
        context,
        differences,
        0.0,
        variance,
        effect=relative_effect * abs(ratio) * my,
        false_fail=false_fail,
        false_pass=false_pass,
    )


# --------------------------------------------------------------------------------------------
# Exact and asymptotic comparisons, recorded like the statistical ones
# --------------------------------------------------------------------------------------------


def check_close(
    context: Context,
    measured: Any,
    predicted: Any,
    *,
    rtol: float,
    atol: float = 0.0,
    rule: str = "exact",
    derivation: str = "",
    false_fail: float | None = None,
) -> dict[str, Any]:
    """Decide ``|measured - predicted| <= atol + rtol |predicted|`` elementwise, and record it.

    For exact claims the tolerance is floating-point rounding; for asymptotic claims it is the
    finite-size correction, whose derivation is passed as ``derivation`` and quoted on failure.
    ``false_fail`` is the rate the tolerance was derived at: 0 for exact comparisons, the
    default per-check rate otherwise (the derived tolerances use it).
    """
    if false_fail is None:
        false_fail = 0.0 if rule == "exact" else DEFAULT_FALSE_FAIL
    started = time.perf_counter()
    m, p = np.asarray(measured, float), np.asarray(predicted, float)
    excess = np.abs(m - p) - (atol + rtol * np.abs(p))
    worst = int(np.argmax(excess)) if excess.size else 0
    statistic = float(np.abs(m - p).ravel()[worst]) if excess.size else 0.0
    threshold = float((atol + rtol * np.abs(p)).ravel()[worst]) if excess.size else atol
    passed = bool(np.all(excess <= 0)) and bool(np.all(np.isfinite(m) == np.isfinite(p)))
    detail = f" (measured {m.ravel()[worst]:.6g}, predicted {p.ravel()[worst]:.6g}" if m.size else " ("
    detail += f"; tolerance: {derivation})" if derivation else ")"
    return _decide(
        context,
        rule,
        n=int(m.size),
        statistic=statistic,
        threshold=threshold,
        passed=passed,
        effect=rtol,
        false_fail=false_fail,
        false_pass=0.0,
        started=started,
        detail=detail,
    )
