"""The delta-orthogonal convolution kernel (Xiao et al. 2018, Algorithm 2).

A convolution weight of PyTorch's layout ``(out, in, *kernel)`` that is zero everywhere except at
the kernel's centre, where it holds ``gain`` times a Haar-random matrix with orthonormal columns
(``out >= in``). Convolution with it maps every input position through the same orthogonal
matrix, so with circular padding the layer is an exact isometry (``||conv(x)|| = gain ||x||``)
and a deep CNN at criticality is dynamically isometric.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from impls._types import DTypeLike, RngLike
from impls._validation import as_float_dtype, as_rng, as_shape
from impls.initializers import orthogonal


def delta_orthogonal(
    weight_shape: Sequence[int],
    gain: float = 1.0,
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Draw a delta-orthogonal convolution kernel.

    Formula: ``W[:, :, c_1, ..., c_d] = gain * H`` with ``c_j = k_j // 2`` (the centre; for even
    sizes the position right of the middle, which for circular convolution is only a shift) and
    ``H`` an ``out x in`` Haar-distributed matrix with ``H^T H = I`` (:func:`impls.orthogonal`);
    every other entry is 0.

    Args:
        weight_shape: ``(out, in, k_1, ..., k_d)``, ``d >= 1`` spatial dimensions, ``out >= in``.
        gain: finite multiplier (negative accepted, as :func:`impls.orthogonal`).
        rng: Generator, seed or None.
        dtype: a floating dtype of the policy (float16/bfloat16 drawn in float32, rounded once).

    Returns:
        A new array of ``weight_shape``.

    Raises:
        ValueError: fewer than 3 dimensions, a zero dimension, or ``out < in`` (an orthogonal
            centre with orthonormal columns needs at least as many output channels).

    References:
        Xiao et al. (2018), "Dynamical isometry and a mean field theory of CNNs", ICML,
        arXiv:1806.05393, Algorithm 2.
    """
    dims = as_shape(weight_shape, "weight_shape")
    dtype, generator = as_float_dtype(dtype), as_rng(rng)
    if len(dims) < 3:
        raise ValueError(f"weight_shape must be (out, in, *kernel) with a kernel dimension, got {dims}")
    if 0 in dims:
        raise ValueError(f"weight_shape must have no zero dimension, got {dims}")
    out_channels, in_channels = dims[0], dims[1]
    if out_channels < in_channels:
        raise ValueError(
            f"weight_shape needs out >= in channels for an orthogonal centre, got out={out_channels}, "
            f"in={in_channels}"
        )
    weight = np.zeros(dims, dtype=dtype)
    centre: tuple[slice | int, ...] = (slice(None), slice(None), *(k // 2 for k in dims[2:]))
    weight[centre] = orthogonal((out_channels, in_channels), gain, rng=generator, dtype=dtype)
    return weight
