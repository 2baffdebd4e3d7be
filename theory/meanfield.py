"""Mean-field signal propagation in deep random networks.

Setup: ``h^l = W^l phi(h^{l-1}) + b^l`` with ``W_ij ~ N(0, sigma_w^2 / N)``, ``b_i ~ N(0, sigma_b^2)``,
``N -> infinity``. Here ``sigma_w2`` and ``sigma_b2`` are the *variances* sigma_w^2, sigma_b^2.

References: Poole et al. (2016), arXiv:1606.05340, eq. (3); Schoenholz et al. (2017),
arXiv:1611.01232, Sec. 2, 3 and 5; ``theory_claims.md`` S5.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from theory._domain import non_negative, positive, positive_int, real
from theory.activations import activation
from theory.gaussian import bivariate_expectation, expectation


def _second_moment(phi: str, q: float) -> float:
    f = activation(phi).f
    return expectation(lambda x: float(f(np.asarray(x))) ** 2, q)


def length_map(q: float, sigma_w2: float, sigma_b2: float, phi: str) -> float:
    """``q^l = sigma_w^2 E[phi(sqrt(q^{l-1}) z)^2] + sigma_b^2`` (Poole et al. eq. (3)).

    Args:
        q: the previous layer's pre-activation variance, ``>= 0``.
        sigma_w2: weight variance times fan-in, ``>= 0``.
        sigma_b2: bias variance, ``>= 0``.
        phi: activation name (``theory.activations``).

    Returns:
        The next layer's pre-activation variance.
    """
    q, sw, sb = non_negative(q, "q"), non_negative(sigma_w2, "sigma_w2"), non_negative(sigma_b2, "sigma_b2")
    return sw * _second_moment(phi, q) + sb


def propagate(q0: float, sigma_w2: float, sigma_b2: float, phi: str, depth: int) -> list[float]:
    """``[q^1, ..., q^depth]``: the length map iterated from the input's second moment ``q0``.

    Convention: layer 1 sees the raw input (no activation), so ``q^1 = sigma_w^2 q0 +
    sigma_b^2``; later layers apply :func:`length_map`.
    """
    depth = positive_int(depth, "depth")
    qs = [non_negative(sigma_w2, "sigma_w2") * non_negative(q0, "q0") + non_negative(sigma_b2, "sigma_b2")]
    for _ in range(depth - 1):
        qs.append(length_map(qs[-1], sigma_w2, sigma_b2, phi))
    return qs


def post_activation_moments(q: float, phi: str) -> tuple[float, float]:
    """``(E phi(sqrt q z), E phi(sqrt q z)^2)`` of one layer's activations."""
    f = activation(phi).f
    first = expectation(lambda x: float(f(np.asarray(x))), q)
    return first, _second_moment(phi, q)


def fixed_point(sigma_w2: float, sigma_b2: float, phi: str, q0: float = 1.0) -> float:
    """The fixed point ``q*`` of the length map reached from ``q0``.

    Iterates the map (geometric convergence away from criticality) and polishes with ``brentq``
    on ``length_map(q) - q``. Returns 0 when the iteration collapses to 0 (sigma_b = 0, ordered).

    Raises:
        ValueError: the iteration diverges (ReLU-like activations with ``sigma_w^2 > 2``: their
            second moment grows like ``q / 2``).
    """
    q = positive(q0, "q0")
    for _ in range(5000):
        nxt = length_map(q, sigma_w2, sigma_b2, phi)
        if nxt > 1e12:
            raise ValueError(
                f"the length map of {phi} diverges from q0={q0} at sigma_w2={sigma_w2}, "
                f"sigma_b2={sigma_b2}: no finite fixed point is reached"
            )
        if abs(nxt - q) <= 1e-13 * max(1.0, q):
            q = nxt
            break
        q = nxt
    if q < 1e-10:
        return 0.0
    g = lambda x: length_map(x, sigma_w2, sigma_b2, phi) - x  # noqa: E731
    low, high = q * 0.9, q * 1.1
    if g(low) * g(high) < 0:
        return float(optimize.brentq(g, low, high, xtol=1e-15, rtol=1e-14))
    return float(q)


def chi1(sigma_w2: float, q: float, phi: str) -> float:
    """``chi_1 = sigma_w^2 E[phi'(sqrt(q) z)^2]``: the per-layer factor of gradient second moments.

    chi_1 < 1 ordered (vanishing gradients), > 1 chaotic (exploding), = 1 the edge of chaos.
    """
    df = activation(phi).df
    return non_negative(sigma_w2, "sigma_w2") * expectation(
        lambda x: float(df(np.asarray(x))) ** 2, non_negative(q, "q")
    )


def length_map_slope(sigma_w2: float, q: float, phi: str) -> float:
    """``d q^l / d q^{l-1}`` at ``q``: ``sigma_w^2 E[phi(u) phi'(u) z] / sqrt(q)``, ``u = sqrt(q) z``.

    By Stein's lemma this equals ``chi_1 + sigma_w^2 E[phi'' phi]`` (Schoenholz et al. Sec. 3).
    """
    q = positive(q, "q")
    act = activation(phi)
    root = math.sqrt(q)

    def integrand(x: float) -> float:
        u = np.asarray(x)
        return float(act.f(u) * act.df(u)) * (x / root)

    return non_negative(sigma_w2, "sigma_w2") * expectation(integrand, q) / root


