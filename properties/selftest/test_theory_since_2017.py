"""Theory since 2017 against independent computations: scipy's laws, quadrature, closed forms."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import integrate, stats

from theory import attention, finite_width, initial_loss, kernels, normalization, residual, weight_decay


@pytest.mark.parametrize("width", [1, 2, 7, 64])
def test_relu_layer_moments_against_scipy(width: int) -> None:
    """(2/N) chi^2_K, K ~ Bin(N, 1/2): the mixture's moments from scipy's chi2 law."""
    k = np.arange(1, width + 1)
    weights = stats.binom.pmf(k, width, 0.5)
    for m in (1, 2, 3):
        expected = (2 / width) ** m * np.sum(weights * [stats.chi2(kk).moment(m) for kk in k])
        assert finite_width.relu_layer_ratio_moment(width, m) == pytest.approx(expected, rel=1e-12)
    assert finite_width.relu_norm_ratio_moment(width, 3, 1) == pytest.approx(1.0, rel=1e-12)
    assert finite_width.relu_norm_ratio_moment(width, 3, 2) == pytest.approx(
        finite_width.he_relu_fourth_moment(width, 3), rel=1e-12
    )


def test_mean_square_ratio_telescopes() -> None:
    widths = (5, 9, 3, 11)
    assert finite_width.relu_mean_square_ratio_moment(widths, 1) == pytest.approx(1.0, rel=1e-12)
    assert finite_width.relu_mean_square_ratio_moment(widths, 1, "fan_out") == pytest.approx(
        5 / 11, rel=1e-12
    )
    with pytest.raises(ValueError, match="mode"):
        finite_width.relu_mean_square_ratio_moment(widths, 1, "fan_avg")


@pytest.mark.parametrize(("width", "alpha"), [(1, 1.0), (4, 0.5), (9, 0.0)])
def test_residual_ratio_moments_against_the_noncentral_chi_square(width: int, alpha: float) -> None:
    """E r, E r^2 by summing scipy's ncx2 moments over c ~ chi^2_K, K ~ Bin(N, 1/2) (quadrature in c)."""
    a = alpha**2 * 2 * 1 / width**2
    first = second = 0.0
    for k in range(width + 1):
        p = stats.binom.pmf(k, width, 0.5)
        if k == 0 or a == 0:
            first, second = first + p, second + p
            continue

        def conditional(c: float, m: int, k: int = k) -> float:
            mean, var = stats.ncx2(width, 1 / (a * c)).stats(moments="mv")
            raw = mean if m == 1 else var + mean**2
            return float((a * c) ** m * raw * stats.chi2(k).pdf(c))

        first += p * integrate.quad(conditional, 0, np.inf, args=(1,), limit=200)[0]
        second += p * integrate.quad(conditional, 0, np.inf, args=(2,), limit=200)[0]
    assert residual.residual_ratio_moments(width, alpha) == pytest.approx((first, second), rel=1e-7)


def test_residual_growth_closed_forms() -> None:
    assert residual.residual_norm_growth(5, 1.0) == 2**5
    for depth in (1, 10, 1000):
        assert residual.residual_norm_growth(depth, residual.depth_scaled_branch(depth)) < math.e
    assert (
        residual.residual_norm_growth(7, 0.0) == 1.0
        and residual.residual_norm_ratio_variance(3, 7, 0.0) == 0.0
    )
    assert residual.fixup_branch_rescale(16, 3) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="branch_layers"):
        residual.fixup_branch_rescale(16, 1)


def _pdf(z: float) -> float:
    return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def _cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2))


