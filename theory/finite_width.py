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
import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy import special, stats

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


def _log_chi_square_raw_moments(k: np.ndarray) -> np.ndarray:
    """Raw moments 1..4 of ``log chi^2_k`` for each ``k >= 1``, from its cumulants.

    ``log chi^2_k = log 2 + log G``, ``G ~ Gamma(k/2)``: ``kappa_1 = log 2 + psi(k/2)``,
    ``kappa_j = psi^(j-1)(k/2)`` for ``j >= 2``.
    """
    half = k / 2.0
    k1 = np.log(2.0) + special.digamma(half)
    k2, k3, k4 = (special.polygamma(j, half) for j in (1, 2, 3))
    m2 = k2 + k1**2
    m3 = k3 + 3 * k2 * k1 + k1**3
    m4 = k4 + 4 * k3 * k1 + 3 * k2**2 + 6 * k2 * k1**2 + k1**4
    return np.stack([k1, m2, m3, m4])


def relu_log_ratio_cumulants(width: int, sigma_w2: float = 2.0) -> tuple[float, float, float, float]:
    """Cumulants 1..4 of ``log r`` for one ReLU layer, given ``K >= 1`` (``r > 0``).

    Formula: ``log r = log(sigma_w^2 / N) + log chi^2_K`` with ``K ~ Bin(N, 1/2)`` conditioned on
    ``K >= 1`` (``r = 0``, the whole layer dead, has probability ``2^-N``); the mixture's raw
    moments are the binomial average of :func:`_log_chi_square_raw_moments`, shifted by the
    constant. Large N: ``kappa_1 = -5/(2N) + O(N^-2)``, ``kappa_2 = 5/N + O(N^-2)``.

    Args:
        width: N.
        sigma_w2: the weight variance times the fan-in (2 for He).

    Returns:
        ``(kappa_1, kappa_2, kappa_3, kappa_4)`` of ``log r | r > 0``.

    References:
        Hanin & Nica (2019), arXiv:1812.05994, Sec. 1 and eq. (1.3) (log-normality of ``||x_L||``).
    """
    n = positive_int(width, "width")
    sigma_w2 = positive(sigma_w2, "sigma_w2")
    k = np.arange(1, n + 1)
    weights = stats.binom.pmf(k, n, 0.5)
    weights = weights / weights.sum()
    raw = _log_chi_square_raw_moments(k.astype(np.float64)) @ weights
    mean = float(raw[0])
    c2 = float(raw[1] - mean**2)
    c3 = float(raw[2] - 3 * mean * raw[1] + 2 * mean**3)
    c4 = float(raw[3] - 4 * mean * raw[2] + 6 * mean**2 * raw[1] - 3 * mean**4)
    return mean + math.log(sigma_w2 / n), c2, c3, c4 - 3 * c2**2


class LogNormMoments(NamedTuple):
    """Mean, variance and (non-excess) kurtosis of ``log(||x_L||^2 / ||x_0||^2)`` given ``x_L != 0``."""

    mean: float
    variance: float
    kurtosis: float


def relu_log_norm_moments(width: int, depth: int, sigma_w2: float = 2.0) -> LogNormMoments:
    """Exact moments of ``log R_L = sum_l log r_l`` at finite width: cumulants add over layers.

    Formula: ``mean = L kappa_1``, ``variance = L kappa_2``, ``kurtosis = 3 + kappa_4 / (L kappa_2^2)``
    with the one-layer cumulants of :func:`relu_log_ratio_cumulants` (the ratios are i.i.d.).
    As ``N -> inf``: mean ``-5 L / (2N)``, variance ``5 L / N`` (so ``log ||x_L||`` has mean
    ``-5L/(4N)`` and variance ``5L/(4N)``, Hanin & Nica 2019).

    Args:
        width: N.
        depth: L.
        sigma_w2: the weight variance times the fan-in.

    Returns:
        :class:`LogNormMoments`, conditioned on ``x_L != 0`` (probability ``(1 - 2^-N)^L``).
    """
    layers = positive_int(depth, "depth")
    k1, k2, _, k4 = relu_log_ratio_cumulants(width, sigma_w2)
    return LogNormMoments(layers * k1, layers * k2, 3.0 + k4 / (layers * k2**2))


