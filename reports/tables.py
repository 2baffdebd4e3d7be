"""From check records to tables: one row per check, one row per claim (pandas).

Schemas (column order is part of the contract):

- ``checks.csv``: :data:`CHECK_COLUMNS`.
- ``claims.csv``: :data:`CLAIM_COLUMNS`; ``claims.md`` renders the same table with a summary line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from properties.records import FIELDS
from theory import CLAIMS, Registry

CHECK_COLUMNS = ["claim", "test", *FIELDS[1:]]
"""One column per record field (the schema :mod:`properties.records` owns), plus the test id."""
CLAIM_COLUMNS = [
    "id",
    "title",
    "source",
    "kind",
    "status",
    "tests",
    "examples",
    "checks",
    "fans",
    "samples",
    "worst_ratio",
    "smallest_effect",
    "false_fail_budget",
    "seconds",
]
STATUSES = ("verified", "failed", "not run")


def checks_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per check, in :data:`CHECK_COLUMNS` order."""
    frame = pd.DataFrame.from_records(list(records), columns=CHECK_COLUMNS)
    return frame.astype({"n": "Int64", "seed": "Int64"}) if not frame.empty else frame


def _fans(cases: Iterable[str]) -> str:
    sizes: list[int] = []
    for text in cases:
        try:
            case = json.loads(text)
        except (TypeError, ValueError):
            continue
        shape = case.get("shape") if isinstance(case, dict) else None
        if isinstance(shape, list) and shape:
            sizes.extend(int(v) for v in shape if isinstance(v, int))
        for key in ("width", "n", "fan_in", "fan_out"):
            if isinstance(case, dict) and isinstance(case.get(key), int):
                sizes.append(case[key])
    return f"{min(sizes)}-{max(sizes)}" if sizes else ""


def _ratio(statistic: Any, threshold: Any) -> float:
    try:
        s, t = float(statistic), float(threshold)
    except (TypeError, ValueError):
        return math.nan
    if not (math.isfinite(s) and math.isfinite(t)) or t == 0:
        return math.nan
    return abs(s) / abs(t)


def claims_frame(
    checks: pd.DataFrame, outcomes: Mapping[str, Iterable[str]] | None = None, registry: Registry = CLAIMS
) -> pd.DataFrame:
    """One row per claim of ``registry``: status, how hard it was tried, how sure the verdict is.

    Args:
        checks: the frame of :func:`checks_frame`.
        outcomes: per claim id, the outcomes (``passed``/``failed``) of the tests marked with it;
            a claim no test reached is ``not run``, never ``verified``.
        registry: the claims.

    Returns:
        A frame in :data:`CLAIM_COLUMNS` order. ``worst_ratio`` is the largest statistic /
        threshold over ratio-type checks (< 1 passes for distances), ``smallest_effect`` the
        smallest detectable effect among its statistical checks, ``false_fail_budget`` the sum
        of the false-fail rates of its checks.
    """
    outcomes = outcomes or {}
    rows = []
    for claim in registry:
        mine = checks[checks["claim"] == claim.id] if not checks.empty else checks
        results = list(outcomes.get(claim.id, []))
        failed = "failed" in results or (not mine.empty and (mine["verdict"] == "fail").any())
        if failed:
            status = "failed"
        elif results or not mine.empty:
            status = "verified"
        else:
            status = "not run"
        ratios = [
            _ratio(s, t) for s, t in zip(mine.get("statistic", []), mine.get("threshold", []), strict=False)
        ]
        ratios = [r for r in ratios if math.isfinite(r)]
        statistical = mine[mine["false_fail"] > 0] if not mine.empty else mine
        rows.append(
            {
                "id": claim.id,
                "title": claim.title,
                "source": claim.source,
                "kind": claim.kind.value,
                "status": status,
                "tests": len(results),
                "examples": int(mine["case"].nunique()) if not mine.empty else 0,
                "checks": len(mine),
                "fans": _fans(mine["case"]) if not mine.empty else "",
                "samples": int(mine["n"].sum()) if not mine.empty else 0,
                "worst_ratio": max(ratios) if ratios else math.nan,
                "smallest_effect": float(statistical["effect"].min()) if not statistical.empty else math.nan,
                "false_fail_budget": float(mine["false_fail"].sum()) if not mine.empty else 0.0,
                "seconds": float(mine["seconds"].sum()) if not mine.empty else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def summary_line(claims: pd.DataFrame, checks: pd.DataFrame) -> str:
    """``N claims: a verified, b failed, c not run; M checks, K samples; union bound ...``."""
    counts = {s: int((claims["status"] == s).sum()) for s in STATUSES}
    budget = float(checks["false_fail"].sum()) if not checks.empty else 0.0
    samples = int(checks["n"].sum()) if not checks.empty else 0
    return (
        f"{len(claims)} claims: {counts['verified']} verified, {counts['failed']} failed, "
        f"{counts['not run']} not run; {len(checks)} checks on {samples:,} samples; "
        f"probability that this run fails a correct implementation <= {budget:.2g} (union bound)."
    )


def claims_markdown(claims: pd.DataFrame, checks: pd.DataFrame) -> str:
    """``claims.md``: the summary line, then the claims table (``DataFrame.to_markdown``)."""
    shown = claims.drop(columns=["source"]).copy()
    for column in ("worst_ratio", "smallest_effect", "false_fail_budget", "seconds"):
        shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.3g}")
    return (
        "# Claims verified by this run\n\n"
        + summary_line(claims, checks)
        + "\n\n"
        + shown.to_markdown(index=False)
        + "\n"
    )
