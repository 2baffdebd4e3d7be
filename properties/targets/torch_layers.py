"""PyTorch's layers for the torch target: ``nn.TransformerEncoder(Layer)`` and the attention logits.

Each function has impls' signature and only translates: impls' parameter dicts (PyTorch's
``state_dict`` names without the ``self_attn.`` prefix) become the parameters of one
``nn.TransformerEncoder`` run by ``torch.func.functional_call``; gradients are
``torch.autograd.grad`` through that same forward pass; NumPy in and out, float64.

Semantics assumed (PyTorch 2.13, https://github.com/pytorch/pytorch/blob/main/torch/nn/modules/transformer.py):

- ``TransformerEncoderLayer(d, nhead, f, dropout=0.0, activation, layer_norm_eps=eps,
  batch_first=True, norm_first)`` in training mode (so never the fused inference "fast path"):
  Post-LN ``x = norm1(x + SA(x)); x = norm2(x + FF(x))``, Pre-LN ``x = x + SA(norm1(x));
  x = x + FF(norm2(x))`` (``TransformerEncoderLayer.forward``); ``F.dropout(p=0)`` returns its
  input unchanged. The skip path has no scale: DeepNorm's ``alpha != 1`` is not applicable.
- ``TransformerEncoder(layer, depth, norm)`` runs ``depth`` layers of the same shape, then
  ``norm`` (the Pre-LN stack's final LayerNorm).
- The branch outputs ``SA(.)`` and ``FF(.)`` and the stream between the sublayers are the
  module's own tensors, read by forward hooks on ``self_attn``, ``linear2`` and the input of
  ``linear1`` (Post-LN) or ``norm2`` (Pre-LN); nothing is recomputed here.
- Attention logits: no public PyTorch function returns ``q k^T * scale``
  (``F.scaled_dot_product_attention`` returns ``softmax(.) v``, ``nn.MultiheadAttention`` the
  softmax weights). On CPU ``F.scaled_dot_product_attention`` dispatches to
  ``aten::_scaled_dot_product_flash_attention_for_cpu`` (private, but the kernel every CPU call
  runs), which returns ``(output, logsumexp)``: the log-sum-exp of the scores over the keys,
  default scale ``1/sqrt(E)``
  (https://github.com/pytorch/pytorch/blob/main/aten/src/ATen/native/cpu/FlashAttentionKernel.cpp).
  Over a single key the log-sum-exp *is* that key's score (``m + log(exp(0)) = m``), so
  ``attention_scores`` is supplied for one key only and refused for more. (``flex_attention``'s
  ``lse`` would do the same through a different, traced code path: 1.5 s to start, 0.2 s a shape.)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import functional_call

import impls
from impls._validation import as_float_array
from impls.transformer import _check_params, _final_norm, _heads, _settings
from properties.targets import _adapting as ad

NAME = "torch"


def _torch_name(name: str) -> str:
    """impls' parameter name as ``TransformerEncoderLayer.state_dict``'s (attention under ``self_attn.``)."""
    return f"self_attn.{name}" if name.startswith(("in_proj", "out_proj")) else name


def _layer_options(norm_first: bool, activation: str, eps: float) -> dict[str, Any]:
    """``nn.TransformerEncoderLayer``'s keywords here: no dropout, batch first, the caller's
    activation, LayerNorm eps and order (for :func:`_encoder` and its logged line alike)."""
    return {
        "dropout": 0.0,
        "activation": activation,
        "layer_norm_eps": eps,
        "batch_first": True,
        "norm_first": norm_first,
    }


def _encoder_call(
    d: int, f: int, nhead: int, depth: int, norm_first: bool, activation: str, eps: float, final: bool
) -> str:
    """The statement ``enc = ...`` that builds :func:`_encoder`'s module (for a logged call)."""
    options = _layer_options(norm_first, activation, eps)
    layer = ad.call_text(
        "torch.nn.TransformerEncoderLayer", d, nhead, f, **options, dtype=ad.code("torch.float64")
    )
    norm = (
        ad.code(ad.call_text("torch.nn.LayerNorm", d, eps=eps, dtype=ad.code("torch.float64")))
        if final
        else None
    )
    encoder = ad.call_text(
        "torch.nn.TransformerEncoder", ad.code(layer), depth, norm=norm, enable_nested_tensor=False
    )
    return f"enc = {encoder}.train()".replace("{", "{{").replace("}", "}}")


