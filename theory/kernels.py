"""Infinite-width kernels of a two-layer ReLU network: the arc-cosine kernels and the NTK.

For ``w ~ N(0, I_d)`` and inputs ``x, y`` at angle ``theta``, Cho & Saul's arc-cosine kernels give
``E[relu(w.x)^n relu(w.y)^n] = ||x||^n ||y||^n J_n(theta) / (2 pi)`` with
``J_0 = pi - theta``, ``J_1 = sin theta + (pi - theta) cos theta``,
``J_2 = 3 sin theta cos theta + (pi - theta) (1 + 2 cos^2 theta)``; and
``E[1{w.x > 0} 1{w.y > 0}] = J_0 / (2 pi)``. The network
``f(x) = m^(-1/2) sum_r a_r relu(w_r . x)`` (NTK parametrization, ``a_r ~ N(0, 1)``) has the
empirical tangent kernel ``(1/m) sum_r T_r`` with i.i.d. terms
``T_r = a_r^2 1{w_r.x > 0} 1{w_r.y > 0} x.y + relu(w_r.x) relu(w_r.y)``, whose mean is the NTK

    Theta(x, y) = x.y J_0 / (2 pi) + ||x|| ||y|| J_1 / (2 pi)

at every width m (the limit of Jacot et al. is reached in mean exactly; the fluctuation is
``Var T / m``).

References: Cho & Saul (2009), "Kernel methods for deep learning", NeurIPS, eq. (6);
Jacot, Gabriel & Hongler (2018), "Neural tangent kernel", NeurIPS, arXiv:1806.07572, Thm. 1;
Arora et al. (2019), "On exact computation with an infinitely wide neural net", NeurIPS,
arXiv:1904.11955, Sec. 3 and Appendix E.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import stats

from theory._domain import positive, positive_int


def _angle(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    nx, ny = float(np.linalg.norm(x)), float(np.linalg.norm(y))
    positive(nx, "||x||")
    positive(ny, "||y||")
    cos = min(1.0, max(-1.0, float(np.dot(x, y)) / (nx * ny)))
    return math.acos(cos), nx, ny


def arccos_j(n: int, theta: float) -> float:
    """Cho & Saul's angular factor ``J_n(theta)`` for n = 0, 1, 2."""
    s, c = math.sin(theta), math.cos(theta)
    table = {
        0: math.pi - theta,
        1: s + (math.pi - theta) * c,
        2: 3 * s * c + (math.pi - theta) * (1 + 2 * c * c),
    }
    if n not in table:
        raise ValueError(f"n must be 0, 1 or 2, got {n!r}")
    return table[n]


def relu_ntk(x: np.ndarray, y: np.ndarray) -> float:
    """The NTK of a two-layer ReLU network: ``x.y J_0 / (2 pi) + ||x|| ||y|| J_1 / (2 pi)``.

    Args:
        x: an input (non-zero vector).
        y: another input of the same dimension.

    Returns:
        ``Theta(x, y)`` for ``w ~ N(0, I)``, ``a ~ N(0, 1)``, no biases.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    theta, nx, ny = _angle(x, y)
    return (float(x @ y) * arccos_j(0, theta) + nx * ny * arccos_j(1, theta)) / (2 * math.pi)


def relu_ntk_term_second_moment(x: np.ndarray, y: np.ndarray, a_fourth_moment: float = 3.0) -> float:
    """``E T^2`` for one neuron's term of the empirical NTK (sizes the statistical check).

    Formula: ``E a^4 (x.y)^2 J_0 / (2 pi) + 2 (x.y) ||x|| ||y|| J_1 / (2 pi)
    + ||x||^2 ||y||^2 J_2 / (2 pi)`` (``relu(u) > 0`` implies ``1{u > 0} = 1``; ``E a^2 = 1``).

    Args:
        x: an input.
        y: another input.
        a_fourth_moment: ``E a^4`` of the output weights (3 for N(0, 1)).

    Returns:
        The second moment of ``T``.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    theta, nx, ny = _angle(x, y)
    dot = float(x @ y)
    return (
        positive(a_fourth_moment, "a_fourth_moment") * dot**2 * arccos_j(0, theta)
        + 2 * dot * nx * ny * arccos_j(1, theta)
        + (nx * ny) ** 2 * arccos_j(2, theta)
    ) / (2 * math.pi)


def ntk_diagonal_cdf(width: int) -> Callable[[np.ndarray], np.ndarray]:
    """CDF of ``Theta_n(x, x) / Theta(x, x)`` for one hidden ReLU layer of width n (NTK parametrization).

    Formula: each neuron adds ``T_r = 1{u_r > 0} (a_r^2 + z_r^2) ||x||^2`` with ``u_r = w_r . x``,
    ``z_r = u_r / ||x||`` and ``a_r`` independent standard normals, and ``a^2 + z^2 ~ chi^2_2``
    (``z^2`` is chi^2_1 also given ``u > 0``). So ``Theta_n / ||x||^2 = Gamma(K, scale 2) / n``
    with ``K ~ Bin(n, 1/2)`` active neurons (``K = 0``: the point mass at 0), at every width:
    ``P(Theta_n / Theta <= t) = sum_k P(K = k) Gamma(k, scale 2).cdf(n t)``; mean 1, variance 3/n.

    Args:
        width: n, the hidden width.

    Returns:
        The CDF as a callable on arrays.
    """
    n = positive_int(width, "width")
    k = np.arange(1, n + 1)
    weights = stats.binom.pmf(k, n, 0.5)
    dead = float(stats.binom.pmf(0, n, 0.5))

    def cdf(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        values = stats.gamma.cdf(n * np.maximum(t, 0.0)[..., None], k, scale=2.0) @ weights
        return np.where(t >= 0, dead + values, 0.0)

    return cdf


def ntk_diagonal_relative_variance(width: int) -> float:
    """``Var Theta_n(x, x) / Theta(x, x)^2 = 3 / n``: ``E[B E^2] - 1 = 8 / 2 - 1`` per neuron."""
    return 3.0 / positive_int(width, "width")
