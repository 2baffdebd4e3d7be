"""Tests of reports/: records merged from xdist workers, schemas, atomic writing, rendering, CLI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from properties import records
from properties.records import CheckRecord
from reports import atomic, render, tables
from reports.folder import PROJECT_ROOT
from theory import CLAIMS, Kind

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner pytest processes import this checkout, not the copy installed in the environment."""
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    monkeypatch.delenv("INITCHECK_REPORT_DIR", raising=False)


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
    with pytest.MonkeyPatch.context() as patch:  # the subprocess imports this checkout, not an installed one
        patch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        result = pytester.runpytest_subprocess("-p", "reports.plugin", f"--report-dir={out}", "-q", *args)
    return result, out


def test_records_are_merged_and_nothing_is_lost(pytester: pytest.Pytester) -> None:
    """In one process; the same run under two xdist workers is the crash test's, below."""
    result, out = run_inner(pytester)
    result.assert_outcomes(passed=7, failed=1)
    check_merged_reports(out)
    claims = pd.read_csv(out / "claims.csv").set_index("id")
    assert claims.loc["haar-determinant", "status"] == "not run"  # never "verified" without a test


def check_merged_reports(out: Path) -> None:
    """The report of :data:`INNER_TESTS`: every record written, every claim's status right."""
    checks = pd.read_csv(out / "checks.csv")
    assert list(checks.columns) == tables.CHECK_COLUMNS
    assert len(checks[checks["claim"] == "uniform-variance"]) == 6 * 3  # records written = checks run
    assert set(checks["test"]) >= {f"test_inner.py::test_checks[{s}]" for s in range(6)}
    claims = pd.read_csv(out / "claims.csv").set_index("id")
    assert list(claims.reset_index().columns) == tables.CLAIM_COLUMNS
    assert len(claims) == len(CLAIMS)
    assert claims.loc["uniform-variance", "status"] == "verified"
    assert claims.loc["uniform-variance", "checks"] == 18
    assert (
        claims.loc["uniform-variance", "tests_run"],
        claims.loc["uniform-variance", "tests_collected"],
    ) == (6, 6)
    assert claims.loc["sigmoid-symmetry", "status"] == "verified"
    assert claims.loc["kl-non-negative", "status"] == "failed"
    markdown = (out / "claims.md").read_text()
    theory_claims = sum(1 for claim in CLAIMS if claim.kind is not Kind.CONTRACT)
    assert markdown.startswith(f"# Claims verified by this run\n\ntheory: {theory_claims} claims (")


CRASHING_TEST = """
import os
import pytest

@pytest.mark.claim("haar-determinant")
def test_crash():
    os._exit(1)  # the worker process dies mid-test
"""


def test_a_crashed_worker_loses_only_its_own_records(pytester: pytest.Pytester) -> None:
    """Under two xdist workers, one of which dies: the others' records all merge as in one process."""
    pytester.makepyfile(test_crash=CRASHING_TEST)
    result, out = run_inner(pytester, "-n", "2")
    result.assert_outcomes(passed=7, failed=2)  # test_failing, and the crashed test
    check_merged_reports(out)
    claims = pd.read_csv(out / "claims.csv").set_index("id")
    assert claims.loc["haar-determinant", "status"] == "failed"  # the crash is not "verified"


def record(claim: str, **fields: Any) -> CheckRecord:
    values = {"test": "t", "rule": "dkw-cdf", "n": 10, "statistic": 0.1, "threshold": 0.2, "effect": 0.02}
    values |= {"effect_unit": "Kolmogorov distance", "false_fail": 1e-9, "false_pass": 1e-3, "seed": 1}
    return CheckRecord(claim=claim, **{**values, **fields})