@functools.lru_cache(maxsize=32)
def _encoder(
    d: int, f: int, nhead: int, depth: int, norm_first: bool, activation: str, eps: float, final: bool
) -> torch.nn.TransformerEncoder:
    """One ``nn.TransformerEncoder`` per configuration, in training mode with dropout 0.

    Its own parameters are never used (``functional_call`` supplies the caller's); they are
    drawn inside ``fork_rng`` so that building it leaves PyTorch's global generator alone.
    """
    with torch.random.fork_rng(devices=[]):
        options = _layer_options(norm_first, activation, eps)
        layer = torch.nn.TransformerEncoderLayer(d, nhead, f, **options, dtype=torch.float64)
        norm = torch.nn.LayerNorm(d, eps=eps, dtype=torch.float64) if final else None
        encoder = torch.nn.TransformerEncoder(layer, depth, norm=norm, enable_nested_tensor=False)
    return encoder.train()


class TorchTransformerCache(NamedTuple):
    """The record of one forward pass through ``nn.TransformerEncoder``, for the backward pass.

    Attributes:
        x: the input (NumPy, float64).
        out: the output tensor, still attached to autograd's graph.
        leaves: the input tensor, then per layer impls' name -> the parameter tensor given to
            ``functional_call`` (the graph's leaves).
        final_input: the input of the final LayerNorm (NumPy), or None without one.
        middle: the stream between the two sublayers of the first layer (NumPy).
        branches: ``(SA(.), FF(.))`` of the first layer, before the skip sums (NumPy).
        encoder_call: the statement that builds the encoder, as a logged line writes it.
        final: PyTorch's names of the final LayerNorm's parameters -> their tensors (not leaves).
    """

    x: np.ndarray
    out: torch.Tensor
    leaves: tuple[torch.Tensor, list[dict[str, torch.Tensor]]]
    final_input: np.ndarray | None
    middle: np.ndarray
    branches: tuple[np.ndarray, np.ndarray]
    encoder_call: str
    final: dict[str, torch.Tensor]


def _leaf(array: np.ndarray) -> torch.Tensor:
    """A float64 leaf of autograd's graph on ``array``'s memory when it is float64 (read only)."""
    return torch.from_numpy(np.require(array, np.float64, ["C", "W"])).requires_grad_()


def _run(
    layers: Sequence[Mapping[str, Any]],
    x: Any,
    nhead: Any,
    norm_first: Any,
    activation: Any,
    eps: Any,
    alpha: Any,
    final_norm: Any,
) -> tuple[np.ndarray, TorchTransformerCache]:
    """``nn.TransformerEncoder`` on impls' arguments (checked by impls' own validators)."""
    if isinstance(layers, Mapping) or not isinstance(layers, Sequence) or not layers:
        raise TypeError("layers must be a non-empty sequence of parameter dicts")
    checked = [_check_params(params) for params in layers]
    d, f = checked[0][1], checked[0][2]
    if any((dl, fl) != (d, f) for _, dl, fl in checked):
        raise ad.unsupported(NAME, "nn.TransformerEncoder repeats one layer shape: layers of several widths")
    heads = _heads(d, nhead)
    act, epsilon, skip = _settings(activation, eps, alpha)
    if skip != 1.0:
        raise ad.unsupported(
            NAME, f"nn.TransformerEncoderLayer has no scale on its skip path (DeepNorm's alpha = {skip})"
        )
    if not isinstance(norm_first, bool | np.bool_):
        raise TypeError(f"norm_first must be a bool, got {type(norm_first).__name__}: {norm_first!r}")
    a = as_float_array(x, "x").astype(np.float64)
    if a.ndim != 3 or a.shape[-1] != d:
        raise ValueError(f"x must have shape (batch, seq, {d}), got {a.shape}")
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"x must have at least one sequence of at least one token, got {a.shape}")
    final = _final_norm(final_norm, d)
    encoder = _encoder(d, f, heads, len(layers), bool(norm_first), act, epsilon, final is not None)

    per_layer = [{name: _leaf(array) for name, array in params.items()} for params, _, _ in checked]
    supplied = {
        f"layers.{i}.{_torch_name(name)}": tensor
        for i, tensors in enumerate(per_layer)
        for name, tensor in tensors.items()
    }
    final_tensors = {}
    if final is not None:
        final_tensors = {
            "norm.weight": torch.tensor(final[0], dtype=torch.float64),
            "norm.bias": torch.tensor(final[1], dtype=torch.float64),
        }
        supplied.update(final_tensors)
    encoder_call = _encoder_call(d, f, heads, len(layers), bool(norm_first), act, epsilon, final is not None)

    seen: dict[str, torch.Tensor] = {}
    first = encoder.layers[0]
    hooks = [
        first.self_attn.register_forward_hook(lambda m, i, o: seen.__setitem__("sa", o[0])),
        first.linear2.register_forward_hook(lambda m, i, o: seen.__setitem__("ff", o)),
        (first.norm2 if norm_first else first.linear1).register_forward_pre_hook(
            lambda m, i: seen.__setitem__("middle", i[0])
        ),
    ]
    if encoder.norm is not None:
        hooks.append(encoder.norm.register_forward_pre_hook(lambda m, i: seen.__setitem__("final", i[0])))
    x_leaf = _leaf(a)
    ad.log_array_call(
        f"{encoder_call}; torch.func.functional_call(enc, {{params}}, ({{x}},))", params=supplied, x=x_leaf
    )
    try:
        out = functional_call(encoder, supplied, (x_leaf,))
    finally:
        for hook in hooks:
            hook.remove()

    def numpy(t: torch.Tensor) -> np.ndarray:
        return t.detach().numpy().copy()

    cache = TorchTransformerCache(
        a,
        out,
        (x_leaf, per_layer),
        numpy(seen["final"]) if "final" in seen else None,
        numpy(seen["middle"]),
        (numpy(seen["sa"]), numpy(seen["ff"])),
        encoder_call,
        final_tensors,
    )
    return numpy(out), cache


