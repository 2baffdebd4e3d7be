"""Closed-form predictions for optimizer trajectories.

References: Kingma & Ba (2015), arXiv:1412.6980, Algorithm 1, Sec. 2.1 and 3; Duchi, Hazan &
Singer (2011); Hinton, lecture 6e (RMSProp); seed 001 (momentum, AdaGrad, RMSProp, Adam);
``theory_claims.md`` S9.
"""

from __future__ import annotations

import math

from theory._domain import non_negative, positive_int, real, unit_interval


def momentum_buffer_constant_gradient(g: float, mu: float, t: int) -> float:
    """Momentum buffer after t steps of a constant gradient: ``g (1 - mu^t) / (1 - mu)``.

    Seed 001: ``v := mu v + g``, ``theta := theta - alpha v`` with ``v_0 = 0``; mu = 0 gives ``g``
    (plain gradient descent).
    """
    mu = unit_interval(mu, "mu")
    t = positive_int(t, "t")
    return real(g, "g") * (1 - mu**t) / (1 - mu)


def momentum_position_constant_gradient(lr: float, g: float, mu: float, t: int) -> float:
    """Displacement after t steps: ``-lr sum_{s<=t} buffer_s``."""
    return -real(lr, "lr") * sum(momentum_buffer_constant_gradient(g, mu, s) for s in range(1, t + 1))


def adam_first_moment_expectation(mean_gradient: float, beta1: float, t: int) -> float:
    """``E[m_t] = (1 - beta1^t) E[g]`` for stationary gradients (Kingma & Ba, Sec. 3)."""
    beta1 = unit_interval(beta1, "beta1")
    return (1 - beta1 ** positive_int(t, "t")) * real(mean_gradient, "mean_gradient")


def adam_constant_gradient_step(lr: float, g: float, eps: float) -> float:
    """Every bias-corrected Adam step for a constant gradient: ``lr g / (|g| + eps)``.

    ``m^_t = g`` and ``v^_t = g^2`` exactly, for every t (not only the first).
    """
    g = real(g, "g")
    return non_negative(lr, "lr") * g / (abs(g) + non_negative(eps, "eps"))


def adam_uncorrected_first_step(lr: float, g: float, beta1: float, beta2: float, eps: float) -> float:
    """First Adam step without bias correction: ``lr (1 - b1) g / (sqrt(1 - b2) |g| + eps)``.

    About ``0.1 / sqrt(0.001) = 3.16`` times lr at the defaults for |g| >> eps.
    """
    b1, b2 = unit_interval(beta1, "beta1"), unit_interval(beta2, "beta2")
    g = real(g, "g")
    return non_negative(lr, "lr") * (1 - b1) * g / (math.sqrt(1 - b2) * abs(g) + non_negative(eps, "eps"))


def adam_ratio_bound(beta1: float, beta2: float) -> float:
    """A rigorous bound on ``|m_t| / sqrt(v_t)`` for any gradients (needs ``b1^2 < b2``).

    Formula (Cauchy-Schwarz): ``(1 - b1) / sqrt((1 - b2) (1 - b1^2 / b2))``; 7.27 at the defaults.
    Kingma & Ba's ``|Delta| <~ lr`` (Sec. 2.1) is a heuristic, not a bound.
    """
    b1, b2 = unit_interval(beta1, "beta1"), unit_interval(beta2, "beta2")
    if not b1 * b1 < b2:
        raise ValueError(f"need beta1^2 < beta2, got beta1={b1}, beta2={b2}")
    return (1 - b1) / math.sqrt((1 - b2) * (1 - b1 * b1 / b2))


def adagrad_constant_gradient_step(
    lr: float, g: float, t: int, eps: float = 0.0, lr_decay: float = 0.0, initial: float = 0.0
) -> float:
    """AdaGrad's t-th step for a constant gradient: ``clr_t g / (sqrt(tau + t g^2) + eps)``.

    With ``tau = 0``, ``lr_decay = 0``, ``eps -> 0``: ``lr sign(g) / sqrt(t)``.
    """
    t, g = positive_int(t, "t"), real(g, "g")
    clr = non_negative(lr, "lr") / (1 + (t - 1) * non_negative(lr_decay, "lr_decay"))
    return clr * g / (math.sqrt(non_negative(initial, "initial") + t * g * g) + non_negative(eps, "eps"))


def rmsprop_constant_gradient_step(lr: float, g: float, alpha: float, t: int, eps: float) -> float:
    """RMSProp's t-th step for a constant gradient: ``lr g / (sqrt(1 - alpha^t) |g| + eps)``.

    ``v_t = (1 - alpha^t) g^2`` (no bias correction): 10 lr at t = 1 for alpha = 0.99.
    """
    alpha, g = unit_interval(alpha, "alpha"), real(g, "g")
    return (
        non_negative(lr, "lr")
        * g
        / (math.sqrt(1 - alpha ** positive_int(t, "t")) * abs(g) + non_negative(eps, "eps"))
    )


def rmsprop_settling_steps(alpha: float, tolerance: float = 0.01) -> int:
    """Steps until RMSProp's constant-gradient step is within ``tolerance`` of its limit lr.

    Formula: the smallest t with ``1 / sqrt(1 - alpha^t) <= 1 + tolerance``:
    ``ceil(log(1 - 1/(1 + tol)^2) / log(alpha))`` = 391 at alpha = 0.99, 1%.
    """
    alpha = unit_interval(alpha, "alpha")
    tol = non_negative(tolerance, "tolerance")
    return math.ceil(math.log(1 - 1 / (1 + tol) ** 2) / math.log(alpha))


def clipped_norm(norm: float, max_norm: float) -> float:
    """Norm after ``clip_grad_norm``: ``norm * min(1, max_norm / (norm + 1e-6))`` <= max_norm."""
    norm, max_norm = non_negative(norm, "norm"), non_negative(max_norm, "max_norm")
    return norm * min(1.0, max_norm / (norm + 1e-6))
