"""Reference weight initializers with ``torch.nn.init`` semantics, in NumPy.

Every initializer returns a new array and is an :class:`impls.Initializer`: the shape first,
then keyword-only ``rng`` (a ``numpy.random.Generator``, a seed or ``None``; accepted and ignored
by the deterministic ones) and ``dtype`` (float64 by default; float16, bfloat16 and float32 are
preserved, see :mod:`impls`, "Dtypes"). One general :func:`variance_scaling` does the work;
Xavier, Kaiming and LeCun are thin wrappers that state their ``(scale, mode, distribution)``
triple. The truncated-normal sampler lives in :mod:`impls.truncated`.

A law whose values cannot be stored in ``dtype`` (a bound or spread beyond its range) is a
``ValueError`` naming the argument responsible, never an array of ``inf`` or NaN.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from impls import truncated
from impls._types import DTypeLike, RngLike
from impls._validation import (
    as_choice,
    as_count,
    as_float_dtype,
    as_real,
    as_rng,
    as_shape,
    largest,
    working_dtype,
)
from impls.fans import compute_fans, gain_for

__all__ = [
    "TRUNCATED_STD_2SIGMA",
    "constant",
    "dirac",
    "eye",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "orthogonal",
    "pytorch_linear_default",
    "sparse",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")

NORMAL_REACH = 40.0
"""No normal draw lies further than this many std from its mean (P(|Z| > 40) < 1e-349): a
normal law whose ``|mean| + 40 std`` fits in the dtype needs no overflow check."""

TRUNCATED_STD_2SIGMA = truncated.standard_truncated_std(2.0)
"""Std of N(0, 1) truncated to (-2, 2): 0.87962566103423978 (Keras and JAX hard-code it)."""


# --------------------------------------------------------------------------------------------
# Deterministic initializers
# --------------------------------------------------------------------------------------------


def zeros(shape: Sequence[int] | int, *, rng: RngLike = None, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Return an array of zeros (``torch.nn.init.zeros_``).

    Args:
        shape: the array's shape.
        rng: accepted for the :class:`impls.Initializer` protocol and ignored.
        dtype: a floating dtype of the policy.

    Returns:
        A new array filled with 0.
    """
    dims, dtype = as_shape(shape), as_float_dtype(dtype)
    _check_unused_rng(rng)
    return np.zeros(dims, dtype=dtype)


