"""``python -m reports``: run the verification suite and the benchmark, then render the report.

Subcommands: ``verify`` (pytest -n auto), ``bench`` (the experiments), ``render`` (README.md);
no subcommand runs all three. ``--quick`` runs a small version of each (under a minute),
``--out DIR`` chooses the report folder (default: the project's ``reports/out``; it must be new,
empty, or the report folder of an earlier run), ``--seed N`` the benchmark's seed.

Every command writes one whole run into a fresh folder and swaps it in at the end
(:mod:`reports.folder`): the part it does not redo (the verification or the benchmark) is carried
over from the current run, ``run.json`` records each part's seed, settings and versions, and
``README.md`` is rendered from what is there. An interrupted or failed command leaves the folder
as it was.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from reports.bench import EXPERIMENTS, runner
from reports.bench.common import SCALES, Settings
from reports.bench.runner import SCHEDULER_ENV
from reports.folder import DEFAULT, PROJECT_ROOT, ReportFolder, ReportFolderError, Staging, utc_now, versions
from reports.plugin import PART_FILE
from reports.render import render

EXIT_CODES = """exit status:
  0    done; every claim that ran was verified
  1    done, report written; some tests failed
  2    bad command line, or an --out that is refused or not writable (nothing was done)
  3    the report could not be written or read (the folder is left as it was)
  4    the verification did not complete (pytest interrupted, usage error, no tests...);
       the folder is left as it was
  5    a stage crashed (a bug: its traceback is printed); the folder is left as it was
  130  interrupted (Ctrl-C); the folder is left as it was
  143  terminated (SIGTERM); the folder is left as it was"""
REFUSED, UNWRITABLE, INCOMPLETE, CRASHED, INTERRUPTED, TERMINATED = 2, 3, 4, 5, 130, 143
PYTEST_EXITS = {
    1: "tests failed, but no report was written",
    2: "interrupted, or errors during collection",
    3: "internal error, or the report could not be written",
    4: "pytest usage error",
    5: "no tests collected",
}


class Terminated(BaseException):
    """SIGTERM arrived (raised by the handler :func:`main` installs, like KeyboardInterrupt for SIGINT)."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


class Incomplete(Exception):
    """The verification did not run to a report (exit status 4)."""


class Unreadable(Exception):
    """A report file cannot be read or makes no sense (exit status 3)."""


def _folder_text(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty (an unset shell variable?)")
    return text


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m reports",
        description=__doc__.split("\n\n")[0],
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", nargs="?", choices=["all", "verify", "bench", "render"], default="all")
    parser.add_argument("--quick", action="store_true", help="small version of every stage (< 1 minute)")
    parser.add_argument(
        "--out",
        type=_folder_text,
        default=str(DEFAULT),
        help="report folder: new, empty, or one an earlier run wrote (default: the project's reports/out)",
    )
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
    parser.add_argument(
        "--target",
        help="implementations the verification runs the claims against, as pytest's --target "
        "(impls, torch, jax, keras-jax, keras-torch, all, module:object; comma-separated; default impls)",
    )
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}")
    return args


def say(message: str) -> None:
    print(f"initcheck: {message}", file=sys.stderr, flush=True)


QUICK_PATHS = ("properties/claims",)
"""What ``verify --quick`` runs: the claim suite (the report is about claims)."""

FULL_PATHS = ("properties/claims", "properties/selftest/test_decide.py", "properties/selftest/test_power.py")
"""What the full ``verify`` runs: the claim suite, and the self-tests the report's error rates rest
on (each decision rule's calibration, ``test_decide.py``; the power catalogue of realistic bugs,
``test_power.py``). The other self-tests check the tool's plumbing (report folders, the cluster,
the adapters' smoke tests, robustness of impls' API), add nothing to the report and take about
80 s on 2 cores: ``pytest`` (the README's test command, which CI runs) runs them."""


def verify_command(staging: Path, quick: bool = False, target: str | None = None) -> list[str]:
    """The pytest command of ``verify``; its report plugin writes into ``staging``; ``target`` is
    passed on as ``--target`` (the conformance matrix then has a column for each)."""
    return [
        sys.executable,
        "-m",
        "pytest",
        "-n",
        "auto",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--report-staging={staging}",
        *(QUICK_PATHS if quick else FULL_PATHS),
        *(("--target", target) if target else ()),
    ]


