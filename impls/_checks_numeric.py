"""The dtype policy of activations, losses and optimizers, and their argument checks.

Floating inputs keep their dtype: float16, bfloat16 (``ml_dtypes``, optional), float32 and
float64. Arithmetic runs in float64 and the result is rounded once to the input's dtype, so a
float32 result is the correctly rounded exact value up to the float64 error (about 2^-29 of a
float32 ulp). Integer and bool inputs follow PyTorch where PyTorch accepts them (``sigmoid``,
``tanh``: promoted to float32, PyTorch's default dtype; ``relu``: kept; ``softsign``: integers
promoted, bool refused) and are a ``TypeError`` naming the argument elsewhere.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np

try:  # bfloat16 is optional: it exists only where ml_dtypes is installed
    import ml_dtypes

    BFLOAT16: np.dtype | None = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - ml_dtypes is installed with jax
    BFLOAT16 = None

FLOATING = tuple(
    d for d in (np.dtype(np.float16), BFLOAT16, np.dtype(np.float32), np.dtype(np.float64)) if d is not None
)
"""The floating dtypes every activation, loss and optimizer accepts and preserves."""

DEFAULT_PROMOTION = np.dtype(np.float32)
"""PyTorch's default dtype: what ``torch.sigmoid`` makes of an integer tensor."""

IntegerPolicy = Literal["refuse", "promote", "keep"]


def is_floating(dtype: np.dtype) -> bool:
    """Whether ``dtype`` is one of :data:`FLOATING`."""
    return dtype in FLOATING


def floating_input(
    x: Any, name: str, *, integers: IntegerPolicy = "refuse", bools: bool = False
) -> tuple[np.ndarray, np.dtype]:
    """Return ``(x as a float64 array, the dtype of the result)`` under the dtype policy.

    Args:
        x: the argument (array-like).
        name: its name, for error messages.
        integers: what integer input does: ``"refuse"`` (TypeError), ``"promote"`` (float32
            result) or ``"keep"`` (the integer dtype is the result's).
        bools: whether bool input is accepted (promoted like integers).

    Returns:
        ``(values, result_dtype)``: ``values`` is float64 unless the integer dtype is kept.
    """
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a real numeric array, got {type(x).__name__}") from error
    dtype = array.dtype
    if is_floating(dtype):
        return array.astype(np.float64, copy=False), dtype
    integral = dtype.kind in "iu" or (dtype.kind == "b" and bools)
    if integral and integers == "promote":
        return array.astype(np.float64), DEFAULT_PROMOTION
    if integral and integers == "keep" and dtype.kind != "b":
        return array, dtype
    accepted = "a floating array (float16, bfloat16, float32 or float64)"
    if integral or dtype.kind == "b":
        raise TypeError(f"{name} must be {accepted}; PyTorch refuses dtype {dtype} here too")
    raise TypeError(f"{name} must be a real numeric array, {accepted}, got dtype {dtype}")


def round_to(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Round float64 ``values`` once to ``dtype`` (overflow to +-inf is the correct rounding)."""
    with np.errstate(over="ignore", under="ignore"):
        return np.asarray(values).astype(dtype, copy=False)


def as_real(value: Any, name: str, *, finite: bool = True) -> float:
    """Return ``value`` (a real number or a 0-d real array) as a Python float.

    Booleans, strings and other types are a ``TypeError`` naming ``name``.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value[()]
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}: {value!r}")
    result = float(value)
    if finite and not math.isfinite(result):
        raise ValueError(f"{name} must be finite, got {result}")
    return result


def as_non_negative(value: Any, name: str, what: str) -> float:
    """Return ``value`` as a float ``>= 0``; the error names ``name`` and PyTorch's wording."""
    number = as_real(value, name, finite=False)
    if not number >= 0.0 or math.isnan(number):
        raise ValueError(f"Invalid {what}: {value} ({name} must be >= 0)")
    return number


def as_int(value: Any, name: str) -> int:
    """Return ``value`` (a Python or NumPy integer, not a bool) as an int."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    return int(value)


def as_bool(value: Any, name: str) -> bool:
    """Return ``value`` if it is a bool (Python or NumPy); anything else is a ``TypeError``."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}: {value!r}")
    return bool(value)


def as_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise a ``ValueError`` listing them."""
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
    return value


def as_axis(axis: Any, ndim: int, name: str = "axis") -> int:
    """Return ``axis`` normalised to ``[0, ndim)``; out of range is a ``ValueError``."""
    index = as_int(axis, name)
    if not -ndim <= index < ndim:
        raise ValueError(f"{name} {index} is out of range for an array of {ndim} dimensions")
    return index % ndim
