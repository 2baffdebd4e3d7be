"""Dropout in training mode: each entry is kept with probability ``1 - p`` and scaled by ``1 / (1 - p)``.

Semantics are PyTorch's ``torch.nn.functional.dropout(x, p, training=True)``: a zeroed entry is
exactly 0, a kept one exactly ``x / (1 - p)`` (rounded once), so ``E[dropout(x)] = x`` and
``E[dropout(x)^2] = x^2 / (1 - p)``; ``p = 0`` returns a copy of ``x`` and ``p = 1`` zeros.

References: Srivastava et al. (2014), "Dropout", JMLR 15, Sec. 4 (inverted scaling as in
PyTorch); Schoenholz et al. (2017), arXiv:1611.01232, Sec. 6 (dropout in mean field).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from impls._types import RngLike
from impls._validation import as_float_array, as_real, as_rng


def dropout(x: Any, p: float = 0.5, *, rng: RngLike = None) -> np.ndarray:
    """Zero each entry of ``x`` with probability ``p``; scale the others by ``1 / (1 - p)``.

    Formula: ``y = x * m / (1 - p)`` with ``m_i ~ Bernoulli(1 - p)`` independent.

    Args:
        x: input array (floating; its dtype is kept).
        p: the drop probability, in [0, 1].
        rng: Generator, int seed or None.

    Returns:
        A new array of x's shape and dtype.

    References:
        Srivastava et al. (2014), JMLR 15, Sec. 4; ``torch.nn.functional.dropout``.
    """
    array = as_float_array(x, "x")
    drop = as_real(p, "p")
    if not 0.0 <= drop <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {drop}")
    generator = as_rng(rng)
    if drop == 0.0:
        return array.copy()
    if drop == 1.0:
        return np.zeros_like(array)
    keep = generator.random(array.shape) >= drop
    with np.errstate(all="ignore"):  # inf/NaN inputs propagate, as in PyTorch
        out = np.where(keep, array.astype(np.float64) / (1.0 - drop), 0.0).astype(array.dtype)
    if not np.all(np.isfinite(out[np.isfinite(array)])):
        raise ValueError(f"x: x / (1 - p) overflows {array.dtype.name} for p={drop}")
    return out
