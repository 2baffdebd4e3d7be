"""Theory itself against independent references: published constants, closed forms against
quadrature, internal consistency, domain errors."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest
from scipy import integrate, stats

from theory import (
    CLAIMS,
    activations,
    distributions,
    edge_of_chaos,
    finite_width,
    haar,
    isometry,
    low_precision,
    meanfield,
    optimizers,
    seeds,
    selu,
    variance,
    width_scaling,
)


def test_published_constants() -> None:
    assert pytest.approx(0.87962566103423978, rel=1e-15) == distributions.TRUNCATED_STD_2SIGMA
    assert pytest.approx(0.7737413035499232, rel=1e-14) == distributions.TRUNCATED_STD_2SIGMA**2
    alpha, lam = selu.selu_constants_closed_form()
    assert alpha == pytest.approx(1.6732632423543772848170429916717, rel=1e-15)
    assert lam == pytest.approx(1.0507009873554804934193349852946, rel=1e-15)
    assert meanfield.critical_sigma_w(0.0, "tanh") == 1.0
    assert meanfield.RELU_CRITICAL_SIGMA_W2 == 2.0
    for sigma_b, sigma_w in [(0.01, 1.042126), (0.05, 1.122539), (0.1, 1.193401), (0.3, 1.395584)]:
        assert meanfield.critical_sigma_w(sigma_b) == pytest.approx(sigma_w, abs=2e-6)
    assert meanfield.critical_sigma_w(math.sqrt(0.05)) ** 2 == pytest.approx(1.76095, abs=1e-5)


@pytest.mark.parametrize(
    ("sigma_w", "sigma_b", "q_star", "chi1", "xi_q", "xi_c"),
    [
        (1.5, 0.05, 0.798387, 1.136708, 1.4506, 16.201),
        (1.0, 0.05, 0.037122, 0.934059, 7.2659, 14.659),
        (1.2, 0.3, 0.469521, 0.870011, 1.3981, 7.1814),
        (2.0, 0.3, 2.253753, 1.327070, 0.8508, 6.6483),
    ],
)
def test_mean_field_reference_table(sigma_w, sigma_b, q_star, chi1, xi_q, xi_c) -> None:
    """theory_claims.md S5 (computed there with a 201-node Gauss-Hermite rule)."""
    q = meanfield.fixed_point(sigma_w**2, sigma_b**2, "tanh")
    assert q == pytest.approx(q_star, abs=2e-6)
    assert meanfield.chi1(sigma_w**2, q, "tanh") == pytest.approx(chi1, abs=2e-6)
    assert meanfield.depth_scale_q(sigma_w**2, sigma_b**2, "tanh") == pytest.approx(xi_q, abs=2e-4)
    assert meanfield.depth_scale_c(sigma_w**2, sigma_b**2, "tanh") == pytest.approx(xi_c, abs=2e-3)


def test_closed_forms_against_quadrature() -> None:
    for a in (0.1, 1.0, 7.0):
        assert variance.uniform_variance(a) == pytest.approx(
            integrate.quad(lambda x, a=a: x * x / (2 * a), -a, a)[0], rel=1e-12
        )
    assert activations.moment("relu", 1) == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-10)
    assert activations.moment("relu", 2) == pytest.approx(0.5, rel=1e-10)
    assert activations.moment("sigmoid", 1) == pytest.approx(0.5, rel=1e-10)
    law = distributions.truncated_normal(0.3, 1.7, -1.0, 2.5)

    def density(x: float) -> float:
        return stats.norm.pdf(x, 0.3, 1.7) / (stats.norm.cdf(2.5, 0.3, 1.7) - stats.norm.cdf(-1.0, 0.3, 1.7))

    mean = integrate.quad(lambda x: x * density(x), -1.0, 2.5)[0]
    assert law.mean() == pytest.approx(mean, rel=1e-10)
    assert law.var() == pytest.approx(
        integrate.quad(lambda x: (x - mean) ** 2 * density(x), -1.0, 2.5)[0], rel=1e-9
    )
    for depth in (1, 2, 5):
        assert isometry.fuss_catalan_moment(depth, 1) == 1.0
        assert isometry.gaussian_linear_spectrum_variance(depth) == depth
    assert haar.entry_square_moments(7)[0] == pytest.approx(1 / 7)


def test_gains_reference_table() -> None:
    """theory_claims.md S3.3."""
    table = {
        "tanh": (1.59254, 1.46741, 1.59254),
        "sigmoid": (1.84623, 4.72265, 4.80131),
        "relu": (1.41421, 1.41421, 1.71286),
        "selu": (1.0, 0.96603, 1.0),
        "gelu": (1.53353, 1.48111, 1.70093),
        "silu": (1.67653, 1.62332, 1.78719),
        "softsign": (2.33753, 2.09578, 2.33753),
        "elu": (1.24520, 1.22343, 1.27084),
        "softplus": (1.04187, 1.84623, 1.91913),
    }
    for name, expected in table.items():
        got = activations.gains(name)
        assert (got.forward, got.backward, got.variance) == pytest.approx(expected, abs=1e-5)
    assert activations.gains("gelu", approximate="tanh").forward == pytest.approx(1.53358, abs=1e-5)


def test_internal_consistency() -> None:
    assert activations.gains("relu").forward == pytest.approx(activations.pytorch_gain("relu"), rel=1e-12)
    assert activations.gains("leaky_relu", negative_slope=0.2).forward == pytest.approx(
        activations.he_gain(0.2), rel=1e-10
    )
    # The slope of the length map at q* (Stein form) equals a finite difference of the map.
    q = meanfield.fixed_point(1.5**2, 0.05**2, "tanh")
    h = 1e-5
    numeric = (
        meanfield.length_map(q + h, 2.25, 0.0025, "tanh") - meanfield.length_map(q - h, 2.25, 0.0025, "tanh")
    ) / (2 * h)
    assert meanfield.length_map_slope(2.25, q, "tanh") == pytest.approx(numeric, rel=1e-6)
    assert optimizers.rmsprop_settling_steps(0.99) == 391
    assert optimizers.adam_ratio_bound(0.9, 0.999) == pytest.approx(7.27, abs=0.01)
    assert variance.glorot_uniform_bound(3, 5) == pytest.approx(math.sqrt(6 / 8))
    assert variance.glorot_standard_init_variance(10) == pytest.approx(1 / 30)
    assert (
        isometry.relu_spectrum_variance(4, "gaussian") == 8
        and isometry.relu_spectrum_variance(4, "orthogonal") == 4
    )


def test_domain_errors() -> None:
    with pytest.raises(ValueError, match="a must be >= 0"):
        variance.uniform_variance(-1)
    with pytest.raises(ValueError, match="fan_in must be an int >= 1"):
        variance.glorot_variance(0, 3)
    with pytest.raises(ValueError, match="mode must be one of"):
        variance.variance_scaling_variance(1.0, 3, 4, "fan_sum")
    with pytest.raises(ValueError, match="activation must be one of"):
        activations.moment("swish", 2)
    with pytest.raises(TypeError, match="params of 'tanh' must be among"):
        activations.activation("tanh", negative_slope=0.1)
    with pytest.raises(ValueError, match="approximate must be"):
        activations.activation("gelu", approximate="fast")
    with pytest.raises(ValueError, match=r"beta1 must be in \[0, 1\)"):
        optimizers.adam_first_moment_expectation(1.0, 1.0, 3)
    with pytest.raises(ValueError, match="need beta1\\^2 < beta2"):
        optimizers.adam_ratio_bound(0.99, 0.5)
    with pytest.raises(ValueError, match="c must be in"):
        meanfield.relu_correlation_map(1.5)
    with pytest.raises(ValueError, match="weights must be"):
        isometry.relu_spectrum_variance(2, "uniform")
    with pytest.raises(ValueError, match="n must be >= 2"):
        haar.entry_square_law(1)
    with pytest.raises(TypeError, match="must be a real number"):
        variance.uniform_variance("1")
    with pytest.raises(ValueError, match="unknown scheme"):
        distributions.scheme("glorot", (3, 3))


# --------------------------------------------------------------------------------------------
# Every number printed in the registry's prose is theory's value to the printed precision
# --------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\d.])(?:\d+(?:\.\d+)?%|\d+\.\d+(?:e[-+]?\d+)?|\d+e[-+]?\d+)")
"""A decimal, a power of ten or a percentage as written in a claim's prose."""

