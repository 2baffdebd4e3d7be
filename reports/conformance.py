"""The conformance matrix: claim x target, each cell one of :data:`STATUSES`.

Pure functions from a claims table (one row per claim and target, columns ``claim``, ``target``,
``status`` and optionally ``detail``) to ``conformance.csv``, ``conformance.md`` and a heat-map
PNG. A claim a target was not run on is *not run*; a claim reported twice for one target takes the
more severe status (:data:`SEVERITY`), so a failure is never hidden by a pass.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pandas as pd

from reports import atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STATUSES = ("verified", "failed", "known deviation", "not applicable", "not run")
"""Every cell's possible status, in the legend's order."""

SEVERITY = ("failed", "known deviation", "verified", "not applicable", "not run")
"""Which status a cell keeps when a claim is reported more than once for a target (first wins)."""

COLORS = {
    "verified": "#2e7d32",
    "failed": "#c62828",
    "known deviation": "#f9a825",
    "not applicable": "#9e9e9e",
    "not run": "#ffffff",
}
"""Heat-map colour of each status (colour-blind safe enough with the legend's words)."""

FILES = ("conformance.csv", "conformance.md", "conformance.png")


def _checked(claims: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(claims, pd.DataFrame):
        raise TypeError(f"claims must be a pandas DataFrame, got {type(claims).__name__}")
    missing = {"claim", "target", "status"} - set(claims.columns)
    if missing:
        raise ValueError(f"claims must have columns claim, target, status; missing {sorted(missing)}")
    unknown = sorted(set(claims["status"]) - set(STATUSES))
    if unknown:
        raise ValueError(f"claims' status must be one of {list(STATUSES)}, got {unknown}")
    return claims


def matrix(
    claims: pd.DataFrame, targets: Sequence[str] | None = None, claim_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """The claim x target table of statuses.

    Args:
        claims: one row per (claim, target) with a ``status`` in :data:`STATUSES`.
        targets: the columns, in order (default: the targets of ``claims`` in order of appearance);
            a target with no row is all *not run*.
        claim_ids: the rows, in order (default: the claims of ``claims``, sorted); a claim with no
            row for a target is *not run* there.

    Returns:
        A DataFrame indexed by ``claim`` with one column per target.
    """
    claims = _checked(claims)
    columns = list(dict.fromkeys(claims["target"])) if targets is None else list(targets)
    rows = sorted(set(claims["claim"])) if claim_ids is None else list(claim_ids)
    rank = {status: i for i, status in enumerate(SEVERITY)}
    worst = (
        claims.assign(_rank=claims["status"].map(rank))
        .sort_values("_rank", kind="stable")
        .drop_duplicates(["claim", "target"], keep="first")
    )
    table = worst.pivot(index="claim", columns="target", values="status")
    table = table.reindex(index=rows, columns=columns).astype(object)
    table = table.where(table.notna(), "not run")
    table.index.name, table.columns.name = "claim", None
    return table.astype(str)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Counts of each status per target (rows: targets; columns: :data:`STATUSES`)."""
    counts = {target: table[target].value_counts() for target in table.columns}
    frame = pd.DataFrame(counts).T.reindex(columns=list(STATUSES)).fillna(0).astype(int)
    frame.index.name = "target"
    return frame


def details(claims: pd.DataFrame) -> pd.DataFrame:
    """The failed and known-deviation rows with their ``detail`` (case, statistic, reproduction)."""
    claims = _checked(claims)
    notable = claims[claims["status"].isin(["failed", "known deviation"])]
    detail = notable["detail"] if "detail" in notable.columns else pd.Series("", index=notable.index)
    out = pd.DataFrame(
        {
            "claim": notable["claim"],
            "target": notable["target"],
            "status": notable["status"],
            "detail": detail,
        }
    )
    return out.fillna("").sort_values(["status", "target", "claim"], kind="stable").reset_index(drop=True)


def to_csv(table: pd.DataFrame) -> str:
    """``conformance.csv``: one row per claim, one column per target."""
    return table.to_csv(lineterminator="\n")


def to_markdown(table: pd.DataFrame, notes: pd.DataFrame | None = None, versions: str = "") -> str:
    """``conformance.md``: the per-target counts, the matrix, then every failure and deviation.

    Args:
        table: from :func:`matrix`.
        notes: from :func:`details` (omitted when ``None`` or empty).
        versions: a line naming the frameworks' versions, printed under the title.
    """
    lines = ["# Conformance: claim x target", ""]
    if versions:
        lines += [versions, ""]
    lines += [summary(table).to_markdown(), "", table.to_markdown(), ""]
    if notes is not None and not notes.empty:
        lines += ["## Failures and known deviations", ""]
        for row in notes.itertuples(index=False):
            text = f": {row.detail}" if row.detail else ""
            lines.append(f"- **{row.claim}** on `{row.target}` ({row.status}){text}")
        lines.append("")
    return "\n".join(lines)


def _pyplot() -> ModuleType:
    """``matplotlib.pyplot`` on the Agg backend, imported on first use: the report plugin loads
    this module in every pytest process, and only the one that writes the report draws."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def heatmap(table: pd.DataFrame) -> Figure:
    """The matrix as a grid of coloured cells, one colour per status, with a legend."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    plt = _pyplot()
    codes = table.apply(lambda column: column.map({s: i for i, s in enumerate(STATUSES)}))
    height = max(2.5, 0.22 * len(table) + 1.5)
    width = max(4.0, 1.1 * len(table.columns) + 3.5)
    figure, axes = plt.subplots(figsize=(width, height))
    cmap = ListedColormap([COLORS[s] for s in STATUSES])
    axes.imshow(codes.to_numpy(dtype=float), cmap=cmap, vmin=-0.5, vmax=len(STATUSES) - 0.5, aspect="auto")
    axes.set_xticks(range(len(table.columns)), labels=list(table.columns), rotation=30, ha="right")
    axes.set_yticks(range(len(table)), labels=list(table.index), fontsize=7)
    axes.set_xticks([x - 0.5 for x in range(1, len(table.columns))], minor=True)
    axes.set_yticks([y - 0.5 for y in range(1, len(table))], minor=True)
    axes.grid(which="minor", color="#dddddd", linewidth=0.5)
    axes.tick_params(which="minor", length=0)
    handles = [Patch(facecolor=COLORS[s], edgecolor="#777777", label=s) for s in STATUSES]
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    axes.set_title("Conformance of each target to each claim")
    return figure


def heatmap_png(table: pd.DataFrame) -> bytes:
    """:func:`heatmap` rendered to PNG bytes (the figure is closed)."""
    figure = heatmap(table)
    try:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        return buffer.getvalue()
    finally:
        _pyplot().close(figure)


def write(
    folder: Path | str,
    claims: pd.DataFrame,
    targets: Sequence[str] | None = None,
    claim_ids: Sequence[str] | None = None,
    versions: str = "",
) -> pd.DataFrame:
    """Write :data:`FILES` into ``folder`` (each atomically) and return the matrix."""
    table = matrix(claims, targets, claim_ids)
    out = Path(folder)
    atomic.write_text(out / "conformance.csv", to_csv(table))
    atomic.write_text(out / "conformance.md", to_markdown(table, details(claims), versions))
    atomic.write_bytes(out / "conformance.png", heatmap_png(table))
    return table
