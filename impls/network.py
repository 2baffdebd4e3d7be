"""A minimal fully connected network with exact backpropagation (PyTorch layout).

Layer ``l`` computes ``h_l = a_{l-1} @ W_l.T + b_l`` and ``a_l = phi(h_l)``, with ``W_l`` of shape
``(out, in)`` as in ``nn.Linear``; ``a_0`` is the input batch ``(batch, in)``. Parameters are a
dict ``{"W1": ..., "b1": ..., "WL": ..., "bL": ...}`` so any optimizer in
:mod:`impls.optimizers` can train them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from impls._types import DTypeLike, Initializer, RngLike
from impls._validation import FLOAT_DTYPES, as_count, as_float_array, as_float_dtype, as_rng
from impls.activations import get_activation
from impls.initializers import zeros


class Forward(NamedTuple):
    """Every layer's pre-activations ``h_1..h_L`` and activations ``a_0..a_L``."""

    pre: list[np.ndarray]
    post: list[np.ndarray]


class Backward(NamedTuple):
    """Gradients of the loss: by parameter name (``"W1"``, ``"b1"``, ...) and by ``h_l``."""

    params: dict[str, np.ndarray]
    pre: list[np.ndarray]


def depth(params: dict[str, np.ndarray]) -> int:
    """Number of layers ``L`` of a parameter dict, after checking that it is a network.

    Raises:
        TypeError: ``params`` is not a dict of floating ndarrays.
        ValueError: keys other than ``W1, b1, ..., WL, bL``, or shapes that do not chain
            (``W_l`` 2-D ``(n_l, n_{l-1})``, ``b_l`` ``(n_l,)``).
    """
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays, got {type(params).__name__}")
    layers = 0
    while f"W{layers + 1}" in params:
        layers += 1
    expected = {f"{kind}{i}" for i in range(1, layers + 1) for kind in "Wb"}
    if layers == 0 or set(params) != expected:
        missing, extra = sorted(expected - set(params)), sorted(map(str, set(params) - expected))
        raise ValueError(f"params must hold W1, b1, ..., WL, bL; missing {missing}, unexpected {extra}")
    for key, value in params.items():
        if not isinstance(value, np.ndarray) or value.dtype not in FLOAT_DTYPES:
            kind = value.dtype if isinstance(value, np.ndarray) else type(value).__name__
            raise TypeError(f"params[{key!r}] must be a floating ndarray, got {kind}")
    width = params["W1"].shape[1] if params["W1"].ndim == 2 else -1
    for layer in range(1, layers + 1):
        weight, bias = params[f"W{layer}"], params[f"b{layer}"]
        if weight.ndim != 2 or weight.shape[1] != width or bias.shape != weight.shape[:1]:
            raise ValueError(
                f"params: W{layer} {weight.shape} and b{layer} {bias.shape} do not continue a layer "
                f"of width {width}"
            )
        width = weight.shape[0]
    return layers


def _quiet() -> np.errstate:
    """Overflow and invalid operations without NumPy's warnings: :func:`_finite` judges them."""
    return np.errstate(over="ignore", invalid="ignore")


def _finite(result: np.ndarray, what: str, *operands: np.ndarray) -> np.ndarray:
    """``result``, or a ``ValueError`` if it is not finite although its ``operands`` are.

    Non-finite operands (a NaN input, say) propagate as they are; only an overflow that the
    operands did not already carry is an error, so no ``inf`` or NaN appears silently.
    """
    if not np.all(np.isfinite(result)) and all(np.all(np.isfinite(x)) for x in operands):
        raise ValueError(f"{what} overflow {result.dtype}: x or params too large")
    return result


def _widths(widths: Any) -> list[int]:
    """``widths`` as a list of at least two positive ints (Python or NumPy ints, not floats)."""
    if (
        isinstance(widths, str | bytes)
        or not isinstance(widths, Sequence | np.ndarray)
        or (isinstance(widths, np.ndarray) and widths.ndim != 1)
    ):
        raise TypeError(f"widths must be a sequence of ints, got {type(widths).__name__}: {widths!r}")
    sizes = [as_count(w, "widths", minimum=1) for w in widths]
    if len(sizes) < 2:
        raise ValueError(f"widths must hold at least two positive ints, got {list(widths)}")
    return sizes


