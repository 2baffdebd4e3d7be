"""Reference activations and their elementwise derivatives (``torch.nn.functional`` semantics).

Every function and derivative is within a few ulp of its exact value wherever that value is
representable (checked against mpmath at 50 digits over the whole float64 range), never warns,
never returns NaN for a finite input, and takes its exact limits at +-inf. Derivatives follow
PyTorch autograd's convention at kinks (relu'(0) = 0, leaky_relu'(0) = slope, elu'(0) = alpha).
Where naive formulas lose accuracy the reference does not: ``tanh' = sech^2`` (not
``1 - tanh^2``), GELU through ``erfcx`` with ``x^2`` carried exactly (no ``1 + erf``
cancellation), ``silu'`` with ``sigmoid(-x)`` for ``1 - sigmoid(x)``, exponential tails rounded
once among the subnormals (see :mod:`impls._accurate`).

Dtypes (the library's policy): float16, bfloat16, float32 and float64 are preserved, computed in
float64 and rounded once; integer input is promoted to float32 by ``sigmoid``, ``tanh`` and
``softsign`` and kept by ``relu`` and ``linear``, as PyTorch does; bool input is promoted by
``sigmoid`` and ``tanh``; everything else, and any non-floating input to a derivative (PyTorch
differentiates floating tensors only), is a ``TypeError`` naming ``x``.
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

from impls import _accurate as acc
from impls._checks_numeric import IntegerPolicy, as_choice, as_real, floating_input, round_to

SELU_ALPHA = 1.6732632423543772848170429916717
"""SELU's alpha (Klambauer et al. 2017; the constant PyTorch uses)."""
SELU_SCALE = 1.0507009873554804934193349852946
"""SELU's lambda (Klambauer et al. 2017; the constant PyTorch uses)."""

GELU_APPROXIMATIONS = ("none", "tanh")
_GELU_TANH_COEFF = (0.044715, 2.1960211427085595e-18)  # the decimal 0.044715 as a double-double
_GELU_RANGE = 40.0  # beyond |x| = 40 every GELU form is x (x > 0) or rounds to -0.0 (x < 0)


def _elementwise(
    at_minus_inf: float | None = None,
    at_plus_inf: float | None = None,
    integers: IntegerPolicy = "refuse",
    bools: bool = False,
) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Wrap a float64 kernel in the dtype policy, with its exact limits at -inf and +inf.

    The kernel receives ``x`` as float64 (or an integer array, for ``integers="keep"``) and
    the keyword parameters, already checked; its result is rounded once to the result dtype.
    """

    def decorate(kernel: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        @functools.wraps(kernel)
        def wrapped(x: Any, *args: Any, **kwargs: Any) -> np.ndarray:
            values, dtype = floating_input(x, "x", integers=integers, bools=bools)
            with np.errstate(all="ignore"):
                result = np.asarray(kernel(values, *args, **kwargs))
            if at_minus_inf is not None or at_plus_inf is not None:
                infinite = np.isinf(values)
                if infinite.any():
                    if at_plus_inf is not None:
                        result = np.where(infinite & (values > 0), at_plus_inf, result)
                    if at_minus_inf is not None:
                        result = np.where(infinite & (values < 0), at_minus_inf, result)
            return round_to(result, dtype)

        return wrapped

    return decorate


@_elementwise(integers="keep")
def identity(x: Any) -> np.ndarray:
    """Return ``x`` unchanged (the ``"linear"`` activation).

    Args:
        x: input array.

    Returns:
        A copy of ``x`` in its dtype.
    """
    return np.array(x, copy=True)


@_elementwise()
def identity_derivative(x: Any) -> np.ndarray:
    """Derivative of the identity: 1 everywhere."""
    return np.ones_like(x)


@_elementwise(integers="promote", bools=True)
def sigmoid(x: Any) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, overflow-free, exact tails among the subnormals.

    Args:
        x: input array.

    Returns:
        Values in [0, 1]; ``sigmoid(-x) = 1 - sigmoid(x)``.
    """
    return acc.expit(x)