@pytest.mark.parametrize("theta", [0.0, 0.3, 1.2, math.pi / 2, 2.5, math.pi])
def test_ntk_against_one_dimensional_quadrature(theta: float) -> None:
    x, y = np.array([1.5, 0.0]), 0.7 * np.array([math.cos(theta), math.sin(theta)])
    c, s2 = math.cos(theta), math.sin(theta) ** 2
    indicator = kernels.arccos_j(0, theta) / (2 * math.pi)
    product = kernels.arccos_j(1, theta) * 1.5 * 0.7 / (2 * math.pi)

    def inner(z1: float) -> float:
        """E[relu(u) relu(v) | z1] phi(z1): u = 1.5 z1, v | z1 ~ N(0.7 c z1, 0.49 s^2), rectified mean."""
        mu, sd = 0.7 * c * z1, 0.7 * math.sqrt(s2)
        rectified = max(mu, 0.0) if sd < 1e-300 else mu * _cdf(mu / sd) + sd * _pdf(mu / sd)
        return 1.5 * z1 * rectified * _pdf(z1)

    assert product == pytest.approx(integrate.quad(inner, 0, np.inf, epsabs=1e-13)[0], abs=1e-10)
    assert indicator == pytest.approx((math.pi - theta) / (2 * math.pi))
    assert kernels.relu_ntk(x, y) == pytest.approx(float(x @ y) * indicator + product, abs=1e-15)
    assert kernels.relu_ntk(x, x) == pytest.approx(x @ x)


def test_attention_and_loss_closed_forms() -> None:
    for d in (1, 4, 64):
        assert attention.dot_product_variance(d) == d and attention.scaled_logit_variance(d) == 1.0
        rng = np.random.default_rng(d)
        s = (rng.standard_normal((200_000, d)) * rng.standard_normal((200_000, d))).sum(1) / math.sqrt(d)
        assert np.mean(s**4) == pytest.approx(attention.gaussian_scaled_logit_fourth_moment(d), rel=0.05)
    assert initial_loss.uniform_logits_cross_entropy(10) == math.log(10)
    assert initial_loss.label_smoothing_optimal_gap(10, 1.0) == 0.0
    assert initial_loss.label_smoothing_optimal_gap(2, 0.1) == pytest.approx(math.log(1 + 2 * 0.9 / 0.1))
    with pytest.raises(ValueError, match="epsilon"):
        initial_loss.label_smoothing_optimal_gap(3, 0.0)


def test_normalization_and_weight_decay_closed_forms() -> None:
    assert normalization.normalized_variance(4.0, 0.0) == 1.0
    assert normalization.normalized_variance(1.0, 1.0) == 0.5
    assert normalization.rms_normalized_mean_square(3.0, 1.0) == 0.75
    with pytest.raises(ValueError, match="variance \\+ eps"):
        normalization.normalized_variance(0.0, 0.0)
    assert weight_decay.sgd_l2_step(2.0, 0.5, 0.1, 0.3) == pytest.approx(
        weight_decay.sgd_decoupled_step(2.0, 0.5, 0.1, 0.3)
    )
    l2, decoupled = (
        weight_decay.adam_l2_first_step(2.0, 0.5, 0.1, 0.3, 1e-8),
        weight_decay.adamw_first_step(2.0, 0.5, 0.1, 0.3, 1e-8),
    )
    assert l2 == pytest.approx(2.0 - 0.1) and decoupled == pytest.approx(2.0 * 0.97 - 0.1)


def test_prenorm_step_against_the_noncentral_chi_square() -> None:
    """One Pre-LN step with a fixed tau: scipy's ncx2 moments of tau^2 chi'^2_k(||x||^2 / tau^2)."""
    from theory import transformer

    k, x2, tau2 = 7, 3.5, 0.4
    law = stats.ncx2(k, x2 / tau2, scale=tau2)
    first, second = transformer.prenorm_stream_moments(x2, [(tau2, tau2**2)], k)
    assert (first, second) == pytest.approx((law.mean(), law.var() + law.mean() ** 2), rel=1e-12)


