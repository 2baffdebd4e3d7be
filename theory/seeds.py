"""Predictions for the numerical experiments the seed documents report.

Seed 000 (one neuron with 10,000 inputs), seed 004 (linear chain of width 400), seed 001 (10
layers of 500 units, tanh and ReLU, with the initializations it compares).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from theory import meanfield
from theory._domain import positive, positive_int
from theory.distributions import TRUNCATED_STD_2SIGMA
from theory.variance import preactivation_variance, uniform_variance

SEED000_INPUTS = 10_000
SEED000_INPUT_SECOND_MOMENT = uniform_variance(1.0)
"""Seed 000 draws inputs from U(-1, 1): E[x^2] = 1/3."""

SEED000_WEIGHT_VARIANCES = {
    "uniform(-1, 1)": uniform_variance(1.0),
    "normal(0, 1)": 1.0,
    "truncated_normal(0, 1, +-2)": TRUNCATED_STD_2SIGMA**2,
    "normal(0, 1/sqrt(n))": 1.0 / SEED000_INPUTS,
}
"""The four weight laws of seed 000, by their variance."""


def seed000_preactivation_std(weight_law: str) -> float:
    """``sqrt(n Var(w) E[x^2])`` of ``a = w . x`` in seed 000 (33.3, 57.7, 50.8, 0.577)."""
    if weight_law not in SEED000_WEIGHT_VARIANCES:
        raise ValueError(f"weight_law must be one of {sorted(SEED000_WEIGHT_VARIANCES)}")
    variance = preactivation_variance(
        SEED000_INPUTS, SEED000_WEIGHT_VARIANCES[weight_law], SEED000_INPUT_SECOND_MOMENT
    )
    return math.sqrt(variance)


def seed000_probability_outside_unit(weight_law: str) -> float:
    """``P(|a| > 1)`` for seed 000's neuron (CLT: a is ~ normal with the std above).

    For ``N(0, 1/sqrt n)`` weights it is 2 Phi(-sqrt 3) = 0.083: the seed's "|a| is now within 1"
    holds only for about 92% of inputs.
    """
    return float(2 * stats.norm.sf(1.0 / seed000_preactivation_std(weight_law)))


def seed004_growth_per_layer(width: int, weight_std: float = 1.0) -> float:
    """Std multiplier per linear layer: ``sqrt(n) std(W)`` (seed 004: x20 at n = 400, std 1)."""
    return math.sqrt(positive_int(width, "width")) * positive(weight_std, "weight_std")


@dataclass(frozen=True)
class PropagationExperiment:
    """One of seed 001's experiments: activation and ``sigma_w^2 = n Var(W)``."""

    name: str
    activation: str
    sigma_w2: float
    seed_reading: str


SEED001_WIDTH = 500
SEED001_DEPTH = 10

SEED001_EXPERIMENTS = {
    e.name: e
    for e in (
        PropagationExperiment(
            "tanh-normal-std-0.01",
            "tanh",
            SEED001_WIDTH * 0.01**2,
            "activations collapse to 0 (N(0, 0.01), read as std 0.01)",
        ),
        PropagationExperiment(
            "tanh-normal-std-1",
            "tanh",
            SEED001_WIDTH * 1.0,
            "activations saturate at +-1 (N(0, 1))",
        ),
        PropagationExperiment(
            "tanh-xavier",
            "tanh",
            1.0,
            "Xavier N(0, 1/N) keeps tanh activations' variance roughly constant",
        ),
        PropagationExperiment(
            "relu-xavier", "relu", 1.0, "Xavier is not suited to ReLU (activations shrink)"
        ),
        PropagationExperiment("relu-he", "relu", 2.0, "He N(0, 2/N) keeps ReLU activations stable"),
    )
}


def seed001_preactivation_stds(experiment: str, input_second_moment: float = 1.0) -> list[float]:
    """Mean-field pre-activation std at layers 1..10 for one of seed 001's experiments."""
    e = SEED001_EXPERIMENTS[experiment]
    qs = meanfield.propagate(input_second_moment, e.sigma_w2, 0.0, e.activation, SEED001_DEPTH)
    return [math.sqrt(q) for q in qs]
