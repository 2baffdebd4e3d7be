"""A minimal fully connected network with exact backpropagation (PyTorch layout).

Layer ``l`` computes ``h_l = a_{l-1} @ W_l.T + b_l`` and ``a_l = phi(h_l)``, with ``W_l`` of shape
``(out, in)`` as in ``nn.Linear``; ``a_0`` is the input batch ``(batch, in)``. Parameters are a
dict ``{"W1": ..., "b1": ..., "WL": ..., "bL": ...}`` so any optimizer in
:mod:`impls.optimizers` can train them.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from impls._validation import as_float_array, as_float_dtype, as_rng
from impls.activations import get_activation
from impls.initializers import zeros

Initializer = Callable[..., np.ndarray]


class Forward(NamedTuple):
    """Every layer's pre-activations ``h_1..h_L`` and activations ``a_0..a_L``."""

    pre: list[np.ndarray]
    post: list[np.ndarray]


class Backward(NamedTuple):
    """Gradients of the loss: by parameter name (``"W1"``, ``"b1"``, ...) and by ``h_l``."""

    params: dict[str, np.ndarray]
    pre: list[np.ndarray]


def depth(params: dict[str, np.ndarray]) -> int:
    """Number of layers ``L`` of a parameter dict."""
    layers = 0
    while f"W{layers + 1}" in params:
        layers += 1
    if layers == 0 or any(f"b{i}" not in params for i in range(1, layers + 1)):
        raise ValueError("params must hold W1, b1, ..., WL, bL")
    return layers


def init_mlp(
    widths: Sequence[int],
    weight_init: Initializer,
    bias_init: Initializer | None = None,
    *,
    rng: Any = None,
    dtype: Any = np.float64,
) -> dict[str, np.ndarray]:
    """Create the parameters of a network with the given layer widths.

    Args:
        widths: ``(n_0, n_1, ..., n_L)``: the input width, then each layer's width.
        weight_init: called as ``weight_init((n_l, n_{l-1}), rng=..., dtype=...)`` for each
            layer (any initializer of :mod:`impls.initializers`, or a ``functools.partial``);
            ``rng`` is passed only if its signature has it.
        bias_init: called likewise with shape ``(n_l,)`` for the biases; zeros if None.
        rng: Generator, int seed or None; shared by all layers in order.
        dtype: float32 or float64.

    Returns:
        ``{"W1": (n_1, n_0), "b1": (n_1,), ...}``.
    """
    sizes = [int(w) for w in widths]
    if len(sizes) < 2 or any(w < 1 for w in sizes):
        raise ValueError(f"widths must hold at least two positive ints, got {list(widths)}")
    generator, dtype = as_rng(rng), as_float_dtype(dtype)

    def call(init: Initializer, shape: tuple[int, ...]) -> np.ndarray:
        # Deterministic initializers (zeros, eye, ...) take no rng.
        takes_rng = "rng" in inspect.signature(init).parameters
        return init(shape, rng=generator, dtype=dtype) if takes_rng else init(shape, dtype=dtype)

    params: dict[str, np.ndarray] = {}
    for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes), start=1):
        params[f"W{layer}"] = call(weight_init, (fan_out, fan_in))
        params[f"b{layer}"] = call(bias_init or zeros, (fan_out,))
    return params


def forward(
    params: dict[str, np.ndarray],
    x: Any,
    activation: str = "tanh",
    output_activation: str | None = None,
) -> Forward:
    """Run the network on a batch and keep every intermediate value.

    Formula: ``h_l = a_{l-1} W_l^T + b_l``, ``a_l = phi(h_l)`` (``phi_out`` on the last layer).

    Args:
        params: from :func:`init_mlp`.
        x: input batch ``(batch, n_0)``.
        activation: the hidden layers' activation (a name in ``impls.ACTIVATIONS``).
        output_activation: the last layer's; the same as ``activation`` if None.

    Returns:
        :class:`Forward` with ``pre = [h_1..h_L]``, ``post = [a_0..a_L]``.
    """
    layers = depth(params)
    a = as_float_array(x, "x")
    if a.ndim != 2 or a.shape[1] != params["W1"].shape[1]:
        raise ValueError(f"x must have shape (batch, {params['W1'].shape[1]}), got {a.shape}")
    hidden = get_activation(activation)
    last = hidden if output_activation is None else get_activation(output_activation)
    pre, post = [], [a]
    for layer in range(1, layers + 1):
        h = a @ params[f"W{layer}"].T + params[f"b{layer}"]
        a = (last if layer == layers else hidden)(h)
        pre.append(h)
        post.append(a)
    return Forward(pre, post)


