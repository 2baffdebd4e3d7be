"""Assemble ``<out>/README.md``: provenance, conformance matrix, claims, then each benchmark section."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reports import atomic
from reports.bench import EXPERIMENTS


def run_summary(manifest: Any) -> str:
    """The benchmark run's scale, seed and cluster (``run.json``'s ``bench.cluster``), as a paragraph."""
    bench = manifest.get("bench") if isinstance(manifest, dict) else None
    run = bench.get("cluster") if isinstance(bench, dict) else None
    if not isinstance(run, dict):
        return "## Benchmark\n\nNo benchmark run found in this folder (run `python -m reports bench`).\n"
    seconds = run.get("seconds")
    took = f" in {seconds:.0f} s" if isinstance(seconds, int | float) else ""
    return (
        f"## Benchmark\n\nMade at scale **{run.get('scale', '?')}** (seed {run.get('seed', '?')}) on "
        f"{run.get('cluster', 'an unnamed cluster')} with {run.get('workers', '?')} workers "
        f"({run.get('threads', '?')} threads){took}; per-experiment times in `bench/timings.csv`.\n"
    )


def render(out: Path) -> Path:
    """Write ``out/README.md`` from ``claims.md`` and the benchmark sections found in ``out/bench``.

    Missing parts are named, never silently left out.
    """
    manifest = _manifest(out)
    parts = ["# initcheck report\n", *_provenance(manifest)]
    conformance = out / "conformance.md"
    if conformance.exists():
        text = conformance.read_text(encoding="utf-8").replace("# Conformance", "## Conformance", 1)
        picture = "\n![conformance](conformance.png)\n" if (out / "conformance.png").exists() else ""
        parts.append(text + picture)
    claims = out / "claims.md"
    if claims.exists():
        text = claims.read_text(encoding="utf-8").replace("# Claims verified by this run", "## Claims")
        parts.append(text)
    else:
        parts.append(
            "## Claims\n\nNo verification run found in this folder (run `python -m reports verify`).\n"
        )
    parts.append(run_summary(manifest))
    for name in EXPERIMENTS:
        section = out / "bench" / f"section_{name}.md"
        if section.exists():
            parts.append(section.read_text(encoding="utf-8"))
        else:
            parts.append(f"## {name}\n\nNot run (run `python -m reports bench`).\n")
    target = out / "README.md"
    atomic.write_text(target, "\n".join(parts))
    return target


def _manifest(out: Path) -> Any:
    """``run.json`` of the report folder, or None where it is missing or unreadable."""
    try:
        return json.loads((out / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _provenance(manifest: Any) -> list[str]:
    """One line per part of the run (from ``run.json``): when it ran, how, with which seed."""
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
