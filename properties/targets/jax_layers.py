"""JAX's layers for the jax target: ``jax.nn.standardize`` as LayerNorm/BatchNorm, and attention.

Each function has impls' signature and only translates: impls' normalized axes into
``standardize``'s ``axis``, the query/key layout ``(..., L, E)`` into
``jax.nn.dot_product_attention``'s ``(B, L, N, H)``, NumPy in and out, under
``jax.enable_x64(True)`` so that float64 stays float64. Gradients are ``jax.vjp`` through the same
function. Flax (whose ``LayerNorm``, ``RMSNorm``, ``BatchNorm`` and attention modules build on
these) is not a dependency of the suite.

Semantics assumed (JAX 0.10.2, https://github.com/jax-ml/jax/blob/main/jax/_src/nn/functions.py):

- ``standardize(x, axis, epsilon=eps, algorithm="stable")`` is ``(x - mean) * rsqrt(var + eps)``
  with the mean and the *biased* variance ``mean((x - mean)^2)`` over ``axis``: PyTorch's
  ``F.layer_norm`` without ``weight``/``bias`` over the trailing axes, and ``F.batch_norm`` in
  training mode without them over every axis but the channels (axis 1); ``eps`` is added to the
  variance inside the root in both. The default ``algorithm="fast"`` is a different, documented
  approximation (``mean(x^2) - mean(x)^2`` clipped at 0, "can suffer from catastrophic
  cancellation"), not impls' LayerNorm: it is not what these names translate to.
- ``standardize`` has no affine parameters: a ``weight`` or ``bias`` is not applicable (applying
  ``weight * y + bias`` here would make the adapter's own arithmetic the thing verified, e.g. the
  zero-gamma block's output). There is no RMSNorm in ``jax.nn``
  (``standardize(x, mean=0)`` happens to give one, but its docstring says the variance is then
  still ``x.var(axis)``): ``rms_norm`` is not supplied.
- ``dot_product_attention(q, k, v, scale=..., return_residual=True)`` returns the attended
  values and the log-sum-exp of the logits over the keys; the logits ``q k^T * scale`` (default
  scale ``1/sqrt(H)``) are computed in the inputs' precision, then the softmax and the
  log-sum-exp "always" in float32 (``_dot_product_attention_core``). Over a single key the
  log-sum-exp is that key's logit, so ``attention_scores`` is supplied for one key only, its
  values rounded to float32. ``value`` must have the keys' last dimension (``d_v = d_k``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import impls
from impls._validation import as_float_array
from impls.normalization import _axes, _channel_axes, _eps
from properties.targets import _adapting as ad

NAME = "jax"


def _no_affine(weight: Any, bias: Any = None) -> None:
    if weight is not None or bias is not None:
        raise ad.unsupported(
            NAME,
            "jax.nn.standardize has no weight or bias; applying them here would verify the adapter's "
            "arithmetic, not JAX's",
        )


_STANDARDIZE = (
    "jax.nn.standardize({x}, axis={axes}, epsilon=jnp.asarray({eps}, dtype={dtype}), algorithm='stable')"
)
""":func:`_standardize` as a logged template (:func:`properties.targets._adapting.log_call`)."""


def _standardize(x: jax.Array, axes: tuple[int, ...], eps: jax.Array) -> jax.Array:
    """``jax.nn.standardize(x, axes, epsilon=eps, algorithm="stable")`` (itself a ``jax.jit``)."""
    # JAX's jit wrapper hides the keyword-only ``algorithm`` from type checkers
    return jax.nn.standardize(x, axis=axes, epsilon=eps, algorithm="stable")  # type: ignore[call-arg]


def _forward(x: np.ndarray, axes: tuple[int, ...], eps: float) -> np.ndarray:
    with jax.enable_x64(True):
        given = jnp.asarray(x)
        ad.log_jax_call(_STANDARDIZE, x=given, axes=axes, eps=eps, dtype=x.dtype.name)
        y = _standardize(given, axes, jnp.asarray(eps, dtype=x.dtype))
        return np.asarray(y, dtype=x.dtype)


def _backward(x: np.ndarray, grad_y: Any, axes: tuple[int, ...], eps: float) -> np.ndarray:
    """``jax.vjp`` of ``standardize`` at ``x`` for the upstream gradient ``grad_y``."""
    g = as_float_array(grad_y, "grad_y")
    if g.shape != x.shape:
        raise ValueError(f"grad_y must have x's shape {x.shape}, got {g.shape}")
    dtype = np.result_type(x, g)
    with jax.enable_x64(True):
        epsilon = jnp.asarray(eps, dtype=dtype)
        given, upstream = jnp.asarray(x, dtype=dtype), jnp.asarray(g, dtype=dtype)
        ad.log_jax_call(
            f"jax.vjp(lambda t: {_STANDARDIZE.replace('{x}', 't')}, {{x}})[1]({{g}})[0]",
            x=given,
            g=upstream,
            axes=axes,
            eps=eps,
            dtype=dtype.name,
        )
        _, pullback = jax.vjp(lambda t: _standardize(t, axes, epsilon), given)
        (grad_x,) = pullback(upstream)
        return np.asarray(grad_x, dtype=dtype)


@ad.same_signature(impls.layer_norm)
def layer_norm(
    x: Any, normalized_shape: Sequence[int] | int, weight: Any = None, bias: Any = None, eps: float = 1e-5
) -> np.ndarray:
    """``jax.nn.standardize`` over the trailing ``normalized_shape`` axes (no weight, no bias)."""
    array = as_float_array(x, "x")
    axes = _axes(array, normalized_shape)
    _no_affine(weight, bias)
    return _forward(array, axes, _eps(eps))


@ad.same_signature(impls.layer_norm_backward)
def layer_norm_backward(
    x: Any, grad_y: Any, normalized_shape: Sequence[int] | int, weight: Any = None, eps: float = 1e-5
) -> tuple[np.ndarray, None, None]:
    """``jax.vjp`` through :func:`layer_norm`: ``(grad_x, None, None)``."""
    array = as_float_array(x, "x")
    axes = _axes(array, normalized_shape)
    _no_affine(weight)
    return _backward(array, grad_y, axes, _eps(eps)), None, None


@ad.same_signature(impls.batch_norm)
def batch_norm(x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> np.ndarray:
    """``jax.nn.standardize`` over the batch and spatial axes (training-mode statistics)."""
    array = as_float_array(x, "x")
    axes = _channel_axes(array)
    _no_affine(weight, bias)
    return _forward(array, axes, _eps(eps))


@ad.same_signature(impls.batch_norm_backward)
def batch_norm_backward(
    x: Any, grad_y: Any, weight: Any = None, eps: float = 1e-5
) -> tuple[np.ndarray, None, None]:
    """``jax.vjp`` through :func:`batch_norm`: ``(grad_x, None, None)``."""
    array = as_float_array(x, "x")
    axes = _channel_axes(array)
    _no_affine(weight)
    return _backward(array, grad_y, axes, _eps(eps)), None, None


# --------------------------------------------------------------------------------------------
# Attention
# --------------------------------------------------------------------------------------------


def _heads_layout(query: Any, key: Any) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """``query`` ``(..., L, E)`` and ``key`` ``(..., S, E)`` as ``(B, L, 1, E)`` and ``(B, S, 1, E)``."""
    q, k, batch = ad.query_key_batch(query, key)
    count = math.prod(batch)
    return q.reshape(count, q.shape[-2], 1, q.shape[-1]), k.reshape(count, k.shape[-2], 1, k.shape[-1]), batch


def _attention_call(scale: float | None, residual: bool) -> str:
    """:func:`_attention`'s function as source text (for a logged call)."""
    options = ad.keywords(scale=scale, **({"return_residual": True} if residual else {}))
    return f"jax.jit(lambda q, k, v: jax.nn.dot_product_attention(q, k, v{options}))"


