"""Transformers at initialization: Pre-LN/Post-LN streams, GPT-2/Megatron scales, Xiong's gradients, DeepNet.

Each sample is one freshly drawn network (weights from the implementation's ``normal``, drawn
for many networks in one call), run by the implementation's ``transformer_forward`` /
``transformer_backward`` on one token, with ``eps = 0`` so that LayerNorm fixes its output's
norm exactly; the predictions (exact moments at every width) come from :mod:`theory.transformer`.
Mean checks are medians of means sized by the exact variance, with a declared effect of 25% of
the claimed moment; depth-free laws are exact binomial tests of ``P(X_1 > X_2) = 1/2`` for
independent networks of two depths, with a declared effect of 0.2.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties import compare, decide
from properties import strategies as cs
from properties.decide import Context
from theory import transformer

EFFECT = 0.25
"""Declared detectable effect of a mean check, relative to the claimed moment."""
SHARE_EFFECT = 0.3
"""DeepNorm's share: 30% (its relative variance 5/f + 2/d is the largest; the claim's beta^4 vs
beta^2 is a factor 1/beta^2 >= 2.8)."""
PROPORTION_EFFECT = 0.2
"""Declared detectable error of ``P(X_1 > X_2) = 1/2``."""
D_MODEL, D_FF = 64, 64


def _layers(
    impl,
    count: int,
    depth: int,
    std: float,
    output_std: float,
    rng: np.random.Generator,
    d_ff: int = D_FF,
) -> list[list[dict[str, np.ndarray]]]:
    """``count`` networks of ``depth`` layers: weights N(0, std^2) (outputs N(0, output_std^2)), biases 0."""
    d, f = D_MODEL, d_ff
    n = count * depth
    draws = {
        "in_proj_weight": impl.normal((n * 3 * d, d), 0.0, std, rng=rng).reshape(n, 3 * d, d),
        "out_proj.weight": impl.normal((n * d, d), 0.0, output_std, rng=rng).reshape(n, d, d),
        "linear1.weight": impl.normal((n * f, d), 0.0, std, rng=rng).reshape(n, f, d),
        "linear2.weight": impl.normal((n * d, f), 0.0, output_std, rng=rng).reshape(n, d, f),
    }
    fixed = {
        "in_proj_bias": np.zeros(3 * d),
        "out_proj.bias": np.zeros(d),
        "linear1.bias": np.zeros(f),
        "linear2.bias": np.zeros(d),
        "norm1.weight": np.ones(d),
        "norm1.bias": np.zeros(d),
        "norm2.weight": np.ones(d),
        "norm2.bias": np.zeros(d),
    }
    return [
        [{**fixed, **{k: v[net * depth + layer] for k, v in draws.items()}} for layer in range(depth)]
        for net in range(count)
    ]


def _token(x: np.ndarray) -> np.ndarray:
    return x.reshape(1, 1, -1)


def prenorm_stream_sampler(
    impl, depth: int, std: float, output_std: float, x0: np.ndarray, rng: np.random.Generator
) -> decide.Sampler:
    """``||x_L||^2`` of Pre-LN stacks (no final LayerNorm) on the token ``x0``."""

    def sampler(n: int) -> np.ndarray:
        out = np.empty(n)
        for i, layers in enumerate(_layers(impl, n, depth, std, output_std, rng)):
            x, _ = impl.transformer_forward(layers, _token(x0), nhead=1, norm_first=True, eps=0.0)
            out[i] = float(np.sum(x * x))
        return out

    return sampler


@pytest.mark.claim("gpt2-prenorm-residual-scaling")
@pytest.mark.parametrize("scaled", [True, False])
@given(blocks=st.integers(1, 2), seed=cs.seeds())
@cs.scaled(1)
def test_gpt2_residual_scaling(impl, scaled: bool, blocks: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    residual_layers = 2 * blocks
    std = 1 / math.sqrt(D_MODEL)
    output_std = std * (transformer.gpt2_residual_scale(residual_layers) if scaled else 1.0)
    x0 = rng.normal(size=D_MODEL)
    branches = transformer.prenorm_block_branches(D_MODEL, D_FF, std, output_std) * blocks
    mean, second = transformer.prenorm_stream_moments(float(x0 @ x0), branches, D_MODEL)
    one_layer = transformer.prenorm_block_branches(D_MODEL, D_FF, std, std)
    unscaled_increment = D_MODEL * sum(t for t, _ in one_layer) / len(one_layer)
    expected = float(x0 @ x0) + (unscaled_increment if scaled else residual_layers * unscaled_increment)
    assert mean == pytest.approx(expected, rel=1e-12)  # the claim's closed form
    decide.check_mean(
        Context("gpt2-prenorm-residual-scaling", {"blocks": blocks, "scaled": scaled, "d": D_MODEL}, seed),
        prenorm_stream_sampler(impl, blocks, std, output_std, x0, rng),
        mean,
        second - mean**2,
        effect=EFFECT * mean,
    )


@pytest.mark.claim("megatron-output-std-bounded")
@given(blocks=st.integers(1, 2), sigma=st.sampled_from([0.15, 0.2]), seed=cs.seeds())
@cs.scaled(1)
def test_megatron_output_std(impl, blocks: int, sigma: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    output_std = transformer.megatron_output_std(sigma, blocks)
    x0 = rng.normal(size=D_MODEL)
    branches = transformer.prenorm_block_branches(D_MODEL, D_FF, sigma, output_std) * blocks
    mean, second = transformer.prenorm_stream_moments(float(x0 @ x0), branches, D_MODEL)
    increment = transformer.megatron_mean_square_increment(D_MODEL, D_FF, sigma)
    assert mean / D_MODEL == pytest.approx(float(x0 @ x0) / D_MODEL + increment, rel=1e-12)
    decide.check_mean(
        Context("megatron-output-std-bounded", {"blocks": blocks, "sigma": sigma, "d": D_MODEL}, seed),
        prenorm_stream_sampler(impl, blocks, sigma, output_std, x0, rng),
        mean,
        second - mean**2,
        effect=EFFECT * mean,
    )


def _last_w2_gradient(impl, layers, x0: np.ndarray, r: np.ndarray, norm_first: bool) -> tuple[float, float]:
    """``(||dl/dW_2|| of the last layer, sigma(x_L))`` for ``l = <r, out>``; Pre-LN has the final LN."""
    out, cache = impl.transformer_forward(
        layers, _token(x0), nhead=1, norm_first=norm_first, eps=0.0, final_norm=True if norm_first else None
    )
    grads, _ = impl.transformer_backward(layers, cache, _token(r))
    stream = cache.final_input if norm_first else out
    return float(np.linalg.norm(grads[-1]["linear2.weight"])), float(np.std(stream))


@pytest.mark.claim("pre-post-ln-gradient-depth")
@pytest.mark.parametrize("norm_first", [False, True])
@given(deeper=st.integers(2, 3), seed=cs.seeds())
@cs.scaled(1)
def test_last_layer_gradient_law_is_depth_free(impl, norm_first: bool, deeper: int, seed: int) -> None:
    """Post-LN: ||dl/dW_2|| has one law at depths 1 and ``deeper``; Pre-LN: ||dl/dW_2|| sigma(x_L) has."""
    rng = np.random.default_rng(seed)
    std = 1 / math.sqrt(D_MODEL)

    def exceeds(n: int) -> np.ndarray:
        shallow, deep = _layers(impl, n, 1, std, std, rng), _layers(impl, n, deeper, std, std, rng)
        out = np.empty(n, dtype=bool)
        for i in range(n):
            values = []
            for layers in (shallow[i], deep[i]):
                x0 = impl.layer_norm(rng.normal(size=D_MODEL), D_MODEL, eps=0.0)  # mean 0, norm sqrt(d)
                grad, sigma = _last_w2_gradient(impl, layers, x0, rng.normal(size=D_MODEL), norm_first)
                values.append(grad * sigma if norm_first else grad)
            out[i] = values[0] > values[1]
        return out

    decide.check_proportion(
        Context("pre-post-ln-gradient-depth", {"norm_first": norm_first, "depths": (1, deeper)}, seed),
        exceeds,
        transformer.EQUAL_LAW_EXCEEDANCE,
        effect=PROPORTION_EFFECT,
    )


@pytest.mark.claim("deepnet-constants")
@given(layers=st.integers(1, 1000), decoder=st.integers(1, 1000), seed=cs.seeds())
def test_deepnet_constants(impl, layers: int, decoder: int, seed: int) -> None:
    for architecture, stack, sublayers in (
        ("encoder", "encoder", 2 * layers),
        ("decoder", "decoder", 2 * decoder),
        ("encoder-decoder", "decoder", 3 * decoder),
    ):
        alpha, beta = transformer.deepnorm_constants(architecture, layers, decoder)[stack]
        assert transformer.deepnorm_update_sum(alpha, beta, sublayers) == pytest.approx(1.0, rel=1e-12)
        assert alpha**4 == pytest.approx(sublayers, rel=1e-12)  # 2N, 2M, 3M
    encoder = transformer.deepnorm_constants("encoder-decoder", layers, decoder)["encoder"]
    assert encoder.alpha * encoder.beta == pytest.approx(0.81 * 0.87, rel=1e-12)  # the exponents cancel
    # DeepNorm is Post-LN with the skip path scaled by alpha: out = LN2(alpha y + FF(y)), y = LN1(...)
    rng = np.random.default_rng(seed)
    alpha = transformer.deepnorm_constants("encoder", layers)["encoder"].alpha
    params = _layers(impl, 1, 1, 0.3, 0.3, rng)[0][0]
    x = rng.normal(size=(2, 3, D_MODEL))
    out, cache = impl.transformer_layer_forward(params, x, nhead=1, eps=0.0, alpha=alpha)
    sa, ff = cache.branches
    y = impl.layer_norm(alpha * x + sa, D_MODEL, eps=0.0)
    compare.check_close(
        Context("deepnet-constants", {"layers": layers, "decoder": decoder}, seed),
        out,
        impl.layer_norm(alpha * y + ff, D_MODEL, eps=0.0),
        rtol=1e-12,
        atol=1e-12,
        derivation="the same float64 operations in another order",
    )


@pytest.mark.claim("deepnorm-branch-share")
@given(layers=st.integers(1, 100), seed=cs.seeds())
@cs.scaled(1)
def test_deepnorm_branch_share(impl, layers: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    alpha, beta = transformer.deepnorm_constants("encoder", layers)["encoder"]
    var = 1.0 / D_MODEL
    d_ff = D_FF
    mean, second = transformer.deepnorm_branch_share_moments(D_MODEL, d_ff, alpha, beta, var, var)
    assert mean == pytest.approx(beta**4 * var * var * D_MODEL * d_ff / (2 * alpha**2), rel=1e-12)

    def shares(n: int) -> np.ndarray:
        out = np.empty(n)
        for i, (params,) in enumerate(_layers(impl, n, 1, math.sqrt(var), math.sqrt(var), rng, d_ff)):
            for name in ("linear1.weight", "linear2.weight"):
                params[name] = beta * params[name]
            x = impl.layer_norm(rng.normal(size=D_MODEL), D_MODEL, eps=0.0)  # ||x||^2 = d
            _, cache = impl.transformer_layer_forward(params, _token(x), nhead=1, eps=0.0, alpha=alpha)
            ff_input = cache.middle.ravel()  # the FF sublayer's input, a LayerNorm output
            out[i] = float(np.sum(cache.branches[1] ** 2)) / (alpha**2 * float(ff_input @ ff_input))
        return out

    decide.check_mean(
        Context("deepnorm-branch-share", {"layers": layers, "alpha": alpha, "beta": beta}, seed),
        shares,
        mean,
        second - mean**2,
        effect=SHARE_EFFECT * mean,
    )
