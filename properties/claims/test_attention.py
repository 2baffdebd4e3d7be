"""Attention logits at initialization: variance d_k unscaled, 1 scaled by 1/sqrt(d_k).

The query and key entries are drawn here, N(0, 1); the implementation under test computes the
scores. Each sample is one logit of an independent (q, k) pair; the check is a median of means
of ``s^2`` (mean 0 is known), sized by the exact fourth moment ``3 + 6/d_k`` from theory, with a
declared effect of 20% of the claimed variance.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties import decide
from properties import strategies as cs
from properties.decide import Context
from theory import attention

EFFECT = 0.2
"""Declared detectable effect, relative to the claimed variance."""


@pytest.mark.parametrize(
    "claim",
    [
        pytest.param(c, marks=pytest.mark.claim(c))
        for c in ("attention-logit-variance", "attention-unscaled-variance-dk")
    ],
)
@given(d_k=st.integers(1, 64), seed=cs.seeds())
@cs.scaled(2)
def test_attention_logit_variance(impl, claim: str, d_k: int, seed: int) -> None:
    impl.require("attention_scores")
    rng = np.random.default_rng(seed)
    scaled = claim == "attention-logit-variance"
    variance = attention.scaled_logit_variance(d_k) if scaled else attention.dot_product_variance(d_k)

    def squared_logits(n: int) -> np.ndarray:
        q, k = rng.standard_normal((n, 1, d_k)), rng.standard_normal((n, 1, d_k))
        return impl.attention_scores(q, k, scale=None if scaled else 1.0).ravel() ** 2

    fourth = attention.gaussian_scaled_logit_fourth_moment(d_k) * (1.0 if scaled else d_k**2)
    decide.check_mean(
        Context(claim, {"d_k": d_k}, seed),
        squared_logits,
        variance,
        fourth - variance**2,
        effect=EFFECT * variance,
    )
