"""Finite-width simulations of deep networks built with ``impls`` (the one simulator of the suite
and the benchmark), and the tolerance of a mean-field comparison derived from the finite-size
correction.

Measurements: :func:`run_network` records per-layer forward and backward statistics of one
network (``impls``' MLP, every layer kept: the claim suite's :func:`simulate`);
:func:`stream_networks` records the same statistics layer by layer in O(width^2) memory, for
several activations on one draw of the weights at once (the benchmark's propagation grid);
:func:`jacobian_spectrum` the squared singular values of the input-output Jacobian.
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

import itertools
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
    return layer_statistics(cache, back)


def layer_statistics(cache: Any, back: Any) -> dict[str, np.ndarray]:
    """Every statistic of :data:`LAYER_STATISTICS` from a forward pass and its backward pass."""
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


POSITIVELY_HOMOGENEOUS = frozenset({"linear", "relu", "leaky_relu"})
"""Activations with ``phi(2^k x) = 2^k phi(x)`` and ``phi'(2^k x) = phi'(x)`` in floating point
(a product by a power of two is exact away from under- and overflow, and these functions round
``x``, ``0`` or ``slope * x`` once), so with zero biases a whole forward pass may be rescaled."""

KEEP_WEIGHTS_BYTES = 1 << 29
""":func:`stream_networks` keeps a network's weights for the backward pass when they take at most
this many bytes (512 MiB), and redraws each layer from its own stream otherwise."""

_LAYER, _INPUT, _TOP = 0, 1, 2  # spawn-key words of a network's streams


def part_rng(seed: np.random.SeedSequence, *key: int) -> np.random.Generator:
    """One part's own stream of a streamed network: ``SeedSequence(entropy, spawn_key=key + (...))``.

    Parts: ``(0, l)`` the weights and biases of layer ``l`` (1..L), ``(1,)`` the inputs, ``(2,)``
    the top gradient. Each part can be drawn again, alone and in any order.
    """
    return np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, *key)))


def streamed_layer(
    widths: Sequence[int],
    layer: int,
    weight_init: Initializer,
    seed: np.random.SeedSequence,
    *,
    bias_init: Initializer | None = None,
    dtype: Any = np.float64,
    implementation: Any = impls,
) -> tuple[np.ndarray, np.ndarray]:
    """``(W_l, b_l)`` of layer ``l`` (1..L), drawn in this order from the stream ``(0, l)`` of ``seed``.

    ``W_l = weight_init((n_l, n_{l-1}), rng, dtype)``, ``b_l = bias_init((n_l,), rng, dtype)``
    (``implementation.zeros`` if None), as :func:`impls.init_mlp` calls them.
    """
    rng = part_rng(seed, _LAYER, layer)
    shapes = ((widths[layer], widths[layer - 1]), (widths[layer],))
    out = []
    for init, shape in zip((weight_init, bias_init or implementation.zeros), shapes, strict=True):
        value = init(shape, rng=rng, dtype=dtype)
        if not isinstance(value, np.ndarray) or value.shape != shape or value.dtype != np.dtype(dtype):
            raise ValueError(
                f"layer {layer}: an initializer returned {value!r:.60} for shape {shape}, {dtype}"
            )
        out.append(value)
    return out[0], out[1]


def streamed_inputs(
    seed: np.random.SeedSequence, batch: int, width: int, mean: float = 0.0, var: float = 1.0
) -> np.ndarray:
    """The inputs ``N(mean, var)``, ``(batch, width)`` float64, from the stream ``(1,)`` of ``seed``."""
    return part_rng(seed, _INPUT).normal(mean, math.sqrt(var), size=(batch, width))


def streamed_top(seed: np.random.SeedSequence, batch: int, width: int) -> np.ndarray:
    """The top gradient ``dLoss/da_L ~ N(0, 1)``, ``(batch, width)`` float64, from the stream ``(2,)``."""
    return part_rng(seed, _TOP).standard_normal((batch, width))


def _sums(block: np.ndarray) -> tuple[float, float]:
    """``(sum x, sum x^2)`` of a block, accumulated in float64."""
    flat = block.reshape(-1).astype(np.float64, copy=False)
    return float(flat.sum()), float(flat @ flat)


def _scaled(value: float, exponent: int) -> float:
    """``value 2^exponent`` in float64 (``inf`` beyond its range: a statistic of a rescaled network
    whose values are finite but whose scale float64 cannot hold)."""
    with np.errstate(over="ignore"):
        return float(np.ldexp(value, exponent))


def _exponent(second_moment: float, what: str) -> int:
    """``e`` with ``sqrt(second_moment) 2^-e`` in [0.5, 1) (0 for 0); a ValueError if not finite."""
    if not math.isfinite(second_moment):
        raise ValueError(f"{what} overflow: the values are not finite")
    return math.frexp(math.sqrt(second_moment))[1] if second_moment > 0 else 0


def _gram(block: np.ndarray, shift: int) -> np.ndarray:
    """``b b^T`` in float64 for ``b = block 2^-shift`` (exact scaling: no under- or overflow)."""
    scaled = np.ldexp(block, -shift).astype(block.dtype, copy=False) if shift else block
    return np.asarray(scaled @ scaled.T, dtype=np.float64)


def _normalize(blocks: np.ndarray, members: Sequence[int], scale: np.ndarray, what: str) -> None:
    """Scale each block (in place) by a power of two to a mean square in [1/4, 1); add to ``scale``."""
    for row, index in enumerate(members):
        shift = _exponent(_sums(blocks[row])[1] / blocks[row].size, what)
        if shift:
            blocks[row] = np.ldexp(blocks[row], -shift)
            scale[index] += shift


def stream_networks(
    widths: Sequence[int],
    weight_init: Initializer,
    networks: Sequence[tuple[str, Any]],
    seed: np.random.SeedSequence,
    *,
    bias_init: Initializer | None = None,
    batch: int = 64,
    input_mean: float = 0.0,
    input_var: float = 1.0,
    weight_dtype: Any = np.float64,
    implementation: Any = impls,
    keep_weights_bytes: int = KEEP_WEIGHTS_BYTES,
) -> list[dict[str, np.ndarray]]:
    """Per-layer statistics of one draw of the weights run with several activations, layer by layer.

    The same network as :func:`measure_network` on parameters of :func:`streamed_layer` (inputs
    :func:`streamed_inputs`, top gradient :func:`streamed_top`), without keeping it: the forward
    pass keeps each layer's activation derivatives ``phi'(h_l)`` and the ``batch x batch`` Gram
    matrix and row sums of ``a_{l-1}`` (for the weight gradient); the backward pass takes each
    layer's weights again from their own stream (or from memory, when all of them fit in
    ``keep_weights_bytes``: the same values either way). Memory: two weight matrices plus
    ``depth x batch x width x networks`` derivatives, never ``depth x width^2``.

    Formula: the networks sharing a dtype run as one matrix product per layer,
    ``h_l = [a_l^(1); ...; a_l^(k)] W_l^T + b_l``; ``dW_l = delta_l^T a_{l-1}`` is never formed:
    ``sum dW^2 = <delta delta^T, a a^T>_F`` and ``sum dW = (1^T delta^T)(a 1)``. The backward pass
    is linear in ``delta``, so each layer's ``delta`` is rescaled by a power of two (exact, no
    rounding) to a mean square in [1/4, 1), its scale kept as a float64 exponent: a vanishing or
    exploding gradient never under- or overflows the dtype. The forward pass is rescaled likewise
    for :data:`POSITIVELY_HOMOGENEOUS` activations when every bias is zero (``bias_init`` None).
    Statistics are sums in float64, scaled back with ``ldexp``.

    Args:
        widths: ``(n_0, ..., n_L)``.
        weight_init: an ``impls``-style initializer for every layer (as in ``init_mlp``).
        networks: ``(activation, dtype)`` pairs; each runs on the same weights (drawn in
            ``weight_dtype``, cast to its dtype), inputs and top gradient.
        seed: the draw's seed; its parts' streams are :func:`part_rng`'s.
        bias_init: an initializer for the biases; zeros if None.
        batch: the batch size.
        input_mean, input_var: the inputs' law.
        weight_dtype: the dtype the weights are drawn in.
        implementation: impls, or the implementation under test (initializers, activations).
        keep_weights_bytes: keep the weights when they take at most this many bytes.

    Returns:
        One dict per network: every statistic of :data:`LAYER_STATISTICS`, over layers 1..L,
        equal to :func:`measure_network`'s up to rounding.

    Raises:
        ValueError: a network's values leave its dtype's range (a non-homogeneous activation
            whose signal explodes, as ``impls.forward`` reports it).
    """
    sizes = [int(w) for w in widths]
    depth = len(sizes) - 1
    if depth < 1 or min(sizes) < 1:
        raise ValueError(f"widths must hold at least two positive sizes, got {list(widths)}")
    if not networks:
        raise ValueError("networks must hold at least one (activation, dtype) pair")
    if int(batch) != batch or batch < 1:
        raise ValueError(f"batch must be a positive int, got {batch!r}")
    groups: dict[np.dtype, list[int]] = {}
    for index, (_, dtype) in enumerate(networks):
        groups.setdefault(np.dtype(dtype), []).append(index)
    acts = [implementation.get_activation(name) for name, _ in networks]
    rescaled = [bias_init is None and name in POSITIVELY_HOMOGENEOUS for name, _ in networks]
    stats = [{key: np.empty(depth) for key in LAYER_STATISTICS} for _ in networks]
    scale = np.zeros(len(networks), dtype=np.int64)  # a = 2^scale * stored a, per network
    w_dtype = np.dtype(weight_dtype)
    keep = depth * max(a * b for a, b in itertools.pairwise(sizes)) * w_dtype.itemsize <= keep_weights_bytes
    kept: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def layer(number: int) -> tuple[np.ndarray, np.ndarray]:
        if number in kept:
            return kept[number]
        drawn = streamed_layer(
            sizes,
            number,
            weight_init,
            seed,
            bias_init=bias_init,
            dtype=w_dtype,
            implementation=implementation,
        )
        if keep:
            kept[number] = drawn
        return drawn

    x = streamed_inputs(seed, batch, sizes[0], input_mean, input_var)
    gram_shift = np.full(len(networks), _exponent(_sums(x)[1] / x.size, "the inputs"), dtype=np.int64)
    post = {dtype: np.stack([x.astype(dtype) for _ in members]) for dtype, members in groups.items()}
    slopes: list[dict[np.dtype, np.ndarray]] = []
    grams: list[dict[np.dtype, tuple[np.ndarray, np.ndarray, np.ndarray]]] = []
    for number in range(1, depth + 1):
        weight, bias = layer(number)
        slopes.append({})
        grams.append({})
        for dtype, members in groups.items():
            a = post[dtype]
            grams[-1][dtype] = (
                np.stack([_gram(block, int(e)) for block, e in zip(a, gram_shift[members], strict=True)]),
                np.ldexp(a.sum(axis=2, dtype=np.float64), -gram_shift[members][:, None]),
                scale[members] + gram_shift[members],
            )
            w = weight.astype(dtype, copy=False)
            with np.errstate(over="ignore", invalid="ignore"):
                h = (a.reshape(-1, sizes[number - 1]) @ w.T).reshape(len(members), batch, sizes[number])
                h += bias.astype(dtype, copy=False)
            out = np.empty_like(h)
            slope = np.empty_like(h)
            for row, index in enumerate(members):
                what = f"layer {number}'s pre-activations ({networks[index][0]}, {dtype})"
                total, squares = _sums(h[row])
                count = h[row].size
                mean = total / count
                stats[index]["pre"][number - 1] = _scaled(squares / count, 2 * int(scale[index]))
                spread = max(squares / count - mean * mean, 0.0)
                stats[index]["pre_std"][number - 1] = _scaled(math.sqrt(spread), int(scale[index]))
                if rescaled[index]:
                    shift = _exponent(squares / count, what)
                    if shift:
                        h[row] = np.ldexp(h[row], -shift)
                        scale[index] += shift
                elif not math.isfinite(squares):
                    raise ValueError(f"{what} overflow {dtype}")
                out[row] = acts[index](h[row])
                slope[row] = acts[index].derivative(h[row])
                total, squares = _sums(out[row])
                mean = total / count
                var = max(squares / count - mean * mean, 0.0)
                stats[index]["post_mean"][number - 1] = _scaled(mean, int(scale[index]))
                stats[index]["post_var"][number - 1] = _scaled(var, 2 * int(scale[index]))
                stats[index]["post_std"][number - 1] = _scaled(math.sqrt(var), int(scale[index]))
                gram_shift[index] = _exponent(squares / count, f"layer {number}'s activations")
            post[dtype] = out
            slopes[-1][dtype] = slope
    del post
    top = streamed_top(seed, batch, sizes[-1])
    dscale = np.zeros(len(networks), dtype=np.int64)
    delta = {}
    for dtype, members in groups.items():
        delta[dtype] = top.astype(dtype) * slopes[-1][dtype]
        _normalize(delta[dtype], members, dscale, f"layer {depth}'s gradients")
    for number in range(depth, 0, -1):
        upper = (kept.pop(number) if number in kept else layer(number))[0] if number > 1 else None
        for dtype, members in groups.items():
            d = delta[dtype]
            gram_a, sums_a, scale_a = grams[number - 1][dtype]
            sums_d = d.sum(axis=2, dtype=np.float64)
            count = batch * sizes[number]
            entries = sizes[number] * sizes[number - 1]
            for row, index in enumerate(members):
                total, squares = _sums(d[row])
                mean = total / count
                stats[index]["grad"][number - 1] = _scaled(squares / count, 2 * int(dscale[index]))
                var = max(squares / count - mean * mean, 0.0)
                stats[index]["grad_std"][number - 1] = _scaled(math.sqrt(var), int(dscale[index]))
                gram_d = _gram(d[row], 0)
                w_mean = float(sums_d[row] @ sums_a[row]) / entries
                w_var = max(float(np.sum(gram_d * gram_a[row])) / entries - w_mean * w_mean, 0.0)
                shift = int(dscale[index] + scale_a[row])
                stats[index]["weight_grad_std"][number - 1] = _scaled(math.sqrt(w_var), shift)
            if upper is not None:
                w = upper.astype(dtype, copy=False)
                below = (d.reshape(-1, sizes[number]) @ w).reshape(len(members), batch, sizes[number - 1])
                below *= slopes[number - 2][dtype]
                _normalize(below, members, dscale, f"layer {number - 1}'s gradients")
                delta[dtype] = below
        slopes.pop()
    return stats


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