_PROSE_FIELDS = ("title", "statement", "assumptions", "correction")


def _mean_field(sigma_w2: float, sigma_b2: float) -> tuple[float, float]:
    q = meanfield.fixed_point(sigma_w2, sigma_b2, "tanh")
    return q, meanfield.chi1(sigma_w2, q, "tanh")


def _sigmoid(x: float) -> float:
    return float(activations.activation("sigmoid").f(np.array([x]))[0])


def _selu_jacobian() -> np.ndarray:
    return np.asarray(selu.moment_map_jacobian(*selu.selu_constants_closed_form()))


def _seed001(experiment: str, post: bool = False) -> list[float]:
    return (seeds.seed001_activation_stds if post else seeds.seed001_preactivation_stds)(experiment)


PRINTED: list[tuple[str, str, Callable[[], float]]] = [
    (
        "variance-scaling-truncated-correction",
        "0.87962566103423978",
        lambda: distributions.TRUNCATED_STD_2SIGMA,
    ),
    ("truncated-normal-std-constant", "0.87962566103423978", lambda: distributions.TRUNCATED_STD_2SIGMA),
    ("saturation-beyond-10", "4.54e-5", lambda: activations.saturation_slope("sigmoid", 10.0)),
    ("saturation-beyond-10", "8.24e-9", lambda: activations.saturation_slope("tanh", 10.0)),
    ("saturation-beyond-10", "5.9864", lambda: seeds.sigmoid_saturation_threshold(0.01)),
    ("saturation-beyond-10", "4.1468", lambda: seeds.tanh_saturation_threshold(1e-3)),
    ("sigmoid-slope-at-one", "0.7311", lambda: _sigmoid(1.0)),
    ("sigmoid-slope-at-one", "0.1966", lambda: activations.saturation_slope("sigmoid", 1.0)),
    ("sigmoid-slope-at-one", "78.64%", lambda: seeds.sigmoid_slope_fraction(1.0)),
    ("sigmoid-slope-at-one", "79%", lambda: seeds.sigmoid_slope_fraction(1.0)),
    ("sigmoid-slope-at-one", "5.9864", lambda: seeds.sigmoid_saturation_threshold(0.01)),
    ("sigmoid-slope-at-one", "0.73", lambda: _sigmoid(1.0)),
    ("sigmoid-slope-at-one", "0.27", lambda: 1.0 - _sigmoid(1.0)),
    ("activation-gaussian-moments", "0.39429", lambda: activations.moment("tanh", 2)),
    ("activation-gaussian-moments", "0.46440", lambda: activations.moment("tanh", 2, derivative=True)),
    ("activation-gains", "1.59254", lambda: activations.gains("tanh").forward),
    ("activation-gains", "1.59254", lambda: activations.gains("tanh").variance),
    ("activation-gains", "1.46741", lambda: activations.gains("tanh").backward),
    ("activation-gains", "1.71286", lambda: activations.gains("relu").variance),
    ("tanh-gain-vs-theory", "4.7%", lambda: (5 / 3) / activations.gains("tanh").forward - 1.0),
    ("tanh-gain-vs-theory", "1.59254", lambda: activations.gains("tanh").forward),
    ("tanh-gain-vs-theory", "0.394", lambda: activations.moment("tanh", 2)),
    ("tanh-gain-vs-theory", "2.54", lambda: 1.0 / activations.moment("tanh", 2)),
    ("tanh-gain-vs-theory", "1.59", lambda: activations.moment("tanh", 2) ** -0.5),
    ("linear-regime-error", "0.9805", lambda: activations.linear_regime_ratio(0.01)),
    ("linear-regime-error", "0.8421", lambda: activations.linear_regime_ratio(0.1)),
    ("linear-regime-error", "0.3943", lambda: activations.linear_regime_ratio(1.0)),
    ("linear-regime-error", "2%", lambda: 1.0 - activations.linear_regime_ratio(0.01)),
    ("linear-regime-error", "16%", lambda: 1.0 - activations.linear_regime_ratio(0.1)),
    ("linear-regime-error", "61%", lambda: 1.0 - activations.linear_regime_ratio(1.0)),
    ("selu-constants", "1.6732632423543772", lambda: selu.selu_constants_closed_form()[0]),
    ("selu-constants", "1.0507009873554805", lambda: selu.selu_constants_closed_form()[1]),
    ("selu-fixed-point-stable", "0.088835", lambda: _selu_jacobian()[0, 1]),
    ("selu-fixed-point-stable", "0.782648", lambda: _selu_jacobian()[1, 1]),
    ("selu-fixed-point-stable", "0.7877", lambda: np.linalg.norm(_selu_jacobian(), 2)),
    ("selu-chi1", "1.07157", selu.selu_chi1),
    ("meanfield-fixed-point", "0.798387", lambda: _mean_field(1.5**2, 0.05**2)[0]),
    ("meanfield-fixed-point", "1.136708", lambda: _mean_field(1.5**2, 0.05**2)[1]),
    ("tanh-critical-line", "1.122539", lambda: meanfield.critical_sigma_w(0.05)),
    ("tanh-critical-line", "1.76095", lambda: meanfield.critical_sigma_w(math.sqrt(0.05)) ** 2),
    ("relu-correlation-map", "44.41", lambda: meanfield.RELU_CORRELATION_ASYMPTOTE),
    ("tanh-pytorch-gain-chaotic", "1.178480", lambda: _mean_field(25 / 9, 0.0)[0]),
    ("tanh-pytorch-gain-chaotic", "1.209831", lambda: _mean_field(25 / 9, 0.0)[1]),
    ("adam-bias-correction-unbiased", "3.1623", lambda: seeds.adam_uncorrected_step_ratio(1)),
    ("adam-bias-correction-unbiased", "6.5279", lambda: seeds.adam_uncorrected_step_ratio(10)),
    ("adam-bias-correction-unbiased", "6.5685", lambda: seeds.adam_uncorrected_peak()[1]),
    ("adam-bias-correction-unbiased", "12", lambda: seeds.adam_uncorrected_peak()[0]),
    (
        "adam-uncorrected-first-step",
        "3.16228",
        lambda: optimizers.adam_uncorrected_first_step(1, 1, 0.9, 0.999, 0),
    ),
    ("rmsprop-constant-gradient", "10", lambda: optimizers.rmsprop_constant_gradient_step(1, 1, 0.99, 1, 0)),
    ("rmsprop-constant-gradient", "391", lambda: optimizers.rmsprop_settling_steps(0.99)),
    ("seed-000-neuron-std", "33.3", lambda: seeds.seed000_preactivation_std("uniform(-1, 1)")),
    ("seed-000-neuron-std", "57.7", lambda: seeds.seed000_preactivation_std("normal(0, 1)")),
    ("seed-000-neuron-std", "50.8", lambda: seeds.seed000_preactivation_std("truncated_normal(0, 1, +-2)")),
    ("seed-000-neuron-std", "0.577", lambda: seeds.seed000_preactivation_std("normal(0, 1/sqrt(n))")),
    ("seed-000-neuron-std", "0.083", lambda: seeds.seed000_probability_outside_unit("normal(0, 1/sqrt(n))")),
    ("seed-000-neuron-std", "91.7%", lambda: seeds.seed000_probability_within_unit("normal(0, 1/sqrt(n))")),
    ("seed-004-growth", "20", lambda: seeds.seed004_growth_per_layer(400)),
    ("seed-004-xavier-relu", "0.7071", lambda: seeds.seed004_xavier_relu_factor(1.0)),
    ("seed-004-xavier-relu", "1.1785", lambda: seeds.seed004_xavier_relu_factor(5 / 3)),
    (
        "seed-001-tanh-small-init",
        "0.2236",
        lambda: _seed001("tanh-normal-std-0.01")[-1] / _seed001("tanh-normal-std-0.01")[-2],
    ),
    (
        "seed-001-tanh-small-init",
        "0.2135",
        lambda: _seed001("tanh-normal-std-0.01")[1] / _seed001("tanh-normal-std-0.01")[0],
    ),
    ("seed-001-tanh-small-init", "0.05", lambda: seeds.SEED001_EXPERIMENTS["tanh-normal-std-0.01"].sigma_w2),
    ("seed-001-tanh-large-init", "22.36", lambda: _seed001("tanh-normal-std-1")[0]),
    ("seed-001-tanh-large-init", "21.95", lambda: _seed001("tanh-normal-std-1")[2]),
    ("seed-001-tanh-large-init", "0.9817", lambda: _seed001("tanh-normal-std-1", post=True)[-1]),
    ("seed-001-xavier-tanh", "1.000", lambda: _seed001("tanh-xavier")[0]),
    ("seed-001-xavier-tanh", "0.628", lambda: _seed001("tanh-xavier")[1]),
    ("seed-001-xavier-tanh", "0.628", lambda: _seed001("tanh-xavier", post=True)[0]),
    ("seed-001-xavier-tanh", "0.486", lambda: _seed001("tanh-xavier")[2]),
    ("seed-001-xavier-tanh", "0.486", lambda: _seed001("tanh-xavier", post=True)[1]),
    ("seed-001-xavier-tanh", "0.241", lambda: _seed001("tanh-xavier")[-1]),
    ("seed-001-xavier-tanh", "0.228", lambda: _seed001("tanh-xavier", post=True)[-1]),
    (
        "seed-001-xavier-tanh",
        "2.75",
        lambda: _seed001("tanh-xavier", post=True)[0] / _seed001("tanh-xavier", post=True)[-1],
    ),
    ("seed-001-xavier-relu", "0.7071", lambda: _seed001("relu-xavier")[1] / _seed001("relu-xavier")[0]),
    ("float16-subnormal-fraction", "6.1e-5", lambda: low_precision.FLOAT16.smallest_normal),
    ("float16-subnormal-fraction", "20%", lambda: low_precision.subnormal_probability(1 / 4096)),
    ("float16-subnormal-fraction", "1e-9", lambda: 1 - low_precision.subnormal_probability(1e-5)),
    (
        "low-precision-rounding-harmless",
        "9.5e-4",
        lambda: low_precision.rounding_kolmogorov_bound(1.0, low_precision.BFLOAT16),
    ),
    (
        "low-precision-rounding-harmless",
        "1.2e-4",
        lambda: low_precision.rounding_kolmogorov_bound(1.0, low_precision.FLOAT16),
    ),
    ("he-relu-log-norm-gaussian", "0.055", lambda: finite_width.relu_log_norm_normal_distance(16, 1)),
    ("he-relu-log-norm-gaussian", "0.035", lambda: finite_width.relu_log_norm_normal_distance(16, 3)),
    ("he-relu-log-norm-gaussian", "0.012", lambda: finite_width.relu_log_norm_normal_distance(256, 1)),
    ("mup-coordinate-check", "0.15", lambda: width_scaling.slope_bias_bound((32, 64, 128, 256), 1.0, 4.0)),
    (
        "abc-first-update-exponents",
        "0.27",
        lambda: width_scaling.slope_bias_bound((32, 64, 128, 256), 0.5, 1.0),
    ),
    (
        "gelu-silu-critical-curve",
        "0.1729",
        lambda: edge_of_chaos.critical_point_at(edge_of_chaos.stable_curve_threshold("gelu"), "gelu")[1],
    ),
    (
        "gelu-silu-critical-curve",
        "0.5551",
        lambda: edge_of_chaos.critical_point_at(edge_of_chaos.stable_curve_threshold("silu"), "silu")[1],
    ),
    ("tied-gaussian-rnn-norm-drift", "1.5", lambda: isometry.tied_gaussian_rnn_moment(2, 2)),
    ("tied-gaussian-rnn-norm-drift", "14.5", lambda: isometry.tied_gaussian_rnn_moment(2, 4)),
]
"""(claim id, a number as printed in its prose, theory's value of it)."""

