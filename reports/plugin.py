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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from reports import atomic, render, tables
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


class ReportCollector:
    """Controller-side collector of check records and test outcomes per claim."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.outcomes: dict[str, list[str]] = defaultdict(list)
        self.claims_by_test: dict[str, set[str]] = defaultdict(set)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties: list[tuple[str, Any]] = list(report.user_properties)
        claims = self.claims_by_test[report.nodeid]
        for name, value in properties:
            if name == "claims":
                claims.update(value)
        # One outcome per test: its call, or a failure in another phase (setup, teardown, or
        # xdist's report for a crashed worker, which carries no properties of its own).
        if report.when == "call" or (report.failed and report.when != "call"):
            # pytest.skip() at run time: the test verified nothing, so its claims stay "not run"
            # (the records of checks it ran before skipping are kept: records written = checks run).
            skipped = report.skipped and not hasattr(report, "wasxfail")
            outcome = "failed" if report.failed else report.outcome
            for claim in sorted(claims) if not skipped else ():
                self.outcomes[claim].append(outcome)
            checks = dict(properties).get("checks", [])
            for record in checks:
                self.records.append({**record, "test": report.nodeid})
            if report.when == "call" and not skipped:
                # A claim the test verified with plain assertions (no decision rule) gets one
                # record of its own, so every claim a test covers appears in checks.csv.
                recorded = {record["claim"] for record in checks}
                for claim in sorted(claims - recorded):
                    self.records.append(_exact_record(claim, report))


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
            self._write(session, int(exitstatus))

    def _write(self, session: pytest.Session, exitstatus: int) -> None:
        try:
            checks = tables.checks_frame(self.collector.records)
            claims = tables.claims_frame(checks, self.collector.outcomes)
            markdown = tables.claims_markdown(claims, checks)
            stopped = session.shouldfail or session.shouldstop
            if stopped:  # -x, --maxfail: say so on the first line (run.json says so too)
                heading, _, rest = markdown.partition("\n")
                markdown = f"{heading} (stopped early: {stopped}; the tests after it did not run)\n{rest}"
            files = {
                "checks.csv": checks.to_csv(index=False),
                "claims.csv": claims.to_csv(index=False),
                "claims.md": markdown,
            }
            if isinstance(self.folder, Path):
                self._write_files(self.folder, files, self._part(session, exitstatus, new_run_id()))
            else:
                announce = self._announce(session)
                with self.folder.staging(announce) as stage:
                    stage.parts["verify"] = self._part(session, exitstatus, stage.run_id)
                    self._write_files(stage.path, files, None)
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


def _exact_record(claim: str, report: pytest.TestReport) -> dict[str, Any]:
    """The record of a test that verified ``claim`` with plain assertions (no decision rule)."""
    return {
        "claim": claim,
        "test": report.nodeid,
        "rule": "assertions",
        "case": "{}",
        "n": None,
        "statistic": None,
        "threshold": None,
        "p_value": None,
        "effect": None,
        "false_fail": 0.0,
        "false_pass": None,
        "verdict": "pass" if report.passed else "fail",
        "seed": None,
        "seconds": report.duration,
    }


def pytest_configure(config: pytest.Config) -> None:
    """Check the report folder before any test runs; register the collector and the writer."""
    if hasattr(config, "workerinput") or config.getoption("--no-report"):
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
