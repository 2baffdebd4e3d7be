"""Smoke tests of the layer adapters: torch's ``nn.TransformerEncoder`` and attention logits, JAX's
``standardize`` and ``dot_product_attention``.

Each adapter must agree with impls wherever the two share their semantics (every output, cached
intermediate and gradient, in float64), refuse what its framework cannot express as not
applicable, and reject bad arguments with impls' errors. The laws are the claim suite's business.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import impls
from properties.targets.base import NotApplicable, Target

RTOL, ATOL = 1e-10, 1e-12
"""Two float64 evaluations of the same formula, summing in different orders."""


def _torch() -> Target:
    pytest.importorskip("torch")
    from properties.targets import torch as torch_adapter

    return torch_adapter.target()


def _jax() -> Target:
    pytest.importorskip("optax")
    from properties.targets import jax as jax_adapter

    return jax_adapter.target()


def _close(ours: Any, theirs: Any) -> None:
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)


def _layers(rng: np.random.Generator, depth: int, d: int = 8, f: int = 5) -> list[dict[str, np.ndarray]]:
    layers = []
    for _ in range(depth):
        params = impls.init_transformer_layer(d, 2, f, rng=rng)
        params["norm1.weight"] = rng.normal(size=d)  # non-trivial LayerNorm affine parameters
        params["norm2.bias"] = rng.normal(size=d)
        layers.append(params)
    return layers


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("final_norm", [None, True])
def test_torch_encoder_stack_equals_impls(norm_first: bool, activation: str, final_norm: Any) -> None:
    target = _torch()
    rng = np.random.default_rng(7)
    layers = _layers(rng, 2)
    x, g = rng.normal(size=(2, 3, 8)), rng.normal(size=(2, 3, 8))
    settings = {"nhead": 2, "norm_first": norm_first, "activation": activation, "final_norm": final_norm}
    out, cache = impls.transformer_forward(layers, x, **settings)
    theirs, their_cache = target.transformer_forward(layers, x, **settings)
    _close(theirs, out)
    if final_norm is not None:
        _close(their_cache.final_input, cache.final_input)
    grads, grad_x = impls.transformer_backward(layers, cache, g)
    their_grads, their_grad_x = target.transformer_backward(layers, their_cache, g)
    _close(their_grad_x, grad_x)
    for ours, mine in zip(their_grads, grads, strict=True):
        assert set(ours) == set(mine)
        for name in mine:
            _close(ours[name], mine[name])
    again, _ = target.transformer_backward(layers, their_cache, g)  # the cache can be used twice
    _close(again[0]["linear1.weight"], their_grads[0]["linear1.weight"])


@pytest.mark.parametrize("norm_first", [False, True])
def test_torch_encoder_layer_cache_equals_impls(norm_first: bool) -> None:
    """The branch outputs and the stream between the sublayers are the module's own tensors."""
    target = _torch()
    rng = np.random.default_rng(8)
    (params,) = _layers(rng, 1)
    x, g = rng.normal(size=(2, 3, 8)), rng.normal(size=(2, 3, 8))
    out, cache = impls.transformer_layer_forward(params, x, nhead=2, norm_first=norm_first, eps=0.0)
    theirs, their_cache = target.transformer_layer_forward(params, x, nhead=2, norm_first=norm_first, eps=0.0)
    _close(theirs, out)
    _close(their_cache.middle, cache.middle)
    for ours, mine in zip(their_cache.branches, cache.branches, strict=True):
        _close(ours, mine)
    grads, grad_x = impls.transformer_layer_backward(params, cache, g)
    their_grads, their_grad_x = target.transformer_layer_backward(params, their_cache, g)
    _close(their_grad_x, grad_x)
    for name, grad in grads.items():
        _close(their_grads[name], grad)


def test_torch_encoder_refusals_and_errors() -> None:
    import torch

    target = _torch()
    rng = np.random.default_rng(9)
    layers = _layers(rng, 2)
    x = rng.normal(size=(1, 2, 8))
    with pytest.raises(NotApplicable, match="no scale on its skip path"):
        target.transformer_layer_forward(layers[0], x, nhead=2, alpha=2.0)
    wider = _layers(rng, 1, f=6)
    with pytest.raises(NotApplicable, match="one layer shape"):
        target.transformer_forward([layers[0], wider[0]], x, nhead=2)
    with pytest.raises(ValueError, match="nhead must divide"):
        target.transformer_forward(layers, x, nhead=3)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, seq, 8\)"):
        target.transformer_forward(layers, x[0], nhead=2)
    with pytest.raises(ValueError, match="activation"):
        target.transformer_forward(layers, x, nhead=2, activation="tanh")
    with pytest.raises(TypeError, match="cache"):
        target.transformer_backward(layers, impls.transformer_forward(layers, x, nhead=2)[1], x)
    _, cache = target.transformer_forward(layers, x, nhead=2)
    with pytest.raises(ValueError, match="grad_out must have shape"):
        target.transformer_backward(layers, cache, x[:, :1])
    state = torch.random.get_rng_state()
    target.transformer_forward(layers, x, nhead=2, eps=1e-3)  # builds a new module
    assert torch.equal(torch.random.get_rng_state(), state)  # without touching the global generator


