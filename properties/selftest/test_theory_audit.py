"""Theory added for issue 12's audit list, against independent computations (quadrature, closed forms)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from theory import initial_loss, weight_decay


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


@pytest.mark.parametrize("classes", [2, 10, 100])
def test_max_softmax_is_increasing_from_one_over_k(classes: int) -> None:
    values = [initial_loss.gaussian_logits_max_softmax(classes, s) for s in np.linspace(0, 4, 9)]
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
