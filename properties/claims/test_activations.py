"""Activations: identities, bounds, kinks, stability, derivatives, Gaussian moments and gains."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from scipy import differentiate

from properties import compare, decide
from properties import strategies as cs
from properties.checks import gaussian_expectation, verify_gains
from properties.decide import Context
from properties.targets.reference import ACTIVATION_NAMES
from theory import activations as theory_act
from theory.selu import selu_constants_closed_form

NAMES = sorted(ACTIVATION_NAMES)
# Points where the function is not differentiable (derivatives follow PyTorch's convention there).
KINKS = {
    "relu": [0.0],
    "leaky_relu": [0.0],
    "elu": [0.0],
    "selu": [0.0],
    "softplus": [20.0],
    "softsign": [0.0],
}  # softsign is C^1 at 0 but f'' jumps: finite differences converge slowly


@pytest.mark.claim("sigmoid-derivative")
@pytest.mark.claim("tanh-derivative")
@pytest.mark.claim("tanh-sigmoid-relation")
@pytest.mark.claim("sigmoid-symmetry")
@given(x=cs.finite_arrays(bound=700.0))
def test_sigmoid_tanh_identities(impl, x: np.ndarray) -> None:
    # The right-hand sides are evaluated naively: 1 - s and 1 - t^2 cancel, so they carry an
    # absolute rounding error up to 4u (u = 2^-53: 1 ulp in s or t, doubled by the square, plus
    # the subtraction); impls evaluates the derivatives without cancellation (within a few ulp
    # of mpmath, properties/selftest/test_accuracy_numerics.py).
    naive_error = 4 * 2.0**-53
    s = impl.sigmoid(x)
    assert np.allclose(impl.ACTIVATIONS["sigmoid"].derivative(x), s * (1 - s), rtol=1e-14, atol=naive_error)
    t = impl.tanh(x)
    assert np.allclose(impl.ACTIVATIONS["tanh"].derivative(x), 1 - t * t, rtol=1e-14, atol=naive_error)
    compare.check_close(
        Context("tanh-sigmoid-relation", {"x": x.tolist()}),
        t,
        2 * impl.sigmoid(2 * x) - 1,
        rtol=0.0,
        atol=4e-16,
        derivation="tanh(x) = 2 sigmoid(2x) - 1: each side rounded (t, and 2s exact - 1 by Sterbenz)",
    )
    assert np.allclose(impl.sigmoid(-x), 1 - s, rtol=0, atol=2e-16)


@pytest.mark.claim("sigmoid-derivative-bound")
@pytest.mark.claim("tanh-derivative-bound")
@given(x=cs.finite_arrays())
@example(x=np.array([0.0, -0.0, 1e-300]))
@example(x=np.array([2.0**-52, -(2.0**-52), 2.220446049250313e-16]))  # s(x) s(-x) rounded above 1/4
def test_derivative_bounds(impl, x: np.ndarray) -> None:
    ds = impl.ACTIVATIONS["sigmoid"].derivative(x)
    dt = impl.ACTIVATIONS["tanh"].derivative(x)
    assert np.all(ds <= theory_act.SIGMOID_DERIVATIVE_MAX) and np.all(dt <= theory_act.TANH_DERIVATIVE_MAX)
    # sigma'(x) = 1/4 - x^2/16 + ...: below 1/4 in float64 for every |x| > 1e-7; 1/4 at x = 0
    assert np.all(ds[np.abs(x) > 1e-7] < 0.25) and np.all(dt[np.abs(x) > 1e-7] < 1.0)
    assert impl.ACTIVATIONS["sigmoid"].derivative(np.array([0.0]))[0] == 0.25
    assert impl.ACTIVATIONS["tanh"].derivative(np.array([0.0]))[0] == 1.0


@pytest.mark.claim("saturation-beyond-10")
@given(x=st.floats(10.0, 700.0) | st.floats(-700.0, -10.0))
def test_saturation_beyond_10(impl, x: float) -> None:
    ds = impl.ACTIVATIONS["sigmoid"].derivative(np.array([x]))[0]
    dt = impl.ACTIVATIONS["tanh"].derivative(np.array([x]))[0]
    assert ds < 4.54e-5 and dt < 8.25e-9
    # The slope at 10, with a rounding allowance: relative 1e-9 for sigmoid', absolute 1e-16 for tanh'.
    for name, slope, bound in (
        ("sigmoid", ds, theory_act.saturation_slope("sigmoid", 10.0) * (1 + 1e-9)),
        ("tanh", dt, theory_act.saturation_slope("tanh", 10.0) + 1e-16),
    ):
        compare.check_at_most(
            Context("saturation-beyond-10", {"activation": name, "x": x, "bound": bound}),
            slope,
            bound,
            derivation=f"{name}' decreases in |x|: at most its value at 10",
        )


@pytest.mark.claim("relu-kink-convention")
@pytest.mark.claim("leaky-relu-no-dead-zone")
@given(x=cs.finite_arrays(), slope=st.floats(1e-6, 1.0))
def test_rectifier_kinks_and_dead_zone(impl, x: np.ndarray, slope: float) -> None:
    assert impl.ACTIVATIONS["relu"].derivative(np.array([0.0]))[0] == 0.0
    assert impl.ACTIVATIONS["softsign"].derivative(np.array([0.0]))[0] == 1.0
    assert impl.ACTIVATIONS["elu"].derivative(np.array([0.0]))[0] == 1.0  # alpha, as PyTorch
    compare.check_close(
        Context("relu-kink-convention", {"activation": "leaky_relu", "x": 0.0, "negative_slope": slope}),
        impl.ACTIVATIONS["leaky_relu"].derivative(np.array([0.0]), negative_slope=slope)[0],
        slope,
        rtol=0.0,
        derivation="PyTorch's autograd convention: the slope at 0",
    )
    d = impl.ACTIVATIONS["leaky_relu"].derivative(x, negative_slope=slope)
    assert np.all(d >= min(1.0, slope)) and np.all(d > 0)


@pytest.mark.claim("activation-stability")
@pytest.mark.parametrize("name", NAMES)
@given(x=cs.finite_arrays(), dtype=cs.dtypes())
@example(x=np.array([-1.7976931348623157e308, 1.7976931348623157e308, -745.0, 710.0, 0.0]), dtype=np.float64)
def test_no_nan_no_warning_for_finite_input(impl, name: str, x: np.ndarray, dtype: type) -> None:
    act = impl.ACTIVATIONS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = x.astype(dtype)  # casting huge doubles to float32 overflows to inf on purpose
    x = np.where(np.isfinite(x), x, 0).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y, d = act(x), act.derivative(x)
    assert y.dtype == dtype and d.dtype == dtype
    assert not np.any(np.isnan(y)) and not np.any(np.isnan(d))


# (f(-inf), f(+inf), f'(-inf), f'(+inf)), from each function's definition.
_SELU_ALPHA, _SELU_SCALE = selu_constants_closed_form()
LIMITS = {
    "linear": (-math.inf, math.inf, 1.0, 1.0),
    "sigmoid": (0.0, 1.0, 0.0, 0.0),
    "tanh": (-1.0, 1.0, 0.0, 0.0),
    "relu": (0.0, math.inf, 0.0, 1.0),
    "leaky_relu": (-math.inf, math.inf, 0.01, 1.0),
    "softsign": (-1.0, 1.0, 0.0, 0.0),
    "elu": (-1.0, math.inf, 0.0, 1.0),
    "selu": (-_SELU_SCALE * _SELU_ALPHA, math.inf, 0.0, _SELU_SCALE),
    "gelu": (0.0, math.inf, 0.0, 1.0),
    "silu": (0.0, math.inf, 0.0, 1.0),
    "softplus": (0.0, math.inf, 0.0, 1.0),
}


@pytest.mark.claim("activation-stability")
@pytest.mark.parametrize("name", NAMES)
def test_limits_at_infinity(impl, name: str) -> None:
    act = impl.ACTIVATIONS[name]
    inf = np.array([-np.inf, np.inf])
    low, high, d_low, d_high = LIMITS[name]
    # Exact limits, except SELU's: theory's closed-form constants and a target's rounded ones
    # (PyTorch's 31-digit literals) may differ by a few ulp.
    rtol = 4 * np.finfo(float).eps if name == "selu" else 0.0
    with np.errstate(invalid="ignore"):
        measured = np.concatenate([act(inf), act.derivative(inf)])
    compare.check_close(
        Context("activation-stability", {"activation": name, "x": "-inf, inf", "of": "value, derivative"}),
        measured,
        [low, high, d_low, d_high],
        rtol=rtol,
        derivation="exact limits; SELU's rounded constants: 4 ulp",
    )


@pytest.mark.claim("activation-derivatives")
@pytest.mark.parametrize("name", NAMES)
@given(x=st.floats(-30, 30))
def test_derivative_matches_numerical_differentiation(impl, name: str, x: float) -> None:
    # One-sided slopes differ at a kink (the convention is tested separately). Rejected, not
    # returned from: an example that never calls the target must not count as one it expressed.
    assume(not any(abs(x - k) < 1e-3 for k in KINKS.get(name, [])))
    act = impl.ACTIVATIONS[name]
    result = differentiate.derivative(lambda v: act(v), x, initial_step=1e-3)
    assert result.error < 1e-7  # the numerical reference is itself accurate
    # scipy's error estimate, plus rounding of f near x relative to the step.
    tolerance = 10 * result.error + 1e-9 * (1 + abs(float(act(np.array([x]))[0])))
    assert abs(act.derivative(np.array([x]))[0] - result.df) <= tolerance


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("leaky_relu", {"negative_slope": 0.3}),
        ("elu", {"alpha": 0.5}),
        ("gelu", {"approximate": "tanh"}),
        ("softplus", {"beta": 2.0, "threshold": 5.0}),
    ],
)
@given(x=st.floats(-10, 10))
@example(x=3.0)  # softplus: beta x = 6 > threshold 5 > x, the beta-scaled linear regime
@example(x=-0.7)
@pytest.mark.claim("activation-derivatives")
def test_parameterised_derivatives(impl, name: str, params: dict, x: float) -> None:
    assume(abs(x) >= 1e-3 and abs(x - 2.5) >= 1e-3)  # the kinks (rejected: see above)
    act = impl.ACTIVATIONS[name]
    result = differentiate.derivative(lambda v: act(v, **params), x, initial_step=1e-3)
    assert abs(act.derivative(np.array([x]), **params)[0] - result.df) <= 10 * result.error + 1e-9


def test_activation_errors(impl) -> None:
    impl.require_reference_api("argument errors")
    with pytest.raises(ValueError, match="activation must be one of"):
        impl.get_activation("swish")
    with pytest.raises(ValueError, match="approximate must be one of"):
        impl.gelu(np.zeros(2), approximate="fast")
    with pytest.raises(ValueError, match="beta must be > 0"):
        impl.softplus(np.zeros(2), beta=0.0)
    with pytest.raises(TypeError, match="x must be a real numeric array"):
        impl.relu(np.array(["a"]))


# --------------------------------------------------------------------------------------------
# Gaussian moments and gains
# --------------------------------------------------------------------------------------------


@pytest.mark.claim("activation-gains")
@pytest.mark.parametrize("name", [n for n in NAMES if n != "linear"])
def test_gains_of_impls_activations_match_theory(impl, name: str) -> None:
    act = impl.ACTIVATIONS[name]
    verify_gains(act, act.derivative, name)


@pytest.mark.claim("relu-gain-is-forward-gain")
@given(q=st.floats(1e-4, 1e4))
def test_relu_gain_is_exact_at_every_scale(impl, q: float) -> None:
    impl.require("calculate_gain")  # before the Gaussian expectation
    second = gaussian_expectation(lambda v: impl.relu(v) ** 2, q)
    assert math.sqrt(q / second) == pytest.approx(impl.calculate_gain("relu"), rel=1e-8)
    assert impl.calculate_gain("relu") == pytest.approx(theory_act.gains("relu").forward, rel=1e-12)


@pytest.mark.claim("tanh-gain-vs-theory")
def test_tanh_gain_is_not_the_forward_gain(impl) -> None:
    forward = 1 / math.sqrt(gaussian_expectation(lambda v: impl.tanh(v) ** 2))
    assert forward == pytest.approx(1.5925374197, rel=1e-9)
    assert impl.calculate_gain("tanh") / forward - 1 == pytest.approx(0.04658, abs=5e-5)
    # Seed 004 reads the gain as a variance ratio of 1.6: the variance ratio is 1/E tanh^2 = 2.54.
    assert forward**2 == pytest.approx(2.5362, abs=1e-4)


@pytest.mark.claim("linear-regime-error")
@pytest.mark.parametrize(
    ("q", "ratio"), [(0.01, 0.9805), (0.1, 0.8421), (0.5, 0.5474), (1.0, 0.3943), (2.0, 0.2600)]
)
def test_tanh_linear_regime_error(impl, q: float, ratio: float) -> None:
    measured = gaussian_expectation(lambda v: impl.tanh(v) ** 2, q) / q
    assert measured == pytest.approx(theory_act.linear_regime_ratio(q), rel=1e-8)
    assert measured == pytest.approx(ratio, abs=5e-5)  # theory_claims.md S3.4


@pytest.mark.claim("activation-gaussian-moments")
@pytest.mark.parametrize("name", [n for n in NAMES if n != "linear"])
@given(seed=cs.seeds())
@cs.scaled(1)
def test_gaussian_second_moment_by_simulation(impl, name: str, seed: int) -> None:
    act = impl.ACTIVATIONS[name]
    second = theory_act.moment(name, 2)
    fourth = theory_act.moment(name, 4)
    rng = np.random.default_rng(seed)
    decide.check_mean(
        Context("activation-gaussian-moments", {"activation": name, "moment": 2}, seed),
        lambda n: act(rng.standard_normal(n)) ** 2,
        second,
        fourth - second**2,
        relative_effect=0.05,
    )


@pytest.mark.claim("sigmoid-not-zero-centred")
@given(scale=st.floats(0.01, 20), law=st.sampled_from(["normal", "uniform", "laplace"]), seed=cs.seeds())
@cs.scaled(3)
def test_sigmoid_mean_is_one_half_for_symmetric_inputs(impl, scale: float, law: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    draw = {"normal": rng.normal, "uniform": lambda s, n: rng.uniform(-s, s, n), "laplace": rng.laplace}[law]
    sampler = (
        (lambda n: impl.sigmoid(draw(0.0, scale, n)))
        if law != "uniform"
        else (lambda n: impl.sigmoid(draw(scale, n)))
    )
    decide.check_mean(
        Context("sigmoid-not-zero-centred", {"law": law, "scale": scale}, seed),
        sampler,
        0.5,
        0.25,
        effect=0.01,
        spread=0.5,
    )


@pytest.mark.claim("relu-half-second-moment")
@given(scale=st.floats(0.1, 10), law=st.sampled_from(["normal", "uniform", "laplace"]), seed=cs.seeds())
@cs.scaled(3)
def test_relu_keeps_half_the_second_moment(impl, scale: float, law: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    second, fourth = {"normal": (1.0, 3.0), "uniform": (1 / 3, 1 / 5), "laplace": (2.0, 24.0)}[law]
    second, fourth = second * scale**2, fourth * scale**4

    def pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = {
            "normal": lambda: rng.normal(0, scale, n),
            "uniform": lambda: rng.uniform(-scale, scale, n),
            "laplace": lambda: rng.laplace(0, scale, n),
        }[law]()
        return impl.relu(y) ** 2, y**2

    decide.check_ratio(
        Context("relu-half-second-moment", {"law": law, "scale": scale}, seed),
        pairs,
        0.5,
        numerator=(second / 2, fourth / 2 - second**2 / 4),
        denominator=(second, fourth - second**2),
        # relu(y)^2 - y^2 / 2 = sign(y) y^2 / 2 for symmetric y: variance E[y^4] / 4 exactly
        difference_variance=fourth / 4,
    )
