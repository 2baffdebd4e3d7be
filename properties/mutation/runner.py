"""Run each mutation of the catalogue through the whole suite, in a copy of the tree.

For every mutation: copy the files git knows (tracked, plus untracked ones not ignored) into a
temporary directory, replace the mutation's original text (which must occur exactly once) by its
replacement, and run ``python -m pytest -x -q -p no:xdist -p no:cacheprovider --no-report`` there
with ``CI=1`` (the derandomized ``ci`` profile) under a time limit, on every module of the claim
suite (which receives impls as the ``impl`` fixture) and every other test module that imports
impls, the cheap ones first: with ``-x`` a caught mutation costs only the tests before its first
failure, and the order changes no verdict. Modules that import nothing of impls
(the decision rules' calibration, theory, the report writer, the marker census) cannot see a
mutation of impls and are left out unless ``--all`` is given; the catalogue's own self-test
(``properties/selftest/test_mutation_catalogue.py``, which fails in any mutated tree by
construction) is always left out. The verdict is ``caught`` (the suite failed), ``escaped`` (it
passed), ``not-applied`` (the original text is gone or not unique: the code changed since the
catalogue was written; that self-test makes such a change fail CI, so it shows here only for a
tree that has not passed it, e.g. one given with ``--root``), ``timeout``, or ``error``: pytest
ended with another status than "tests failed" (a collection or usage error, a missing package),
so the suite did not judge the mutation, and a broken environment is never counted as a catch. One CSV row per
mutation: ``id, outcome, first_failure, seconds``.

Run it one mutation at a time and niced (``nice -n 10 python -m properties.mutation``): each run
is the whole suite.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

import pytest

from properties.mutation.catalogue import MUTATIONS, Mutation

PYTEST_ARGS = ("-m", "pytest", "-x", "-q", "-p", "no:xdist", "-p", "no:cacheprovider", "--no-report")
_FAILURE = re.compile(r"^(FAILED|ERROR) (\S+)", re.MULTILINE)
_IMPORTS_IMPLS = re.compile(
    r"^\s*(import impls|from impls\b|from properties\.(mutants|targets)\b)", re.MULTILINE
)
EXPENSIVE_LAST = (
    "test_activations.py",
    "test_initializers.py",
    "test_mean_field.py",
    "test_isometry.py",
    "test_seed_experiments.py",
    "test_depth_and_width.py",
    "test_power.py",
    "test_pytorch_parity.py",
)
"""Run after the others, in this order: modules that draw large statistical samples, then the
optional parity with PyTorch, so that a mutation whose first failure is there escaped the rest."""

NEVER_RUN = ("properties/selftest/test_mutation_catalogue.py",)
"""Checks that each mutation's original text is in the unmutated tree: a mutated copy fails it."""


class Outcome(NamedTuple):
    """One mutation's verdict and the first test that failed (empty if none)."""

    id: str
    outcome: str
    first_failure: str
    seconds: float


def repository_files(root: Path) -> list[str]:
    """Files git tracks in ``root`` plus the untracked ones it does not ignore."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [name for name in listing.split("\0") if name and (root / name).is_file()]


def suite_modules(tree: Path, everything: bool = False) -> list[str]:
    """The suite's test modules in ``tree``, those importing impls first and cheap before costly."""
    modules = [
        m
        for m in sorted(tree.glob("properties/**/test_*.py"))
        if m.relative_to(tree).as_posix() not in NEVER_RUN
    ]
    if not everything:
        # The claim suite receives the implementation through the ``impl`` fixture (no import).
        modules = [m for m in modules if m.parent.name == "claims" or _IMPORTS_IMPLS.search(m.read_text())]

    def cost(module: Path) -> tuple[int, str]:
        rank = EXPENSIVE_LAST.index(module.name) + 1 if module.name in EXPENSIVE_LAST else 0
        return rank, str(module)

    return [str(m.relative_to(tree)) for m in sorted(modules, key=cost)]


def changed_lines(mutation: Mutation, text: str) -> list[int]:
    """Line numbers (1-based) of ``text`` that the mutation changes."""
    first = text[: text.index(mutation.original)].count("\n") + 1
    before, after = mutation.original.split("\n"), mutation.replacement.split("\n")
    if len(before) != len(after):
        return list(range(first, first + len(before)))
    return [first + i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]


def tests_running(mutation: Mutation, text: str, trace: dict[str, list[str]]) -> list[str] | None:
    """The node ids that call a function holding a changed line, per ``trace``; None if it must
    be the whole suite (a module-level line, or a function the trace never saw called)."""
    nodes: set[str] = set()
    for line in changed_lines(mutation, text):
        found = False
        for key, ran in trace.items():
            path, span = key.rsplit(":", 1)
            first, last = (int(v) for v in span.split("-"))
            if path == mutation.path and first <= line <= last:
                found = True
                if "*" in ran:
                    return None
                nodes.update(ran)
        if not found:
            return None
    return sorted(nodes)


