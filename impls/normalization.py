"""Normalization layers with exact backward passes: LayerNorm, RMSNorm, BatchNorm (training mode).

Semantics are PyTorch's (``torch.nn.functional.layer_norm``, ``rms_norm``, ``batch_norm`` with
``training=True``): statistics use the *biased* variance; ``eps`` is added to the variance (to
the mean square for RMSNorm) inside the square root; ``weight`` and ``bias`` are optional.
Every forward function has a ``*_backward`` returning the vector-Jacobian products
``(grad_x, grad_weight, grad_bias)`` for an upstream gradient ``grad_y``.

References: Ba, Kiros & Hinton (2016), "Layer normalization", arXiv:1607.06450; Zhang & Sennrich
(2019), "Root mean square layer normalization", NeurIPS, arXiv:1910.07467; Ioffe & Szegedy
(2015), "Batch normalization", ICML, arXiv:1502.03167, Algorithm 1 and Sec. 3.1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from impls._validation import as_float_array, as_real

Grads = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]


def _axes(x: np.ndarray, normalized_shape: Sequence[int] | int) -> tuple[int, ...]:
    if isinstance(normalized_shape, int | np.integer) and not isinstance(normalized_shape, bool):
        shape: tuple[Any, ...] = (normalized_shape,)
    elif isinstance(normalized_shape, list | tuple):
        shape = tuple(normalized_shape)
    else:
        raise TypeError(f"normalized_shape must be an int or a sequence of ints, got {normalized_shape!r}")
    if not shape or not all(
        isinstance(s, int | np.integer) and not isinstance(s, bool) and s >= 1 for s in shape
    ):
        raise ValueError(
            f"normalized_shape must be a non-empty sequence of positive ints, got {normalized_shape!r}"
        )
    if x.shape[x.ndim - len(shape) :] != tuple(int(s) for s in shape) or x.ndim < len(shape):
        raise ValueError(f"normalized_shape {tuple(shape)} must match the trailing dimensions of x {x.shape}")
    return tuple(range(x.ndim - len(shape), x.ndim))


def _affine(value: Any, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
    if value is None:
        return None
    array = as_float_array(value, name)
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
    return array.astype(dtype, copy=False)


def _eps(eps: Any) -> float:
    value = as_real(eps, "eps")
    if value < 0:
        raise ValueError(f"eps must be >= 0, got {value}")
    return value


def _group_scale(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Each group's largest ``|x|`` (1 where it is 0 or not finite): dividing by it keeps the
    squares of huge finite inputs from overflowing; non-finite inputs give NaN, as in PyTorch."""
    with np.errstate(invalid="ignore"):
        scale = np.max(np.abs(x), axis=axes, keepdims=True) if x.size else np.ones_like(x)
    return np.where((scale > 0) & np.isfinite(scale), scale, 1.0)


def _normalize(x: np.ndarray, axes: tuple[int, ...], eps: float) -> tuple[np.ndarray, np.ndarray]:
    """``(x^, 1 / sqrt(var + eps))`` in float64, with the group's scale divided out first."""
    with np.errstate(all="ignore"):  # inf/NaN inputs propagate to NaN, as in PyTorch
        x = x.astype(np.float64)
        scale = _group_scale(x, axes)
        xs = x / scale
        centred = xs - xs.mean(axis=axes, keepdims=True)
        root = np.sqrt((centred * centred).mean(axis=axes, keepdims=True) + eps / (scale * scale))
        return centred / root, 1.0 / (scale * root)


def _normalize_backward(
    g_hat: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray, axes: tuple[int, ...]
) -> np.ndarray:
    # d/dx of (x - mean) / sqrt(var + eps) applied to g_hat, over the normalized axes.
    with np.errstate(all="ignore"):  # non-finite inputs propagate, as in PyTorch
        return inv_std * (
            g_hat
            - g_hat.mean(axis=axes, keepdims=True)
            - x_hat * (g_hat * x_hat).mean(axis=axes, keepdims=True)
        )


def layer_norm(
    x: Any,
    normalized_shape: Sequence[int] | int,
    weight: Any = None,
    bias: Any = None,
    eps: float = 1e-5,
) -> np.ndarray:
    """Layer normalization over the trailing ``normalized_shape`` dimensions.

    Formula: ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``, mean and biased variance
    over the normalized dimensions of each sample.

    Args:
        x: input array whose trailing dimensions are ``normalized_shape``.
        normalized_shape: the trailing shape to normalize over (an int for the last axis).
        weight: elementwise scale of shape ``normalized_shape``, or None (ones).
        bias: elementwise shift of shape ``normalized_shape``, or None (zeros).
        eps: added to the variance, >= 0.

    Returns:
        The normalized array, of x's shape and floating dtype.

    References:
        Ba, Kiros & Hinton (2016), arXiv:1607.06450, eq. (4); ``torch.nn.functional.layer_norm``.
    """
    x = as_float_array(x, "x")
    axes = _axes(x, normalized_shape)
    trailing = x.shape[axes[0] :]
    w, b = _affine(weight, "weight", trailing, x.dtype), _affine(bias, "bias", trailing, x.dtype)
    y, _ = _normalize(x, axes, _eps(eps))
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y.astype(x.dtype, copy=False)


