"""Signal propagation: variance algebra by simulation, mean field against finite-width networks
built with impls, the seeds' experiments, and dynamical isometry."""

from __future__ import annotations

import functools
import math
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, special, stats

from properties import compare, decide
from properties import strategies as cs
from properties.checks import gaussian_expectation
from properties.decide import Context
from properties.simulation import (
    backward_contributions,
    forward_contributions,
    log_tolerances,
    simulate,
)
from properties.targets.reference import ACTIVATION_NAMES
from theory import isometry, meanfield, seeds, variance

# --------------------------------------------------------------------------------------------
# Variance algebra by simulation (exact laws, rigorous decision rules)
# --------------------------------------------------------------------------------------------


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

    def sampler(count: int) -> np.ndarray:
        chunks, total = [], 0
        while total < count:
            a = impl.ACTIVATIONS[activation](rng.normal(0.3, 1.5, size=n_in))
            norm = np.linalg.norm(a)
            if norm == 0:
                continue
            w = impl.normal((n_out, n_in), 0.0, std, rng=rng, dtype=dtype)
            chunks.append((w.astype(np.float64) @ a) / norm)
            total += n_out
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


@pytest.mark.claim("seed-004-growth")
@given(seed=cs.seeds())
@cs.scaled(2)
def test_seed_004_std_grows_twenty_fold_per_layer(impl, seed: int) -> None:
    """Width 400, W ~ N(0, 1): given layer l, h_{l+1, i} sqrt(n) / |h_l| ~ N(0, 400) exactly."""
    rng, width = np.random.default_rng(seed), 400
    growth = seeds.seed004_growth_per_layer(width)

    def sampler(count: int) -> np.ndarray:
        chunks, h = [], rng.standard_normal(width)
        while sum(c.size for c in chunks) < count:
            nxt = impl.normal((width, width), rng=rng) @ h
            chunks.append(nxt * math.sqrt(width) / np.linalg.norm(h))
            h = nxt / np.linalg.norm(nxt)  # renormalise so the chain never overflows
        return np.concatenate(chunks)

    decide.check_normal_variance(Context("seed-004-growth", {"width": width}, seed), sampler, growth**2)
    assert growth == 20.0


@pytest.mark.claim("seed-000-neuron-std")
@pytest.mark.parametrize("law", ["normal(0, 1)", "normal(0, 1/sqrt(n))"])
@given(seed=cs.seeds())
@cs.scaled(1)
def test_seed_000_neuron(impl, law: str, seed: int) -> None:
    """a = w . x, n = 10,000, x ~ U(-1, 1), w normal: a sqrt(n/3) / |x| ~ N(0, (std of a)^2)."""
    n = seeds.SEED000_INPUTS
    std_w = 1.0 if law == "normal(0, 1)" else 1 / math.sqrt(n)
    rng = np.random.default_rng(seed)

    def sampler(count: int) -> np.ndarray:
        x = impl.uniform((count, n), -1, 1, rng=rng)
        w = impl.normal((count, n), 0, std_w, rng=rng)
        return np.einsum("ij,ij->i", w, x) * math.sqrt(n / 3) / np.linalg.norm(x, axis=1)

    expected = seeds.seed000_preactivation_std(law)
    decide.check_normal_variance(
        Context("seed-000-neuron-std", {"law": law, "n": n}, seed), sampler, expected**2, relative_std=0.1
    )
    assert {k: round(seeds.seed000_preactivation_std(k), 3) for k in seeds.SEED000_WEIGHT_VARIANCES} == {
        "uniform(-1, 1)": 33.333,
        "normal(0, 1)": 57.735,
        "truncated_normal(0, 1, +-2)": 50.785,
        "normal(0, 1/sqrt(n))": 0.577,
    }
    assert seeds.seed000_probability_outside_unit("normal(0, 1/sqrt(n))") == pytest.approx(0.0833, abs=1e-4)


@pytest.mark.claim("chain-exponential")
@given(depth=st.integers(1, 60), x=st.floats(0.1, 10))
def test_chain_of_equal_weights(impl, depth: int, x: float) -> None:
    for w in (1.5, 0.5):
        params = impl.init_mlp([1] * (depth + 1), lambda shape, w=w, **k: impl.constant(shape, w, **k))
        out = impl.forward(params, np.array([[x]]), "linear").post[-1][0, 0]
        assert out == pytest.approx(x * variance.chain_growth(w, depth), rel=1e-12)


