"""Check records: the one typed record every check yields, and how it travels to the report.

A :class:`CheckRecord` is made by :func:`decision_record` (a decision rule's verdict) or
:func:`assertion_record` (an exact or contract claim a test verified with plain assertions). It
rides from an xdist worker to the controller as builtins on the test report's
``user_properties`` (:meth:`CheckRecord.to_dict` / :meth:`CheckRecord.from_dict`), under the keys
:data:`CLAIMS_KEY` and :data:`CHECKS_KEY`. ``reports`` reads it; the CSV columns are its fields
(:data:`COLUMNS`). Outside a collecting context (a plain script) records are simply not kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any

import numpy as np
import pytest

from theory import CLAIMS

CLAIMS_KEY = "claims"
"""``user_properties`` key: the sorted claim ids a test is marked with."""
CHECKS_KEY = "checks"
"""``user_properties`` key: the records (as dicts) of the checks a test ran."""
TARGET_KEY = "target"
"""``user_properties`` key: the name of the target a test ran against."""
NOT_APPLICABLE_KEY = "not_applicable"
"""``user_properties`` key: why the test was not applicable to its target (a skip's message)."""
DEVIATIONS_KEY = "deviations"
"""``user_properties`` key: the declared deviations (claim -> reason and link) a test reproduced."""
CALLS_KEY = "framework_calls"
"""``user_properties`` key: a failed test's last framework calls, each a line of the framework's API."""
COLLECTED_KEY = "initcheck_claim_tests"
"""``workeroutput`` key: per target and claim id, the number of collected tests marked with it."""
COLLECTED = pytest.StashKey[dict[str, dict[str, int]]]()
"""``config.stash`` key of the same count in the process that collected."""
DEFAULT_TARGET = "impls"
"""The implementation under test unless a record says otherwise."""


@dataclass(frozen=True)
class RunTargets:
    """The targets of a run: those it runs, their versions, and those left for their own run.

    Attributes:
        names: the targets this process runs, in order.
        versions: target -> (package -> version).
        left_out: targets asked for (``--target all``) that need a process of their own.
    """

    names: tuple[str, ...] = (DEFAULT_TARGET,)
    versions: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    left_out: tuple[str, ...] = ()


TARGETS = pytest.StashKey[RunTargets]()
"""``config.stash`` key of the run's :class:`RunTargets` (set by ``properties/conftest.py``)."""


class Status(str, Enum):
    """The verdict on one claim in one run (the words of ``claims.md``)."""

    VERIFIED = "verified"
    """Every test of the claim ran and checked it, and every check passed."""
    FAILED = "failed"
    """A check of the claim failed, or a test of it failed without naming which claim."""
    NOT_RUN = "not run"
    """No test checked the claim in this run."""
    PARTLY_RUN = "partly run"
    """Some of the claim's tests checked it and passed; others did not run or did not reach it."""
    NOT_APPLICABLE = "not applicable"
    """The target lacks the function the claim is about."""
    KNOWN_DEVIATION = "known deviation"
    """The target fails the claim in a declared, documented way."""


class Verdict(str, Enum):
    """The verdict of one check."""

    PASS = "pass"
    FAIL = "fail"
    KNOWN_DEVIATION = "known deviation"
    """It failed, in a way its target declares (:class:`properties.targets.Deviation`)."""


class EffectUnit(str, Enum):
    """What a record's ``effect`` measures; every record declares one."""

    RELATIVE_STD = "relative std"
    """A std of ``(1 +- e) sigma`` is caught."""
    RELATIVE_VARIANCE = "relative variance"
    """A variance off by a factor ``1 +- e`` is caught."""
    RELATIVE_MEAN = "relative mean"
    """A mean off by a factor ``1 +- e`` is caught."""
    RELATIVE_RATIO = "relative ratio"
    """A ratio of means off by a factor ``1 +- e`` is caught."""
    ABSOLUTE_MEAN = "absolute mean"
    """A mean shifted by ``e`` (in the quantity's own units) is caught."""
    KOLMOGOROV = "Kolmogorov distance"
    """A law at Kolmogorov distance ``e`` from the claimed one is caught."""
    ABSOLUTE_PROBABILITY = "absolute probability"
    """A probability off by ``e`` is caught."""
    RTOL = "rtol"
    """A comparison fails beyond a relative error ``e``."""
    ATOL = "atol"
    """A comparison fails beyond an absolute error ``e`` (the largest elementwise tolerance)."""
    LOG = "log error"
    """A comparison of logarithms fails beyond ``e`` (a relative error of about ``e``)."""
    NONE = ""
    """No effect (a plain-assertion record)."""


def _percent(value: float) -> str:
    return f"{100 * value:.3g}%"


_WORDS: dict[str, Callable[[float], str]] = {
    EffectUnit.RELATIVE_STD.value: lambda e: f"a {_percent(e)} error in the std",
    EffectUnit.RELATIVE_VARIANCE.value: lambda e: f"a {_percent(e)} error in the variance",
    EffectUnit.RELATIVE_MEAN.value: lambda e: f"a {_percent(e)} error in the mean",
    EffectUnit.RELATIVE_RATIO.value: lambda e: f"a {_percent(e)} error in the ratio",
    EffectUnit.ABSOLUTE_MEAN.value: lambda e: f"a shift of {e:.3g} in the mean",
    EffectUnit.KOLMOGOROV.value: lambda e: f"a Kolmogorov distance of {e:.3g} from the law",
    EffectUnit.ABSOLUTE_PROBABILITY.value: lambda e: f"an error of {e:.3g} in a probability",
    EffectUnit.RTOL.value: lambda e: f"a relative error above {_percent(e) if e >= 1e-3 else f'{e:.3g}'}",
    EffectUnit.ATOL.value: lambda e: f"an absolute error above {e:.3g}",
    EffectUnit.LOG.value: lambda e: f"a factor {float(np.exp(e)):.3g} (an error of {e:.3g} in the log)",
}


def effect_in_words(effect: float, unit: str) -> str:
    """``effect`` in words a reader understands, e.g. ``a 5% error in the std``."""
    if unit not in _WORDS:
        raise ValueError(f"unit must be one of {sorted(_WORDS)}, got {unit!r}")
    if effect == 0 and unit in (EffectUnit.RTOL.value, EffectUnit.ATOL.value):
        return "any difference (exact equality)"
    return _WORDS[unit](effect)


RELATIVE_UNITS = frozenset(
    u.value
    for u in (
        EffectUnit.RELATIVE_STD,
        EffectUnit.RELATIVE_VARIANCE,
        EffectUnit.RELATIVE_MEAN,
        EffectUnit.RELATIVE_RATIO,
    )
)
"""Units whose effect is a fraction of the claimed quantity (comparable with "a 5% error")."""


class ClaimError(ValueError):
    """A check names a claim that theory does not hold or that its test does not mark."""


@dataclass(frozen=True)
class CheckRecord:
    """One check: which claim, which test, what was decided and how sure it is.

    Attributes:
        claim: the claim id (validated against ``theory.CLAIMS``).
        test: the pytest node id (filled in on the controller).
        target: the implementation under test.
        rule: the decision rule (``dkw-cdf``, ``chi2-variance``, ..., ``exact``, ``assertions``).
        case: the Hypothesis case as compact JSON (keys sorted).
        size_min, size_max: the smallest and largest size in the case (shape dims, width, n,
            fans), or None.
        n: the sample size (number of compared values for comparisons).
        statistic, threshold, p_value: the decision's numbers.
        effect: the effect the check catches with probability ``1 - false_pass``, in ``effect_unit``.
        effect_unit: a :class:`EffectUnit` value.
        false_fail: probability of failing a correct implementation (0 for exact comparisons).
        false_pass: probability of missing an error of ``effect``.
        verdict: ``pass``, ``fail``, or ``known deviation`` (failed as its target declares).
        seed: the sample's seed.
        seconds: wall time of the check.
        call: a statistical check's: the call of the framework that drew the sample's first
            values, in the framework's own API with its seed (``torch.nn.init.kaiming_normal_(
            torch.empty(3, 2, ...), ..., generator=torch.Generator().manual_seed(...))``), where the
            target renders it; the sample is that call repeated with the seeds that follow. A failed
            exact check's (``false_fail == 0``): the last framework calls of the failing example,
            one per line (:data:`CALL_LINES`), that the target logs. Empty otherwise.
    """

    claim: str
    test: str = ""
    target: str = DEFAULT_TARGET
    rule: str = ""
    case: str = "{}"
    size_min: int | None = None
    size_max: int | None = None
    n: int | None = None
    statistic: float | None = None
    threshold: float | None = None
    p_value: float | None = None
    effect: float | None = None
    effect_unit: str = EffectUnit.NONE.value
    false_fail: float = 0.0
    false_pass: float | None = None
    verdict: str = Verdict.PASS.value
    seed: int | None = None
    seconds: float = 0.0
    call: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict == Verdict.PASS.value

    def to_dict(self) -> dict[str, Any]:
        """The record as builtins (travels on ``user_properties``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> CheckRecord:
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        unknown = set(values) - set(COLUMNS)
        if unknown:
            raise ValueError(f"unknown record fields {sorted(unknown)}")
        return cls(**values)

    def with_test(self, test: str) -> CheckRecord:
        """The same record, attributed to the test ``test``."""
        return CheckRecord(**{**self.to_dict(), "test": test})


CALL_LINES = "\n"
"""What separates the lines of a record's ``call`` that holds several framework calls."""

COLUMNS = tuple(f.name for f in fields(CheckRecord))
"""The CSV columns of ``checks.csv``: the record's fields, in order."""


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.dtype | type):
        return np.dtype(value).name
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return repr(value)


