"""Accuracy of every activation, derivative and elementwise loss over the whole float64 range.

Each function is evaluated on a log-spaced grid of both signs from the smallest subnormal to the
largest double (plus a dense stretch over [1e-3, 800], where the tails turn), and compared with
its exact value (mpmath, 50 digits, ``mpmath_reference``). The error is measured in ulp of the
exact value (a subnormal's ulp is 2^-1074; an exact value beyond the largest double must come
back as the infinity of its sign).

The bound asserted for each function is derived from its evaluation, not from a measurement:
with u = 2^-53, a basic operation (+, -, *, /) contributes u, a libm call (exp, expm1, log1p,
tanh; glibc documents at most 1-2 ulp) 2u, a scipy.special call (ndtr, erfcx; Faddeeva/Cephes)
4u, the rounding of a constant u; relative errors of factors and of same-signed summands add
(the formulas avoid cancellation by construction); and relative error k u is at most k ulp. One
more ulp covers rounding the exact value for comparison. The count is written next to each
bound. Near the roots of three derivatives (gelu' and tanh-gelu' at x = -0.7518, silu' at
x = -1.2785) the exact value passes through 0 while its two terms do not; there the bound is
relative to the larger term (the forward error bound of a difference), stated separately.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import impls
from properties.selftest import mpmath_reference as ref

_KEY_POINTS = [0.5, 1, 2, 9, 12, 20, 36, 37.5, 38.5, 700, 708.5, 710, 720, 745, 1e154, 1e162]
POSITIVE = np.unique(
    np.concatenate([np.geomspace(5e-324, 1.7e308, 240), np.geomspace(1e-3, 800, 300), _KEY_POINTS])
)
GRID = np.concatenate([-POSITIVE[::-1], [0.0], POSITIVE])

# name: (bound of the function, bound of the derivative), in ulp; derivations in the comments.
BOUNDS: dict[str, tuple[float, float]] = {
    "linear": (1, 1),  # exact
    "relu": (1, 1),  # exact
    "leaky_relu": (2, 1),  # one product: u + 1
    "sigmoid": (5, 10),  # exp 2 + add 1 + div 1, + 1; s(x) s(-x): 4 + 4 + mul 1, + 1
    "tanh": (3, 20),  # tanh 2, + 1; (2h / (1 + h^2))^2: h 2, h^2 5, 1 + h^2 6, quotient 9, square 19, + 1
    "softsign": (3, 6),  # add 1 + div 1, + 1; r = 1/(1 + |x|): 2, r^2: 5, + 1
    "elu": (4, 7),  # expm1 2 + mul 1, + 1; (alpha f) g: exp 2 + (1 + lo) 1 + mul 1, g 2 + mul 1, + 1
    "selu": (5, 8),  # constant 1 + elu's 4; constant 1 + elu' 7
    "gelu": (16, 20),  # x < -1: erfcx 4 + argument 2 + 2 products, f 4, g 3 ... = 15, + 1; gelu': 19 + 1
    "gelu_tanh": (15, 40),  # times_expit 14 (f 4, a f 1, 1 + f g 4.5, div 1, g 3), + 1; derivative 39 + 1
    "silu": (16, 23),  # times_expit 14 + 1, + 1; bracket 7 + times_expit 15, + 1
    "softplus": (9, 16),  # tail: f 4, /beta 1, g 3, + 1; expit: times_expit 15, + 1
    "softplus_beta_0.5": (9, 16),  # beta x carried exactly (TwoProduct): as softplus
    "softplus_beta_3": (9, 16),
}
WITH_ROOT = {
    "gelu": lambda x: ref.ncdf(x) + abs(x) * ref.npdf(x),
    "gelu_tanh": ref.gelu_tanh_derivative_terms,
    "silu": lambda x: ref.sigmoid(x) * (1 + abs(x * ref.sigmoid(-x))),
}
"""Derivatives with an interior root: the sum of the absolute values of their terms."""


def _impls(name: str) -> tuple[object, object]:
    base, params = ref.PARAMETERS.get(name, (name, {}))
    act = impls.ACTIVATIONS[base]
    return (lambda x: act.function(x, **params)), (lambda x: act.derivative(x, **params))


@pytest.mark.parametrize("name", sorted(ref.EXACT))
def test_activation_within_derived_ulp_bound(name: str) -> None:
    function, derivative = _impls(name)
    exact_f, exact_d = ref.EXACT[name]
    bound_f, bound_d = BOUNDS[name]
    errors = ref.ulp_errors(function(GRID), ref.exact_values(exact_f, GRID))
    assert errors.max() <= bound_f, f"{name}: {errors.max():.3g} ulp at x = {GRID[errors.argmax()]!r}"
    exact = ref.exact_values(exact_d, GRID)
    got = derivative(GRID)
    if name not in WITH_ROOT:
        errors = ref.ulp_errors(got, exact)
        assert errors.max() <= bound_d, f"{name}': {errors.max():.3g} ulp at x = {GRID[errors.argmax()]!r}"
        return
    scale = np.array([float(WITH_ROOT[name](mp.mpf(float(x)))) for x in GRID])
    absolute = np.array([float(abs(mp.mpf(float(g)) - e)) for g, e in zip(got, exact, strict=True)])
    allowed = bound_d * (
        np.maximum(np.spacing(np.abs([float(e) for e in exact])), 5e-324) + np.spacing(scale)
    )
    worst = int(np.argmax(absolute / allowed))
    assert np.all(absolute <= allowed), f"{name}': error {absolute[worst]:.3g} at x = {GRID[worst]!r}"


def _pair(x: np.ndarray) -> np.ndarray:
    return np.stack([np.zeros_like(x), x], 1)


def _bce_grad_at_zero_target(x: np.ndarray) -> np.ndarray:
    return impls.binary_cross_entropy_with_logits_grad(x, 0.0 * x, reduction="none")


LOSSES = {
    # name: (impls value on the grid, exact, bound in ulp, derivation)
    "bce_with_logits t=0": (
        lambda x: impls.binary_cross_entropy_with_logits(x, np.zeros_like(x), reduction="none"),
        lambda x: mp.log1p(mp.exp(x)),
        6,  # exp 2 + log1p 2 + add 1, + 1
    ),
    "bce_with_logits t=1": (
        lambda x: impls.binary_cross_entropy_with_logits(x, np.ones_like(x), reduction="none"),
        lambda x: mp.log1p(mp.exp(-x)),
        6,
    ),
    "bce_with_logits_grad t=0": (
        lambda x: impls.binary_cross_entropy_with_logits_grad(x, np.zeros_like(x), reduction="none"),
        ref.sigmoid,
        16,  # times_expit 15, + 1
    ),
    "bce_with_logits_grad t=1": (
        lambda x: impls.binary_cross_entropy_with_logits_grad(x, np.ones_like(x), reduction="none"),
        lambda x: -ref.sigmoid(-x),
        16,
    ),
    "log_softmax([0, x])[0]": (
        lambda x: impls.log_softmax(np.stack([np.zeros_like(x), x], 1))[:, 0],
        lambda x: -mp.log1p(mp.exp(x)),
        9,  # exp 2 + (1 + lo) 2 = 4, log1p 2 + 4, difference of same sign 1, + lo 1, + 1
    ),
    "log_softmax([0, x])[1]": (
        lambda x: impls.log_softmax(np.stack([np.zeros_like(x), x], 1))[:, 1],
        lambda x: -mp.log1p(mp.exp(-x)),
        9,
    ),
    "softmax([0, x])[0]": (
        lambda x: impls.softmax(np.stack([np.zeros_like(x), x], 1))[:, 0],
        lambda x: ref.sigmoid(-x),
        15,  # f 4, 1 + R 6, div 1, g 3, + 1
    ),
    "cross_entropy_grad([0, x], 0)[0]": (
        lambda x: impls.cross_entropy_grad(
            np.stack([np.zeros_like(x), x], 1), np.zeros(len(x), int), reduction="sum"
        )[:, 0],
        lambda x: -ref.sigmoid(x),
        17,  # softmax 15 (or R / (1 + R): 4 + 6 + 1), product with A = 1 exact, + 1
    ),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_within_derived_ulp_bound(name: str) -> None:
    function, exact, bound = LOSSES[name]
    xs = GRID[np.abs(GRID) < 1e300]  # the stacked logits' difference must stay finite
    errors = ref.ulp_errors(function(xs), ref.exact_values(exact, xs))
    assert errors.max() <= bound, f"{name}: {errors.max():.3g} ulp at x = {xs[errors.argmax()]!r}"


@pytest.mark.parametrize(
    ("function", "x", "exact"),
    [
        # the defects of issue 9, each at its reported point
        (lambda x: impls.ACTIVATIONS["tanh"].derivative(x), 9.0, 4 * mp.exp(-18) / (1 + mp.exp(-18)) ** 2),
        (lambda x: impls.ACTIVATIONS["softplus"].derivative(x), -720.0, ref.sigmoid(mp.mpf(-720))),
        (impls.gelu, -12.0, -12 * ref.ncdf(mp.mpf(-12))),
        (
            lambda x: impls.binary_cross_entropy_with_logits_grad(x, 0.0 * x, reduction="none"),
            -40.0,
            ref.sigmoid(mp.mpf(-40)),
        ),
        (
            lambda x: impls.binary_cross_entropy_with_logits_grad(x, 0.0 * x, reduction="none"),
            -36.0,
            ref.sigmoid(mp.mpf(-36)),
        ),
    ],
)
def test_reported_inaccuracies_are_gone(function, x: float, exact: mp.mpf) -> None:
    got = function(np.array([x]))
    assert ref.ulp_errors(got, [exact])[0] <= 4