def test_relu_hidden_moments_against_scipy() -> None:
    from theory import transformer

    f = 5
    second = stats.norm.expect(lambda z: max(z, 0.0) ** 2)
    fourth = stats.norm.expect(lambda z: max(z, 0.0) ** 4)
    expected = (f * second, f * fourth + f * (f - 1) * second**2)
    assert transformer.relu_hidden_moments(f, 1.0, 1.0) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("batch", "width"), [(6, 6), (8, 20)])
def test_batchnorm_channel_moments_by_quadrature(batch: int, width: int) -> None:
    """S = (B p / c^2)(A / T + 1) / (B - 1) with scipy's chi-square laws, integrated numerically."""
    c2 = width * batch / (batch - 1)
    p, a, t = stats.chi2(batch - 2), stats.chi2(width - batch + 1), stats.chi2(batch - 1)
    inv_t, inv_t2 = t.expect(lambda v: 1 / v), t.expect(lambda v: 1 / v**2)
    mean = batch * p.mean() / c2 * (a.mean() * inv_t + 1) / (batch - 1)
    ratio_second = a.moment(2) * inv_t2 + 2 * a.mean() * inv_t + 1
    second = (batch / c2) ** 2 * p.moment(2) * ratio_second / (batch - 1) ** 2
    got = normalization.batchnorm_channel_gradient_moments(batch, width)
    assert got == pytest.approx((mean, second), rel=1e-7)
    assert normalization.batchnorm_linear_gradient_factor(batch, width) == pytest.approx(mean, rel=1e-7)


def test_deepnet_and_megatron_closed_forms() -> None:
    from theory import transformer

    assert transformer.deepnorm_constants("encoder", 1)["encoder"] == pytest.approx((2**0.25, 8**-0.25))
    encoder = transformer.deepnorm_constants("encoder-decoder", 2, 1)["encoder"]
    assert encoder == pytest.approx((0.81 * 2 ** (4 / 16), 0.87 * 2 ** (-4 / 16)))
    with pytest.raises(ValueError, match="architecture"):
        transformer.deepnorm_constants("decoder-encoder", 1, 1)
    # Megatron: the increment does not depend on L
    d, f, sigma = 8, 16, 0.3
    for layers in (1, 5, 40):
        branches = transformer.prenorm_block_branches(
            d, f, sigma, transformer.megatron_output_std(sigma, layers)
        )
        first, _ = transformer.prenorm_stream_moments(0.0, branches * layers, d)
        assert first / d == pytest.approx(transformer.megatron_mean_square_increment(d, f, sigma), rel=1e-12)


def test_fixup_first_update_is_one_at_every_depth() -> None:
    for depth in (1, 3, 50):
        for m in (2, 3, 4):
            assert residual.fixup_first_update_moments(10, depth, m)[0] == pytest.approx(1.0, rel=1e-12)
            assert residual.fixup_first_update_moments(10, depth, m, rescale=False)[0] == depth


@pytest.mark.parametrize("width", [2, 8, 20])
def test_log_ratio_cumulants_against_quadrature(width: int) -> None:
    """kappa_1, kappa_2 of log r | r > 0 by integrating the mixture density (scipy.integrate)."""
    k1, k2, _, k4 = finite_width.relu_log_ratio_cumulants(width)

    def moment(m: int) -> float:
        total = 0.0
        for k in range(1, width + 1):
            law = stats.chi2(k, scale=2.0 / width)  # r = (2/N) chi^2_k
            total += (
                stats.binom.pmf(k, width, 0.5)
                * integrate.quad(lambda t, law=law: np.log(t) ** m * law.pdf(t), 0, np.inf, limit=400)[0]
            )
        return total / (1 - 0.5**width)

    mean = moment(1)
    assert k1 == pytest.approx(mean, rel=1e-7)
    assert k2 == pytest.approx(moment(2) - mean**2, rel=1e-6)
    big = finite_width.relu_log_ratio_cumulants(4096)
    assert big[0] == pytest.approx(-5 / (2 * 4096), rel=2e-3)  # the first-order forms
    assert big[1] == pytest.approx(5 / 4096, rel=2e-3)
    assert finite_width.relu_log_norm_moments(width, 3).kurtosis == pytest.approx(3 + k4 / (3 * k2**2))


