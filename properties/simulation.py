"""Finite-width simulations of deep networks built with ``impls``, and the tolerance of a
mean-field comparison derived from the finite-size correction.

Tolerance derivation (an approximation, stated): at width N, given layer l-1, the N
pre-activations of layer l are iid N(0, s^2) (Gaussian weights) or nearly so (CLT), and
``q^_l`` (their mean square) estimates ``s^2`` with relative variance 2/N, while ``s^2`` itself
is ``sigma_w^2`` times the mean of ``phi(h_{l-1})^2`` over N units, relative variance
``kappa_{l-1} / N`` with ``kappa = Var(phi(sqrt q z)^2) / (E phi(sqrt q z)^2)^2`` from theory.
Errors of log q^ add from layer to layer with a slope of at most 1 (the log length map is
contracting for tanh and exactly linear for ReLU and linear nets), so
``Var log q^_l <= sum_{j<=l} (2 + kappa_j) / N_j``; averaging S independent networks divides
it by S, and the second-order (Jensen) bias is at most the same sum. The check accepts
``|log mean q^_l - log q_l| <= z sqrt(sum / S) + sum`` with z the normal quantile of the
declared false-fail rate split over the layers compared. Gradient second moments accumulate the
forward sum plus the same terms for ``phi'^2`` from the top.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

import impls
from properties.decide import DEFAULT_FALSE_FAIL
from theory import activations as theory_act

THEORY_NAMES = {"leaky_relu": "leaky_relu(0.01)"}


@dataclass(frozen=True)
class Propagation:
    """Per-layer mean squares, averaged over units, batch and networks, and their spread."""

    pre: np.ndarray  # (seeds, depth): mean h_l^2
    post_mean: np.ndarray  # (seeds, depth): mean a_l
    post_var: np.ndarray  # (seeds, depth): variance of a_l over units and batch
    grad: np.ndarray  # (seeds, depth): mean (dLoss/dh_l)^2 for a N(0, 1) top gradient


def simulate(
    widths: list[int],
    sigma_w2: float,
    activation: str,
    *,
    sigma_b2: float = 0.0,
    input_mean: float = 0.0,
    input_var: float = 1.0,
    batch: int = 64,
    seeds: int = 4,
    seed: int = 0,
    weights: str = "normal",
) -> Propagation:
    """Run ``seeds`` independent networks of the given widths built with ``impls`` initializers.

    Weights: ``variance_scaling(scale=sigma_w2, mode="fan_in", distribution="normal")`` (or
    ``"truncated_normal"``/``"uniform"``, or ``"orthogonal"`` scaled by sqrt(sigma_w2));
    biases N(0, sigma_b2) by ``impls.normal``. The activation is applied at every layer.
    """
    rng = np.random.default_rng(seed)
    depth = len(widths) - 1
    out = {k: np.empty((seeds, depth)) for k in ("pre", "post_mean", "post_var", "grad")}
    for s in range(seeds):
        if weights == "orthogonal":

            def weight_init(shape, rng, dtype):
                return impls.orthogonal(shape, math.sqrt(sigma_w2), rng=rng, dtype=dtype)
        else:

            def weight_init(shape, rng, dtype):
                return impls.variance_scaling(shape, sigma_w2, "fan_in", weights, rng=rng, dtype=dtype)

        def bias_init(shape, rng, dtype):
            return impls.normal(shape, 0.0, math.sqrt(sigma_b2), rng=rng, dtype=dtype)

        params = impls.init_mlp(widths, weight_init, bias_init, rng=rng)
        x = rng.normal(input_mean, math.sqrt(input_var), size=(batch, widths[0]))
        cache = impls.forward(params, x, activation)
        top = rng.standard_normal(cache.post[-1].shape)
        back = impls.backward(params, cache, top, activation)
        out["pre"][s] = [np.mean(h * h) for h in cache.pre]
        out["post_mean"][s] = [np.mean(a) for a in cache.post[1:]]
        out["post_var"][s] = [np.var(a) for a in cache.post[1:]]
        out["grad"][s] = [np.mean(d * d) for d in back.pre]
    return Propagation(**out)


def kappa(activation: str, q: float, derivative: bool = False) -> float:
    """``Var(g^2) / (E g^2)^2`` for ``g = phi(sqrt(q) z)`` (or phi'), from theory's quadrature."""
    name = THEORY_NAMES.get(activation, activation)
    if q <= 0:
        return 2.0
    second = theory_act.moment(name, 2, q, derivative)
    fourth = theory_act.moment(name, 4, q, derivative)
    return fourth / second**2 - 1.0 if second > 0 else 2.0


def log_tolerances(
    contributions: np.ndarray, seeds: int, comparisons: int, false_fail: float = DEFAULT_FALSE_FAIL
) -> np.ndarray:
    """``z sqrt(cumsum / S) + cumsum`` for per-layer relative-variance contributions."""
    z = float(stats.norm.isf(false_fail / (2 * comparisons)))
    total = np.cumsum(contributions)
    return z * np.sqrt(total / seeds) + total


def forward_contributions(widths: list[int], qs: list[float], activation: str, batch: int) -> np.ndarray:
    """Per-layer ``(2 + kappa_{l-1}) / N_l`` (kappa of the input: 2 / batch-averaged)."""
    terms = [2.0 / widths[1] + 2.0 / (widths[0] * batch)]
    for layer in range(2, len(widths)):
        terms.append((2.0 + kappa(activation, qs[layer - 2])) / min(widths[layer], widths[layer - 1]))
    return np.array(terms)


def backward_contributions(widths: list[int], qs: list[float], activation: str) -> np.ndarray:
    """Per-layer ``(2 + kappa'_l) / N_l`` for the gradient, accumulated from the top down."""
    terms = [(2.0 + kappa(activation, q, derivative=True)) / w for q, w in zip(qs, widths[1:], strict=True)]
    return np.cumsum(terms[::-1])[::-1]