def depth_scale_q(sigma_w2: float, sigma_b2: float, phi: str) -> float:
    """``xi_q = -1 / log(slope of the length map at q*)``: |q^l - q*| ~ exp(-l / xi_q)."""
    q_star = fixed_point(sigma_w2, sigma_b2, phi)
    return -1.0 / math.log(length_map_slope(sigma_w2, q_star, phi))


def correlation_map(c: float, q_star: float, sigma_w2: float, sigma_b2: float, phi: str) -> float:
    """``c^l = (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / q*`` for inputs at correlation ``c``."""
    f = activation(phi).f
    joint = bivariate_expectation(lambda a, b: f(a) * f(b), q_star, q_star, c)
    return (sigma_w2 * joint + sigma_b2) / q_star


def correlation_fixed_point(sigma_w2: float, sigma_b2: float, phi: str) -> float:
    """``c*``: 1 in the ordered phase (chi_1 <= 1), the smaller fixed point in the chaotic one."""
    q_star = fixed_point(sigma_w2, sigma_b2, phi)
    if chi1(sigma_w2, q_star, phi) <= 1.0:
        return 1.0
    c = 0.0 if sigma_b2 == 0 else 0.5
    for _ in range(20000):
        nxt = correlation_map(c, q_star, sigma_w2, sigma_b2, phi)
        if abs(nxt - c) < 1e-14:
            return float(nxt)
        c = nxt
    return float(c)


def depth_scale_c(sigma_w2: float, sigma_b2: float, phi: str) -> float:
    """``xi_c = -1 / log(sigma_w^2 E[phi'(u1) phi'(u2)])`` at ``c*``; ``-1/log chi_1`` when ordered."""
    q_star = fixed_point(sigma_w2, sigma_b2, phi)
    c_star = correlation_fixed_point(sigma_w2, sigma_b2, phi)
    df = activation(phi).df
    slope = sigma_w2 * bivariate_expectation(lambda a, b: df(a) * df(b), q_star, q_star, c_star)
    return -1.0 / math.log(slope)


def critical_sigma_w(sigma_b: float, phi: str = "tanh") -> float:
    """The sigma_w on the order-to-chaos line (chi_1 = 1) for bias std ``sigma_b`` (brentq).

    For tanh: 1 exactly at sigma_b = 0 (q* = 0, chi_1 = sigma_w^2 phi'(0)^2); 1.122539 at 0.05.
    GELU and SiLU are delegated to :func:`theory.edge_of_chaos.critical_sigma_w2`: the bracket
    used for tanh fails for them (for sigma_w^2 > 2 their length map has no fixed point, and for
    small sigma_b the stable fixed point disappears before chi_1 reaches 1; their q* = 0 at
    sigma_b = 0 is unstable), so their curve is computed by parametrizing it with q*.

    Raises:
        ValueError: for GELU/SiLU, ``sigma_b`` below the stable part of the curve.
    """
    sigma_b = non_negative(sigma_b, "sigma_b")
    if phi in ("gelu", "silu"):
        from theory.edge_of_chaos import critical_sigma_w2

        return math.sqrt(critical_sigma_w2(sigma_b**2, phi)[0])
    if sigma_b == 0:
        slope0 = float(activation(phi).df(np.asarray(0.0)))
        return 1.0 / abs(slope0)

    def excess(sigma_w: float) -> float:
        q_star = fixed_point(sigma_w**2, sigma_b**2, phi)
        return chi1(sigma_w**2, q_star, phi) - 1.0

    return float(optimize.brentq(excess, 0.5, 4.0, xtol=1e-12))


RELU_CRITICAL_SIGMA_W2 = 2.0
"""ReLU: ``q^l = sigma_w^2 q^{l-1} / 2 + sigma_b^2`` and chi_1 = sigma_w^2 / 2, critical at 2 (He)."""


def relu_correlation_map(c: float) -> float:
    """Degree-1 arc-cosine kernel at criticality: ``c -> (sqrt(1 - c^2) + (pi - arccos c) c) / pi``.

    References:
        Cho & Saul (2009); ``theory_claims.md`` S5 (ReLU).
    """
    c = real(c, "c")
    if not -1.0 <= c <= 1.0:
        raise ValueError(f"c must be in [-1, 1], got {c}")
    return (math.sqrt(1.0 - c * c) + (math.pi - math.acos(c)) * c) / math.pi


RELU_CORRELATION_ASYMPTOTE = 9 * math.pi**2 / 2
"""``1 - c^l ~ 9 pi^2 / (2 l^2) = 44.413 / l^2`` for ReLU at criticality (polynomial approach)."""


def gradient_second_moments(qs: list[float], sigma_w2: float, phi: str, top: float = 1.0) -> list[float]:
    """Mean-field ``E[delta_l^2]`` for layers 1..L from the top: ``E delta_l^2 = chi(q_l) E delta_{l+1}^2``.

    Args:
        qs: pre-activation variances ``q^1..q^L``.
        sigma_w2: weight variance times width (equal widths).
        phi: activation.
        top: ``E[(dLoss/da_L)^2]``.

    Returns:
        ``E[(dLoss/dh_l)^2]`` for l = 1..L (with ``phi`` applied at every layer).
    """
    out = [top * chi1(1.0, qs[-1], phi)]
    for q in reversed(qs[:-1]):
        out.append(out[-1] * chi1(sigma_w2, q, phi))
    return out[::-1]
