"""Edges of chaos beyond tanh and ReLU: erf in closed form, GELU/SiLU critical curves, dropout.

Mean field (``theory.meanfield``): ``q^l = sigma_w^2 E[phi(sqrt(q^{l-1}) z)^2] + sigma_b^2``,
``chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]``; here ``sigma_w2``, ``sigma_b2`` are variances.

- **erf**: Williams' arcsine kernel ``E[erf(u1) erf(u2)] = (2/pi) arcsin(2 q12 / sqrt((1 + 2 q11)
  (1 + 2 q22)))`` gives the length map ``q -> sigma_w^2 (2/pi) arcsin(2q / (1 + 2q)) +
  sigma_b^2`` and ``chi_1 = sigma_w^2 (4/pi) / sqrt(1 + 4 q*)`` in closed form (``E erf'(sqrt q
  z)^2 = (4/pi) E exp(-2 q z^2)``); at ``sigma_b = 0`` the edge is ``sigma_w^2 = pi / 4``.
- **GELU/SiLU** (smooth ReLU-like): the curve ``chi_1 = 1`` at the fixed point, parametrized by
  ``q*``: ``sigma_w^2(q) = 1 / E phi'(sqrt q z)^2``, ``sigma_b^2(q) = q - sigma_w^2(q) E
  phi(sqrt q z)^2`` (Hayou, Doucet & Rousseau 2019, Sec. 3). Only the part of the curve where
  the fixed point is *stable* (the length map's slope ``chi_1 + sigma_w^2 E[phi'' phi] < 1``)
  is reached by a network; below a threshold bias the fixed point on the curve is unstable
  (GELU: sigma_b^2 >= 0.1729, q* >= 3.56; SiLU: sigma_b^2 >= 0.5551, q* >= 14.3; see
  :func:`stable_curve_threshold`). On the curve sigma_w^2 stays in [1.95, 2].
- **dropout** (Schoenholz et al. 2017, Sec. 6): keeping each input of a layer with probability
  ``rho`` and scaling by ``1/rho`` multiplies the diagonal term only:
  ``q_aa = (sigma_w^2 / rho) E phi^2 + sigma_b^2`` but ``q_ab = sigma_w^2 E[phi(u_a) phi(u_b)] +
  sigma_b^2``, so ``c = 1`` is no longer a fixed point of the correlation map for ``rho < 1``:
  two copies of one input decorrelate to ``c* < 1`` at every ``(sigma_w, sigma_b)``, and there is
  no order-to-chaos critical point (the depth scale ``xi_c`` stays finite).

References: Williams (1997), "Computing with infinite networks", NeurIPS, eq. (11); Poole et al.
(2016), arXiv:1606.05340; Hayou, Doucet & Rousseau (2019), ICML, arXiv:1902.06853, Sec. 3 and
Fig. 2; Schoenholz et al. (2017), arXiv:1611.01232, Sec. 6, eqs. (12)-(13).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from theory._domain import non_negative, positive, real, unit_interval
from theory.activations import activation
from theory.gaussian import bivariate_expectation, expectation
from theory.meanfield import fixed_point, length_map_slope

# --------------------------------------------------------------------------------------------
# erf: closed forms
# --------------------------------------------------------------------------------------------


def erf_kernel(q11: float, q22: float, q12: float) -> float:
    """``E[erf(u1) erf(u2)] = (2/pi) arcsin(2 q12 / sqrt((1 + 2 q11)(1 + 2 q22)))``, centred Gaussian pair.

    References:
        Williams (1997), eq. (11) (with ``Sigma = diag(0, 1, 1)`` scaling: no bias input).
    """
    q11, q22, q12 = non_negative(q11, "q11"), non_negative(q22, "q22"), real(q12, "q12")
    if q12 * q12 > q11 * q22 * (1 + 1e-12):
        raise ValueError(f"q12 must satisfy q12^2 <= q11 q22, got {q12}")
    ratio = 2 * q12 / math.sqrt((1 + 2 * q11) * (1 + 2 * q22))
    return 2 / math.pi * math.asin(max(-1.0, min(1.0, ratio)))


def erf_length_map(q: float, sigma_w2: float, sigma_b2: float) -> float:
    """``sigma_w^2 (2/pi) arcsin(2q / (1 + 2q)) + sigma_b^2``."""
    q = non_negative(q, "q")
    return non_negative(sigma_w2, "sigma_w2") * erf_kernel(q, q, q) + non_negative(sigma_b2, "sigma_b2")


def erf_chi1(sigma_w2: float, q: float) -> float:
    """``chi_1 = sigma_w^2 (4/pi) / sqrt(1 + 4q)`` (``erf' = (2/sqrt pi) exp(-x^2)``)."""
    return non_negative(sigma_w2, "sigma_w2") * 4 / math.pi / math.sqrt(1 + 4 * non_negative(q, "q"))


def erf_fixed_point(sigma_w2: float, sigma_b2: float) -> float:
    """``q*`` of the erf length map (a root of ``erf_length_map(q) - q``; 0 when sigma_b = 0 and
    ``sigma_w^2 <= pi/4``). The map is concave and bounded by ``sigma_w^2 + sigma_b^2``."""
    sw, sb = non_negative(sigma_w2, "sigma_w2"), non_negative(sigma_b2, "sigma_b2")
    excess = lambda q: erf_length_map(q, sw, sb) - q  # noqa: E731
    high = sw + sb + 1.0
    if sb == 0:
        if sw * 4 / math.pi <= 1:
            return 0.0
        return float(optimize.brentq(excess, 1e-12, high, xtol=1e-15, rtol=1e-14))
    return float(optimize.brentq(excess, 0.0, high, xtol=1e-15, rtol=1e-14))


def erf_critical_sigma_w2(sigma_b2: float) -> float:
    """``sigma_w^2`` with ``chi_1(q*) = 1`` for bias variance ``sigma_b2`` (``pi/4`` at 0).

    Formula: on the edge ``sigma_w^2 = (pi/4) sqrt(1 + 4q)``, so ``q`` solves
    ``q = (pi/4) sqrt(1 + 4q) (2/pi) arcsin(2q / (1 + 2q)) + sigma_b^2`` (brentq in q).
    """
    sb = non_negative(sigma_b2, "sigma_b2")
    if sb == 0:
        return math.pi / 4

    def excess(q: float) -> float:
        return math.pi / 4 * math.sqrt(1 + 4 * q) * erf_kernel(q, q, q) + sb - q

    q = optimize.brentq(excess, 1e-15, 1e6, xtol=1e-15, rtol=1e-14)
    return math.pi / 4 * math.sqrt(1 + 4 * q)


# --------------------------------------------------------------------------------------------
# GELU / SiLU: the critical curve
# --------------------------------------------------------------------------------------------

SMOOTH_RELU = ("gelu", "silu")
"""The ReLU-like activations whose critical curve :func:`critical_point_at` computes."""


def _smooth_relu(phi: str) -> str:
    if phi not in SMOOTH_RELU:
        raise ValueError(f"phi must be one of {SMOOTH_RELU}, got {phi!r}")
    return phi


def critical_point_at(q: float, phi: str) -> tuple[float, float]:
    """``(sigma_w^2, sigma_b^2)`` of the critical point whose fixed point is ``q``.

    Formula: ``sigma_w^2 = 1 / E phi'(sqrt q z)^2`` (chi_1 = 1) and ``sigma_b^2 = q - sigma_w^2
    E phi(sqrt q z)^2`` (q is the fixed point). ``sigma_b^2 < 0`` means no critical point has
    this q.
    """
    q, phi = positive(q, "q"), _smooth_relu(phi)
    act = activation(phi)
    d2 = expectation(lambda x: float(act.df(np.asarray(x))) ** 2, q)
    f2 = expectation(lambda x: float(act.f(np.asarray(x))) ** 2, q)
    sigma_w2 = 1.0 / d2
    return sigma_w2, q - sigma_w2 * f2


def fixed_point_slope(q: float, phi: str) -> float:
    """The length map's slope at the critical point of fixed point ``q`` (< 1: stable)."""
    sigma_w2, _ = critical_point_at(q, phi)
    return length_map_slope(sigma_w2, q, phi)


def stable_curve_threshold(phi: str) -> float:
    """The smallest ``q*`` on the curve whose fixed point is stable (slope 1, brentq in log q)."""
    phi = _smooth_relu(phi)
    g = lambda log_q: fixed_point_slope(math.exp(log_q), phi) - 1.0  # noqa: E731
    return math.exp(optimize.brentq(g, math.log(1.0), math.log(50.0), xtol=1e-10))


def critical_sigma_w2(sigma_b2: float, phi: str) -> tuple[float, float]:
    """``(sigma_w^2, q*)`` on the critical curve of GELU/SiLU for bias variance ``sigma_b2``.

    Root of ``sigma_b^2(q) = sigma_b2`` (:func:`critical_point_at`, increasing in q) on the
    stable part of the curve, ``q >= stable_curve_threshold(phi)``.

    Raises:
        ValueError: ``sigma_b2`` is below the stable part of the curve (the critical fixed point
            exists but is unstable: a network does not stay at it), or above 10.
    """
    phi, sb = _smooth_relu(phi), non_negative(sigma_b2, "sigma_b2")
    q_low = stable_curve_threshold(phi)
    low = critical_point_at(q_low, phi)[1]
    if not low <= sb <= 10:
        raise ValueError(
            f"sigma_b2 must be in [{low:.6g}, 10] for {phi} (below, the critical fixed point is unstable), "
            f"got {sb}"
        )
    q = optimize.brentq(lambda x: critical_point_at(x, phi)[1] - sb, q_low, 1e3, xtol=1e-12, rtol=1e-13)
    return critical_point_at(q, phi)[0], float(q)


# --------------------------------------------------------------------------------------------
# Dropout: no critical point
# --------------------------------------------------------------------------------------------


def dropout_fixed_point(sigma_w2: float, sigma_b2: float, keep: float, phi: str = "tanh") -> float:
    """``q*`` of ``q -> (sigma_w^2 / rho) E phi(sqrt q z)^2 + sigma_b^2`` (iterated, then brentq)."""
    rho = unit_interval(keep, "keep", closed_right=True)
    if rho == 0:
        raise ValueError("keep must be > 0")
    return fixed_point(non_negative(sigma_w2, "sigma_w2") / rho, sigma_b2, phi)


def dropout_correlation_map(
    c: float, q_star: float, sigma_w2: float, sigma_b2: float, keep: float, phi: str = "tanh"
) -> float:
    """``c -> (sigma_w^2 E[phi(u_a) phi(u_b)] + sigma_b^2) / q*``, ``u`` at variance q*, correlation c.

    With ``q*`` the dropout fixed point, ``c = 1`` maps to ``(q* - sigma_w^2 (1/rho - 1) E phi^2)
    / q* < 1`` for ``rho < 1``: dropout's masks are independent between the two inputs.
    """
    unit_interval(keep, "keep", closed_right=True)
    f = activation(phi).f
    c = real(c, "c")
    if abs(c) > 1 + 1e-9:
        raise ValueError(f"c must be in [-1, 1], got {c}")
    joint = bivariate_expectation(lambda a, b: f(a) * f(b), q_star, q_star, max(-1.0, min(1.0, c)))
    return (non_negative(sigma_w2, "sigma_w2") * joint + non_negative(sigma_b2, "sigma_b2")) / positive(
        q_star, "q_star"
    )


def dropout_correlations(
    sigma_w2: float, sigma_b2: float, keep: float, depth: int, phi: str = "tanh", c0: float = 1.0
) -> list[float]:
    """``[c^1, ..., c^depth]`` from ``c0`` at the fixed point ``q*`` (the correlation map iterated)."""
    q_star = dropout_fixed_point(sigma_w2, sigma_b2, keep, phi)
    cs, c = [], real(c0, "c0")
    for _ in range(depth):
        c = dropout_correlation_map(c, q_star, sigma_w2, sigma_b2, keep, phi)
        cs.append(c)
    return cs
