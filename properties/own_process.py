"""Targets that need a process of their own, run as child pytest sessions alongside the main run.

Keras fixes its backend per process (:mod:`properties.targets.keras`), so ``--target all`` (or
any spec naming both Keras backends) cannot load every target in one process.
:func:`properties.targets.loading.split_for_this_process` keeps the first group for this
process; each target left out runs, from the moment the main session starts, as ``python -m
pytest`` with the main run's own arguments (paths, ``-k``, ...), ``--target`` and the report
options replaced and fewer xdist workers (:func:`child_workers`): its records are exported to a
file (``--report-export``) that the main run's report reads, so one command gives one report and
one exit status for every target. Running it alongside rather than after fills the cores that
the main run leaves idle (its workers' start, a long last test); its output is kept in a file
and printed under the main run's results.

Only the process that writes the report runs children (never an xdist worker, never a child
itself: a child whose spec would leave a target out again is refused), and none for a run that
only collects. A main run that stops early (``-x``, ``--maxfail``) or is interrupted stops its
children and reports their targets as not run, whatever they had done by then.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

EXPORT_OPTION = "--report-export"
"""The report plugin's internal option: write the run's records as JSON to this file."""

REPLACED_OPTIONS = ("--target", "--report-dir", "--report-staging", EXPORT_OPTION)
"""Options with a value that a child run gets its own value for (or none)."""

REPLACED_FLAGS = ("--no-report",)

CHILD_ENVIRONMENT = "INITCHECK_OWN_PROCESS_OF"
"""Set in a child's environment (to the parent's process id): a child never starts children."""


@dataclass(frozen=True)
class ChildRun:
    """One target's own run: its command, exit status and the file its records were exported to.

    Attributes:
        target: the target's name.
        command: the child's command line.
        exit_status: pytest's exit status of the child (``5``: it collected no test).
        export: the file of its records (absent if the child wrote none).
    """

    target: str
    command: tuple[str, ...]
    exit_status: int
    export: Path


CHILD_RUNS = pytest.StashKey[list[ChildRun]]()
"""The children of this session that ran to their end, in order (set when the main session ends)."""


def child_workers(main_workers: int | None) -> int:
    """How many xdist workers a child runs with, beside a main run with ``main_workers``.

    Half the main run's, and none (the child runs its tests itself) below 4: the main run's
    workers already take the cores, and a worker's start (importing the frameworks, collecting the
    suite) costs more than it brings where the cores are few. Measured on 2 cores, keras-torch's
    claims alone: 126 CPU-s with ``-n auto`` (2 workers), 109 CPU-s with none.
    """
    return main_workers // 2 if main_workers and main_workers >= 4 else 0


def child_arguments(args: Sequence[str], target: str, export: Path, workers: int | None = None) -> list[str]:
    """The main run's pytest ``args`` for a run of ``target`` alone, exporting its records.

    Every ``--target``, ``--report-dir``, ``--report-staging`` and ``--report-export`` (as
    ``--opt VALUE`` or ``--opt=VALUE``) and ``--no-report`` is dropped, then
    ``--target TARGET --report-export EXPORT`` is appended, and ``-n WORKERS`` if ``workers``
    is given (the last ``-n`` wins).

    Args:
        args: the main run's arguments (``config.invocation_params.args``).
        target: the target the child runs.
        export: the file the child writes its records to.
        workers: the child's number of xdist workers (:func:`child_workers`), or ``None`` to
            keep the main run's ``-n``.

    Returns:
        The child's arguments.
    """
    kept: list[str] = []
    skip_value = False
    for argument in args:
        if skip_value:
            skip_value = False
            continue
        if argument in REPLACED_FLAGS:
            continue
        if argument in REPLACED_OPTIONS:
            skip_value = True
            continue
        if argument.startswith(tuple(f"{option}=" for option in REPLACED_OPTIONS)):
            continue
        kept.append(argument)
    numprocesses = [] if workers is None else ["-n", str(workers)]
    return [*kept, "--target", target, EXPORT_OPTION, str(export), *numprocesses]


@dataclass(frozen=True)
class StartedChild:
    """A target's own run while it runs: its command, process, output file and export file."""

    target: str
    command: tuple[str, ...]
    process: subprocess.Popen[bytes]
    output: Path
    export: Path