def test_torch_attention_logits_come_from_the_sdpa_kernel() -> None:
    """The kernel the adapter reads the log-sum-exp from is the one ``F.scaled_dot_product_attention``
    runs on CPU (the same output bit for bit); over one key its log-sum-exp is impls' logit."""
    import torch

    from properties.targets.torch_layers import _SDPA_KERNEL

    target = _torch()
    rng = np.random.default_rng(10)
    for dtype in (np.float32, np.float64):
        q, k, v = (torch.from_numpy(rng.normal(size=(3, 2, 4, 5)).astype(dtype)) for _ in range(3))
        output, _ = _SDPA_KERNEL(q, k, v)
        assert torch.equal(output, torch.nn.functional.scaled_dot_product_attention(q, k, v))
    q, k = rng.normal(size=(4, 3, 6)), rng.normal(size=(4, 1, 6))
    for scale in (None, 1.0, 0.3):
        _close(target.attention_scores(q, k, scale=scale), impls.attention_scores(q, k, scale=scale))
    assert target.attention_scores(q[0], k[0]).shape == (3, 1)
    with pytest.raises(NotApplicable, match="one key only"):
        target.attention_scores(q, rng.normal(size=(4, 2, 6)))
    with pytest.raises(ValueError, match="scale must be > 0"):
        target.attention_scores(q, k, scale=-1.0)
    v = rng.normal(size=(4, 1, 3))
    _close(target.scaled_dot_product_attention(q, k, v), impls.scaled_dot_product_attention(q, k, v))


@pytest.mark.parametrize("eps", [0.0, 1e-5, 1.0])
def test_jax_standardize_equals_impls_layer_and_batch_norm(eps: float) -> None:
    target = _jax()
    rng = np.random.default_rng(11)
    x, g = rng.normal(0.7, 2.0, size=(3, 4, 5)), rng.normal(size=(3, 4, 5))
    for shape in (5, (4, 5)):
        _close(target.layer_norm(x, shape, eps=eps), impls.layer_norm(x, shape, eps=eps))
        grad_x, grad_w, grad_b = target.layer_norm_backward(x, g, shape, eps=eps)
        _close(grad_x, impls.layer_norm_backward(x, g, shape, eps=eps)[0])
        assert grad_w is None and grad_b is None
    _close(target.batch_norm(x, eps=eps), impls.batch_norm(x, eps=eps))
    _close(target.batch_norm_backward(x, g, eps=eps)[0], impls.batch_norm_backward(x, g, eps=eps)[0])
    assert target.layer_norm(x.astype(np.float32), 5, eps=eps).dtype == np.float32


def test_jax_refusals_and_errors() -> None:
    target = _jax()
    rng = np.random.default_rng(12)
    x = rng.normal(size=(3, 4))
    with pytest.raises(NotApplicable, match="no weight or bias"):
        target.layer_norm(x, 4, np.ones(4))
    with pytest.raises(NotApplicable, match="no weight or bias"):
        target.batch_norm(x, None, np.zeros(4))
    with pytest.raises(NotApplicable, match="no weight or bias"):
        target.batch_norm_backward(x, x, np.ones(4))
    with pytest.raises(NotApplicable, match="rms_norm"):
        target.rms_norm(x, 4)
    with pytest.raises(ValueError, match="normalized_shape"):
        target.layer_norm(x, 3)
    with pytest.raises(ValueError, match="eps must be >= 0"):
        target.batch_norm(x, eps=-1.0)
    with pytest.raises(ValueError, match="grad_y must have x's shape"):
        target.layer_norm_backward(x, x[:1], 4)


def test_jax_attention_equals_impls_in_float32() -> None:
    """JAX computes the softmax and its log-sum-exp in float32 whatever the inputs' dtype."""
    target = _jax()
    rng = np.random.default_rng(13)
    q, k = rng.normal(size=(4, 3, 6)), rng.normal(size=(4, 1, 6))
    tolerance = {"rtol": 4 * np.finfo(np.float32).eps, "atol": 4 * np.finfo(np.float32).eps}
    for scale in (None, 1.0):
        np.testing.assert_allclose(
            target.attention_scores(q, k, scale=scale), impls.attention_scores(q, k, scale=scale), **tolerance
        )
    with pytest.raises(NotApplicable, match="one key only"):
        target.attention_scores(q, rng.normal(size=(4, 2, 6)))
    keys, values = rng.normal(size=(4, 5, 6)), rng.normal(size=(4, 5, 6))
    np.testing.assert_allclose(
        target.scaled_dot_product_attention(q, keys, values),
        impls.scaled_dot_product_attention(q, keys, values),
        **tolerance,
    )
    with pytest.raises(NotApplicable, match="d_v = d_k"):
        target.scaled_dot_product_attention(q, keys, values[..., :2])
