"""Predictions for the numerical experiments the seed documents report, and the numbers the
registry's corrections of the seeds quote.

Seed 000 (one neuron with 10,000 inputs; where a sigmoid saturates), seed 004 (linear chain of
width 400; Xavier with ReLU), seed 001 (10 layers of 500 units, tanh and ReLU, with the
initializations it compares; where tanh and the sigmoid saturate; Adam's cold start).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from theory import meanfield
from theory._domain import positive, positive_int, real, unit_interval
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


def seed000_probability_within_unit(weight_law: str) -> float:
    """``P(|a| <= 1)`` for seed 000's neuron: ``1 - P(|a| > 1)`` (0.917 for ``N(0, 1/sqrt n)``)."""
    return 1.0 - seed000_probability_outside_unit(weight_law)


def sigmoid_slope_fraction(x: float) -> float:
    """``sigmoid'(x) / sigmoid'(0) = 4 sigmoid(x) (1 - sigmoid(x)) = 4 e^-|x| / (1 + e^-|x|)^2`` (0.786 at 1).

    Seed 000 says a sigmoid flattens once ``|a| > 1``; at ``|a| = 1`` its slope is still 79% of
    its maximum.
    """
    e = math.exp(-abs(real(x, "x")))
    return 4.0 * e / (1.0 + e) ** 2


def sigmoid_saturation_threshold(fraction: float) -> float:
    """The ``x > 0`` where ``sigmoid'(x)`` falls to ``fraction`` of its maximum 1/4.

    ``s (1 - s) = fraction / 4`` gives ``s = (1 + sqrt(1 - fraction)) / 2`` and
    ``x = log(s / (1 - s))`` (5.9864 for 1%).
    """
    f = unit_interval(fraction, "fraction")
    if f == 0.0:
        raise ValueError("fraction must be in (0, 1), got 0")
    root = math.sqrt(1.0 - f)
    return math.log((1.0 + root) / (1.0 - root))


def tanh_saturation_threshold(level: float) -> float:
    """The ``x > 0`` where ``tanh'(x) = 1 / cosh(x)^2`` falls to ``level``: ``arccosh(1/sqrt(level))``.

    4.1468 for ``level = 1e-3``: tanh' < 1e-3 exactly for ``|x| > 4.1468``.
    """
    lv = unit_interval(level, "level")
    if lv == 0.0:
        raise ValueError("level must be in (0, 1), got 0")
    return math.acosh(1.0 / math.sqrt(lv))


def adam_uncorrected_step_ratio(t: int, beta1: float = 0.9, beta2: float = 0.999) -> float:
    """Adam's step without bias correction over the corrected step, constant gradient, eps = 0.

    ``m_t = (1 - beta1^t) g`` and ``v_t = (1 - beta2^t) g^2``, so the ratio is
    ``(1 - beta1^t) / sqrt(1 - beta2^t)``: 3.1623 at t = 1 and 6.5279 at t = 10 at the default
    betas, above 1 at every t. Seed 001 says the uncorrected steps are slower; they are larger.

    References: Kingma & Ba (2015), arXiv:1412.6980, Sec. 3.
    """
    t = positive_int(t, "t")
    b1 = unit_interval(beta1, "beta1")
    b2 = unit_interval(beta2, "beta2")
    if b2 == 0.0:
        raise ValueError("beta2 must be in (0, 1), got 0")
    return (1.0 - b1**t) / math.sqrt(1.0 - b2**t)


def adam_uncorrected_peak(beta1: float = 0.9, beta2: float = 0.999, horizon: int = 1000) -> tuple[int, float]:
    """The step ``t <= horizon`` where :func:`adam_uncorrected_step_ratio` is largest, and its value."""
    horizon = positive_int(horizon, "horizon")
    best = max(range(1, horizon + 1), key=lambda t: adam_uncorrected_step_ratio(t, beta1, beta2))
    return best, adam_uncorrected_step_ratio(best, beta1, beta2)


def seed004_xavier_relu_factor(gain: float) -> float:
    """Pre-activation std multiplier per layer of a square Xavier ReLU net: ``gain / sqrt 2``.

    ``xavier(gain)`` on square layers has ``N Var W = gain^2``; a ReLU keeps half the second
    moment (He et al. 2015, eq. (8)), so ``q_{l+1} = gain^2 q_l / 2``: x0.707 at gain 1
    (vanishing), x1.1785 at seed 004's gain 5/3 (exploding).
    """
    return positive(gain, "gain") / math.sqrt(2.0)


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


def seed001_activation_stds(experiment: str, input_second_moment: float = 1.0) -> list[float]:
    """Mean-field post-activation std ``sqrt(Var phi(h_l))`` at layers 1..10 of seed 001's experiment."""
    stds = []
    for std in seed001_preactivation_stds(experiment, input_second_moment):
        mean, second = meanfield.post_activation_moments(
            std * std, SEED001_EXPERIMENTS[experiment].activation
        )
        stds.append(math.sqrt(max(second - mean * mean, 0.0)))
    return stds