STARTED_CHILDREN = pytest.StashKey[list[StartedChild]]()
"""The children started with this session (set when it starts)."""


def start_children(
    config: pytest.Config, targets: Sequence[str], folder: Path | None = None
) -> list[StartedChild]:
    """Start each of ``targets`` in its own ``python -m pytest`` now, alongside this session.

    A child inherits this process's environment and working directory; its standard input is
    closed (a ``--pdb`` prompt in it ends instead of waiting unseen), its standard output and
    error go to a file, printed by :func:`finish_children`. Ctrl-C at a terminal reaches it too.

    Args:
        config: the main session's config (its invocation arguments and directory).
        targets: the target names to run.
        folder: where the children's output and record files go (a new temporary folder if
            ``None``).

    Returns:
        One :class:`StartedChild` per target, in order.
    """
    folder = Path(tempfile.mkdtemp(prefix="initcheck-children-")) if folder is None else folder
    environment = {**os.environ, CHILD_ENVIRONMENT: str(os.getpid())}
    # xdist has turned "auto" into a count by now; without xdist (-p no:xdist) the child gets no -n.
    main_workers = getattr(config.option, "numprocesses", None)
    xdist = config.pluginmanager.hasplugin("xdist") and isinstance(main_workers, int)
    workers = child_workers(main_workers) if xdist else None
    started = []
    for index, target in enumerate(targets):
        export = folder / f"{index}-{target}.json"
        output = folder / f"{index}-{target}.out"
        command = (
            sys.executable,
            "-m",
            "pytest",
            *child_arguments(config.invocation_params.args, target, export, workers),
        )
        with output.open("wb") as sink:
            process = subprocess.Popen(
                command,
                cwd=config.invocation_params.dir,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        started.append(StartedChild(target, command, process, output, export))
    return started


def stop_children(started: Sequence[StartedChild], grace: float = 30.0) -> None:
    """Stop the children still running: SIGINT (pytest's Ctrl-C, which also stops a child's xdist
    workers), then SIGKILL after ``grace`` seconds."""
    for child in started:
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGINT)
    for child in started:
        try:
            child.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()


def finish_children(started: Sequence[StartedChild]) -> list[ChildRun]:
    """Wait for each child in turn and print its command line and output under this run's.

    Args:
        started: the children of :func:`start_children`.

    Returns:
        One :class:`ChildRun` per child, in order.
    """
    runs = []
    for child in started:
        status = child.process.wait()
        print(f"\ninitcheck: target {child.target} in its own process: {' '.join(child.command)}", flush=True)
        sys.stdout.write(child.output.read_text(errors="replace"))
        sys.stdout.flush()
        runs.append(ChildRun(child.target, child.command, status, child.export))
    return runs


def watch_parent(interval: float = 1.0) -> threading.Thread | None:
    """In a child run, stop it (as Ctrl-C would) once the main run that started it is gone.

    A main run killed without a chance to stop its children (SIGTERM or SIGKILL, e.g. from
    ``python -m reports`` being terminated) would otherwise leave its child running to the end.
    The child knows its parent's process id from :data:`CHILD_ENVIRONMENT`; a daemon thread
    checks every ``interval`` seconds that it is still the parent, and sends the child SIGINT
    when it is not.

    Returns:
        The watching thread, or ``None`` outside a child run.
    """
    parent = os.environ.get(CHILD_ENVIRONMENT, "")
    if not parent.isdigit():
        return None

    def watch() -> None:
        while os.getppid() == int(parent):
            time.sleep(interval)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=watch, name="initcheck-parent-watch", daemon=True)
    thread.start()
    return thread


def combined_status(main: int, children: Sequence[ChildRun]) -> int:
    """The exit status of a main run and its children: the first failure's, else OK.

    A child that collected no test (status 5, e.g. a ``-k`` matching none of its tests) does not
    fail a main run that ran tests; a main run that collected none takes an OK child's status.
    """
    statuses = [main, *(child.exit_status for child in children)]
    failing = [s for s in statuses if s not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)]
    if failing:
        return int(failing[0])
    return int(pytest.ExitCode.OK if pytest.ExitCode.OK in statuses else main)