def _gradients(
    layers: Sequence[Mapping[str, Any]], cache: Any, grad_out: Any
) -> tuple[list[dict[str, np.ndarray]], np.ndarray]:
    """``torch.autograd.grad`` of the cached forward pass for ``dLoss/dout = grad_out``."""
    if not isinstance(cache, TorchTransformerCache):
        raise TypeError(f"cache must be this target's forward cache, got {type(cache).__name__}")
    x_leaf, per_layer = cache.leaves
    if len(per_layer) != len(layers):
        raise ValueError("cache must be the forward cache of these layers")
    g = as_float_array(grad_out, "grad_out").astype(np.float64)
    if g.shape != tuple(cache.out.shape):
        raise ValueError(f"grad_out must have shape {tuple(cache.out.shape)}, got {g.shape}")
    names = [list(tensors) for tensors in per_layer]
    params = {
        f"layers.{i}.{_torch_name(name)}": tensor
        for i, tensors in enumerate(per_layer)
        for name, tensor in tensors.items()
    }
    ad.log_array_call(
        f"{cache.encoder_call}; x = {{x}}.requires_grad_(); params = {{params}}; "
        "[p.requires_grad_() for p in params.values()]; "
        "torch.autograd.grad(torch.func.functional_call(enc, {{**params, **{final}}}, (x,)), "
        "[x, *params.values()], {g})",
        x=x_leaf,
        params=params,
        final=cache.final,
        g=torch.from_numpy(g),
    )
    inputs = [x_leaf, *(t for tensors in per_layer for t in tensors.values())]
    grads = torch.autograd.grad(cache.out, inputs, torch.from_numpy(g), retain_graph=True)
    flat = iter(grad.numpy().copy() for grad in grads[1:])
    return [{name: next(flat) for name in layer} for layer in names], grads[0].numpy().copy()


@ad.same_signature(impls.transformer_layer_forward)
def transformer_layer_forward(
    params: Mapping[str, Any],
    x: Any,
    *,
    nhead: int,
    norm_first: bool = False,
    activation: str = "relu",
    eps: float = 1e-5,
    alpha: float = 1.0,
) -> tuple[np.ndarray, TorchTransformerCache]:
    """``nn.TransformerEncoderLayer(dropout=0, batch_first=True)`` on ``x``; ``alpha`` must be 1."""
    return _run([params], x, nhead, norm_first, activation, eps, alpha, None)


