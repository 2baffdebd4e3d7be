"""Reference optimizers with ``torch.optim`` semantics, as pure ``(init, step)`` pairs.

``opt = adam(lr=1e-3)``; ``state = opt.init(params)``; ``params, state = opt.step(params, grads,
state)``. ``params`` and ``grads`` are an ndarray or a dict of ndarrays; nothing is mutated. The
arithmetic follows PyTorch's single-tensor (for-loop) code statement by statement, rounding
order included, so float64 trajectories equal PyTorch's to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from impls._validation import as_real
from impls.tree import Params, as_param_tree, tree_leaves, tree_map

__all__ = [
    "AdaGradState",
    "AdamState",
    "Optimizer",
    "RMSPropState",
    "SGDState",
    "adagrad",
    "adam",
    "adamw",
    "clip_grad_norm",
    "clip_grad_value",
    "rmsprop",
    "sgd",
]


class Optimizer(NamedTuple):
    """A pure optimizer: ``init(params) -> state``, ``step(params, grads, state)``."""

    init: Callable[[Params], Any]
    step: Callable[[Params, Params, Any], tuple[Params, Any]]


class SGDState(NamedTuple):
    """SGD's state: the step count and the momentum buffer (unused while ``step == 0``)."""

    step: int
    momentum_buffer: Params


class AdaGradState(NamedTuple):
    """AdaGrad's state: the step count and the running sum of squared gradients."""

    step: int
    sum: Params


class RMSPropState(NamedTuple):
    """RMSProp's state: squared-gradient average, gradient average (centered), momentum."""

    step: int
    square_avg: Params
    grad_avg: Params
    momentum_buffer: Params


class AdamState(NamedTuple):
    """Adam's state: step count, first and second moments, and AMSGrad's running max."""

    step: int
    exp_avg: Params
    exp_avg_sq: Params
    max_exp_avg_sq: Params


def _non_negative(value: Any, message: str) -> float:
    number = as_real(value, message.split(":")[0].replace("Invalid ", "").strip())
    if not number >= 0.0:
        raise ValueError(f"{message}: {value}")
    return number


def _zeros_like(params: Params) -> Params:
    return tree_map(np.zeros_like, as_param_tree(params, "params"))


def _check_step_inputs(params: Params, grads: Params) -> None:
    as_param_tree(params, "params")
    as_param_tree(grads, "grads")

    def same_shape(p: np.ndarray, g: np.ndarray) -> None:
        if p.shape != g.shape:
            raise ValueError(f"grads must match params' shapes, got {g.shape} for {p.shape}")

    tree_map(same_shape, params, grads, name="params")


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``torch.lerp``: ``start + w (end - start)`` for ``w < 0.5``, else ``end - (end - start)(1 - w)``."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def _unzip(tree: Any, fields: int) -> tuple[Any, ...]:
    """Split a tree whose leaves are ``fields``-tuples into ``fields`` trees."""
    return tuple(tree_map(lambda leaf, i=i: leaf[i], tree) for i in range(fields))


# --------------------------------------------------------------------------------------------
# SGD
# --------------------------------------------------------------------------------------------


def sgd(
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
) -> Optimizer:
    """Stochastic gradient descent with optional (Nesterov) momentum, as ``torch.optim.SGD``.

    Formula: ``g <- g + wd p``; ``b_1 = g``, ``b_t = mu b_{t-1} + (1 - dampening) g`` (the first
    step is never dampened); ``g <- g + mu b_t`` (Nesterov) or ``g <- b_t``; ``p <- p - lr g``.
    With ``mu = 0`` this is plain gradient descent, bit for bit.

    Args:
        lr: learning rate, ``>= 0``.
        momentum: ``mu >= 0``.
        dampening: dampening of the gradient in the buffer.
        nesterov: use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
        weight_decay: L2 penalty added to the gradient, ``>= 0``.

    Returns:
        An :class:`Optimizer`.

    References:
        ``torch/optim/sgd.py::_single_tensor_sgd``; Sutskever et al. (2013), "On the importance
        of initialization and momentum in deep learning"; seed 001 (momentum, ``v := mu v + g``).
    """
    lr = _non_negative(lr, "Invalid learning rate")
    momentum = _non_negative(momentum, "Invalid momentum value")
    weight_decay = _non_negative(weight_decay, "Invalid weight_decay value")
    dampening = as_real(dampening, "dampening")
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def init(params: Params) -> SGDState:
        return SGDState(0, _zeros_like(params))

    def leaf(p: np.ndarray, g: np.ndarray, buf: np.ndarray, first: bool) -> tuple[Any, ...]:
        if weight_decay != 0:
            g = g + weight_decay * p
        if momentum != 0:
            buf = g.copy() if first else buf * momentum + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        return p + (-lr) * g, buf

    def step(params: Params, grads: Params, state: SGDState) -> tuple[Params, SGDState]:
        _check_step_inputs(params, grads)
        out = tree_map(lambda p, g, b: leaf(p, g, b, state.step == 0), params, grads, state.momentum_buffer)
        new_params, buffer = _unzip(out, 2)
        return new_params, SGDState(state.step + 1, buffer)

    return Optimizer(init, step)


