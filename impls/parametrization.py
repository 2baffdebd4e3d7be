"""Standard, NTK and maximal-update (μP) parametrizations of a bias-free MLP, exactly differentiated.

An abc-parametrization (Yang & Hu 2021) stores each layer's weight ``w_l`` and uses the effective
weight ``W_l = m_l w_l`` in the forward pass: ``w_l`` is drawn with i.i.d. ``N(0, s_l^2)`` entries,
``m_l`` is a fixed forward multiplier, and the optimizer updates ``w_l`` with the learning rate
``lr * c_l``. The layers of ``widths = (d_in, n_1, ..., n_{L-1}, d_out)`` have three roles: the
input layer (fan_in ``d_in``), hidden layers and the output layer (the readout). With ``g`` the
``gain`` of the input and hidden layers (``sqrt(2)`` for ReLU):

============  =====================  ====================  ==================  ==================
layer         init std ``s``         multiplier ``m``      SGD lr ``c``        Adam lr ``c``
============  =====================  ====================  ==================  ==================
SP  input     ``g / sqrt(fan_in)``   1                     1                   1
SP  hidden    ``g / sqrt(fan_in)``   1                     1                   1
SP  output    ``1 / sqrt(fan_in)``   1                     1                   1
NTK input     1                      ``g / sqrt(fan_in)``  1                   1
NTK hidden    1                      ``g / sqrt(fan_in)``  1                   1
NTK output    1                      ``1 / sqrt(fan_in)``  1                   1
μP  input     ``g / sqrt(fan_in)``   1                     ``fan_out``         1
μP  hidden    ``g / sqrt(fan_in)``   1                     1                   ``1 / fan_in``
μP  output    ``1 / fan_in``         1                     ``1 / fan_in``      ``1 / fan_in``
============  =====================  ====================  ==================  ==================

SP is PyTorch's usual MLP (``kaiming_normal``-like weights, one global learning rate); NTK is
Jacot et al.'s parametrization, which computes the same function as SP at initialization; μP is
Table 3 of Yang et al. (2022), with its fans taken literally (no base width: the learning-rate
multipliers are relative to a width-1 network). The NTK rows for Adam use the one global rate:
Jacot et al. train with gradient descent and prescribe no Adam scaling.

Parameters are a dict ``{"W1", ..., "WL"}`` of stored weights in PyTorch's ``(out, in)`` layout.
The forward pass applies the activation to every layer but the last (a linear readout).

References: Yang & Hu (2021), "Feature learning in infinite-width neural networks", ICML,
arXiv:2011.14522, Sec. 3 and Table 1 (abc-parametrizations); Yang et al. (2022), "Tensor
Programs V", arXiv:2203.03466, Table 3 (μP in fans; Table 8, the ``mup`` package's form, moves
the readout's scale into a ``1/fan_in`` multiplier: the same updates, a smaller initial readout);
Jacot, Gabriel & Hongler (2018), arXiv:1806.07572, Sec. 2 (NTK parametrization).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from impls._types import DTypeLike, RngLike
from impls._validation import as_choice, as_count, as_float_array, as_float_dtype, as_real, as_rng
from impls.activations import get_activation
from impls.network import Backward, Forward, _finite, _quiet
from impls.optimizers import Optimizer, adam, sgd

PARAMETRIZATIONS = ("sp", "ntk", "mup")
"""The parametrizations: standard, neural tangent kernel, maximal update (μP)."""
PARAMETRIZED_OPTIMIZERS = ("sgd", "adam")
"""The optimizers whose per-layer learning rates the parametrizations prescribe."""
_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class LayerScaling(NamedTuple):
    """One layer's scalings: its role, init std, forward multiplier and learning-rate multipliers."""

    role: str
    init_std: float
    multiplier: float
    lr_sgd: float
    lr_adam: float


def _widths(widths: Any) -> list[int]:
    if (
        isinstance(widths, str | bytes)
        or not isinstance(widths, Sequence | np.ndarray)
        or (isinstance(widths, np.ndarray) and widths.ndim != 1)
    ):
        raise TypeError(f"widths must be a sequence of ints, got {type(widths).__name__}: {widths!r}")
    sizes = [as_count(w, "widths", minimum=1) for w in widths]
    if len(sizes) < 3:
        raise ValueError(f"widths must hold at least three widths (input, hidden, output), got {sizes}")
    return sizes


