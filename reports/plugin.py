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

import pytest

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
    """Controller-side collector of check records and test outcomes per claim."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
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
            outcome = "failed" if report.failed else report.outcome
            for claim in sorted(claims):
                self.outcomes[claim].append(outcome)
            checks = dict(properties).get("checks", [])
            for record in checks:
                self.records.append({**record, "test": report.nodeid})
            if report.when == "call":
                # A claim the test verified with plain assertions (no decision rule) gets one
                # record of its own, so every claim a test covers appears in checks.csv.
                recorded = {record["claim"] for record in checks}
                for claim in sorted(claims - recorded):
                    self.records.append(_exact_record(claim, report))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        checks = tables.checks_frame(self.records)
        claims = tables.claims_frame(checks, self.outcomes)
        atomic.write_text(self.folder / "checks.csv", checks.to_csv(index=False))
        atomic.write_text(self.folder / "claims.csv", claims.to_csv(index=False))
        atomic.write_text(self.folder / "claims.md", tables.claims_markdown(claims, checks))
        self.summary = tables.summary_line(claims, checks)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        summary = getattr(self, "summary", None)
        if summary:
            terminalreporter.write_line(f"initcheck: {summary}")
            terminalreporter.write_line(f"initcheck: reports in {self.folder}")


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
    if hasattr(config, "workerinput") or config.getoption("--no-report"):
        return
    folder = config.getoption("--report-dir") or os.environ.get(REPORT_DIR_ENV) or "reports/out"
    config.pluginmanager.register(ReportCollector(Path(folder).resolve()), "initcheck-reports")
