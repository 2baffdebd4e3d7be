"""``python -m reports``: run the verification suite and the benchmark, then render the report.

Subcommands: ``verify`` (pytest -n auto, reports into ``--out``), ``bench`` (the experiments),
``render`` (``<out>/README.md``); no subcommand runs all three. ``--quick`` runs a small version
of each (under a minute), ``--out DIR`` chooses the folder (default ``reports/out``),
``--seed N`` the benchmark's seed. The benchmark runs on an embedded Dask cluster (``--workers``),
or on an existing one (``--scheduler ADDRESS`` or ``$INITCHECK_SCHEDULER``); ``--scale`` picks
quick, default or large; ``--resume`` reuses the cells a previous run completed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from reports.bench import EXPERIMENTS, runner
from reports.bench.common import SCALES, Settings
from reports.bench.runner import SCHEDULER_ENV
from reports.render import render

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reports", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", choices=["all", "verify", "bench", "render"], default="all")
    parser.add_argument("--quick", action="store_true", help="small version of every stage (< 1 minute)")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "out", help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="benchmark seed (default 0)")
    parser.add_argument("--only", nargs="+", choices=sorted(EXPERIMENTS), help="run only these experiments")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument(
        "--scale", choices=SCALES, help="benchmark scale (default: default; quick with --quick)"
    )
    parser.add_argument(
        "--scheduler",
        help=f"address of an existing Dask scheduler (or ${SCHEDULER_ENV}); default: embedded cluster",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="worker processes of the embedded cluster (default: cores; 0: one thread in this process)",
    )
    parser.add_argument("--resume", action="store_true", help="reuse the cells a previous run completed")
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}")
    return args


def verify(out: Path, quick: bool) -> int:
    """Run the suite with pytest-xdist; its report plugin writes the claim tables into ``out``."""
    env = dict(os.environ, INITCHECK_REPORT_DIR=str(out))
    if quick:
        env["HYPOTHESIS_PROFILE"] = "quick"
    command = [sys.executable, "-m", "pytest", "-n", "auto", "-q", "-p", "no:cacheprovider"]
    print(f"verify: {' '.join(command[2:])}", file=sys.stderr, flush=True)
    return subprocess.call(command, cwd=PROJECT_ROOT, env=env)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    out = args.out.resolve()
    started = time.perf_counter()
    status = 0
    if args.command in ("all", "verify"):
        status = verify(out, args.quick)
    if args.command in ("all", "bench"):
        settings = Settings(out, args.seed, args.quick, not args.no_progress, args.scale or "")
        runner.bench(settings, args.only, scheduler=args.scheduler, workers=args.workers, resume=args.resume)
    target = render(out) if args.command in ("all", "bench", "render") else out / "claims.md"
    summary = ""
    claims = out / "claims.csv"
    if claims.exists():
        counts = pd.read_csv(claims)["status"].value_counts()
        summary = ", ".join(f"{int(counts.get(s, 0))} {s}" for s in ("verified", "failed", "not run")) + "; "
    verdict = "ok" if status == 0 else f"verification failed (pytest exit {status})"
    print(f"initcheck: {verdict}; claims: {summary}{time.perf_counter() - started:.0f} s; report: {target}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