def ones(shape: Sequence[int] | int, *, rng: RngLike = None, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Return an array of ones (``torch.nn.init.ones_``).

    Args:
        shape: the array's shape.
        rng: accepted for the :class:`impls.Initializer` protocol and ignored.
        dtype: a floating dtype of the policy.

    Returns:
        A new array filled with 1.
    """
    dims, dtype = as_shape(shape), as_float_dtype(dtype)
    _check_unused_rng(rng)
    return np.ones(dims, dtype=dtype)


def constant(
    shape: Sequence[int] | int, value: float, *, rng: RngLike = None, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Return an array filled with ``value`` (``torch.nn.init.constant_``).

    Args:
        shape: the array's shape.
        value: the fill value, a real number (``inf`` and ``nan`` are filled as asked, as in
            PyTorch; a finite value beyond ``dtype``'s range is a ``ValueError``, where PyTorch
            says "value cannot be converted to type float without overflow").
        rng: accepted for the :class:`impls.Initializer` protocol and ignored.
        dtype: a floating dtype of the policy.

    Returns:
        A new array filled with ``value`` (rounded to ``dtype``).
    """
    dims, dtype = as_shape(shape), as_float_dtype(dtype)
    value = as_real(value, "value", finite=False)
    _check_unused_rng(rng)
    _check_representable(abs(value), dtype, "value")
    return np.full(dims, np.array(value).astype(dtype), dtype)


def eye(shape: Sequence[int] | int, *, rng: RngLike = None, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Return the (possibly rectangular) identity matrix (``torch.nn.init.eye_``).

    Formula: ``W[i, j] = 1 if i == j else 0``.

    Args:
        shape: a 2-D shape ``(rows, cols)``.
        rng: accepted for the :class:`impls.Initializer` protocol and ignored.
        dtype: a floating dtype of the policy.

    Returns:
        A new 2-D array.

    Raises:
        ValueError: the shape is not 2-D ("Only tensors with 2 dimensions are supported").
    """
    dims, dtype = as_shape(shape), as_float_dtype(dtype)
    _check_unused_rng(rng)
    if len(dims) != 2:
        raise ValueError("shape: Only tensors with 2 dimensions are supported")
    return np.eye(dims[0], dims[1], dtype=dtype)


def dirac(
    shape: Sequence[int] | int, groups: int = 1, *, rng: RngLike = None, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Return the Dirac delta convolution kernel (``torch.nn.init.dirac_``).

    Formula: for every group ``g`` and ``d < min(out / groups, in)``,
    ``W[g * out/groups + d, d, k1 // 2, ...] = 1``, zero elsewhere; a convolution with it copies
    its input channels (PyTorch's centre index ``k // 2``; JAX's ``delta_orthogonal`` uses
    ``(k - 1) // 2``, so the two agree only for odd kernels).

    Args:
        shape: ``(out, in, *kernel)`` with 1 to 3 kernel dims (3 to 5 dims in all).
        groups: the number of convolution groups, a Python or NumPy int ``>= 1`` that divides
            ``out``.
        rng: accepted for the :class:`impls.Initializer` protocol and ignored.
        dtype: a floating dtype of the policy.

    Returns:
        A new array; a zero-element shape returns an empty array.

    Raises:
        ValueError: wrong number of dims, ``groups < 1``, or ``out`` not divisible by ``groups``.
        TypeError: ``groups`` is not an int.
    """
    dims, dtype = as_shape(shape), as_float_dtype(dtype)
    groups = as_count(groups, "groups", minimum=1)
    _check_unused_rng(rng)
    if len(dims) not in (3, 4, 5):
        raise ValueError("shape: Only tensors with 3, 4, or 5 dimensions are supported")
    if dims[0] % groups != 0:
        raise ValueError("groups: dim 0 must be divisible by groups")
    out = np.zeros(dims, dtype=dtype)
    if out.size == 0:  # nothing to set (PyTorch raises IndexError for an empty kernel dim)
        return out
    out_per_group = dims[0] // groups
    diagonal = np.arange(min(out_per_group, dims[1]))
    centre = tuple(k // 2 for k in dims[2:])
    for group in range(groups):
        index: tuple[Any, ...] = (group * out_per_group + diagonal, diagonal, *centre)
        out[index] = 1.0
    return out


# --------------------------------------------------------------------------------------------
# Plain distributions
# --------------------------------------------------------------------------------------------


def _check_unused_rng(rng: RngLike) -> None:
    """Refuse an ``rng`` of the wrong type even where no randomness is used."""
    if rng is not None:
        as_rng(rng)


def _check_representable(magnitude: float, dtype: np.dtype, names: str) -> None:
    """A ``ValueError`` naming ``names`` if a finite ``magnitude`` overflows ``dtype``."""
    top = largest(dtype)
    if math.isfinite(magnitude) and magnitude > top:
        raise ValueError(f"{names}: {magnitude:.6g} cannot be represented in {dtype} (largest {top:.6g})")


def _draw_uniform(
    dims: tuple[int, ...],
    low: float,
    high: float,
    generator: np.random.Generator,
    dtype: np.dtype,
    names: str,
) -> np.ndarray:
    """U[low, high) rounded once to ``dtype``; the bounds must be finite in ``dtype``."""
    _check_representable(max(abs(low), abs(high)), dtype, names)
    work = working_dtype(dtype)
    width = high - low
    if math.isfinite(width) and width <= largest(work):
        if work == np.float64:
            return generator.uniform(low, high, dims)
        out = generator.random(dims, dtype=work)
        out *= work.type(width)
        out += work.type(low)
        return out.astype(dtype, copy=False)
    # The width overflows: draw around the midpoint, in float64, where every step is finite.
    middle, half = 0.5 * low + 0.5 * high, 0.5 * high - 0.5 * low
    out64 = generator.uniform(-1.0, 1.0, dims)
    out64 *= half
    out64 += middle
    return out64.astype(dtype, copy=False)


def _draw_normal(
    dims: tuple[int, ...],
    mean: float,
    std: float,
    generator: np.random.Generator,
    dtype: np.dtype,
    names: str,
) -> np.ndarray:
    """N(mean, std^2) rounded once to ``dtype``; a ``ValueError`` naming ``names`` on overflow."""
    std += 0.0  # -0.0 is 0 (NumPy's Generator.normal refuses a negative zero scale)
    _check_representable(abs(mean), dtype, names)
    work = working_dtype(dtype)
    reach = abs(mean) + NORMAL_REACH * std
    if reach > largest(work):
        work = np.dtype(np.float64)
    if work == np.float64:
        out = generator.normal(mean, std, dims)
    else:
        out = generator.standard_normal(dims, dtype=work)
        if std != 1.0:
            out *= work.type(std)
        if mean != 0.0:
            out += work.type(mean)
    if reach > largest(dtype):
        with np.errstate(over="ignore"):
            out = out.astype(dtype, copy=False)
        if not np.all(np.isfinite(out)):
            raise ValueError(
                f"{names}: N({mean:.6g}, {std:.6g}^2) drew values beyond {dtype}'s range "
                f"(largest {largest(dtype):.6g})"
            )
        return out
    return out.astype(dtype, copy=False)


def uniform(
    shape: Sequence[int] | int,
    low: float = 0.0,
    high: float = 1.0,
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Draw from the uniform distribution U[low, high) (``torch.nn.init.uniform_``).

    Formula: ``low + (high - low) * u`` with ``u ~ U[0, 1)``; Var = (high - low)^2 / 12. Where
    ``high - low`` overflows, ``(low + high) / 2 + (high - low) / 2 * v`` with ``v ~ U[-1, 1)``.

    Args:
        shape: the array's shape.
        low: lower bound, finite and within ``dtype``'s range.
        high: upper bound, ``>= low``, finite and within ``dtype``'s range.
        rng: Generator, seed or None.
        dtype: a floating dtype of the policy (drawn natively in float32/float64, in float32
            for float16/bfloat16, then rounded once).

    Returns:
        A new array.

    Raises:
        ValueError: ``high < low``, or a bound beyond ``dtype``'s range (PyTorch: "from is out of
            bounds"; the values could not be stored).
    """
    dims, dtype, generator = as_shape(shape), as_float_dtype(dtype), as_rng(rng)
    low, high = as_real(low, "low"), as_real(high, "high")
    if high < low:
        raise ValueError(f"high must be >= low, got low={low}, high={high}")
    return _draw_uniform(dims, low, high, generator, dtype, "low and high")


def normal(
    shape: Sequence[int] | int,
    mean: float = 0.0,
    std: float = 1.0,
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Draw from N(mean, std^2) (``torch.nn.init.normal_``).

    Args:
        shape: the array's shape.
        mean: the mean, finite and within ``dtype``'s range.
        std: the standard deviation, ``>= 0`` and finite.
        rng: Generator, seed or None.
        dtype: a floating dtype of the policy (drawn natively in float32/float64, in float32
            for float16/bfloat16, then rounded once).

    Returns:
        A new array.

    Raises:
        ValueError: ``std < 0``, or a draw beyond ``dtype``'s range (possible only when
            ``|mean| + 40 std`` exceeds it; PyTorch returns ``inf`` there).
    """
    dims, dtype, generator = as_shape(shape), as_float_dtype(dtype), as_rng(rng)
    mean, std = as_real(mean, "mean"), as_real(std, "std")
    if std < 0:
        raise ValueError(f"std must be >= 0, got {std}")
    return _draw_normal(dims, mean, std, generator, dtype, "mean and std")


def truncated_normal(
    shape: Sequence[int] | int,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Draw from N(mean, std^2) truncated to the open interval (a, b) (``trunc_normal_``).

    ``a`` and ``b`` are absolute bounds, not multiples of ``std`` (PyTorch's convention; Keras and
    JAX cut at +-2 std). Out-of-range draws are *resampled*, never clamped, so every value lies
    strictly inside ``(a, b)`` after rounding to ``dtype``: the law returned is the requested one
    conditioned on that event (as in PyTorch, 2026, PR #174997). The samplers
    (:mod:`impls.truncated`) take a bounded time for every finite input, far tails and tiny
    intervals included.

    Args:
        shape: the array's shape.
        mean: mean of the untruncated normal.
        std: std of the untruncated normal, ``> 0``.
        a: lower bound (absolute).
        b: upper bound (absolute), ``> a``.
        rng: Generator, seed or None.
        dtype: a floating dtype of the policy.

    Returns:
        A new array; its variance is *not* ``std^2`` (see ``theory.truncated_normal_moments``).

    Raises:
        ValueError: no ``dtype`` value strictly between ``a`` and ``b``, or the law cannot be
            represented in ``dtype`` (all but a fraction 2^-53 of its mass within half an ulp of
            a bound or beyond the dtype's range, e.g. ``std=1e-9, a=1, b=2``).

    Warns:
        UserWarning: ``mean`` is more than 2 std from ``[a, b]`` (PyTorch's warning).

    References:
        PyTorch ``torch/nn/init.py::trunc_normal_``.
    """
    dims, dtype, generator = as_shape(shape), as_float_dtype(dtype), as_rng(rng)
    mean, std = as_real(mean, "mean"), as_real(std, "std")
    a, b = as_real(a, "a"), as_real(b, "b")
    if std <= 0:
        raise ValueError(f"std must be > 0, got {std}")
    if not a < b:
        raise ValueError(f"a must be < b, got a={a}, b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in truncated_normal. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )
    return truncated.sample(math.prod(dims), mean, std, a, b, generator, dtype).reshape(dims)


# --------------------------------------------------------------------------------------------
# Variance scaling and its named specialisations
# --------------------------------------------------------------------------------------------


def _mode_fan(fan_in: int, fan_out: int, mode: str) -> float:
    if mode == "fan_in":
        return float(fan_in)
    if mode == "fan_out":
        return float(fan_out)
    if mode == "fan_avg":
        return (fan_in + fan_out) / 2.0
    return math.sqrt(fan_in * fan_out)


def _draw_scheme(
    dims: tuple[int, ...],
    std: float,
    distribution: str,
    generator: np.random.Generator,
    dtype: np.dtype,
    name: str,
) -> np.ndarray:
    """Zero-mean weights of standard deviation ``std``; errors name the argument ``name``."""
    if distribution == "uniform":
        bound = math.sqrt(3.0) * std
        return _draw_uniform(dims, -bound, bound, generator, dtype, name)
    if distribution == "normal":
        return _draw_normal(dims, 0.0, std, generator, dtype, name)
    # N(0, s^2) cut at +-2s with s = std / 0.8796 has standard deviation std.
    sigma = std / TRUNCATED_STD_2SIGMA
    _check_representable(2.0 * sigma, dtype, name)
    try:
        values = truncated.sample(math.prod(dims), 0.0, sigma, -2.0 * sigma, 2.0 * sigma, generator, dtype)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from error
    return values.reshape(dims)


def variance_scaling(
    shape: Sequence[int] | int,
    scale: float = 1.0,
    mode: str = "fan_in",
    distribution: str = "truncated_normal",
    layout: str = "torch",
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Draw weights whose variance is ``scale / fan`` (the general scheme behind all others).

    Formula: ``Var(W) = scale / n`` with ``n`` = fan_in, fan_out, (fan_in + fan_out) / 2 or
    sqrt(fan_in * fan_out) by ``mode``. ``"uniform"`` draws U(-l, l) with ``l = sqrt(3 scale / n)``;
    ``"normal"`` draws N(0, scale / n); ``"truncated_normal"`` draws N(0, s^2) cut at +-2 s with
    ``s = sqrt(scale / n) / 0.87962566103423978``, so the *final* variance is ``scale / n``.

    Args:
        shape: the weight's shape (at least 2-D).
        scale: the variance scale, finite and ``> 0`` (Keras's rule).
        mode: ``"fan_in"``, ``"fan_out"``, ``"fan_avg"`` or ``"fan_geo_avg"``.
        distribution: ``"truncated_normal"``, ``"normal"`` (untruncated; Keras calls this
            ``"untruncated_normal"`` and aliases ``"normal"`` to truncated) or ``"uniform"``.
        layout: ``"torch"`` ``(out, in, *k)`` or ``"keras"`` ``(*k, in, out)``.
        rng: Generator, seed or None.
        dtype: a floating dtype of the policy.

    Returns:
        A new array. A zero-element shape returns an empty array (a no-op, as in PyTorch).

    Raises:
        ValueError: a bad ``scale``, ``mode``, ``distribution`` or ``layout``, or weights that
            cannot be stored in ``dtype`` (named as ``scale``).

    References:
        JAX ``jax/_src/nn/initializers.py::variance_scaling``; Keras ``VarianceScaling``.
    """
    dims, dtype, generator = as_shape(shape), as_float_dtype(dtype), as_rng(rng)
    scale = as_real(scale, "scale")
    if scale <= 0:
        raise ValueError(f"scale must be a positive float, got {scale}")
    mode = as_choice(mode, "mode", MODES)
    distribution = as_choice(distribution, "distribution", DISTRIBUTIONS)
    fan_in, fan_out = compute_fans(dims, layout)
    if 0 in dims:
        return np.zeros(dims, dtype=dtype)
    std = math.sqrt(scale) / math.sqrt(_mode_fan(fan_in, fan_out, mode))
    return _draw_scheme(dims, std, distribution, generator, dtype, "scale")


def _xavier(
    shape: Sequence[int] | int,
    gain: float,
    layout: str,
    distribution: str,
    rng: RngLike,
    dtype: DTypeLike,
) -> np.ndarray:
    """Xavier's std ``gain * sqrt(2 / (fan_in + fan_out))``, taken without squaring the gain."""
    dims, dtype, generator = as_shape(shape), as_float_dtype(dtype), as_rng(rng)
    gain = as_real(gain, "gain")
    if gain < 0:
        raise ValueError(f"gain must be >= 0, got {gain} (PyTorch refuses a negative std or bound)")
    fan_in, fan_out = compute_fans(dims, layout)
    if 0 in dims or gain == 0:
        return np.zeros(dims, dtype=dtype)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _draw_scheme(dims, std, distribution, generator, dtype, "gain")


def xavier_uniform(
    shape: Sequence[int] | int,
    gain: float = 1.0,
    layout: str = "torch",
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Glorot/Xavier uniform: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Formula: ``Var(W) = 2 gain^2 / (fan_in + fan_out)`` (``variance_scaling(scale=gain^2,
    mode="fan_avg", distribution="uniform")``, with the bound taken from ``gain`` directly so
    that a large gain does not overflow).

    Args:
        shape: the weight's shape (at least 2-D).
        gain: multiplier of the standard deviation (``calculate_gain``), finite and ``>= 0``;
            ``gain = 0`` gives zeros (PyTorch); a negative gain is a ``ValueError`` (PyTorch
            refuses it too: ``uniform_`` gets ``from > to``).
        layout: ``"torch"`` or ``"keras"``.
        rng: Generator, seed or None.
        dtype: a floating dtype of the policy.

    Returns:
        A new array.

    References:
        Glorot & Bengio (2010), Sec. 4.2.1, eq. (16); ``torch.nn.init.xavier_uniform_``.
    """
    return _xavier(shape, gain, layout, "uniform", rng, dtype)


def xavier_normal(
    shape: Sequence[int] | int,
    gain: float = 1.0,
    layout: str = "torch",
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Glorot/Xavier normal: N(0, 2 gain^2 / (fan_in + fan_out)), untruncated as in PyTorch.

    Formula: ``std = gain * sqrt(2 / (fan_in + fan_out))`` (``variance_scaling(scale=gain^2,
    mode="fan_avg", distribution="normal")``). (Keras/JAX ``glorot_normal`` truncate at 2 sigma
    with the std correction instead.)

    Args:
        shape: the weight's shape (at least 2-D).
        gain: multiplier of the standard deviation, finite and ``>= 0`` (``0`` gives zeros; a
            negative gain is a ``ValueError``, as PyTorch's ``normal_`` refuses a negative std).
        layout: ``"torch"`` or ``"keras"``.
        rng: Generator, seed or None.
        dtype: a floating dtype of the policy.

    Returns:
        A new array.

    References:
        Glorot & Bengio (2010), Sec. 4.2.1, eq. (12); ``torch.nn.init.xavier_normal_``.
    """
    return _xavier(shape, gain, layout, "normal", rng, dtype)


def _kaiming(
    shape: Sequence[int] | int,
    a: float,
    mode: str,
    nonlinearity: str,
    layout: str,
    distribution: str,
    rng: RngLike,
    dtype: DTypeLike,
) -> np.ndarray:
    """He's std ``gain / sqrt(fan_mode)`` with ``gain = calculate_gain(nonlinearity, a)``."""
    dims, dtype, generator = as_shape(shape), as_float_dtype(dtype), as_rng(rng)
    if not isinstance(mode, str) or mode.lower() not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    gain = gain_for(nonlinearity, a, "a")
    if 0 in dims and len(dims) >= 2:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
    fan_in, fan_out = compute_fans(dims, layout)
    if 0 in dims:
        return np.zeros(dims, dtype=dtype)
    std = gain / math.sqrt(fan_in if mode.lower() == "fan_in" else fan_out)
    return _draw_scheme(dims, std, distribution, generator, dtype, "a")


def kaiming_uniform(
    shape: Sequence[int] | int,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    layout: str = "torch",
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """He/Kaiming uniform: U(-b, b) with ``b = gain * sqrt(3 / fan_mode)``.

    Formula: ``gain = calculate_gain(nonlinearity, a)``; ``Var(W) = gain^2 / fan_mode``; with the
    defaults (``a = 0``, leaky_relu) ``gain = sqrt(2)`` and ``Var(W) = 2 / fan_in``.

    Args:
        shape: the weight's shape (at least 2-D).
        a: negative slope of the rectifier (used, and checked to be a finite real, only by
            ``leaky_relu``, as in PyTorch).
        mode: ``"fan_in"`` (preserves forward variance) or ``"fan_out"`` (backward).
        nonlinearity: a name accepted by ``calculate_gain``.
        layout: ``"torch"`` or ``"keras"``.
        rng: Generator, seed or None.
        dtype: a floating dtype of the policy.

    Returns:
        A new array.

    Warns:
        UserWarning: "Initializing zero-element tensors is a no-op" for a zero-element shape.

    References:
        He et al. (2015), Sec. 2.2, eqs. (10), (14), (15); ``torch.nn.init.kaiming_uniform_``.
    """
    return _kaiming(shape, a, mode, nonlinearity, layout, "uniform", rng, dtype)


def kaiming_normal(
    shape: Sequence[int] | int,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    layout: str = "torch",
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """He/Kaiming normal: N(0, gain^2 / fan_mode), untruncated as in PyTorch.

    Formula: ``gain = calculate_gain(nonlinearity, a)``, ``std = gain / sqrt(fan_mode)``.

    Args:
        shape: the weight's shape (at least 2-D).
        a: negative slope of the rectifier (used, and checked to be a finite real, only by
            ``leaky_relu``, as in PyTorch).
        mode: ``"fan_in"`` or ``"fan_out"``.
        nonlinearity: a name accepted by ``calculate_gain``.
        layout: ``"torch"`` or ``"keras"``.
        rng: Generator, seed or None.
        dtype: a floating dtype of the policy.

    Returns:
        A new array.

    References:
        He et al. (2015), Sec. 2.2; ``torch.nn.init.kaiming_normal_``.
    """
    return _kaiming(shape, a, mode, nonlinearity, layout, "normal", rng, dtype)


def lecun_uniform(
    shape: Sequence[int] | int, layout: str = "torch", *, rng: RngLike = None, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """LeCun uniform: U(-sqrt(3 / fan_in), sqrt(3 / fan_in)), so ``Var(W) = 1 / fan_in``.

    Formula: ``variance_scaling(1.0, "fan_in", "uniform")`` (Keras/JAX ``lecun_uniform``).

    Args:
        shape: the weight's shape (at least 2-D).
        layout: ``"torch"`` or ``"keras"``.
        rng: Generator, seed or None.
        dtype: a floating dtype of the policy.

    Returns:
        A new array.

    References:
        LeCun et al., "Efficient BackProp" (1998); Klambauer et al. (2017), Sec. 3.
    """
    return variance_scaling(shape, 1.0, "fan_in", "uniform", layout, rng=rng, dtype=dtype)


def lecun_normal(
    shape: Sequence[int] | int, layout: str = "torch", *, rng: RngLike = None, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """LeCun normal: truncated normal (+-2 s, std-corrected) with ``Var(W) = 1 / fan_in``.

    Formula: ``variance_scaling(1.0, "fan_in", "truncated_normal")`` (Keras/JAX
    ``lecun_normal``), the initialization Self-Normalizing Networks require.

    Args:
        shape: the weight's shape (at least 2-D).
        layout: ``"torch"`` or ``"keras"``.
        rng: Generator, seed or None.
        dtype: a floating dtype of the policy.

    Returns:
        A new array.

    References:
        Klambauer et al. (2017), Sec. 3 ("weights ... Var = 1/n").
    """
    return variance_scaling(shape, 1.0, "fan_in", "truncated_normal", layout, rng=rng, dtype=dtype)


def pytorch_linear_default(
    shape: Sequence[int] | int, layout: str = "torch", *, rng: RngLike = None, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """What ``nn.Linear``/``nn.ConvNd`` do by default: ``kaiming_uniform(a=sqrt(5))``.

    Formula: gain = sqrt(2 / (1 + 5)) = sqrt(1/3), bound = sqrt(3) gain / sqrt(fan_in)
    = 1 / sqrt(fan_in), so W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) and Var(W) = 1 / (3 fan_in).

    Args:
        shape: the weight's shape (at least 2-D).
        layout: ``"torch"`` or ``"keras"``.
        rng: Generator, seed or None.
        dtype: a floating dtype of the policy.

    Returns:
        A new array.

    References:
        PyTorch ``torch/nn/modules/linear.py::Linear.reset_parameters`` (pytorch/pytorch#57109);
        the "standard" initialization of Glorot & Bengio (2010), eq. (1).
    """
    return kaiming_uniform(shape, math.sqrt(5.0), layout=layout, rng=rng, dtype=dtype)


# --------------------------------------------------------------------------------------------
# Structured random matrices
# --------------------------------------------------------------------------------------------


def orthogonal(
    shape: Sequence[int] | int, gain: float = 1.0, *, rng: RngLike = None, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Draw a Haar-distributed (semi-)orthogonal matrix, scaled by ``gain``.

    Formula: flatten to ``(rows, cols) = (shape[0], prod(shape[1:]))`` (PyTorch flattens the
    trailing dims; Keras the leading ones), draw Z with iid N(0, 1) entries (transposed if
    ``rows < cols``), factor ``Z = QR`` and return ``gain * Q diag(sign(diag R))``. The sign
    correction makes Q exactly Haar; LAPACK's bare Q is not (Mezzadri 2007).

    Args:
        shape: at least 2-D.
        gain: finite multiplier; ``W W^T = gain^2 I`` (rows <= cols) or ``W^T W = gain^2 I``. A
            negative gain is accepted, as in PyTorch: ``-Q`` is Haar-distributed too.
        rng: Generator, seed or None.
        dtype: a floating dtype of the policy (the QR runs in float32 for float16/bfloat16,
            else in ``dtype``).

    Returns:
        A new array; a zero-element shape returns an empty array.

    References:
        Saxe et al. (2013); Mezzadri (2007), "A correct and efficient algorithm";
        ``torch.nn.init.orthogonal_``.
    """
    dims, dtype, generator = as_shape(shape), as_float_dtype(dtype), as_rng(rng)
    gain = as_real(gain, "gain")
    if len(dims) < 2:
        raise ValueError("shape: Only tensors with 2 or more dimensions are supported")
    _check_representable(abs(gain), dtype, "gain")
    if 0 in dims:
        return np.zeros(dims, dtype=dtype)
    work = working_dtype(dtype)
    rows = dims[0]
    cols = math.prod(dims[1:])
    tall = (max(rows, cols), min(rows, cols))
    flattened = generator.standard_normal(tall, dtype=work)
    q, r = np.linalg.qr(flattened)
    q *= np.where(np.diagonal(r) < 0, -gain, gain).astype(work)
    if rows < cols:
        q = q.T
    return np.ascontiguousarray(q, dtype=dtype).reshape(dims)


def sparse(
    shape: Sequence[int] | int,
    sparsity: float,
    std: float = 0.01,
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Draw a sparse matrix: N(0, std^2) entries with ``ceil(sparsity * rows)`` zeros per column.

    Formula: each column gets exactly ``ceil(sparsity * rows)`` zeros at rows chosen uniformly
    without replacement; the rest are N(0, std^2).

    Args:
        shape: a 2-D shape ``(rows, cols)``.
        sparsity: fraction of each column set to zero, in ``[0, 1]``.
        std: the standard deviation of the non-zero values, ``>= 0``.
        rng: Generator, seed or None (it also chooses the zero positions; PyTorch's
            ``sparse_`` ignores its ``generator`` there).
        dtype: a floating dtype of the policy.

    Returns:
        A new array.

    References:
        Martens (2010), "Deep learning via Hessian-free optimization", Sec. 5;
        ``torch.nn.init.sparse_``.
    """
    dims, dtype, generator = as_shape(shape), as_float_dtype(dtype), as_rng(rng)
    sparsity, std = as_real(sparsity, "sparsity"), as_real(std, "std")
    if len(dims) != 2:
        raise ValueError("shape: Only tensors with 2 dimensions are supported")
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    if std < 0:
        raise ValueError(f"std must be >= 0, got {std}")
    rows, cols = dims
    out = _draw_normal(dims, 0.0, std, generator, dtype, "std")
    num_zeros = math.ceil(sparsity * rows)
    if num_zeros and cols:
        row_order = generator.permuted(np.broadcast_to(np.arange(rows)[:, None], dims), axis=0)
        out[row_order[:num_zeros], np.arange(cols)] = 0.0
    return out
