"""Assemble ``<out>/README.md``: the claims summary, then every benchmark section."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reports import atomic
from reports.bench import EXPERIMENTS


def run_summary(path: Path) -> str:
    """The benchmark run's scale, seed and cluster (from ``bench/run.json``), as a paragraph."""
    if not path.exists():
        return "## Benchmark\n\nNo benchmark run found in this folder (run `python -m reports bench`).\n"
    run = json.loads(path.read_text(encoding="utf-8"))
    return (
        f"## Benchmark\n\nMade at scale **{run['scale']}** (seed {run['seed']}) on {run['cluster']} with "
        f"{run['workers']} workers ({run['threads']} threads) in {run['seconds']:.0f} s; per-experiment "
        "times in `bench/timings.csv`.\n"
    )


def render(out: Path) -> Path:
    """Write ``out/README.md`` from ``claims.md`` and the benchmark sections found in ``out/bench``.

    Missing parts are named, never silently left out.
    """
    parts = ["# initcheck report\n", *_provenance(out)]
    claims = out / "claims.md"
    if claims.exists():
        text = claims.read_text(encoding="utf-8").replace("# Claims verified by this run", "## Claims")
        parts.append(text)
    else:
        parts.append(
            "## Claims\n\nNo verification run found in this folder (run `python -m reports verify`).\n"
        )
    parts.append(run_summary(out / "bench" / "run.json"))
    for name in EXPERIMENTS:
        section = out / "bench" / f"section_{name}.md"
        if section.exists():
            parts.append(section.read_text(encoding="utf-8"))
        else:
            parts.append(f"## {name}\n\nNot run (run `python -m reports bench`).\n")
    target = out / "README.md"
    atomic.write_text(target, "\n".join(parts))
    return target


def _provenance(out: Path) -> list[str]:
    """One line per part of the run (from ``run.json``): when it ran, how, with which seed."""
    try:
        manifest: Any = json.loads((out / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(manifest, dict):
        return []
    lines = []
    verify, bench = manifest.get("verify"), manifest.get("bench")
    if isinstance(verify, dict):
        stopped = f", stopped early ({verify['stopped_early']})" if verify.get("stopped_early") else ""
        lines.append(
            f"Verification: run {verify.get('run')}, finished {verify.get('finished')}, "
            f"pytest exit {verify.get('pytest_exit')}, Hypothesis profile "
            f"{verify.get('hypothesis_profile')}{stopped}."
        )
    if isinstance(bench, dict):
        lines.append(
            f"Benchmark: run {bench.get('run')}, finished {bench.get('finished')}, seed {bench.get('seed')}"
            f"{' (quick)' if bench.get('quick') else ''}."
        )
    return (
        ["\n".join(f"- {line}" for line in lines) + "\n\nVersions and settings: `run.json`.\n"]
        if lines
        else []
    )
