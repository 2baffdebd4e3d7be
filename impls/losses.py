"""Reference losses with ``torch.nn.functional`` semantics, and their gradients in the logits.

Cross-entropy is written once in a general form: every variant (class indices or probability
targets, class weights, ``ignore_index``, label smoothing) is ``-sum_c a_c log_softmax(x)_c`` for
a per-sample vector ``a`` of target masses, so the loss and its gradient ``(sum_c a_c) p - a``
share one code path.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from impls._validation import as_choice, as_float_array, as_real

REDUCTIONS = ("mean", "sum", "none")
_BCE_LOG_CLAMP = -100.0


def softmax(x: Any, axis: int = -1) -> np.ndarray:
    """Softmax ``exp(x_c - max x) / sum exp(x - max x)`` along ``axis``.

    Args:
        x: logits.
        axis: the class axis.

    Returns:
        Probabilities that sum to 1 along ``axis``.
    """
    return np.exp(log_softmax(x, axis))


def log_softmax(x: Any, axis: int = -1) -> np.ndarray:
    """Log-softmax ``x_c - logsumexp(x)`` along ``axis``, stable for any finite logits.

    Args:
        x: logits.
        axis: the class axis.

    Returns:
        Log-probabilities along ``axis``.
    """
    x = as_float_array(x, "x")
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _reduce(values: np.ndarray, reduction: str, denominator: Any) -> np.ndarray:
    if reduction == "none":
        return values
    total = np.sum(values)
    if reduction == "sum":
        return np.asarray(total)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(total / denominator)


def _class_weight(weight: Any, classes: int, dtype: np.dtype) -> np.ndarray:
    if weight is None:
        return np.ones(classes, dtype=dtype)
    w = as_float_array(weight, "weight").astype(dtype)
    if w.shape != (classes,):
        raise ValueError(f"weight must have shape ({classes},), got {w.shape}")
    return w


def _as_batch(logits: Any) -> tuple[np.ndarray, bool]:
    """Return logits as ``(N, C, *d)`` plus whether the input was unbatched ``(C,)``."""
    x = as_float_array(logits, "logits")
    if x.ndim == 0:
        raise ValueError("logits must have at least 1 dimension (C,) or (N, C, ...)")
    if x.ndim == 1:
        return x[None, :], True
    return x, False


def _target_masses(
    x: np.ndarray,
    target: Any,
    weight: Any,
    ignore_index: int,
    label_smoothing: float,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Return ``(a, denominator_terms, uses_indices)`` with ``a`` shaped like ``x``.

    ``a[n, c]`` is the mass the loss puts on ``-log p[n, c]``; ``denominator_terms`` holds what
    the ``"mean"`` reduction divides by, per sample.
    """
    classes = x.shape[1]
    w = _class_weight(weight, classes, x.dtype)
    w_b = w.reshape((1, classes) + (1,) * (x.ndim - 2))
    t = np.asarray(target)
    if t.dtype.kind in "iu":
        if t.shape != (x.shape[0], *x.shape[2:]):
            raise ValueError(
                f"target of class indices must have shape {(x.shape[0], *x.shape[2:])}, got {t.shape}"
            )
        keep = t != ignore_index
        if np.any((t[keep] < 0) | (t[keep] >= classes)):
            raise ValueError(f"target class indices must be in [0, {classes}), got {t[keep]}")
        safe = np.where(keep, t, 0)
        onehot = np.moveaxis(np.eye(classes, dtype=x.dtype)[safe], -1, 1)
        w_target = w[safe] * keep
        smooth = (1.0 - label_smoothing) * onehot * w_b + (label_smoothing / classes) * w_b
        masses = smooth * np.expand_dims(keep, 1)
        return masses, w_target, True
    if t.dtype.kind != "f":
        raise TypeError(f"target must hold class indices (ints) or probabilities, got {t.dtype}")
    if t.shape != x.shape:
        raise ValueError(f"target of probabilities must have shape {x.shape}, got {t.shape}")
    probs = t.astype(x.dtype) * (1.0 - label_smoothing) + label_smoothing / classes
    return probs * w_b, np.ones(t.shape[:1] + t.shape[2:], dtype=x.dtype), False


def _check_common(reduction: str, label_smoothing: Any) -> tuple[str, float]:
    reduction = as_choice(reduction, "reduction", REDUCTIONS)
    smoothing = as_real(label_smoothing, "label_smoothing")
    if not 0.0 <= smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {smoothing}")
    return reduction, smoothing