INPUTS: dict[str, set[str]] = {
    "chain-exponential": {"1.5", "0.5"},
    "truncated-normal-support": {"2.13"},  # torch version
    "saturation-beyond-10": {"1%", "1e-3"},
    "sigmoid-slope-at-one": {"1%"},
    "pytorch-gain-table": {"0.01"},
    "linear-regime-error": {"0.01", "0.1"},
    "selu-fixed-point-stable": {"0.1", "0.8", "1.5", "0.95", "1.1"},  # Theorem 1's domain
    "meanfield-fixed-point": {"1.5", "0.05"},
    "tanh-critical-line": {"0.05"},
    "zero-init-stays-zero": {"0.3"},
    "seed-adam-update": {"1e-8", "1e-7", "1e-5"},  # the papers' and frameworks' defaults
    "adagrad-rate-non-increasing": {"8.5"},  # a book section
    "rmsprop-constant-gradient": {"0.99", "0.999", "0.9", "1%"},
    "seed-001-tanh-small-init": {"0.01"},
    "float16-subnormal-fraction": {"1e-5"},  # the std of the example
    "deepnet-constants": {"0.81", "0.87", "4.2"},  # the paper's printed constants; Theorem 4.2
    "deepnorm-branch-share": {"4.2"},  # Theorem 4.2
    "he-relu-log-norm-gaussian": {"1e-3"},  # the grid error allowed (two grids agree to 1e-4)
}
"""Numbers in a claim's prose that are its inputs (parameters, defaults, quoted values)."""


