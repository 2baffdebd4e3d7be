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
