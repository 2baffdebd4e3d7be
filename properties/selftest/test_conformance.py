"""The conformance matrix (reports.conformance): pivot, precedence, files and errors."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from reports import conformance


def _claims() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("a-claim", "impls", "verified", ""),
            ("a-claim", "torch", "failed", "case {'shape': [3, 2]}: torch.nn.init.x_(torch.empty(3, 2))"),
            ("b-claim", "impls", "verified", ""),
            ("b-claim", "jax", "known deviation", "glorot_normal is truncated (link)"),
            ("c-claim", "jax", "not applicable", ""),
        ],
        columns=["claim", "target", "status", "detail"],
    )


def test_matrix_pivots_and_fills_not_run() -> None:
    table = conformance.matrix(_claims())
    assert list(table.columns) == ["impls", "torch", "jax"]
    assert list(table.index) == ["a-claim", "b-claim", "c-claim"]
    assert table.loc["a-claim", "torch"] == "failed"
    assert table.loc["b-claim", "torch"] == "not run"
    assert table.loc["c-claim", "impls"] == "not run"
    assert table.loc["c-claim", "jax"] == "not applicable"


def test_explicit_rows_and_columns_are_kept_in_order() -> None:
    table = conformance.matrix(_claims(), targets=["jax", "keras-jax"], claim_ids=["z-claim", "b-claim"])
    assert list(table.columns) == ["jax", "keras-jax"]
    assert list(table.index) == ["z-claim", "b-claim"]
    assert table.loc["z-claim", "jax"] == "not run"
    assert (table["keras-jax"] == "not run").all()
    assert table.loc["b-claim", "jax"] == "known deviation"


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["verified", "failed"], "failed"),
        (["failed", "verified"], "failed"),
        (["verified", "known deviation"], "known deviation"),
        (["not applicable", "verified"], "verified"),
        (["not run", "not applicable"], "not applicable"),
    ],
)
def test_a_repeated_cell_keeps_the_most_severe_status(statuses: list[str], expected: str) -> None:
    claims = pd.DataFrame(
        {"claim": ["x"] * len(statuses), "target": ["t"] * len(statuses), "status": statuses}
    )
    assert conformance.matrix(claims).loc["x", "t"] == expected


def test_summary_counts_every_status_per_target() -> None:
    counts = conformance.summary(conformance.matrix(_claims()))
    assert list(counts.columns) == list(conformance.STATUSES)
    assert counts.loc["torch"].to_dict() == {
        "verified": 0,
        "failed": 1,
        "known deviation": 0,
        "not applicable": 0,
        "not run": 2,
    }
    assert counts.sum(axis=1).eq(3).all()


def test_csv_round_trips() -> None:
    table = conformance.matrix(_claims())
    back = pd.read_csv(io.StringIO(conformance.to_csv(table)), index_col="claim", keep_default_na=False)
    assert back.equals(table)


def test_markdown_lists_failures_and_deviations_with_their_detail() -> None:
    claims = _claims()
    text = conformance.to_markdown(conformance.matrix(claims), conformance.details(claims), "torch 2.13.0")
    assert "torch 2.13.0" in text
    assert "| a-claim | verified | failed | not run |" in re.sub(" +", " ", text)
    assert "- **a-claim** on `torch` (failed): case {'shape': [3, 2]}" in text
    assert "- **b-claim** on `jax` (known deviation): glorot_normal is truncated" in text
    assert "c-claim** on" not in text  # not applicable is no failure


def test_details_without_a_detail_column() -> None:
    claims = _claims().drop(columns="detail")
    notes = conformance.details(claims)
    assert list(notes["detail"]) == ["", ""]
    assert set(notes["status"]) == {"failed", "known deviation"}


def test_write_produces_the_three_files(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    table = conformance.write(folder, _claims(), versions="numpy 2")
    assert sorted(p.name for p in folder.iterdir()) == sorted(conformance.FILES)
    assert (folder / "conformance.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (folder / "conformance.csv").read_text() == conformance.to_csv(table)


def test_bad_input_is_named() -> None:
    with pytest.raises(TypeError, match="claims must be a pandas DataFrame"):
        conformance.matrix([("a", "b", "verified")])
    with pytest.raises(ValueError, match=r"missing \['target'\]"):
        conformance.matrix(pd.DataFrame({"claim": ["a"], "status": ["verified"]}))
    with pytest.raises(ValueError, match="status must be one of"):
        conformance.matrix(pd.DataFrame({"claim": ["a"], "target": ["t"], "status": ["passed"]}))


def test_a_failed_cell_names_the_framework_call_and_the_test() -> None:
    """A failing check that carries its framework call (``CheckRecord.call``) shows it in the cell,
    before the pytest line; one without (impls) shows the pytest line only."""
    from properties.records import CheckRecord, Verdict
    from reports import tables

    call = "torch.nn.init.kaiming_normal_(torch.empty(3, 2), generator=torch.Generator().manual_seed(7))"
    failing = {"claim": "he-normal-law", "rule": "dkw-cdf", "case": '{"shape":[3,2]}', "n": 27000, "seed": 5}
    failing |= {"statistic": 0.05, "threshold": 0.02, "verdict": Verdict.FAIL.value, "false_fail": 1e-9}
    records = [
        CheckRecord(**failing, target="torch", test="t.py::test_kaiming_law[torch]", call=call),
        CheckRecord(**failing, target="impls", test="t.py::test_kaiming_law[impls]"),
    ]
    claims = pd.DataFrame(
        {"id": ["he-normal-law"] * 2, "target": ["torch", "impls"], "status": ["failed"] * 2}
    )
    # checks.csv read back: an empty call is NaN
    checks = pd.read_csv(io.StringIO(tables.checks_frame(records).to_csv(index=False)))
    torch_cell, impls_cell = tables.cell_details(claims, checks)["detail"]
    assert f"the framework's call for the sample's first values: `{call}`" in torch_cell
    assert torch_cell.index(call) < torch_cell.index("pytest --target torch t.py -k test_kaiming_law")
    assert "framework's call" not in impls_cell and "pytest --target impls" in impls_cell


def test_a_failed_exact_cell_names_the_last_framework_calls() -> None:
    """An exact check's call field holds its failing example's logged calls, one per line: the cell
    lists each, oldest first, before the pytest line."""
    from properties.records import CALL_LINES, CheckRecord, Verdict
    from reports import tables

    calls = ["torch.tanh(torch.tensor([19.5], dtype=torch.float64))", "torch.sigmoid(torch.tensor([1.0]))"]
    record = CheckRecord(
        claim="tanh-derivative",
        target="torch",
        test="t.py::test_tanh[torch]",
        rule="exact",
        case='{"x":19.5}',
        n=1,
        statistic=1e-15,
        threshold=1e-16,
        verdict=Verdict.FAIL.value,
        call=CALL_LINES.join(calls),
    )
    claims = pd.DataFrame({"id": ["tanh-derivative"], "target": ["torch"], "status": ["failed"]})
    checks = pd.read_csv(io.StringIO(tables.checks_frame([record]).to_csv(index=False)))
    (cell,) = tables.cell_details(claims, checks)["detail"]
    listed = f"the framework's last calls in the failing example: `{calls[0]}`; `{calls[1]}`; reproduce:"
    assert listed in cell and "sample's first values" not in cell
