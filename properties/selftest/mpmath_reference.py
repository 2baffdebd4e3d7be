"""Exact (mpmath, 50 digits) values of every activation and derivative, and an ulp measure.

Used by the accuracy sweep and by the PyTorch parity tests where impls and PyTorch differ.
Each reference is written from the definition, independently of impls' formulas; constants are
the ones impls documents (SELU's alpha and lambda as doubles, GELU's tanh constant the decimal
0.044715, sqrt(2/pi) exact).
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath as mp
import numpy as np

from impls.activations import SELU_ALPHA, SELU_SCALE

mp.mp.dps = 50
Exact = Callable[[mp.mpf], mp.mpf]

_S, _A = mp.mpf(SELU_SCALE), mp.mpf(SELU_ALPHA)
_K, _C = mp.sqrt(2 / mp.pi), mp.mpf("0.044715")


def sigmoid(x: mp.mpf) -> mp.mpf:
    return 1 / (1 + mp.exp(-x))


def ncdf(x: mp.mpf) -> mp.mpf:
    """Phi(x); beyond |x| = 50 (mpmath's erfc overflows for huge arguments) the first two
    terms of the Mills-ratio series, whose relative error 3/x^4 < 1e-6 is far below a double's
    ulp only where the value itself is 0 or 1 in double precision."""
    if abs(x) < 50:
        return mp.ncdf(x)
    tail = mp.npdf(x) / abs(x) * (1 - 1 / x**2)
    return 1 - tail if x > 0 else tail


def npdf(x: mp.mpf) -> mp.mpf:
    return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


def _gelu_tanh(x: mp.mpf) -> mp.mpf:
    return x * sigmoid(2 * _K * (x + _C * x**3))


def _gelu_tanh_derivative(x: mp.mpf) -> mp.mpf:
    s = sigmoid(2 * _K * (x + _C * x**3))
    return s + x * s * (1 - s) * 2 * _K * (1 + 3 * _C * x**2)


def gelu_tanh_derivative_terms(x: mp.mpf) -> mp.mpf:
    """``s + |x s (1 - s) 2 u'|``: the magnitudes of the tanh-GELU derivative's two terms."""
    s = sigmoid(2 * _K * (x + _C * x**3))
    return s + abs(x * s * (1 - s) * 2 * _K * (1 + 3 * _C * x**2))


def _softplus(beta: float, threshold: float) -> tuple[Exact, Exact]:
    b = mp.mpf(beta)

    def linear(x: mp.mpf) -> bool:  # PyTorch compares the rounded product beta * x
        return beta * float(x) > threshold

    return (
        lambda x: x if linear(x) else mp.log1p(mp.exp(b * x)) / b,
        lambda x: mp.mpf(1) if linear(x) else sigmoid(b * x),
    )


def _leaky(slope: float) -> tuple[Exact, Exact]:
    return (lambda x: x if x > 0 else mp.mpf(slope) * x, lambda x: mp.mpf(1) if x > 0 else mp.mpf(slope))


EXACT: dict[str, tuple[Exact, Exact]] = {
    "linear": (lambda x: x, lambda x: mp.mpf(1)),
    "sigmoid": (sigmoid, lambda x: sigmoid(x) * sigmoid(-x)),
    "tanh": (mp.tanh, lambda x: mp.sech(x) ** 2),
    "relu": (lambda x: max(x, mp.mpf(0)), lambda x: mp.mpf(1 if x > 0 else 0)),
    "leaky_relu": _leaky(0.01),
    "softsign": (lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2),
    "elu": (lambda x: x if x > 0 else mp.expm1(x), lambda x: mp.mpf(1) if x > 0 else mp.exp(x)),
    "selu": (
        lambda x: _S * x if x > 0 else _S * _A * mp.expm1(x),
        lambda x: _S if x > 0 else _S * _A * mp.exp(x),
    ),
    "gelu": (lambda x: x * ncdf(x), lambda x: ncdf(x) + x * npdf(x)),
    "gelu_tanh": (_gelu_tanh, _gelu_tanh_derivative),
    "silu": (lambda x: x * sigmoid(x), lambda x: sigmoid(x) * (1 + x * sigmoid(-x))),
    "softplus": _softplus(1.0, 20.0),
    "softplus_beta_0.5": _softplus(0.5, 20.0),
    "softplus_beta_3": _softplus(3.0, 20.0),
}
"""name -> (exact function, exact derivative); variants carry their parameters in the name."""

PARAMETERS: dict[str, tuple[str, dict[str, object]]] = {
    "gelu_tanh": ("gelu", {"approximate": "tanh"}),
    "softplus_beta_0.5": ("softplus", {"beta": 0.5}),
    "softplus_beta_3": ("softplus", {"beta": 3.0}),
}
"""Variant name -> (impls activation name, keyword parameters)."""


def exact_values(function: Exact, xs: np.ndarray) -> list[mp.mpf]:
    return [function(mp.mpf(float(x))) for x in xs]


def ulp_errors(got: np.ndarray, exact: list[mp.mpf]) -> np.ndarray:
    """``|got - exact| / ulp(exact)`` in float64, ulp of a subnormal the subnormal spacing.

    An exact value beyond the largest double must be returned as the infinity of its sign
    (error 0, else inf).
    """
    largest = mp.mpf(np.finfo(np.float64).max)
    errors = np.empty(len(exact))
    for i, (g, e) in enumerate(zip(got, exact, strict=True)):
        if abs(e) > largest:
            errors[i] = 0.0 if g == (np.inf if e > 0 else -np.inf) else np.inf
        elif not np.isfinite(g):
            errors[i] = np.inf
        else:
            spacing = np.spacing(abs(float(e))) if float(e) != 0 else 5e-324
            errors[i] = float(abs(mp.mpf(float(g)) - e) / mp.mpf(float(spacing)))
    return errors
