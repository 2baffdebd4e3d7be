"""Glorot & Bengio's forward and backward variance products in a deep linear net (asymptotic,
finite-width log tolerance of :mod:`properties.simulation`; theory_claims.md S1.4)."""

from __future__ import annotations

import numpy as np
import pytest

from properties import compare
from properties.decide import Context
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
