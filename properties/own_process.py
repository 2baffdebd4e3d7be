"""Targets that need a process of their own, run as child pytest sessions of the main run.

Keras fixes its backend per process (:mod:`properties.targets.keras`), so ``--target all`` (or
any spec naming both Keras backends) cannot load every target in one process.
:func:`properties.targets.loading.split_for_this_process` keeps the first group for this process;
each target left out runs here, when the main session ends, as ``python -m pytest`` with the
main run's own arguments (paths, ``-n``, ``-k``, ...) and only ``--target`` and the report
options replaced: its records are exported to a file (``--report-export``) that the main run's
report reads, so one command gives one report and one exit status for every target.

Only the process that writes the report runs children (never an xdist worker, never a child
itself: a child whose spec would leave a target out again is refused); an interrupted main run
starts none.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
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
"""The children of this session, in order (set when the main session ends)."""


def child_arguments(args: Sequence[str], target: str, export: Path) -> list[str]:
    """The main run's pytest ``args`` for a run of ``target`` alone, exporting its records.

    Every ``--target``, ``--report-dir``, ``--report-staging`` and ``--report-export`` (as
    ``--opt VALUE`` or ``--opt=VALUE``) and ``--no-report`` is dropped, then
    ``--target TARGET --report-export EXPORT`` is appended.

    Args:
        args: the main run's arguments (``config.invocation_params.args``).
        target: the target the child runs.
        export: the file the child writes its records to.

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
    return [*kept, "--target", target, EXPORT_OPTION, str(export)]


def run_children(config: pytest.Config, targets: Sequence[str], folder: Path | None = None) -> list[ChildRun]:
    """Run each of ``targets`` in its own ``python -m pytest`` after this session, one at a time.

    The child inherits this process's environment, working directory, standard output and error
    (its results print under the main run's); Ctrl-C reaches it too.

    Args:
        config: the main session's config (its invocation arguments and directory).
        targets: the target names to run, in order.
        folder: where the children's record files go (a new temporary folder if ``None``).

    Returns:
        One :class:`ChildRun` per target.
    """
    folder = Path(tempfile.mkdtemp(prefix="initcheck-children-")) if folder is None else folder
    runs = []
    for index, target in enumerate(targets):
        export = folder / f"{index}-{target}.json"
        command = (
            sys.executable,
            "-m",
            "pytest",
            *child_arguments(config.invocation_params.args, target, export),
        )
        print(f"\ninitcheck: target {target} in its own process: {' '.join(command)}", flush=True)
        environment = {**os.environ, CHILD_ENVIRONMENT: str(os.getpid())}
        directory = config.invocation_params.dir
        status = subprocess.run(command, cwd=directory, env=environment, check=False).returncode
        runs.append(ChildRun(target, command, status, export))
    return runs


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
