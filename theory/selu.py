"""Self-normalizing networks: SELU's constants and the stable fixed point of its moment map.

References: Klambauer, Unterthiner, Mayr & Hochreiter (2017), arXiv:1706.02515, Sec. 3 and the
appendix (Theorem 1); ``theory_claims.md`` S4.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from theory._domain import non_negative, positive, real
from theory.gaussian import expectation


def selu_constants_closed_form() -> tuple[float, float]:
    """``(alpha_01, lambda_01)`` in closed form from the Gaussian integrals.

    Formula: ``alpha = (1/sqrt(2 pi)) / (1/2 - e^{1/2} Phi(-1))``,
    ``lambda = [1/2 + alpha^2 (e^2 Phi(-2) - 2 e^{1/2} Phi(-1) + 1/2)]^{-1/2}``.
    """
    phi1, phi2 = stats.norm.cdf(-1.0), stats.norm.cdf(-2.0)
    alpha = (1 / math.sqrt(2 * math.pi)) / (0.5 - math.exp(0.5) * phi1)
    lam = (0.5 + alpha**2 * (math.exp(2) * phi2 - 2 * math.exp(0.5) * phi1 + 0.5)) ** -0.5
    return float(alpha), float(lam)


def _selu(alpha: float, lam: float):
    return lambda x: lam * (x if x > 0 else alpha * math.expm1(x))


def selu_constants_solved() -> tuple[float, float]:
    """``(alpha, lambda)`` solving ``E selu(z) = 0`` and ``E selu(z)^2 = 1`` numerically.

    Solved with ``scipy.optimize.fsolve`` on quadrature moments, independently of the closed form.
    """

    def equations(v: np.ndarray) -> list[float]:
        f = _selu(float(v[0]), float(v[1]))
        return [expectation(f), expectation(lambda x: f(x) ** 2) - 1.0]

    solution = optimize.fsolve(equations, [1.5, 1.0], xtol=1e-12)
    return float(solution[0]), float(solution[1])


def moment_map(
    mean: float, second: float, alpha: float, lam: float, omega: float = 0.0, tau: float = 1.0
) -> tuple[float, float]:
    """Klambauer et al.'s map ``(mu, nu) -> (mu~, nu~)`` of a SELU layer.

    Formula: pre-activation ``z ~ N(mu omega, nu tau)``; ``mu~ = E selu(z)``,
    ``nu~ = E selu(z)^2 - mu~^2``.

    Args:
        mean: ``mu``, mean of the previous layer's activations.
        second: ``nu``, their variance, ``> 0``.
        alpha: SELU's alpha.
        lam: SELU's lambda.
        omega: ``sum_i w_i`` (0 for normalized weights).
        tau: ``sum_i w_i^2`` (1 for normalized weights).

    Returns:
        ``(mu~, nu~)``.
    """
    f = _selu(real(alpha, "alpha"), real(lam, "lam"))
    m = real(mean, "mean") * real(omega, "omega")
    v = positive(second, "second") * non_negative(tau, "tau")
    first = expectation(f, v, m)
    return first, expectation(lambda x: f(x) ** 2, v, m) - first**2


def moment_map_jacobian(alpha: float, lam: float, step: float = 1e-5) -> np.ndarray:
    """Jacobian of :func:`moment_map` at ``(mu, nu) = (0, 1)``, ``omega = 0``, ``tau = 1``.

    Central differences on the quadrature map (step 1e-5; error O(step^2) ~ 1e-10 plus
    quadrature error / step ~ 1e-7). Klambauer et al. report spectral norm 0.7877 < 1: a
    contraction, hence a stable attracting fixed point.
    """
    jac = np.empty((2, 2))
    for column, (dm, dv) in enumerate(((step, 0.0), (0.0, step))):
        plus = moment_map(dm, 1.0 + dv, alpha, lam)
        minus = moment_map(-dm, 1.0 - dv, alpha, lam)
        jac[:, column] = (np.array(plus) - np.array(minus)) / (2 * step)
    return jac


def selu_chi1() -> float:
    """``E[selu'(z)^2]`` at the fixed point = 1.0716 > 1: mildly chaotic in mean field (S4.3)."""
    alpha, lam = selu_constants_closed_form()
    return expectation(lambda x: (lam if x > 0 else lam * alpha * math.exp(x)) ** 2)