def copy_tree(root: Path, files: Iterable[str], target: Path) -> None:
    """Copy ``files`` (paths relative to ``root``) into ``target``."""
    for name in files:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, destination)


def apply(mutation: Mutation, tree: Path) -> bool:
    """Replace the mutation's original text in ``tree``; False if it is not there exactly once."""
    path = tree / mutation.path
    if not path.is_file():
        return False
    text = path.read_text()
    if text.count(mutation.original) != 1:
        return False
    path.write_text(text.replace(mutation.original, mutation.replacement))
    return True


def first_failure(output: str) -> str:
    """The node id of the first ``FAILED``/``ERROR`` line of pytest's summary, or a hint."""
    match = _FAILURE.search(output)
    if match:
        return match.group(2)
    tail = [line for line in output.strip().splitlines() if line.strip()]
    return tail[-1][:200] if tail else ""


def run_one(
    mutation: Mutation,
    root: Path,
    files: Sequence[str],
    timeout: float,
    tests: Sequence[str] = (),
    everything: bool = False,
    trace: dict[str, list[str]] | None = None,
) -> Outcome:
    """Apply one mutation to a fresh copy of the tree and run the suite (or ``tests``) there."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"mutation-{mutation.id}-") as scratch:
        tree = Path(scratch)
        copy_tree(root, files, tree)
        original_text = (tree / mutation.path).read_text() if (tree / mutation.path).is_file() else ""
        if not apply(mutation, tree):
            return Outcome(mutation.id, "not-applied", "", 0.0)
        modules = list(tests) or suite_modules(tree, everything)
        selected = tests_running(mutation, original_text, trace) if trace and not tests else None
        if selected is not None:
            order = {module: rank for rank, module in enumerate(modules)}
            modules = sorted(selected, key=lambda node: (order.get(node.split("::")[0], len(order)), node))
        environment = {**os.environ, "CI": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        environment.pop("HYPOTHESIS_PROFILE", None)
        try:
            completed = subprocess.run(
                [sys.executable, *PYTEST_ARGS, *modules],
                cwd=tree,
                env=environment,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return Outcome(mutation.id, "timeout", "", round(time.monotonic() - started, 1))
        seconds = round(time.monotonic() - started, 1)
        if completed.returncode == pytest.ExitCode.OK:
            return Outcome(mutation.id, "escaped", "", seconds)
        if completed.returncode != pytest.ExitCode.TESTS_FAILED:  # the suite did not run: not a catch
            last = (completed.stdout + completed.stderr).strip().splitlines()[-1:] or [""]
            return Outcome(mutation.id, "error", f"exit status {completed.returncode}: {last[0]}", seconds)
        return Outcome(mutation.id, "caught", first_failure(completed.stdout + completed.stderr), seconds)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the catalogue (or the ``--only`` mutations) and write the CSV; print a summary."""
    parser = argparse.ArgumentParser(prog="python -m properties.mutation", description=__doc__)
    parser.add_argument("--only", action="append", default=[], metavar="ID", help="run only this id")
    parser.add_argument("--out", default="mutation.csv", help="CSV to write (default mutation.csv)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per mutation")
    parser.add_argument("--root", default=".", help="repository to copy (default: cwd)")
    parser.add_argument("--all", action="store_true", help="also run the modules that do not import impls")
    parser.add_argument(
        "--trace",
        default=None,
        help="JSON of properties.mutation.tracer for this tree: run only the tests that execute the "
        "mutated line (same verdict as the whole suite, which is deterministic under CI=1)",
    )
    parser.add_argument(
        "tests", nargs="*", help="run only these test paths (a quick screen; the verdict is the whole suite)"
    )
    args = parser.parse_args(argv)
    known = {m.id for m in MUTATIONS}
    unknown = sorted(set(args.only) - known)
    if unknown:
        parser.error(f"unknown mutation ids: {unknown}")
    by_id = {m.id: m for m in MUTATIONS}
    chosen = [by_id[i] for i in dict.fromkeys(args.only)] if args.only else list(MUTATIONS)
    root = Path(args.root).resolve()
    files = repository_files(root)
    trace = json.loads(Path(args.trace).read_text()) if args.trace else None
    counts: dict[str, int] = {}
    with open(args.out, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(Outcome._fields)
        for mutation in chosen:
            outcome = run_one(mutation, root, files, args.timeout, args.tests, args.all, trace)
            writer.writerow(outcome)
            handle.flush()
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
            print(f"{outcome.outcome:12} {outcome.seconds:7.1f}s {mutation.id}  {outcome.first_failure}")
            sys.stdout.flush()
    applied = sum(counts.get(k, 0) for k in ("caught", "escaped", "timeout", "error"))
    print(f"caught {counts.get('caught', 0)}/{applied} applied ({len(chosen)} in the catalogue); {counts}")
    return 0