def test_log_norm_cdf_grid_error_and_normal_distance() -> None:
    """Two grids agree to 1e-4 (the claim's allowance uses 1e-3); the distance shrinks with N."""
    x = np.linspace(-6, 3, 301)
    for width, depth in ((8, 1), (8, 3)):
        coarse = finite_width.relu_log_norm_cdf(width, depth)(x)
        fine = finite_width.relu_log_norm_cdf(width, depth, points=1 << 16)(x)
        assert np.max(np.abs(coarse - fine)) < 1e-4
    # L = 1: the grid against the exact mixture CDF of (2/N) chi^2_K
    t = np.exp(x)
    k = np.arange(1, 9)
    exact = stats.chi2.cdf(t[:, None] * 8 / 2, k) @ (stats.binom.pmf(k, 8, 0.5) / (1 - 0.5**8))
    assert np.max(np.abs(finite_width.relu_log_norm_cdf(8, 1)(x) - exact)) < 1e-4
    distances = [finite_width.relu_log_norm_normal_distance(n, 1) for n in (8, 32, 128)]
    assert distances[0] > distances[1] > distances[2] > 0


def test_ntk_diagonal_law_against_its_representation() -> None:
    """Mean 1 and variance 3/n of Gamma(K, 2)/n by integrating the CDF; the atom at 0 is 2^-n."""
    for n in (1, 4, 16):
        cdf = kernels.ntk_diagonal_cdf(n)
        assert float(cdf(np.array(0.0))) == pytest.approx(0.5**n)

        def survival(t: float, cdf: Any = cdf) -> float:
            return 1.0 - float(cdf(np.array(t)))

        mean = integrate.quad(survival, 0, np.inf, limit=200)[0]
        second = integrate.quad(lambda t, s=survival: 2 * t * s(t), 0, np.inf, limit=200)[0]
        assert mean == pytest.approx(1.0, rel=1e-7)
        assert second - mean**2 == pytest.approx(kernels.ntk_diagonal_relative_variance(n), rel=1e-6)


def test_width_scaling_exponents() -> None:
    """Table 3's exponents and the calculus' results for the three parametrizations (SGD, Adam)."""
    from theory import width_scaling

    expected = {
        ("sp", "sgd"): [-0.5, 0.5, 1.0],
        ("sp", "adam"): [0.0, 1.0, 1.5],
        ("ntk", "sgd"): [-0.5, -0.5, 0.0],
        ("ntk", "adam"): [0.0, 0.5, 1.0],
        ("mup", "sgd"): [0.0, 0.0, 0.0],
        ("mup", "adam"): [0.0, 0.0, 0.0],
    }
    for (p, o), exponents in expected.items():
        assert [s.exponent for s in width_scaling.first_update_exponents(p, o)] == exponents
    # deeper networks: μP stays Theta(1) everywhere, NTK-SGD's features stay lazy
    assert {s.exponent for s in width_scaling.first_update_exponents("mup", "adam", 6)} == {0.0}
    assert [s.exponent for s in width_scaling.first_update_exponents("ntk", "sgd", 5)] == [-0.5] * 4 + [0.0]
    assert width_scaling.forward_exponents("mup") == [0.0, 0.0, -0.5]
    assert width_scaling.first_update_exponents("ntk", "adam")[1].gap == 0.5
    assert width_scaling.slope_bias_bound((32, 64, 128, 256), 1.0, 4.0) < 0.25
    assert width_scaling.slope_bias_bound((2, 4), 1.0, 4.0) == math.inf
    with pytest.raises(ValueError, match="parametrization"):
        width_scaling.abc_exponents("standard")
    with pytest.raises(ValueError, match="optimizer"):
        width_scaling.first_update_exponents("sp", "lamb")
