"""A Transformer encoder layer (Post-LN or Pre-LN) with an exact backward pass.

Semantics are PyTorch's ``torch.nn.TransformerEncoderLayer`` with ``batch_first=True``,
``dropout=0`` and no masks: multi-head self-attention (one packed ``in_proj`` for queries, keys
and values, scale ``1 / sqrt(d_model / nhead)``), a two-layer feed-forward network with ``relu``
or ``gelu``, and two LayerNorms. ``norm_first=False`` (Post-LN, the original Transformer):

    y = LN1(alpha x + SA(x)),          out = LN2(alpha y + FF(y));

``norm_first=True`` (Pre-LN, GPT-2):

    y = alpha x + SA(LN1(x)),          out = alpha y + FF(LN2(y)).

``alpha`` scales the skip path (1 in PyTorch; DeepNorm's ``alpha`` with Post-LN). Parameters are
a dict with PyTorch's ``state_dict`` names (``in_proj_weight``, ``out_proj.weight``,
``linear1.weight``, ``norm1.weight``, ...), so they load into ``TransformerEncoderLayer`` as they
are. :func:`transformer_layer_backward` returns the exact vector-Jacobian products for every
parameter and the input; :func:`transformer_forward` and :func:`transformer_backward` chain
layers, with an optional final LayerNorm (the Pre-LN stack's ``x_Final``).

References: Vaswani et al. (2017), "Attention is all you need", arXiv:1706.03762, Sec. 3;
Xiong et al. (2020), "On layer normalization in the Transformer architecture", ICML,
arXiv:2002.04745, Fig. 1 (Post-LN and Pre-LN); Wang et al. (2022), "DeepNet: scaling
Transformers to 1,000 layers", arXiv:2203.00555, Sec. 3 (DeepNorm); PyTorch
``torch/nn/modules/transformer.py::TransformerEncoderLayer``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from impls._validation import as_choice, as_count, as_float_array, as_float_dtype, as_real, as_rng
from impls.activations import get_activation
from impls.attention import attention_scores
from impls.initializers import normal, pytorch_linear_default, uniform, xavier_uniform
from impls.losses import softmax
from impls.normalization import layer_norm, layer_norm_backward

ACTIVATION_NAMES = ("relu", "gelu")
"""The activations ``TransformerEncoderLayer`` accepts by name."""


def _shapes(d_model: int, dim_feedforward: int) -> dict[str, tuple[int, ...]]:
    d, f = d_model, dim_feedforward
    return {
        "in_proj_weight": (3 * d, d),
        "in_proj_bias": (3 * d,),
        "out_proj.weight": (d, d),
        "out_proj.bias": (d,),
        "linear1.weight": (f, d),
        "linear1.bias": (f,),
        "linear2.weight": (d, f),
        "linear2.bias": (d,),
        "norm1.weight": (d,),
        "norm1.bias": (d,),
        "norm2.weight": (d,),
        "norm2.bias": (d,),
    }


def _heads(d_model: int, nhead: Any) -> int:
    heads = as_count(nhead, "nhead", minimum=1)
    if d_model % heads:
        raise ValueError(f"nhead must divide d_model = {d_model}, got {heads}")
    return heads


def init_transformer_layer(
    d_model: int,
    nhead: int,
    dim_feedforward: int,
    *,
    std: float | None = None,
    output_std: float | None = None,
    rng: Any = None,
    dtype: Any = np.float64,
) -> dict[str, np.ndarray]:
    """The parameters of one encoder layer.

    ``std=None``: PyTorch's defaults (``in_proj_weight`` Xavier-uniform, attention biases 0,
    ``out_proj.weight`` and both linear layers ``kaiming_uniform(a=sqrt(5))``, the linear layers'
    biases ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, LayerNorm weight 1 and bias 0). ``std=s``:
    GPT-2/Megatron style, every weight ``N(0, s^2)`` and every bias 0, except the two output
    layers (``out_proj.weight``, ``linear2.weight``), drawn ``N(0, output_std^2)``
    (``output_std`` defaults to ``std``; Megatron-LM uses ``s / sqrt(2 L)``).

    Args:
        d_model: the model width d.
        nhead: the number of heads (divides d).
        dim_feedforward: the feed-forward width f.
        std: the weights' std, or None for PyTorch's defaults.
        output_std: the output layers' std (only with ``std``).
        rng: Generator, int seed or None; shared by all draws in order.
        dtype: the parameters' floating dtype.

    Returns:
        A dict named as ``TransformerEncoderLayer.state_dict()``.

    References:
        PyTorch ``torch/nn/modules/activation.py::MultiheadAttention._reset_parameters``;
        Radford et al. (2019), Sec. 2.3; Shoeybi et al. (2019), arXiv:1909.08053, Sec. 3.
    """
    d = as_count(d_model, "d_model", minimum=1)
    f = as_count(dim_feedforward, "dim_feedforward", minimum=1)
    _heads(d, nhead)
    generator, dtype = as_rng(rng), as_float_dtype(dtype)
    shapes = _shapes(d, f)
    params: dict[str, np.ndarray] = {}
    if std is None:
        if output_std is not None:
            raise ValueError("output_std needs std (PyTorch's defaults have no output std)")
        params["in_proj_weight"] = xavier_uniform(shapes["in_proj_weight"], rng=generator, dtype=dtype)
        params["in_proj_bias"] = np.zeros(3 * d, dtype=dtype)
        params["out_proj.weight"] = pytorch_linear_default((d, d), rng=generator, dtype=dtype)
        params["out_proj.bias"] = np.zeros(d, dtype=dtype)
        for name, (n_out, n_in) in (("linear1", (f, d)), ("linear2", (d, f))):
            params[f"{name}.weight"] = pytorch_linear_default((n_out, n_in), rng=generator, dtype=dtype)
            bound = 1.0 / math.sqrt(n_in)
            params[f"{name}.bias"] = uniform((n_out,), -bound, bound, rng=generator, dtype=dtype)
    else:
        s = as_real(std, "std")
        s_out = s if output_std is None else as_real(output_std, "output_std")
        if s < 0 or s_out < 0:
            raise ValueError(f"std and output_std must be >= 0, got {s} and {s_out}")
        for name in ("in_proj_weight", "out_proj.weight", "linear1.weight", "linear2.weight"):
            scale = s_out if name in ("out_proj.weight", "linear2.weight") else s
            params[name] = normal(shapes[name], 0.0, scale, rng=generator, dtype=dtype)
        for name in ("in_proj_bias", "out_proj.bias", "linear1.bias", "linear2.bias"):
            params[name] = np.zeros(shapes[name], dtype=dtype)
    for norm in ("norm1", "norm2"):
        params[f"{norm}.weight"] = np.ones(d, dtype=dtype)
        params[f"{norm}.bias"] = np.zeros(d, dtype=dtype)
    return {name: params[name] for name in shapes}


def _check_params(params: Any) -> tuple[dict[str, np.ndarray], int, int]:
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of parameter names to arrays, got {type(params).__name__}")
    if "in_proj_weight" not in params or "linear1.weight" not in params:
        raise ValueError("params must hold in_proj_weight and linear1.weight (see init_transformer_layer)")
    for name in ("in_proj_weight", "linear1.weight"):
        if np.ndim(params[name]) != 2:
            raise ValueError(f"params[{name!r}] must be 2-D, got shape {np.shape(params[name])}")
    d = np.shape(params["in_proj_weight"])[-1]
    f = np.shape(params["linear1.weight"])[0]
    if d < 1 or f < 1:
        raise ValueError(f"params must have d_model >= 1 and dim_feedforward >= 1, got {d} and {f}")
    expected = _shapes(d, f)
    if set(params) != set(expected):
        raise ValueError(f"params must have exactly the keys {sorted(expected)}, got {sorted(params)}")
    checked = {}
    for name, shape in expected.items():
        array = as_float_array(params[name], f"params[{name!r}]")
        if array.shape != shape:
            raise ValueError(f"params[{name!r}] must have shape {shape}, got {array.shape}")
        checked[name] = array
    return checked, d, f


class TransformerCache(NamedTuple):
    """What :func:`transformer_layer_backward` needs: the settings and every intermediate.

    ``branches`` holds the two sublayers' outputs (``SA(.)`` and ``FF(.)``, before the skip
    sum), for measuring them.
    """

    x: np.ndarray
    nhead: int
    norm_first: bool
    activation: str
    eps: float
    alpha: float
    attention: dict[str, np.ndarray]
    feed_forward: dict[str, np.ndarray]
    sums: tuple[np.ndarray, np.ndarray]
    middle: np.ndarray
    branches: tuple[np.ndarray, np.ndarray]


def _split_heads(t: np.ndarray, heads: int) -> np.ndarray:
    batch, seq, d = t.shape
    return t.reshape(batch, seq, heads, d // heads).transpose(0, 2, 1, 3)


def _merge_heads(t: np.ndarray) -> np.ndarray:
    batch, heads, seq, dh = t.shape
    return t.transpose(0, 2, 1, 3).reshape(batch, seq, heads * dh)


def _attention_forward(p: dict[str, np.ndarray], u: np.ndarray, heads: int) -> tuple[np.ndarray, dict]:
    d = u.shape[-1]
    qkv = u @ p["in_proj_weight"].T + p["in_proj_bias"]
    q, k, v = (_split_heads(qkv[..., i * d : (i + 1) * d], heads) for i in range(3))
    weights = softmax(attention_scores(q, k), axis=-1)
    merged = _merge_heads(weights @ v)
    out = merged @ p["out_proj.weight"].T + p["out_proj.bias"]
    return out, {"u": u, "q": q, "k": k, "v": v, "weights": weights, "merged": merged}


def _attention_backward(
    p: dict[str, np.ndarray], c: dict[str, np.ndarray], g: np.ndarray, heads: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    u, q, k, v, a = c["u"], c["q"], c["k"], c["v"], c["weights"]
    scale = 1.0 / math.sqrt(q.shape[-1])
    grads = {"out_proj.weight": np.einsum("bsi,bsj->ij", g, c["merged"]), "out_proj.bias": g.sum(axis=(0, 1))}
    g_merged = _split_heads(g @ p["out_proj.weight"], heads)
    g_weights = g_merged @ np.swapaxes(v, -1, -2)
    g_v = np.swapaxes(a, -1, -2) @ g_merged
    g_scores = a * (g_weights - (g_weights * a).sum(axis=-1, keepdims=True))
    g_q = scale * g_scores @ k
    g_k = scale * np.swapaxes(g_scores, -1, -2) @ q
    g_qkv = np.concatenate([_merge_heads(t) for t in (g_q, g_k, g_v)], axis=-1)
    grads["in_proj_weight"] = np.einsum("bsi,bsj->ij", g_qkv, u)
    grads["in_proj_bias"] = g_qkv.sum(axis=(0, 1))
    return grads, g_qkv @ p["in_proj_weight"]


def _feed_forward(p: dict[str, np.ndarray], u: np.ndarray, activation: str) -> tuple[np.ndarray, dict]:
    pre = u @ p["linear1.weight"].T + p["linear1.bias"]
    hidden = get_activation(activation)(pre)
    return hidden @ p["linear2.weight"].T + p["linear2.bias"], {"u": u, "pre": pre, "hidden": hidden}


def _feed_forward_backward(
    p: dict[str, np.ndarray], c: dict[str, np.ndarray], g: np.ndarray, activation: str
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    grads = {"linear2.weight": np.einsum("bsi,bsj->ij", g, c["hidden"]), "linear2.bias": g.sum(axis=(0, 1))}
    g_pre = (g @ p["linear2.weight"]) * get_activation(activation).derivative(c["pre"])
    grads["linear1.weight"] = np.einsum("bsi,bsj->ij", g_pre, c["u"])
    grads["linear1.bias"] = g_pre.sum(axis=(0, 1))
    return grads, g_pre @ p["linear1.weight"]


def _settings(activation: Any, eps: Any, alpha: Any) -> tuple[str, float, float]:
    act = as_choice(activation, "activation", ACTIVATION_NAMES)
    epsilon = as_real(eps, "eps")
    if epsilon < 0:
        raise ValueError(f"eps must be >= 0, got {epsilon}")
    skip = as_real(alpha, "alpha")
    if skip <= 0:
        raise ValueError(f"alpha must be > 0, got {skip}")
    return act, epsilon, skip


def transformer_layer_forward(
    params: Mapping[str, Any],
    x: Any,
    *,
    nhead: int,
    norm_first: bool = False,
    activation: str = "relu",
    eps: float = 1e-5,
    alpha: float = 1.0,
) -> tuple[np.ndarray, TransformerCache]:
    """One encoder layer on a batch of sequences, with the cache for the backward pass.

    Formula: Post-LN ``y = LN1(alpha x + SA(x))``, ``out = LN2(alpha y + FF(y))``; Pre-LN
    ``y = alpha x + SA(LN1(x))``, ``out = alpha y + FF(LN2(y))``; ``SA(u) = concat_h(softmax(
    q_h k_h^T / sqrt(d/h)) v_h) W_o^T + b_o``, ``FF(u) = act(u W_1^T + b_1) W_2^T + b_2``.

    Args:
        params: from :func:`init_transformer_layer` (PyTorch's names and shapes).
        x: ``(batch, seq, d_model)``.
        nhead: the number of heads (divides d_model).
        norm_first: Pre-LN (True) or Post-LN (False, PyTorch's default).
        activation: ``"relu"`` (default) or ``"gelu"`` (exact, erf).
        eps: the LayerNorms' epsilon, >= 0.
        alpha: the skip path's scale (> 0; DeepNorm's alpha, 1 in PyTorch).

    Returns:
        ``(out, cache)``, ``out`` of x's shape, computed in float64.

    References:
        PyTorch ``TransformerEncoderLayer`` (``batch_first=True``, ``dropout=0``); Xiong et al.
        (2020), arXiv:2002.04745, Fig. 1; Wang et al. (2022), arXiv:2203.00555, eq. (2).
    """
    p, d, _ = _check_params(params)
    heads = _heads(d, nhead)
    act, epsilon, skip = _settings(activation, eps, alpha)
    if not isinstance(norm_first, bool | np.bool_):
        raise TypeError(f"norm_first must be a bool, got {type(norm_first).__name__}: {norm_first!r}")
    first = bool(norm_first)
    a = as_float_array(x, "x").astype(np.float64)
    if a.ndim != 3 or a.shape[-1] != d:
        raise ValueError(f"x must have shape (batch, seq, {d}), got {a.shape}")
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"x must have at least one sequence of at least one token, got {a.shape}")

    def norm(t: np.ndarray, name: str) -> np.ndarray:
        return layer_norm(t, d, p[f"{name}.weight"], p[f"{name}.bias"], epsilon)

    sa, sa_cache = _attention_forward(p, norm(a, "norm1") if first else a, heads)
    sum1 = skip * a + sa
    middle = sum1 if first else norm(sum1, "norm1")
    ff, ff_cache = _feed_forward(p, norm(middle, "norm2") if first else middle, act)
    sum2 = skip * middle + ff
    out = sum2 if first else norm(sum2, "norm2")
    cache = TransformerCache(
        a, heads, first, act, epsilon, skip, sa_cache, ff_cache, (sum1, sum2), middle, (sa, ff)
    )
    return out, cache


def transformer_layer_backward(
    params: Mapping[str, Any], cache: TransformerCache, grad_out: Any
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Exact gradients of a loss through one layer, given ``dLoss/dout``.

    Formula: the chain rule through the forward's steps in reverse: LayerNorm by
    :func:`impls.layer_norm_backward`, the softmax by ``dS = A * (dA - rowsum(dA * A))``, the
    linear maps by their transposes; the skip paths carry ``alpha * grad``.

    Args:
        params: the parameters of the forward pass.
        cache: :func:`transformer_layer_forward`'s cache.
        grad_out: ``dLoss/dout``, of ``out``'s shape.

    Returns:
        ``(grads by parameter name, dLoss/dx)``.
    """
    p, d, _ = _check_params(params)
    if not isinstance(cache, TransformerCache):
        raise TypeError(f"cache must be a TransformerCache, got {type(cache).__name__}")
    g = as_float_array(grad_out, "grad_out").astype(np.float64)
    if g.shape != cache.x.shape:
        raise ValueError(f"grad_out must have shape {cache.x.shape}, got {g.shape}")
    eps, skip = cache.eps, cache.alpha
    grads: dict[str, Any] = {}

    def norm_back(t: np.ndarray, gy: np.ndarray, name: str) -> np.ndarray:
        gx, gw, gb = layer_norm_backward(t, gy, d, p[f"{name}.weight"], eps)
        grads[f"{name}.weight"] = grads.get(f"{name}.weight", 0) + gw
        grads[f"{name}.bias"] = grads.get(f"{name}.bias", 0) + gb
        return gx

    sum1, sum2 = cache.sums
    g_sum2 = g if cache.norm_first else norm_back(sum2, g, "norm2")
    ff_grads, g_ff_in = _feed_forward_backward(p, cache.feed_forward, g_sum2, cache.activation)
    grads.update(ff_grads)
    g_middle = skip * g_sum2 + (norm_back(cache.middle, g_ff_in, "norm2") if cache.norm_first else g_ff_in)
    g_sum1 = g_middle if cache.norm_first else norm_back(sum1, g_middle, "norm1")
    sa_grads, g_sa_in = _attention_backward(p, cache.attention, g_sum1, cache.nhead)
    grads.update(sa_grads)
    g_x = skip * g_sum1 + (norm_back(cache.x, g_sa_in, "norm1") if cache.norm_first else g_sa_in)
    return {name: np.asarray(grads[name], dtype=np.float64) for name in p}, g_x


def _final_norm(final_norm: Any, d: int) -> tuple[np.ndarray, np.ndarray] | None:
    if final_norm is None or final_norm is False:
        return None
    if final_norm is True:
        return np.ones(d), np.zeros(d)
    if not isinstance(final_norm, Mapping) or set(final_norm) != {"weight", "bias"}:
        raise TypeError("final_norm must be None, True (weight 1, bias 0) or a mapping with weight and bias")
    weight = as_float_array(final_norm["weight"], "final_norm weight")
    return weight, as_float_array(final_norm["bias"], "final_norm bias")


class StackCache(NamedTuple):
    """The caches of :func:`transformer_forward`'s layers and the input of its final LayerNorm."""

    layers: list[TransformerCache]
    final_input: np.ndarray | None
    final_norm: tuple[np.ndarray, np.ndarray] | None
    eps: float


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
) -> tuple[np.ndarray, StackCache]:
    """A stack of encoder layers (``torch.nn.TransformerEncoder``), optionally with a final LayerNorm.

    Args:
        layers: one parameter dict per layer.
        x: ``(batch, seq, d_model)``.
        nhead, norm_first, activation, eps, alpha: as :func:`transformer_layer_forward`.
        final_norm: None, True (a LayerNorm with weight 1 and bias 0: Pre-LN's ``x_Final``) or
            ``{"weight": ..., "bias": ...}``.

    Returns:
        ``(out, cache)``.
    """
    if isinstance(layers, Mapping) or not isinstance(layers, Sequence) or not layers:
        raise TypeError("layers must be a non-empty sequence of parameter dicts")
    caches, a = [], x
    for params in layers:
        a, cache = transformer_layer_forward(
            params, a, nhead=nhead, norm_first=norm_first, activation=activation, eps=eps, alpha=alpha
        )
        caches.append(cache)
    final = _final_norm(final_norm, caches[0].x.shape[-1])
    if final is None:
        return a, StackCache(caches, None, None, caches[0].eps)
    d = a.shape[-1]
    return layer_norm(a, d, final[0], final[1], caches[0].eps), StackCache(caches, a, final, caches[0].eps)


def transformer_backward(
    layers: Sequence[Mapping[str, Any]], cache: StackCache, grad_out: Any
) -> tuple[list[dict[str, np.ndarray]], np.ndarray]:
    """Exact gradients through :func:`transformer_forward`'s stack, given ``dLoss/dout``.

    Returns:
        ``(one grads dict per layer, dLoss/dx)`` (the final LayerNorm's own gradients are not
        returned).
    """
    if not isinstance(cache, StackCache) or len(cache.layers) != len(layers):
        raise ValueError("cache must be transformer_forward's cache for these layers")
    g = as_float_array(grad_out, "grad_out").astype(np.float64)
    if cache.final_norm is not None and cache.final_input is not None:
        d = cache.final_input.shape[-1]
        if g.shape != cache.final_input.shape:
            raise ValueError(f"grad_out must have shape {cache.final_input.shape}, got {g.shape}")
        g, _, _ = layer_norm_backward(cache.final_input, g, d, cache.final_norm[0], cache.eps)
    all_grads: list[dict[str, np.ndarray]] = []
    for params, layer_cache in zip(reversed(layers), reversed(cache.layers), strict=True):
        grads, g = transformer_layer_backward(params, layer_cache, g)
        all_grads.append(grads)
    return all_grads[::-1], g
