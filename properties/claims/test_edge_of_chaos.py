"""Edges of chaos beyond tanh and ReLU: erf's closed form and the GELU/SiLU critical curve against
finite-width networks (asymptotic; log tolerances of :mod:`properties.simulation`), and dropout's
decorrelation of identical inputs (statistical, exact at every width)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special

from properties import compare, decide
from properties import strategies as cs
from properties.decide import Context
from properties.simulation import backward_contributions, forward_contributions, log_tolerances, simulate
from theory import edge_of_chaos, meanfield
from theory.gaussian import expectation

WIDTH, DEPTH, BATCH, NETS = 256, 10, 32, 6


def _erf_kappa(q: float, derivative: bool) -> float:
    """``Var(g^2) / (E g^2)^2`` for ``g = erf(sqrt q z)`` or ``erf'`` (theory's quadrature)."""
    if derivative:
        g = lambda x: 2 / math.sqrt(math.pi) * math.exp(-x * x)  # noqa: E731
    else:
        g = lambda x: float(special.erf(x))  # noqa: E731
    second = expectation(lambda x: g(x) ** 2, q)
    return expectation(lambda x: g(x) ** 4, q) / second**2 - 1.0


def _erf_network(
    impl, sigma_w2: float, sigma_b2: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One erf network (impls' normal weights and biases): per-layer mean h^2 and mean delta^2."""
    ws = [impl.normal((WIDTH, WIDTH), 0.0, math.sqrt(sigma_w2 / WIDTH), rng=rng) for _ in range(DEPTH)]
    bs = [impl.normal((WIDTH,), 0.0, math.sqrt(sigma_b2), rng=rng) for _ in range(DEPTH)]
    x, pre = rng.standard_normal((BATCH, WIDTH)), []
    for w, b in zip(ws, bs, strict=True):
        h = x @ w.T + b
        pre.append(h)
        x = special.erf(h)
    delta = rng.standard_normal((BATCH, WIDTH)) * 2 / math.sqrt(math.pi) * np.exp(-(pre[-1] ** 2))
    grads = [np.mean(delta**2)]
    for layer in range(DEPTH - 2, -1, -1):
        delta = (delta @ ws[layer + 1]) * 2 / math.sqrt(math.pi) * np.exp(-(pre[layer] ** 2))
        grads.append(np.mean(delta**2))
    return np.array([np.mean(h * h) for h in pre]), np.array(grads[::-1])


@pytest.mark.claim("erf-edge-of-chaos-closed-form")
def test_erf_networks_follow_the_arcsine_kernel(impl) -> None:
    """At the edge of chaos (sigma_b = 0.05): q^l from the closed-form length map, and gradient
    second moments from the closed-form chi_1 (constant with depth)."""
    sigma_b2 = 0.05**2
    sigma_w2 = edge_of_chaos.erf_critical_sigma_w2(sigma_b2)
    qs = [sigma_w2 + sigma_b2]
    for _ in range(DEPTH - 1):
        qs.append(edge_of_chaos.erf_length_map(qs[-1], sigma_w2, sigma_b2))
    grads = [edge_of_chaos.erf_chi1(1.0, qs[-1])]
    for q in reversed(qs[:-1]):
        grads.append(grads[-1] * edge_of_chaos.erf_chi1(sigma_w2, q))
    grads = grads[::-1]
    rng = np.random.default_rng(0)
    runs = [_erf_network(impl, sigma_w2, sigma_b2, rng) for _ in range(NETS)]
    pre, back = np.mean([r[0] for r in runs], axis=0), np.mean([r[1] for r in runs], axis=0)
    fwd = np.array([2 / WIDTH + 2 / (WIDTH * BATCH)] + [(2 + _erf_kappa(q, False)) / WIDTH for q in qs[:-1]])
    bwd = np.cumsum([(2 + _erf_kappa(q, True)) / WIDTH for q in qs][::-1])[::-1] + np.cumsum(fwd)
    case = {"sigma_w2": sigma_w2, "sigma_b2": sigma_b2, "width": WIDTH, "depth": DEPTH, "nets": NETS}
    for values, predicted, contributions in ((pre, qs, fwd), (back, grads, bwd)):
        compare.check_close(
            Context("erf-edge-of-chaos-closed-form", case),
            np.log(values),
            np.log(predicted),
            rtol=0,
            atol=log_tolerances(contributions, NETS, comparisons=2 * DEPTH),
            rule="meanfield",
            effect_unit="log error",
            derivation="sum of (2 + kappa)/N over layers, see properties/simulation.py",
        )
    q_star = edge_of_chaos.erf_fixed_point(sigma_w2, sigma_b2)
    assert edge_of_chaos.erf_chi1(sigma_w2, q_star) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(("phi", "sigma_b2"), [pytest.param("gelu", 0.25), pytest.param("silu", 1.0)])