@_elementwise()
def sigmoid_derivative(x: Any) -> np.ndarray:
    """Derivative ``s(x) (1 - s(x)) = s(x) s(-x)`` (no cancellation in ``1 - s``), at most 1/4.

    The two rounded factors can put the product one ulp above 1/4 near ``x = 0`` (0.25000000000000006
    at ``x = 2^-52``, where the exact value ``1/4 - x^2/16`` rounds to 1/4); the exact value never
    exceeds 1/4, so clipping there only moves such a result to the correctly rounded one.
    """
    return np.minimum(acc.expit(x) * acc.expit(-x), 0.25)


@_elementwise(integers="promote", bools=True)
def tanh(x: Any) -> np.ndarray:
    """Hyperbolic tangent.

    Args:
        x: input array.

    Returns:
        Values in [-1, 1]; ``tanh(x) = 2 sigmoid(2x) - 1``.
    """
    return np.tanh(x)


@_elementwise(0.0, 0.0)
def tanh_derivative(x: Any) -> np.ndarray:
    """Derivative ``sech(x)^2 = (2h / (1 + h^2))^2`` with ``h = exp(-|x|)``, at most 1 (x = 0).

    ``2h / (1 + h^2)`` is stationary at ``h = 1``, so it stays accurate near ``x = 0`` too.

    ``1 - tanh(x)^2`` loses up to 5e-9 relative at ``|x| = 9`` and is 0 beyond ``|x| = 19``.
    """
    h = np.exp(-np.abs(x))
    r = 2.0 * h / (1.0 + h * h)
    return r * r


@_elementwise(integers="keep")
def relu(x: Any) -> np.ndarray:
    """Rectified linear unit ``max(x, 0)``.

    Args:
        x: input array (integers keep their dtype, as in PyTorch).

    Returns:
        ``max(x, 0)`` elementwise.
    """
    return np.maximum(x, x.dtype.type(0))


@_elementwise()
def relu_derivative(x: Any) -> np.ndarray:
    """Derivative ``1[x > 0]`` (0 at the kink, as PyTorch autograd)."""
    return (x > 0).astype(np.float64)


def _slope(negative_slope: Any) -> float:
    return as_real(negative_slope, "negative_slope")


@_elementwise()
def leaky_relu(x: Any, negative_slope: float = 0.01) -> np.ndarray:
    """Leaky rectifier ``x if x > 0 else negative_slope * x``.

    Args:
        x: input array.
        negative_slope: slope for ``x <= 0``.

    Returns:
        The activated array.
    """
    return np.where(x > 0, x, x * _slope(negative_slope))


@_elementwise()
def leaky_relu_derivative(x: Any, negative_slope: float = 0.01) -> np.ndarray:
    """Derivative ``1 if x > 0 else negative_slope`` (slope at the kink, as PyTorch)."""
    return np.where(x > 0, 1.0, _slope(negative_slope))


@_elementwise(-1.0, 1.0, integers="promote")
def softsign(x: Any) -> np.ndarray:
    """Softsign ``x / (1 + |x|)``.

    Args:
        x: input array.

    Returns:
        Values in (-1, 1).
    """
    return x / (1.0 + np.abs(x))


@_elementwise(0.0, 0.0)
def softsign_derivative(x: Any) -> np.ndarray:
    """Derivative ``1 / (1 + |x|)^2``, squared after the division (no overflow before 1e154)."""
    reciprocal = 1.0 / (1.0 + np.abs(x))
    return reciprocal * reciprocal


def _alpha(alpha: Any) -> float:
    return as_real(alpha, "alpha")


@_elementwise()
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
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)) * _alpha(alpha))


def _scaled_exp(x: np.ndarray, factor: float) -> np.ndarray:
    """``factor exp(x)`` for ``x <= 0``, rounded once where it is subnormal (below -700)."""
    result = np.asarray(factor * np.exp(np.minimum(x, 0.0)))
    tail = x < -700.0
    if tail.any():
        f, g = acc.exp_halves(x[tail], np.zeros(int(tail.sum())))
        result[tail] = (factor * f) * g
    return result


@_elementwise()
def elu_derivative(x: Any, alpha: float = 1.0) -> np.ndarray:
    """Derivative ``1 if x > 0 else alpha exp(x)`` (alpha at the kink, as PyTorch)."""
    return np.where(x > 0, 1.0, _scaled_exp(x, _alpha(alpha)))


_SELU_PRODUCT = SELU_SCALE * SELU_ALPHA


