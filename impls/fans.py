"""Fan computation and PyTorch's gain table.

The two helpers every variance-preserving initializer needs: how many inputs and outputs a
weight tensor connects (``compute_fans``) and the activation-dependent gain
(``calculate_gain``), both with ``torch.nn.init`` semantics.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from impls._validation import as_choice, as_shape

__all__ = ["LAYOUTS", "calculate_gain", "compute_fans"]

LAYOUTS = ("torch", "keras")

_UNIT_GAIN = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def compute_fans(shape: Sequence[int] | int, layout: str = "torch") -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight tensor of the given shape.

    Formula: with receptive field ``rf = prod(kernel dims)``,
    ``fan_in = in_channels * rf`` and ``fan_out = out_channels * rf``.

    Args:
        shape: the weight's shape, at least 2-D.
        layout: ``"torch"`` for ``(out, in, *kernel)`` (``nn.Linear``/``nn.ConvNd``; dense is
            ``(out, in)``), or ``"keras"`` for ``(*kernel, in, out)`` (dense ``(in, out)``, as
            Keras and JAX/Flax store kernels).

    Returns:
        ``(fan_in, fan_out)`` as ints.

    Raises:
        ValueError: fewer than 2 dimensions (PyTorch's message), or an unknown layout.

    References:
        PyTorch ``torch/nn/init.py::_calculate_fan_in_and_fan_out``; Keras
        ``keras/src/initializers/random_initializers.py::compute_fans``. Note that for
        ``nn.ConvTranspose`` weights, stored ``(in, out/groups, *k)``, the "torch" fan_in is
        really a fan-out, exactly as in PyTorch.
    """
    layout = as_choice(layout, "layout", LAYOUTS)
    dims = as_shape(shape, allocated=False)
    if len(dims) < 2:
        raise ValueError(
            "shape: Fan in and fan out can not be computed for tensor with fewer than 2 dimensions, "
            f"got {dims}"
        )
    if layout == "torch":
        receptive_field = math.prod(dims[2:])
        return dims[1] * receptive_field, dims[0] * receptive_field
    receptive_field = math.prod(dims[:-2])
    return dims[-2] * receptive_field, dims[-1] * receptive_field


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Return PyTorch's recommended gain for a nonlinearity.

    Formula: linear / conv* / sigmoid -> 1; tanh -> 5/3; relu -> sqrt(2);
    leaky_relu -> sqrt(2 / (1 + slope^2)) (default slope 0.01); selu -> 3/4.

    Args:
        nonlinearity: the activation's name, as in ``torch.nn.init.calculate_gain``.
        param: the negative slope for ``leaky_relu``: a finite int or float, not a bool
            (PyTorch overflows for ``|param| > 1e154``; the gain is computed without squaring).

    Returns:
        The gain, a float (PyTorch returns the int 1 for the unit-gain entries).

    Raises:
        ValueError: ``Unsupported nonlinearity ...`` or ``negative_slope ... not a valid number``.

    References:
        PyTorch ``torch/nn/init.py::calculate_gain``. The selu value 3/4 is empirical
        (pytorch/pytorch#50664); Self-Normalizing Networks need gain 1 (``"linear"``).
    """
    return gain_for(nonlinearity, param, "negative_slope")


def _finite_float(value: numbers.Real) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an int beyond float64
        return False


def gain_for(nonlinearity: str, param: Any, name: str) -> float:
    """:func:`calculate_gain`, with ``param``'s errors naming it ``name`` (``a`` for Kaiming)."""
    if not isinstance(nonlinearity, str):
        raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}")
    if nonlinearity in _UNIT_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, numbers.Real) and _finite_float(param):
            negative_slope = float(param)
        else:
            if name == "negative_slope":  # PyTorch's message
                raise ValueError(f"negative_slope {param} not a valid number")
            raise ValueError(f"{name} must be a finite real number (the negative slope), got {param!r}")
        if abs(negative_slope) < 1e150:
            return math.sqrt(2.0 / (1 + negative_slope**2))
        return math.sqrt(2.0) / abs(negative_slope)
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}")
