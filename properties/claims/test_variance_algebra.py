"""Variance algebra by simulation: exact laws of products, sums, one layer's pre-activations and a
chain of equal weights, verified with rigorous decision rules (theory_claims.md S1)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties import decide
from properties import strategies as cs
from properties.decide import Context
from properties.sampling import MANY_VALUES, Calls
from properties.targets.reference import ACTIVATION_NAMES
from theory import variance


def normal_raw_moments(m: float, s: float) -> list[float]:
    """E X^k, k = 0..4, for X ~ N(m, s^2)."""
    return [1.0, m, m * m + s * s, m**3 + 3 * m * s * s, m**4 + 6 * m * m * s * s + 3 * s**4]


def uniform_raw_moments(a: float, b: float) -> list[float]:
    """E Y^k, k = 0..4, for Y ~ U(a, b): (b^(k+1) - a^(k+1)) / ((k + 1)(b - a))."""
    return [sum(a**i * b ** (k - i) for i in range(k + 1)) / (k + 1) for k in range(5)]


def central_fourth_of_product(x: list[float], y: list[float]) -> tuple[float, float, float]:
    """Mean, variance and 4th central moment of XY from the raw moments of independent X, Y."""
    raw = [x[k] * y[k] for k in range(5)]
    m = raw[1]
    var = raw[2] - m * m
    fourth = sum(math.comb(4, k) * raw[k] * (-m) ** (4 - k) for k in range(5))
    return m, var, fourth


@pytest.mark.claim("product-variance")
@given(
    mx=st.floats(-2, 2), sx=st.floats(0.1, 3), low=st.floats(-2, 2), width=st.floats(0.1, 4), seed=cs.seeds()
)
@cs.scaled(3)
def test_product_variance(impl, mx: float, sx: float, low: float, width: float, seed: int) -> None:
    mean, var, fourth = central_fourth_of_product(
        normal_raw_moments(mx, sx), uniform_raw_moments(low, low + width)
    )
    predicted = variance.product_variance(mx, sx**2, low + width / 2, width**2 / 12)
    assert predicted == pytest.approx(var, rel=1e-9)
    rng = np.random.default_rng(seed)

    def sampler(n: int) -> np.ndarray:
        x = impl.normal((n,), mx, sx, rng=rng)
        y = impl.uniform((n,), low, low + width, rng=rng)
        return (x * y - mean) ** 2

    decide.check_mean(
        Context("product-variance", {"mx": mx, "sx": sx, "low": low, "width": width}, seed),
        sampler,
        predicted,
        fourth - var**2,
        relative_effect=0.2,
        effect_unit="relative variance",
    )


@pytest.mark.claim("sum-variance")
@given(sx=st.floats(0.1, 3), width=st.floats(0.1, 4), seed=cs.seeds())
@cs.scaled(3)
def test_sum_variance(impl, sx: float, width: float, seed: int) -> None:
    vx, vy = sx**2, width**2 / 12
    fourth = 3 * vx**2 + 6 * vx * vy + width**4 / 80  # mu4 of a sum of independent variables
    predicted = variance.sum_variance(vx, vy)
    rng = np.random.default_rng(seed)

    def sampler(n: int) -> np.ndarray:
        return (impl.normal((n,), 0, sx, rng=rng) + impl.uniform((n,), -width / 2, width / 2, rng=rng)) ** 2

    decide.check_mean(
        Context("sum-variance", {"sx": sx, "width": width}, seed),
        sampler,
        predicted,
        fourth - predicted**2,
        relative_effect=0.2,
        effect_unit="relative variance",
    )


@pytest.mark.claim("preactivation-second-moment")
@given(n=st.integers(1, 200), mu=st.floats(-1, 1), bound=st.floats(0.1, 2), seed=cs.seeds())
@cs.scaled(3)
def test_preactivation_variance_uses_the_second_moment(
    impl, n: int, mu: float, bound: float, seed: int
) -> None:
    """Var(sum w_i x_i) = n Var(w) E[x^2] with x ~ N(mu, 1) (non-zero mean), w ~ U(-b, b)."""
    ew2, ew4 = bound**2 / 3, bound**4 / 5
    ex2, ex4 = 1 + mu**2, mu**4 + 6 * mu**2 + 3
    ey2, ey4 = ew2 * ex2, ew4 * ex4
    predicted = variance.preactivation_variance(n, ew2, ex2)
    fourth = n * ey4 + 3 * n * (n - 1) * ey2**2
    rng = np.random.default_rng(seed)

    def sampler(count: int) -> np.ndarray:
        w = impl.uniform((count, n), -bound, bound, rng=rng)
        x = rng.normal(mu, 1.0, size=(count, n))
        return np.einsum("ij,ij->i", w, x) ** 2

    decide.check_mean(
        Context("preactivation-second-moment", {"n": n, "mu": mu, "bound": bound}, seed),
        sampler,
        predicted,
        fourth - predicted**2,
        relative_effect=0.2,
        effect_unit="relative variance",
    )


@pytest.mark.claim("preactivation-step-chi-square")
@given(
    n_in=st.integers(1, 300),
    n_out=st.integers(1, 300),
    std=st.floats(1e-3, 10),
    activation=st.sampled_from(sorted(ACTIVATION_NAMES)),
    seed=cs.seeds(),
    dtype=cs.dtypes(),
)
@cs.scaled(4)
def test_one_layer_is_exactly_chi_square(
    impl, n_in: int, n_out: int, std: float, activation: str, seed: int, dtype: type
) -> None:
    rng = np.random.default_rng(seed)
    weights = Calls(impl.normal, (n_out, n_in), 0.0, std, dtype=dtype)

    def sampler(count: int) -> np.ndarray:
        # Each layer input a is a row of one activation call on Gaussian rows (elementwise), and
        # meets a weight matrix of its own: given a != 0, (W a) / |a| ~ N(0, std^2) per output.
        chunks, total = [], 0
        while total < count:
            layers = min(-(-(count - total) // n_out), max(1, MANY_VALUES // (n_out * n_in)))
            a = impl.ACTIVATIONS[activation](rng.normal(0.3, 1.5, size=(layers, n_in)))
            w = weights.at_least(layers, rng, n_out * n_in)[:layers]
            norms = np.linalg.norm(a, axis=1)
            kept = norms > 0
            h = np.einsum("loi,li->lo", w[kept].astype(np.float64), a[kept]) / norms[kept, None]
            chunks.append(h.ravel())
            total += h.size
        return np.concatenate(chunks)

    decide.check_normal_variance(
        Context(
            "preactivation-step-chi-square",
            {"n_in": n_in, "n_out": n_out, "std": std, "activation": activation, "dtype": dtype},
            seed,
        ),
        sampler,
        std**2,
    )


@pytest.mark.claim("chain-exponential")
@given(depth=st.integers(1, 60), x=st.floats(0.1, 10))
def test_chain_of_equal_weights(impl, depth: int, x: float) -> None:
    for w in (1.5, 0.5):
        params = impl.init_mlp([1] * (depth + 1), lambda shape, w=w, **k: impl.constant(shape, w, **k))
        out = impl.forward(params, np.array([[x]]), "linear").post[-1][0, 0]
        assert out == pytest.approx(x * variance.chain_growth(w, depth), rel=1e-12)