# --------------------------------------------------------------------------------------------
# AdaGrad
# --------------------------------------------------------------------------------------------


def adagrad(
    lr: float = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
) -> Optimizer:
    """AdaGrad, as ``torch.optim.Adagrad``.

    Formula: ``g <- g + wd p``; ``clr = lr / (1 + (t - 1) lr_decay)``; ``s <- s + g^2`` (``s_0 =
    initial_accumulator_value``); ``p <- p - clr g / (sqrt(s) + eps)``. The effective rate
    ``clr / (sqrt(s) + eps)`` never increases; for a constant gradient the step is
    ``lr / sqrt(t)`` (eps -> 0).

    Args:
        lr: learning rate, ``>= 0``.
        lr_decay: learning-rate decay, ``>= 0``.
        weight_decay: L2 penalty, ``>= 0``.
        initial_accumulator_value: starting value of ``s``, ``>= 0``.
        eps: added to ``sqrt(s)`` (outside the root, as Duchi et al.), ``>= 0``.

    Returns:
        An :class:`Optimizer`.

    References:
        Duchi, Hazan & Singer (2011), JMLR 12, Sec. 3; ``torch/optim/adagrad.py``; seed 001.
    """
    lr = _non_negative(lr, "Invalid learning rate")
    lr_decay = _non_negative(lr_decay, "Invalid lr_decay value")
    weight_decay = _non_negative(weight_decay, "Invalid weight_decay value")
    initial = _non_negative(initial_accumulator_value, "Invalid initial_accumulator_value value")
    eps = _non_negative(eps, "Invalid epsilon value")

    def init(params: Params) -> AdaGradState:
        as_param_tree(params, "params")
        return AdaGradState(0, tree_map(lambda p: np.full_like(p, initial), params))

    def step(params: Params, grads: Params, state: AdaGradState) -> tuple[Params, AdaGradState]:
        _check_step_inputs(params, grads)
        t = state.step + 1
        clr = lr / (1 + (t - 1) * lr_decay)

        def leaf(p: np.ndarray, g: np.ndarray, s: np.ndarray) -> tuple[Any, ...]:
            if weight_decay != 0:
                g = g + weight_decay * p
            s = s + g * g
            std = np.sqrt(s) + eps
            return p + (-clr) * (g / std), s

        new_params, sums = _unzip(tree_map(leaf, params, grads, state.sum), 2)
        return new_params, AdaGradState(t, sums)

    return Optimizer(init, step)


# --------------------------------------------------------------------------------------------
# RMSProp
# --------------------------------------------------------------------------------------------


