"""A target's own process: the child's command line, the combined exit status, and a child that
stops when its main run is gone."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from properties.own_process import (
    CHILD_ENVIRONMENT,
    ChildRun,
    child_arguments,
    child_workers,
    combined_status,
    watch_parent,
)
from reports.folder import PROJECT_ROOT


def test_the_child_keeps_the_run_and_replaces_the_target_and_the_report_options() -> None:
    args = [
        "-n",
        "auto",
        "properties/claims",
        "--target",
        "all",
        "--report-dir=out",
        "-k",
        "adam",
        "--no-report",
        "--report-staging",
        "stage",
        "--target=impls",
    ]
    child = child_arguments(args, "keras-torch", Path("x.json"))
    assert child == [
        "-n",
        "auto",
        "properties/claims",
        "-k",
        "adam",
        "--target",
        "keras-torch",
        "--report-export",
        "x.json",
    ]


def test_the_child_runs_with_half_the_workers_and_none_below_four() -> None:
    assert [child_workers(n) for n in (None, 0, 1, 2, 3, 4, 5, 8)] == [0, 0, 0, 0, 0, 2, 2, 4]
    child = child_arguments(["-n", "auto", "properties"], "keras-torch", Path("x.json"), workers=0)
    assert child[-2:] == ["-n", "0"] and child[:3] == ["-n", "auto", "properties"]  # the last -n wins


def _child(status: int) -> ChildRun:
    return ChildRun("keras-torch", ("pytest",), status, Path("x.json"))


@pytest.mark.parametrize(
    ("main", "children", "expected"),
    [
        (0, [0], 0),
        (0, [1], 1),
        (1, [0], 1),
        (0, [5], 0),  # the child's tests all deselected: not a failure of a run that ran tests
        (5, [0], 0),
        (5, [5], 5),
        (0, [2, 1], 2),  # the first failure's status
        (3, [1], 3),
    ],
)
def test_the_exit_status_is_the_first_failure(main: int, children: list[int], expected: int) -> None:
    assert combined_status(main, [_child(s) for s in children]) == expected


ORPHAN = """
import sys, time
from pathlib import Path
from properties.own_process import watch_parent

watch_parent(interval=0.05)
Path(sys.argv[1]).write_text("watching")
try:
    time.sleep(60)
except KeyboardInterrupt:
    Path(sys.argv[1]).write_text("stopped")
"""

MAIN_RUN = """
import os, subprocess, sys, time
from pathlib import Path
from properties.own_process import CHILD_ENVIRONMENT

flag = Path(sys.argv[1])
env = {**os.environ, CHILD_ENVIRONMENT: str(os.getpid())}
subprocess.Popen([sys.executable, "-c", sys.argv[2], str(flag)], env=env)
while not flag.exists():
    time.sleep(0.05)
os._exit(0)  # the main run dies without stopping its child, as under SIGKILL
"""


def test_a_child_whose_main_run_died_stops(tmp_path: Path) -> None:
    flag = tmp_path / "child.txt"
    subprocess.run(
        [sys.executable, "-c", MAIN_RUN, str(flag), ORPHAN], check=True, cwd=PROJECT_ROOT, timeout=60
    )
    deadline = time.monotonic() + 30  # a bound on liveness, not a measured time: it takes ~0.1 s
    while flag.read_text() != "stopped":
        assert time.monotonic() < deadline, "the orphaned child is still running"
        time.sleep(0.05)


def test_watch_parent_is_off_outside_a_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CHILD_ENVIRONMENT, raising=False)
    assert watch_parent() is None
