"""Robustness of impls' transformer layer: every bad argument is a ValueError/TypeError naming it.

It verifies no claim: it is the evidence that :mod:`impls.transformer` validates its arguments
(the suite's rule for every public function) and that its results keep their shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import impls
from properties import strategies as cs

D, HEADS, FF = 4, 2, 6
PARAMS = impls.init_transformer_layer(D, HEADS, FF, rng=0)
X = np.random.default_rng(1).normal(size=(2, 3, D))
OUT, CACHE = impls.transformer_layer_forward(PARAMS, X, nhead=HEADS)


def _bad(value: Any) -> Any:
    """A deliberately wrong argument, typed ``Any`` for mypy."""
    return value


def _with(name: str, value: Any) -> dict[str, Any]:
    return {**PARAMS, name: value}


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: impls.init_transformer_layer(0, 1, 4), "d_model"),
        (lambda: impls.init_transformer_layer(4, 3, 4), "nhead"),
        (lambda: impls.init_transformer_layer(4, _bad(2.0), 4), "nhead"),
        (lambda: impls.init_transformer_layer(4, 2, _bad("8")), "dim_feedforward"),
        (lambda: impls.init_transformer_layer(4, 2, 8, std=-1.0), "std"),
        (lambda: impls.init_transformer_layer(4, 2, 8, output_std=0.1), "output_std"),
        (lambda: impls.init_transformer_layer(4, 2, 8, dtype=np.int32), "dtype"),
        (lambda: impls.init_transformer_layer(4, 2, 8, rng=_bad("seed")), "rng"),
        (lambda: impls.transformer_layer_forward(_bad([1]), X, nhead=HEADS), "params"),
        (lambda: impls.transformer_layer_forward({"in_proj_weight": 1}, X, nhead=HEADS), "params"),
        (
            lambda: impls.transformer_layer_forward(_with("in_proj_weight", np.ones(3)), X, nhead=HEADS),
            "in_proj",
        ),
        (
            lambda: impls.transformer_layer_forward(_with("linear2.weight", np.ones((D, 2))), X, nhead=HEADS),
            "linear2",
        ),
        (
            lambda: impls.transformer_layer_forward(_with("norm1.bias", np.array(["a"] * D)), X, nhead=HEADS),
            "norm1",
        ),
        (lambda: impls.transformer_layer_forward({**PARAMS, "extra": 1}, X, nhead=HEADS), "params"),
        (lambda: impls.transformer_layer_forward(PARAMS, X[0], nhead=HEADS), "x"),
        (lambda: impls.transformer_layer_forward(PARAMS, X[..., :3], nhead=HEADS), "x"),
        (lambda: impls.transformer_layer_forward(PARAMS, X[:, :0], nhead=HEADS), "x"),
        (lambda: impls.transformer_layer_forward(PARAMS, np.array([["a"]]), nhead=HEADS), "x"),
        (lambda: impls.transformer_layer_forward(PARAMS, X, nhead=3), "nhead"),
        (lambda: impls.transformer_layer_forward(PARAMS, X, nhead=HEADS, activation="tanh"), "activation"),
        (lambda: impls.transformer_layer_forward(PARAMS, X, nhead=HEADS, eps=-1.0), "eps"),
        (lambda: impls.transformer_layer_forward(PARAMS, X, nhead=HEADS, eps=_bad("x")), "eps"),
        (lambda: impls.transformer_layer_forward(PARAMS, X, nhead=HEADS, alpha=0.0), "alpha"),
        (
            lambda: impls.transformer_layer_forward(PARAMS, X, nhead=HEADS, norm_first=_bad("yes")),
            "norm_first",
        ),
        (lambda: impls.transformer_layer_backward(PARAMS, _bad((1, 2)), OUT), "cache"),
        (lambda: impls.transformer_layer_backward(PARAMS, CACHE, OUT[:, :1]), "grad_out"),
        (lambda: impls.transformer_forward(_bad(PARAMS), X, nhead=HEADS), "layers"),
        (lambda: impls.transformer_forward([], X, nhead=HEADS), "layers"),
        (lambda: impls.transformer_forward([PARAMS], X, nhead=HEADS, final_norm=_bad("yes")), "final_norm"),
        (lambda: impls.transformer_backward([PARAMS], _bad(CACHE), OUT), "cache"),
    ],
)
def test_errors_name_the_argument(call: Callable[[], Any], name: str) -> None:
    with pytest.raises((TypeError, ValueError), match=name):
        call()


@given(
    heads=st.sampled_from([1, 2]),
    seq=st.integers(1, 4),
    depth=st.integers(1, 3),
    norm_first=st.booleans(),
    alpha=st.floats(0.5, 2.0),
    seed=cs.seeds(),
)
def test_stack_shapes_dtypes_and_inputs_untouched(
    heads: int, seq: int, depth: int, norm_first: bool, alpha: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    layers = [impls.init_transformer_layer(4, heads, 5, rng=rng) for _ in range(depth)]
    copies = [{k: v.copy() for k, v in p.items()} for p in layers]
    x = rng.normal(size=(2, seq, 4))
    x_copy = x.copy()
    out, cache = impls.transformer_forward(
        layers, x, nhead=heads, norm_first=norm_first, alpha=alpha, final_norm=norm_first
    )
    grads, grad_x = impls.transformer_backward(layers, cache, np.ones_like(out))
    assert out.shape == x.shape == grad_x.shape and out.dtype == np.float64
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(grad_x))
    assert all(
        set(g) == set(p) and all(g[k].shape == p[k].shape for k in p)
        for g, p in zip(grads, layers, strict=True)
    )
    assert np.array_equal(x, x_copy)
    assert all(all(np.array_equal(p[k], c[k]) for k in p) for p, c in zip(layers, copies, strict=True))
    if not norm_first:  # a Post-LN output is a LayerNorm output: mean 0, variance ~1 per token
        np.testing.assert_allclose(out.mean(axis=-1), 0.0, atol=1e-12)


def test_gpt2_style_init_draws_the_requested_stds() -> None:
    params = impls.init_transformer_layer(256, 4, 512, std=0.02, output_std=0.005, rng=3)
    for name, std in (
        ("in_proj_weight", 0.02),
        ("linear1.weight", 0.02),
        ("out_proj.weight", 0.005),
        ("linear2.weight", 0.005),
    ):
        assert np.std(params[name]) == pytest.approx(std, rel=0.02)  # >= 65,536 draws: s.e. < 0.3%
    assert not any(
        np.any(params[b]) for b in ("in_proj_bias", "out_proj.bias", "linear1.bias", "linear2.bias")
    )
