"""A catalogue of realistic bugs: mutant versions of impls functions.

Each mutant has its original's signature and differs by one mistake that has shipped in real
code or is easy to make (see shared/reference/peer_initializers.md). ``test_power.py`` runs
each through the checks the suite runs on impls and requires it to be caught.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import impls
from impls.optimizers import AdamState, Optimizer, RMSPropState


def _fans(shape: Any, layout: str = "torch") -> tuple[int, int]:
    return impls.compute_fans(shape, layout)


def kaiming_normal_fans_swapped(
    shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", layout="torch", *, rng=None, dtype=np.float64
):
    """Reads fan_in from dim 0 (the Keras/PyTorch layout confusion)."""
    fan_out, fan_in = _fans(shape, layout)
    fan = fan_in if mode == "fan_in" else fan_out
    return impls.normal(
        shape, 0.0, impls.calculate_gain(nonlinearity, a) / math.sqrt(fan), rng=rng, dtype=dtype
    )


def xavier_normal_without_factor_2(shape, gain=1.0, layout="torch", *, rng=None, dtype=np.float64):
    fan_in, fan_out = _fans(shape, layout)
    return impls.normal(shape, 0.0, gain * math.sqrt(1.0 / (fan_in + fan_out)), rng=rng, dtype=dtype)


def xavier_uniform_bound_is_std(shape, gain=1.0, layout="torch", *, rng=None, dtype=np.float64):
    """Uses the std as the uniform bound (forgets the sqrt 3)."""
    fan_in, fan_out = _fans(shape, layout)
    bound = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return impls.uniform(shape, -bound, bound, rng=rng, dtype=dtype)


def kaiming_normal_without_factor_2(
    shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", layout="torch", *, rng=None, dtype=np.float64
):
    fan_in, fan_out = _fans(shape, layout)
    fan = fan_in if mode == "fan_in" else fan_out
    return impls.normal(shape, 0.0, 1.0 / math.sqrt(fan), rng=rng, dtype=dtype)


def kaiming_normal_slope_ignored(
    shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", layout="torch", *, rng=None, dtype=np.float64
):
    fan_in, fan_out = _fans(shape, layout)
    fan = fan_in if mode == "fan_in" else fan_out
    return impls.normal(shape, 0.0, math.sqrt(2.0 / fan), rng=rng, dtype=dtype)


def kaiming_uniform_mode_ignored(
    shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", layout="torch", *, rng=None, dtype=np.float64
):
    """Always uses fan_in, whatever the mode."""
    return impls.kaiming_uniform(shape, a, "fan_in", nonlinearity, layout, rng=rng, dtype=dtype)


def variance_scaling_uncorrected(
    shape,
    scale=1.0,
    mode="fan_in",
    distribution="truncated_normal",
    layout="torch",
    *,
    rng=None,
    dtype=np.float64,
):
    """Truncates at 2 sigma without dividing sigma by 0.8796 (keras-team/keras#8048)."""
    if distribution != "truncated_normal":
        return impls.variance_scaling(shape, scale, mode, distribution, layout, rng=rng, dtype=dtype)
    fan_in, fan_out = _fans(shape, layout)
    fan = {
        "fan_in": fan_in,
        "fan_out": fan_out,
        "fan_avg": (fan_in + fan_out) / 2,
        "fan_geo_avg": math.sqrt(fan_in * fan_out),
    }[mode]
    return impls.truncated_normal(shape, 0.0, 1.0, rng=rng, dtype=dtype) * math.sqrt(scale / fan)


def truncated_normal_clamped(shape, mean=0.0, std=1.0, a=-2.0, b=2.0, *, rng=None, dtype=np.float64):
    """Clamps out-of-range draws to the bounds instead of resampling (PyTorch before 2026)."""
    return np.clip(impls.normal(shape, mean, std, rng=rng, dtype=dtype), a, b)


def kaiming_uniform_without_receptive_field(
    shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", layout="torch", *, rng=None, dtype=np.float64
):
    """Conv fan taken as the channel count alone."""
    fan = shape[1] if mode == "fan_in" else shape[0]
    bound = math.sqrt(3.0) * impls.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return impls.uniform(shape, -bound, bound, rng=rng, dtype=dtype)


def pytorch_linear_default_as_he(shape, layout="torch", *, rng=None, dtype=np.float64):
    """Forgets a = sqrt 5: He uniform instead of U(+-1/sqrt(fan_in))."""
    return impls.kaiming_uniform(shape, 0.0, layout=layout, rng=rng, dtype=dtype)


def orthogonal_without_sign_correction(shape, gain=1.0, *, rng=None, dtype=np.float64):
    rows, cols = shape[0], math.prod(shape[1:])
    z = np.random.default_rng(rng).standard_normal((max(rows, cols), min(rows, cols))).astype(dtype)
    q, _ = np.linalg.qr(z)
    return (gain * (q.T if rows < cols else q)).reshape(shape)


def sparse_with_floor(shape, sparsity, std=0.01, *, rng=None, dtype=np.float64):
    generator = np.random.default_rng(rng)
    rows, cols = shape
    out = impls.normal(shape, 0.0, std, rng=generator, dtype=dtype)
    zeros = math.floor(sparsity * rows)
    for c in range(cols):
        out[generator.permutation(rows)[:zeros], c] = 0.0
    return out


def _adam_like(lr, betas, eps, correct: bool, eps_inside: bool) -> Optimizer:
    b1, b2 = betas

    def init(p):
        z = np.zeros_like(p)
        return AdamState(0, z, z, z)

    def step(p, g, s):
        t = s.step + 1
        m, v = b1 * s.exp_avg + (1 - b1) * g, b2 * s.exp_avg_sq + (1 - b2) * g * g
        m_hat, v_hat = (m / (1 - b1**t), v / (1 - b2**t)) if correct else (m, v)
        denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        return p - lr * m_hat / denom, AdamState(t, m, v, s.max_exp_avg_sq)

    return Optimizer(init, step)


def adam_without_bias_correction(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, **_: Any) -> Optimizer:
    return _adam_like(lr, betas, eps, correct=False, eps_inside=False)


def adam_eps_inside_sqrt(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, **_: Any) -> Optimizer:
    return _adam_like(lr, betas, eps, correct=True, eps_inside=True)


def rmsprop_eps_inside_sqrt(lr=1e-2, alpha=0.99, eps=1e-8, **_: Any) -> Optimizer:
    """TensorFlow's placement (pytorch/pytorch#23796)."""

    def init(p):
        z = np.zeros_like(p)
        return RMSPropState(0, z, z, z)

    def step(p, g, s):
        v = alpha * s.square_avg + (1 - alpha) * g * g
        return p - lr * g / np.sqrt(v + eps), RMSPropState(s.step + 1, v, s.grad_avg, s.momentum_buffer)

    return Optimizer(init, step)


def adagrad_ignoring_lr_decay(
    lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10
) -> Optimizer:
    return impls.adagrad(lr, 0.0, weight_decay, initial_accumulator_value, eps)


def bce_with_logits_naive(logits, target, weight=None, pos_weight=None, reduction="mean"):
    """-[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))] in floating point."""
    s = 1.0 / (1.0 + np.exp(-np.asarray(logits, float)))
    loss = -(target * np.log(s) + (1 - target) * np.log(1 - s))
    return loss if reduction == "none" else np.mean(loss)


def gelu_tanh_as_exact(x):
    return impls.gelu(x, approximate="tanh")


def gelu_tanh_as_exact_derivative(x):
    return impls.ACTIVATIONS["gelu"].derivative(x, approximate="tanh")


GELU_TANH_AS_EXACT = impls.Activation("gelu", gelu_tanh_as_exact, gelu_tanh_as_exact_derivative)
"""The registry entry of the tanh-approximate GELU posing as the exact one."""


def transformer_forward_norm_first_ignored(
    layers, x, *, nhead, norm_first=False, activation="relu", eps=1e-5, alpha=1.0, final_norm=None
):
    """Always Post-LN (a stack built before ``norm_first`` existed, PyTorch < 1.10)."""
    return impls.transformer_forward(
        layers,
        x,
        nhead=nhead,
        norm_first=False,
        activation=activation,
        eps=eps,
        alpha=alpha,
        final_norm=final_norm,
    )


def transformer_forward_final_norm_ignored(
    layers, x, *, nhead, norm_first=False, activation="relu", eps=1e-5, alpha=1.0, final_norm=None
):
    """Pre-LN without its final LayerNorm (the ``x_Final`` of Xiong et al. 2020, Fig. 1, forgotten)."""
    return impls.transformer_forward(
        layers, x, nhead=nhead, norm_first=norm_first, activation=activation, eps=eps, alpha=alpha
    )


def batch_norm_backward_constant_statistics(x, grad_y, weight=None, eps=1e-5):
    """Treats the batch mean and variance as constants: ``grad_x = grad_y * weight / sqrt(var + eps)``."""
    x, g = np.asarray(x, dtype=np.float64), np.asarray(grad_y, dtype=np.float64)
    axes = (0, *range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    w = np.ones(x.shape[1]) if weight is None else np.asarray(weight, dtype=np.float64)
    inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=axes, keepdims=True)) * inv_std
    grad_x = g * w.reshape(shape) * inv_std
    if weight is None:
        return grad_x, None, None
    return grad_x, (g * x_hat).sum(axis=axes), g.sum(axis=axes)
