"""Check records: plain dicts that decision rules emit and the report plugin collects.

A record holds only builtins (str, int, float, bool, None) so it can ride on a pytest report from
an xdist worker to the controller. Outside a collecting context (a plain script) records are
simply not kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

_active: list[list[dict[str, Any]]] = []

FIELDS = (
    "claim",
    "rule",
    "case",
    "n",
    "statistic",
    "threshold",
    "p_value",
    "effect",
    "false_fail",
    "false_pass",
    "verdict",
    "seed",
    "seconds",
)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.dtype | type):
        return np.dtype(value).name
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return repr(value)


def case_text(case: dict[str, Any]) -> str:
    """A case as compact, stable JSON (keys sorted), for messages and CSV cells."""
    return json.dumps(_plain(case), sort_keys=True, separators=(",", ":"))


def emit(record: dict[str, Any]) -> None:
    """Keep ``record`` in the innermost active collector, if any."""
    if _active:
        _active[-1].append({key: _plain(record.get(key)) for key in FIELDS})


@contextmanager
def collecting() -> Iterator[list[dict[str, Any]]]:
    """Collect every record emitted inside the ``with`` block into the yielded list."""
    bucket: list[dict[str, Any]] = []
    _active.append(bucket)
    try:
        yield bucket
    finally:
        _active.pop()
