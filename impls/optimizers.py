"""Reference optimizers with ``torch.optim`` semantics, as pure ``(init, step)`` pairs.

``opt = adam(lr=1e-3)``; ``state = opt.init(params)``; ``params, state = opt.step(params, grads,
state)``. ``params`` and ``grads`` are an ndarray or a dict of ndarrays; nothing is mutated; an
array in gives an array out (0-d included), in the params' dtype and shape. ``grads`` and every
state field must have the params' keys, shapes and dtype (PyTorch refuses a gradient of another
dtype); a mismatch is an error naming the field and the missing or extra keys. The arithmetic
follows PyTorch's single-tensor (for-loop) code statement by statement, in the params' dtype
(float16 and bfloat16: in float32, rounded once per step). It is not bit-identical to PyTorch:
PyTorch's CPU kernels (``addcmul_``, ``addcdiv_``, ``lerp_``) are vectorised and may fuse a
multiply and an add, rounding once where NumPy rounds twice. Measured against torch 2.13 in
float64 (``properties/selftest/test_pytorch_parity.py``), one step from the same state differs
from PyTorch's by at most 8.5 ulp of ``|p| + |p_new - p|`` (SGD with Nesterov momentum; 2-3
ulp for AdaGrad, RMSProp and Adam), and such differences do not grow beyond about 1e-14 over
30 steps of O(1) parameters.

Every optimizer takes ``maximize`` (ascend: the gradient is negated first, as PyTorch) and a
learning rate that is a number or a 0-d float array; an array is read at every step, so
changing it in place schedules the rate (as a tensor ``lr`` in PyTorch).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, overload

import numpy as np

from impls._checks_numeric import as_bool, as_non_negative, as_real, round_to
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


@dataclass(frozen=True)
class Optimizer:
    """A pure optimizer: ``init(params) -> state``, ``step(params, grads, state)``.

    ``step`` returns ``(new_params, new_state)``; an ndarray in gives an ndarray out and a
    mapping in gives a dict out (typed by overloads, no ``isinstance`` needed).
    """

    init: Callable[[Any], Any]
    step_function: Callable[[Any, Any, Any], tuple[Any, Any]]

    @overload
    def step(self, params: np.ndarray, grads: np.ndarray, state: Any) -> tuple[np.ndarray, Any]: ...

    @overload
    def step(
        self, params: Mapping[str, Any], grads: Mapping[str, Any], state: Any
    ) -> tuple[dict[str, Any], Any]: ...

    def step(self, params: Any, grads: Any, state: Any) -> tuple[Any, Any]:
        """One update: ``(new_params, new_state)``; the inputs are not modified."""
        return self.step_function(params, grads, state)


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


_LOW_PRECISION = ("float16", "bfloat16")


def _learning_rate(lr: Any) -> Callable[[], float]:
    """Check ``lr`` now and return a reader of its current value (a 0-d array may change)."""
    if isinstance(lr, np.ndarray):
        if lr.ndim != 0 or lr.dtype.kind != "f":
            raise TypeError(f"lr must be a number or a 0-d float array, got {lr.dtype} of shape {lr.shape}")
        as_non_negative(lr, "lr", "learning rate")
        return lambda: as_non_negative(lr, "lr", "learning rate")
    value = as_non_negative(lr, "lr", "learning rate")
    return lambda: value


def _zeros_like(params: Params) -> Params:
    return tree_map(np.zeros_like, as_param_tree(params, "params"))


def _check_step_inputs(
    params: Any, grads: Any, state: Any, state_type: type, fields: tuple[str, ...]
) -> None:
    """Check params, grads and every state field against the params (shape, dtype, keys)."""
    as_param_tree(params, "params")
    as_param_tree(grads, "grads")
    if not isinstance(state, state_type):
        raise TypeError(
            f"state must be the {state_type.__name__} that this optimizer's init returns, "
            f"got {type(state).__name__}"
        )
    step: Any = getattr(state, "step", None)
    if isinstance(step, bool) or not isinstance(step, int | np.integer) or step < 0:
        raise ValueError(f"state.step must be a non-negative int, got {step!r}")

    def same_as_params(label: str) -> Callable[..., None]:
        def check(p: np.ndarray, other: Any) -> None:
            if not isinstance(other, np.ndarray):
                raise TypeError(f"{label} must hold ndarrays like params, got {type(other).__name__}")
            if other.shape != p.shape:
                raise ValueError(f"{label} must match params' shapes, got {other.shape} for {p.shape}")
            if other.dtype != p.dtype:
                raise TypeError(f"{label} must have the params' dtype {p.dtype}, got {other.dtype}")

        return check

    tree_map(same_as_params("grads"), params, grads, name="params", names=["grads"])
    for field in fields:
        label = f"state.{field}"
        tree_map(same_as_params(label), params, getattr(state, field), name="params", names=[label])


def _leafwise(update: Callable[..., tuple[Any, ...]], params: Any, *trees: Any) -> tuple[Any, ...]:
    """Apply ``update`` to each leaf (in float32 for float16/bfloat16) and split the results.

    Every output is an ndarray in the params' dtype and shape: the result of arithmetic on 0-d
    arrays (a NumPy scalar) is made an array again, low precision is rounded once.
    """

    def leaf(p: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
        compute = np.float32 if p.dtype.name in _LOW_PRECISION else p.dtype
        with np.errstate(all="ignore"):
            outputs = update(*(np.asarray(a, dtype=compute) for a in (p, *others)))
            return tuple(np.asarray(out, dtype=compute).astype(p.dtype).reshape(p.shape) for out in outputs)

    out = tree_map(leaf, params, *trees)
    count = len(tree_leaves(out)[0])
    return tuple(tree_map(lambda leaf_out, i=i: leaf_out[i], out) for i in range(count))


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``torch.lerp``: ``start + w (end - start)`` for ``w < 0.5``, else ``end - (end - start)(1 - w)``."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


# --------------------------------------------------------------------------------------------
# SGD
# --------------------------------------------------------------------------------------------


def sgd(
    lr: float | np.ndarray,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
    maximize: bool = False,
) -> Optimizer:
    """Stochastic gradient descent with optional (Nesterov) momentum, as ``torch.optim.SGD``.

    Formula: ``g <- -g`` (maximize); ``g <- g + wd p``; ``b_1 = g``, ``b_t = mu b_{t-1} +
    (1 - dampening) g`` (the first step is never dampened); ``g <- g + mu b_t`` (Nesterov) or
    ``g <- b_t``; ``p <- p - lr g``. With ``mu = 0`` this is plain gradient descent.

    Args:
        lr: learning rate, ``>= 0`` (a number or a 0-d float array, read at every step).
        momentum: ``mu >= 0``.
        dampening: dampening of the gradient in the buffer.
        nesterov: use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
        weight_decay: L2 penalty added to the gradient, ``>= 0``.
        maximize: ascend the objective instead of descending it.

    Returns:
        An :class:`Optimizer`.

    References:
        ``torch/optim/sgd.py::_single_tensor_sgd``; Sutskever et al. (2013), "On the importance
        of initialization and momentum in deep learning"; seed 001 (momentum, ``v := mu v + g``).
    """
    rate = _learning_rate(lr)
    momentum = as_non_negative(momentum, "momentum", "momentum value")
    weight_decay = as_non_negative(weight_decay, "weight_decay", "weight_decay value")
    dampening = as_real(dampening, "dampening")
    nesterov, maximize = as_bool(nesterov, "nesterov"), as_bool(maximize, "maximize")
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def init(params: Params) -> SGDState:
        return SGDState(0, _zeros_like(params))

    def step(params: Params, grads: Params, state: SGDState) -> tuple[Params, SGDState]:
        _check_step_inputs(params, grads, state, SGDState, ("momentum_buffer",))
        lr_now, first = rate(), state.step == 0

        def leaf(p: np.ndarray, g: np.ndarray, buf: np.ndarray) -> tuple[Any, ...]:
            g = -g if maximize else g
            if weight_decay != 0:
                g = g + weight_decay * p
            if momentum != 0:
                buf = g.copy() if first else buf * momentum + (1 - dampening) * g
                g = g + momentum * buf if nesterov else buf
            return p + (-lr_now) * g, buf

        new_params, buffer = _leafwise(leaf, params, grads, state.momentum_buffer)
        return new_params, SGDState(state.step + 1, buffer)

    return Optimizer(init, step)


# --------------------------------------------------------------------------------------------
# AdaGrad
# --------------------------------------------------------------------------------------------


def adagrad(
    lr: float | np.ndarray = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
    maximize: bool = False,
) -> Optimizer:
    """AdaGrad, as ``torch.optim.Adagrad``.

    Formula: ``g <- -g`` (maximize); ``g <- g + wd p``; ``clr = lr / (1 + (t - 1) lr_decay)``;
    ``s <- s + g^2`` (``s_0 = initial_accumulator_value``); ``p <- p - clr g / (sqrt(s) + eps)``.
    The effective rate ``clr / (sqrt(s) + eps)`` never increases; for a constant gradient the
    step is ``lr / sqrt(t)`` (eps -> 0).

    Args:
        lr: learning rate, ``>= 0`` (a number or a 0-d float array, read at every step).
        lr_decay: learning-rate decay, ``>= 0``.
        weight_decay: L2 penalty, ``>= 0``.
        initial_accumulator_value: starting value of ``s``, ``>= 0``.
        eps: added to ``sqrt(s)`` (outside the root, as Duchi et al.), ``>= 0``.
        maximize: ascend the objective instead of descending it.

    Returns:
        An :class:`Optimizer`.

    References:
        Duchi, Hazan & Singer (2011), JMLR 12, Sec. 3; ``torch/optim/adagrad.py``; seed 001.
    """
    rate = _learning_rate(lr)
    lr_decay = as_non_negative(lr_decay, "lr_decay", "lr_decay value")
    weight_decay = as_non_negative(weight_decay, "weight_decay", "weight_decay value")
    initial = as_non_negative(
        initial_accumulator_value, "initial_accumulator_value", "initial_accumulator_value value"
    )
    eps = as_non_negative(eps, "eps", "epsilon value")
    maximize = as_bool(maximize, "maximize")

    def init(params: Params) -> AdaGradState:
        as_param_tree(params, "params")
        with np.errstate(over="ignore"):  # beyond float16's range the accumulator is inf, as in PyTorch
            return AdaGradState(0, tree_map(lambda p: np.full_like(p, initial), params))

    def step(params: Params, grads: Params, state: AdaGradState) -> tuple[Params, AdaGradState]:
        _check_step_inputs(params, grads, state, AdaGradState, ("sum",))
        t = state.step + 1
        clr = rate() / (1 + (t - 1) * lr_decay)

        def leaf(p: np.ndarray, g: np.ndarray, s: np.ndarray) -> tuple[Any, ...]:
            g = -g if maximize else g
            if weight_decay != 0:
                g = g + weight_decay * p
            s = s + g * g
            std = np.sqrt(s) + eps
            return p + (-clr) * (g / std), s

        new_params, sums = _leafwise(leaf, params, grads, state.sum)
        return new_params, AdaGradState(t, sums)

    return Optimizer(init, step)


# --------------------------------------------------------------------------------------------
# RMSProp
# --------------------------------------------------------------------------------------------


def rmsprop(
    lr: float | np.ndarray = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    maximize: bool = False,
) -> Optimizer:
    """RMSProp, as ``torch.optim.RMSprop`` (eps outside the square root, no bias correction).

    Formula: ``g <- -g`` (maximize); ``v <- alpha v + (1 - alpha) g^2``; centered:
    ``m <- lerp(m, g, 1 - alpha)``, ``v~ = v - m^2``; ``d = sqrt(v~) + eps``; momentum:
    ``b <- mu b + g / d``, ``p <- p - lr b``; else ``p <- p - lr g / d``. For a constant gradient
    the first step is ``lr g / (sqrt(1 - alpha) |g| + eps)`` (~10 lr at alpha = 0.99).

    Args:
        lr: learning rate, ``>= 0`` (a number or a 0-d float array, read at every step).
        alpha: smoothing constant, ``>= 0`` (PyTorch does not check ``<= 1``).
        eps: added to the root, ``>= 0`` (TensorFlow/Keras add it *inside* the root).
        weight_decay: L2 penalty, ``>= 0``.
        momentum: ``>= 0``.
        centered: normalise by the estimated variance instead of the second moment.
        maximize: ascend the objective instead of descending it.

    Returns:
        An :class:`Optimizer`.

    References:
        Hinton, Coursera "Neural Networks for Machine Learning", lecture 6e; Graves (2013),
        arXiv:1308.0850 (centered); ``torch/optim/rmsprop.py``; seed 001.
    """
    rate = _learning_rate(lr)
    eps = as_non_negative(eps, "eps", "epsilon value")
    momentum = as_non_negative(momentum, "momentum", "momentum value")
    weight_decay = as_non_negative(weight_decay, "weight_decay", "weight_decay value")
    alpha = as_non_negative(alpha, "alpha", "alpha value")
    centered, maximize = as_bool(centered, "centered"), as_bool(maximize, "maximize")

    def init(params: Params) -> RMSPropState:
        return RMSPropState(0, _zeros_like(params), _zeros_like(params), _zeros_like(params))

    def step(params: Params, grads: Params, state: RMSPropState) -> tuple[Params, RMSPropState]:
        fields = ("square_avg", "grad_avg", "momentum_buffer")
        _check_step_inputs(params, grads, state, RMSPropState, fields)
        lr_now = rate()

        def leaf(p: Any, g: Any, v: Any, m: Any, b: Any) -> tuple[Any, ...]:
            g = -g if maximize else g
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
                return p + (-lr_now) * b, v, m, b
            return p + (-lr_now) * (g / avg), v, m, b

        new_params, v, m, b = _leafwise(
            leaf, params, grads, state.square_avg, state.grad_avg, state.momentum_buffer
        )
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
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]} (betas[0] must be in [0, 1))")
    if not 0.0 <= beta2 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]} (betas[1] must be in [0, 1))")
    return beta1, beta2


def _adam(
    lr: Any,
    betas: Any,
    eps: Any,
    weight_decay: Any,
    amsgrad: Any,
    bias_correction: Any,
    decoupled: Any,
    maximize: Any,
) -> Optimizer:
    rate = _learning_rate(lr)
    eps = as_non_negative(eps, "eps", "epsilon value")
    beta1, beta2 = _check_betas(betas)
    weight_decay = as_non_negative(weight_decay, "weight_decay", "weight_decay value")
    amsgrad, maximize = as_bool(amsgrad, "amsgrad"), as_bool(maximize, "maximize")
    bias_correction = as_bool(bias_correction, "bias_correction")
    decoupled = as_bool(decoupled, "decoupled_weight_decay")

    def init(params: Params) -> AdamState:
        return AdamState(0, _zeros_like(params), _zeros_like(params), _zeros_like(params))

    def step(params: Params, grads: Params, state: AdamState) -> tuple[Params, AdamState]:
        _check_step_inputs(params, grads, state, AdamState, ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"))
        t, lr_now = state.step + 1, rate()
        # The corrections are scalars computed in float64, as PyTorch computes them on the
        # Python side, before they meet the (possibly float32) moments.
        bias_correction1 = 1 - beta1**t if bias_correction else 1.0
        bias_correction2 = 1 - beta2**t if bias_correction else 1.0
        step_size = lr_now / bias_correction1
        bias_correction2_sqrt = math.sqrt(bias_correction2)

        def leaf(p: Any, g: Any, m: Any, v: Any, v_max: Any) -> tuple[Any, ...]:
            g = -g if maximize else g
            if weight_decay != 0:
                if decoupled:
                    p = p * (1 - lr_now * weight_decay)
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

        new_params, m, v, v_max = _leafwise(
            leaf, params, grads, state.exp_avg, state.exp_avg_sq, state.max_exp_avg_sq
        )
        return new_params, AdamState(t, m, v, v_max)

    return Optimizer(init, step)


def adam(
    lr: float | np.ndarray = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    bias_correction: bool = True,
    maximize: bool = False,
    decoupled_weight_decay: bool = False,
) -> Optimizer:
    """Adam, as ``torch.optim.Adam`` (Algorithm 1 of Kingma & Ba: eps outside the root).

    Formula: ``m <- b1 m + (1 - b1) g``; ``v <- b2 v + (1 - b2) g^2``;
    ``p <- p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)``. AMSGrad keeps the
    running max of the *raw* ``v`` and bias-corrects after the max (Optax corrects before).
    ``bias_correction=False`` (not in PyTorch) drops both corrections: the first step is then
    ``lr (1 - b1) g / (sqrt(1 - b2) |g| + eps)``, about 3.16 lr at the defaults.
    ``decoupled_weight_decay=True`` is AdamW (``p <- p (1 - lr wd)`` before the step).

    Args:
        lr: learning rate, ``>= 0`` (a number or a 0-d float array, read at every step).
        betas: ``(b1, b2)``, each in [0, 1).
        eps: added to the corrected root, ``>= 0``.
        weight_decay: L2 penalty added to the gradient (or decoupled), ``>= 0``.
        amsgrad: use the AMSGrad variant.
        bias_correction: divide the moments by ``1 - b^t`` (Kingma & Ba, Sec. 3).
        maximize: ascend the objective (the gradient is negated first).
        decoupled_weight_decay: decay the parameters directly, as AdamW (PyTorch >= 2.6).

    Returns:
        An :class:`Optimizer`.

    References:
        Kingma & Ba (2015), arXiv:1412.6980, Algorithm 1, Sec. 2.1 and 3; Reddi, Kale & Kumar
        (2018) (AMSGrad); ``torch/optim/adam.py::_single_tensor_adam``; seed 001.
    """
    return _adam(lr, betas, eps, weight_decay, amsgrad, bias_correction, decoupled_weight_decay, maximize)


def adamw(
    lr: float | np.ndarray = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
    maximize: bool = False,
) -> Optimizer:
    """AdamW, as ``torch.optim.AdamW``: Adam with decoupled weight decay.

    Formula: ``p <- p (1 - lr wd)`` first, then the Adam step on the undecayed gradient.
    (PyTorch multiplies the decay by ``lr``, as Optax does; Loshchilov & Hutter multiply it by
    the schedule multiplier only. Default ``wd``: PyTorch 1e-2, Optax 1e-4, Keras 4e-3.)

    Args:
        lr: learning rate, ``>= 0`` (a number or a 0-d float array, read at every step).
        betas: ``(b1, b2)``, each in [0, 1).
        eps: added to the corrected root, ``>= 0``.
        weight_decay: decoupled decay rate, ``>= 0``.
        amsgrad: use the AMSGrad variant.
        maximize: ascend the objective (the gradient is negated first).

    Returns:
        An :class:`Optimizer`.

    References:
        Loshchilov & Hutter (2019), "Decoupled weight decay regularization", Algorithm 2;
        ``torch/optim/adamw.py``.
    """
    return _adam(lr, betas, eps, weight_decay, amsgrad, True, True, maximize)


# --------------------------------------------------------------------------------------------
# Gradient clipping
# --------------------------------------------------------------------------------------------


def _norm(g: np.ndarray, norm_type: float) -> float:
    """``||g||_p`` without overflow or underflow: ``m ||g / m||_p`` with ``m = max |g|``."""
    if g.size == 0:
        return 0.0
    with np.errstate(all="ignore"):
        magnitude = np.abs(g.astype(np.float64))
        largest = float(np.max(magnitude))
        if math.isinf(norm_type) or largest == 0 or not math.isfinite(largest):
            return largest
        return largest * float(np.sum((magnitude / largest) ** norm_type) ** (1.0 / norm_type))


@overload
def clip_grad_norm(
    grads: np.ndarray, max_norm: float, norm_type: float = 2.0
) -> tuple[np.ndarray, float]: ...


@overload
def clip_grad_norm(
    grads: Mapping[str, Any], max_norm: float, norm_type: float = 2.0
) -> tuple[dict[str, Any], float]: ...


def clip_grad_norm(grads: Any, max_norm: float, norm_type: float = 2.0) -> tuple[Any, float]:
    """Rescale gradients so their joint norm is at most ``max_norm`` (``clip_grad_norm_``).

    Formula: ``N = || (||g_1||, ..., ||g_k||) ||_p``; every gradient is multiplied by
    ``min(1, max_norm / (N + 1e-6))``: the direction is kept, the norm bounded. Norms are
    computed in float64 and scaled by the largest element, so finite gradients never overflow.

    Args:
        grads: an ndarray or a dict of ndarrays (floating).
        max_norm: the bound, ``>= 0``.
        norm_type: ``p`` of the norm, ``> 0`` or ``inf``.

    Returns:
        ``(clipped, total_norm)``: arrays in the gradients' dtypes and shapes (0-d stays 0-d);
        the input is not modified.

    References:
        ``torch.nn.utils.clip_grad_norm_``; Pascanu, Mikolov & Bengio (2013), "On the difficulty
        of training recurrent neural networks", Sec. 3.2; seed 001 (gradient clipping).
    """
    as_param_tree(grads, "grads")
    max_norm = as_non_negative(max_norm, "max_norm", "max_norm value")
    norm_type = as_real(norm_type, "norm_type", finite=False)
    if not norm_type > 0:
        raise ValueError(f"norm_type must be > 0 or inf, got {norm_type}")
    norms = np.array([_norm(g, norm_type) for g in tree_leaves(grads)])
    with np.errstate(all="ignore"):
        total = _norm(norms, norm_type) if norms.size else 0.0
        coefficient = min(max_norm / (total + 1e-6), 1.0) if not math.isnan(total) else math.nan
    return tree_map(lambda g: np.asarray(_scale(g, coefficient)), grads), total


def _scale(g: np.ndarray, coefficient: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        return round_to(g.astype(np.float64) * coefficient, g.dtype)


@overload
def clip_grad_value(grads: np.ndarray, clip_value: float) -> np.ndarray: ...


@overload
def clip_grad_value(grads: Mapping[str, Any], clip_value: float) -> dict[str, Any]: ...


def clip_grad_value(grads: Any, clip_value: float) -> Any:
    """Clip every gradient element to ``[-clip_value, clip_value]`` (``clip_grad_value_``).

    Args:
        grads: an ndarray or a dict of ndarrays (floating).
        clip_value: the bound, ``>= 0``.

    Returns:
        New clipped gradients, in their dtypes and shapes (0-d stays 0-d).

    References:
        ``torch.nn.utils.clip_grad_value_``.
    """
    as_param_tree(grads, "grads")
    clip_value = as_non_negative(clip_value, "clip_value", "clip_value value")

    def clip(g: np.ndarray) -> np.ndarray:  # in float64: the bound may exceed g's dtype's range
        return round_to(np.clip(g.astype(np.float64), -clip_value, clip_value), g.dtype)

    return tree_map(clip, grads)
