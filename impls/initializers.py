"""Reference weight initializers with ``torch.nn.init`` semantics, in NumPy.

Every initializer returns a new array. Random ones take keyword-only ``rng`` (a
``numpy.random.Generator``, an int seed or ``None``) and ``dtype`` (float64 by default; float32
is preserved). One general :func:`variance_scaling` does the work; Xavier, Kaiming and LeCun are
thin wrappers that state their ``(scale, mode, distribution)`` triple.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy import special

from impls._validation import as_choice, as_float_dtype, as_real, as_rng, as_shape
from impls.fans import calculate_gain, compute_fans

__all__ = [
    "TRUNCATED_STD_2SIGMA",
    "calculate_gain",
    "compute_fans",
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


def _standard_truncated_std(bound: float) -> float:
    """Standard deviation of N(0, 1) truncated to (-bound, bound), from erf alone.

    Formula: Var = 1 - 2 b phi(b) / (2 Phi(b) - 1), with Phi(b) = (1 + erf(b / sqrt 2)) / 2.
    """
    mass = math.erf(bound / math.sqrt(2.0))
    density = math.exp(-0.5 * bound * bound) / math.sqrt(2.0 * math.pi)
    return math.sqrt(1.0 - 2.0 * bound * density / mass)


TRUNCATED_STD_2SIGMA = _standard_truncated_std(2.0)
"""Std of N(0, 1) truncated to (-2, 2): 0.87962566103423978 (Keras and JAX hard-code it)."""


# --------------------------------------------------------------------------------------------
# Deterministic initializers
# --------------------------------------------------------------------------------------------


def zeros(shape: Any, *, dtype: Any = np.float64) -> np.ndarray:
    """Return an array of zeros (``torch.nn.init.zeros_``).

    Args:
        shape: the array's shape.
        dtype: float32 or float64.

    Returns:
        A new array filled with 0.
    """
    return np.zeros(as_shape(shape), dtype=as_float_dtype(dtype))


def ones(shape: Any, *, dtype: Any = np.float64) -> np.ndarray:
    """Return an array of ones (``torch.nn.init.ones_``).

    Args:
        shape: the array's shape.
        dtype: float32 or float64.

    Returns:
        A new array filled with 1.
    """
    return np.ones(as_shape(shape), dtype=as_float_dtype(dtype))


def constant(shape: Any, value: float, *, dtype: Any = np.float64) -> np.ndarray:
    """Return an array filled with ``value`` (``torch.nn.init.constant_``).

    Args:
        shape: the array's shape.
        value: the fill value, a real number.
        dtype: float32 or float64.

    Returns:
        A new array filled with ``value`` (rounded to ``dtype``).
    """
    return np.full(as_shape(shape), as_real(value, "value", finite=False), as_float_dtype(dtype))


def eye(shape: Any, *, dtype: Any = np.float64) -> np.ndarray:
    """Return the (possibly rectangular) identity matrix (``torch.nn.init.eye_``).

    Formula: ``W[i, j] = 1 if i == j else 0``.

    Args:
        shape: a 2-D shape ``(rows, cols)``.
        dtype: float32 or float64.

    Returns:
        A new 2-D array.

    Raises:
        ValueError: the shape is not 2-D ("Only tensors with 2 dimensions are supported").
    """
    dims = as_shape(shape)
    if len(dims) != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return np.eye(dims[0], dims[1], dtype=as_float_dtype(dtype))


def dirac(shape: Any, groups: int = 1, *, dtype: Any = np.float64) -> np.ndarray:
    """Return the Dirac delta convolution kernel (``torch.nn.init.dirac_``).

    Formula: for every group ``g`` and ``d < min(out / groups, in)``,
    ``W[g * out/groups + d, d, k1 // 2, ...] = 1``, zero elsewhere; a convolution with it copies
    its input channels (PyTorch's centre index ``k // 2``; JAX's ``delta_orthogonal`` uses
    ``(k - 1) // 2``, so the two agree only for odd kernels).

    Args:
        shape: ``(out, in, *kernel)`` with 1 to 3 kernel dims (3 to 5 dims in all).
        groups: the number of convolution groups; must divide ``out``.
        dtype: float32 or float64.

    Returns:
        A new array.

    Raises:
        ValueError: wrong number of dims, or ``out`` not divisible by ``groups``.
    """
    dims = as_shape(shape)
    if len(dims) not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    if dims[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out = np.zeros(dims, dtype=as_float_dtype(dtype))
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


def uniform(
    shape: Any,
    low: float = 0.0,
    high: float = 1.0,
    *,
    rng: Any = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Draw from the uniform distribution U[low, high) (``torch.nn.init.uniform_``).

    Formula: ``low + (high - low) * u`` with ``u ~ U[0, 1)``; Var = (high - low)^2 / 12.

    Args:
        shape: the array's shape.
        low: lower bound.
        high: upper bound, ``>= low``.
        rng: Generator, int seed or None.
        dtype: float32 or float64 (drawn natively in that precision).

    Returns:
        A new array.
    """
    dims, dtype, generator = as_shape(shape), as_float_dtype(dtype), as_rng(rng)
    low, high = as_real(low, "low"), as_real(high, "high")
    if high < low:
        raise ValueError(f"high must be >= low, got low={low}, high={high}")
    if dtype == np.float64:
        return generator.uniform(low, high, dims)
    out = generator.random(dims, dtype=dtype)
    out *= dtype.type(high - low)
    out += dtype.type(low)
    return out


def normal(
    shape: Any,
    mean: float = 0.0,
    std: float = 1.0,
    *,
    rng: Any = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Draw from N(mean, std^2) (``torch.nn.init.normal_``).

    Args:
        shape: the array's shape.
        mean: the mean.
        std: the standard deviation, ``>= 0``.
        rng: Generator, int seed or None.
        dtype: float32 or float64 (drawn natively in that precision).

    Returns:
        A new array.
    """
    dims, dtype, generator = as_shape(shape), as_float_dtype(dtype), as_rng(rng)
    mean, std = as_real(mean, "mean"), as_real(std, "std")
    if std < 0:
        raise ValueError(f"std must be >= 0, got {std}")
    if dtype == np.float64:
        return generator.normal(mean, std, dims)
    out = generator.standard_normal(dims, dtype=dtype)
    if std != 1.0:
        out *= dtype.type(std)
    if mean != 0.0:
        out += dtype.type(mean)
    return out


_BLOCK = 1 << 15
"""Elements drawn and tested at a time by truncated_normal (256 KiB of float64: fits in L2)."""


def _strictly_inside(values: np.ndarray, low: Any, high: Any) -> np.ndarray:
    return (values > low) & (values < high)


def _outside(values: np.ndarray, low: Any, high: Any) -> np.ndarray:
    """Indices of values not strictly inside (low, high); one ``|x| >= high`` test if symmetric."""
    if low == -high:
        return np.flatnonzero(np.abs(values) >= high)
    return np.flatnonzero(~_strictly_inside(values, low, high))


def truncated_normal(
    shape: Any,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    *,
    rng: Any = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Draw from N(mean, std^2) truncated to the open interval (a, b) (``trunc_normal_``).

    ``a`` and ``b`` are absolute bounds, not multiples of ``std`` (PyTorch's convention; Keras and
    JAX cut at +-2 std). Out-of-range draws are *resampled*, never clamped, so every value lies
    strictly inside ``(a, b)`` after rounding to ``dtype``. As in PyTorch (2026, PR #174997), a
    normal proposal is used when the interval holds more than 30% of the mass; otherwise a
    uniform proposal (narrow intervals, as PyTorch) or Robert's exponential proposal (intervals
    far in a tail, where PyTorch's uniform proposal accepts almost nothing).

    Args:
        shape: the array's shape.
        mean: mean of the untruncated normal.
        std: std of the untruncated normal, ``> 0``.
        a: lower bound (absolute).
        b: upper bound (absolute), ``> a``.
        rng: Generator, int seed or None.
        dtype: float32 or float64.

    Returns:
        A new array; its variance is *not* ``std^2`` (see ``theory.truncated_normal_moments``).

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
    low, high = dtype.type(a), dtype.type(b)
    if not np.nextafter(low, high) < high:
        raise ValueError(f"a must be < b with a value of {dtype} strictly between, got a={a}, b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in truncated_normal. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )
    size = math.prod(dims)
    z_low, z_high = (a - mean) / std, (b - mean) / std
    mass = math.exp(_log_mass(z_low, z_high))
    if mass > 0.3:
        out = np.empty(size, dtype=dtype)
        rejected = []
        # Draw and test block by block, so each block is tested while it is still in cache.
        for start in range(0, size, _BLOCK):
            block = out[start : start + _BLOCK]
            generator.standard_normal(out=block, dtype=dtype)
            if std != 1.0:
                block *= dtype.type(std)
            if mean != 0.0:
                block += dtype.type(mean)
            bad = _outside(block, low, high)
            if bad.size:
                rejected.append(bad + start)
        pending = np.concatenate(rejected) if rejected else np.empty(0, dtype=np.intp)
        while pending.size:
            # Resample the few rejects, oversampled so that one or two rounds suffice.
            fresh = normal(math.ceil(1.1 * pending.size / mass) + 16, mean, std, rng=generator, dtype=dtype)
            fresh = fresh[_strictly_inside(fresh, low, high)][: pending.size]
            out[pending[: fresh.size]] = fresh
            pending = pending[fresh.size :]
        return out.reshape(dims)
    # Little mass: sample z on the side of the interval nearer the mean (flipped to z >= 0 when
    # the interval lies entirely below it), then map back to x = mean + sign * std * z.
    sign = -1.0 if z_high <= 0 else 1.0
    lo_z, hi_z = (-z_high, -z_low) if sign < 0 else (z_low, z_high)
    out = np.empty(size, dtype=dtype)
    filled = 0
    while filled < size:
        z = _sample_truncated_standard(generator, 2 * (size - filled) + 16, lo_z, hi_z)
        candidates = (mean + sign * std * z).astype(dtype)
        candidates = candidates[_strictly_inside(candidates, low, high)][: size - filled]
        out[filled : filled + candidates.size] = candidates
        filled += candidates.size
    return out.reshape(dims)


def _log_mass(z_low: float, z_high: float) -> float:
    """``log(Phi(z_high) - Phi(z_low))`` without underflow in the tails."""
    if z_low > 0:
        z_low, z_high = -z_high, -z_low
    if z_high <= 0:
        upper, lower = special.log_ndtr(z_high), special.log_ndtr(z_low)
        return float(upper + np.log1p(-np.exp(lower - upper)))
    return float(np.log(special.ndtr(z_high) - special.ndtr(z_low)))


def _sample_truncated_standard(
    generator: np.random.Generator, count: int, z_low: float, z_high: float
) -> np.ndarray:
    """Up to ``count`` draws of N(0, 1) truncated to (z_low, z_high), ``z_low`` or the mode >= 0.

    A uniform proposal accepted with probability ``exp(-(z^2 - m^2) / 2)`` (m the mode) when the
    interval is narrower than the exponential's scale; otherwise Robert's (1995) translated
    exponential proposal with rate ``(z_low + sqrt(z_low^2 + 4)) / 2``, accepted with
    probability ``exp(-(z - rate)^2 / 2)``. Both accept at least ~1/e of their proposals.

    References:
        Robert (1995), "Simulation of truncated normal variables", Statistics and Computing 5.
    """
    mode = min(max(0.0, z_low), z_high)
    rate = (z_low + math.sqrt(z_low * z_low + 4.0)) / 2.0 if z_low >= 0 else 1.0
    if z_low < 0 or z_high - z_low <= 1.0 / rate:
        z = generator.uniform(z_low, z_high, count)
        keep = np.log(generator.random(count)) <= -0.5 * (z * z - mode * mode)
        return z[keep & (z > z_low) & (z < z_high)]
    z = z_low + generator.exponential(1.0 / rate, count)
    keep = np.log(generator.random(count)) <= -0.5 * (z - rate) ** 2
    return z[keep & (z < z_high) & (z > z_low)]


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


def variance_scaling(
    shape: Any,
    scale: float = 1.0,
    mode: str = "fan_in",
    distribution: str = "truncated_normal",
    layout: str = "torch",
    *,
    rng: Any = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Draw weights whose variance is ``scale / fan`` (the general scheme behind all others).

    Formula: ``Var(W) = scale / n`` with ``n`` = fan_in, fan_out, (fan_in + fan_out) / 2 or
    sqrt(fan_in * fan_out) by ``mode``. ``"uniform"`` draws U(-l, l) with ``l = sqrt(3 scale / n)``;
    ``"normal"`` draws N(0, scale / n); ``"truncated_normal"`` draws N(0, s^2) cut at +-2 s with
    ``s = sqrt(scale / n) / 0.87962566103423978``, so the *final* variance is ``scale / n``.

    Args:
        shape: the weight's shape (at least 2-D).
        scale: the variance scale, ``> 0``.
        mode: ``"fan_in"``, ``"fan_out"``, ``"fan_avg"`` or ``"fan_geo_avg"``.
        distribution: ``"truncated_normal"``, ``"normal"`` (untruncated; Keras calls this
            ``"untruncated_normal"`` and aliases ``"normal"`` to truncated) or ``"uniform"``.
        layout: ``"torch"`` ``(out, in, *k)`` or ``"keras"`` ``(*k, in, out)``.
        rng: Generator, int seed or None.
        dtype: float32 or float64.

    Returns:
        A new array. A zero-element shape returns an empty array (a no-op, as in PyTorch).

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
    std = math.sqrt(scale / _mode_fan(fan_in, fan_out, mode))
    if distribution == "uniform":
        bound = math.sqrt(3.0) * std
        return uniform(dims, -bound, bound, rng=generator, dtype=dtype)
    if distribution == "normal":
        return normal(dims, 0.0, std, rng=generator, dtype=dtype)
    # N(0, s^2) cut at +-2s is s times N(0, 1) cut at +-2: drawn directly, the scaling happens
    # block by block instead of in a second pass over the whole array.
    sigma = std / TRUNCATED_STD_2SIGMA
    return truncated_normal(dims, 0.0, sigma, -2.0 * sigma, 2.0 * sigma, rng=generator, dtype=dtype)


def xavier_uniform(
    shape: Any,
    gain: float = 1.0,
    layout: str = "torch",
    *,
    rng: Any = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Glorot/Xavier uniform: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Formula: ``variance_scaling(scale=gain^2, mode="fan_avg", distribution="uniform")``, i.e.
    ``Var(W) = 2 gain^2 / (fan_in + fan_out)``.

    Args:
        shape: the weight's shape (at least 2-D).
        gain: multiplier of the standard deviation (``calculate_gain``).
        layout: ``"torch"`` or ``"keras"``.
        rng: Generator, int seed or None.
        dtype: float32 or float64.

    Returns:
        A new array.

    References:
        Glorot & Bengio (2010), Sec. 4.2.1, eq. (16); ``torch.nn.init.xavier_uniform_``.
    """
    gain = as_real(gain, "gain")
    return variance_scaling(shape, gain**2, "fan_avg", "uniform", layout, rng=rng, dtype=dtype)


def xavier_normal(
    shape: Any,
    gain: float = 1.0,
    layout: str = "torch",
    *,
    rng: Any = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Glorot/Xavier normal: N(0, 2 gain^2 / (fan_in + fan_out)), untruncated as in PyTorch.

    Formula: ``variance_scaling(scale=gain^2, mode="fan_avg", distribution="normal")``.
    (Keras/JAX ``glorot_normal`` truncate at 2 sigma with the std correction instead.)

    Args:
        shape: the weight's shape (at least 2-D).
        gain: multiplier of the standard deviation.
        layout: ``"torch"`` or ``"keras"``.
        rng: Generator, int seed or None.
        dtype: float32 or float64.

    Returns:
        A new array.

    References:
        Glorot & Bengio (2010), Sec. 4.2.1, eq. (12); ``torch.nn.init.xavier_normal_``.
    """
    gain = as_real(gain, "gain")
    return variance_scaling(shape, gain**2, "fan_avg", "normal", layout, rng=rng, dtype=dtype)


def _kaiming_scale(shape: Any, a: Any, mode: Any, nonlinearity: str) -> tuple[Any, float, str]:
    if not isinstance(mode, str) or mode.lower() not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    gain = calculate_gain(nonlinearity, a)
    dims = as_shape(shape)
    if 0 in dims and len(dims) >= 2:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
    return dims, gain**2, mode.lower()


def kaiming_uniform(
    shape: Any,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    layout: str = "torch",
    *,
    rng: Any = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """He/Kaiming uniform: U(-b, b) with ``b = gain * sqrt(3 / fan_mode)``.

    Formula: ``gain = calculate_gain(nonlinearity, a)``; ``Var(W) = gain^2 / fan_mode``; with the
    defaults (``a = 0``, leaky_relu) ``gain = sqrt(2)`` and ``Var(W) = 2 / fan_in``.

    Args:
        shape: the weight's shape (at least 2-D).
        a: negative slope of the rectifier (used only by ``leaky_relu``).
        mode: ``"fan_in"`` (preserves forward variance) or ``"fan_out"`` (backward).
        nonlinearity: a name accepted by ``calculate_gain``.
        layout: ``"torch"`` or ``"keras"``.
        rng: Generator, int seed or None.
        dtype: float32 or float64.

    Returns:
        A new array.

    Warns:
        UserWarning: "Initializing zero-element tensors is a no-op" for a zero-element shape.

    References:
        He et al. (2015), Sec. 2.2, eqs. (10), (14), (15); ``torch.nn.init.kaiming_uniform_``.
    """
    dims, scale, mode = _kaiming_scale(shape, a, mode, nonlinearity)
    return variance_scaling(dims, scale, mode, "uniform", layout, rng=rng, dtype=dtype)


def kaiming_normal(
    shape: Any,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    layout: str = "torch",
    *,
    rng: Any = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """He/Kaiming normal: N(0, gain^2 / fan_mode), untruncated as in PyTorch.

    Formula: ``gain = calculate_gain(nonlinearity, a)``, ``std = gain / sqrt(fan_mode)``.

    Args:
        shape: the weight's shape (at least 2-D).
        a: negative slope of the rectifier (used only by ``leaky_relu``).
        mode: ``"fan_in"`` or ``"fan_out"``.
        nonlinearity: a name accepted by ``calculate_gain``.
        layout: ``"torch"`` or ``"keras"``.
        rng: Generator, int seed or None.
        dtype: float32 or float64.

    Returns:
        A new array.

    References:
        He et al. (2015), Sec. 2.2; ``torch.nn.init.kaiming_normal_``.
    """
    dims, scale, mode = _kaiming_scale(shape, a, mode, nonlinearity)
    return variance_scaling(dims, scale, mode, "normal", layout, rng=rng, dtype=dtype)


def lecun_uniform(
    shape: Any, layout: str = "torch", *, rng: Any = None, dtype: Any = np.float64
) -> np.ndarray:
    """LeCun uniform: U(-sqrt(3 / fan_in), sqrt(3 / fan_in)), so ``Var(W) = 1 / fan_in``.

    Formula: ``variance_scaling(1.0, "fan_in", "uniform")`` (Keras/JAX ``lecun_uniform``).

    Args:
        shape: the weight's shape (at least 2-D).
        layout: ``"torch"`` or ``"keras"``.
        rng: Generator, int seed or None.
        dtype: float32 or float64.

    Returns:
        A new array.

    References:
        LeCun et al., "Efficient BackProp" (1998); Klambauer et al. (2017), Sec. 3.
    """
    return variance_scaling(shape, 1.0, "fan_in", "uniform", layout, rng=rng, dtype=dtype)


def lecun_normal(
    shape: Any, layout: str = "torch", *, rng: Any = None, dtype: Any = np.float64
) -> np.ndarray:
    """LeCun normal: truncated normal (+-2 s, std-corrected) with ``Var(W) = 1 / fan_in``.

    Formula: ``variance_scaling(1.0, "fan_in", "truncated_normal")`` (Keras/JAX
    ``lecun_normal``), the initialization Self-Normalizing Networks require.

    Args:
        shape: the weight's shape (at least 2-D).
        layout: ``"torch"`` or ``"keras"``.
        rng: Generator, int seed or None.
        dtype: float32 or float64.

    Returns:
        A new array.

    References:
        Klambauer et al. (2017), Sec. 3 ("weights ... Var = 1/n").
    """
    return variance_scaling(shape, 1.0, "fan_in", "truncated_normal", layout, rng=rng, dtype=dtype)


def pytorch_linear_default(
    shape: Any, layout: str = "torch", *, rng: Any = None, dtype: Any = np.float64
) -> np.ndarray:
    """What ``nn.Linear``/``nn.ConvNd`` do by default: ``kaiming_uniform(a=sqrt(5))``.

    Formula: gain = sqrt(2 / (1 + 5)) = sqrt(1/3), bound = sqrt(3) gain / sqrt(fan_in)
    = 1 / sqrt(fan_in), so W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) and Var(W) = 1 / (3 fan_in).

    Args:
        shape: the weight's shape (at least 2-D).
        layout: ``"torch"`` or ``"keras"``.
        rng: Generator, int seed or None.
        dtype: float32 or float64.

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


def orthogonal(shape: Any, gain: float = 1.0, *, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    """Draw a Haar-distributed (semi-)orthogonal matrix, scaled by ``gain``.

    Formula: flatten to ``(rows, cols) = (shape[0], prod(shape[1:]))`` (PyTorch flattens the
    trailing dims; Keras the leading ones), draw Z with iid N(0, 1) entries (transposed if
    ``rows < cols``), factor ``Z = QR`` and return ``gain * Q diag(sign(diag R))``. The sign
    correction makes Q exactly Haar; LAPACK's bare Q is not (Mezzadri 2007).

    Args:
        shape: at least 2-D.
        gain: multiplier; ``W W^T = gain^2 I`` (rows <= cols) or ``W^T W = gain^2 I``.
        rng: Generator, int seed or None.
        dtype: float32 or float64 (the QR runs in that precision).

    Returns:
        A new array; a zero-element shape returns an empty array.

    References:
        Saxe et al. (2013); Mezzadri (2007), "A correct and efficient algorithm";
        ``torch.nn.init.orthogonal_``.
    """
    dims, dtype, generator = as_shape(shape), as_float_dtype(dtype), as_rng(rng)
    gain = as_real(gain, "gain")
    if len(dims) < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if 0 in dims:
        return np.zeros(dims, dtype=dtype)
    rows = dims[0]
    cols = math.prod(dims[1:])
    tall = (max(rows, cols), min(rows, cols))
    flattened = generator.standard_normal(tall, dtype=dtype)
    q, r = np.linalg.qr(flattened)
    signs = np.where(np.diagonal(r) < 0, -gain, gain).astype(dtype)
    q *= signs
    if rows < cols:
        q = q.T
    return np.ascontiguousarray(q).reshape(dims)


def sparse(
    shape: Any,
    sparsity: float,
    std: float = 0.01,
    *,
    rng: Any = None,
    dtype: Any = np.float64,
) -> np.ndarray:
    """Draw a sparse matrix: N(0, std^2) entries with ``ceil(sparsity * rows)`` zeros per column.

    Formula: each column gets exactly ``ceil(sparsity * rows)`` zeros at rows chosen uniformly
    without replacement; the rest are N(0, std^2).

    Args:
        shape: a 2-D shape ``(rows, cols)``.
        sparsity: fraction of each column set to zero, in ``[0, 1]``.
        std: the standard deviation of the non-zero values, ``>= 0``.
        rng: Generator, int seed or None (it also chooses the zero positions; PyTorch's
            ``sparse_`` ignores its ``generator`` there).
        dtype: float32 or float64.

    Returns:
        A new array.

    References:
        Martens (2010), "Deep learning via Hessian-free optimization", Sec. 5;
        ``torch.nn.init.sparse_``.
    """
    dims, dtype, generator = as_shape(shape), as_float_dtype(dtype), as_rng(rng)
    sparsity, std = as_real(sparsity, "sparsity"), as_real(std, "std")
    if len(dims) != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    if std < 0:
        raise ValueError(f"std must be >= 0, got {std}")
    rows, cols = dims
    out = normal(dims, 0.0, std, rng=generator, dtype=dtype)
    num_zeros = math.ceil(sparsity * rows)
    if num_zeros and cols:
        row_order = generator.permuted(np.broadcast_to(np.arange(rows)[:, None], dims), axis=0)
        out[row_order[:num_zeros], np.arange(cols)] = 0.0
    return out