@functools.lru_cache(maxsize=8)
def _attention(scale: float | None, residual: bool) -> Callable[..., Any]:
    """``jax.jit`` of ``dot_product_attention`` with ``scale``, returning the log-sum-exp or not."""
    if residual:
        return jax.jit(
            lambda q, k, v: jax.nn.dot_product_attention(q, k, v, scale=scale, return_residual=True)
        )
    return jax.jit(lambda q, k, v: jax.nn.dot_product_attention(q, k, v, scale=scale))


@ad.same_signature(impls.attention_scores)
def attention_scores(query: Any, key: Any, scale: float | None = None) -> np.ndarray:
    """The logit of a single key: ``dot_product_attention``'s log-sum-exp over the keys (float32)."""
    q, k, batch = _heads_layout(query, key)
    if k.shape[1] != 1:
        raise ad.unsupported(
            NAME,
            "jax.nn.dot_product_attention returns the logits only as their log-sum-exp over the keys, "
            f"which is the logit for one key only, got {k.shape[1]} keys",
        )
    positive = ad.positive_scale(scale)
    shape = (*batch, q.shape[1], 1)
    with jax.enable_x64(True):
        given_q, given_k = jnp.asarray(q), jnp.asarray(k)
        ad.log_jax_call(
            f"{_attention_call(positive, True)}({{q}}, (k := {{k}}), jnp.zeros_like(k))[1]"
            ".astype({dtype}).reshape({shape})",
            q=given_q,
            k=given_k,
            dtype=q.dtype.name,
            shape=shape,
        )
        _, logsumexp = _attention(positive, True)(given_q, given_k, jnp.zeros_like(given_k))
        return np.asarray(logsumexp, dtype=q.dtype).reshape(shape)


@ad.same_signature(impls.scaled_dot_product_attention)
def scaled_dot_product_attention(query: Any, key: Any, value: Any, scale: float | None = None) -> np.ndarray:
    """``jax.nn.dot_product_attention(query, key, value, scale=scale)`` (one head, ``d_v = d_k``)."""
    q, k, batch = _heads_layout(query, key)
    v = as_float_array(value, "value")
    if v.ndim < 2 or v.shape[-2] != k.shape[1]:
        raise ValueError(f"value must have shape (..., {k.shape[1]}, d_v), got {v.shape}")
    if v.shape[-1] != k.shape[-1]:
        raise ad.unsupported(
            NAME, f"jax.nn.dot_product_attention needs d_v = d_k, got {v.shape[-1]} and {k.shape[-1]}"
        )
    dtype = np.result_type(q, v)
    v = np.broadcast_to(v, (*batch, *v.shape[-2:])).astype(dtype).reshape(k.shape)
    positive = ad.positive_scale(scale)
    shape = (*batch, q.shape[1], q.shape[-1])
    with jax.enable_x64(True):
        given = [jnp.asarray(a, dtype=dtype) for a in (q, k, v)]
        ad.log_jax_call(
            f"{_attention_call(positive, False)}({{q}}, {{k}}, {{v}}).reshape({{shape}})",
            q=given[0],
            k=given[1],
            v=given[2],
            shape=shape,
        )
        out = _attention(positive, False)(*given)
        return np.asarray(out, dtype=dtype).reshape(shape)


FUNCTIONS: dict[str, Any] = {
    "layer_norm": layer_norm,
    "layer_norm_backward": layer_norm_backward,
    "batch_norm": batch_norm,
    "batch_norm_backward": batch_norm_backward,
    "attention_scores": attention_scores,
    "scaled_dot_product_attention": scaled_dot_product_attention,
}
"""The public names this module supplies to the jax target."""