def _gain(gain: Any) -> float:
    value = as_real(gain, "gain")
    if value <= 0:
        raise ValueError(f"gain must be > 0, got {value}")
    return value


def layer_scalings(widths: Sequence[int], parametrization: str, gain: float = 1.0) -> list[LayerScaling]:
    """Each layer's init std, forward multiplier and learning-rate multipliers (the module's table).

    Formula: the effective weight is ``W_l = m_l w_l`` with ``w_l ~ N(0, s_l^2)`` i.i.d. and the
    update of ``w_l`` uses ``lr * c_l``; ``s, m, c`` by role as in the module's table.

    Args:
        widths: ``(d_in, n_1, ..., d_out)``, at least three positive ints.
        parametrization: ``"sp"``, ``"ntk"`` or ``"mup"``.
        gain: ``g > 0``, the gain of the input and hidden layers (``sqrt(2)`` for ReLU).

    Returns:
        One :class:`LayerScaling` per layer, input layer first.

    References:
        Yang et al. (2022), arXiv:2203.03466, Table 3; Yang & Hu (2021), arXiv:2011.14522, Sec. 3.
    """
    sizes, g = _widths(widths), _gain(gain)
    kind = as_choice(parametrization, "parametrization", PARAMETRIZATIONS)
    layers = len(sizes) - 1
    scalings = []
    for layer in range(1, layers + 1):
        fan_in, fan_out = sizes[layer - 1], sizes[layer]
        role = "input" if layer == 1 else "output" if layer == layers else "hidden"
        scale = 1.0 if role == "output" else g
        std, multiplier, lr_sgd, lr_adam = scale / math.sqrt(fan_in), 1.0, 1.0, 1.0
        if kind == "ntk":
            std, multiplier = 1.0, scale / math.sqrt(fan_in)
        elif kind == "mup":
            if role == "input":
                lr_sgd = float(fan_out)
            elif role == "hidden":
                lr_adam = 1.0 / fan_in
            else:
                std = lr_sgd = lr_adam = 1.0 / fan_in
        scalings.append(LayerScaling(role, std, multiplier, lr_sgd, lr_adam))
    return scalings


def _network(params: Any) -> list[int]:
    """The widths of a parameter dict ``{"W1", ..., "WL"}`` whose shapes chain, ``L >= 2``."""
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of arrays, got {type(params).__name__}")
    layers = 0
    while f"W{layers + 1}" in params:
        layers += 1
    if layers < 2 or set(params) != {f"W{i}" for i in range(1, layers + 1)}:
        raise ValueError(f"params must hold exactly W1, ..., WL with L >= 2, got {sorted(map(str, params))}")
    widths: list[int] = []
    for layer in range(1, layers + 1):
        weight = params[f"W{layer}"]
        if not isinstance(weight, np.ndarray) or weight.dtype not in _DTYPES:
            kind = weight.dtype if isinstance(weight, np.ndarray) else type(weight).__name__
            raise TypeError(f"params['W{layer}'] must be a float32 or float64 ndarray, got {kind}")
        if weight.ndim != 2:
            raise ValueError(f"params['W{layer}'] must be 2-D (out, in), got shape {weight.shape}")
        if widths and weight.shape[1] != widths[-1]:
            raise ValueError(
                f"params: W{layer} {weight.shape} does not continue a layer of width {widths[-1]}"
            )
        if not widths:
            widths.append(weight.shape[1])
        widths.append(weight.shape[0])
    return widths


