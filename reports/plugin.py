"""pytest plugin: collect check records from every test (also under xdist) and write reports.

Records ride on each test report as ``user_properties`` (set by ``properties/conftest.py``), so
they reach the xdist controller with the reports; only the controller writes, atomically, when
the session ends: ``checks.csv``, ``claims.csv``, ``claims.md`` in ``--report-dir`` (default
``$INITCHECK_REPORT_DIR`` or ``reports/out``). A crashed worker loses only its own tests'
records. ``--no-report`` turns writing off.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from properties.records import (
    CHECKS_KEY,
    CLAIMS_KEY,
    COLLECTED,
    COLLECTED_KEY,
    CheckRecord,
    assertion_record,
)
from reports import atomic, tables

REPORT_DIR_ENV = "INITCHECK_REPORT_DIR"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("initcheck reports")
    group.addoption(
        "--report-dir",
        default=None,
        help=f"folder for checks.csv, claims.csv, claims.md (default ${REPORT_DIR_ENV} or reports/out)",
    )
    group.addoption("--no-report", action="store_true", help="do not write report files")


class ReportCollector:
    """Controller-side collector of check records and of each claim's outcome in each test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.records: list[CheckRecord] = []
        self.outcomes: dict[str, list[str]] = defaultdict(list)
        self.collected: dict[str, int] = {}
        self.claims_by_test: dict[str, set[str]] = defaultdict(set)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Without xdist: the claims' collected-test counts of ``properties/conftest.py``."""
        counts: dict[str, int] | None = session.config.stash.get(COLLECTED, None)
        self.collected = dict(counts or {})

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """Under xdist: the same counts, from a worker's output (every worker collects all)."""
        counts = getattr(node, "workeroutput", {}).get(COLLECTED_KEY)
        if counts and not self.collected:
            self.collected = dict(counts)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties: list[tuple[str, Any]] = list(report.user_properties)
        claims = self.claims_by_test[report.nodeid]
        for name, value in properties:
            if name == CLAIMS_KEY:
                claims.update(value)
        # One outcome per test: its call, a skip in setup, or a failure in another phase
        # (setup, teardown, or xdist's report for a crashed worker, which carries no properties).
        if not (report.when == "call" or report.failed or (report.skipped and report.when == "setup")):
            return
        checks = [
            CheckRecord.from_dict(r).with_test(report.nodeid) for r in dict(properties).get(CHECKS_KEY, [])
        ]
        outcome = "failed" if report.failed else report.outcome
        decided = {c.claim for c in checks}
        for claim, result in tables.claim_outcomes(sorted(claims), checks, outcome).items():
            self.outcomes[claim].append(result.value)
            # An exact claim (or contract) checked by the test's plain assertions gets a record.
            asserted = result in (tables.Outcome.PASSED, tables.Outcome.FAILED) and claim not in decided
            if report.when == "call" and asserted and not tables.needs_decision(claim):
                passed = result is tables.Outcome.PASSED
                checks.append(assertion_record(claim, report.nodeid, passed=passed, seconds=report.duration))
        self.records.extend(checks)

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The checks frame and the claims frame of everything collected so far."""
        checks = tables.checks_frame(self.records)
        return checks, tables.claims_frame(checks, self.outcomes, self.collected)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        checks, claims = self.frames()
        atomic.write_text(self.folder / "checks.csv", checks.to_csv(index=False))
        atomic.write_text(self.folder / "claims.csv", claims.to_csv(index=False))
        atomic.write_text(self.folder / "claims.md", tables.claims_markdown(claims, checks))
        self.summary = tables.summary_line(claims, checks)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        summary = getattr(self, "summary", None)
        if summary:
            terminalreporter.write_line(f"initcheck: {summary}")
            terminalreporter.write_line(f"initcheck: reports in {self.folder}")


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or config.getoption("--no-report"):
        return
    folder = config.getoption("--report-dir") or os.environ.get(REPORT_DIR_ENV) or "reports/out"
    config.pluginmanager.register(ReportCollector(Path(folder).resolve()), "initcheck-reports")
