"""Argument normalisation shared by every public function of :mod:`impls`.

Each helper either returns a normalised value or raises a ``TypeError``/``ValueError`` whose
message names the argument and what it accepts, so that bad input never surfaces as an
unrelated exception from deep inside NumPy.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from impls._types import RngLike

try:  # bfloat16 is optional: NumPy has no bfloat16 of its own.
    import ml_dtypes
except ImportError:  # pragma: no cover - ml_dtypes ships with jax and keras
    BFLOAT16: np.dtype | None = None
else:
    BFLOAT16 = np.dtype(ml_dtypes.bfloat16)

FLOAT_DTYPES: tuple[np.dtype, ...] = (
    np.dtype(np.float16),
    *((BFLOAT16,) if BFLOAT16 is not None else ()),
    np.dtype(np.float32),
    np.dtype(np.float64),
)
"""The dtype policy's floating dtypes (see :mod:`impls`, "Dtypes"), narrowest first."""

_FLOAT_NAMES = ", ".join(d.name for d in FLOAT_DTYPES)

_NATIVE_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
"""The dtypes :func:`as_float_array` keeps (activations, losses and optimizers)."""


def as_rng(rng: RngLike, name: str = "rng") -> np.random.Generator:
    """Normalise ``rng`` with :func:`numpy.random.default_rng` (Scientific Python SPEC 7)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        if rng is not None and int(rng) < 0:
            raise ValueError(f"{name} must be a non-negative int seed, got {rng}")
        return np.random.default_rng(None if rng is None else int(rng))
    if isinstance(rng, np.random.SeedSequence | np.random.BitGenerator):
        return np.random.default_rng(rng)
    raise TypeError(f"{name} must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")


def as_float_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """Return ``dtype`` as one of :data:`FLOAT_DTYPES`; anything else is a ``TypeError``."""
    try:
        resolved = np.dtype(dtype)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be one of {_FLOAT_NAMES}, got {dtype!r}") from error
    if resolved not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be one of {_FLOAT_NAMES}, got {resolved}")
    return resolved


def working_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype an initializer draws in: float32 for float16/bfloat16, else ``dtype`` itself."""
    return dtype if dtype in _NATIVE_DTYPES else np.dtype(np.float32)


def largest(dtype: np.dtype) -> float:
    """The largest finite value of a floating dtype of the policy, as a Python float."""
    return float(np.finfo(dtype).max) if dtype != BFLOAT16 else float(ml_dtypes.finfo(dtype).max)


def as_count(value: Any, name: str, *, minimum: int = 0) -> int:
    """Return ``value`` as a Python int ``>= minimum``; Python and NumPy ints only, not bools."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}")
    return int(value)


MAX_ELEMENTS = np.iinfo(np.intp).max // 8
"""The most elements an array of a policy dtype can have (its byte size must fit in intp)."""


def as_shape(shape: Any, name: str = "shape", *, allocated: bool = True) -> tuple[int, ...]:
    """Return ``shape`` as a tuple of non-negative ints (Python or NumPy ints, not bools).

    ``allocated``: the shape is that of an array to create, so its size must be addressable.
    """
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, Sequence | np.ndarray) or isinstance(shape, str | bytes):
        raise TypeError(f"{name} must be a tuple of ints, got {type(shape).__name__}")
    dims = tuple(shape)
    for dim in dims:
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"{name} must contain only ints, got {dim!r} in {dims}")
        if dim < 0:
            raise ValueError(f"{name} must contain non-negative sizes, got {dims}")
    dims = tuple(int(d) for d in dims)
    if allocated and math.prod(dims) > MAX_ELEMENTS:
        raise ValueError(f"{name} {dims} has more elements than an array can hold")
    return dims


def as_real(value: Any, name: str, *, finite: bool = True) -> float:
    """Return ``value`` as a Python float; booleans and non-numbers are a ``TypeError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}: {value!r}")
    try:
        result = float(value)
    except OverflowError as error:  # an int beyond float64
        kind = type(value).__name__
        raise ValueError(f"{name} must be within the float64 range, got a larger {kind}") from error
    if finite and not math.isfinite(result):
        raise ValueError(f"{name} must be finite, got {result}")
    return result


def as_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise a ``ValueError`` listing them."""
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
    return value


def as_float_array(x: Any, name: str) -> np.ndarray:
    """Return ``x`` as a floating ndarray (float64 unless already float32/float64)."""
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {array.dtype}")
    if array.dtype not in _NATIVE_DTYPES:
        array = array.astype(np.float64)
    return array
