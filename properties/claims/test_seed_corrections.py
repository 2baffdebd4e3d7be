"""Claims that correct a seed document where the registry found it wrong: each checks the target
against the number ``theory.seeds`` computes for the correction."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties import compare
from properties.decide import Context
from properties.simulation import forward_contributions, log_tolerances
from theory import meanfield, seeds


@pytest.mark.claim("sigmoid-slope-at-one")
@given(x=st.floats(0.0, 8.0))
def test_sigmoid_slope_relative_to_its_maximum(impl, x: float) -> None:
    """sigmoid'(x) / sigmoid'(0) from the target equals theory's 4 e^-|x| / (1 + e^-|x|)^2, |x| <= 8."""
    derivative = impl.ACTIVATIONS["sigmoid"].derivative
    slopes = derivative(np.array([x, -x, 0.0]))
    assert slopes[2] == 0.25
    assert slopes[0] / slopes[2] == pytest.approx(seeds.sigmoid_slope_fraction(x), rel=1e-9)
    assert slopes[1] == pytest.approx(slopes[0], rel=1e-9)


@pytest.mark.claim("sigmoid-slope-at-one")
def test_sigmoid_saturates_only_near_six(impl) -> None:
    """At |a| = 1 the slope is 79% of its maximum; it crosses 1% of it at theory's threshold."""
    derivative = impl.ACTIVATIONS["sigmoid"].derivative
    at_one = derivative(np.array([1.0]))[0] / 0.25
    assert at_one == pytest.approx(seeds.sigmoid_slope_fraction(1.0), rel=1e-12) and at_one > 0.78
    threshold = seeds.sigmoid_saturation_threshold(0.01)
    below, above = derivative(np.array([threshold * (1 - 1e-9), threshold * (1 + 1e-9)]))
    assert below > 0.01 * 0.25 > above


def _xavier_relu_second_moments(
    impl, gain: float, width: int, depth: int, batch: int, nets: int
) -> np.ndarray:
    """Mean h_l^2 of ``nets`` square ReLU nets built with ``xavier_uniform(gain)``, inputs N(0, I)."""
    rng = np.random.default_rng(4)
    out = np.empty((nets, depth))
    for s in range(nets):
        params = impl.init_mlp(
            [width] * (depth + 1),
            lambda shape, rng, dtype: impl.xavier_uniform(shape, gain, rng=rng, dtype=dtype),
            rng=rng,
        )
        cache = impl.forward(params, rng.standard_normal((batch, width)), "relu")
        out[s] = [np.mean(h * h) for h in cache.pre]
    return out


@pytest.mark.claim("seed-004-xavier-relu")
@pytest.mark.parametrize("gain", [1.0, 5.0 / 3.0])
def test_seed_004_xavier_with_relu(impl, gain: float) -> None:
    """Pre-activation second moments of Xavier ReLU nets follow gain^2 / 2 per layer (mean field)."""
    width, depth, batch, nets = 400, 10, 50, 4
    widths = [width] * (depth + 1)
    predicted = meanfield.propagate(1.0, gain**2, 0.0, "relu", depth)
    factor = seeds.seed004_xavier_relu_factor(gain)
    assert [math.sqrt(b / a) for a, b in pairwise(predicted)] == pytest.approx(
        [factor] * (depth - 1), rel=1e-12
    )
    sim = _xavier_relu_second_moments(impl, gain, width, depth, batch, nets)
    tol = log_tolerances(forward_contributions(widths, predicted, "relu", batch), nets, comparisons=2 * depth)
    compare.check_close(
        Context("seed-004-xavier-relu", {"gain": gain, "width": width, "depth": depth, "nets": nets}),
        np.log(sim.mean(0)),
        np.log(predicted),
        rtol=0,
        atol=tol,
        rule="meanfield",
        derivation="finite-width log tolerance (properties/simulation.py)",
    )
