"""Theory added for issue 12's audit list, against independent computations (quadrature, closed forms)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from theory import edge_of_chaos, initial_loss, isometry, low_precision, meanfield, variance, weight_decay
from theory.gaussian import bivariate_expectation, expectation


def _normal_expectation(f, variance: float) -> float:
    return integrate.quad(
        lambda d: f(d) * stats.norm.pdf(d, scale=math.sqrt(variance)),
        -np.inf,
        np.inf,
        epsabs=1e-13,
        epsrel=1e-12,
    )[0]


@pytest.mark.parametrize("std", [0.1, 0.5, 1.0, 2.0, 4.0])
def test_two_class_cross_entropy_against_softplus_quadrature(std: float) -> None:
    """K = 2: E log(e^z1 + e^z2) = E z1 + E softplus(z2 - z1) = E softplus(D), D ~ N(0, 2 s^2)."""
    expected = _normal_expectation(lambda d: np.logaddexp(0.0, d), 2 * std**2)
    assert initial_loss.gaussian_logits_cross_entropy(2, std) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("std", [0.3, 1.0, 2.5])
def test_three_class_cross_entropy_against_gauss_hermite(std: float) -> None:
    """K = 3: a 3-D Gauss-Hermite rule on the smooth log-sum-exp."""
    z, w = np.polynomial.hermite_e.hermegauss(80)
    w = w / math.sqrt(2 * math.pi)
    grid = np.stack(np.meshgrid(z, z, z, indexing="ij"), axis=-1) * std
    weights = w[:, None, None] * w[None, :, None] * w[None, None, :]
    expected = float(np.sum(weights * special.logsumexp(grid, axis=-1)))
    assert initial_loss.gaussian_logits_cross_entropy(3, std) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("classes", [1, 2, 10, 1000])
def test_cross_entropy_expansion_error_is_fourth_order(classes: int) -> None:
    exact = [initial_loss.gaussian_logits_cross_entropy(classes, s) for s in (0.05, 0.1)]
    naive = [initial_loss.gaussian_logits_cross_entropy_expansion(classes, s) for s in (0.05, 0.1)]
    remainders = [(e - a) / s**4 for e, a, s in zip(exact, naive, (0.05, 0.1), strict=True)]
    assert abs(remainders[0]) < 1 and abs(remainders[1]) < 1
    if classes > 1:
        assert remainders[0] == pytest.approx(remainders[1], rel=0.05)
    assert initial_loss.gaussian_logits_cross_entropy(classes, 0.0) == pytest.approx(math.log(classes))


@pytest.mark.parametrize("std", [0.05, 0.5, 1.0, 3.0, 4.0])
def test_max_softmax_two_classes_against_the_closed_form(std: float) -> None:
    assert initial_loss.gaussian_logits_max_softmax(2, std) == pytest.approx(
        initial_loss.two_class_max_softmax(std), abs=1e-9
    )


@pytest.mark.parametrize("std", [0.5, 2.0, 4.0])
def test_max_softmax_three_classes_against_direct_quadrature(std: float) -> None:
    """K = 3 without the Laplace trick: 3 E[1{z1 max} / (1 + e^(z2 - z1) + e^(z3 - z1))] as
    a trapezoid in x = z1 / s and a Gauss-Legendre product rule in the gaps a, b in [0, 12]."""
    x = np.linspace(-9, 9, 361)
    nodes, weights = np.polynomial.legendre.leggauss(200)
    gap, gap_w = (nodes + 1) * 6, weights * 6
    a, b = np.meshgrid(gap, gap, indexing="ij")
    ratio = 1 / (1 + np.exp(-std * a) + np.exp(-std * b))
    inner = [
        np.sum(np.outer(gap_w, gap_w) * stats.norm.pdf(xi - a) * stats.norm.pdf(xi - b) * ratio) for xi in x
    ]
    expected = 3 * np.trapezoid(stats.norm.pdf(x) * np.array(inner), x)
    assert initial_loss.gaussian_logits_max_softmax(3, std) == pytest.approx(expected, abs=1e-8)


@pytest.mark.parametrize("classes", [2, 100])
def test_max_softmax_is_increasing_from_one_over_k(classes: int) -> None:
    values = [initial_loss.gaussian_logits_max_softmax(classes, s) for s in np.linspace(0, 4, 5)]
    assert values[0] == 1 / classes
    assert all(b > a for a, b in itertools.pairwise(values)) and values[-1] < 1


def test_logit_std_domain() -> None:
    with pytest.raises(ValueError, match="std"):
        initial_loss.gaussian_logits_cross_entropy(3, 5.0)
    with pytest.raises(ValueError, match="classes"):
        initial_loss.gaussian_logits_max_softmax(0, 1.0)


def test_adamw_decay_factor() -> None:
    assert weight_decay.adamw_decay_factor(0.1, 0.01) == pytest.approx(0.999)
    assert weight_decay.paper_decay_from_pytorch(1e-3, 1e-2) == pytest.approx(1e-5)
    with pytest.raises(ValueError, match="lr"):
        weight_decay.adamw_decay_factor(0.0, 0.1)


# --------------------------------------------------------------------------------------------
# Edges of chaos
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q11", "q22", "c"), [(0.1, 0.1, 0.5), (1.0, 2.0, -0.3), (3.0, 0.5, 0.99), (2.0, 2.0, 1.0)]
)
def test_erf_kernel_against_gauss_hermite(q11: float, q22: float, c: float) -> None:
    expected = bivariate_expectation(lambda a, b: special.erf(a) * special.erf(b), q11, q22, c, nodes=161)
    q12 = c * math.sqrt(q11 * q22)
    assert edge_of_chaos.erf_kernel(q11, q22, q12) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("q", [0.01, 0.5, 3.0])
def test_erf_chi1_against_quadrature(q: float) -> None:
    d2 = expectation(lambda x: 4 / math.pi * math.exp(-2 * x * x), q)
    assert edge_of_chaos.erf_chi1(1.7, q) == pytest.approx(1.7 * d2, rel=1e-10)


def test_erf_edge_of_chaos() -> None:
    assert edge_of_chaos.erf_critical_sigma_w2(0.0) == math.pi / 4
    for sigma_b2 in (1e-4, 0.0025, 0.1, 1.0):
        sigma_w2 = edge_of_chaos.erf_critical_sigma_w2(sigma_b2)
        q = edge_of_chaos.erf_fixed_point(sigma_w2, sigma_b2)
        assert edge_of_chaos.erf_chi1(sigma_w2, q) == pytest.approx(1.0, abs=1e-9)
        assert edge_of_chaos.erf_length_map(q, sigma_w2, sigma_b2) == pytest.approx(q, rel=1e-12)


@pytest.mark.parametrize("phi", ["gelu", "silu"])
def test_critical_curve_points_are_critical_fixed_points(phi: str) -> None:
    for sigma_b2 in (0.6, 1.0, 3.0):
        sigma_w2, q = edge_of_chaos.critical_sigma_w2(sigma_b2, phi)
        assert meanfield.length_map(q, sigma_w2, sigma_b2, phi) == pytest.approx(q, rel=1e-10)
        assert meanfield.chi1(sigma_w2, q, phi) == pytest.approx(1.0, abs=1e-10)
        assert edge_of_chaos.fixed_point_slope(q, phi) < 1
        assert meanfield.critical_sigma_w(math.sqrt(sigma_b2), phi) == pytest.approx(math.sqrt(sigma_w2))
    # the iteration from 0.9 q* returns to the stable critical fixed point
    assert meanfield.fixed_point(sigma_w2, 3.0, phi, q0=0.9 * q) == pytest.approx(q, rel=1e-6)


@pytest.mark.parametrize("phi", ["gelu", "silu"])
def test_below_the_threshold_the_critical_fixed_point_is_unstable(phi: str) -> None:
    q_low = edge_of_chaos.stable_curve_threshold(phi)
    assert edge_of_chaos.fixed_point_slope(q_low, phi) == pytest.approx(1.0, abs=1e-8)
    assert edge_of_chaos.fixed_point_slope(q_low / 2, phi) > 1
    sigma_b2 = edge_of_chaos.critical_point_at(q_low / 2, phi)[1]
    with pytest.raises(ValueError, match="unstable"):
        edge_of_chaos.critical_sigma_w2(sigma_b2, phi)
    with pytest.raises(ValueError, match="diverges"):  # the old bracket's upper end, sigma_w = 4
        meanfield.fixed_point(16.0, 0.01, phi)


def test_dropout_has_no_critical_point() -> None:
    """c = 1 maps below 1 for rho < 1 and the correlation settles at c* < 1 (for tanh on its
    critical line without dropout, and deep in the ordered phase)."""
    for sigma_w2, sigma_b2 in ((meanfield.critical_sigma_w(0.05) ** 2, 0.0025), (0.5, 0.1)):
        assert edge_of_chaos.dropout_correlations(sigma_w2, sigma_b2, 1.0, 3)[-1] == pytest.approx(1.0)
        cs = edge_of_chaos.dropout_correlations(sigma_w2, sigma_b2, 0.9, 60)
        assert cs[0] < 1 and cs[-1] < 0.99
        assert abs(cs[-1] - cs[-2]) < 1e-3  # converged to c* < 1


# --------------------------------------------------------------------------------------------
# Recurrences and Glorot's products
# --------------------------------------------------------------------------------------------


def test_tied_gaussian_rnn_moments_closed_forms() -> None:
    """n = 1: E W^(2t) = (2t - 1)!!; t = 1: chi^2_n / n (mean 1, second moment 1 + 2/n);
    t = 2: 1 + 2/n^2 (Wick)."""
    for t in (1, 2, 3):
        assert isometry.tied_gaussian_rnn_moment(1, t) == pytest.approx(
            special.factorial2(2 * t - 1), rel=1e-12
        )
    for n in (1, 2, 3):
        assert isometry.tied_gaussian_rnn_moment(n, 1) == pytest.approx(1.0, rel=1e-12)
        assert isometry.tied_gaussian_rnn_moment(n, 1, 2) == pytest.approx(1 + 2 / n, rel=1e-12)
        assert isometry.tied_gaussian_rnn_moment(n, 2) == pytest.approx(1 + 2 / n**2, rel=1e-12)
    with pytest.raises(ValueError, match="rule points"):
        isometry.tied_gaussian_rnn_moment(4, 3, 2)


def test_glorot_fan_products_bracket_one() -> None:
    for fan_in, fan_out in ((1, 2), (100, 300), (7, 7), (2048, 3)):
        p_in, p_out = variance.glorot_fan_products(fan_in, fan_out)
        assert p_in + p_out == pytest.approx(2.0) and p_in * p_out <= 1
        assert (p_in == p_out == 1) if fan_in == fan_out else (min(p_in, p_out) < 1 < max(p_in, p_out))


# --------------------------------------------------------------------------------------------
# Low precision
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_inverse_cdf_draw_distance_by_enumerating_the_grid(name: str) -> None:
    """sup_u |P(round(U) <= u) - u| over the format's grid in (0, 1), enumerated with ml_dtypes."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    dtype = {"float16": np.float16, "bfloat16": ml_dtypes.bfloat16}[name]
    bits = np.arange(1, 0x7F80 if name == "bfloat16" else 0x7C00, dtype=np.uint16)
    grid = np.unique(bits.view(dtype).astype(np.float64))
    grid = np.concatenate([[0.0], grid[(grid > 0) & (grid < 1)], [1.0]])
    midpoints = (grid[:-1] + grid[1:]) / 2  # P(round(U) <= g_k) = midpoint to the next point
    distance = max(np.max(midpoints - grid[:-1]), np.max(grid[1:] - midpoints))
    assert low_precision.inverse_cdf_draw_distance(low_precision.FORMATS[name]) == pytest.approx(distance)