def _matches(printed: str, value: float) -> bool:
    """``value`` rounds to ``printed`` (a percentage is of 1); full-precision constants to 4 ulp."""
    text, scale = (printed[:-1], 100.0) if printed.endswith("%") else (printed, 1.0)
    scaled = float(value) * scale
    mantissa = text.split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    if "e" in text:
        return f"{scaled:.{decimals}e}" == f"{float(text):.{decimals}e}"
    if decimals >= 15:
        return abs(scaled - float(text)) <= 4 * math.ulp(scaled)
    return f"{scaled:.{decimals}f}" == text


@pytest.mark.parametrize(("claim_id", "printed", "value"), PRINTED, ids=[f"{c}:{p}" for c, p, _ in PRINTED])
def test_printed_numbers_are_theorys(claim_id: str, printed: str, value: Callable[[], float]) -> None:
    claim = CLAIMS[claim_id]
    prose = " ".join(getattr(claim, field) for field in _PROSE_FIELDS)
    assert printed in _NUMBER.findall(prose) or re.search(
        rf"(?<![\d.]){re.escape(printed)}(?![\d.])", prose
    ), f"{claim_id}: {printed} is not in its prose"
    got = value()
    assert _matches(printed, got), f"{claim_id}: prints {printed}, theory computes {got!r}"


