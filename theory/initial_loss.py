"""The loss at initialization, and the logits that label smoothing drives towards.

With all logits equal (e.g. a zero-initialized classifier) the softmax is uniform and the
cross-entropy is exactly ``ln K`` for K classes. Label smoothing with ``epsilon`` replaces the
one-hot target by ``q_y = 1 - epsilon + epsilon / K`` and ``q_c = epsilon / K``; the cross-entropy
is minimized where the softmax equals ``q``, i.e. at the logit gap
``z_y - z_c = log(q_y / q_c) = log(1 + K (1 - epsilon) / epsilon)``.

References: Zhang, Dauphin & Ma (2019), arXiv:1901.09321, Sec. 3 (zero classifier, loss ln K);
Szegedy et al. (2016), "Rethinking the inception architecture", CVPR, arXiv:1512.00567, Sec. 7;
Müller, Kornblith & Hinton (2019), "When does label smoothing help?", NeurIPS, arXiv:1906.02629.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from scipy import integrate, special, stats

from theory._domain import positive_int, real


def uniform_logits_cross_entropy(classes: int) -> float:
    """Cross-entropy of equal logits: ``ln K``."""
    return math.log(positive_int(classes, "classes"))


def label_smoothing_optimal_gap(classes: int, epsilon: float) -> float:
    """The minimizing gap between the target's logit and every other: ``log(1 + K (1 - e) / e)``.

    Args:
        classes: K >= 2.
        epsilon: the smoothing in (0, 1].

    Returns:
        ``z_y - z_c`` at the optimum (0 at ``epsilon = 1``: uniform targets).
    """
    k = positive_int(classes, "classes")
    if k < 2:
        raise ValueError(f"classes must be >= 2, got {k}")
    e = real(epsilon, "epsilon")
    if not 0 < e <= 1:
        raise ValueError(f"epsilon must be in (0, 1], got {e}")
    return math.log1p(k * (1 - e) / e)


# --------------------------------------------------------------------------------------------
# Gaussian logits: the expected loss and the softmax's saturation
# --------------------------------------------------------------------------------------------

_MAX_LOGIT_STD = 4.0
"""Largest logit std the quadratures below are validated for (``theory`` self-tests)."""


def _logit_std(std: float) -> float:
    s = real(std, "std")
    if not 0 <= s <= _MAX_LOGIT_STD:
        raise ValueError(f"std must be in [0, {_MAX_LOGIT_STD}], got {s}")
    return s


@cache
def _hermite(count: int) -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = np.polynomial.hermite_e.hermegauss(count)
    return nodes, weights / math.sqrt(2 * math.pi)


def _laplace_transform_lognormal(t: float, std: float) -> float:
    """``E exp(-t exp(s Z))`` for ``Z ~ N(0, 1)`` (Gauss-Hermite, 200 nodes)."""
    z, w = _hermite(200)
    return float(np.sum(w * np.exp(-t * np.exp(std * z))))


def gaussian_logits_cross_entropy(classes: int, std: float) -> float:
    """``E CE`` for logits ``z ~ N(0, s^2 I_K)``: ``E log sum_j exp(z_j) - E z_y = E log S``.

    Formula: Frullani's integral ``log S = int_0^inf (exp(-t) - exp(-t S)) dt / t`` and the
    independence of the ``exp(z_j)`` give ``E log S = int_R (exp(-e^u) - L(e^u)^K) du`` with
    ``L(t) = E exp(-t exp(s Z))`` (Gauss-Hermite), integrated by ``scipy.integrate.quad``. Exact
    at every K (not an expansion); the target's logit has mean 0, whatever the target.

    Args:
        classes: K >= 1.
        std: the logits' standard deviation s, in [0, 4].

    Returns:
        The expected cross-entropy (``ln K`` at ``s = 0``).

    References:
        Frullani's integral (Gradshteyn & Ryzhik 3.434.2 with a = 1, b = S); see
        :func:`gaussian_logits_cross_entropy_expansion` for the small-s form.
    """
    k, s = positive_int(classes, "classes"), _logit_std(std)
    if s == 0 or k == 1:
        return math.log(k)

    def integrand(u: float) -> float:
        t = math.exp(u)
        return math.exp(-t) - _laplace_transform_lognormal(t, s) ** k

    value, _ = integrate.quad(integrand, -60.0, 60.0, limit=500, epsabs=1e-13, epsrel=1e-12)
    return float(value)


def gaussian_logits_cross_entropy_expansion(classes: int, std: float) -> float:
    """The small-s expansion ``E CE = ln K + (1 - 1/K) s^2 / 2 + O(s^4)``.

    Formula: ``S = sum_j exp(z_j)`` has mean ``K exp(s^2/2)`` and variance
    ``K exp(s^2) (exp(s^2) - 1)``; ``E log S = log E S - Var S / (2 (E S)^2) + ...`` gives
    ``ln K + s^2/2 - (exp(s^2) - 1) / (2K)``, i.e. ``ln K + (1 - 1/K) s^2 / 2 + O(s^4)``. The
    often-quoted ``ln K + s^2 / 2`` drops the ``-s^2 / (2K)``: it is the large-K form (at K = 2
    the excess over ``ln K`` is half of it).

    Args:
        classes: K >= 1.
        std: the logits' standard deviation s.

    Returns:
        ``ln K + (1 - 1/K) s^2 / 2``.
    """
    k, s = positive_int(classes, "classes"), _logit_std(std)
    return math.log(k) + (1 - 1 / k) * s * s / 2


def gaussian_logits_max_softmax(classes: int, std: float) -> float:
    """``E max_j softmax(z)_j`` for logits ``z ~ N(0, s^2 I_K)``: the softmax's saturation.

    Formula: ``max_j p_j = p_1`` on the event that ``z_1`` is the largest, so
    ``E max p = K E[1{z_1 max} / (1 + sum_{j>1} exp(z_j - z_1))]``; with
    ``1 / (1 + A) = int_0^inf exp(-t (1 + A)) dt`` and the independence of the ``z_j``,
    ``E max p = K E_x int_0^inf exp(-t) g(t, x)^(K-1) dt``, ``g(t, x) = E[exp(-t exp(s (Z - x)));
    Z < x]`` (x = z_1 / s). Computed by quadrature (x: trapezoid on [-9, 9]; t = e^u: trapezoid
    in u; Z - x: Gauss-Legendre on [-20, 0]); about 1e-9 off at K = 2 against the closed form
    ``E sigmoid(|D|)``, ``D ~ N(0, 2 s^2)``. Increasing in s from ``1/K`` (s = 0) towards 1.

    Args:
        classes: K >= 1.
        std: the logits' standard deviation s, in [0, 4].

    Returns:
        The expected largest softmax probability.
    """
    k, s = positive_int(classes, "classes"), _logit_std(std)
    if s == 0 or k == 1:
        return 1.0 / k
    x = np.linspace(-9.0, 9.0, 361)
    u = np.linspace(-35.0, 4.5, 400)
    t = np.exp(u)
    nodes, weights = np.polynomial.legendre.leggauss(256)
    gap, gap_weights = (nodes + 1) * 10.0, weights * 10.0  # Z = x - gap, gap in [0, 20]
    decay = np.exp(-np.outer(t, np.exp(-s * gap)))  # (t, gap)
    density = stats.norm.pdf(x[None, :] - gap[:, None]) * gap_weights[:, None]  # (gap, x)
    g = np.clip(decay @ density, 0.0, 1.0)  # (t, x)
    inner = np.trapezoid((np.exp(-t) * t)[:, None] * g ** (k - 1), u, axis=0)
    return float(k * np.trapezoid(stats.norm.pdf(x) * inner, x))


def two_class_max_softmax(std: float) -> float:
    """K = 2: ``E sigmoid(|D|)`` with ``D = z_1 - z_2 ~ N(0, 2 s^2)`` (one-dimensional quadrature)."""
    s = _logit_std(std)
    if s == 0:
        return 0.5
    scale = s * math.sqrt(2)
    value, _ = integrate.quad(
        lambda d: 2 * special.expit(d) * stats.norm.pdf(d, scale=scale), 0, math.inf, epsabs=1e-13
    )
    return float(value)