SHARED_TEST = """
import numpy as np
import pytest
from properties import compare
from properties.decide import Context

@pytest.mark.claim("sigmoid-symmetry")
@pytest.mark.claim("tanh-derivative")
@pytest.mark.claim("tanh-derivative-bound")
def test_shared():
    compare.check_close(Context("tanh-derivative", {}), [1.0], [1.0], rtol=1e-12)
    compare.check_close(Context("sigmoid-symmetry", {}), [1.0], [2.0], rtol=1e-12)  # fails
    assert True  # tanh-derivative-bound's assertions: never reached

@pytest.mark.claim("xavier-normal-law")
def test_statistical_by_assertions_only():
    assert 1 + 1 == 2

@pytest.mark.claim("activation-derivatives")
def test_typo():
    compare.check_close(Context("activation-derivativs", {}), [1.0], [1.0], rtol=0)

@pytest.mark.claim("relu-kink-convention")
def test_unmarked():
    compare.check_close(Context("activation-derivatives", {}), [1.0], [1.0], rtol=0)
"""


def test_credit_only_for_what_ran(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_shared=SHARED_TEST)
    result, out = run_inner(pytester)
    result.assert_outcomes(passed=8, failed=4)
    result.stdout.fnmatch_lines(
        ["*ClaimError: a check names claim 'activation-derivativs', which theory.CLAIMS does not hold*"]
    )
    result.stdout.fnmatch_lines(["*which its test does not mark (it marks*relu-kink-convention*"])
    claims = pd.read_csv(out / "claims.csv").set_index("id")
    status = claims["status"]
    assert status["sigmoid-symmetry"] == "failed"  # its check failed
    assert status["tanh-derivative"] == "verified"  # its own check passed in the same test
    assert status["tanh-derivative-bound"] == "not run"  # the failure stopped the test first
    assert status["xavier-normal-law"] == "not run"  # a statistical claim needs decision records
    assert status["activation-derivatives"] == "failed"  # the typo fails its test, which credits nothing
    checks = pd.read_csv(out / "checks.csv")
    assert "activation-derivativs" not in set(checks["claim"])  # no phantom row
    assert set(checks[checks["claim"] == "xavier-normal-law"]["rule"]) == set()


@pytest.mark.parametrize("workers", [None, "2"])
def test_a_claim_whose_tests_ran_in_part_is_partly_run(
    pytester: pytest.Pytester, workers: str | None
) -> None:
    args = ("-n", workers) if workers else ()
    result, out = run_inner(pytester, "-k", "not test_checks[3] and not test_checks[4]", *args)
    result.assert_outcomes(passed=5, failed=1)
    claims = pd.read_csv(out / "claims.csv").set_index("id")
    row = claims.loc["uniform-variance"]
    assert (row["status"], row["tests_run"], row["tests_collected"]) == ("partly run", 4, 6)
    assert claims.loc["sigmoid-symmetry", "status"] == "verified"
    assert claims.loc["sigmoid-symmetry", "detects"] == tables.ASSERTIONS_WORDS
    assert "partly run (4/6 tests)" in (out / "claims.md").read_text()


def test_claims_table_statuses() -> None:
    checks = tables.checks_frame([record("uniform-variance", case='{"shape":[3,2]}', size_min=2, size_max=3)])
    claims = tables.claims_frame(checks, {("impls", "uniform-variance"): ["passed"]}).set_index("id")
    row = claims.loc["uniform-variance"]
    assert (row["status"], row["checks"], row["sizes"], row["worst_ratio"]) == ("verified", 1, "2-3", 0.5)
    assert row["detects"] == "a Kolmogorov distance of 0.02 from the law"
    assert (claims["status"] == "not run").sum() == len(CLAIMS) - 1
    empty = tables.claims_frame(tables.checks_frame([]))
    assert set(empty["status"]) == {"not run"}


def test_a_record_travels_as_builtins_and_back() -> None:
    original = record("uniform-variance", case='{"shape":[3,2]}', size_min=2, size_max=3)
    assert CheckRecord.from_dict(original.to_dict()) == original
    assert list(original.to_dict()) == tables.CHECK_COLUMNS == list(records.COLUMNS)
    assert original.target == "impls"
    with pytest.raises(ValueError, match="unknown record fields"):
        CheckRecord.from_dict({**original.to_dict(), "smallest_effect": 1.0})