def test_every_printed_number_is_computed_or_an_input() -> None:
    """No decimal, power of ten or percentage in a claim's prose is typed without a check."""
    computed: dict[str, set[str]] = {}
    for claim_id, printed, _ in PRINTED:
        computed.setdefault(claim_id, set()).add(printed)
    unchecked = {}
    for claim in CLAIMS:
        numbers = set(_NUMBER.findall(" ".join(getattr(claim, field) for field in _PROSE_FIELDS)))
        rest = numbers - computed.get(claim.id, set()) - INPUTS.get(claim.id, set())
        if rest:
            unchecked[claim.id] = sorted(rest)
    assert not unchecked, f"numbers in the registry's prose with no theory value: {unchecked}"


def test_matches_is_strict() -> None:
    assert _matches("0.7071", math.sqrt(0.5)) and not _matches("0.7072", math.sqrt(0.5))
    assert _matches("4.54e-5", 4.5396e-5) and not _matches("4.53e-5", 4.5396e-5)
    assert _matches("79%", 0.7864) and not _matches("78%", 0.7864)
    assert _matches("12", 12) and not _matches("12", 12.6)


def test_seed_correction_formulas_against_independent_computations() -> None:
    """The thresholds and ratios the corrections quote, against the functions they invert."""
    sigmoid_threshold = seeds.sigmoid_saturation_threshold(0.01)
    assert activations.saturation_slope("sigmoid", sigmoid_threshold) == pytest.approx(0.0025, rel=1e-12)
    tanh_threshold = seeds.tanh_saturation_threshold(1e-3)
    assert activations.saturation_slope("tanh", tanh_threshold) == pytest.approx(1e-3, rel=1e-12)
    assert seeds.sigmoid_slope_fraction(1.0) == pytest.approx(
        4 * activations.saturation_slope("sigmoid", 1.0)
    )
    assert seeds.adam_uncorrected_step_ratio(1) == pytest.approx(
        optimizers.adam_uncorrected_first_step(1.0, 1.0, 0.9, 0.999, 0.0), rel=1e-15
    )
    assert seeds.adam_uncorrected_step_ratio(1) == pytest.approx(math.sqrt(10), rel=1e-15)
    ratios = [seeds.adam_uncorrected_step_ratio(t) for t in range(1, 20_001)]
    assert min(ratios) > 1.0 and max(ratios) == seeds.adam_uncorrected_peak()[1]
    # m_t and v_t of a constant gradient, accumulated step by step, give the same ratio at t = 10.
    m = v = 0.0
    for _ in range(10):
        m, v = 0.9 * m + 0.1, 0.999 * v + 0.001
    assert m / math.sqrt(v) == pytest.approx(seeds.adam_uncorrected_step_ratio(10), rel=1e-13)
    assert seeds.seed004_xavier_relu_factor(5 / 3) == pytest.approx(
        math.sqrt(meanfield.length_map(1.0, 25 / 9, 0.0, "relu")), rel=1e-9
    )


def test_seed_correction_domain_errors() -> None:
    with pytest.raises(ValueError, match="level must be in"):
        seeds.tanh_saturation_threshold(0.0)
    with pytest.raises(ValueError, match="fraction must be in"):
        seeds.sigmoid_saturation_threshold(1.5)
    with pytest.raises(ValueError, match="t must be an int >= 1"):
        seeds.adam_uncorrected_step_ratio(0)
    with pytest.raises(ValueError, match="beta2 must be in"):
        seeds.adam_uncorrected_step_ratio(3, 0.9, 1.0)
    with pytest.raises(ValueError, match="gain must be > 0"):
        seeds.seed004_xavier_relu_factor(-1.0)
    with pytest.raises(TypeError, match="x must be a real number"):
        seeds.sigmoid_slope_fraction("1")
