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

import numpy as np

from theory._domain import positive


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