def test_a_statistical_claim_needs_its_own_decision_records() -> None:
    """A passing test credits an exact claim by its assertions, never a statistical one."""
    outcomes = tables.claim_outcomes(["xavier-normal-law", "sigmoid-symmetry"], [], "passed")
    assert outcomes == {
        "xavier-normal-law": tables.Outcome.NOT_REACHED,
        "sigmoid-symmetry": tables.Outcome.PASSED,
    }
    claims = tables.claims_frame(
        tables.checks_frame([]),
        {("impls", k): [v.value] for k, v in outcomes.items()},
        {"impls": {"xavier-normal-law": 1}},
    ).set_index("id")
    assert claims.loc["xavier-normal-law", "status"] == "not run"
    assert claims.loc["sigmoid-symmetry", "status"] == "verified"


def test_a_failure_is_charged_to_the_claim_whose_check_failed() -> None:
    checks = [record("sigmoid-symmetry", verdict="fail"), record("tanh-derivative")]
    outcomes = tables.claim_outcomes(
        ["sigmoid-symmetry", "tanh-derivative", "tanh-derivative-bound"], checks, "failed"
    )
    assert outcomes == {
        "sigmoid-symmetry": tables.Outcome.FAILED,
        "tanh-derivative": tables.Outcome.PASSED,  # its own check passed
        "tanh-derivative-bound": tables.Outcome.NOT_REACHED,  # the failure stopped the test first
    }
    # a test failing with no failing check to blame fails all its claims
    assert set(tables.claim_outcomes(["sigmoid-symmetry", "tanh-derivative"], [], "failed").values()) == {
        tables.Outcome.FAILED
    }


def test_partly_run_and_effects_in_words() -> None:
    checks = tables.checks_frame(
        [
            record(
                "product-variance", rule="median-of-means-mean", effect=0.2, effect_unit="relative variance"
            ),
            record("uniform-variance", rule="chi2-variance", effect=0.05, effect_unit="relative std"),
            record("uniform-variance", rule="dkw-cdf", effect=0.02, effect_unit="Kolmogorov distance"),
            record("uniform-variance", rule="exact", effect=1e-9, effect_unit="rtol", false_fail=0.0),
        ]
    )
    outcomes = {
        ("impls", "product-variance"): ["passed"],
        ("impls", "uniform-variance"): ["passed", "passed"],
    }
    collected = {"impls": {"product-variance": 1, "uniform-variance": 3}}
    claims = tables.claims_frame(checks, outcomes, collected).set_index("id")
    assert claims.loc["uniform-variance", "status"] == "partly run"  # 2 of its 3 tests ran
    # one effect per unit, never a minimum across units
    assert claims.loc["uniform-variance", "detects"] == (
        "a Kolmogorov distance of 0.02 from the law; a 5% error in the std; a relative error above 1e-09"
    )
    assert claims.loc["uniform-variance", "coarse"] == ""
    assert claims.loc["product-variance", "coarse"] == "a 20% error in the variance"
    markdown = tables.claims_markdown(claims.reset_index(), checks)
    assert "verified (1/1 tests); coarse: catches only a 20% error in the variance" in markdown
    assert "partly run (2/3 tests)" in markdown


def test_summary_counts_theory_and_contracts_apart() -> None:
    claims = pd.DataFrame(
        {
            "kind": ["exact", "statistical", "statistical", "contract", "contract"],
            "status": ["verified", "partly run", "verified", "verified", "not run"],
            "coarse": ["", "", "a 20% error in the variance", "", ""],
        }
    )
    line = tables.summary_line(claims, tables.checks_frame([]))
    assert line.startswith(
        "theory: 3 claims (exact/statistical): 2 verified (1 of them coarsely: only an error of 10% or "
        "more is caught), 0 failed, 0 not run, 1 partly run; "
        "contracts: 2 claims (contract): 1 verified, 0 failed, 1 not run; 0 checks"
    )


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


def test_render_puts_the_conformance_matrix_first(tmp_path: Path) -> None:
    atomic.write_text(tmp_path / "claims.md", "# Claims verified by this run\n\nclaims table\n")
    atomic.write_text(tmp_path / "conformance.md", "# Conformance: claim x target\n\nmatrix\n")
    (tmp_path / "conformance.png").write_bytes(b"png")
    text = render.render(tmp_path).read_text()
    assert text.index("## Conformance") < text.index("## Claims") < text.index("## Benchmark")
    assert "![conformance](conformance.png)" in text


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
    assert "Made at scale **quick** (seed 0)" in readme  # the benchmark's own run, from run.json
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
