"""Tests of the decision rules: sample-size arithmetic, calibration, power, failure messages.

Calibration runs each rule many times at a loose false-fail rate (0.05) on samples from the true
law, with fixed seeds (deterministic, so never flaky), and checks the observed failure count
against exact binomial bounds at 1e-6: the exact rules (DKW is asymptotically exact, chi-square
and the binomial test are exact up to discreteness) must fail at the declared rate, not merely
below it; the inequality-based rules (Bernstein, median of means) are conservative by
construction and must fail at most at the declared rate.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from scipy import stats

from properties import decide
from properties.decide import CheckFailed, Context
from properties.records import collecting

RUNS = 2000
RATE = 0.05


def binomial_bounds(runs: int, rate: float, confidence_rate: float = 1e-6) -> tuple[int, int]:
    return decide.binomial_acceptance(runs, rate, confidence_rate)


def failures(run_one) -> int:
    """Failures of ``run_one`` over RUNS seeds (records kept out of the claims report)."""
    count = 0
    with collecting():
        for i in range(RUNS):
            rng = np.random.default_rng(1_000_000 + i)
            try:
                run_one(rng)
            except CheckFailed:
                count += 1
    return count


def private_records(test):
    """Checks in this module test the rules themselves: keep their records out of the report."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        with collecting():
            return test(*args, **kwargs)

    return wrapper


def test_sample_sizes_match_tfp_and_closed_forms() -> None:
    # TFP's min_num_samples_for_dkwm_cdf_test with equal rates is 2 ln(2/delta) / d^2 (its
    # reported 11,607 / 72,543 / 290,173 are that value rounded; a minimum must be the ceiling).
    for effect, tfp in ((0.05, 11_607), (0.02, 72_543), (0.01, 290_173)):
        n = decide.dkw_sample_size(effect, 1e-6, 1e-6)
        assert n == math.ceil(2 * math.log(2e6) / effect**2) and abs(n - tfp) <= 1
    n = decide.dkw_sample_size(0.02)
    assert decide.dkw_detectable_effect(n) <= 0.02 < decide.dkw_detectable_effect(n - 1)
    n = decide.chi2_variance_sample_size(0.05)
    assert decide._chi2_miss(n, 0.05, decide.DEFAULT_FALSE_FAIL) <= decide.DEFAULT_FALSE_PASS
    assert decide._chi2_miss(n - 1, 0.05, decide.DEFAULT_FALSE_FAIL) > decide.DEFAULT_FALSE_PASS
    assert decide.median_of_means_groups(1e-9) == math.ceil(8 * math.log(1e9))
    low, high = decide.binomial_acceptance(100, 0.5, 0.01)
    assert stats.binom.cdf(low - 1, 100, 0.5) <= 0.005 < stats.binom.cdf(low, 100, 0.5)
    assert stats.binom.sf(high, 100, 0.5) <= 0.005 < stats.binom.sf(high - 1, 100, 0.5)


@private_records
def test_dkw_is_calibrated() -> None:
    count = failures(
        lambda rng: decide.check_cdf(
            Context("c", {}), rng.standard_normal, stats.norm(), false_fail=RATE, n=400
        )
    )
    low, high = binomial_bounds(RUNS, RATE)
    # DKW-Massart is asymptotically exact: the size is within 1e-4 of 0.05 at n = 400
    # (Kolmogorov's law: 2 sum (-1)^(k-1) exp(-2 k^2 x^2)).
    assert low <= count <= high, count


@private_records
def test_chi_square_variance_is_calibrated() -> None:
    count = failures(
        lambda rng: decide.check_normal_variance(
            Context("c", {}), lambda n: rng.normal(0, 2, n), 4.0, false_fail=RATE, n=300
        )
    )
    low, high = binomial_bounds(RUNS, RATE)
    assert low <= count <= high, count


@private_records
def test_binomial_is_calibrated() -> None:
    size = decide.binomial_acceptance(500, 0.3, RATE)
    exact_size = stats.binom.cdf(size[0] - 1, 500, 0.3) + stats.binom.sf(size[1], 500, 0.3)
    count = failures(
        lambda rng: decide.check_proportion(
            Context("c", {}), lambda n: rng.random(n) < 0.3, 0.3, false_fail=RATE, n=500
        )
    )
    low, high = binomial_bounds(RUNS, exact_size)  # the discrete test's exact size, just below 0.05
    assert exact_size <= RATE and low <= count <= high, (count, exact_size)


@private_records
def test_inequality_rules_are_conservative() -> None:
    bernstein = failures(
        lambda rng: decide.check_mean(
            Context("c", {}),
            lambda n: rng.uniform(-1, 1, n),
            0.0,
            1 / 3,
            effect=0.1,
            spread=1.0,
            false_fail=RATE,
        )
    )
    _, high = binomial_bounds(RUNS, RATE)
    assert bernstein <= high


@private_records
def test_median_of_means_is_conservative() -> None:
    count = 0
    for i in range(200):
        rng = np.random.default_rng(i)
        try:
            decide.check_mean(
                Context("c", {}),
                rng.standard_exponential,
                1.0,
                1.0,
                effect=0.3,
                false_fail=RATE,
                false_pass=RATE,
            )
        except CheckFailed:
            count += 1
    assert count <= decide.binomial_acceptance(200, RATE, 1e-6)[1]


@private_records
def test_power_at_the_detectable_effect() -> None:
    """An error of exactly the detectable effect is caught (seeded; the false-pass rate is 1e-3)."""
    rng = np.random.default_rng(7)
    with pytest.raises(CheckFailed):
        decide.check_normal_variance(Context("c", {}), lambda n: rng.normal(0, 1.05, n), 1.0)
    with pytest.raises(CheckFailed):
        decide.check_cdf(Context("c", {}), lambda n: rng.normal(0, 1, n) + 0.06, stats.norm())
    with pytest.raises(CheckFailed):
        decide.check_proportion(Context("c", {}), lambda n: rng.random(n) < 0.52, 0.5)

    def pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.normal(0, 1, n)
        return 1.1 * np.maximum(y, 0) ** 2, y**2  # ratio 0.55, claimed 0.5

    with pytest.raises(CheckFailed):
        decide.check_ratio(
            Context("c", {}),
            pairs,
            0.5,
            numerator=(0.5, 1.25),
            denominator=(1.0, 2.0),
            difference_variance=0.75,
        )
    with pytest.raises(CheckFailed):
        decide.check_variance(Context("c", {}), lambda n: rng.uniform(-1.05, 1.05, n), 1 / 3, 1.8, bound=1.05)


@private_records
def test_failure_message_names_everything() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(CheckFailed) as info:
        decide.check_normal_variance(
            Context("he-normal-law", {"shape": (3, 2)}, seed=42), lambda n: rng.normal(0, 2, n), 1.0
        )
    message = str(info.value)
    for part in (
        "he-normal-law",
        "chi2-variance",
        "statistic",
        "threshold",
        "n=",
        "seed=42",
        '"shape":[3,2]',
    ):
        assert part in message


@private_records
def test_rule_argument_errors() -> None:
    with pytest.raises(ValueError, match="false_fail must be in"):
        decide.dkw_sample_size(0.1, false_fail=0.0)
    with pytest.raises(ValueError, match="sampler returned"):
        decide.check_cdf(Context("c", {}), lambda n: np.zeros(3), stats.norm(), n=10)
    with pytest.raises(ValueError, match="variance must be > 0"):
        decide.check_normal_variance(Context("c", {}), lambda n: np.zeros(n), 0.0)