def layer_norm_backward(
    x: Any,
    grad_y: Any,
    normalized_shape: Sequence[int] | int,
    weight: Any = None,
    eps: float = 1e-5,
) -> Grads:
    """The exact gradients of :func:`layer_norm` for an upstream gradient ``grad_y``.

    Formula: with ``x^ = (x - mu) / s``, ``s = sqrt(var + eps)``, ``g = grad_y * weight``:
    ``grad_x = (g - mean(g) - x^ mean(g x^)) / s`` (means over the normalized dimensions),
    ``grad_weight = sum_batch grad_y x^``, ``grad_bias = sum_batch grad_y``.

    Args:
        x: the forward input.
        grad_y: the gradient of the loss with respect to the output (x's shape).
        normalized_shape: as in :func:`layer_norm`.
        weight: as in :func:`layer_norm`.
        eps: as in :func:`layer_norm`.

    Returns:
        ``(grad_x, grad_weight, grad_bias)``; the last two are None when ``weight`` is None.

    References:
        Ba, Kiros & Hinton (2016), arXiv:1607.06450.
    """
    x, g = as_float_array(x, "x"), as_float_array(grad_y, "grad_y")
    if g.shape != x.shape:
        raise ValueError(f"grad_y must have x's shape {x.shape}, got {g.shape}")
    axes = _axes(x, normalized_shape)
    batch_axes = tuple(range(axes[0]))
    w = _affine(weight, "weight", x.shape[axes[0] :], x.dtype)
    x_hat, inv_std = _normalize(x, axes, _eps(eps))
    grad_x = _normalize_backward(g if w is None else g * w, x_hat, inv_std, axes)
    if w is None:
        return grad_x.astype(np.result_type(x, g), copy=False), None, None
    return (
        grad_x.astype(np.result_type(x, g), copy=False),
        (g * x_hat).sum(axis=batch_axes),
        g.sum(axis=batch_axes),
    )


def rms_norm(
    x: Any, normalized_shape: Sequence[int] | int, weight: Any = None, eps: float | None = None
) -> np.ndarray:
    """Root-mean-square normalization over the trailing ``normalized_shape`` dimensions.

    Formula: ``y = x / sqrt(mean(x^2) + eps) * weight``; ``eps`` defaults to the machine
    epsilon of x's dtype, as ``torch.nn.functional.rms_norm``.

    Args:
        x: input array.
        normalized_shape: the trailing shape to normalize over.
        weight: elementwise scale of shape ``normalized_shape``, or None.
        eps: added to the mean square, >= 0; None for ``finfo(x.dtype).eps``.

    Returns:
        The normalized array, of x's shape and dtype.

    References:
        Zhang & Sennrich (2019), arXiv:1910.07467, eq. (4); ``torch.nn.functional.rms_norm``.
    """
    x = as_float_array(x, "x")
    axes = _axes(x, normalized_shape)
    w = _affine(weight, "weight", x.shape[axes[0] :], x.dtype)
    epsilon = float(np.finfo(x.dtype).eps) if eps is None else _eps(eps)
    y, _ = _rms(x, axes, epsilon)
    with np.errstate(all="ignore"):
        return (y if w is None else y * w).astype(x.dtype, copy=False)


