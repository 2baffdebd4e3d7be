"""Reference activations and their elementwise derivatives (``torch.nn.functional`` semantics).

Every function is numerically stable: no overflow warning and no NaN for any finite input, and
the right limits at +-inf. Derivatives follow PyTorch autograd's convention at kinks (relu'(0) = 0,
leaky_relu'(0) = slope, elu'(0) = alpha). All are reachable by name through :data:`ACTIVATIONS`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy import special

from impls._validation import as_choice, as_float_array, as_real

SELU_ALPHA = 1.6732632423543772848170429916717
"""SELU's alpha (Klambauer et al. 2017; the constant PyTorch uses)."""
SELU_SCALE = 1.0507009873554804934193349852946
"""SELU's lambda (Klambauer et al. 2017; the constant PyTorch uses)."""


def _limits(
    at_minus_inf: float, at_plus_inf: float
) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Give an elementwise function its exact limits at -inf and +inf.

    Formulas such as ``x sigmoid(x)`` evaluate to ``inf * 0`` there; the decorated function
    evaluates finite inputs as written and sets the limits where the input is infinite.
    """

    def decorate(function: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        @functools.wraps(function)
        def wrapped(x: Any, *args: Any, **kwargs: Any) -> np.ndarray:
            x = as_float_array(x, "x")
            with np.errstate(invalid="ignore"):
                result = np.asarray(function(x, *args, **kwargs))
            infinite = np.isinf(x)
            if infinite.any():
                result = np.where(infinite & (x < 0), at_minus_inf, result)
                result = np.where(infinite & (x > 0), at_plus_inf, result).astype(x.dtype)
            return result

        return wrapped

    return decorate


_GELU_TANH_COEFF = 0.044715
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
# Beyond |x| = 20 tanh(sqrt(2/pi)(x + 0.044715 x^3)) is +-1 to double precision; clipping the
# cubic there keeps it from overflowing for huge finite inputs without changing any result.
_GELU_CUBIC_CLIP = 20.0


def identity(x: Any) -> np.ndarray:
    """Return ``x`` unchanged (the ``"linear"`` activation).

    Args:
        x: input array.

    Returns:
        A float copy of ``x``.
    """
    return as_float_array(x, "x").copy()


def identity_derivative(x: Any) -> np.ndarray:
    """Derivative of the identity: 1 everywhere."""
    return np.ones_like(as_float_array(x, "x"))


def sigmoid(x: Any) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, overflow-free (``scipy.special.expit``).

    Args:
        x: input array.

    Returns:
        Values in [0, 1]; ``sigmoid(-x) = 1 - sigmoid(x)``.
    """
    return special.expit(as_float_array(x, "x"))