def init_parametrized_mlp(
    widths: Sequence[int],
    parametrization: str,
    *,
    gain: float = 1.0,
    rng: RngLike = None,
    dtype: DTypeLike = np.float64,
) -> dict[str, np.ndarray]:
    """The stored weights of a bias-free MLP in a parametrization: ``w_l = s_l z_l``, ``z_l ~ N(0, 1)``.

    The standard normal draws ``z_l`` are taken in float64, in layer order, from ``rng`` (and
    rounded once to ``dtype``), so the same seed gives the same ``z`` in every parametrization and
    dtype: SP and NTK then compute the same function.

    Args:
        widths: ``(d_in, n_1, ..., d_out)``.
        parametrization: ``"sp"``, ``"ntk"`` or ``"mup"``.
        gain: the gain of the input and hidden layers.
        rng: Generator, int seed or None.
        dtype: the weights' dtype, float32 or float64 (float16 and bfloat16 are refused).

    Returns:
        ``{"W1": (n_1, d_in), ..., "WL": (d_out, n_{L-1})}``.

    References:
        Yang et al. (2022), arXiv:2203.03466, Table 3 (init. var.).
    """
    scalings = layer_scalings(widths, parametrization, gain)
    sizes, generator, kind = _widths(widths), as_rng(rng), as_float_dtype(dtype)
    if kind not in _DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {kind}")
    params = {}
    for layer, scaling in enumerate(scalings, start=1):
        draw = generator.standard_normal((sizes[layer], sizes[layer - 1]))
        params[f"W{layer}"] = (scaling.init_std * draw).astype(kind)
    return params


def _multipliers(params: Any, parametrization: str, gain: float) -> list[float]:
    return [s.multiplier for s in layer_scalings(_network(params), parametrization, gain)]


def parametrized_forward(
    params: dict[str, np.ndarray],
    x: Any,
    parametrization: str,
    *,
    gain: float = 1.0,
    activation: str = "relu",
) -> Forward:
    """Run the parametrized MLP on a batch, keeping every intermediate value.

    Formula: ``h_l = m_l a_{l-1} w_l^T``, ``a_l = phi(h_l)`` for ``l < L``, ``a_L = h_L``.

    Args:
        params: stored weights from :func:`init_parametrized_mlp`.
        x: input batch ``(batch, d_in)``.
        parametrization: the parametrization the weights are in.
        gain: the gain they were drawn with (NTK's multipliers carry it).
        activation: the hidden activation (a name in ``impls.ACTIVATIONS``).

    Returns:
        :class:`impls.Forward` with ``pre = [h_1..h_L]``, ``post = [a_0..a_L]`` (``a_L = h_L``).
    """
    multipliers, phi = _multipliers(params, parametrization, gain), get_activation(activation)
    a = as_float_array(x, "x")
    if a.ndim != 2 or a.shape[1] != params["W1"].shape[1]:
        raise ValueError(f"x must have shape (batch, {params['W1'].shape[1]}), got {a.shape}")
    pre, post = [], [a]
    for layer, multiplier in enumerate(multipliers, start=1):
        weight = params[f"W{layer}"]
        with _quiet():
            h = multiplier * (a @ weight.T)
        _finite(h, f"layer {layer}'s pre-activations", a, weight)
        a = h if layer == len(multipliers) else phi(h)
        pre.append(h)
        post.append(a)
    return Forward(pre, post)