# --------------------------------------------------------------------------------------------
# Glorot's products in a deep linear net (asymptotic)
# --------------------------------------------------------------------------------------------


@pytest.mark.claim("glorot-forward-product")
@pytest.mark.claim("glorot-backward-product")
def test_glorot_products_in_a_deep_linear_net(impl) -> None:
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


# --------------------------------------------------------------------------------------------
# Mean field against finite-width simulation (asymptotic, derived tolerances)
# --------------------------------------------------------------------------------------------

MEAN_FIELD_CASES = {
    # name: (claims, activation, sigma_w2, sigma_b2, input (mean, var), weights)
    "tanh-chaotic": (
        ["meanfield-length-map", "meanfield-fixed-point", "meanfield-gradient-growth"],
        "tanh",
        1.5**2,
        0.05**2,
        (0.0, 1.0),
        "normal",
    ),
    "tanh-critical": (["tanh-critical-line"], "tanh", 1.122539**2, 0.05**2, (0.0, 1.0), "normal"),
    "tanh-gain-5/3": (["tanh-pytorch-gain-chaotic"], "tanh", 25 / 9, 0.0, (0.0, 1.0), "normal"),
    "relu-he": (["relu-critical"], "relu", 2.0, 0.0, (0.0, 1.0), "normal"),
    "relu-pytorch-default": (["pytorch-linear-default"], "relu", 1 / 3, 0.0, (0.0, 1.0), "uniform"),
    "selu-from-(0.5,2)": (["selu-self-normalizing"], "selu", 1.0, 0.0, (0.5, 2.0), "truncated_normal"),
    "selu-from-(-0.3,0.3)": (["selu-self-normalizing"], "selu", 1.0, 0.0, (-0.3, 0.3), "truncated_normal"),
}


def compare_with_mean_field(
    name: str,
    claims: list[str],
    activation: str,
    sigma_w2: float,
    sigma_b2: float,
    moments: tuple[float, float],
    weights: str,
    width: int = 400,
    depth: int = 16,
    batch: int = 32,
    nets: int = 4,
) -> list[float]:
    widths = [width] * (depth + 1)
    q0 = moments[0] ** 2 + moments[1]
    qs = meanfield.propagate(q0, sigma_w2, sigma_b2, activation, depth)
    sim = simulate(
        widths,
        sigma_w2,
        activation,
        sigma_b2=sigma_b2,
        input_mean=moments[0],
        input_var=moments[1],
        batch=batch,
        seeds=nets,
        weights=weights,
    )
    fwd = forward_contributions(widths, qs, activation, batch)
    context = Context(claims[0], {"case": name, "width": width, "depth": depth, "nets": nets})
    compare.check_close(
        context,
        np.log(sim.pre.mean(0)),
        np.log(qs),
        rtol=0,
        atol=log_tolerances(fwd, nets, comparisons=2 * depth),
        rule="meanfield",
        effect_unit="log error",
        derivation="sum of (2 + kappa)/N over layers, see properties/simulation.py",
    )
    grads = meanfield.gradient_second_moments(qs, sigma_w2, activation)
    back = backward_contributions(widths, qs, activation) + np.cumsum(fwd)
    z_total = log_tolerances(back, nets, comparisons=2 * depth)
    compare.check_close(
        Context(claims[-1], context.case),
        np.log(sim.grad.mean(0)),
        np.log(grads),
        rtol=0,
        atol=z_total,
        rule="meanfield",
        effect_unit="log error",
        derivation="forward and backward (2 + kappa)/N sums",
    )
    return qs


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=[pytest.mark.claim(c) for c in MEAN_FIELD_CASES[n][0]])
        for n in sorted(MEAN_FIELD_CASES)
    ],
)
def test_mean_field_predicts_finite_width_networks(name: str) -> None:
    claims, activation, sigma_w2, sigma_b2, moments, weights = MEAN_FIELD_CASES[name]
    qs = compare_with_mean_field(name, claims, activation, sigma_w2, sigma_b2, moments, weights)
    if name == "tanh-chaotic":
        q_star = meanfield.fixed_point(sigma_w2, sigma_b2, activation)
        assert q_star == pytest.approx(0.798387, abs=1e-6) and abs(qs[-1] - q_star) < 1e-3
        assert meanfield.chi1(sigma_w2, q_star, "tanh") == pytest.approx(1.136708, abs=1e-6)
    if name == "tanh-critical":
        q_star = meanfield.fixed_point(sigma_w2, sigma_b2, activation)
        assert meanfield.chi1(sigma_w2, q_star, "tanh") == pytest.approx(1.0, abs=1e-5)
    if name == "tanh-gain-5/3":
        assert meanfield.fixed_point(25 / 9, 0, "tanh") == pytest.approx(1.178480, abs=1e-6)
    if name.startswith("selu"):
        # q = 1 is the fixed point, and the map moves every start towards it.
        assert meanfield.fixed_point(1.0, 0.0, "selu") == pytest.approx(1.0, abs=1e-6)
        q0 = moments[0] ** 2 + moments[1]
        assert abs(qs[-1] - 1.0) < 0.05 * abs(q0 - 1.0)