@ad.same_signature(impls.transformer_layer_backward)
def transformer_layer_backward(
    params: Mapping[str, Any], cache: Any, grad_out: Any
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``torch.autograd.grad`` through the cached layer: ``(grads by impls' name, dLoss/dx)``."""
    grads, grad_x = _gradients([params], cache, grad_out)
    return grads[0], grad_x


@ad.same_signature(impls.transformer_forward)
def transformer_forward(
    layers: Sequence[Mapping[str, Any]],
    x: Any,
    *,
    nhead: int,
    norm_first: bool = False,
    activation: str = "relu",
    eps: float = 1e-5,
    alpha: float = 1.0,
    final_norm: Any = None,
) -> tuple[np.ndarray, TorchTransformerCache]:
    """``nn.TransformerEncoder(layer, len(layers), norm)`` on ``x`` (``norm`` a LayerNorm with
    ``final_norm``'s parameters, or None); ``alpha`` must be 1."""
    return _run(layers, x, nhead, norm_first, activation, eps, alpha, final_norm)


@ad.same_signature(impls.transformer_backward)
def transformer_backward(
    layers: Sequence[Mapping[str, Any]], cache: Any, grad_out: Any
) -> tuple[list[dict[str, np.ndarray]], np.ndarray]:
    """``torch.autograd.grad`` through the cached stack: one grads dict per layer, and ``dLoss/dx``.

    The gradients are those of the forward pass the cache records (``layers`` is checked for its
    length only).
    """
    return _gradients(layers, cache, grad_out)


# --------------------------------------------------------------------------------------------
# Attention
# --------------------------------------------------------------------------------------------


_SDPA_KERNEL_NAME = "torch.ops.aten._scaled_dot_product_flash_attention_for_cpu"
_SDPA_KERNEL = ad.dotted(_SDPA_KERNEL_NAME)
"""The kernel ``F.scaled_dot_product_attention`` dispatches to on CPU (float32 and float64, no
mask, no dropout): it returns ``(output, logsumexp)`` and ``F.scaled_dot_product_attention`` keeps
the output only."""


@ad.same_signature(impls.attention_scores)
def attention_scores(query: Any, key: Any, scale: float | None = None) -> np.ndarray:
    """The score of a single key: the log-sum-exp over the keys of ``F.scaled_dot_product_attention``'s
    CPU kernel, which for one key is that key's score ``q . k * scale``.

    Refused (not applicable) for more than one key: PyTorch returns the scores of several keys
    only after the softmax.
    """
    q, k, batch = ad.query_key_batch(query, key)
    if k.shape[-2] != 1:
        raise ad.unsupported(
            NAME,
            "no PyTorch function returns the attention logits; the log-sum-exp of scaled_dot_product_"
            f"attention's CPU kernel is the logit for one key only, got {k.shape[-2]} keys",
        )
    length, d_k = q.shape[-2], q.shape[-1]
    count = math.prod(batch)
    qt = torch.from_numpy(np.ascontiguousarray(q.reshape(count, 1, length, d_k)))
    kt = torch.from_numpy(np.ascontiguousarray(k.reshape(count, 1, 1, d_k)))
    positive = ad.positive_scale(scale)
    ad.log_array_call(
        f"{_SDPA_KERNEL_NAME}({{q}}, (k := {{k}}), torch.zeros_like(k)"
        f"{ad.keywords(scale=positive)})[1].reshape({{shape}})",
        q=qt,
        k=kt,
        shape=(*batch, length, 1),
    )
    with torch.no_grad():
        _, logsumexp = _SDPA_KERNEL(qt, kt, torch.zeros_like(kt), scale=positive)
    return logsumexp.numpy().reshape(*batch, length, 1).copy()


@ad.same_signature(impls.scaled_dot_product_attention)
def scaled_dot_product_attention(query: Any, key: Any, value: Any, scale: float | None = None) -> np.ndarray:
    """``F.scaled_dot_product_attention(query, key, value, scale=scale)`` (no mask, no dropout)."""
    q, k, _ = ad.query_key_batch(query, key)
    v = as_float_array(value, "value")
    if v.ndim < 2 or v.shape[-2] != k.shape[-2]:
        raise ValueError(f"value must have shape (..., {k.shape[-2]}, d_v), got {v.shape}")
    batch = np.broadcast_shapes(q.shape[:-2], v.shape[:-2])
    dtype = np.result_type(q, v)
    qt, kt, vt = (
        torch.from_numpy(np.ascontiguousarray(np.broadcast_to(a, (*batch, *a.shape[-2:])).astype(dtype)))
        for a in (q, k, v)
    )
    positive = ad.positive_scale(scale)
    ad.log_array_call(
        f"torch.nn.functional.scaled_dot_product_attention({{q}}, {{k}}, {{v}}{ad.keywords(scale=positive)})",
        q=qt,
        k=kt,
        v=vt,
    )
    with torch.no_grad():
        return F.scaled_dot_product_attention(qt, kt, vt, scale=positive).numpy().copy()


FUNCTIONS: dict[str, Any] = {
    "transformer_layer_forward": transformer_layer_forward,
    "transformer_layer_backward": transformer_layer_backward,
    "transformer_forward": transformer_forward,
    "transformer_backward": transformer_backward,
    "attention_scores": attention_scores,
    "scaled_dot_product_attention": scaled_dot_product_attention,
}
"""The public names this module supplies to the torch target."""
