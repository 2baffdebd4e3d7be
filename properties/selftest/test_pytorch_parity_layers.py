"""Parity of impls' normalization, attention and residual pieces with PyTorch and its autograd.

Forward values and every gradient of :mod:`impls.normalization`, :mod:`impls.attention` and
:mod:`impls.residual` against ``torch.nn.functional`` and ``torch.autograd`` in float64. Skipped
(with the reason shown by ``-ra``) where torch is not installed. It verifies no claim: it is the
evidence that the backward passes the claim tests rely on are exact.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import impls
from properties import strategies as cs

torch = pytest.importorskip("torch", reason="torch is not installed; parity with PyTorch not checked")
F = torch.nn.functional
RTOL, ATOL = 1e-10, 1e-12
"""Two float64 implementations of the same formula, summing in different orders."""


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def _close(ours: np.ndarray, theirs: torch.Tensor) -> None:
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=RTOL, atol=ATOL)


@given(batch=st.integers(1, 4), features=st.integers(2, 9), eps=st.sampled_from([1e-5, 0.1]), seed=cs.seeds())
def test_layer_and_rms_norm_match_torch(batch: int, features: int, eps: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, gy = rng.normal(size=(batch, 3, features)), rng.normal(size=(batch, 3, features))
    w, b = rng.normal(size=features), rng.normal(size=features)
    xt, wt, bt = _t(x), _t(w), _t(b)
    y = F.layer_norm(xt, (features,), wt, bt, eps)
    y.backward(torch.tensor(gy))
    _close(impls.layer_norm(x, features, w, b, eps), y)
    for ours, theirs in zip(impls.layer_norm_backward(x, gy, features, w, eps), (xt, wt, bt), strict=True):
        _close(ours, theirs.grad)
    xt, wt = _t(x), _t(w)
    y = F.rms_norm(xt, (features,), wt, eps)
    y.backward(torch.tensor(gy))
    _close(impls.rms_norm(x, features, w, eps), y)
    for ours, theirs in zip(impls.rms_norm_backward(x, gy, features, w, eps), (xt, wt), strict=True):
        _close(ours, theirs.grad)


@given(
    batch=st.integers(2, 5),
    channels=st.integers(1, 4),
    spatial=st.sampled_from([(), (3,), (2, 2)]),
    seed=cs.seeds(),
)
def test_batch_norm_matches_torch_training_mode(
    batch: int, channels: int, spatial: tuple[int, ...], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    shape = (batch, channels, *spatial)
    x, gy, w, b = (
        rng.normal(size=shape),
        rng.normal(size=shape),
        rng.normal(size=channels),
        rng.normal(size=channels),
    )
    xt, wt, bt = _t(x), _t(w), _t(b)
    y = F.batch_norm(xt, None, None, wt, bt, training=True, eps=1e-5)
    y.backward(torch.tensor(gy))
    _close(impls.batch_norm(x, w, b), y)
    for ours, theirs in zip(impls.batch_norm_backward(x, gy, w), (xt, wt, bt), strict=True):
        _close(ours, theirs.grad)


@given(length=st.integers(1, 5), source=st.integers(1, 5), d_k=st.integers(1, 8), seed=cs.seeds())
def test_attention_matches_torch(length: int, source: int, d_k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    q, k, v = (
        rng.normal(size=(2, length, d_k)),
        rng.normal(size=(2, source, d_k)),
        rng.normal(size=(2, source, 3)),
    )
    theirs = F.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(v))
    _close(impls.scaled_dot_product_attention(q, k, v), theirs)


@given(width=st.integers(1, 6), depth=st.integers(1, 4), alpha=st.floats(0, 2), seed=cs.seeds())
def test_residual_backward_matches_autograd(width: int, depth: int, alpha: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    he = functools.partial(impls.kaiming_normal, nonlinearity="relu")
    params = impls.init_residual_mlp(width, depth, he, impls.xavier_normal, rng=rng)
    x, gy = rng.normal(size=(3, width)), rng.normal(size=(3, width))
    forward = impls.residual_forward(params, x, alpha, "tanh")
    grads, grad_x = impls.residual_backward(params, forward, gy, alpha, "tanh")
    tp, xt = {name: _t(p) for name, p in params.items()}, _t(x)
    a = xt
    for block in range(1, depth + 1):
        a = a + alpha * torch.tanh(a @ tp[f"W1_{block}"].T) @ tp[f"W2_{block}"].T
    _close(forward.stream[-1], a)
    a.backward(torch.tensor(gy))
    _close(grad_x, xt.grad)
    for name, grad in grads.items():
        _close(grad, tp[name].grad)


def _torch_name(name: str) -> str:
    return f"self_attn.{name}" if "proj" in name else name


@given(
    heads=st.sampled_from([1, 2, 4]),
    head_dim=st.integers(1, 3),
    d_ff=st.integers(1, 9),
    seq=st.integers(1, 4),
    norm_first=st.booleans(),
    activation=st.sampled_from(["relu", "gelu"]),
    seed=cs.seeds(),
)
def test_transformer_layer_matches_torch(
    heads: int, head_dim: int, d_ff: int, seq: int, norm_first: bool, activation: str, seed: int
) -> None:
    """impls' encoder layer against ``nn.TransformerEncoderLayer(dropout=0, batch_first=True)``:
    forward, every parameter's gradient and the input's (PyTorch's default initialization)."""
    rng = np.random.default_rng(seed)
    d = heads * head_dim
    params = impls.init_transformer_layer(d, heads, d_ff, rng=rng)
    params["norm1.weight"] = rng.normal(size=d)  # non-trivial LayerNorm affine parameters
    params["norm2.bias"] = rng.normal(size=d)
    x, gy = rng.normal(size=(2, seq, d)), rng.normal(size=(2, seq, d))
    layer = torch.nn.TransformerEncoderLayer(
        d, heads, d_ff, dropout=0.0, activation=activation, batch_first=True, norm_first=norm_first
    ).double()
    layer.load_state_dict({_torch_name(k): torch.tensor(v) for k, v in params.items()})
    xt = _t(x)
    yt = layer(xt)
    yt.backward(torch.tensor(gy))
    out, cache = impls.transformer_layer_forward(
        params, x, nhead=heads, norm_first=norm_first, activation=activation
    )
    _close(out, yt)
    grads, grad_x = impls.transformer_layer_backward(params, cache, gy)
    _close(grad_x, xt.grad)
    named = dict(layer.named_parameters())
    for name, grad in grads.items():
        _close(grad, named[_torch_name(name)].grad)


@given(depth=st.integers(1, 3), norm_first=st.booleans(), seed=cs.seeds())
def test_transformer_stack_with_final_norm_matches_torch(depth: int, norm_first: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    layers = [impls.init_transformer_layer(4, 2, 6, std=0.3, rng=rng) for _ in range(depth)]
    x, gy = rng.normal(size=(1, 3, 4)), rng.normal(size=(1, 3, 4))
    modules = []
    for params in layers:
        layer = torch.nn.TransformerEncoderLayer(
            4, 2, 6, dropout=0.0, batch_first=True, norm_first=norm_first
        )
        layer = layer.double()
        layer.load_state_dict({_torch_name(k): torch.tensor(v) for k, v in params.items()})
        modules.append(layer)
    xt = _t(x)
    a = xt
    for module in modules:
        a = module(a)
    a = F.layer_norm(a, (4,))
    a.backward(torch.tensor(gy))
    out, cache = impls.transformer_forward(layers, x, nhead=2, norm_first=norm_first, final_norm=True)
    _close(out, a)
    grads, grad_x = impls.transformer_backward(layers, cache, gy)
    _close(grad_x, xt.grad)
    for module, layer_grads in zip(modules, grads, strict=True):
        named = dict(module.named_parameters())
        for name, grad in layer_grads.items():
            _close(grad, named[_torch_name(name)].grad)