def rmsprop(
    lr: float = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
) -> Optimizer:
    """RMSProp, as ``torch.optim.RMSprop`` (eps outside the square root, no bias correction).

    Formula: ``v <- alpha v + (1 - alpha) g^2``; centered: ``m <- lerp(m, g, 1 - alpha)``,
    ``v~ = v - m^2``; ``d = sqrt(v~) + eps``; momentum: ``b <- mu b + g / d``, ``p <- p - lr b``;
    else ``p <- p - lr g / d``. For a constant gradient the first step is
    ``lr g / (sqrt(1 - alpha) |g| + eps)`` (~10 lr at alpha = 0.99).

    Args:
        lr: learning rate, ``>= 0``.
        alpha: smoothing constant, ``>= 0`` (PyTorch does not check ``<= 1``).
        eps: added to the root, ``>= 0`` (TensorFlow/Keras add it *inside* the root).
        weight_decay: L2 penalty, ``>= 0``.
        momentum: ``>= 0``.
        centered: normalise by the estimated variance instead of the second moment.

    Returns:
        An :class:`Optimizer`.

    References:
        Hinton, Coursera "Neural Networks for Machine Learning", lecture 6e; Graves (2013),
        arXiv:1308.0850 (centered); ``torch/optim/rmsprop.py``; seed 001.
    """
    lr = _non_negative(lr, "Invalid learning rate")
    eps = _non_negative(eps, "Invalid epsilon value")
    momentum = _non_negative(momentum, "Invalid momentum value")
    weight_decay = _non_negative(weight_decay, "Invalid weight_decay value")
    alpha = _non_negative(alpha, "Invalid alpha value")

    def init(params: Params) -> RMSPropState:
        zeros = _zeros_like(params)
        return RMSPropState(0, zeros, zeros, zeros)

    def leaf(p: Any, g: Any, v: Any, m: Any, b: Any) -> tuple[Any, ...]:
        if weight_decay != 0:
            g = g + weight_decay * p
        v = v * alpha + (1 - alpha) * (g * g)
        if centered:
            m = _lerp(m, g, 1 - alpha)
            avg = np.sqrt(v + (-1) * (m * m))
        else:
            avg = np.sqrt(v)
        avg = avg + eps
        if momentum > 0:
            b = b * momentum + g / avg
            return p + (-lr) * b, v, m, b
        return p + (-lr) * (g / avg), v, m, b

    def step(params: Params, grads: Params, state: RMSPropState) -> tuple[Params, RMSPropState]:
        _check_step_inputs(params, grads)
        out = tree_map(leaf, params, grads, state.square_avg, state.grad_avg, state.momentum_buffer)
        new_params, v, m, b = _unzip(out, 4)
        return new_params, RMSPropState(state.step + 1, v, m, b)

    return Optimizer(init, step)


# --------------------------------------------------------------------------------------------
# Adam and AdamW
# --------------------------------------------------------------------------------------------


def _check_betas(betas: Any) -> tuple[float, float]:
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise TypeError(f"betas must be a pair of floats, got {betas!r}")
    beta1, beta2 = (as_real(b, f"betas[{i}]") for i, b in enumerate(betas))
    if not 0.0 <= beta1 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= beta2 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    return beta1, beta2


def _adam(
    lr: Any,
    betas: Any,
    eps: Any,
    weight_decay: Any,
    amsgrad: bool,
    bias_correction: bool,
    decoupled: bool,
) -> Optimizer:
    lr = _non_negative(lr, "Invalid learning rate")
    eps = _non_negative(eps, "Invalid epsilon value")
    beta1, beta2 = _check_betas(betas)
    weight_decay = _non_negative(weight_decay, "Invalid weight_decay value")

    def init(params: Params) -> AdamState:
        zeros = _zeros_like(params)
        return AdamState(0, zeros, zeros, zeros)

    def step(params: Params, grads: Params, state: AdamState) -> tuple[Params, AdamState]:
        _check_step_inputs(params, grads)
        t = state.step + 1
        # The corrections are scalars computed in float64, as PyTorch computes them on the
        # Python side, before they meet the (possibly float32) moments.
        bias_correction1 = 1 - beta1**t if bias_correction else 1.0
        bias_correction2 = 1 - beta2**t if bias_correction else 1.0
        step_size = lr / bias_correction1
        bias_correction2_sqrt = math.sqrt(bias_correction2)

        def leaf(p: Any, g: Any, m: Any, v: Any, v_max: Any) -> tuple[Any, ...]:
            if weight_decay != 0:
                if decoupled:
                    p = p * (1 - lr * weight_decay)
                else:
                    g = g + weight_decay * p
            m = _lerp(m, g, 1 - beta1)
            v = v * beta2 + (1 - beta2) * (g * g)
            if amsgrad:
                v_max = np.maximum(v_max, v)
                denom = np.sqrt(v_max) / bias_correction2_sqrt + eps
            else:
                denom = np.sqrt(v) / bias_correction2_sqrt + eps
            return p + (-step_size) * (m / denom), m, v, v_max

        out = tree_map(leaf, params, grads, state.exp_avg, state.exp_avg_sq, state.max_exp_avg_sq)
        new_params, m, v, v_max = _unzip(out, 4)
        return new_params, AdamState(t, m, v, v_max)

    return Optimizer(init, step)


