"""Finite-width simulations of deep networks built with ``impls`` (the one simulator of the suite
and the benchmark), and the tolerance of a mean-field comparison derived from the finite-size
correction.

Two measurements: :func:`run_network` records per-layer forward and backward statistics of one
network, :func:`jacobian_spectrum` the squared singular values of its input-output Jacobian.
Weights come from :func:`scaled_weights` (variance scaling or orthogonal, one wrapper each).

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

import impls
from properties.decide import DEFAULT_FALSE_FAIL
from theory import activations as theory_act

Initializer = Callable[..., np.ndarray]
"""``init(shape, rng=..., dtype=...)``, as :func:`impls.init_mlp` calls it."""

WEIGHT_LAWS = ("normal", "truncated_normal", "uniform", "orthogonal")


def scaled_weights(sigma_w2: float, law: str = "normal", *, implementation: Any = impls) -> Initializer:
    """Weights with ``n Var(W) = sigma_w2`` (n the fan-in), built with ``implementation``.

    ``variance_scaling(scale=sigma_w2, mode="fan_in", distribution=law)`` for the normal,
    truncated normal and uniform laws; ``orthogonal(gain=sqrt(sigma_w2))`` for ``"orthogonal"``.
    """
    if law not in WEIGHT_LAWS:
        raise ValueError(f"law must be one of {WEIGHT_LAWS}, got {law!r}")
    if law == "orthogonal":
        gain = math.sqrt(sigma_w2)

        def orthogonal(shape: tuple[int, ...], rng: Any, dtype: Any) -> np.ndarray:
            return implementation.orthogonal(shape, gain, rng=rng, dtype=dtype)

        return orthogonal

    def variance_scaling(shape: tuple[int, ...], rng: Any, dtype: Any) -> np.ndarray:
        return implementation.variance_scaling(shape, sigma_w2, "fan_in", law, rng=rng, dtype=dtype)

    return variance_scaling


def normal_biases(sigma_b2: float, *, implementation: Any = impls) -> Initializer:
    """Biases ``N(0, sigma_b2)`` by ``implementation.normal``."""
    std = math.sqrt(sigma_b2)

    def normal(shape: tuple[int, ...], rng: Any, dtype: Any) -> np.ndarray:
        return implementation.normal(shape, 0.0, std, rng=rng, dtype=dtype)

    return normal


LAYER_STATISTICS = (
    "pre",
    "pre_std",
    "post_mean",
    "post_var",
    "post_std",
    "grad",
    "grad_std",
    "weight_grad_std",
)
"""Per-layer statistics of one network (over units and batch): ``pre`` = mean h_l^2, ``pre_std``
= std h_l, ``post_mean``/``post_var``/``post_std`` of a_l, ``grad`` = mean (dLoss/dh_l)^2 and
``grad_std`` for a N(0, 1) gradient at the top, ``weight_grad_std`` = std of dLoss/dW_l."""


def measure_network(
    params: dict[str, np.ndarray],
    activation: str,
    rng: np.random.Generator,
    *,
    batch: int = 64,
    input_mean: float = 0.0,
    input_var: float = 1.0,
    implementation: Any = impls,
) -> dict[str, np.ndarray]:
    """Forward a Gaussian batch through ``params`` (``implementation``), backward a N(0, 1) gradient.

    Draws, in this order from ``rng``: the inputs ``N(input_mean, input_var)`` of shape
    ``(batch, n_0)``, the top gradient; both in the parameters' dtype.

    Returns:
        Every statistic of :data:`LAYER_STATISTICS`, an array over layers 1..L.
    """
    dtype = params["W1"].dtype
    x = rng.normal(input_mean, math.sqrt(input_var), size=(batch, params["W1"].shape[1])).astype(
        dtype, copy=False
    )
    cache = implementation.forward(params, x, activation)
    top = rng.standard_normal(cache.post[-1].shape).astype(dtype, copy=False)
    back = implementation.backward(params, cache, top, activation)
    depth = len(cache.pre)
    return {
        "pre": np.array([np.mean(h * h) for h in cache.pre], dtype=np.float64),
        "pre_std": np.array([h.std() for h in cache.pre], dtype=np.float64),
        "post_mean": np.array([np.mean(a) for a in cache.post[1:]], dtype=np.float64),
        "post_var": np.array([np.var(a) for a in cache.post[1:]], dtype=np.float64),
        "post_std": np.array([a.std() for a in cache.post[1:]], dtype=np.float64),
        "grad": np.array([np.mean(d * d) for d in back.pre], dtype=np.float64),
        "grad_std": np.array([d.std() for d in back.pre], dtype=np.float64),
        "weight_grad_std": np.array(
            [back.params[f"W{i}"].std() for i in range(1, depth + 1)], dtype=np.float64
        ),
    }


def run_network(
    widths: Sequence[int],
    weight_init: Initializer,
    activation: str,
    rng: np.random.Generator,
    *,
    bias_init: Initializer | None = None,
    batch: int = 64,
    input_mean: float = 0.0,
    input_var: float = 1.0,
    dtype: Any = np.float64,
    implementation: Any = impls,
) -> dict[str, np.ndarray]:
    """One network built with ``implementation`` (impls by default, or the implementation under
    test): its parameters (``init_mlp``), then :func:`measure_network` (inputs, top gradient), all
    drawn from ``rng`` in this order."""
    params = implementation.init_mlp(list(widths), weight_init, bias_init, rng=rng, dtype=dtype)
    return measure_network(
        params,
        activation,
        rng,
        batch=batch,
        input_mean=input_mean,
        input_var=input_var,
        implementation=implementation,
    )


@dataclass(frozen=True)
class Propagation:
    """Per-layer statistics of S networks: every field is ``(seeds, depth)``."""

    pre: np.ndarray  # mean h_l^2
    pre_std: np.ndarray
    post_mean: np.ndarray  # mean a_l
    post_var: np.ndarray  # variance of a_l over units and batch
    post_std: np.ndarray
    grad: np.ndarray  # mean (dLoss/dh_l)^2 for a N(0, 1) top gradient
    grad_std: np.ndarray
    weight_grad_std: np.ndarray


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
    implementation: Any = impls,
) -> Propagation:
    """Run ``seeds`` independent networks (:func:`run_network`) from one ``default_rng(seed)``.

    Weights :func:`scaled_weights` ``(sigma_w2, weights)``, biases :func:`normal_biases`
    ``(sigma_b2)``; the activation is applied at every layer.
    """
    rng = np.random.default_rng(seed)
    runs = [
        run_network(
            widths,
            scaled_weights(sigma_w2, weights, implementation=implementation),
            activation,
            rng,
            bias_init=normal_biases(sigma_b2, implementation=implementation),
            batch=batch,
            input_mean=input_mean,
            input_var=input_var,
            implementation=implementation,
        )
        for _ in range(seeds)
    ]
    return Propagation(**{key: np.stack([run[key] for run in runs]) for key in LAYER_STATISTICS})


@dataclass(frozen=True)
class FirstStep:
    """One optimizer's first step from one parametrized network (the coordinate check's unit).

    Attributes:
        optimizer: ``"sgd"`` or ``"adam"``.
        initial: each layer's pre-activations at initialization.
        actual: each layer's change of pre-activations after the step.
        first_order: each layer's first-order change: the central difference of the forward pass
            along the update, ``(h(p + s dp) - h(p - s dp)) / (2 s)``.
    """

    optimizer: str
    initial: list[np.ndarray]
    actual: list[np.ndarray]
    first_order: list[np.ndarray]


def first_steps(
    widths: Sequence[int],
    parametrization: str,
    x: np.ndarray,
    u: np.ndarray,
    rng: np.random.Generator,
    *,
    optimizers: Sequence[str],
    gain: float,
    lr: float,
    step: float = 1e-4,
    implementation: Any = impls,
) -> list[FirstStep]:
    """One network of ``widths`` in ``parametrization``, one step of each optimizer from it.

    Formula: the loss is ``u . f(x)``; its gradient by the implementation's exact backward; each
    optimizer (``parametrized_optimizer``, with the parametrization's per-layer rates) takes one
    step from the same initialization. The suite's coordinate-check claims and the benchmark's
    ``mup_coordinate_check`` both measure with this function.

    Args:
        widths: ``(d, n, ..., n, k)``.
        parametrization: ``"sp"``, ``"ntk"`` or ``"mup"``.
        x, u: the input batch ``(batch, d)`` and the loss direction ``(batch, k)``.
        rng: the stream the weights are drawn from.
        optimizers: the optimizers to step with.
        gain: the hidden layers' gain.
        lr: the width-independent base learning rate.
        step: the central difference's step along the update (the network is piecewise linear
            in it, so the difference is exact away from kinks).
        implementation: impls, or the implementation under test.

    Returns:
        One :class:`FirstStep` per optimizer, in order.
    """
    params = implementation.init_parametrized_mlp(widths, parametrization, gain=gain, rng=rng)

    def pre(p: dict[str, np.ndarray]) -> list[np.ndarray]:
        return list(implementation.parametrized_forward(p, x, parametrization, gain=gain).pre)

    cache = implementation.parametrized_forward(params, x, parametrization, gain=gain)
    grads = implementation.parametrized_backward(params, cache, u, parametrization, gain=gain).params
    steps = []
    for optimizer in optimizers:
        opt = implementation.parametrized_optimizer(widths, parametrization, optimizer, lr)
        stepped, _ = opt.step(params, grads, opt.init(params))
        update = {k: stepped[k] - params[k] for k in params}
        ahead = pre({k: params[k] + step * update[k] for k in params})
        behind = pre({k: params[k] - step * update[k] for k in params})
        steps.append(
            FirstStep(
                optimizer,
                list(cache.pre),
                [h1 - h0 for h1, h0 in zip(pre(stepped), cache.pre, strict=True)],
                [(a - b) / (2 * step) for a, b in zip(ahead, behind, strict=True)],
            )
        )
    return steps


def jacobian_spectrum(
    width: int,
    depth: int,
    weight_init: Initializer,
    activation: str,
    rng: np.random.Generator,
    *,
    input_std: float = 1.0,
    implementation: Any = impls,
) -> np.ndarray:
    """Squared singular values of the input-output Jacobian of one network (``jacobian``).

    Draws the parameters, then the input ``N(0, input_std^2)`` of width ``width``, from ``rng``.
    """
    params = implementation.init_mlp([width] * (depth + 1), weight_init, rng=rng)
    x = rng.normal(size=width) * input_std
    return np.asarray(np.linalg.svd(implementation.jacobian(params, x, activation), compute_uv=False) ** 2)


def kappa(activation: str, q: float, derivative: bool = False) -> float:
    """``Var(g^2) / (E g^2)^2`` for ``g = phi(sqrt(q) z)`` (or phi'), from theory's quadrature."""
    if q <= 0:
        return 2.0
    second = theory_act.moment(activation, 2, q, derivative)
    fourth = theory_act.moment(activation, 4, q, derivative)
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
