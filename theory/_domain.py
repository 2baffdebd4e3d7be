"""Domain checks for theory's formulas: a ``ValueError`` naming the argument and its domain."""

from __future__ import annotations

import math
import numbers
from typing import Any


def real(value: Any, name: str) -> float:
    """Return ``value`` as a finite float, or raise ``TypeError``/``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number}")
    return number


def positive(value: Any, name: str) -> float:
    """Return ``value`` if it is a finite real ``> 0``."""
    number = real(value, name)
    if number <= 0:
        raise ValueError(f"{name} must be > 0, got {number}")
    return number


def non_negative(value: Any, name: str) -> float:
    """Return ``value`` if it is a finite real ``>= 0``."""
    number = real(value, name)
    if number < 0:
        raise ValueError(f"{name} must be >= 0, got {number}")
    return number


def unit_interval(value: Any, name: str, *, closed_right: bool = False) -> float:
    """Return ``value`` if it lies in [0, 1) (or [0, 1] with ``closed_right``)."""
    number = real(value, name)
    if number < 0 or number > 1 or (number == 1 and not closed_right):
        interval = "[0, 1]" if closed_right else "[0, 1)"
        raise ValueError(f"{name} must be in {interval}, got {number}")
    return number


def positive_int(value: Any, name: str) -> int:
    """Return ``value`` if it is an int ``>= 1``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)
