"""Fans of a weight tensor, as theory states them (He et al. 2015: n_l = k_l^2 c_l)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def fans(shape: Sequence[int], layout: str = "torch") -> tuple[int, int]:
    """Return ``(fan_in, fan_out)``: input and output channels times the receptive field.

    Args:
        shape: ``(out, in, *kernel)`` for ``layout="torch"``; ``(*kernel, in, out)`` for
            ``"keras"``.
        layout: ``"torch"`` or ``"keras"``.

    Returns:
        ``(fan_in, fan_out)``.

    References:
        He et al. (2015), Sec. 2.2 ("n_l = k_l^2 c_l"); PyTorch and Keras layouts (see
        ``shared/reference/peer_initializers.md``).
    """
    dims = tuple(int(d) for d in shape)
    if len(dims) < 2:
        raise ValueError(f"shape must have at least 2 dims, got {dims}")
    if layout == "torch":
        out_channels, in_channels, kernel = dims[0], dims[1], dims[2:]
    elif layout == "keras":
        out_channels, in_channels, kernel = dims[-1], dims[-2], dims[:-2]
    else:
        raise ValueError(f"layout must be 'torch' or 'keras', got {layout!r}")
    receptive_field = math.prod(kernel)
    return in_channels * receptive_field, out_channels * receptive_field


def conv_weight_fans(
    in_channels: int, out_channels: int, kernel: Sequence[int], groups: int = 1, transposed: bool = False
) -> tuple[int, int]:
    """``(fan_in, fan_out)`` that PyTorch's rule computes for a (transposed) convolution's weight.

    Formula: ``Conv``'s weight is ``(out, in / groups, *k)``, so fan_in = ``in / groups * prod(k)``
    and fan_out = ``out * prod(k)``. ``ConvTranspose``'s weight is ``(in, out / groups, *k)``, so
    the same rule gives fan_in = ``out / groups * prod(k)`` and fan_out = ``in * prod(k)``: for a
    transposed convolution "fan_in" counts *output* channels (a convention of the layout, not the
    number of inputs a unit of the transposed convolution sums).

    Args:
        in_channels: the layer's input channels.
        out_channels: the layer's output channels.
        kernel: the kernel's spatial sizes.
        groups: the number of groups (divides both channel counts).
        transposed: a transposed convolution.

    Returns:
        ``(fan_in, fan_out)`` as ``torch.nn.init._calculate_fan_in_and_fan_out`` computes them.

    References:
        PyTorch ``torch/nn/modules/conv.py`` (weight shapes) and ``torch/nn/init.py``.
    """
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(f"groups must divide in_channels and out_channels, got {groups}")
    field = math.prod(int(k) for k in kernel)
    if transposed:
        return out_channels // groups * field, in_channels * field
    return in_channels // groups * field, out_channels * field