def relu_log_ratio_pdf(y: np.ndarray, width: int, sigma_w2: float = 2.0) -> np.ndarray:
    """Density of ``log r | r > 0`` for one ReLU layer: a binomial mixture of log-chi-square laws.

    Formula: ``p(y) = sum_{k >= 1} P(K = k | K >= 1) f_k(e^y / c) e^y / c``, ``c = sigma_w^2 / N``,
    ``f_k`` the chi-square density with ``k`` degrees of freedom.
    """
    n = positive_int(width, "width")
    scale = positive(sigma_w2, "sigma_w2") / n
    k = np.arange(1, n + 1)
    weights = stats.binom.pmf(k, n, 0.5)
    weights = weights / weights.sum()
    y = np.asarray(y, dtype=np.float64)
    t = np.exp(y) / scale
    logpdf = stats.chi2.logpdf(t[..., None], k) + np.log(t)[..., None]
    return np.exp(logpdf) @ weights


def relu_log_norm_cdf(
    width: int, depth: int, sigma_w2: float = 2.0, points: int = 1 << 14
) -> Callable[[np.ndarray], np.ndarray]:
    """CDF of ``log R_L | x_L != 0`` by convolving the one-layer density ``L`` times on a grid.

    The grid spans the one-layer mean ``-40`` to ``+12`` standard deviations (the left tail of
    ``log chi^2_1`` is the long one) with ``points`` points; the convolution runs by FFT and the
    CDF is the cumulative trapezoid of the result, renormalized to 1.

    Args:
        width: N.
        depth: L.
        sigma_w2: the weight variance times the fan-in.
        points: grid points of the one-layer density.

    Returns:
        A callable CDF (linear interpolation on the grid; 0 and 1 outside it).
    """
    layers = positive_int(depth, "depth")
    if positive_int(points, "points") < 16:
        raise ValueError(f"points must be >= 16, got {points}")
    k1, k2, _, _ = relu_log_ratio_cumulants(width, sigma_w2)
    sd = math.sqrt(k2)
    low, high = k1 - 40 * sd, k1 + 12 * sd
    y, dy = np.linspace(low, high, points, retstep=True)
    density = relu_log_ratio_pdf(y, width, sigma_w2)
    size = layers * (points - 1) + 1
    spectrum = np.fft.rfft(density, 2 * size) ** layers
    total = np.fft.irfft(spectrum, 2 * size)[:size] * dy ** (layers - 1)
    grid = layers * low + dy * np.arange(size)
    cdf = np.concatenate([[0.0], np.cumsum((total[1:] + total[:-1]) / 2) * dy])
    cdf = np.clip(cdf / cdf[-1], 0.0, 1.0)

    def interpolated(x: np.ndarray) -> np.ndarray:
        return np.interp(x, grid, cdf, left=0.0, right=1.0)

    return interpolated


def relu_log_norm_normal_distance(width: int, depth: int, sigma_w2: float = 2.0) -> float:
    """Kolmogorov distance between ``log R_L | x_L != 0`` and the normal law of its mean and variance.

    The asymptotic normality of Hanin & Nica (2019): the distance tends to 0 as ``N -> inf``
    (each ``log r_l`` becomes normal) and as ``L -> inf`` (Berry-Esseen). Computed on the grid of
    :func:`relu_log_norm_cdf`, at the grid points.
    """
    moments = relu_log_norm_moments(width, depth, sigma_w2)
    cdf = relu_log_norm_cdf(width, depth, sigma_w2)
    sd = math.sqrt(moments.variance)
    x = moments.mean + sd * np.linspace(-8, 8, 20001)
    return float(np.max(np.abs(cdf(x) - stats.norm.cdf(x, moments.mean, sd))))
