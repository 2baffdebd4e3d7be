"""Activations and derivatives against their definitions in 50-digit arithmetic, kinks included.

Every activation is written here from its paper/PyTorch definition with mpmath; impls must agree
within a few ulp (1e-13 relative) on a grid that includes tiny inputs (where ``exp(x) - 1``
loses every digit that ``expm1`` keeps), the regions either side of softplus's *beta-scaled*
threshold, and the parameter values other than the defaults. Derivatives are compared with
``mpmath.diff`` of the same definitions away from kinks, and with PyTorch's convention at them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import pytest

from properties import compare
from properties.decide import Context
from theory import activations as theory_act

mpmath.mp.dps = 50

GELU_TANH_COEFFICIENT = mpmath.mpf("0.044715")  # Hendrycks & Gimpel (2016), Sec. 2


def _softplus(x, beta=1, threshold=20):
    """PyTorch's Softplus: ``log(1 + exp(beta x)) / beta``, and ``x`` where ``beta x > threshold``."""
    return x if beta * x > threshold else mpmath.log1p(mpmath.exp(beta * x)) / beta


DEFINITIONS: dict[str, tuple[dict[str, Any], Callable[[Any], Any]]] = {
    "sigmoid": ({}, lambda x: 1 / (1 + mpmath.exp(-x))),
    "tanh": ({}, mpmath.tanh),
    "relu": ({}, lambda x: max(x, 0)),
    "leaky_relu": ({"negative_slope": 0.3}, lambda x: x if x > 0 else mpmath.mpf("0.3") * x),
    "softsign": ({}, lambda x: x / (1 + abs(x))),
    "elu": ({"alpha": 0.5}, lambda x: x if x > 0 else mpmath.mpf("0.5") * mpmath.expm1(x)),
    "selu": (
        {},
        lambda x: (
            theory_act.SELU_LAMBDA_PAPER * (x if x > 0 else theory_act.SELU_ALPHA_PAPER * mpmath.expm1(x))
        ),
    ),
    "gelu": ({}, lambda x: x * mpmath.ncdf(x)),
    "gelu-tanh": (
        {"approximate": "tanh"},
        lambda x: x / 2 * (1 + mpmath.tanh(mpmath.sqrt(2 / mpmath.pi) * (x + GELU_TANH_COEFFICIENT * x**3))),
    ),
    "silu": ({}, lambda x: x / (1 + mpmath.exp(-x))),
    # PyTorch's defaults, explicitly: a target without them (no threshold) cannot express it.
    "softplus": ({"beta": 1.0, "threshold": 20.0}, _softplus),
    "softplus-beta-2": ({"beta": 2.0, "threshold": 5.0}, lambda x: _softplus(x, 2, 5)),
    "softplus-beta-half": ({"beta": 0.5, "threshold": 1.0}, lambda x: _softplus(x, mpmath.mpf(0.5), 1)),
}
# Where the function is not differentiable, and the derivative PyTorch's autograd gives there.
KINKS = {
    "relu": {0.0: 0.0},
    "leaky_relu": {0.0: 0.3},
    "elu": {0.0: 0.5},
    "selu": {0.0: float(theory_act.SELU_LAMBDA_PAPER * theory_act.SELU_ALPHA_PAPER)},
    "softplus": {20.0: float(1 / (1 + mpmath.exp(-20)))},
    "softplus-beta-2": {2.5: float(1 / (1 + mpmath.exp(-5)))},
    "softplus-beta-half": {2.0: float(1 / (1 + mpmath.exp(-1)))},
}
GRID = [
    -40.0, -12.0, -3.0, -1.0, -0.3, -1e-6, -1e-10, -1e-300, 0.0,
    1e-300, 1e-10, 1e-6, 0.3, 1.0, 1.5, 2.4, 2.6, 3.0, 4.0, 6.0, 12.0, 19.5, 20.5, 40.0,
]  # fmt: skip


def _impls(impl, name: str):
    return impl.ACTIVATIONS[name.split("-")[0]]


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_values_match_the_definition(impl, name: str) -> None:
    params, definition = DEFINITIONS[name]
    x = np.array(GRID)
    measured = _impls(impl, name)(x, **params)
    expected = np.array([float(definition(mpmath.mpf(v))) for v in GRID])
    # Below 1e-30 an absolute error is accepted: 0.5 x (1 + tanh(...)) of the tanh-GELU cancels
    # to -0.0 at x = -12 (exact: -2.1e-32), a tail no network sees.
    assert np.allclose(measured, expected, rtol=1e-13, atol=1e-30), list(
        zip(GRID, measured, expected, strict=True)
    )


@pytest.mark.claim("activation-derivatives")
@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_derivatives_match_the_definition(impl, name: str) -> None:
    params, definition = DEFINITIONS[name]
    kinks = KINKS.get(name, {})
    points = [v for v in GRID if all(abs(v - k) > 1e-3 for k in kinks) and abs(v) < 39]
    measured = _impls(impl, name).derivative(np.array(points), **params)
    expected = [float(mpmath.diff(definition, mpmath.mpf(v))) for v in points]
    # Absolute 1e-15 (the derivatives are of order 1): s (1 - s) and 1 - tanh^2 cancel in the tails
    # (tanh'(19.5) evaluates to 0, exact 4.6e-17), an accuracy limit of the textbook formulas.
    compare.check_close(
        Context("activation-derivatives", {"activation": name, **params, "x": points}),
        measured,
        expected,
        rtol=1e-12,
        atol=1e-15,
        derivation="mpmath.diff of the definition; absolute 1e-15 for the cancelling tails",
    )


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.claim("relu-kink-convention"))
        if name in ("relu", "leaky_relu")
        else name
        for name in sorted(KINKS)
    ],
)
def test_derivative_at_the_kink_is_pytorchs(impl, name: str) -> None:
    params, _ = DEFINITIONS[name]
    for kink, slope in KINKS[name].items():
        measured = _impls(impl, name).derivative(np.array([kink]), **params)[0]
        if name in ("relu", "leaky_relu"):  # the claim's own cases: recorded
            context = Context("relu-kink-convention", {"activation": name, "x": kink, **params})
            compare.check_close(
                context, measured, slope, rtol=1e-15, atol=1e-12, derivation="PyTorch's autograd (approx)"
            )
        else:
            assert measured == pytest.approx(slope, rel=1e-15)


def test_constants_to_full_precision(impl) -> None:
    assert float(theory_act.SELU_ALPHA_PAPER) == impl.SELU_ALPHA
    assert float(theory_act.SELU_LAMBDA_PAPER) == impl.SELU_SCALE
