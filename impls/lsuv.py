"""Layer-sequential unit-variance (LSUV) initialization (Mishkin & Matas 2016, Algorithm 1).

Start from orthogonal weights (Saxe et al. 2014), then, layer by layer from the input, run the
batch through the network and divide the layer's weight by the standard deviation of its output
until that variance is within ``tol`` of 1 or ``max_iter`` rescalings were made. With zero biases
one rescaling per layer suffices exactly (the output is linear in the weight, so its variance is
homogeneous of degree 2); biases make the iteration necessary.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, NamedTuple

import numpy as np

from impls._validation import as_float_array, as_real
from impls.activations import get_activation
from impls.network import depth


class LSUVResult(NamedTuple):
    """What :func:`lsuv` returns.

    Attributes:
        params: the rescaled parameters (a new dict; biases unchanged).
        variances: each layer's output variance on the batch after its last rescaling.
        rescalings: how many times each layer's weight was divided by its output's std.
    """

    params: dict[str, np.ndarray]
    variances: list[float]
    rescalings: list[int]


def lsuv(
    params: dict[str, np.ndarray],
    x: Any,
    activation: str = "tanh",
    *,
    tol: float = 0.1,
    max_iter: int = 10,
) -> LSUVResult:
    """Rescale each layer's weight until its output variance on the batch ``x`` is within ``tol`` of 1.

    Formula: for ``l = 1..L``: ``v = Var(h_l)`` over the whole batch and every unit
    (``h_l = a_{l-1} W_l^T + b_l`` with the already rescaled layers before it); while
    ``|v - 1| >= tol`` and fewer than ``max_iter`` rescalings: ``W_l <- W_l / sqrt(v)``.

    Args:
        params: an MLP's parameters (:func:`impls.init_mlp`; orthogonal weights as in the paper).
        x: the batch ``(batch, n_0)``, at least 2 rows.
        activation: the hidden activation (a name in ``impls.ACTIVATIONS``), applied after every
            layer but the last.
        tol: the accepted ``|Var - 1|``, in (0, 1) (the paper's ``Tol_var``, 0.1).
        max_iter: the most rescalings per layer, an int >= 1 (the paper's ``T_max``, 10).

    Returns:
        :class:`LSUVResult`. A layer still outside the tolerance after ``max_iter`` rescalings
        gives a ``UserWarning`` naming it (the paper stops there too).

    Raises:
        ValueError: bad ``tol``, ``max_iter`` or ``x``, or a layer whose output has zero or
            non-finite variance on the batch (it cannot be rescaled).

    References:
        Mishkin & Matas (2016), "All you need is a good init", ICLR, arXiv:1511.06422,
        Algorithm 1; Saxe et al. (2014), arXiv:1312.6120 (the orthogonal pre-initialization).
    """
    layers = depth(params)
    tolerance = as_real(tol, "tol")
    if not 0 < tolerance < 1:
        raise ValueError(f"tol must be in (0, 1), got {tolerance}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be an int >= 1, got {max_iter!r}")
    a = as_float_array(x, "x")
    if a.ndim != 2 or a.shape[1] != params["W1"].shape[1] or a.shape[0] < 2:
        raise ValueError(f"x must have shape (batch >= 2, {params['W1'].shape[1]}), got {a.shape}")
    phi = get_activation(activation)
    new = {key: value.copy() for key, value in params.items()}
    variances, rescalings = [], []
    for layer in range(1, layers + 1):
        weight, bias = new[f"W{layer}"], new[f"b{layer}"]
        count = 0
        while True:
            h = a @ weight.T + bias
            variance = float(np.var(h, dtype=np.float64))
            if not (math.isfinite(variance) and variance > 0):
                raise ValueError(
                    f"layer {layer}'s output has variance {variance} on x: it cannot be rescaled"
                )
            if abs(variance - 1) < tolerance or count == max_iter:
                break
            weight = (weight / math.sqrt(variance)).astype(weight.dtype)
            count += 1
        if abs(variance - 1) >= tolerance:
            warnings.warn(
                f"lsuv: layer {layer}'s output variance is {variance:.6g} after max_iter={max_iter} "
                f"rescalings (tol={tolerance})",
                UserWarning,
                stacklevel=2,
            )
        new[f"W{layer}"] = weight
        variances.append(variance)
        rescalings.append(count)
        a = phi(h) if layer < layers else h
    return LSUVResult(new, variances, rescalings)
