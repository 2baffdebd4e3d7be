"""Theory itself against independent references: published constants, closed forms against
quadrature, internal consistency, domain errors."""

from __future__ import annotations

import math

import pytest
from scipy import integrate, stats

from theory import activations, distributions, haar, isometry, meanfield, optimizers, selu, variance


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
