"""The suite's command-line defaults (properties.options): xdist's distribution."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from properties.options import pytest_cmdline_main


def dist_after(**option: Any) -> Any:
    """``option.dist`` once the wrapper has run up to xdist's own hook."""
    config = SimpleNamespace(option=SimpleNamespace(**option))
    wrapper = pytest_cmdline_main(config)
    next(wrapper)
    return config.option.dist


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ({"numprocesses": "auto", "dist": "no", "distload": False}, "worksteal"),  # -n auto
        ({"numprocesses": 2, "dist": "no", "distload": False}, "worksteal"),  # -n 2
        ({"numprocesses": 2, "dist": "load", "distload": False}, "load"),  # -n 2 --dist load
        ({"numprocesses": 2, "dist": "no", "distload": True}, "no"),  # -d: xdist makes it load
        ({"numprocesses": 2, "dist": "loadfile", "distload": False}, "loadfile"),
        ({"numprocesses": 0, "dist": "no", "distload": False}, "no"),  # -n 0: no workers
        ({"numprocesses": None, "dist": "no", "distload": False}, "no"),  # no -n
    ],
)
def test_workers_steal_work_unless_a_distribution_is_chosen(option: dict[str, Any], expected: str) -> None:
    assert dist_after(**option) == expected


def test_a_run_without_xdist_is_left_alone() -> None:
    config = SimpleNamespace(option=SimpleNamespace())
    wrapper = pytest_cmdline_main(config)
    next(wrapper)
    assert vars(config.option) == {}