@pytest.mark.parametrize(("family", "scale"), [("uniform", 0.03), ("truncated_normal", 0.5), ("normal", 2.0)])
def test_law_rounding_constants_against_a_grid(family: str, scale: float) -> None:
    law = {
        "uniform": stats.uniform(-scale, 2 * scale),
        "truncated_normal": stats.truncnorm(-2, 2, scale=scale),
        "normal": stats.norm(scale=scale),
    }[family]
    top = {"uniform": scale, "truncated_normal": 2 * scale, "normal": 10 * scale}[family]
    y = np.linspace(1e-9, top, 200_001)  # the support's right end included
    sup_xf, sup_f = low_precision.law_rounding_constants(family, scale)
    assert sup_xf == pytest.approx(np.max(y * law.pdf(y)), rel=1e-6)
    assert sup_f == pytest.approx(law.pdf(0.0), rel=1e-12)
    assert low_precision.law_rounding_kolmogorov_bound(
        "normal", scale, low_precision.BFLOAT16
    ) == pytest.approx(low_precision.rounding_kolmogorov_bound(scale, low_precision.BFLOAT16), rel=1e-15)


def test_rounded_uniform_stays_within_its_bound() -> None:
    """Exact Kolmogorov distance of U(-a, a) rounded to float16: the rounded law's CDF at each grid
    point is the law's CDF at the midpoint to the next one."""
    a = 0.03
    bits = np.arange(0, 0x7C00, dtype=np.uint16)
    positive_grid = bits.view(np.float16).astype(np.float64)
    grid = np.unique(np.concatenate([-positive_grid, positive_grid]))
    grid = grid[np.abs(grid) <= 2 * a]
    cdf = stats.uniform(-a, 2 * a).cdf
    rounded_cdf = cdf((grid[:-1] + grid[1:]) / 2)  # P(round(X) <= g_k)
    distance = max(np.max(np.abs(rounded_cdf - cdf(grid[:-1]))), np.max(np.abs(rounded_cdf - cdf(grid[1:]))))
    bound = low_precision.law_rounding_kolmogorov_bound("uniform", a, low_precision.FLOAT16, drawn_in=None)
    assert distance <= bound and distance > bound / 4  # the bound is within a small factor


@pytest.mark.parametrize(("phi", "sigma_b2"), [("gelu", 0.25), ("silu", 1.0)])
def test_correlation_map_has_slope_one_at_c_one_on_the_curve(phi: str, sigma_b2: float) -> None:
    """On the critical curve the correlation map's slope at c = 1 is chi_1 = 1 (one-sided
    difference of the Gauss-Hermite map, O(h) error) while c = 1 stays a fixed point. The
    121-node product rule is ~1e-5 off at SiLU's q* = 39 (the kink-like bend is narrow relative to
    sqrt(q*)); the difference uses the same rule at both points."""
    sigma_w2, q = edge_of_chaos.critical_sigma_w2(sigma_b2, phi)
    at_one = meanfield.correlation_map(1.0, q, sigma_w2, sigma_b2, phi)
    assert at_one == pytest.approx(1.0, abs=1e-4)
    h = 1e-3
    slope = (at_one - meanfield.correlation_map(1.0 - h, q, sigma_w2, sigma_b2, phi)) / h
    assert slope == pytest.approx(1.0, abs=5e-3)