def case_text(case: Mapping[str, Any]) -> str:
    """A case as compact, stable JSON (keys sorted), for messages and CSV cells."""
    return json.dumps(_plain(dict(case)), sort_keys=True, separators=(",", ":"))


_SIZE_KEYS = ("width", "n", "fan_in", "fan_out")


def case_sizes(case: Mapping[str, Any]) -> tuple[int, ...]:
    """The sizes a case names: every dimension of its ``shape``, and ``width``/``n``/fans."""
    sizes: list[int] = []
    shape = case.get("shape")
    if isinstance(shape, tuple | list):
        sizes.extend(int(v) for v in shape if isinstance(v, int | np.integer) and not isinstance(v, bool))
    for key in _SIZE_KEYS:
        value = case.get(key)
        if isinstance(value, int | np.integer) and not isinstance(value, bool):
            sizes.append(int(value))
    return tuple(sizes)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def validate_claim(claim: str) -> None:
    """Raise :class:`ClaimError` unless ``claim`` is in ``theory.CLAIMS`` and the active test marks it."""
    if claim not in CLAIMS:
        raise ClaimError(f"a check names claim {claim!r}, which theory.CLAIMS does not hold")
    if _active:
        marked = _active[-1].marked
        if marked is not None:
            names = marked()
            if claim not in names:
                raise ClaimError(
                    f"a check names claim {claim!r}, which its test does not mark (it marks "
                    f"{sorted(names)}); add @pytest.mark.claim({claim!r}) or fix the id"
                )


