"""Finite-width moments of the squared norm of a deep ReLU network's activations.

A ReLU layer of width N with Gaussian weights ``W_ij ~ N(0, sigma_w^2 / N)`` (no bias) maps ``x``
to ``relu(W x)``. By rotation invariance ``W x ~ N(0, sigma_w^2 ||x||^2 / N I)``, so the ratio
``r = ||relu(W x)||^2 / ||x||^2 = (sigma_w^2 / N) chi^2_K`` with ``K ~ Binomial(N, 1/2)`` (the
number of positive coordinates) does not depend on ``x``. The ratios of successive layers are
therefore independent and identically distributed, and every moment of the depth-L ratio
``R_L = ||x_L||^2 / ||x_0||^2`` is a power of the one-layer moment:
``E R_L^m = (E r^m)^L``, with ``E[chi^2_K^m | K] = K (K + 2) ... (K + 2m - 2)``.
At He's sigma_w^2 = 2: ``E R_L = 1`` at every width, and ``E R_L^2 = (1 + 5/N)^L``.

References: Hanin & Rolnick (2018), "How to start training", NeurIPS, arXiv:1803.01719, Thm. 5
(the 5/N correction); Hanin & Nica (2019), "Products of many large random matrices and gradients
in deep neural networks", Comm. Math. Phys., arXiv:1812.05994 (log-normality of ``||x_L||``).
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import stats

from theory._domain import positive, positive_int


def chi_square_rising_moment(k: np.ndarray, m: int) -> np.ndarray:
    """``E[(chi^2_k)^m] = k (k + 2) ... (k + 2m - 2)`` for each degrees-of-freedom value ``k``.

    Args:
        k: degrees of freedom (integers >= 0; chi^2_0 is the point mass at 0).
        m: the moment's order, >= 1.

    Returns:
        The m-th raw moment for each ``k``.
    """
    m = positive_int(m, "m")
    k = np.asarray(k, dtype=np.float64)
    return np.prod([k + 2 * j for j in range(m)], axis=0)


def relu_layer_ratio_moment(width: int, m: int, sigma_w2: float = 2.0) -> float:
    """``E r^m`` for one ReLU layer: ``(sigma_w^2 / N)^m E[K (K+2) ... (K+2m-2)]``, K ~ Bin(N, 1/2).

    Args:
        width: N, the layer's width (fan-in = fan-out = N).
        m: the moment's order.
        sigma_w2: the weight variance times the fan-in (2 for He initialization).

    Returns:
        The m-th moment of ``||relu(W x)||^2 / ||x||^2``.
    """
    n = positive_int(width, "width")
    sigma_w2 = positive(sigma_w2, "sigma_w2")
    k = np.arange(n + 1)
    weights = stats.binom.pmf(k, n, 0.5)
    return float((sigma_w2 / n) ** m * np.sum(weights * chi_square_rising_moment(k, m)))


def relu_norm_ratio_moment(width: int, depth: int, m: int, sigma_w2: float = 2.0) -> float:
    """``E (||x_L||^2 / ||x_0||^2)^m = (E r^m)^L`` for L ReLU layers of width N.

    Args:
        width: N.
        depth: L, the number of ReLU layers.
        m: the moment's order.
        sigma_w2: the weight variance times the fan-in.

    Returns:
        The m-th moment of the squared-norm ratio after L layers.
    """
    return relu_layer_ratio_moment(width, m, sigma_w2) ** positive_int(depth, "depth")


def he_relu_fourth_moment(width: int, depth: int) -> float:
    """``E ||x_L||^4 / ||x_0||^4 = (1 + 5/N)^L`` at He initialization (Hanin & Rolnick 2018).

    Args:
        width: N.
        depth: L.

    Returns:
        ``(1 + 5 / N)^L``.
    """
    return (1.0 + 5.0 / positive_int(width, "width")) ** positive_int(depth, "depth")


def relu_mean_square_ratio_moment(widths: tuple[int, ...], m: int, mode: str = "fan_in") -> float:
    """``E R^m`` for the per-unit mean square ``R = (||x_L||^2 / n_L) / (||x_0||^2 / n_0)``, He weights.

    Layer l maps width ``n_{l-1}`` to ``n_l`` with ``W_ij ~ N(0, 2 / fan)``, ``fan = n_{l-1}``
    (``mode="fan_in"``) or ``n_l`` (``"fan_out"``). Its mean-square ratio is
    ``(n_{l-1} / n_l) (2 / fan) chi^2_K``, ``K ~ Bin(n_l, 1/2)``, independent of the input, so
    ``E R^m`` is the product of the layers' moments. ``E R = 1`` with fan_in and
    ``n_0 / n_L`` with fan_out (He et al. 2015, Sec. 2.2: either mode avoids exponential growth,
    the product of the width ratios telescopes).

    Args:
        widths: ``(n_0, n_1, ..., n_L)``.
        m: the moment's order.
        mode: ``"fan_in"`` or ``"fan_out"``.

    Returns:
        The m-th moment of the per-unit mean-square ratio after L layers.
    """
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    sizes = [positive_int(n, "widths") for n in widths]
    if len(sizes) < 2:
        raise ValueError(f"widths must hold at least two widths, got {widths!r}")
    m = positive_int(m, "m")
    moment = 1.0
    for n_in, n_out in itertools.pairwise(sizes):
        fan = n_in if mode == "fan_in" else n_out
        k = np.arange(n_out + 1)
        chi = float(np.sum(stats.binom.pmf(k, n_out, 0.5) * chi_square_rising_moment(k, m)))
        moment *= (n_in / n_out * 2.0 / fan) ** m * chi
    return moment
