"""Tests of reports/: records merged from xdist workers, schemas, atomic writing, rendering, CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from reports import atomic, render, tables
from theory import CLAIMS

pytest_plugins = ["pytester"]

INNER_CONFTEST = """
import pytest
from properties.conftest import (  # noqa: F401
    pytest_collection_modifyitems,
    pytest_runtest_call,
    pytest_runtest_setup,
)
"""

INNER_TESTS = """
import numpy as np
import pytest
from properties import decide
from properties.decide import Context

@pytest.mark.claim("uniform-variance")
@pytest.mark.parametrize("seed", range(6))
def test_checks(seed):
    rng = np.random.default_rng(seed)
    for k in range(3):
        decide.check_mean(Context("uniform-variance", {"k": k}, seed), lambda n: rng.uniform(-1, 1, n) ** 2,
                          1 / 3, 4 / 45, effect=0.05, spread=1.0)

@pytest.mark.claim("sigmoid-symmetry")
def test_exact():
    assert 1 + 1 == 2

@pytest.mark.claim("kl-non-negative")
def test_failing():
    assert False
"""


def run_inner(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, Path]:
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_inner=INNER_TESTS)
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess("-p", "reports.plugin", f"--report-dir={out}", "-q", *args)
    return result, out


@pytest.mark.parametrize("workers", [None, "2"])
def test_records_are_merged_and_nothing_is_lost(pytester: pytest.Pytester, workers: str | None) -> None:
    args = ("-n", workers) if workers else ()
    result, out = run_inner(pytester, *args)
    result.assert_outcomes(passed=7, failed=1)
    checks = pd.read_csv(out / "checks.csv")
    assert list(checks.columns) == tables.CHECK_COLUMNS
    assert len(checks[checks["claim"] == "uniform-variance"]) == 6 * 3  # records written = checks run
    assert set(checks["test"]) >= {f"test_inner.py::test_checks[{s}]" for s in range(6)}
    claims = pd.read_csv(out / "claims.csv").set_index("id")
    assert list(claims.reset_index().columns) == tables.CLAIM_COLUMNS
    assert len(claims) == len(CLAIMS)
    assert claims.loc["uniform-variance", "status"] == "verified"
    assert claims.loc["uniform-variance", "checks"] == 18 and claims.loc["uniform-variance", "tests"] == 6
    assert claims.loc["sigmoid-symmetry", "status"] == "verified"
    assert claims.loc["kl-non-negative", "status"] == "failed"
    assert claims.loc["haar-determinant", "status"] == "not run"  # never "verified" without a test
    markdown = (out / "claims.md").read_text()
    assert markdown.startswith(
        "# Claims verified by this run\n\n103 claims: 2 verified, 1 failed, 100 not run"
    )


CRASHING_TEST = """
import os
import pytest

@pytest.mark.claim("haar-determinant")
def test_crash():
    os._exit(1)  # the worker process dies mid-test
"""


def test_a_crashed_worker_loses_only_its_own_records(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_crash=CRASHING_TEST)
    result, out = run_inner(pytester, "-n", "2")
    result.assert_outcomes(passed=7, failed=2)  # test_failing, and the crashed test
    checks = pd.read_csv(out / "checks.csv")
    assert len(checks[checks["claim"] == "uniform-variance"]) == 18  # every other record arrived
    claims = pd.read_csv(out / "claims.csv").set_index("id")
    assert claims.loc["haar-determinant", "status"] == "failed"  # the crash is not "verified"
    assert claims.loc["uniform-variance", "status"] == "verified"


def test_claims_table_statuses() -> None:
    checks = tables.checks_frame(
        [
            {
                "claim": "uniform-variance",
                "test": "t",
                "rule": "dkw-cdf",
                "case": '{"shape":[3,2]}',
                "n": 10,
                "statistic": 0.1,
                "threshold": 0.2,
                "p_value": 0.5,
                "effect": 0.02,
                "false_fail": 1e-9,
                "false_pass": 1e-3,
                "verdict": "pass",
                "seed": 1,
                "seconds": 0.1,
            },
        ]
    )
    claims = tables.claims_frame(checks, {"uniform-variance": ["passed"]}).set_index("id")
    row = claims.loc["uniform-variance"]
    assert (row["status"], row["checks"], row["fans"], row["worst_ratio"], row["smallest_effect"]) == (
        "verified",
        1,
        "2-3",
        0.5,
        0.02,
    )
    assert (claims["status"] == "not run").sum() == len(CLAIMS) - 1
    empty = tables.claims_frame(tables.checks_frame([]))
    assert set(empty["status"]) == {"not run"}


def test_atomic_write_keeps_the_previous_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "claims.csv"
    atomic.write_text(target, "old\n")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic.write_text(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["claims.csv"]  # no temporary file left


def test_render_names_missing_parts(tmp_path: Path) -> None:
    (tmp_path / "bench").mkdir()
    atomic.write_text(tmp_path / "bench" / "section_speed.md", "## Speed of impls\n\n| a |\n|---|\n| 1 |\n")
    text = render.render(tmp_path).read_text()
    assert "No verification run found" in text
    assert "## Speed of impls" in text and "Not run (run `python -m reports bench`)" in text


def test_cli_quick_bench_and_render(tmp_path: Path) -> None:
    from reports import cli

    status = cli.main(
        [
            "bench",
            "--quick",
            "--out",
            str(tmp_path),
            "--only",
            "optimizers",
            "--no-progress",
            "--workers",
            "0",
        ]
    )
    assert status == 0
    assert (tmp_path / "bench" / "optimizers.csv").exists() and (
        tmp_path / "bench" / "optimizers_loss.png"
    ).exists()
    readme = (tmp_path / "README.md").read_text()
    assert "## Optimizers" in readme and "![optimizers_loss](bench/optimizers_loss.png)" in readme
    table = pd.read_csv(tmp_path / "bench" / "optimizers.csv").set_index("optimizer")
    measured = table["first step for g = 1 (measured)"]
    assert measured.to_numpy() == pytest.approx(table["first step (theory)"].to_numpy(), rel=1e-9)


def test_cli_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    from reports import cli

    with pytest.raises(SystemExit):
        cli.parse(["--seed", "-1"])
    with pytest.raises(SystemExit):
        cli.parse(["publish"])
    assert "invalid choice" in capsys.readouterr().err