SEED001_CLAIMS = {
    "tanh-normal-std-0.01": "seed-001-tanh-small-init",
    "tanh-normal-std-1": "seed-001-tanh-large-init",
    "tanh-xavier": "seed-001-xavier-tanh",
    "relu-xavier": "seed-001-xavier-relu",
    "relu-he": "seed-001-he-relu",
}


@pytest.mark.parametrize(
    "experiment",
    [pytest.param(e, marks=pytest.mark.claim(SEED001_CLAIMS[e])) for e in sorted(SEED001_CLAIMS)],
)
def test_seed_001_experiments(experiment: str) -> None:
    """10 layers of 500 units, inputs N(0, 1), as seed 001 (mean field predicts every layer)."""
    claim = SEED001_CLAIMS[experiment]
    e = seeds.SEED001_EXPERIMENTS[experiment]
    widths = [seeds.SEED001_WIDTH] * (seeds.SEED001_DEPTH + 1)
    sim = simulate(widths, e.sigma_w2, e.activation, batch=100, seeds=4, seed=1)
    predicted = np.array(seeds.seed001_preactivation_stds(experiment)) ** 2
    tol = log_tolerances(forward_contributions(widths, list(predicted), e.activation, 100), 4, comparisons=10)
    compare.check_close(
        Context(claim, {"experiment": experiment}),
        np.log(sim.pre.mean(0)),
        np.log(predicted),
        rtol=0,
        atol=tol,
        rule="meanfield",
        effect_unit="log error",
        derivation="finite-width log tolerance",
    )
    if experiment == "tanh-normal-std-1":
        _, second = meanfield.post_activation_moments(predicted[-1], "tanh")
        assert math.sqrt(second) == pytest.approx(0.9817, abs=1e-4)  # saturated activations
        assert np.mean(sim.post_var[:, -1]) == pytest.approx(second, rel=float(tol[-1]))
    if experiment == "tanh-xavier":
        assert math.sqrt(predicted[-1]) == pytest.approx(0.2409, abs=1e-4)  # not constant: 4x smaller


@pytest.mark.claim("seed-004-lecun-preserves")
def test_seed_004_lecun_chain_keeps_unit_std() -> None:
    widths = [400] * 11
    sim = simulate(widths, 1.0, "linear", batch=50, seeds=4)
    tol = log_tolerances(forward_contributions(widths, [1.0] * 10, "linear", 50), 4, comparisons=10)
    compare.check_close(
        Context("seed-004-lecun-preserves", {"width": 400}),
        np.log(sim.pre.mean(0)),
        np.zeros(10),
        rtol=0,
        atol=tol,
        rule="meanfield",
        effect_unit="log error",
        derivation="finite-width log tolerance",
    )


# --------------------------------------------------------------------------------------------
# Dynamical isometry
# --------------------------------------------------------------------------------------------


