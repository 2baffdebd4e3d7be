"""Activation facts: theory's own definitions, derivative identities, Gaussian moments and gains.

Theory defines each activation independently of ``impls`` (from its paper), so that comparing
the two is a real check. Gains for pre-activations ``z ~ N(0, q)`` (weight std = gain / sqrt(n)):

- forward gain ``1 / sqrt(E f(z)^2)`` keeps the second moment (the length map's fixed point);
- backward gain ``1 / sqrt(E f'(z)^2)`` keeps the gradient's second moment (chi_1 = 1);
- variance gain ``1 / sqrt(Var f(z))``, a common mistake for activations that are not centred.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy import special

from theory._domain import non_negative, positive, real
from theory.gaussian import expectation

SELU_ALPHA_PAPER = 1.6732632423543772848170429916717
SELU_LAMBDA_PAPER = 1.0507009873554804934193349852946

Function = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ActivationTheory:
    """An activation as theory defines it: the function and its derivative."""

    name: str
    f: Function
    df: Function
    source: str


def _leaky(negative_slope: float = 0.01) -> ActivationTheory:
    slope = real(negative_slope, "negative_slope")
    return ActivationTheory(
        "leaky_relu",
        lambda x: np.where(x > 0, x, slope * x),
        lambda x: np.where(x > 0, 1.0, slope),
        "Maas, Hannun & Ng (2013); He et al. (2015), eq. (15)",
    )


def _elu(alpha: float = 1.0) -> ActivationTheory:
    alpha = real(alpha, "alpha")
    return ActivationTheory(
        "elu",
        lambda x: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0))),
        lambda x: np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0))),
        "Clevert et al. (2016)",
    )


def _selu() -> ActivationTheory:
    alpha, scale = SELU_ALPHA_PAPER, SELU_LAMBDA_PAPER
    return ActivationTheory(
        "selu",
        lambda x: scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0))),
        lambda x: scale * np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0))),
        "Klambauer et al. (2017), eq. (2)",
    )


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    k = math.sqrt(2.0 / math.pi)
    return 0.5 * x * (1.0 + np.tanh(k * (x + 0.044715 * x**3)))


def _gelu_tanh_derivative(x: np.ndarray) -> np.ndarray:
    k = math.sqrt(2.0 / math.pi)
    t = np.tanh(k * (x + 0.044715 * x**3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)


def _gelu(approximate: str = "none") -> ActivationTheory:
    if approximate == "tanh":
        return ActivationTheory(
            "gelu", _gelu_tanh, _gelu_tanh_derivative, "Hendrycks & Gimpel (2016), Sec. 2"
        )
    if approximate != "none":
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return ActivationTheory(
        "gelu",
        lambda x: x * special.ndtr(x),
        lambda x: special.ndtr(x) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi),
        "Hendrycks & Gimpel (2016)",
    )


def _softplus(beta: float = 1.0) -> ActivationTheory:
    beta = positive(beta, "beta")
    return ActivationTheory(
        "softplus",
        lambda x: np.logaddexp(0.0, beta * x) / beta,
        lambda x: _sigmoid(beta * x),
        "Dugas et al. (2001)",
    )


def _fixed(theory: ActivationTheory) -> Callable[[], ActivationTheory]:
    return lambda: theory


_sigmoid = special.expit

_BUILDERS: Mapping[str, Callable[..., ActivationTheory]] = MappingProxyType(
    {
        "linear": _fixed(ActivationTheory("linear", lambda x: x, lambda x: np.ones_like(x), "identity")),
        "tanh": _fixed(ActivationTheory("tanh", np.tanh, lambda x: 1 - np.tanh(x) ** 2, "seed 001; GB10")),
        "sigmoid": _fixed(
            ActivationTheory("sigmoid", _sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x)), "seed 001; GB10")
        ),
        "relu": _fixed(
            ActivationTheory("relu", lambda x: np.maximum(x, 0.0), lambda x: (x > 0) * 1.0, "seed 001; He15")
        ),
        "leaky_relu": _leaky,
        "elu": _elu,
        "selu": _selu,
        "gelu": _gelu,
        "silu": _fixed(
            ActivationTheory(
                "silu",
                lambda x: x * _sigmoid(x),
                lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x))),
                "Elfwing et al. (2018)",
            )
        ),
        "softsign": _fixed(
            ActivationTheory(
                "softsign",
                lambda x: x / (1 + np.abs(x)),
                lambda x: 1 / (1 + np.abs(x)) ** 2,
                "GB10 (softsign); seed 002",
            )
        ),
        "softplus": _softplus,
    }
)

ACTIVATIONS: Mapping[str, ActivationTheory] = MappingProxyType(
    {name: build() for name, build in _BUILDERS.items()}
)
"""Theory's activations by name, with impls' (PyTorch's) default parameters: leaky_relu slope
0.01, elu alpha 1, gelu exact (``approximate="none"``), softplus beta 1."""


def activation(name: str, **params: Any) -> ActivationTheory:
    """Return theory's activation ``name`` with its parameters (impls' names and defaults).

    Args:
        name: one of :data:`ACTIVATIONS`.
        **params: ``negative_slope`` (leaky_relu), ``alpha`` (elu), ``approximate`` (gelu:
            ``"none"`` or ``"tanh"``), ``beta`` (softplus).

    Returns:
        :class:`ActivationTheory`; ``ValueError`` lists the known names, ``TypeError`` names an
        unknown parameter.
    """
    if name not in _BUILDERS:
        raise ValueError(f"activation must be one of {sorted(_BUILDERS)}, got {name!r}")
    if not params:
        return ACTIVATIONS[name]
    build = _BUILDERS[name]
    accepted = set(inspect.signature(build).parameters)
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise TypeError(f"params of {name!r} must be among {sorted(accepted)}, got {unknown}")
    return build(**params)


def _scalar(f: Function) -> Callable[[float], float]:
    return lambda x: float(f(np.asarray(x, dtype=float)))


def moment(name: str, power: int = 1, q: float = 1.0, derivative: bool = False, **params: Any) -> float:
    """Return ``E[g(sqrt(q) z)^power]`` with ``g = f`` or ``f'`` of activation ``name``.

    Args:
        name: an activation of :data:`ACTIVATIONS`.
        power: 1, 2 or 4.
        q: variance of the pre-activation, ``>= 0``.
        derivative: use ``f'`` instead of ``f``.
        **params: the activation's parameters (:func:`activation`).

    Returns:
        The Gaussian moment (quadrature, see :mod:`theory.gaussian`).
    """
    act = activation(name, **params)
    g = _scalar(act.df if derivative else act.f)
    return expectation(lambda x: g(x) ** power, non_negative(q, "q"))


@dataclass(frozen=True)
class Gains:
    """The three gains of an activation at pre-activation variance ``q``."""

    forward: float
    backward: float
    variance: float


def gains(name: str, q: float = 1.0, **params: Any) -> Gains:
    """Return the forward, backward and variance gains of ``name`` for ``z ~ N(0, q)``.

    Formula: ``sqrt(q / E f^2)``, ``1 / sqrt(E f'^2)``, ``sqrt(q / Var f)`` (for q = 1 the
    first and last are ``1/sqrt(E f^2)``, ``1/sqrt(Var f)``).

    Args:
        name: an activation of :data:`ACTIVATIONS`.
        q: pre-activation variance, ``> 0``.
        **params: the activation's parameters (:func:`activation`).

    Returns:
        :class:`Gains`.

    References:
        He et al. (2015), Sec. 2.2 (the second moment, not the variance); Schoenholz et al.
        (2017), chi_1; ``theory_claims.md`` S3.3.
    """
    q = positive(q, "q")
    second = moment(name, 2, q, **params)
    first = moment(name, 1, q, **params)
    slope = moment(name, 2, q, derivative=True, **params)
    return Gains(math.sqrt(q / second), 1 / math.sqrt(slope), math.sqrt(q / (second - first**2)))


def he_gain(negative_slope: float = 0.0) -> float:
    """He et al.'s gain for a (leaky) rectifier: ``sqrt(2 / (1 + a^2))``.

    References:
        He et al. (2015), Sec. 2.2, eq. (15).
    """
    a = real(negative_slope, "negative_slope")
    return math.sqrt(2.0 / (1.0 + a * a))


PYTORCH_EMPIRICAL_GAINS = MappingProxyType({"tanh": 5.0 / 3.0, "selu": 3.0 / 4.0})
"""The two entries of PyTorch's ``calculate_gain`` table that are not derived: tanh 5/3 and
selu 3/4 (pytorch/pytorch#50664); theory states them as such (S3.3)."""


def pytorch_gain(nonlinearity: str, negative_slope: float | None = None) -> float:
    """PyTorch's ``calculate_gain`` as theory states it: derived entries plus the two empirical.

    Formula: linear/conv/sigmoid 1 (Glorot's linear regime); relu ``he_gain(0)`` = sqrt 2;
    leaky_relu ``he_gain(slope)`` (default slope 0.01); tanh 5/3; selu 3/4.

    Args:
        nonlinearity: as in PyTorch.
        negative_slope: leaky_relu's slope.

    Returns:
        The gain.
    """
    if nonlinearity in ("linear", "sigmoid") or nonlinearity.startswith(("conv", "conv_transpose")):
        return 1.0
    if nonlinearity == "relu":
        return he_gain(0.0)
    if nonlinearity == "leaky_relu":
        return he_gain(0.01 if negative_slope is None else negative_slope)
    if nonlinearity in PYTORCH_EMPIRICAL_GAINS:
        return PYTORCH_EMPIRICAL_GAINS[nonlinearity]
    raise ValueError(f"nonlinearity has no PyTorch gain: {nonlinearity!r}")


SIGMOID_DERIVATIVE_MAX = 0.25
"""max sigmoid' = 1/4, at x = 0 (GB10; seed 001)."""
TANH_DERIVATIVE_MAX = 1.0
"""max tanh' = 1, at x = 0 (seed 001)."""


def saturation_slope(name: str, x: float) -> float:
    """Derivative of sigmoid or tanh at ``|x|``: ``e^-x/(1+e^-x)^2`` or ``4 e^-2x/(1+e^-2x)^2``.

    Written in the overflow-free closed form, for the claim that both are ~0 beyond |x| > 10.
    """
    x = abs(real(x, "x"))
    if name == "sigmoid":
        return math.exp(-x) / (1.0 + math.exp(-x)) ** 2
    if name == "tanh":
        return 4.0 * math.exp(-2.0 * x) / (1.0 + math.exp(-2.0 * x)) ** 2
    raise ValueError(f"name must be 'sigmoid' or 'tanh', got {name!r}")


def linear_regime_ratio(q: float) -> float:
    """``E[tanh(sqrt(q) z)^2] / q``: how far Glorot's ``f'(s) = 1`` assumption is off at q.

    Formula: ``1 - 2q + O(q^2)`` as q -> 0.
    """
    q = positive(q, "q")
    return moment("tanh", 2, q) / q