def parametrized_backward(
    params: dict[str, np.ndarray],
    cache: Forward,
    grad_output: Any,
    parametrization: str,
    *,
    gain: float = 1.0,
    activation: str = "relu",
) -> Backward:
    """Exact gradients with respect to the stored weights, given ``dLoss/dh_L``.

    Formula: ``delta_L = g``; ``delta_l = m_{l+1} (delta_{l+1} w_{l+1}) * phi'(h_l)``;
    ``dLoss/dw_l = m_l delta_l^T a_{l-1}``.

    Args:
        params: the stored weights used for ``cache``.
        cache: :func:`parametrized_forward`'s result on the same batch.
        grad_output: ``dLoss/dh_L``, shaped like the output ``(batch, d_out)``.
        parametrization: as passed to :func:`parametrized_forward`.
        gain: as passed to :func:`parametrized_forward`.
        activation: as passed to :func:`parametrized_forward`.

    Returns:
        :class:`impls.Backward`: gradients by weight name and ``dLoss/dh_l`` for every layer.
    """
    multipliers, act = _multipliers(params, parametrization, gain), get_activation(activation)
    layers = len(multipliers)
    if not isinstance(cache, Forward) or len(cache.pre) != layers or len(cache.post) != layers + 1:
        raise ValueError(f"cache must be the Forward of this {layers}-layer network (parametrized_forward)")
    delta = as_float_array(grad_output, "grad_output")
    if delta.shape != cache.pre[-1].shape:
        raise ValueError(f"grad_output must have shape {cache.pre[-1].shape}, got {delta.shape}")
    grads: dict[str, np.ndarray] = {}
    pre_grads: list[np.ndarray] = [delta] * layers
    for layer in range(layers, 0, -1):
        pre_grads[layer - 1] = delta
        below, weight, what = cache.post[layer - 1], params[f"W{layer}"], f"layer {layer}'s gradients"
        with _quiet():
            grads[f"W{layer}"] = _finite(multipliers[layer - 1] * (delta.T @ below), what, delta, below)
        if layer > 1:
            slope = act.derivative(cache.pre[layer - 2])
            with _quiet():
                delta = _finite(multipliers[layer - 1] * (delta @ weight) * slope, what, delta, weight, slope)
    return Backward({f"W{layer}": grads[f"W{layer}"] for layer in range(1, layers + 1)}, pre_grads)


def layer_learning_rates(
    widths: Sequence[int], parametrization: str, optimizer: str, lr: float
) -> dict[str, float]:
    """Each weight's learning rate: ``lr`` times its multiplier for ``optimizer``.

    Args:
        widths: ``(d_in, n_1, ..., d_out)``.
        parametrization: ``"sp"``, ``"ntk"`` or ``"mup"``.
        optimizer: ``"sgd"`` or ``"adam"``.
        lr: the base learning rate ``eta >= 0``.

    Returns:
        ``{"W1": lr c_1, ..., "WL": lr c_L}``.

    References:
        Yang et al. (2022), arXiv:2203.03466, Table 3 (SGD LR, Adam LR rows).
    """
    kind = as_choice(optimizer, "optimizer", PARAMETRIZED_OPTIMIZERS)
    rate = as_real(lr, "lr")
    if rate < 0:
        raise ValueError(f"lr must be >= 0, got {rate}")
    return {
        f"W{layer}": rate * (s.lr_sgd if kind == "sgd" else s.lr_adam)
        for layer, s in enumerate(layer_scalings(widths, parametrization), start=1)
    }


def parametrized_optimizer(
    widths: Sequence[int], parametrization: str, optimizer: str, lr: float, **options: Any
) -> Optimizer:
    """One optimizer over ``{"W1", ..., "WL"}`` whose every weight has its own learning rate.

    Each weight is updated by :func:`impls.sgd` or :func:`impls.adam` with the rate of
    :func:`layer_learning_rates` and the other ``options`` (momentum, betas, eps, ...).

    Args:
        widths: ``(d_in, n_1, ..., d_out)``.
        parametrization: ``"sp"``, ``"ntk"`` or ``"mup"``.
        optimizer: ``"sgd"`` or ``"adam"``.
        lr: the base learning rate.
        **options: passed to every per-weight optimizer.

    Returns:
        An :class:`impls.Optimizer` over the weight dict.
    """
    rates = layer_learning_rates(widths, parametrization, optimizer, lr)
    make = sgd if optimizer == "sgd" else adam
    parts = {name: make(rate, **options) for name, rate in rates.items()}

    def init(params: Mapping[str, np.ndarray]) -> dict[str, Any]:
        if set(params) != set(parts):
            raise ValueError(f"params must hold exactly {sorted(parts)}, got {sorted(map(str, params))}")
        return {name: part.init(params[name]) for name, part in parts.items()}

    def step(
        params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray], state: Mapping[str, Any]
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        for argument, value in (("params", params), ("grads", grads), ("state", state)):
            if not isinstance(value, Mapping) or set(value) != set(parts):
                raise ValueError(f"{argument} must hold exactly {sorted(parts)}")
        new_params, new_state = {}, {}
        for name, part in parts.items():
            new_params[name], new_state[name] = part.step(params[name], grads[name], state[name])
        return new_params, new_state

    return Optimizer(init, step)