def verify(stage: Staging, quick: bool, target: str | None = None) -> int:
    """Run the suite; its report plugin writes the claim tables into the staging folder.

    Returns:
        pytest's exit status, 0 or 1 (tests failed).

    Raises:
        Incomplete: pytest ended otherwise, or wrote no report.
    """
    env = {key: value for key, value in os.environ.items() if key != "INITCHECK_REPORT_DIR"}
    if quick:
        env["HYPOTHESIS_PROFILE"] = "quick"
    command = verify_command(stage.path, quick, target)
    say(f"verify: {' '.join(command[2:])}")
    child = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)
    try:
        status = child.wait()
    except (KeyboardInterrupt, Terminated) as stop:  # pass it on, and let pytest stop cleanly
        child.send_signal(signal.SIGINT if isinstance(stop, KeyboardInterrupt) else signal.SIGTERM)
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        raise
    part = stage.path / PART_FILE
    if status not in (0, 1):
        raise Incomplete(
            f"the verification did not complete (pytest exit {status}: {PYTEST_EXITS.get(status)})"
        )
    if not part.exists():
        raise Incomplete(f"pytest ended with exit {status} but wrote no report (see its output above)")
    stage.parts["verify"] = json.loads(part.read_text(encoding="utf-8"))
    part.unlink()
    return status


def bench(settings: Settings, args: argparse.Namespace, stage: Staging) -> None:
    """Run the experiments on the Dask cluster into the staging folder; record seed, scale, cluster."""
    names = list(dict.fromkeys(args.only or EXPERIMENTS))
    started = utc_now()
    _outcomes, cluster = runner.bench(
        settings, names, scheduler=args.scheduler, workers=args.workers, resume=args.resume
    )
    stage.parts["bench"] = {
        "run": stage.run_id,
        "started": started,
        "finished": utc_now(),
        "seed": settings.seed,
        "quick": settings.quick,
        "scale": settings.scale,
        "experiments": names,
        "cluster": cluster,
        "versions": versions(),
    }


def claims_summary(folder: Path) -> str:
    """``a verified, b failed, c not run; `` from ``claims.csv`` (empty if there is none).

    Raises:
        Unreadable: the file is not a claims table.
    """
    path = folder / "claims.csv"
    if not path.exists():
        return ""
    try:
        counts = pd.read_csv(path)["status"].value_counts()
    except (OSError, ValueError, KeyError) as error:  # ParserError, EmptyDataError, UnicodeDecodeError
        raise Unreadable(f"cannot read {path.name} of the report: {type(error).__name__}: {error}") from None
    return ", ".join(f"{int(counts.get(s, 0))} {s}" for s in ("verified", "failed", "not run")) + "; "


def run(args: argparse.Namespace, folder: ReportFolder) -> int:
    """Run the stages into a staging folder and swap it in; see :func:`main` for the statuses."""
    started = time.perf_counter()
    status = 0
    summary = ""

    def complete(path: Path) -> None:
        nonlocal summary
        try:
            render(path)
        except UnicodeDecodeError as error:
            raise Unreadable(f"cannot read a markdown file of the report: {error}") from None
        summary = claims_summary(path)

    with folder.staging() as stage:
        if args.command in ("all", "verify"):
            status = verify(stage, args.quick, args.target)
        if args.command in ("all", "bench"):
            settings = Settings(stage.path, args.seed, args.quick, not args.no_progress, args.scale or "")
            bench(settings, args, stage)
        folder.commit(stage, finish=complete)
    verdict = "ok" if status == 0 else f"verification failed (pytest exit {status})"
    elapsed = time.perf_counter() - started
    print(f"initcheck: {verdict}; claims: {summary}{elapsed:.0f} s; report: {folder.path / 'README.md'}")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (see ``python -m reports --help``)."""
    args = parse(argv)
    try:
        folder = ReportFolder(args.out)
        folder.check()
    except ReportFolderError as error:
        say(str(error))
        return REFUSED
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return run(args, folder)
    except KeyboardInterrupt:
        say(f"interrupted; {folder} left as it was")
        return INTERRUPTED
    except Terminated:
        say(f"terminated; {folder} left as it was")
        return TERMINATED
    except Incomplete as error:
        say(f"{error}; {folder} left as it was")
        return INCOMPLETE
    except (Unreadable, ReportFolderError) as error:
        say(f"{error}; {folder} left as it was")
        return UNWRITABLE
    except OSError as error:
        reason = f"{error.strerror}: {error.filename}" if error.filename else str(error)
        say(f"could not write the report into {folder}: {reason}; left as it was")
        return UNWRITABLE
    except Exception as error:  # a bug: its traceback, then the one line; never exit 1 ("tests failed")
        traceback.print_exc()
        say(f"crashed ({type(error).__name__}: {error}); {folder} left as it was")
        return CRASHED
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    raise SystemExit(main())