def cross_entropy(
    logits: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """Cross-entropy of softmax(logits) against class indices or class probabilities.

    Formula: per sample ``-sum_c a_c log softmax(x)_c`` with ``a = (1 - eps) w_y e_y + eps w / C``
    for a class index ``y`` (zero when ``y == ignore_index``), or ``a_c = w_c ((1 - eps) t_c +
    eps / C)`` for probabilities ``t``. ``"mean"`` divides by ``sum_n w_{y_n}`` over kept samples
    (indices) or by the number of samples (probabilities), as PyTorch does.

    Args:
        logits: ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)``.
        target: int class indices ``(N, d1, ...)`` or float probabilities shaped like logits.
        weight: optional per-class weights ``(C,)``.
        ignore_index: class index that contributes nothing (indices only).
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
        label_smoothing: ``eps`` in [0, 1].

    Returns:
        The loss: a 0-d array, or per-sample losses for ``"none"``. The mean over samples that
        are all ignored is NaN, as in PyTorch.

    References:
        ``torch.nn.functional.cross_entropy``; Szegedy et al. (2016), Sec. 7 (label smoothing).
    """
    reduction, smoothing = _check_common(reduction, label_smoothing)
    x, unbatched = _as_batch(logits)
    if unbatched:
        target = np.asarray(target)[None, ...]
    masses, denominators, _ = _target_masses(x, target, weight, ignore_index, smoothing)
    per_sample = -np.sum(masses * log_softmax(x, axis=1), axis=1)
    loss = _reduce(per_sample, reduction, np.sum(denominators))
    return loss[0] if unbatched and reduction == "none" else loss


def cross_entropy_grad(
    logits: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """Gradient of :func:`cross_entropy` with respect to the logits.

    Formula: ``(sum_c a_c) softmax(x) - a`` per sample, divided as the reduction divides
    (for ``"none"``, the gradient of the sum of the per-sample losses).

    Args:
        logits: as for :func:`cross_entropy`.
        target: as for :func:`cross_entropy`.
        weight: as for :func:`cross_entropy`.
        ignore_index: as for :func:`cross_entropy`.
        reduction: as for :func:`cross_entropy`.
        label_smoothing: as for :func:`cross_entropy`.

    Returns:
        An array shaped like ``logits``.
    """
    reduction, smoothing = _check_common(reduction, label_smoothing)
    x, unbatched = _as_batch(logits)
    if unbatched:
        target = np.asarray(target)[None, ...]
    masses, denominators, _ = _target_masses(x, target, weight, ignore_index, smoothing)
    grad = np.sum(masses, axis=1, keepdims=True) * softmax(x, axis=1) - masses
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            grad = grad / np.sum(denominators)
    return grad[0] if unbatched else grad


def nll_loss(
    log_probs: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> np.ndarray:
    """Negative log-likelihood of class indices given log-probabilities.

    Formula: ``-w_y log_probs[y]`` per sample; ``"mean"`` divides by ``sum w_y`` over samples
    whose target is not ``ignore_index``.

    Args:
        log_probs: ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)`` log-probabilities.
        target: int class indices ``(N, d1, ...)``.
        weight: optional per-class weights ``(C,)``.
        ignore_index: class index that contributes nothing.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        The loss (0-d, or per sample for ``"none"``).

    References:
        ``torch.nn.functional.nll_loss``.
    """
    reduction = as_choice(reduction, "reduction", REDUCTIONS)
    x, unbatched = _as_batch(log_probs)
    t = np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"target must hold integer class indices, got dtype {t.dtype}")
    if unbatched:
        t = t[None, ...]
    masses, denominators, _ = _target_masses(x, t, weight, ignore_index, 0.0)
    per_sample = -np.sum(masses * x, axis=1)
    loss = _reduce(per_sample, reduction, np.sum(denominators))
    return loss[0] if unbatched and reduction == "none" else loss


def _elementwise_weight(weight: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    if weight is None:
        return 1.0
    w = as_float_array(weight, "weight").astype(dtype)
    try:
        np.broadcast_shapes(w.shape, shape)
    except ValueError as error:
        raise ValueError(f"weight of shape {w.shape} does not broadcast to {shape}") from error
    return w


def _binary_target(target: Any, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    t = as_float_array(target, "target").astype(dtype)
    if t.shape != shape:
        raise ValueError(f"target must have the input's shape {shape}, got {t.shape}")
    return t


def binary_cross_entropy(probs: Any, target: Any, weight: Any = None, reduction: str = "mean") -> np.ndarray:
    """Binary cross-entropy of probabilities, with PyTorch's log clamp at -100.

    Formula: ``-w [t max(log p, -100) + (1 - t) max(log(1 - p), -100)]``; so a confident wrong
    prediction costs at most 100 per element (``BCELoss`` docs).

    Args:
        probs: probabilities in [0, 1].
        target: targets in [0, 1], shaped like ``probs``.
        weight: optional elementwise weight (broadcast).
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        The loss.

    Raises:
        ValueError: probabilities outside [0, 1] (PyTorch: "all elements of input should be
            between 0 and 1").
    """
    reduction = as_choice(reduction, "reduction", REDUCTIONS)
    p = as_float_array(probs, "probs")
    if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
        raise ValueError("all elements of probs should be between 0 and 1")
    t = _binary_target(target, p.shape, p.dtype)
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), _BCE_LOG_CLAMP)
        log_not_p = np.maximum(np.log1p(-p), _BCE_LOG_CLAMP)
    loss = -(t * log_p + (1.0 - t) * log_not_p) * _elementwise_weight(weight, p.shape, p.dtype)
    return _reduce(np.asarray(loss), reduction, loss.size)


def binary_cross_entropy_with_logits(
    logits: Any,
    target: Any,
    weight: Any = None,
    pos_weight: Any = None,
    reduction: str = "mean",
) -> np.ndarray:
    """Binary cross-entropy of ``sigmoid(logits)``, in the stable form.

    Formula: ``(1 - t) softplus(x) + pw t softplus(-x)`` with ``softplus(x) = max(x, 0) +
    log(1 + exp(-|x|))``. It equals PyTorch's ``(1 - t) x + (1 + (pw - 1) t) softplus(-x)`` and,
    for ``pw = 1``, ``max(x, 0) - x t + log(1 + exp(-|x|))``; written as a sum of two
    non-negative terms it has no cancellation (PyTorch's form loses ~1e-12 relative at
    ``x = -9, t = 0``) and never overflows, where ``-log(sigmoid(x))`` does.

    Args:
        logits: any real array.
        target: targets in [0, 1], shaped like ``logits``.
        weight: optional elementwise weight (broadcast).
        pos_weight: optional weight of the positive term (broadcast over the last axis).
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        The loss.

    References:
        ``torch.nn.functional.binary_cross_entropy_with_logits``; TensorFlow
        ``sigmoid_cross_entropy_with_logits`` (derivation in its docstring).
    """
    reduction = as_choice(reduction, "reduction", REDUCTIONS)
    x = as_float_array(logits, "logits")
    t = _binary_target(target, x.shape, x.dtype)
    tail = np.log1p(np.exp(-np.abs(x)))
    softplus_pos, softplus_neg = np.maximum(x, 0) + tail, np.maximum(-x, 0) + tail
    pos = 1.0 if pos_weight is None else _elementwise_weight(pos_weight, x.shape, x.dtype)
    loss = (1.0 - t) * softplus_pos + pos * t * softplus_neg
    loss = loss * _elementwise_weight(weight, x.shape, x.dtype)
    return _reduce(np.asarray(loss), reduction, loss.size)


def binary_cross_entropy_with_logits_grad(
    logits: Any,
    target: Any,
    weight: Any = None,
    pos_weight: Any = None,
    reduction: str = "mean",
) -> np.ndarray:
    """Gradient of :func:`binary_cross_entropy_with_logits` with respect to the logits.

    Formula: ``w [(1 - t) - (1 + (pw - 1) t) sigmoid(-x)]``, which is ``w (sigmoid(x) - t)`` for
    ``pw = 1``; divided by the number of elements for ``"mean"``.

    Args:
        logits: as for :func:`binary_cross_entropy_with_logits`.
        target: as for :func:`binary_cross_entropy_with_logits`.
        weight: as for :func:`binary_cross_entropy_with_logits`.
        pos_weight: as for :func:`binary_cross_entropy_with_logits`.
        reduction: as for :func:`binary_cross_entropy_with_logits`.

    Returns:
        An array shaped like ``logits``.
    """
    reduction = as_choice(reduction, "reduction", REDUCTIONS)
    x = as_float_array(logits, "logits")
    t = _binary_target(target, x.shape, x.dtype)
    pos = 1.0 if pos_weight is None else _elementwise_weight(pos_weight, x.shape, x.dtype)
    grad = (1.0 - t) - (1.0 + (pos - 1.0) * t) * special.expit(-x)
    grad = grad * _elementwise_weight(weight, x.shape, x.dtype)
    return grad / grad.size if reduction == "mean" else np.asarray(grad)


def entropy(p: Any, axis: int = -1) -> np.ndarray:
    """Shannon entropy ``H(P) = -sum p log p`` (nats), with ``0 log 0 = 0``.

    Args:
        p: probabilities along ``axis``.
        axis: the distribution's axis.

    Returns:
        The entropy, reduced over ``axis``.
    """
    return np.sum(special.entr(as_float_array(p, "p")), axis=axis)


def kl_divergence(p: Any, q: Any, axis: int = -1) -> np.ndarray:
    """Kullback-Leibler divergence ``KL(P || Q) = sum p log(p / q)`` (nats).

    Args:
        p: probabilities along ``axis``.
        q: probabilities along ``axis``, same shape.
        axis: the distribution's axis.

    Returns:
        ``KL >= 0``, zero iff ``P = Q``; ``inf`` where ``q = 0 < p``.
    """
    p_arr, q_arr = as_float_array(p, "p"), as_float_array(q, "q")
    if p_arr.shape != q_arr.shape:
        raise ValueError(f"p and q must have the same shape, got {p_arr.shape} and {q_arr.shape}")
    return np.sum(special.rel_entr(p_arr, q_arr), axis=axis)
