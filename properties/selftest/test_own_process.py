"""A target's own process: the child's command line and the combined exit status."""

from __future__ import annotations

from pathlib import Path

import pytest

from properties.own_process import ChildRun, child_arguments, combined_status


def test_the_child_keeps_the_run_and_replaces_the_target_and_the_report_options() -> None:
    args = [
        "-n",
        "auto",
        "properties/claims",
        "--target",
        "all",
        "--report-dir=out",
        "-k",
        "adam",
        "--no-report",
        "--report-staging",
        "stage",
        "--target=impls",
    ]
    child = child_arguments(args, "keras-torch", Path("x.json"))
    assert child == [
        "-n",
        "auto",
        "properties/claims",
        "-k",
        "adam",
        "--target",
        "keras-torch",
        "--report-export",
        "x.json",
    ]


def _child(status: int) -> ChildRun:
    return ChildRun("keras-torch", ("pytest",), status, Path("x.json"))


@pytest.mark.parametrize(
    ("main", "children", "expected"),
    [
        (0, [0], 0),
        (0, [1], 1),
        (1, [0], 1),
        (0, [5], 0),  # the child's tests all deselected: not a failure of a run that ran tests
        (5, [0], 0),
        (5, [5], 5),
        (0, [2, 1], 2),  # the first failure's status
        (3, [1], 3),
    ],
)
def test_the_exit_status_is_the_first_failure(main: int, children: list[int], expected: int) -> None:
    assert combined_status(main, [_child(s) for s in children]) == expected