@pytest.mark.claim("orthogonal-linear-isometry")
@given(width=st.integers(2, 64), depth=st.integers(1, 12), seed=cs.seeds())
def test_orthogonal_linear_nets_are_isometries(impl, width: int, depth: int, seed: int) -> None:
    params = impl.init_mlp([width] * (depth + 1), impl.orthogonal, rng=seed)
    jac = impl.jacobian(params, np.random.default_rng(seed).normal(size=width), "linear")
    singular = np.linalg.svd(jac, compute_uv=False)
    assert np.allclose(singular, 1.0, atol=1e-12 * depth * width)
    assert isometry.ORTHOGONAL_LINEAR_SPECTRUM_VARIANCE == 0.0


@pytest.mark.claim("jx-norm-law")
@given(width=st.integers(2, 24), depth=st.integers(1, 4), seed=cs.seeds())
@cs.scaled(2)
def test_exact_law_of_jacobian_norms(impl, width: int, depth: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    mean_log, var_log = isometry.jx_log_norm_moments(width, depth)

    def log_norms(count: int) -> np.ndarray:
        v = np.zeros((count, width))
        v[:, 0] = 1.0
        for _ in range(depth):
            w = impl.normal((count, width, width), 0.0, 1 / math.sqrt(width), rng=rng)
            v = np.einsum("bij,bj->bi", w, v)
        return np.log(np.einsum("bi,bi->b", v, v))

    decide.check_mean(
        Context("jx-norm-law", {"width": width, "depth": depth}, seed),
        log_norms,
        mean_log,
        var_log,
        effect=0.15 * math.sqrt(var_log) + 0.02,
    )
    mean, var = isometry.jx_norm_moments(width, depth)
    assert (mean, var) == (1.0, pytest.approx((1 + 2 / width) ** depth - 1))
    assert mean_log == pytest.approx(depth * (special.digamma(width / 2) + math.log(2 / width)))


def _scaled_orthogonal(impl, shape, gain, rng, dtype):  # type: ignore[no-untyped-def]
    return impl.orthogonal(shape, gain, rng=rng, dtype=dtype)


def spectrum_variance(
    impl, activation: str, sigma_w2: float, weights: str, width: int, depth: int, draws: int, seed: int
) -> np.ndarray:
    rng, out = np.random.default_rng(seed), []
    for _ in range(draws):
        if weights == "orthogonal":
            init = functools.partial(_scaled_orthogonal, impl, gain=math.sqrt(sigma_w2))
        else:
            init = functools.partial(impl.variance_scaling, scale=sigma_w2, distribution="normal")
        params = impl.init_mlp([width] * (depth + 1), init, rng=rng)
        s2 = np.linalg.svd(impl.jacobian(params, rng.normal(size=width), activation), compute_uv=False) ** 2
        out.append([s2.mean(), s2.var()])
    return np.array(out)


@pytest.mark.parametrize(
    ("activation", "sigma_w2", "weights", "claim"),
    [
        pytest.param(*case, marks=pytest.mark.claim(case[-1]))
        for case in (
            ("linear", 1.0, "normal", "gaussian-linear-spectrum"),
            ("relu", 2.0, "normal", "relu-spectrum-variance"),
            ("relu", 2.0, "orthogonal", "relu-spectrum-variance"),
        )
    ],
)
@pytest.mark.parametrize("depth", [1, 2, 4])
def test_jacobian_spectrum_variance(
    impl, activation: str, sigma_w2: float, weights: str, claim: str, depth: int
) -> None:
    """Var of s^2 grows like L (Gaussian linear), 2L (ReLU Gaussian), L (ReLU orthogonal).

    Tolerance: z times the standard error over draws (estimated from the draws, a t-type
    approximation) plus the finite-width bias bound 2 L (L + 1) / N of the 1/N corrections
    (for L = 1, Gaussian: E Var s^2 = 1 + 1/N exactly).
    """
    width, draws = 256, 6
    stats_ = spectrum_variance(impl, activation, sigma_w2, weights, width, depth, draws, seed=depth)
    predicted = (
        isometry.gaussian_linear_spectrum_variance(depth)
        if activation == "linear"
        else isometry.relu_spectrum_variance(depth, "gaussian" if weights == "normal" else "orthogonal")
    )
    z = float(stats.t.isf(1e-9 / 2, draws - 1))
    bias = 2 * depth * (depth + 1) / width * max(1.0, predicted)
    for column, target in ((0, 1.0), (1, predicted)):
        values = stats_[:, column]
        sem = values.std(ddof=1) / math.sqrt(draws)
        compare.check_close(
            Context(
                claim,
                {
                    "activation": activation,
                    "weights": weights,
                    "depth": depth,
                    "width": width,
                    "moment": column + 1,
                },
            ),
            values.mean(),
            target,
            rtol=0,
            atol=z * sem + bias,
            rule="meanfield",
            derivation="t-quantile x standard error over draws + 2L(L+1)/N bias",
        )


# --------------------------------------------------------------------------------------------
# The correlation map and depth scales, with impls' activations (quadrature)
# --------------------------------------------------------------------------------------------


def impls_length_map(impl, q: float, sigma_w2: float, sigma_b2: float, activation: str) -> float:
    return sigma_w2 * gaussian_expectation(lambda v: impl.ACTIVATIONS[activation](v) ** 2, q) + sigma_b2


@pytest.mark.claim("depth-scale-q")
@pytest.mark.parametrize(("sigma_w", "sigma_b"), [(1.2, 0.3), (1.5, 0.05), (2.0, 0.3)])
def test_length_map_converges_at_the_predicted_depth_scale(impl, sigma_w: float, sigma_b: float) -> None:
    q_star = meanfield.fixed_point(sigma_w**2, sigma_b**2, "tanh")
    q, deviations = q_star + 0.5, []
    for _ in range(60):
        q = impls_length_map(impl, q, sigma_w**2, sigma_b**2, "tanh")
        deviations.append(abs(q - q_star))
    rates = [-1 / math.log(b / a) for a, b in pairwise(deviations) if b > 1e-11 and a > 0]
    assert rates[-1] == pytest.approx(meanfield.depth_scale_q(sigma_w**2, sigma_b**2, "tanh"), rel=1e-3)


@pytest.mark.claim("depth-scale-c")
@pytest.mark.claim("relu-correlation-map")
def test_correlations_converge_at_the_predicted_depth_scale(impl) -> None:
    from theory.gaussian import bivariate_expectation

    sigma_w2, sigma_b2 = 1.2**2, 0.3**2  # ordered: c* = 1
    q_star = meanfield.fixed_point(sigma_w2, sigma_b2, "tanh")
    tanh = impl.ACTIVATIONS["tanh"]
    c, gaps = 0.5, []
    for _ in range(80):
        c = (
            sigma_w2 * bivariate_expectation(lambda a, b: tanh(a) * tanh(b), q_star, q_star, c) + sigma_b2
        ) / q_star
        gaps.append(1 - c)
    rate = -1 / math.log(gaps[-1] / gaps[-2])
    assert rate == pytest.approx(meanfield.depth_scale_c(sigma_w2, sigma_b2, "tanh"), rel=1e-2)
    # ReLU at criticality: impls' relu through the bivariate Gaussian (adaptive 2-D quadrature;
    # Gauss-Hermite is inaccurate at the kink) matches the arc-cosine map.
    relu = impl.ACTIVATIONS["relu"]
    for c0 in (-0.5, 0.0, 0.3, 0.9):
        s0 = math.sqrt(1 - c0 * c0)

        def integrand(z2: float, z1: float, c0: float = c0, s0: float = s0) -> float:
            both = relu(np.array([z1, c0 * z1 + s0 * z2]))
            return float(both[0] * both[1]) * math.exp(-(z1 * z1 + z2 * z2) / 2) / (2 * math.pi)

        # the inner integral starts at the kink of relu(u2), so each piece is smooth
        value, error = integrate.dblquad(
            integrand, 0, 12, lambda z1, c0=c0, s0=s0: -c0 * z1 / s0, 12, epsabs=1e-12
        )
        assert 2 * value == pytest.approx(meanfield.relu_correlation_map(c0), abs=2 * 10 * error + 1e-12)
    c, l_star = 0.0, 10_000
    for _ in range(l_star):
        c = meanfield.relu_correlation_map(c)
    assert l_star**2 * (1 - c) == pytest.approx(meanfield.RELU_CORRELATION_ASYMPTOTE, rel=0.01)