def sigmoid_derivative(x: Any) -> np.ndarray:
    """Derivative ``s(x) (1 - s(x))``, at most 1/4 (at x = 0)."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x: Any) -> np.ndarray:
    """Hyperbolic tangent.

    Args:
        x: input array.

    Returns:
        Values in [-1, 1]; ``tanh(x) = 2 sigmoid(2x) - 1``.
    """
    return np.tanh(as_float_array(x, "x"))


def tanh_derivative(x: Any) -> np.ndarray:
    """Derivative ``1 - tanh(x)^2``, at most 1 (at x = 0)."""
    t = tanh(x)
    return 1.0 - t * t


def relu(x: Any) -> np.ndarray:
    """Rectified linear unit ``max(x, 0)``.

    Args:
        x: input array.

    Returns:
        ``max(x, 0)`` elementwise.
    """
    x = as_float_array(x, "x")
    return np.maximum(x, x.dtype.type(0))


def relu_derivative(x: Any) -> np.ndarray:
    """Derivative ``1[x > 0]`` (0 at the kink, as PyTorch autograd)."""
    x = as_float_array(x, "x")
    return (x > 0).astype(x.dtype)


def _slope(negative_slope: Any) -> float:
    return as_real(negative_slope, "negative_slope")


def leaky_relu(x: Any, negative_slope: float = 0.01) -> np.ndarray:
    """Leaky rectifier ``x if x > 0 else negative_slope * x``.

    Args:
        x: input array.
        negative_slope: slope for ``x <= 0``.

    Returns:
        The activated array.
    """
    x, slope = as_float_array(x, "x"), _slope(negative_slope)
    return np.where(x > 0, x, x * x.dtype.type(slope))


def leaky_relu_derivative(x: Any, negative_slope: float = 0.01) -> np.ndarray:
    """Derivative ``1 if x > 0 else negative_slope`` (slope at the kink, as PyTorch)."""
    x, slope = as_float_array(x, "x"), _slope(negative_slope)
    return np.where(x > 0, x.dtype.type(1), x.dtype.type(slope))


@_limits(-1.0, 1.0)
def softsign(x: Any) -> np.ndarray:
    """Softsign ``x / (1 + |x|)``.

    Args:
        x: input array.

    Returns:
        Values in (-1, 1).
    """
    x = as_float_array(x, "x")
    return x / (1.0 + np.abs(x))


@_limits(0.0, 0.0)
def softsign_derivative(x: Any) -> np.ndarray:
    """Derivative ``1 / (1 + |x|)^2``."""
    x = as_float_array(x, "x")
    reciprocal = 1.0 / (1.0 + np.abs(x))
    return reciprocal * reciprocal


def elu(x: Any, alpha: float = 1.0) -> np.ndarray:
    """Exponential linear unit ``x if x > 0 else alpha (exp(x) - 1)``.

    Args:
        x: input array.
        alpha: saturation value for ``x -> -inf`` is ``-alpha``.

    Returns:
        The activated array.

    References:
        Clevert, Unterthiner & Hochreiter (2016), "Fast and accurate deep network learning by
        exponential linear units".
    """
    x, alpha = as_float_array(x, "x"), as_real(alpha, "alpha")
    negative = np.expm1(np.minimum(x, 0)) * x.dtype.type(alpha)
    return np.where(x > 0, x, negative)


def elu_derivative(x: Any, alpha: float = 1.0) -> np.ndarray:
    """Derivative ``1 if x > 0 else alpha exp(x)`` (alpha at the kink, as PyTorch)."""
    x, alpha = as_float_array(x, "x"), as_real(alpha, "alpha")
    return np.where(x > 0, x.dtype.type(1), np.exp(np.minimum(x, 0)) * x.dtype.type(alpha))


def selu(x: Any) -> np.ndarray:
    """Scaled ELU ``lambda * elu(x, alpha)`` with the self-normalizing constants.

    Args:
        x: input array.

    Returns:
        The activated array.

    References:
        Klambauer et al. (2017), Sec. 3, eq. (2).
    """
    x = as_float_array(x, "x")
    with np.errstate(over="ignore"):  # lambda * x beyond the float range is inf, correctly
        return elu(x, SELU_ALPHA) * x.dtype.type(SELU_SCALE)


def selu_derivative(x: Any) -> np.ndarray:
    """Derivative ``lambda if x > 0 else lambda alpha exp(x)``."""
    x = as_float_array(x, "x")
    return elu_derivative(x, SELU_ALPHA) * x.dtype.type(SELU_SCALE)


GELU_APPROXIMATIONS = ("none", "tanh")


@_limits(0.0, math.inf)
def gelu(x: Any, approximate: str = "none") -> np.ndarray:
    """Gaussian error linear unit ``x Phi(x)``, or its tanh approximation.

    Formula: exact ``0.5 x (1 + erf(x / sqrt 2))``; ``"tanh"``:
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

    Args:
        x: input array.
        approximate: ``"none"`` or ``"tanh"`` (as ``torch.nn.functional.gelu``).

    Returns:
        The activated array.

    References:
        Hendrycks & Gimpel (2016), "Gaussian error linear units (GELUs)".
    """
    x = as_float_array(x, "x")
    approximate = as_choice(approximate, "approximate", GELU_APPROXIMATIONS)
    if approximate == "none":
        return 0.5 * x * (1.0 + special.erf(x / math.sqrt(2.0)))
    return 0.5 * x * (1.0 + np.tanh(_gelu_tanh_inner(x)))


def _gelu_tanh_inner(x: np.ndarray) -> np.ndarray:
    clipped = np.clip(x, -_GELU_CUBIC_CLIP, _GELU_CUBIC_CLIP)
    return _SQRT_2_OVER_PI * (clipped + _GELU_TANH_COEFF * clipped**3)


@_limits(0.0, 1.0)
def gelu_derivative(x: Any, approximate: str = "none") -> np.ndarray:
    """Derivative of :func:`gelu`: ``Phi(x) + x phi(x)`` (exact) or of the tanh form."""
    x = as_float_array(x, "x")
    approximate = as_choice(approximate, "approximate", GELU_APPROXIMATIONS)
    clipped = np.clip(x, -40.0, 40.0)
    if approximate == "none":
        cdf = 0.5 * (1.0 + special.erf(x / math.sqrt(2.0)))
        return cdf + clipped * np.exp(-0.5 * clipped * clipped) / math.sqrt(2.0 * math.pi)
    t = np.tanh(_gelu_tanh_inner(x))
    small = np.clip(x, -_GELU_CUBIC_CLIP, _GELU_CUBIC_CLIP)
    inner_slope = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_TANH_COEFF * small * small)
    return 0.5 * (1.0 + t) + 0.5 * small * (1.0 - t * t) * inner_slope


@_limits(0.0, math.inf)
def silu(x: Any) -> np.ndarray:
    """Sigmoid-weighted linear unit (swish) ``x sigmoid(x)``.

    Args:
        x: input array.

    Returns:
        The activated array.

    References:
        Elfwing, Uchibe & Doya (2018); Ramachandran, Zoph & Le (2017).
    """
    x = as_float_array(x, "x")
    return x * special.expit(x)


@_limits(0.0, 1.0)
def silu_derivative(x: Any) -> np.ndarray:
    """Derivative ``s(x) (1 + x (1 - s(x)))``."""
    x = as_float_array(x, "x")
    s = special.expit(x)
    return s * (1.0 + x * (1.0 - s))


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """Softplus ``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold`` (PyTorch).

    Args:
        x: input array.
        beta: sharpness, ``> 0``.
        threshold: above ``beta x > threshold`` the function returns ``x`` (PyTorch's
            reversion to the linear function for numerical stability).

    Returns:
        The activated array (positive).
    """
    x = as_float_array(x, "x")
    beta, threshold = as_real(beta, "beta"), as_real(threshold, "threshold")
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    with np.errstate(over="ignore"):  # beta * x beyond the float range is +-inf, correctly
        scaled = x * x.dtype.type(beta)
    smooth = np.logaddexp(x.dtype.type(0), scaled) / x.dtype.type(beta)
    return np.where(scaled > threshold, x, smooth)


def softplus_derivative(x: Any, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """Derivative ``sigmoid(beta x)``, 1 where ``beta x > threshold`` (PyTorch)."""
    x = as_float_array(x, "x")
    beta, threshold = as_real(beta, "beta"), as_real(threshold, "threshold")
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    with np.errstate(over="ignore"):
        scaled = x * x.dtype.type(beta)
    return np.where(scaled > threshold, x.dtype.type(1), special.expit(scaled))


@dataclass(frozen=True)
class Activation:
    """An activation, its elementwise derivative, and the keyword parameters both accept."""

    name: str
    function: Callable[..., np.ndarray]
    derivative: Callable[..., np.ndarray]
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, x: Any, **params: Any) -> np.ndarray:
        return self.function(x, **params)


ACTIVATIONS: Mapping[str, Activation] = MappingProxyType(
    {
        act.name: act
        for act in (
            Activation("linear", identity, identity_derivative),
            Activation("sigmoid", sigmoid, sigmoid_derivative),
            Activation("tanh", tanh, tanh_derivative),
            Activation("relu", relu, relu_derivative),
            Activation("leaky_relu", leaky_relu, leaky_relu_derivative, {"negative_slope": 0.01}),
            Activation("softsign", softsign, softsign_derivative),
            Activation("elu", elu, elu_derivative, {"alpha": 1.0}),
            Activation("selu", selu, selu_derivative),
            Activation("gelu", gelu, gelu_derivative, {"approximate": "none"}),
            Activation("silu", silu, silu_derivative),
            Activation("softplus", softplus, softplus_derivative, {"beta": 1.0, "threshold": 20.0}),
        )
    }
)
"""Every activation by name: ``ACTIVATIONS["tanh"].derivative(x)``."""


def get_activation(name: str) -> Activation:
    """Look up an activation by name, with a ``ValueError`` listing the known names."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]