def adam(
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    bias_correction: bool = True,
) -> Optimizer:
    """Adam, as ``torch.optim.Adam`` (Algorithm 1 of Kingma & Ba: eps outside the root).

    Formula: ``m <- b1 m + (1 - b1) g``; ``v <- b2 v + (1 - b2) g^2``;
    ``p <- p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)``. AMSGrad keeps the
    running max of the *raw* ``v`` and bias-corrects after the max (Optax corrects before).
    ``bias_correction=False`` (not in PyTorch) drops both corrections: the first step is then
    ``lr (1 - b1) g / (sqrt(1 - b2) |g| + eps)``, about 3.16 lr at the defaults.

    Args:
        lr: learning rate, ``>= 0``.
        betas: ``(b1, b2)``, each in [0, 1).
        eps: added to the corrected root, ``>= 0``.
        weight_decay: coupled L2 penalty added to the gradient, ``>= 0``.
        amsgrad: use the AMSGrad variant.
        bias_correction: divide the moments by ``1 - b^t`` (Kingma & Ba, Sec. 3).

    Returns:
        An :class:`Optimizer`.

    References:
        Kingma & Ba (2015), arXiv:1412.6980, Algorithm 1, Sec. 2.1 and 3; Reddi, Kale & Kumar
        (2018) (AMSGrad); ``torch/optim/adam.py::_single_tensor_adam``; seed 001.
    """
    return _adam(lr, betas, eps, weight_decay, amsgrad, bias_correction, decoupled=False)


def adamw(
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
) -> Optimizer:
    """AdamW, as ``torch.optim.AdamW``: Adam with decoupled weight decay.

    Formula: ``p <- p (1 - lr wd)`` first, then the Adam step on the undecayed gradient.
    (PyTorch multiplies the decay by ``lr``, as Optax does; Loshchilov & Hutter multiply it by
    the schedule multiplier only. Default ``wd``: PyTorch 1e-2, Optax 1e-4, Keras 4e-3.)

    Args:
        lr: learning rate, ``>= 0``.
        betas: ``(b1, b2)``, each in [0, 1).
        eps: added to the corrected root, ``>= 0``.
        weight_decay: decoupled decay rate, ``>= 0``.
        amsgrad: use the AMSGrad variant.

    Returns:
        An :class:`Optimizer`.

    References:
        Loshchilov & Hutter (2019), "Decoupled weight decay regularization", Algorithm 2;
        ``torch/optim/adamw.py``.
    """
    return _adam(lr, betas, eps, weight_decay, amsgrad, bias_correction=True, decoupled=True)


# --------------------------------------------------------------------------------------------
# Gradient clipping
# --------------------------------------------------------------------------------------------


def clip_grad_norm(grads: Params, max_norm: float, norm_type: float = 2.0) -> tuple[Params, float]:
    """Rescale gradients so their joint norm is at most ``max_norm`` (``clip_grad_norm_``).

    Formula: ``N = || (||g_1||, ..., ||g_k||) ||_p``; every gradient is multiplied by
    ``min(1, max_norm / (N + 1e-6))``: the direction is kept, the norm bounded.

    Args:
        grads: an ndarray or a dict of ndarrays.
        max_norm: the bound, ``>= 0``.
        norm_type: ``p`` of the norm, ``> 0`` or ``inf``.

    Returns:
        ``(clipped, total_norm)``; the input is not modified.

    References:
        ``torch.nn.utils.clip_grad_norm_``; Pascanu, Mikolov & Bengio (2013), "On the difficulty
        of training recurrent neural networks", Sec. 3.2; seed 001 (gradient clipping).
    """
    as_param_tree(grads, "grads")
    max_norm = _non_negative(max_norm, "Invalid max_norm value")
    norm_type = as_real(norm_type, "norm_type", finite=False)
    if not norm_type > 0:
        raise ValueError(f"norm_type must be > 0 or inf, got {norm_type}")
    leaves = tree_leaves(grads)
    if not leaves:
        return grads, 0.0
    if math.isinf(norm_type):
        norms = np.array([np.max(np.abs(g)) if g.size else 0.0 for g in leaves])
        total = float(np.max(norms))
    else:
        norms = np.array([np.sum(np.abs(g) ** norm_type) ** (1.0 / norm_type) for g in leaves])
        total = float(np.sum(norms**norm_type) ** (1.0 / norm_type))
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    return tree_map(lambda g: g * g.dtype.type(coefficient), grads), total


def clip_grad_value(grads: Params, clip_value: float) -> Params:
    """Clip every gradient element to ``[-clip_value, clip_value]`` (``clip_grad_value_``).

    Args:
        grads: an ndarray or a dict of ndarrays.
        clip_value: the bound, ``>= 0``.

    Returns:
        New clipped gradients.

    References:
        ``torch.nn.utils.clip_grad_value_``.
    """
    as_param_tree(grads, "grads")
    clip_value = _non_negative(clip_value, "Invalid clip_value value")
    return tree_map(lambda g: np.clip(g, -clip_value, clip_value), grads)