def backward(
    params: dict[str, np.ndarray],
    cache: Forward,
    grad_output: Any,
    activation: str = "tanh",
    output_activation: str | None = None,
) -> Backward:
    """Backpropagate ``dLoss/da_L`` through a forward pass.

    Formula: ``delta_L = g * phi_out'(h_L)``; ``delta_l = (delta_{l+1} W_{l+1}) * phi'(h_l)``;
    ``dW_l = delta_l^T a_{l-1}``; ``db_l = sum_batch delta_l``.

    Args:
        params: the parameters used for ``cache``.
        cache: the :class:`Forward` of the same batch.
        grad_output: ``dLoss/da_L``, shaped like the output ``(batch, n_L)``.
        activation: as passed to :func:`forward`.
        output_activation: as passed to :func:`forward`.

    Returns:
        :class:`Backward`: parameter gradients (same keys as ``params``) and ``dLoss/dh_l``.
    """
    layers = depth(params)
    hidden = get_activation(activation)
    last = hidden if output_activation is None else get_activation(output_activation)
    grad = as_float_array(grad_output, "grad_output")
    if grad.shape != cache.post[-1].shape:
        raise ValueError(f"grad_output must have shape {cache.post[-1].shape}, got {grad.shape}")
    grads: dict[str, np.ndarray] = {}
    pre_grads: list[np.ndarray] = [np.empty(0)] * layers
    delta = grad * last.derivative(cache.pre[-1])
    for layer in range(layers, 0, -1):
        pre_grads[layer - 1] = delta
        grads[f"W{layer}"] = delta.T @ cache.post[layer - 1]
        grads[f"b{layer}"] = delta.sum(axis=0)
        if layer > 1:
            delta = (delta @ params[f"W{layer}"]) * hidden.derivative(cache.pre[layer - 2])
    return Backward({key: grads[key] for key in params}, pre_grads)


def input_gradient(params: dict[str, np.ndarray], backward_pass: Backward) -> np.ndarray:
    """``dLoss/da_0``, the gradient that reaches the input: ``delta_1 W_1``."""
    return backward_pass.pre[0] @ params["W1"]


def jacobian(
    params: dict[str, np.ndarray],
    x: Any,
    activation: str = "tanh",
    output_activation: str | None = None,
) -> np.ndarray:
    """Input-output Jacobian ``d a_L / d a_0`` at one input vector.

    Formula: ``J = D_L W_L ... D_1 W_1`` with ``D_l = diag(phi'(h_l))``.

    Args:
        params: from :func:`init_mlp`.
        x: one input ``(n_0,)``.
        activation: hidden activation.
        output_activation: last layer's activation; ``activation`` if None.

    Returns:
        ``(n_L, n_0)`` array.

    References:
        Saxe et al. (2013); Pennington, Schoenholz & Ganguli (2017), Sec. 2.
    """
    point = as_float_array(x, "x")
    if point.ndim != 1:
        raise ValueError(f"x must be one input vector (n_0,), got shape {point.shape}")
    cache = forward(params, point[None, :], activation, output_activation)
    hidden = get_activation(activation)
    last = hidden if output_activation is None else get_activation(output_activation)
    layers = depth(params)
    result = np.eye(point.size, dtype=point.dtype)
    for layer in range(1, layers + 1):
        slope = (last if layer == layers else hidden).derivative(cache.pre[layer - 1][0])
        result = slope[:, None] * (params[f"W{layer}"] @ result)
    return result
