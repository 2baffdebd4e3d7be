"""A pytest plugin that records which functions of impls every test calls (``-p ...tracer``).

``python -m pytest -p properties.mutation.tracer --trace-impls=FILE ...`` writes
``{"impls/x.py:FIRST-LAST": [node ids]}``, one key per impls function (by the lines its code
spans) that a test called; calls outside any test (at import) are listed under ``"*"``. The
mutation runner uses it to run, for a mutated line inside a function, only the tests that call
that function: a test that never runs the function behaves exactly as before (the suite is
deterministic under the ``ci`` profile), so the verdict is the whole suite's. A line outside
every traced function (module level: constants, default arguments) needs the whole suite.

It traces calls only (``sys.settrace`` returning no local tracer), so the suite runs at nearly
full speed; a line tracer made the statistical tests ~30 times slower.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

_IMPLS = str(Path(__file__).resolve().parents[2] / "impls")
_ROOT = Path(_IMPLS).parent
_calls: defaultdict[str, set[str]] = defaultdict(set)
_current = ["*"]


def _span(code: Any) -> str:
    lines = [line for _, _, line in code.co_lines() if line is not None] or [code.co_firstlineno]
    name = Path(code.co_filename).relative_to(_ROOT).as_posix()
    return f"{name}:{min(code.co_firstlineno, *lines)}-{max(lines)}"


def _global(frame: FrameType, event: str, arg: Any) -> None:
    code = frame.f_code
    # Functions only: module and class bodies run at import and span lines of their functions.
    if event == "call" and code.co_flags & inspect.CO_OPTIMIZED and code.co_filename.startswith(_IMPLS):
        _calls[_span(code)].add(_current[0])


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--trace-impls", default=None, help="write the impls functions each test calls")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--trace-impls"):
        sys.settrace(_global)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    _current[0] = item.nodeid
    if item.config.getoption("--trace-impls"):
        sys.settrace(_global)  # something (a debugger, Hypothesis's explain phase) may have reset it
    try:
        return (yield)
    finally:
        _current[0] = "*"


def pytest_unconfigure(config: pytest.Config) -> None:
    target = config.getoption("--trace-impls")
    if target:
        sys.settrace(None)
        Path(target).write_text(json.dumps({k: sorted(v) for k, v in _calls.items()}, indent=0))
