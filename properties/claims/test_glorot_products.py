"""Glorot & Bengio's forward and backward variance products in a deep linear net (asymptotic,
finite-width log tolerance of :mod:`properties.simulation`; theory_claims.md S1.4), and the
products of one layer with unequal widths (statistical)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from properties import compare, decide
from properties import strategies as cs
from properties.decide import Context
from properties.sampling import Calls, repeated
from properties.simulation import log_tolerances
from theory import variance


@pytest.mark.claim("glorot-forward-product")
@pytest.mark.claim("glorot-backward-product")
def test_glorot_products_in_a_deep_linear_net(impl) -> None:
    # theory_claims.md S1.4: widths 100-300-50-200-400, uniform weights with b = 0.05, 0.2, 0.1, 0.07
    widths, bounds = [100, 300, 50, 200, 400], [0.05, 0.2, 0.1, 0.07]
    weight_vars = [variance.uniform_variance(b) for b in bounds]
    forward_pred = variance.glorot_forward_variances(1.0, widths[:-1], weight_vars)
    backward_pred = variance.glorot_backward_variances(1.0, widths[1:], weight_vars)
    rng, nets, batch = np.random.default_rng(0), 8, 64
    fwd, bwd = np.zeros((nets, 4)), np.zeros((nets, 4))
    for s in range(nets):
        ws = [
            impl.uniform((o, i), -b, b, rng=rng)
            for i, o, b in zip(widths[:-1], widths[1:], bounds, strict=True)
        ]
        h = rng.standard_normal((batch, widths[0]))
        for layer, w in enumerate(ws):
            h = h @ w.T
            fwd[s, layer] = np.mean(h * h)
        g = rng.standard_normal((batch, widths[-1]))
        for layer in range(3, -1, -1):
            g = g @ ws[layer]
            bwd[s, layer] = np.mean(g * g)
    contributions = np.array([4.0 / n for n in widths[1:]]) + 2.0 / (widths[0] * batch)
    tol = log_tolerances(contributions, nets, comparisons=8)
    compare.check_close(
        Context("glorot-forward-product", {"widths": widths, "bounds": bounds}),
        np.log(fwd.mean(0)),
        np.log(forward_pred),
        rtol=0,
        atol=tol,
        rule="meanfield",
        effect_unit="log error",
        derivation="finite-width log tolerance",
    )
    tol_back = log_tolerances(np.array([4.0 / n for n in widths[:-1]])[::-1], nets, comparisons=8)[::-1]
    compare.check_close(
        Context("glorot-backward-product", {"widths": widths, "bounds": bounds}),
        np.log(bwd.mean(0)),
        np.log(backward_pred),
        rtol=0,
        atol=tol_back,
        rule="meanfield",
        effect_unit="log error",
        derivation="finite-width log tolerance",
    )


@pytest.mark.claim("glorot-unequal-widths-bracket")
@pytest.mark.parametrize("law", ["xavier_normal", "xavier_uniform"])
@given(fan_in=st.integers(1, 2048), fan_out=st.integers(1, 2048), seed=cs.seeds())
@cs.scaled(3)
def test_glorot_products_bracket_one_with_unequal_widths(
    impl, law: str, fan_in: int, fan_out: int, seed: int
) -> None:
    """The law's variance times each fan, against theory's products; the check catches a std
    error of half the distance between the two products' square roots and 1, so a law meeting
    either condition (n Var W = 1) would fail."""
    assume(max(fan_in, fan_out) >= 1.25 * min(fan_in, fan_out))
    p_in, p_out = variance.glorot_fan_products(fan_in, fan_out)
    assert p_in + p_out == pytest.approx(2.0) and min(p_in, p_out) < 1 < max(p_in, p_out)
    shape = (fan_out, fan_in)
    rng = np.random.default_rng(seed)
    weights = repeated(Calls(getattr(impl, law), shape), rng)

    def sampler(n: int) -> np.ndarray:
        return weights(n) * math.sqrt(fan_in)

    relative_std = min(abs(math.sqrt(p) - 1) for p in (p_in, p_out)) / 2
    context = Context(
        "glorot-unequal-widths-bracket", {"law": law, "fan_in": fan_in, "fan_out": fan_out}, seed
    )
    if law == "xavier_normal":
        decide.check_normal_variance(context, sampler, p_in, relative_std=relative_std)
    else:
        decide.check_variance(
            context, sampler, p_in, 1.8, bound=math.sqrt(3 * p_in), relative_std=relative_std
        )