@pytest.mark.claim("gelu-silu-critical-curve")
def test_networks_on_the_critical_curve_keep_gradients_constant(impl, phi: str, sigma_b2: float) -> None:
    """A point on the stable part of the curve: the input is scaled so that q^1 = q*; q^l stays at
    q* and the gradient's second moment is constant (chi_1 = 1), within the derived tolerances."""
    sigma_w2, q_star = edge_of_chaos.critical_sigma_w2(sigma_b2, phi)
    widths = [WIDTH] * (DEPTH + 1)
    qs = meanfield.propagate((q_star - sigma_b2) / sigma_w2, sigma_w2, sigma_b2, phi, DEPTH)
    grads = meanfield.gradient_second_moments(qs, sigma_w2, phi)
    sim = simulate(
        widths,
        sigma_w2,
        phi,
        sigma_b2=sigma_b2,
        input_var=(q_star - sigma_b2) / sigma_w2,
        batch=BATCH,
        seeds=NETS,
        implementation=impl,
    )
    fwd = forward_contributions(widths, qs, phi, BATCH)
    case = {"phi": phi, "sigma_w2": sigma_w2, "sigma_b2": sigma_b2, "q_star": q_star, "width": WIDTH}
    compare.check_close(
        Context("gelu-silu-critical-curve", case),
        np.log(sim.pre.mean(0)),
        np.log(qs),
        rtol=0,
        atol=log_tolerances(fwd, NETS, comparisons=2 * DEPTH),
        rule="meanfield",
        effect_unit="log error",
        derivation="sum of (2 + kappa)/N over layers, see properties/simulation.py",
    )
    compare.check_close(
        Context("gelu-silu-critical-curve", {**case, "measure": "gradient"}),
        np.log(sim.grad.mean(0)),
        np.log(grads),
        rtol=0,
        atol=log_tolerances(backward_contributions(widths, qs, phi) + np.cumsum(fwd), NETS, 2 * DEPTH),
        rule="meanfield",
        effect_unit="log error",
        derivation="forward and backward (2 + kappa)/N sums",
    )
    assert np.allclose(qs, q_star, rtol=1e-9) and np.allclose(grads[:-1], grads[0], rtol=1e-6)


@pytest.mark.claim("dropout-breaks-critical-point")
@given(
    keep=st.floats(0.5, 0.9),
    sigma_w2=st.floats(0.5, 4.0),
    sigma_b2=st.floats(0.0, 0.1),
    fan_in=st.integers(4, 256),
    seed=cs.seeds(),
)
@cs.scaled(2)
def test_dropout_decorrelates_identical_inputs(
    impl, keep: float, sigma_w2: float, sigma_b2: float, fan_in: int, seed: int
) -> None:
    """E[h_a h_b] / E[h_a^2] for two dropout copies of one input, one output unit per draw.

    Given the masks, (h_a, h_b) is a centred Gaussian pair with covariances v_a, v_b, v_ab, so
    ``E[(h_a h_b - r h_a^2)^2] = E[v_a v_b + 2 v_ab^2 - 6 r v_a v_ab + 3 r^2 v_a^2]``, with the
    mask moments exact (Bernoulli sums of ``A_j = a_j^2``): the ratio check's variance is known.
    It catches a quarter of the distance between the claimed ratio and 1 (no dropout's ratio).
    """
    impl.require("dropout", "normal")  # before drawing 4096 x fan_in weights
    rng = np.random.default_rng(seed)
    a = np.tanh(rng.standard_normal(fan_in) * 1.5)  # one fixed layer input
    s1, s2 = float(np.sum(a**2)), float(np.sum(a**4))
    m = s1 / fan_in
    predicted = (sigma_w2 * m + sigma_b2) / (sigma_w2 * m / keep + sigma_b2)
    k, b2, sc = keep, sigma_b2, sigma_w2 / (fan_in * keep**2)
    cross = s1**2 - s2
    v_a = b2 + sc * k * s1
    v_a_v_b = b2**2 + 2 * b2 * sc * k * s1 + sc**2 * k**2 * s1**2
    v_ab2 = b2**2 + 2 * b2 * sc * k**2 * s1 + sc**2 * (k**2 * s2 + k**4 * cross)
    v_a_v_ab = b2**2 + b2 * sc * (k + k**2) * s1 + sc**2 * (k**2 * s2 + k**3 * cross)
    v_a2 = b2**2 + 2 * b2 * sc * k * s1 + sc**2 * (k * s2 + k**2 * cross)
    difference = v_a_v_b + 2 * v_ab2 - 6 * predicted * v_a_v_ab + 3 * predicted**2 * v_a2
    rows = 4096

    def pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = [], []
        for _ in range(-(-n // rows)):
            w = impl.normal((rows, fan_in), 0.0, math.sqrt(sigma_w2 / fan_in), rng=rng)
            b = impl.normal((rows,), 0.0, math.sqrt(sigma_b2), rng=rng) if sigma_b2 > 0 else np.zeros(rows)
            copies = np.broadcast_to(a, (rows, fan_in))
            h_a = np.sum(w * impl.dropout(copies, 1 - keep, rng=rng), axis=1) + b
            h_b = np.sum(w * impl.dropout(copies, 1 - keep, rng=rng), axis=1) + b
            xs.append(h_a * h_b)
            ys.append(h_a * h_a)
        return np.concatenate(xs), np.concatenate(ys)

    decide.check_ratio(
        Context(
            "dropout-breaks-critical-point",
            {"keep": keep, "sigma_w2": sigma_w2, "sigma_b2": sigma_b2, "fan_in": fan_in},
            seed,
        ),
        pairs,
        predicted,
        numerator=(sigma_w2 * m + sigma_b2, v_a_v_b + 2 * v_ab2),
        denominator=(v_a, 3 * v_a2 - v_a**2),
        difference_variance=difference,
        relative_effect=0.25 * (1 - predicted) / predicted,
    )
    assert predicted < 1