def decision_record(
    claim: str,
    case: Mapping[str, Any],
    *,
    rule: str,
    n: int,
    statistic: float,
    threshold: float,
    passed: bool,
    effect: float,
    effect_unit: str,
    false_fail: float,
    false_pass: float,
    p_value: float | None = None,
    seed: int | None = None,
    seconds: float = 0.0,
    target: str = DEFAULT_TARGET,
    call: str = "",
) -> CheckRecord:
    """The record of a decision rule's verdict (statistical, asymptotic or exact comparison)."""
    validate_claim(claim)
    EffectUnit(effect_unit)
    sizes = case_sizes(case)
    return CheckRecord(
        claim=claim,
        target=target,
        rule=rule,
        case=case_text(case),
        size_min=min(sizes) if sizes else None,
        size_max=max(sizes) if sizes else None,
        n=int(n),
        statistic=float(statistic),
        threshold=float(threshold),
        p_value=_optional_float(p_value),
        effect=float(effect),
        effect_unit=effect_unit,
        false_fail=float(false_fail),
        false_pass=float(false_pass),
        verdict=(Verdict.PASS if passed else Verdict.FAIL).value,
        seed=None if seed is None else int(seed),
        seconds=float(seconds),
        call=str(call),
    )


ASSERTIONS_RULE = "assertions"


def assertion_record(
    claim: str, test: str, *, passed: bool, seconds: float, target: str = DEFAULT_TARGET
) -> CheckRecord:
    """The record of a test that verified an exact or contract ``claim`` with plain assertions."""
    return CheckRecord(
        claim=claim,
        test=test,
        target=target,
        rule=ASSERTIONS_RULE,
        verdict=(Verdict.PASS if passed else Verdict.FAIL).value,
        seconds=float(seconds),
    )


class _Bucket(list[CheckRecord]):
    def __init__(self, marked: Callable[[], Iterable[str]] | None) -> None:
        super().__init__()
        self.marked = None if marked is None else (lambda: set(marked()))


_active: list[_Bucket] = []


def emit(record: CheckRecord) -> None:
    """Keep ``record`` in the innermost active collector, if any."""
    if _active:
        _active[-1].append(record)


@contextmanager
def collecting(marked: Callable[[], Iterable[str]] | None = None) -> Iterator[list[CheckRecord]]:
    """Collect every record emitted inside the ``with`` block into the yielded list.

    Args:
        marked: returns the claim ids the running test marks; a check naming another claim
            raises :class:`ClaimError`. None: any claim of ``theory.CLAIMS`` is accepted.
    """
    bucket = _Bucket(marked)
    _active.append(bucket)
    try:
        yield bucket
    finally:
        _active.pop()


def marked_claims(item: Any) -> list[str]:
    """The sorted claim ids of a pytest item's ``claim`` markers."""
    return sorted({m.args[0] for m in item.iter_markers("claim")})