@_elementwise()
def selu(x: Any) -> np.ndarray:
    """Scaled ELU ``lambda * elu(x, alpha)`` with the self-normalizing constants.

    Args:
        x: input array.

    Returns:
        The activated array.

    References:
        Klambauer et al. (2017), Sec. 3, eq. (2).
    """
    return np.where(x > 0, SELU_SCALE * x, _SELU_PRODUCT * np.expm1(np.minimum(x, 0.0)))


@_elementwise()
def selu_derivative(x: Any) -> np.ndarray:
    """Derivative ``lambda if x > 0 else lambda alpha exp(x)``."""
    return np.where(x > 0, SELU_SCALE, _scaled_exp(x, _SELU_PRODUCT))


def _approximate(approximate: Any) -> str:
    return as_choice(approximate, "approximate", GELU_APPROXIMATIONS)


def _gelu_tanh_argument(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``2u = 2 sqrt(2/pi) (x + 0.044715 x^3)`` as a double-double, for ``|x| <= 40``."""
    square, square_error = acc.two_prod(x, x)
    cube, cube_error = acc.two_prod(square, x)
    cubic = acc.dd_mul(_GELU_TANH_COEFF, (cube, cube_error + square_error * x))
    total, total_error = acc.two_sum(cubic[0], x)
    hi, lo = acc.dd_mul(acc.SQRT_2_OVER_PI, acc.two_sum(total, total_error + cubic[1]))
    return 2.0 * hi, 2.0 * lo


@_elementwise(0.0, math.inf)
def gelu(x: Any, approximate: str = "none") -> np.ndarray:
    """Gaussian error linear unit ``x Phi(x)``, or its tanh approximation.

    Formula: exact ``x Phi(x)``, evaluated as ``x Phi(x)`` for ``x >= 0`` and as
    ``x erfcx(-x / sqrt 2) exp(-x^2 / 2) / 2`` below (``0.5 x (1 + erf(x / sqrt 2))`` returns
    -0.0 at ``x = -12`` where the value is -2.13e-32); ``"tanh"``:
    ``0.5 x (1 + tanh(u)) = x sigmoid(2u)`` with ``u = sqrt(2/pi) (x + 0.044715 x^3)``
    carried in double-double.

    Args:
        x: input array.
        approximate: ``"none"`` or ``"tanh"`` (as ``torch.nn.functional.gelu``).

    Returns:
        The activated array.

    References:
        Hendrycks & Gimpel (2016), "Gaussian error linear units (GELUs)".
    """
    clipped = np.clip(x, -_GELU_RANGE, _GELU_RANGE)
    if _approximate(approximate) == "tanh":
        inside = acc.times_expit(clipped, *_gelu_tanh_argument(clipped))
    else:
        inside = np.asarray(clipped * special.ndtr(clipped))
        low = clipped < -1.0
        if low.any():
            tail = clipped[low]
            f, g = acc.exp_neg_half_square(tail)
            inside[low] = ((0.5 * tail * acc.erfcx(-tail * acc.INV_SQRT_2)) * f) * g
    return np.where(x > _GELU_RANGE, x, np.where(x < -_GELU_RANGE, -0.0, inside))


@_elementwise(0.0, 1.0)
def gelu_derivative(x: Any, approximate: str = "none") -> np.ndarray:
    """Derivative of :func:`gelu`: ``Phi(x) + x phi(x)`` (exact) or of the tanh form.

    Formula: for ``x < 0``, ``phi(x) (x + sqrt(pi/2) erfcx(-x / sqrt 2))``; tanh form:
    ``s (1 + 2 x u' sigmoid(-2u))`` with ``s = sigmoid(2u)``, ``u' = sqrt(2/pi) (1 + 3 c x^2)``.
    """
    clipped = np.clip(x, -_GELU_RANGE, _GELU_RANGE)
    if _approximate(approximate) == "tanh":
        hi, lo = _gelu_tanh_argument(clipped)
        slope = acc.SQRT_2_OVER_PI[0] * (1.0 + 3.0 * _GELU_TANH_COEFF[0] * clipped * clipped)
        bracket = 1.0 + 2.0 * clipped * slope * acc.times_expit(1.0, -hi, -lo)
        inside = acc.times_expit(bracket, hi, lo)
    else:
        # x >= 0: x phi(x) <= 0.3 Phi(x), so exp's x^2 eps / 2 relative error costs < 2 ulp
        inside = np.asarray(
            special.ndtr(clipped) + acc.INV_SQRT_2PI * clipped * np.exp(-0.5 * clipped * clipped)
        )
        low = clipped < 0
        if low.any():
            tail = clipped[low]
            f, g = acc.exp_neg_half_square(tail)
            bracket = tail + acc.SQRT_PI_OVER_2 * acc.erfcx(-tail * acc.INV_SQRT_2)
            inside[low] = ((acc.INV_SQRT_2PI * bracket) * f) * g
    return np.where(x > _GELU_RANGE, 1.0, np.where(x < -_GELU_RANGE, 0.0, inside))


@_elementwise(0.0, math.inf)
def silu(x: Any) -> np.ndarray:
    """Sigmoid-weighted linear unit (swish) ``x sigmoid(x)``.

    Args:
        x: input array.

    Returns:
        The activated array.

    References:
        Elfwing, Uchibe & Doya (2018); Ramachandran, Zoph & Le (2017).
    """
    return acc.times_expit(x, x)


@_elementwise(0.0, 1.0)
def silu_derivative(x: Any) -> np.ndarray:
    """Derivative ``s(x) (1 + x s(-x))`` (``s(-x)`` for ``1 - s(x)``: no cancellation)."""
    return acc.times_expit(1.0 + x * acc.expit(-x), x)


def _softplus_parameters(beta: Any, threshold: Any) -> tuple[float, float]:
    beta_value, threshold_value = as_real(beta, "beta"), as_real(threshold, "threshold")
    if beta_value <= 0:
        raise ValueError(f"beta must be > 0, got {beta_value}")
    return beta_value, threshold_value


@_elementwise(0.0, math.inf)
def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """Softplus ``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold`` (PyTorch).

    Formula: ``beta x`` is carried in double-double; ``log1p(exp(y))`` is ``max(y, 0) +
    log1p(exp(-|y|))``, and ``exp(y) / beta`` below ``y = -40`` (rounded once if subnormal).

    Args:
        x: input array.
        beta: sharpness, ``> 0``.
        threshold: above ``beta x > threshold`` the function returns ``x`` (PyTorch's
            reversion to the linear function for numerical stability).

    Returns:
        The activated array (positive).
    """
    beta, threshold = _softplus_parameters(beta, threshold)
    hi, lo = _scaled_input(x, beta)
    smooth = acc.log1pexp(hi)
    if beta != 1.0:
        smooth = (smooth + lo * acc.expit(hi)) / beta
    smooth = np.asarray(smooth)
    far = hi < -40.0  # log1p(e^y) = e^y (1 - e^y / 2 + ...), e^y / 2 < 2e-18 here
    if far.any():
        f, g = acc.exp_halves(hi[far], lo[far])
        smooth[far] = (f / beta) * g
    return np.where(hi > threshold, x, smooth)


def _scaled_input(x: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """``beta x`` as a double-double (exact for ``beta = 1``)."""
    if beta == 1.0:
        return x, np.zeros_like(x)
    return acc.two_prod(x, np.float64(beta))


@_elementwise(0.0, 1.0)
def softplus_derivative(x: Any, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """Derivative ``sigmoid(beta x)``, 1 where ``beta x > threshold`` (PyTorch)."""
    beta, threshold = _softplus_parameters(beta, threshold)
    hi, lo = _scaled_input(x, beta)
    return np.where(hi > threshold, 1.0, acc.times_expit(1.0, hi, lo))


@dataclass(frozen=True)
class Activation:
    """An activation, its elementwise derivative, and the keyword parameters both accept.

    ``defaults`` maps each keyword parameter to its default (the targets seam,
    ``properties.targets``, builds framework activations with the same parameters).
    """

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
    """Look up an activation by name, with an error listing the known names.

    Args:
        name: a key of :data:`ACTIVATIONS`.

    Returns:
        The :class:`Activation`.

    Raises:
        TypeError: ``name`` is not a string. ValueError: it names no activation.
    """
    if not isinstance(name, str):
        raise TypeError(f"activation must be a string, one of {sorted(ACTIVATIONS)}, got {name!r}")
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]
