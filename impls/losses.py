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

from impls import _accurate as acc
from impls._checks_numeric import as_axis, as_choice, as_int, as_real, floating_input, round_to

REDUCTIONS = ("mean", "sum", "none")
_BCE_LOG_CLAMP = -100.0


def _float_input(x: Any, name: str) -> tuple[np.ndarray, np.dtype]:
    """The dtype policy for loss inputs: floating arrays only (PyTorch refuses integers)."""
    return floating_input(x, name)


def _shifted(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(hi, lo, log S)``: ``x - max x = hi + lo`` exactly, ``S = sum exp(x - max x)``.

    ``log S = log1p(sum of the other terms)``, the maximum's own term 1 left out, so that a
    dominant class keeps its tiny log-probability (``log(1 + 1e-20)`` would round to 0).
    """
    hi, lo, rest = _shifted_terms(x, axis)
    return hi, lo, np.log1p(rest)


def _shifted_terms(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(hi, lo, R)``: ``x - max x = hi + lo`` exactly and ``R = S - 1``, the other terms' sum."""
    top = np.max(x, axis=axis, keepdims=True)
    hi, lo = acc.two_sum(x, -top)
    lo = np.where(np.isfinite(hi), lo, 0.0)  # TwoSum's error term is NaN at a -inf logit
    terms = np.exp(hi) * (1.0 + lo)
    first_max = np.argmax(x, axis=axis, keepdims=True)
    np.put_along_axis(terms, first_max, 0.0, axis=axis)
    return hi, lo, np.sum(terms, axis=axis, keepdims=True)


def _probabilities(hi: np.ndarray, lo: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """``exp(hi + lo) / (1 + R)``, rounded once where it is subnormal."""
    f, g = acc.exp_halves(hi, lo)
    return (f / (1.0 + rest)) * g


def _log_softmax64(x: np.ndarray, axis: int) -> np.ndarray:
    if x.size == 0:
        return x.copy()
    with np.errstate(all="ignore"):
        hi, lo, log_total = _shifted(x, axis)
        return hi - log_total + lo


def _softmax64(x: np.ndarray, axis: int) -> np.ndarray:
    if x.size == 0:
        return x.copy()
    with np.errstate(all="ignore"):
        return _probabilities(*_shifted_terms(x, axis))


def _class_axis(x: np.ndarray, axis: Any) -> tuple[np.ndarray, int]:
    """A 0-d input is one class (PyTorch accepts dim 0 or -1 and returns 1 or 0)."""
    if x.ndim == 0:
        as_axis(axis, 1)
        return x.reshape(1), 0
    return x, as_axis(axis, x.ndim)


def softmax(x: Any, axis: int = -1) -> np.ndarray:
    """Softmax ``exp(x_c - max x) / sum exp(x - max x)`` along ``axis``.

    ``x_c - max x`` is carried exactly (TwoSum), so a tiny probability ``exp(-700)`` keeps its
    full relative accuracy. An empty input gives an empty result, as in PyTorch.

    Args:
        x: logits (floating).
        axis: the class axis.

    Returns:
        Probabilities that sum to 1 along ``axis``, in ``x``'s dtype.
    """
    values, dtype = _float_input(x, "x")
    flat, index = _class_axis(values, axis)
    return round_to(_softmax64(flat, index).reshape(values.shape), dtype)


def log_softmax(x: Any, axis: int = -1) -> np.ndarray:
    """Log-softmax ``x_c - max x - log sum exp(x - max x)`` along ``axis``, a few ulp accurate.

    Args:
        x: logits (floating).
        axis: the class axis.

    Returns:
        Log-probabilities along ``axis``, in ``x``'s dtype (empty for an empty input).
    """
    values, dtype = _float_input(x, "x")
    flat, index = _class_axis(values, axis)
    return round_to(_log_softmax64(flat, index).reshape(values.shape), dtype)


def _reduce(values: np.ndarray, reduction: str, denominator: Any) -> np.ndarray:
    if reduction == "none":
        return values
    with np.errstate(all="ignore"):  # overflow to inf and the mean's 0 / 0 are IEEE's answers
        total = np.sum(values)
        return np.asarray(total if reduction == "sum" else total / denominator)


def _class_weight(weight: Any, classes: int) -> np.ndarray:
    if weight is None:
        return np.ones(classes)
    w, _ = floating_input(weight, "weight", integers="promote")
    if w.shape != (classes,):
        raise ValueError(f"weight must have shape ({classes},), got {w.shape}")
    return w


def _as_batch(logits: Any, name: str) -> tuple[np.ndarray, np.dtype, bool]:
    """Return logits as float64 ``(N, C, *d)``, their dtype, and whether they were ``(C,)``."""
    x, dtype = _float_input(logits, name)
    if x.ndim == 0:
        raise ValueError(f"{name} must have at least 1 dimension (C,) or (N, C, ...)")
    if x.shape[x.ndim > 1] == 0:
        raise ValueError(f"{name} must have at least one class, got shape {x.shape}")
    if x.ndim == 1:
        return x[None, :], dtype, True
    return x, dtype, False


def _target_masses(
    x: np.ndarray,
    target: Any,
    weight: Any,
    ignore_index: int,
    label_smoothing: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Return ``(a, denominator_terms, kept)`` with ``a`` shaped like ``x``.

    ``a[n, c]`` is the mass the loss puts on ``-log p[n, c]``; ``denominator_terms`` holds what
    the ``"mean"`` reduction divides by, per sample; ``kept`` marks the samples whose class
    index is not ``ignore_index`` (None for probability targets).
    """
    classes = x.shape[1]
    w = _class_weight(weight, classes)
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
        safe = np.where(keep, t, 0).astype(np.intp)
        onehot = np.moveaxis(np.eye(classes)[safe], -1, 1)
        w_target = w[safe] * keep
        smooth = (1.0 - label_smoothing) * onehot * w_b + (label_smoothing / classes) * w_b
        masses = smooth * np.expand_dims(keep, 1)
        return masses, w_target, keep
    if t.dtype.kind == "b":
        raise TypeError("target must hold class indices (ints) or probabilities (floats), got bool")
    t, _ = floating_input(t, "target")
    if t.shape != x.shape:
        raise ValueError(f"target of probabilities must have shape {x.shape}, got {t.shape}")
    probs = t.astype(np.float64) * (1.0 - label_smoothing) + label_smoothing / classes
    return probs * w_b, np.ones(t.shape[:1] + t.shape[2:]), None


def _check_common(reduction: Any, label_smoothing: Any, ignore_index: Any) -> tuple[str, float, int]:
    reduction = as_choice(reduction, "reduction", REDUCTIONS)
    smoothing = as_real(label_smoothing, "label_smoothing")
    if not 0.0 <= smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {smoothing}")
    return reduction, smoothing, as_int(ignore_index, "ignore_index")


def _cross_entropy_parts(
    logits: Any, target: Any, weight: Any, ignore_index: Any, reduction: Any, label_smoothing: Any, name: str
) -> tuple[np.ndarray, np.dtype, bool, np.ndarray, np.ndarray, np.ndarray | None, str]:
    reduction, smoothing, ignore = _check_common(reduction, label_smoothing, ignore_index)
    x, dtype, unbatched = _as_batch(logits, name)
    if unbatched:
        target = np.asarray(target)[None, ...]
    masses, denominators, kept = _target_masses(x, target, weight, ignore, smoothing)
    return x, dtype, unbatched, masses, denominators, kept, reduction


def _weighted_log_terms(masses: np.ndarray, log_probs: np.ndarray) -> np.ndarray:
    """``-sum_c a_c log p_c`` with ``0 * log 0 = 0``: a class of mass 0 contributes nothing."""
    with np.errstate(all="ignore"):  # a sum beyond the float range is inf, correctly
        return -np.sum(np.where(masses != 0, masses * log_probs, 0.0), axis=1)


def _mean_denominator(denominators: np.ndarray) -> float:
    return float(np.sum(denominators))


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
    eps / C)`` for probabilities ``t``; a class of mass 0 contributes 0 even where its
    log-probability is -inf. ``"mean"`` divides by ``W = sum_n w_{y_n}`` over kept samples
    (indices) or by the number of samples (probabilities), as PyTorch does.

    Args:
        logits: ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)``, floating.
        target: int class indices ``(N, d1, ...)`` or float probabilities shaped like logits.
        weight: optional per-class weights ``(C,)``.
        ignore_index: class index that contributes nothing (indices only).
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
        label_smoothing: ``eps`` in [0, 1].

    Returns:
        The loss in the logits' dtype: a 0-d array, or per-sample losses for ``"none"``. The
        mean is NaN when ``W = 0`` (every sample ignored, or zero weight on every kept
        target), as in PyTorch.

    References:
        ``torch.nn.functional.cross_entropy``; Szegedy et al. (2016), Sec. 7 (label smoothing).
    """
    x, dtype, unbatched, masses, denominators, kept, reduction = _cross_entropy_parts(
        logits, target, weight, ignore_index, reduction, label_smoothing, "logits"
    )
    per_sample = _weighted_log_terms(masses, _log_softmax64(x, 1))
    total = _mean_denominator(denominators)
    if reduction == "mean" and kept is not None and total == 0:
        loss = np.asarray(np.nan)
    else:
        loss = _reduce(per_sample, reduction, total)
    return round_to(loss[0] if unbatched and reduction == "none" else loss, dtype)


def cross_entropy_grad(
    logits: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """Gradient of :func:`cross_entropy` with respect to the logits.

    Formula: ``A softmax(x) - a`` per sample (``A = sum_c a_c``), divided as the reduction
    divides (for ``"none"``, the gradient of the sum of the per-sample losses). Where
    ``p_c >= 1/2`` it is evaluated as ``(A - a_c) - A (1 - p_c)`` with ``1 - p_c`` summed from
    the other classes, so a confident correct prediction keeps its tiny gradient. For the mean
    with ``W = 0`` the gradient is NaN on kept samples and 0 on ignored ones, as in PyTorch.

    Args:
        logits: as for :func:`cross_entropy`.
        target: as for :func:`cross_entropy`.
        weight: as for :func:`cross_entropy`.
        ignore_index: as for :func:`cross_entropy`.
        reduction: as for :func:`cross_entropy`.
        label_smoothing: as for :func:`cross_entropy`.

    Returns:
        An array shaped like ``logits``, in their dtype.
    """
    x, dtype, unbatched, masses, denominators, kept, reduction = _cross_entropy_parts(
        logits, target, weight, ignore_index, reduction, label_smoothing, "logits"
    )
    grad = _softmax_gradient(x, masses)
    if reduction == "mean":
        total = _mean_denominator(denominators)
        if kept is not None and total == 0:
            grad = np.where(np.expand_dims(kept, 1), np.nan, 0.0) * np.ones_like(grad)
        else:
            with np.errstate(all="ignore"):
                grad = grad / total
    return round_to(grad[0] if unbatched else grad, dtype)


def _softmax_gradient(x: np.ndarray, masses: np.ndarray) -> np.ndarray:
    """``A p - a`` along axis 1, with ``1 - p`` summed from the other classes where ``p >= 1/2``."""
    if x.size == 0:
        return np.zeros_like(x)
    with np.errstate(all="ignore"):
        hi, lo, rest = _shifted_terms(x, 1)
        p = _probabilities(hi, lo, rest)
        others = rest / (1.0 + rest)  # (S - 1) / S: the mass of the classes but the maximum
        total_mass = np.sum(masses, axis=1, keepdims=True)
        direct = total_mass * p - masses
        complement = (total_mass - masses) - total_mass * others
        return np.where(p >= 0.5, complement, direct)


def nll_loss(
    log_probs: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> np.ndarray:
    """Negative log-likelihood of class indices given log-probabilities.

    Formula: ``-w_y log_probs[y]`` per sample; ``"mean"`` divides by ``sum w_y`` over samples
    whose target is not ``ignore_index`` (NaN when that sum is 0, as in PyTorch).

    Args:
        log_probs: ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)`` log-probabilities, floating.
        target: int class indices ``(N, d1, ...)``.
        weight: optional per-class weights ``(C,)``.
        ignore_index: class index that contributes nothing.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        The loss (0-d, or per sample for ``"none"``), in the input's dtype.

    References:
        ``torch.nn.functional.nll_loss``.
    """
    reduction, _, ignore = _check_common(reduction, 0.0, ignore_index)
    x, dtype, unbatched = _as_batch(log_probs, "log_probs")
    t = np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"target must hold integer class indices, got dtype {t.dtype}")
    if unbatched:
        t = t[None, ...]
    masses, denominators, _ = _target_masses(x, t, weight, ignore, 0.0)
    per_sample = _weighted_log_terms(masses, x)
    total = _mean_denominator(denominators)
    loss = np.asarray(np.nan) if reduction == "mean" and total == 0 else _reduce(per_sample, reduction, total)
    return round_to(loss[0] if unbatched and reduction == "none" else loss, dtype)


def _elementwise_weight(weight: Any, shape: tuple[int, ...], name: str) -> np.ndarray | float:
    """A weight that broadcasts *to* ``shape`` (PyTorch refuses one that would enlarge it)."""
    if weight is None:
        return 1.0
    w, _ = floating_input(weight, name, integers="promote")
    try:
        broadcast = np.broadcast_shapes(w.shape, shape)
    except ValueError as error:
        raise ValueError(f"{name} of shape {w.shape} does not broadcast to {shape}") from error
    if broadcast != shape:
        raise ValueError(f"{name} of shape {w.shape} would broadcast the input {shape} to {broadcast}")
    return w


def _binary_target(target: Any, shape: tuple[int, ...]) -> np.ndarray:
    t, _ = floating_input(target, "target")
    if t.shape != shape:
        raise ValueError(f"target must have the input's shape {shape}, got {t.shape}")
    return t


def binary_cross_entropy(probs: Any, target: Any, weight: Any = None, reduction: str = "mean") -> np.ndarray:
    """Binary cross-entropy of probabilities, with PyTorch's log clamp at -100.

    Formula: ``-w [t max(log p, -100) + (1 - t) max(log(1 - p), -100)]``; so a confident wrong
    prediction costs at most 100 per element (``BCELoss`` docs).

    Args:
        probs: probabilities in [0, 1], floating.
        target: targets in [0, 1], shaped like ``probs``.
        weight: optional elementwise weight, broadcastable to ``probs``' shape.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        The loss, in ``probs``' dtype (the mean of an empty input is NaN, as in PyTorch).

    Raises:
        ValueError: probabilities outside [0, 1] (PyTorch: "all elements of input should be
            between 0 and 1").
    """
    reduction = as_choice(reduction, "reduction", REDUCTIONS)
    p, dtype = _float_input(probs, "probs")
    if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
        raise ValueError("all elements of probs should be between 0 and 1")
    t = _binary_target(target, p.shape)
    w = _elementwise_weight(weight, p.shape, "weight")
    with np.errstate(all="ignore"):  # log 0 = -inf is clamped; a huge weight overflows to inf
        log_p = np.maximum(np.log(p), _BCE_LOG_CLAMP)
        log_not_p = np.maximum(np.log1p(-p), _BCE_LOG_CLAMP)
        loss = -(t * log_p + (1.0 - t) * log_not_p) * w
        return round_to(_reduce(np.asarray(loss), reduction, loss.size), dtype)


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
        logits: any real array, floating.
        target: targets in [0, 1], shaped like ``logits``.
        weight: optional elementwise weight, broadcastable to ``logits``' shape.
        pos_weight: optional weight of the positive term, broadcastable to ``logits``' shape.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        The loss, in the logits' dtype.

    References:
        ``torch.nn.functional.binary_cross_entropy_with_logits``; TensorFlow
        ``sigmoid_cross_entropy_with_logits`` (derivation in its docstring).
    """
    reduction = as_choice(reduction, "reduction", REDUCTIONS)
    x, dtype = _float_input(logits, "logits")
    t = _binary_target(target, x.shape)
    pos = _elementwise_weight(pos_weight, x.shape, "pos_weight")
    w = _elementwise_weight(weight, x.shape, "weight")
    with np.errstate(all="ignore"):
        positive = np.where(t != 1, (1.0 - t) * acc.log1pexp(x), 0.0)
        negative = np.where(t != 0, pos * t * acc.log1pexp(-x), 0.0)
        loss = (positive + negative) * w
        return round_to(_reduce(np.asarray(loss), reduction, loss.size), dtype)


def binary_cross_entropy_with_logits_grad(
    logits: Any,
    target: Any,
    weight: Any = None,
    pos_weight: Any = None,
    reduction: str = "mean",
) -> np.ndarray:
    """Gradient of :func:`binary_cross_entropy_with_logits` with respect to the logits.

    Formula: ``w [(1 - t) sigmoid(x) - pw t sigmoid(-x)]`` (``= w (sigmoid(x) - t)`` for
    ``pw = 1``), each product rounded once among the subnormals, so that ``t = 0`` gives
    ``sigmoid(x)`` to a few ulp down to ``x = -745`` (``1 - sigmoid(-x)`` is 0 below
    ``x = -37``); divided by the number of elements for ``"mean"``.

    Args:
        logits: as for :func:`binary_cross_entropy_with_logits`.
        target: as for :func:`binary_cross_entropy_with_logits`.
        weight: as for :func:`binary_cross_entropy_with_logits`.
        pos_weight: as for :func:`binary_cross_entropy_with_logits`.
        reduction: as for :func:`binary_cross_entropy_with_logits`.

    Returns:
        An array shaped like ``logits``, in their dtype.
    """
    reduction = as_choice(reduction, "reduction", REDUCTIONS)
    x, dtype = _float_input(logits, "logits")
    t = _binary_target(target, x.shape)
    pos = _elementwise_weight(pos_weight, x.shape, "pos_weight")
    w = _elementwise_weight(weight, x.shape, "weight")
    with np.errstate(all="ignore"):
        grad = acc.times_expit((1.0 - t) * w, x) - acc.times_expit(pos * t * w, -x)
        if reduction == "mean":
            grad = grad / grad.size
    return round_to(np.asarray(grad), dtype)


def entropy(p: Any, axis: int = -1) -> np.ndarray:
    """Shannon entropy ``H(P) = -sum p log p`` (nats), with ``0 log 0 = 0``.

    Args:
        p: probabilities along ``axis``, floating.
        axis: the distribution's axis.

    Returns:
        The entropy, reduced over ``axis``, in ``p``'s dtype.
    """
    values, dtype = _float_input(p, "p")
    flat, index = _class_axis(values, axis)
    with np.errstate(all="ignore"):
        return round_to(np.sum(special.entr(flat), axis=index), dtype)


def kl_divergence(p: Any, q: Any, axis: int = -1) -> np.ndarray:
    """Kullback-Leibler divergence ``KL(P || Q) = sum p log(p / q)`` (nats).

    Args:
        p: probabilities along ``axis``, floating.
        q: probabilities along ``axis``, same shape.
        axis: the distribution's axis.

    Returns:
        ``KL >= 0``, zero iff ``P = Q``; ``inf`` where ``q = 0 < p``; in ``p``'s dtype.
    """
    p_values, dtype = _float_input(p, "p")
    q_values, _ = _float_input(q, "q")
    if p_values.shape != q_values.shape:
        raise ValueError(f"p and q must have the same shape, got {p_values.shape} and {q_values.shape}")
    flat, index = _class_axis(p_values, axis)
    with np.errstate(all="ignore"):
        return round_to(np.sum(special.rel_entr(flat, q_values.reshape(flat.shape)), axis=index), dtype)
