"""Transformers at initialization: Pre-LN streams (GPT-2, Megatron scales), DeepNet's constants and
branch share (Xiong's gradients by depth: ``test_transformer_gradients.py``).

The checks live in :mod:`properties.layer_checks` (shared with the mutant catalogue): each sample
is one freshly drawn network run by the implementation on one token with ``eps = 0``; the
predictions are exact moments at every width from :mod:`theory.transformer`. Mean checks are
medians of means sized by the exact variance (declared effect 25% of the claimed moment, 30% for
DeepNorm's share); depth-free laws are exact binomial tests of ``P(X_1 > X_2) = 1/2`` on independent
networks of two depths (declared effect 0.2).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties import compare, layer_checks
from properties import strategies as cs
from properties.decide import Context
from properties.layer_checks import D_FF, D_MODEL
from theory import transformer


@pytest.mark.claim("gpt2-prenorm-residual-scaling")
@pytest.mark.parametrize("scaled", [True, False])
@given(blocks=st.integers(1, 2), seed=cs.seeds())
@cs.scaled(1)
def test_gpt2_residual_scaling(impl, scaled: bool, blocks: int, seed: int) -> None:
    residual_layers = 2 * blocks
    std = 1 / math.sqrt(D_MODEL)
    output_std = std * (transformer.gpt2_residual_scale(residual_layers) if scaled else 1.0)
    # the claim's closed form: the mean increment of one unscaled layer, times N without scaling
    one_layer = transformer.prenorm_block_branches(D_MODEL, D_FF, std, std)
    increment = D_MODEL * sum(t for t, _ in one_layer) / len(one_layer)
    branches = transformer.prenorm_block_branches(D_MODEL, D_FF, std, output_std) * blocks
    mean, _ = transformer.prenorm_stream_moments(1.0, branches, D_MODEL)
    assert mean == pytest.approx(1.0 + (increment if scaled else residual_layers * increment), rel=1e-12)
    layer_checks.verify_prenorm_stream(
        impl, claim="gpt2-prenorm-residual-scaling", blocks=blocks, std=std, output_std=output_std, seed=seed
    )


@pytest.mark.claim("megatron-output-std-bounded")
@given(blocks=st.integers(1, 2), sigma=st.sampled_from([0.15, 0.2]), seed=cs.seeds())
@cs.scaled(1)
def test_megatron_output_std(impl, blocks: int, sigma: float, seed: int) -> None:
    output_std = transformer.megatron_output_std(sigma, blocks)
    branches = transformer.prenorm_block_branches(D_MODEL, D_FF, sigma, output_std) * blocks
    mean, _ = transformer.prenorm_stream_moments(0.0, branches, D_MODEL)
    increment = transformer.megatron_mean_square_increment(D_MODEL, D_FF, sigma)
    assert mean / D_MODEL == pytest.approx(increment, rel=1e-12)  # the same at every depth
    layer_checks.verify_prenorm_stream(
        impl, claim="megatron-output-std-bounded", blocks=blocks, std=sigma, output_std=output_std, seed=seed
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
        assert 2 * beta**2 == pytest.approx(alpha**-2, rel=1e-12)  # v^2 + w^2 = alpha^-2
        assert alpha**4 == pytest.approx(sublayers, rel=1e-12)  # 2N, 2M, 3M
    encoder = transformer.deepnorm_constants("encoder-decoder", layers, decoder)["encoder"]
    assert encoder.alpha * encoder.beta == pytest.approx(0.81 * 0.87, rel=1e-12)  # the exponents cancel
    # DeepNorm is Post-LN with the skip path scaled by alpha: out = LN2(alpha y + FF(y)), y = LN1(...)
    rng = np.random.default_rng(seed)
    alpha = transformer.deepnorm_constants("encoder", layers)["encoder"].alpha
    params = next(layer_checks.gaussian_layers(impl, 1, 1, 0.3, 0.3, rng))[0]
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
    alpha, beta = transformer.deepnorm_constants("encoder", layers)["encoder"]
    var = 1.0 / D_MODEL
    mean, _ = transformer.deepnorm_branch_share_moments(D_MODEL, D_FF, alpha, beta, var, var)
    assert mean == pytest.approx(beta**4 * var * var * D_MODEL * D_FF / (2 * alpha**2), rel=1e-12)
    layer_checks.verify_deepnorm_share(impl, layers=layers, seed=seed)