def _initialize(
    init: Initializer,
    name: str,
    shape: tuple[int, int] | tuple[int],
    rng: np.random.Generator,
    dtype: np.dtype,
) -> np.ndarray:
    """Call an initializer and check that it kept its contract: an array of ``shape``, ``dtype``."""
    try:
        value = init(shape, rng=rng, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{name} failed for shape {shape}: {error}") from error
    if not isinstance(value, np.ndarray) or value.dtype != dtype:
        kind = value.dtype if isinstance(value, np.ndarray) else type(value).__name__
        raise TypeError(f"{name} must return a {dtype} ndarray, got {kind}")
    if value.shape != shape:
        raise ValueError(f"{name} returned shape {value.shape} for shape {shape}")
    return value


def init_mlp(
    widths: Sequence[int],
    weight_init: Initializer,
    bias_init: Initializer | None = None,
    *,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> dict[str, np.ndarray]:
    """Create the parameters of a network with the given layer widths.

    Args:
        widths: ``(n_0, n_1, ..., n_L)``: the input width, then each layer's width (ints >= 1).
        weight_init: an :class:`impls.Initializer`, called as
            ``weight_init((n_l, n_{l-1}), rng=..., dtype=...)`` for each layer (any initializer
            of :mod:`impls.initializers`, or a ``functools.partial`` of one).
        bias_init: called likewise with shape ``(n_l,)`` for the biases; zeros if None.
        rng: Generator, seed or None; shared by all layers in order.
        dtype: a floating dtype of the policy.

    Returns:
        ``{"W1": (n_1, n_0), "b1": (n_1,), ...}``.

    Raises:
        TypeError: ``widths`` not a sequence of ints, an initializer not callable, or one that
            returns something other than an ndarray of ``dtype``.
        ValueError: fewer than two widths, a width < 1, or an initializer that returns the
            wrong shape.
    """
    sizes = _widths(widths)
    for name, init in (("weight_init", weight_init), ("bias_init", bias_init or zeros)):
        if not callable(init):
            raise TypeError(f"{name} must be an initializer (callable), got {type(init).__name__}")
    generator, dtype = as_rng(rng), as_float_dtype(dtype)
    params: dict[str, np.ndarray] = {}
    for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes), start=1):
        params[f"W{layer}"] = _initialize(weight_init, "weight_init", (fan_out, fan_in), generator, dtype)
        params[f"b{layer}"] = _initialize(bias_init or zeros, "bias_init", (fan_out,), generator, dtype)
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
        weight, bias = params[f"W{layer}"], params[f"b{layer}"]
        with _quiet():
            h = a @ weight.T + bias
        _finite(h, f"layer {layer}'s pre-activations", a, weight, bias)
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
    if not isinstance(cache, Forward) or len(cache.pre) != layers or len(cache.post) != layers + 1:
        raise ValueError(f"cache must be the Forward of a {layers}-layer network (from forward(params, ...))")
    for layer in range(1, layers + 1):
        width = params[f"W{layer}"].shape[0]
        if cache.pre[layer - 1].shape[-1:] != (width,) or cache.post[layer].shape[-1:] != (width,):
            raise ValueError(f"cache does not match params: layer {layer} is not {width} wide in cache")
    grad = as_float_array(grad_output, "grad_output")
    if grad.shape != cache.post[-1].shape:
        raise ValueError(f"grad_output must have shape {cache.post[-1].shape}, got {grad.shape}")
    grads: dict[str, np.ndarray] = {}
    pre_grads: list[np.ndarray] = [np.empty(0)] * layers
    slope = last.derivative(cache.pre[-1])
    with _quiet():
        delta = _finite(grad * slope, f"layer {layers}'s gradients", grad, slope)
    for layer in range(layers, 0, -1):
        pre_grads[layer - 1] = delta
        below, what = cache.post[layer - 1], f"layer {layer}'s gradients"
        with _quiet():
            grads[f"W{layer}"] = _finite(delta.T @ below, what, delta, below)
            grads[f"b{layer}"] = _finite(delta.sum(axis=0), what, delta)
        if layer > 1:
            weight, slope = params[f"W{layer}"], hidden.derivative(cache.pre[layer - 2])
            with _quiet():
                delta = _finite((delta @ weight) * slope, what, delta, weight, slope)
    return Backward({key: grads[key] for key in params}, pre_grads)


def input_gradient(params: dict[str, np.ndarray], backward_pass: Backward) -> np.ndarray:
    """``dLoss/da_0``, the gradient that reaches the input: ``delta_1 W_1``.

    Args:
        params: the parameters of the backward pass.
        backward_pass: from :func:`backward`.

    Returns:
        ``(batch, n_0)`` array.
    """
    depth(params)
    if not isinstance(backward_pass, Backward) or not backward_pass.pre:
        raise ValueError("backward_pass must be the Backward of params (from backward(params, ...))")
    delta = backward_pass.pre[0]
    if delta.ndim != 2 or delta.shape[1] != params["W1"].shape[0]:
        raise ValueError(f"backward_pass does not match params: dLoss/dh_1 has shape {delta.shape}")
    with _quiet():
        return _finite(delta @ params["W1"], "the input gradients", delta, params["W1"])


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
        weight = params[f"W{layer}"]
        with _quiet():
            result = _finite(slope[:, None] * (weight @ result), "the Jacobian", slope, weight, result)
    return result