def rms_norm_backward(
    x: Any,
    grad_y: Any,
    normalized_shape: Sequence[int] | int,
    weight: Any = None,
    eps: float | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The exact gradients of :func:`rms_norm`.

    Formula: with ``r = sqrt(mean(x^2) + eps)`` and ``g = grad_y * weight``:
    ``grad_x = (g - x mean(g x) / r^2) / r``; ``grad_weight = sum_batch grad_y x / r``.

    Args:
        x: the forward input.
        grad_y: the upstream gradient (x's shape).
        normalized_shape: as in :func:`rms_norm`.
        weight: as in :func:`rms_norm`.
        eps: as in :func:`rms_norm`.

    Returns:
        ``(grad_x, grad_weight)``; ``grad_weight`` is None when ``weight`` is None.

    References:
        Zhang & Sennrich (2019), arXiv:1910.07467.
    """
    x, g = as_float_array(x, "x"), as_float_array(grad_y, "grad_y")
    if g.shape != x.shape:
        raise ValueError(f"grad_y must have x's shape {x.shape}, got {g.shape}")
    axes = _axes(x, normalized_shape)
    w = _affine(weight, "weight", x.shape[axes[0] :], x.dtype)
    epsilon = float(np.finfo(x.dtype).eps) if eps is None else _eps(eps)
    y, inv_r = _rms(x, axes, epsilon)
    with np.errstate(all="ignore"):
        gw = g.astype(np.float64) if w is None else g.astype(np.float64) * w
        grad_x = inv_r * (gw - y * (gw * y).mean(axis=axes, keepdims=True))
        grad_weight = None if w is None else (g * y).sum(axis=tuple(range(axes[0])))
        return grad_x.astype(np.result_type(x, g), copy=False), grad_weight


def _rms(x: np.ndarray, axes: tuple[int, ...], eps: float) -> tuple[np.ndarray, np.ndarray]:
    """``(x / r, 1 / r)`` with ``r = sqrt(mean(x^2) + eps)``, in float64 with the scale divided out."""
    with np.errstate(all="ignore"):
        x = x.astype(np.float64)
        scale = _group_scale(x, axes)
        xs = x / scale
        root = np.sqrt((xs * xs).mean(axis=axes, keepdims=True) + eps / (scale * scale))
        return xs / root, 1.0 / (scale * root)


def _channel_axes(x: np.ndarray) -> tuple[int, ...]:
    if x.ndim < 2:
        raise ValueError(f"x must have shape (batch, channels, *), got {x.shape}")
    if x.shape[1] == 0 or x.size // x.shape[1] < 2:
        raise ValueError(f"batch_norm needs more than one value per channel, got x of shape {x.shape}")
    return (0, *range(2, x.ndim))


def batch_norm(x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> np.ndarray:
    """Batch normalization in training mode: per-channel statistics of the batch.

    Formula: ``y = (x - mu_c) / sqrt(var_c + eps) * weight_c + bias_c``, with ``mu_c`` and the
    biased ``var_c`` over the batch and spatial axes of channel ``c`` (axis 1).

    Args:
        x: input of shape ``(batch, channels, *)``, more than one value per channel.
        weight: per-channel scale ``(channels,)``, or None.
        bias: per-channel shift ``(channels,)``, or None.
        eps: added to the variance, >= 0.

    Returns:
        The normalized batch (running statistics are not kept).

    References:
        Ioffe & Szegedy (2015), arXiv:1502.03167, Algorithm 1; ``torch.nn.functional.batch_norm``
        with ``training=True``.
    """
    x = as_float_array(x, "x")
    axes = _channel_axes(x)
    channel_shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    w = _affine(weight, "weight", (x.shape[1],), x.dtype)
    b = _affine(bias, "bias", (x.shape[1],), x.dtype)
    y, _ = _normalize(x, axes, _eps(eps))
    if w is not None:
        y = y * w.reshape(channel_shape)
    if b is not None:
        y = y + b.reshape(channel_shape)
    return y.astype(x.dtype, copy=False)


def batch_norm_backward(x: Any, grad_y: Any, weight: Any = None, eps: float = 1e-5) -> Grads:
    """The exact gradients of :func:`batch_norm` in training mode (statistics depend on x).

    Formula: as :func:`layer_norm_backward` with the means over the batch and spatial axes of
    each channel (Ioffe & Szegedy 2015, Sec. 3, the chain rule through ``mu_B`` and
    ``sigma_B^2``).

    Args:
        x: the forward input ``(batch, channels, *)``.
        grad_y: the upstream gradient (x's shape).
        weight: as in :func:`batch_norm`.
        eps: as in :func:`batch_norm`.

    Returns:
        ``(grad_x, grad_weight, grad_bias)``; the last two are None when ``weight`` is None.

    References:
        Ioffe & Szegedy (2015), arXiv:1502.03167, Sec. 3.
    """
    x, g = as_float_array(x, "x"), as_float_array(grad_y, "grad_y")
    if g.shape != x.shape:
        raise ValueError(f"grad_y must have x's shape {x.shape}, got {g.shape}")
    axes = _channel_axes(x)
    channel_shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    w = _affine(weight, "weight", (x.shape[1],), x.dtype)
    x_hat, inv_std = _normalize(x, axes, _eps(eps))
    g_hat = g if w is None else g * w.reshape(channel_shape)
    grad_x = _normalize_backward(g_hat, x_hat, inv_std, axes).astype(np.result_type(x, g), copy=False)
    if w is None:
        return grad_x, None, None
    return grad_x, (g * x_hat).sum(axis=axes), g.sum(axis=axes)
