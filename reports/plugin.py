"""pytest plugin: collect check records from every test (also under xdist) and write reports.

Records ride on each test report as ``user_properties`` (set by ``properties/conftest.py``), so
they reach the xdist controller with the reports; only the controller writes, when the session
ends: ``checks.csv``, ``claims.csv``, ``claims.md``, ``README.md`` and ``run.json`` (versions,
settings) as one whole run swapped into the report folder (see :mod:`reports.folder`):
``--report-dir``, else ``$INITCHECK_REPORT_DIR``, else the project's ``reports/out`` wherever
pytest is started. The folder is checked when the session starts: a folder initcheck must not or
cannot write stops the run at once with one line. A run that ran no test (``--collect-only``,
``--fixtures``, ``--setup-plan``, a ``-k`` matching nothing, a collection error) or was
interrupted leaves the folder as it was. A failure to write at the end is one line after the
test results, and exit status 3 if the tests passed. A crashed worker loses only its own tests'
records. ``--no-report`` turns writing off.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from properties.own_process import CHILD_RUNS, EXPORT_OPTION
from properties.records import (
    CALLS_KEY,
    CHECKS_KEY,
    CLAIMS_KEY,
    COLLECTED,
    COLLECTED_KEY,
    DEFAULT_TARGET,
    DEVIATIONS_KEY,
    NOT_APPLICABLE_KEY,
    TARGET_KEY,
    TARGETS,
    CheckRecord,
    RunTargets,
    assertion_record,
)
from properties.targets.base import NOT_APPLICABLE_PREFIX
from properties.targets.loading import own_run_line
from reports import atomic, conformance, tables
from reports.folder import (
    DEFAULT,
    ReportFolder,
    ReportFolderError,
    is_staging,
    new_run_id,
    utc_now,
    versions,
)

REPORT_DIR_ENV = "INITCHECK_REPORT_DIR"
PART_FILE = "verify.json"
"""Written last into a ``--report-staging`` folder: the verification part's manifest entry."""
NOTHING_RUNS = (
    "help",
    "collectonly",
    "showfixtures",
    "show_fixtures_per_test",
    "markers",
    "setuponly",
    "setupplan",
)
"""Options (their ``dest``) with which pytest runs no test: nothing to write, nothing to check."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("initcheck reports")
    group.addoption(
        "--report-dir",
        default=None,
        help=f"report folder (default ${REPORT_DIR_ENV}, else the project's reports/out); "
        "it must be new, empty, or a report folder of an earlier run",
    )
    group.addoption(
        "--report-staging",
        default=None,
        help="write the report files into this staging folder of `python -m reports` (internal)",
    )
    group.addoption("--no-report", action="store_true", help="do not write report files")
    group.addoption(
        EXPORT_OPTION,
        default=None,
        help="write the run's records as JSON to this file instead of a report (internal: a target "
        "run in its own process, see properties.own_process)",
    )


def report_dir(option: str | None, environ: Mapping[str, str]) -> str:
    """The report folder asked for: ``--report-dir``, else ``$INITCHECK_REPORT_DIR``, else the default.

    Raises:
        ReportFolderError: the option or the variable is given but empty.
    """
    if option is not None:
        if not option.strip():
            raise ReportFolderError("--report-dir is empty; name a folder, or pass --no-report")
        return option
    variable = environ.get(REPORT_DIR_ENV)
    if variable is not None:
        if not variable.strip():
            raise ReportFolderError(f"${REPORT_DIR_ENV} is set but empty; name a folder, or unset it")
        return variable
    return str(DEFAULT)


def _not_applicable(report: pytest.TestReport, properties: Mapping[str, Any]) -> bool:
    """Whether the test skipped as not applicable (the conftest says so, or the skip's message)."""
    if not report.skipped:
        return False
    if properties.get(NOT_APPLICABLE_KEY):
        return True
    longrepr = report.longrepr
    return isinstance(longrepr, tuple) and len(longrepr) == 3 and NOT_APPLICABLE_PREFIX in str(longrepr[2])


def _first_line(report: pytest.TestReport) -> str:
    """The failure's first line, with where it was raised (``AssertionError: ... (at f.py:12)``)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = str(getattr(crash, "message", "") or report.longreprtext or "failed").strip()
    line = text.splitlines()[0][:300] if text else "failed"
    if crash is not None and getattr(crash, "path", None):
        line += f" (at {Path(str(crash.path)).name}:{crash.lineno})"
    return line


class ReportCollector:
    """Controller-side collector of check records and of each claim's outcome in each test, per target."""

    def __init__(self) -> None:
        self.records: list[CheckRecord] = []
        self.outcomes: dict[tables.OutcomeKey, list[str]] = defaultdict(list)
        self.collected: dict[str, dict[str, int]] = {}
        self.claims_by_test: dict[str, set[str]] = defaultdict(set)
        self.target_by_test: dict[str, str] = {}
        self.notes: dict[tables.OutcomeKey, list[str]] = defaultdict(list)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Without xdist: the claims' collected-test counts of ``properties/conftest.py``."""
        counts: dict[str, dict[str, int]] | None = session.config.stash.get(COLLECTED, None)
        self.collected = {target: dict(c) for target, c in (counts or {}).items()}

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """Under xdist: the same counts, from a worker's output (every worker collects all)."""
        counts = getattr(node, "workeroutput", {}).get(COLLECTED_KEY)
        if counts and not self.collected:
            self.collected = {target: dict(c) for target, c in counts.items()}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties: list[tuple[str, Any]] = list(report.user_properties)
        claims = self.claims_by_test[report.nodeid]
        for name, value in properties:
            if name == CLAIMS_KEY:
                claims.update(value)
            elif name == TARGET_KEY:
                self.target_by_test[report.nodeid] = str(value)
        target = self.target_by_test.get(report.nodeid, DEFAULT_TARGET)
        # One outcome per test: its call, a skip in setup, or a failure in another phase
        # (setup, teardown, or xdist's report for a crashed worker, which carries no properties).
        if not (report.when == "call" or report.failed or (report.skipped and report.when == "setup")):
            return
        values = dict(properties)
        checks = [CheckRecord.from_dict(r).with_test(report.nodeid) for r in values.get(CHECKS_KEY, [])]
        deviations: Mapping[str, str] = values.get(DEVIATIONS_KEY) or {}
        if _not_applicable(report, values):
            outcome = tables.Outcome.NOT_APPLICABLE.value
        elif report.skipped and hasattr(report, "wasxfail") and deviations:
            outcome = tables.Outcome.KNOWN_DEVIATION.value
        else:
            outcome = "failed" if report.failed else report.outcome
        decided = {c.claim for c in checks}
        for claim, result in tables.claim_outcomes(sorted(claims), checks, outcome).items():
            self.outcomes[(target, claim)].append(result.value)
            if result is tables.Outcome.FAILED and not any(c.claim == claim and not c.passed for c in checks):
                command = tables.reproduction(target, report.nodeid)
                calls = tables.calls_words(values.get(CALLS_KEY) or [])
                self.notes[(target, claim)].append(f"{_first_line(report)}{calls}; reproduce: `{command}`")
            elif result is tables.Outcome.KNOWN_DEVIATION and claim in deviations:
                self.notes[(target, claim)].append(f"declared: {deviations[claim]}")
            # An exact claim (or contract) checked by the test's plain assertions gets a record.
            asserted = result in (tables.Outcome.PASSED, tables.Outcome.FAILED) and claim not in decided
            if report.when == "call" and asserted and not tables.needs_decision(claim):
                passed = result is tables.Outcome.PASSED
                checks.append(
                    assertion_record(
                        claim, report.nodeid, passed=passed, seconds=report.duration, target=target
                    )
                )
        self.records.extend(checks)

    def export(self, path: Path, versions: Mapping[str, Mapping[str, str]]) -> None:
        """Write everything collected, with the targets' ``versions``, as JSON to ``path``."""
        content = {
            "records": [record.to_dict() for record in self.records],
            "outcomes": [[target, claim, list(found)] for (target, claim), found in self.outcomes.items()],
            "notes": [[target, claim, list(lines)] for (target, claim), lines in self.notes.items()],
            "collected": self.collected,
            "versions": {name: dict(found) for name, found in versions.items()},
        }
        atomic.write_text(path, json.dumps(content) + "\n")

    def absorb(self, path: Path) -> dict[str, dict[str, str]]:
        """Add the records of another run exported by :meth:`export`; return its targets' versions."""
        content = json.loads(path.read_text())
        self.records.extend(CheckRecord.from_dict(record) for record in content["records"])
        for target, claim, results in content["outcomes"]:
            self.outcomes[(target, claim)].extend(results)
        for target, claim, lines in content["notes"]:
            self.notes[(target, claim)].extend(lines)
        for target, counts in content["collected"].items():
            self.collected.setdefault(target, {}).update(counts)
        return {name: dict(found) for name, found in content["versions"].items()}

    def frames(self, targets: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The checks frame and the claims frame (rows for ``targets``, default every target seen)
        of everything collected so far."""
        checks = tables.checks_frame(self.records)
        return checks, tables.claims_frame(checks, self.outcomes, self.collected, targets=targets)


class ReportWriter:
    """Controller-side writer: one whole run into the report folder, or nothing.

    Args:
        collector: the records and outcomes of the session.
        folder: the report folder (checked already), or a ``python -m reports`` staging folder.
    """

    def __init__(self, collector: ReportCollector, folder: ReportFolder | Path) -> None:
        self.collector = collector
        self.folder = folder
        self.started = utc_now()
        self.tests_run = 0
        self.interrupted = False
        self.lines: list[tuple[str, bool]] = []

    def pytest_keyboard_interrupt(self) -> None:
        """Ctrl-C, or ``pytest.exit()`` (whatever exit status it asks for): the run is cut short."""
        self.interrupted = True

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # A test ran if it reached its call, or failed before it (setup, a crashed xdist worker).
        if report.when == "call" or (report.failed and report.when != "teardown"):
            self.tests_run += 1

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.interrupted or exitstatus == pytest.ExitCode.INTERRUPTED:
            self.lines = [(f"initcheck: run interrupted; {self.folder} left as it was", True)]
        elif self.tests_run == 0:
            self.lines = [(f"initcheck: no test ran; {self.folder} left as it was", False)]
        else:
            self._write(session, int(session.exitstatus))  # the children's statuses folded in

    def _write(self, session: pytest.Session, exitstatus: int) -> None:
        try:
            targets: RunTargets = session.config.stash.get(TARGETS, RunTargets())
            targets, note = self._absorb_children(session, targets)
            # The targets asked for: a test that takes none (a fact about NumPy's QR) stamps its
            # records with the default target, which gets no column unless it was asked for.
            checks, claims = self.collector.frames(targets.names)
            markdown = tables.claims_markdown(claims, checks, note)
            stopped = session.shouldfail or session.shouldstop
            if stopped:  # -x, --maxfail: say so on the first line (run.json says so too)
                heading, _, rest = markdown.partition("\n")
                markdown = f"{heading} (stopped early: {stopped}; the tests after it did not run)\n{rest}"
            files = {
                "checks.csv": checks.to_csv(index=False),
                "claims.csv": claims.to_csv(index=False),
                "claims.md": markdown,
            }
            cells = tables.cell_details(claims, checks, self.collector.notes)
            ran = cells.groupby("claim", sort=False)["status"].agg(lambda s: bool((s != "not run").any()))
            if ran.any():  # the matrix shows the claims some target ran
                cells = cells[cells["claim"].map(ran)]
            header = _versions_line(targets, list(dict.fromkeys(claims["target"])))
            left = int((~ran).sum())
            if left and ran.any():
                header += f" {left} claims not run on any target are left out (claims.csv lists every claim)."
            if note:
                header += f"\n\n{note}"
            if isinstance(self.folder, Path):
                self._write_files(self.folder, files, None)
                conformance.write(self.folder, cells, versions=header)
                self._write_files(self.folder, {}, self._part(session, exitstatus, new_run_id()))
            else:
                announce = self._announce(session)
                with self.folder.staging(announce) as stage:
                    stage.parts["verify"] = self._part(session, exitstatus, stage.run_id)
                    self._write_files(stage.path, files, None)
                    conformance.write(stage.path, cells, versions=header)
                    # Imported here: rendering pulls in matplotlib and the benchmark (~0.5 s), which
                    # every other process that loads this plugin (xdist workers, children) skips.
                    from reports import render

                    self.folder.commit(stage, finish=render.render, announce=announce)
            self.lines = [
                (f"initcheck: {tables.summary_line(claims, checks)}", False),
                (f"initcheck: reports in {self.folder}", False),
            ]
        except KeyboardInterrupt:
            self.lines = [(f"initcheck: interrupted while writing; {self.folder} left as it was", True)]
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        except Exception as error:  # any failure: one line after the results, never a traceback
            reason = (
                str(error) if isinstance(error, ReportFolderError) else f"{type(error).__name__}: {error}"
            )
            self.lines = [(f"initcheck: could not write the report into {self.folder}: {reason}", True)]
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.INTERNAL_ERROR

    def _absorb_children(self, session: pytest.Session, targets: RunTargets) -> tuple[RunTargets, str]:
        """The records of the targets that ran in their own process, and a note on those that
        did not run or left no records (``--target all``: :mod:`properties.own_process`)."""
        children = session.config.stash.get(CHILD_RUNS, [])
        if not targets.left_out:
            return targets, ""
        if not children:
            return targets, own_run_line(targets.left_out)
        versions = dict(targets.versions)
        lost = []
        for child in children:
            if child.export.is_file():
                versions.update(self.collector.absorb(child.export))
            else:
                lost.append(f"{child.target} (exit status {child.exit_status})")
        note = f"Ran in a process of its own, its records missing: {', '.join(lost)}." if lost else ""
        names = (*targets.names, *(c.target for c in children if c.export.is_file()))
        targets = RunTargets(names, versions, targets.left_out)
        session.config.stash[TARGETS] = targets
        return targets, note

    @staticmethod
    def _write_files(folder: Path, files: Mapping[str, str], part: dict[str, Any] | None) -> None:
        for name, text in files.items():
            atomic.write_text(folder / name, text)
        if part is not None:  # last: its presence says the part is complete
            atomic.write_text(folder / PART_FILE, json.dumps(part, indent=2) + "\n")

    def _part(self, session: pytest.Session, exitstatus: int, run_id: str) -> dict[str, Any]:
        """The manifest entry of this verification: when, how, how it ended, with what versions."""
        from hypothesis import settings

        config = session.config
        stopped = session.shouldfail or session.shouldstop
        return {
            "run": run_id,
            "started": self.started,
            "finished": utc_now(),
            "command": ["pytest", *config.invocation_params.args],
            "directory": str(config.invocation_params.dir),
            "pytest_exit": exitstatus,
            "tests_run": self.tests_run,
            "complete": not stopped,
            "stopped_early": str(stopped) if stopped else None,
            "hypothesis_profile": settings.get_current_profile_name(),
            "workers": config.getoption("numprocesses", None),
            "versions": {**versions(), "pytest": pytest.__version__},
            "targets": {
                name: dict(v) for name, v in session.config.stash.get(TARGETS, RunTargets()).versions.items()
            },
        }

    @staticmethod
    def _announce(session: pytest.Session) -> Any:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")

        def announce(message: str) -> None:
            if reporter is None:
                print(message, flush=True)
            else:
                reporter.write_line(message)
                reporter.flush()

        return announce

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        for line, alarming in self.lines:
            terminalreporter.write_line(line, red=alarming, bold=alarming)


def _versions_line(targets: RunTargets, shown: list[str]) -> str:
    """``Versions: torch: torch 2.13.0, numpy 2.3.1; impls: ...`` for the targets of the report."""
    parts = []
    for name in shown:
        found = targets.versions.get(name, {})
        listed = ", ".join(f"{package} {version}" for package, version in found.items())
        parts.append(f"`{name}`: {listed or 'initcheck'}")
    return "Versions: " + "; ".join(parts) + "."


class RecordExporter:
    """Controller-side exporter of a child run (``--report-export FILE``): its records as JSON."""

    def __init__(self, collector: ReportCollector, path: Path) -> None:
        self.collector, self.path = collector, path

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            return
        targets: RunTargets = session.config.stash.get(TARGETS, RunTargets())
        self.collector.export(self.path, targets.versions)


def pytest_configure(config: pytest.Config) -> None:
    """Check the report folder before any test runs; register the collector and the writer
    (or, in a target's own run, the exporter)."""
    if hasattr(config, "workerinput"):
        return
    export = config.getoption(EXPORT_OPTION)
    if export is not None:
        collector = ReportCollector()
        config.pluginmanager.register(collector, "initcheck-reports")
        config.pluginmanager.register(RecordExporter(collector, Path(export)), "initcheck-record-exporter")
        return
    if config.getoption("--no-report"):
        return
    if any(config.getoption(name, False) for name in NOTHING_RUNS):
        return
    staging = config.getoption("--report-staging")
    try:
        if staging is not None:
            folder: ReportFolder | Path = Path(staging).resolve()
            if not is_staging(Path(staging)):
                raise ReportFolderError(
                    f"--report-staging={staging} is not a staging folder of python -m reports"
                )
        else:
            folder = ReportFolder(report_dir(config.getoption("--report-dir"), os.environ))
            folder.check()
    except ReportFolderError as error:
        raise pytest.UsageError(f"initcheck: {error}") from None
    collector = ReportCollector()
    config.pluginmanager.register(collector, "initcheck-reports")
    config.pluginmanager.register(ReportWriter(collector, folder), "initcheck-report-writer")
