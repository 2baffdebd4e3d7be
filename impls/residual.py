"""A residual MLP at initialization: ``x_{l+1} = x_l + alpha W2_l phi(W1_l x_l)``, exactly differentiated.

Each of the ``depth`` blocks has a two-layer branch of width ``width`` without biases, scaled by
``branch_scale`` (alpha): 1 for a plain residual network, ``1/sqrt(depth)`` for depth-scaled
branches, 0 for SkipInit/ReZero (whose alpha is learned from 0). ``zero_last=True`` initializes
each branch's last layer to zero (Fixup, and the zero-gamma trick of Goyal et al.). Parameters
are a dict ``{"W1_1", "W2_1", ..., "W1_L", "W2_L"}`` in PyTorch's ``(out, in)`` layout, so the
optimizers of :mod:`impls.optimizers` can train them.

References: He et al. (2016), "Deep residual learning", CVPR, arXiv:1512.03385; Zhang, Dauphin &
Ma (2019), "Fixup initialization", ICLR, arXiv:1901.09321; De & Smith (2020), arXiv:2002.10444;
Bachlechner et al. (2021), arXiv:2003.04887; Goyal et al. (2017), arXiv:1706.02677, Sec. 5.1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from impls._validation import as_float_array, as_float_dtype, as_real, as_rng
from impls.activations import get_activation


class ResidualForward(NamedTuple):
    """The residual stream ``x_0..x_L`` and each branch's hidden pre-activation ``W1_l x_{l-1}``."""

    stream: list[np.ndarray]
    hidden: list[np.ndarray]


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)


def _branch_scale(value: Any) -> float:
    alpha = as_real(value, "branch_scale")
    if alpha < 0:
        raise ValueError(f"branch_scale must be >= 0, got {alpha}")
    return alpha


def init_residual_mlp(
    width: int,
    depth: int,
    first_init: Callable[..., np.ndarray],
    last_init: Callable[..., np.ndarray],
    *,
    zero_last: bool = False,
    rng: Any = None,
    dtype: Any = np.float64,
) -> dict[str, np.ndarray]:
    """The parameters of ``depth`` residual blocks of width ``width``.

    Args:
        width: N, the width of the stream and of every branch.
        depth: L, the number of blocks.
        first_init: initializer of each branch's first layer, called ``(shape, rng=, dtype=)``.
        last_init: initializer of each branch's last layer (ignored with ``zero_last``).
        zero_last: initialize every branch's last layer to zero (Fixup; zero-gamma).
        rng: Generator, int seed or None; shared by all layers in order.
        dtype: the parameters' floating dtype.

    Returns:
        ``{"W1_l": (N, N), "W2_l": (N, N)}`` for l = 1..L.
    """
    n, layers = _positive_int(width, "width"), _positive_int(depth, "depth")
    generator, dtype = as_rng(rng), as_float_dtype(dtype)
    params: dict[str, np.ndarray] = {}
    for block in range(1, layers + 1):
        for name, init in ((f"W1_{block}", first_init), (f"W2_{block}", last_init)):
            if name.startswith("W2") and zero_last:
                params[name] = np.zeros((n, n), dtype=dtype)
                continue
            w = init((n, n), rng=generator, dtype=dtype)
            if not isinstance(w, np.ndarray) or w.shape != (n, n):
                raise ValueError(
                    f"{name}: the initializer returned {getattr(w, 'shape', type(w))}, not {(n, n)}"
                )
            params[name] = w
    return params


def _depth(params: dict[str, np.ndarray]) -> int:
    blocks = 0
    while f"W1_{blocks + 1}" in params and f"W2_{blocks + 1}" in params:
        blocks += 1
    if blocks == 0 or len(params) != 2 * blocks:
        raise ValueError("params must hold exactly W1_1, W2_1, ..., W1_L, W2_L")
    return blocks


def residual_forward(
    params: dict[str, np.ndarray], x: Any, branch_scale: float = 1.0, activation: str = "relu"
) -> ResidualForward:
    """Run the residual stream on a batch.

    Formula: ``x_l = x_{l-1} + alpha phi(x_{l-1} W1_l^T) W2_l^T``.

    Args:
        params: from :func:`init_residual_mlp`.
        x: input batch ``(batch, N)``.
        branch_scale: alpha >= 0.
        activation: the branch activation (a name in ``impls.ACTIVATIONS``).

    Returns:
        :class:`ResidualForward`.
    """
    blocks, alpha, phi = _depth(params), _branch_scale(branch_scale), get_activation(activation)
    a = as_float_array(x, "x")
    if a.ndim != 2 or a.shape[1] != params["W1_1"].shape[1]:
        raise ValueError(f"x must have shape (batch, {params['W1_1'].shape[1]}), got {a.shape}")
    stream, hidden = [a], []
    for block in range(1, blocks + 1):
        h = a @ params[f"W1_{block}"].T
        a = a + alpha * (phi(h) @ params[f"W2_{block}"].T)
        stream.append(a)
        hidden.append(h)
    return ResidualForward(stream, hidden)


def residual_backward(
    params: dict[str, np.ndarray],
    forward: ResidualForward,
    grad_out: Any,
    branch_scale: float = 1.0,
    activation: str = "relu",
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Exact gradients of a loss through the residual stream, given ``dLoss/dx_L``.

    Formula: ``g_{l-1} = g_l + alpha ((g_l W2_l) * phi'(h_l)) W1_l``;
    ``dW2_l = alpha g_l^T phi(h_l)``, ``dW1_l = alpha ((g_l W2_l) * phi'(h_l))^T x_{l-1}``.

    Args:
        params: the parameters.
        forward: :func:`residual_forward`'s result for these parameters.
        grad_out: ``dLoss/dx_L``, of ``x_L``'s shape.
        branch_scale: the alpha of the forward pass.
        activation: the forward pass's activation.

    Returns:
        ``(grads by parameter name, dLoss/dx_0)``.
    """
    blocks, alpha = _depth(params), _branch_scale(branch_scale)
    act = get_activation(activation)
    g = as_float_array(grad_out, "grad_out")
    if g.shape != forward.stream[-1].shape:
        raise ValueError(f"grad_out must have shape {forward.stream[-1].shape}, got {g.shape}")
    grads: dict[str, np.ndarray] = {}
    for block in range(blocks, 0, -1):
        h, x_prev = forward.hidden[block - 1], forward.stream[block - 1]
        grads[f"W2_{block}"] = alpha * g.T @ act(h)
        delta = (g @ params[f"W2_{block}"]) * act.derivative(h)
        grads[f"W1_{block}"] = alpha * delta.T @ x_prev
        g = g + alpha * delta @ params[f"W1_{block}"]
    return grads, g
