"""Mean field against finite-width networks built with impls (asymptotic, tolerances derived in
:mod:`properties.simulation`; theory_claims.md S4, S5)."""

from __future__ import annotations

import numpy as np
import pytest

from properties import compare
from properties.decide import Context
from properties.simulation import (
    backward_contributions,
    forward_contributions,
    log_tolerances,
    simulate,
)
from theory import meanfield


def tanh_critical_sigma_w2() -> float:
    """sigma_w^2 on tanh's order-to-chaos line at sigma_b = 0.05 (sigma_w = 1.122539)."""
    return meanfield.critical_sigma_w(0.05) ** 2


MEAN_FIELD_CASES = {
    # name: (claims, activation, sigma_w2 (or a function computing it), sigma_b2, input (mean, var), weights)
    "tanh-chaotic": (
        ["meanfield-length-map", "meanfield-fixed-point", "meanfield-gradient-growth"],
        "tanh",
        1.5**2,
        0.05**2,
        (0.0, 1.0),
        "normal",
    ),
    "tanh-critical": (["tanh-critical-line"], "tanh", tanh_critical_sigma_w2, 0.05**2, (0.0, 1.0), "normal"),
    "tanh-gain-5/3": (["tanh-pytorch-gain-chaotic"], "tanh", 25 / 9, 0.0, (0.0, 1.0), "normal"),
    "relu-he": (["relu-critical"], "relu", 2.0, 0.0, (0.0, 1.0), "normal"),
    "relu-pytorch-default": (["pytorch-linear-default"], "relu", 1 / 3, 0.0, (0.0, 1.0), "uniform"),
    "selu-from-(0.5,2)": (["selu-self-normalizing"], "selu", 1.0, 0.0, (0.5, 2.0), "truncated_normal"),
    "selu-from-(-0.3,0.3)": (["selu-self-normalizing"], "selu", 1.0, 0.0, (-0.3, 0.3), "truncated_normal"),
}


def compare_with_mean_field(
    impl,
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
        implementation=impl,
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
def test_mean_field_predicts_finite_width_networks(impl, name: str) -> None:
    claims, activation, sigma_w2_of_case, sigma_b2, moments, weights = MEAN_FIELD_CASES[name]
    sigma_w2 = sigma_w2_of_case() if callable(sigma_w2_of_case) else float(sigma_w2_of_case)
    qs = compare_with_mean_field(impl, name, claims, activation, sigma_w2, sigma_b2, moments, weights)
    # Reference values: theory_claims.md S5 table and "Quick reference" (q*, chi_1 by quadrature).
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
