"""From check records to tables: one row per check, one row per claim (pandas).

Schemas (column order is part of the contract):

- ``checks.csv``: :data:`CHECK_COLUMNS`, the fields of :class:`properties.records.CheckRecord`.
- ``claims.csv``: :data:`CLAIM_COLUMNS`; ``claims.md`` renders the same table with a summary line.

Credit only for what ran: a statistical or asymptotic claim is verified only by decision-rule
records of that claim in this run; an exact claim (or a contract) may also be verified by the
plain assertions of a test that passed. A claim is *verified* when every collected test of it
checked it and passed, *partly run* when only some did, *not run* when none did, and *failed*
when one of its checks failed (or a test of it failed without a failing check to blame).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any

import pandas as pd

from properties.records import (
    ASSERTIONS_RULE,
    CALL_LINES,
    COLUMNS,
    DEFAULT_TARGET,
    RELATIVE_UNITS,
    CheckRecord,
    EffectUnit,
    Status,
    Verdict,
    effect_in_words,
)
from theory import CLAIMS, Registry

CHECK_COLUMNS = list(COLUMNS)
"""One column per field of the record (the schema :mod:`properties.records` owns)."""
CLAIM_COLUMNS = [
    "id",
    "target",
    "title",
    "source",
    "kind",
    "status",
    "tests_run",
    "tests_collected",
    "tests_not_applicable",
    "cases",
    "checks",
    "sizes",
    "samples",
    "worst_ratio",
    "detects",
    "coarse",
    "false_fail_budget",
    "seconds",
]
STATUSES = tuple(s.value for s in Status)

DECIDED_KINDS = frozenset({"statistical", "asymptotic"})
"""Kinds of claim that only decision-rule records verify (never plain assertions)."""
CONTRACT_KIND = "contract"
"""The kind of definitions, API contracts and textbook identities, counted apart from theory."""
ASSERTIONS_WORDS = "what its assertions state (no declared tolerance)"
"""``detects`` of a claim checked only by plain assertions."""
COARSE_EFFECT = 0.1
"""A relative effect at or above this (10%) is reported next to the verdict as coarse."""


class Outcome(str, Enum):
    """What one test did for one of the claims it marks."""

    PASSED = "passed"
    """It checked the claim, and every check of the claim passed."""
    FAILED = "failed"
    """A check of the claim failed, or the test failed with no failing check to blame."""
    NOT_REACHED = "not reached"
    """It ran but did not check the claim (no record of it, or another claim's check failed)."""
    SKIPPED = "skipped"
    """It did not run."""
    NOT_APPLICABLE = "not applicable"
    """Its target cannot express it (a :class:`properties.targets.NotApplicable` skip)."""
    KNOWN_DEVIATION = "known deviation"
    """A check of the claim failed as its target declares."""


def needs_decision(claim: str, registry: Registry = CLAIMS) -> bool:
    """Whether only decision-rule records can verify ``claim`` (statistical, asymptotic)."""
    return claim in registry and registry[claim].kind.value in DECIDED_KINDS


def claim_outcomes(
    claims: Iterable[str], records: Sequence[CheckRecord], test_outcome: str, registry: Registry = CLAIMS
) -> dict[str, Outcome]:
    """Charge one test's result to each of its claims.

    Args:
        claims: the claim ids the test marks.
        records: the records of the checks it ran.
        test_outcome: the test's ``passed``/``failed``/``skipped``, or ``not applicable`` (it
            skipped as not applicable) or ``known deviation`` (it xfailed on a declared deviation).
        registry: the claims (for their kind).

    Returns:
        Per claim: failed if one of its own checks failed; known deviation if one failed as
        declared; when the test failed because another claim's check failed, not reached (or
        passed, if its own checks passed); when the test failed with no failing check, failed;
        when it passed, passed if the claim has records or is an exact claim or contract (its
        assertions ran), else not reached. A test that ended on a known deviation credits no
        assertions (they may not have run).
    """
    if test_outcome in ("skipped", "not applicable"):
        return {claim: Outcome(test_outcome) for claim in claims}
    blamed = {r.claim for r in records if r.verdict == Verdict.FAIL.value}
    declared = {r.claim for r in records if r.verdict == Verdict.KNOWN_DEVIATION.value}
    outcomes = {}
    for claim in claims:
        mine = [r for r in records if r.claim == claim]
        if claim in declared and claim not in blamed:
            outcomes[claim] = Outcome.KNOWN_DEVIATION
        elif claim in blamed or (test_outcome == "failed" and not blamed):
            outcomes[claim] = Outcome.FAILED
        elif mine or (test_outcome == "passed" and not needs_decision(claim, registry)):
            outcomes[claim] = Outcome.PASSED
        else:
            outcomes[claim] = Outcome.NOT_REACHED
    return outcomes


def checks_frame(records: Iterable[CheckRecord | Mapping[str, Any]]) -> pd.DataFrame:
    """One row per check, in :data:`CHECK_COLUMNS` order."""
    rows = [r.to_dict() if isinstance(r, CheckRecord) else dict(r) for r in records]
    frame = pd.DataFrame.from_records(rows, columns=CHECK_COLUMNS)
    integers = {"n": "Int64", "seed": "Int64", "size_min": "Int64", "size_max": "Int64"}
    return frame.astype(integers) if not frame.empty else frame


def _ratio(statistic: Any, threshold: Any) -> float:
    try:
        s, t = float(statistic), float(threshold)
    except (TypeError, ValueError):
        return math.nan
    if not (math.isfinite(s) and math.isfinite(t)) or t == 0:
        return math.nan
    return abs(s) / abs(t)


def _sizes(mine: pd.DataFrame) -> str:
    low, high = mine["size_min"].dropna(), mine["size_max"].dropna()
    return f"{int(low.min())}-{int(high.max())}" if len(low) and len(high) else ""


def _coarse(unit: str, effect: float) -> bool:
    """A relative effect of at least :data:`COARSE_EFFECT` (a factor ``1 + COARSE_EFFECT`` in logs)."""
    if unit == EffectUnit.LOG.value:
        return effect >= math.log1p(COARSE_EFFECT)
    return (unit in RELATIVE_UNITS or unit == EffectUnit.RTOL.value) and effect >= COARSE_EFFECT


def _effects(decided: pd.DataFrame) -> tuple[str, str]:
    """The effect every check of the claim catches, per unit, in words; and the coarse ones.

    Within a unit the largest effect is the one the run guarantees (every check catches at
    least that); units are never compared with each other. Coarse: a relative effect of at
    least :data:`COARSE_EFFECT`.
    """
    words, coarse = [], []
    for unit, group in sorted(decided.groupby("effect_unit"), key=lambda kv: str(kv[0])):
        effect = float(group["effect"].max())
        if not unit or not math.isfinite(effect):
            continue
        words.append(effect_in_words(effect, str(unit)))
        if _coarse(str(unit), effect):
            coarse.append(words[-1])
    return "; ".join(words), "; ".join(coarse)


OutcomeKey = tuple[str, str]
"""``(target, claim id)``."""


def run_targets(
    checks: pd.DataFrame,
    outcomes: Mapping[OutcomeKey, Iterable[str]],
    collected: Mapping[str, Mapping[str, int]],
) -> list[str]:
    """The targets of a run, in order of appearance (collected, then outcomes, then records);
    the default target when nothing names one."""
    found = [*collected, *(target for target, _ in outcomes)]
    if not checks.empty:
        found += list(checks["target"])
    return list(dict.fromkeys(found)) or [DEFAULT_TARGET]


def claims_frame(
    checks: pd.DataFrame,
    outcomes: Mapping[OutcomeKey, Iterable[str]] | None = None,
    collected: Mapping[str, Mapping[str, int]] | None = None,
    registry: Registry = CLAIMS,
    targets: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per target and claim of ``registry``: status, how much ran, how sure the verdict is.

    Args:
        checks: the frame of :func:`checks_frame`.
        outcomes: per ``(target, claim id)``, the :class:`Outcome` of each test marked with the
            claim that ran (or was skipped) against the target in this run.
        collected: per target and claim id, the number of tests marked with it that were
            collected (before ``-k``/``-m`` deselection); at least the tests in ``outcomes``.
        registry: the claims.
        targets: the targets, in order (default :func:`run_targets`).

    Returns:
        A frame in :data:`CLAIM_COLUMNS` order, the targets one after the other. ``tests_run``
        counts the tests that checked the claim, ``tests_collected`` those that could have,
        ``tests_not_applicable`` those the target cannot express (left out of the count a
        *verified* claim needs; only when every test of the claim is so is it *not applicable*);
        ``cases`` the distinct (test, case) pairs of its decision records; ``worst_ratio`` the
        largest statistic / threshold; ``detects`` the effect the run could detect, in words, per
        unit; ``coarse`` the relative effects of 10% or more among them (all that some check of
        the claim can see); ``false_fail_budget`` the sum of the false-fail rates of its checks.
        A claim with a check that failed as its target declares is a *known deviation*, unless
        another check of it failed.
    """
    outcomes, collected = outcomes or {}, collected or {}
    targets = list(targets) if targets is not None else run_targets(checks, outcomes, collected)
    rows = []
    for target in targets:
        of_target = checks[checks["target"] == target] if not checks.empty else checks_frame([])
        for claim in registry:
            rows.append(_claim_row(claim, target, of_target, outcomes, collected))
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def _claim_row(
    claim: Any,
    target: str,
    checks: pd.DataFrame,
    outcomes: Mapping[OutcomeKey, Iterable[str]],
    collected: Mapping[str, Mapping[str, int]],
) -> dict[str, Any]:
    mine = checks[checks["claim"] == claim.id] if not checks.empty else checks_frame([])
    results = Counter(Outcome(o) for o in outcomes.get((target, claim.id), []))
    decided = mine[mine["rule"] != ASSERTIONS_RULE]
    failed = results[Outcome.FAILED] > 0 or bool((mine["verdict"] == Verdict.FAIL.value).any())
    deviates = results[Outcome.KNOWN_DEVIATION] > 0 or bool(
        (mine["verdict"] == Verdict.KNOWN_DEVIATION.value).any()
    )
    run = results[Outcome.PASSED] + results[Outcome.FAILED] + results[Outcome.KNOWN_DEVIATION]
    not_applicable = results[Outcome.NOT_APPLICABLE]
    total = max(int(collected.get(target, {}).get(claim.id, 0)), sum(results.values()))
    if failed:
        status = Status.FAILED
    elif deviates:
        status = Status.KNOWN_DEVIATION
    elif run == 0 and not_applicable:
        status = Status.NOT_APPLICABLE
    elif run == 0:
        status = Status.NOT_RUN
    elif run < total - not_applicable:
        status = Status.PARTLY_RUN
    else:
        status = Status.VERIFIED
    ratios = [_ratio(s, t) for s, t in zip(decided["statistic"], decided["threshold"], strict=True)]
    ratios = [r for r in ratios if math.isfinite(r)]
    detects, coarse = _effects(decided)
    if not detects and (mine["rule"] == ASSERTIONS_RULE).any():
        detects = ASSERTIONS_WORDS
    return {
        "id": claim.id,
        "target": target,
        "title": claim.title,
        "source": claim.source,
        "kind": claim.kind.value,
        "status": status.value,
        "tests_run": run,
        "tests_collected": total,
        "tests_not_applicable": not_applicable,
        "cases": len(decided[["test", "case"]].drop_duplicates()),
        "checks": len(mine),
        "sizes": _sizes(mine),
        "samples": int(decided["n"].sum()),
        "worst_ratio": max(ratios) if ratios else math.nan,
        "detects": detects,
        "coarse": coarse,
        "false_fail_budget": float(mine["false_fail"].sum()),
        "seconds": float(mine["seconds"].sum()),
    }


def _counts(claims: pd.DataFrame) -> str:
    """``a verified (k of them coarsely), b failed, c not run[, d partly run]``."""
    counts = claims["status"].value_counts()
    always = (Status.VERIFIED.value, Status.FAILED.value, Status.NOT_RUN.value)
    parts = [f"{int(counts.get(s, 0))} {s}" for s in STATUSES if s in always or counts.get(s, 0)]
    coarse = claims.get("coarse", pd.Series("", index=claims.index)).fillna("").astype(bool)
    coarsely = int((coarse & (claims["status"] == Status.VERIFIED.value)).sum())
    if coarsely:
        parts[0] += f" ({coarsely} of them coarsely: only an error of {COARSE_EFFECT:.0%} or more is caught)"
    return ", ".join(parts)


def _kind_counts(claims: pd.DataFrame) -> list[str]:
    parts = []
    groups = (
        ("theory", claims[claims["kind"] != CONTRACT_KIND]),
        ("contracts", claims[claims["kind"] == CONTRACT_KIND]),
    )
    for name, group in groups:
        if group.empty:
            continue
        kinds = "/".join(dict.fromkeys(group["kind"]))
        parts.append(f"{name}: {len(group)} claims ({kinds}): {_counts(group)}")
    return parts


def summary_line(claims: pd.DataFrame, checks: pd.DataFrame) -> str:
    """``theory: N claims (kinds): a verified, ...; contracts: M claims: ...; K checks ...``.

    Claims are grouped by kind: the ``contract`` kind (definitions, API contracts, textbook
    identities) is counted apart from the analytic results, whatever kinds the registry has. With
    several targets the counts are given per target (``torch: theory: ...``).
    """
    targets = list(dict.fromkeys(claims["target"])) if "target" in claims.columns else []
    if len(targets) > 1:
        parts = [f"{t}: " + "; ".join(_kind_counts(claims[claims["target"] == t])) for t in targets]
        counted = " | ".join(parts)
    else:
        counted = "; ".join(_kind_counts(claims))
    budget = float(checks["false_fail"].sum()) if not checks.empty else 0.0
    decided = checks[checks["rule"] != ASSERTIONS_RULE] if not checks.empty else checks
    samples = int(decided["n"].sum()) if not decided.empty else 0
    return (
        counted
        + f"; {len(checks)} checks, their sample sizes adding up to {samples:,}; "
        + f"probability that this run fails a correct implementation <= {budget:.2g} (union bound)."
    )


def _verdict(row: pd.Series) -> str:
    text = f"{row['status']} ({row['tests_run']}/{row['tests_collected']} tests"
    not_applicable = int(row.get("tests_not_applicable", 0) or 0)
    text += f", {not_applicable} not applicable)" if not_applicable else ")"
    if row["coarse"] and row["status"] in (Status.VERIFIED.value, Status.PARTLY_RUN.value):
        text += f"; coarse: catches only {row['coarse']}"
    return text


def claims_markdown(claims: pd.DataFrame, checks: pd.DataFrame, note: str = "") -> str:
    """``claims.md``: the summary line, then the claims table (``DataFrame.to_markdown``).

    Args:
        claims: from :func:`claims_frame` (one row per target and claim).
        checks: from :func:`checks_frame`.
        note: a line printed under the summary (e.g. the targets left for their own run).
    """
    shown = claims.copy()
    shown["status"] = shown.apply(_verdict, axis=1)
    hidden = ["source", "tests_run", "tests_collected", "tests_not_applicable", "coarse"]
    shown = shown.drop(columns=[c for c in hidden if c in shown.columns])
    for column in ("worst_ratio", "false_fail_budget", "seconds"):
        shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.3g}")
    return (
        "# Claims verified by this run\n\n"
        + summary_line(claims, checks)
        + (f"\n\n{note}" if note else "")
        + "\n\nA claim is *verified* only when every test of it ran and checked it (tests: run/collected). "
        + "*detects* is the error every check of the claim catches: for a statistical check its declared "
        + "effect, caught with probability at least 1 - its false-pass rate (1e-3 by default); for an "
        + "exact or asymptotic comparison the tightest tolerance, so a deviation that large in every "
        + "compared value (a systematic error) is always caught. *coarse* marks 10% or more. Each "
        + "target (the implementation under test) has its own rows; tests the target cannot express "
        + "are *not applicable* and left out of the count.\n\n"
        + shown.to_markdown(index=False)
        + "\n"
    )


def reproduction(target: str, test: str) -> str:
    """A one-line command that re-runs ``test`` (a node id) on ``target``."""
    path, _, name = test.partition("::")
    name = name.split("[", 1)[0].split("::")[-1]
    return f"pytest --target {target} {path} -k {name}" if name else f"pytest --target {target} {path}"


def _number(value: Any) -> str:
    return "?" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4g}"


def calls_words(calls: Sequence[str]) -> str:
    """``; the framework's last calls in the failing example: `a`; `b``` (empty without calls)."""
    if not calls:
        return ""
    return "; the framework's last calls in the failing example: " + "; ".join(f"`{c}`" for c in calls)


def _record_words(row: Any) -> str:
    seed = "?" if pd.isna(row.seed) else int(row.seed)
    n = "?" if pd.isna(row.n) else int(row.n)
    call = getattr(row, "call", "")  # a CSV read back gives NaN for an empty one
    if not isinstance(call, str) or not call:
        framework = ""
    elif row.false_fail == 0:  # an exact check: the calls of its failing example (records.CheckRecord)
        framework = calls_words(call.split(CALL_LINES))
    else:
        framework = f"; the framework's call for the sample's first values: `{call}`"
    return (
        f"minimal failing case {row.case}: {row.rule} statistic {_number(row.statistic)} vs threshold "
        f"{_number(row.threshold)}, n={n}, seed={seed}{framework}; "
        f"reproduce: `{reproduction(row.target, row.test)}`"
    )


def cell_details(
    claims: pd.DataFrame, checks: pd.DataFrame, notes: Mapping[OutcomeKey, Sequence[str]] | None = None
) -> pd.DataFrame:
    """The conformance cells (claim, target, status, detail) of a claims frame.

    A failed or known-deviation cell names its last failing check (the case Hypothesis shrank
    to is the last one it ran): the case, statistic, threshold, n, seed and a reproduction
    command; ``notes`` (per ``(target, claim)``) adds what no record says: a failed test's
    message, the declared deviation's reason and link. A *partly run* claim is *not run* in the
    matrix (only some of its tests checked it; ``claims.csv`` says how many).
    """
    notes = notes or {}
    rows = []
    for row in claims.itertuples(index=False):
        detail, status = "", str(row.status)
        if status == Status.PARTLY_RUN.value:  # the matrix has no such cell: only a part was checked
            status = Status.NOT_RUN.value
        if row.status in (Status.FAILED.value, Status.KNOWN_DEVIATION.value):
            verdict = (
                Verdict.FAIL.value if row.status == Status.FAILED.value else Verdict.KNOWN_DEVIATION.value
            )
            failing = (
                checks[
                    (checks["target"] == row.target)
                    & (checks["claim"] == row.id)
                    & (checks["verdict"] == verdict)
                    & (checks["rule"] != ASSERTIONS_RULE)  # a failed test's assertions: its note says it
                ]
                if not checks.empty
                else checks
            )
            words = list(notes.get((str(row.target), str(row.id)), []))
            if not failing.empty:
                words.append(_record_words(failing.iloc[-1]))
            detail = "; ".join(dict.fromkeys(words))
        rows.append({"claim": row.id, "target": row.target, "status": status, "detail": detail})
    return pd.DataFrame(rows, columns=["claim", "target", "status", "detail"])
