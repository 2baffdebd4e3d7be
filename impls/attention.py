"""Scaled dot-product attention: the scores ``q k^T / sqrt(d_k)`` and the attention itself.

Semantics are PyTorch's ``torch.nn.functional.scaled_dot_product_attention`` without masks or
dropout: queries ``(..., L, d_k)``, keys ``(..., S, d_k)``, values ``(..., S, d_v)``; the default
scale is ``1 / sqrt(d_k)``.

References: Vaswani et al. (2017), "Attention is all you need", NeurIPS, arXiv:1706.03762,
Sec. 3.2.1, eq. (1).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from impls._validation import as_float_array, as_real
from impls.losses import softmax


def _scale(scale: Any, d_k: int) -> float:
    if scale is None:
        return 1.0 / math.sqrt(d_k)
    value = as_real(scale, "scale")
    if value <= 0:
        raise ValueError(f"scale must be > 0, got {value}")
    return value


def _query_and_key(query: Any, key: Any) -> tuple[np.ndarray, np.ndarray]:
    """``query`` ``(..., L, d_k)`` and ``key`` ``(..., S, d_k)`` as float arrays; a named ValueError
    if either has fewer than 2 dimensions or their last dimensions differ or are 0."""
    q, k = as_float_array(query, "query"), as_float_array(key, "key")
    if q.ndim < 2 or k.ndim < 2:
        raise ValueError(f"query and key must have at least 2 dimensions, got {q.shape} and {k.shape}")
    if q.shape[-1] != k.shape[-1] or q.shape[-1] < 1:
        raise ValueError(
            f"query and key must share a positive last dimension d_k, got {q.shape} and {k.shape}"
        )
    return q, k


def attention_scores(query: Any, key: Any, scale: float | None = None) -> np.ndarray:
    """The attention logits ``q k^T * scale``.

    Formula: ``scores[..., i, j] = scale * sum_d q[..., i, d] k[..., j, d]``, scale ``1/sqrt(d_k)``
    by default (Vaswani et al. 2017, Sec. 3.2.1: for unit-variance entries ``q . k`` has
    variance ``d_k``).

    Args:
        query: ``(..., L, d_k)``.
        key: ``(..., S, d_k)``, batch dimensions broadcastable with the query's.
        scale: a positive factor, or None for ``1 / sqrt(d_k)``.

    Returns:
        The scores ``(..., L, S)``.

    References:
        Vaswani et al. (2017), arXiv:1706.03762, eq. (1).
    """
    q, k = _query_and_key(query, key)
    dtype = np.result_type(q, k)
    factor = _scale(scale, q.shape[-1])
    with np.errstate(all="ignore"):  # inf/NaN inputs propagate, as in PyTorch
        scores = (q.astype(np.float64) @ np.swapaxes(k.astype(np.float64), -1, -2)) * factor
        out = scores.astype(dtype)
    finite_inputs = bool(np.all(np.isfinite(q)) and np.all(np.isfinite(k)))
    if finite_inputs and not np.all(np.isfinite(out)):
        raise ValueError(f"query and key: the scores overflow {np.dtype(dtype).name}")
    return out


def scaled_dot_product_attention(query: Any, key: Any, value: Any, scale: float | None = None) -> np.ndarray:
    """Attention: ``softmax(q k^T * scale) v``, the softmax over the keys.

    Args:
        query: ``(..., L, d_k)``.
        key: ``(..., S, d_k)``.
        value: ``(..., S, d_v)``.
        scale: a positive factor, or None for ``1 / sqrt(d_k)``.

    Returns:
        The attended values ``(..., L, d_v)``.

    References:
        Vaswani et al. (2017), arXiv:1706.03762, eq. (1);
        ``torch.nn.functional.scaled_dot_product_attention``.
    """
    v = as_float_array(value, "value")
    scores = attention_scores(query, key, scale)
    if v.ndim < 2 or v.shape[-2] != scores.shape[-1]:
        raise ValueError(f"value must have shape (..., {scores.shape[-1]}, d_v), got {v.shape}")
    weights = softmax(scores, axis=-1)
    with np.errstate(all="ignore"):  # inf/NaN inputs propagate, as in PyTorch
        out = (weights.astype(np.float64) @ v.astype(np.float64)).astype(np.result_type(weights, v))
    if np.all(np.isfinite(v)) and np.all(np.isfinite(weights)) and not np.all(np.isfinite(out)):
        raise ValueError(f"value: the attended values overflow {out.dtype.name}")
    return out
