"""Verifications of transformer and BatchNorm claims, shared by the suite and the mutant catalogue.

Each function verifies a target (anything with impls' public names: ``normal``,
``transformer_forward``, ``transformer_backward``, ``transformer_layer_forward``, ``layer_norm``,
``kaiming_normal``, ``batch_norm_backward``) against :mod:`theory.transformer` /
:mod:`theory.normalization` for one case, with the rules of :mod:`properties.decide`. A sample is
one freshly drawn network (weights from the target's ``normal``, many networks in one call), run
on one token with ``eps = 0`` so that LayerNorm fixes its output's norm exactly; the predictions
are exact moments at every width.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from properties import decide
from properties.decide import Context
from theory import normalization, transformer

D_MODEL, D_FF = 64, 64
"""The width and MLP width of the checked stacks."""
EFFECT = 0.25
"""Declared detectable effect of a mean check, relative to the claimed moment."""
SHARE_EFFECT = 0.3
"""DeepNorm's share: 30% (its relative variance ``5/f + 2/d`` is the largest of these checks; the
claim's ``beta^4`` against a ``beta^2`` bug is a factor ``1/beta^2 >= 2.8``)."""
PROPORTION_EFFECT = 0.2
"""Declared detectable error of ``P(X_1 > X_2) = 1/2``."""
BATCHNORM_EFFECT = 0.2
"""Declared detectable effect of the BatchNorm factor, relative to it."""

Layers = list[dict[str, np.ndarray]]


CHUNK = 256
"""Networks drawn per call of the target's ``normal`` (bounds the memory of a sample)."""


def gaussian_layers(
    target: Any,
    count: int,
    depth: int,
    std: float,
    output_std: float,
    rng: np.random.Generator,
    d_model: int = D_MODEL,
    d_ff: int = D_FF,
) -> Iterator[Layers]:
    """``count`` networks of ``depth`` layers for one token: value and MLP weights ``N(0, std^2)``,
    output projections ``N(0, output_std^2)``, from the target's ``normal`` (one call per weight for
    :data:`CHUNK` networks); biases 0, LayerNorm weight 1 and bias 0. The query and key weights
    are 0: over one token the softmax is 1 whatever they are, so drawing them would only cost time."""
    d, f = d_model, d_ff
    query_key = np.zeros((2 * d, d))
    fixed = _fixed_parameters(d, f)
    for start in range(0, count, CHUNK):
        n = min(CHUNK, count - start) * depth
        values = target.normal((n * d, d), 0.0, std, rng=rng).reshape(n, d, d)
        draws = {
            "out_proj.weight": target.normal((n * d, d), 0.0, output_std, rng=rng).reshape(n, d, d),
            "linear1.weight": target.normal((n * f, d), 0.0, std, rng=rng).reshape(n, f, d),
            "linear2.weight": target.normal((n * d, f), 0.0, output_std, rng=rng).reshape(n, d, f),
        }
        for net in range(n // depth):
            layers = []
            for layer in range(net * depth, (net + 1) * depth):
                params = {**fixed, **{k: v[layer] for k, v in draws.items()}}
                params["in_proj_weight"] = np.concatenate([query_key, values[layer]])
                layers.append(params)
            yield layers


def _fixed_parameters(d: int, f: int) -> dict[str, np.ndarray]:
    """The parameters :func:`gaussian_layers` does not draw: biases 0, LayerNorm weight 1 and bias 0."""
    return {
        "in_proj_bias": np.zeros(3 * d),
        "out_proj.bias": np.zeros(d),
        "linear1.bias": np.zeros(f),
        "linear2.bias": np.zeros(d),
        "norm1.weight": np.ones(d),
        "norm1.bias": np.zeros(d),
        "norm2.weight": np.ones(d),
        "norm2.bias": np.zeros(d),
    }


def refuse_early(target: Any, **settings: Any) -> None:
    """Run the target's ``transformer_layer_forward`` once on a weightless layer (nothing drawn).

    A target that cannot express ``settings`` (PyTorch has no DeepNorm ``alpha``) refuses it here,
    before a sample of networks is drawn for nothing; a target that can just computes one layer.
    """
    d, f = D_MODEL, D_FF
    weights = {
        "in_proj_weight": np.zeros((3 * d, d)),
        "out_proj.weight": np.zeros((d, d)),
        "linear1.weight": np.zeros((f, d)),
        "linear2.weight": np.zeros((d, f)),
    }
    x = np.where(np.arange(d) % 2 == 0, 1.0, -1.0)  # mean 0, variance 1: LayerNorm with eps = 0 is defined
    target.transformer_layer_forward({**weights, **_fixed_parameters(d, f)}, token(x), nhead=1, **settings)


def token(x: np.ndarray) -> np.ndarray:
    """One sequence of one token: ``(1, 1, d)``."""
    return np.asarray(x, dtype=np.float64).reshape(1, 1, -1)


def verify_prenorm_stream(
    target: Any, *, claim: str, blocks: int, std: float, output_std: float, seed: int
) -> None:
    """``E ||x_L||^2`` of a Pre-LN stack (no final LayerNorm) against the exact recursion."""
    target.require("transformer_forward")
    rng = np.random.default_rng(seed)
    x0 = rng.normal(size=D_MODEL)
    branches = transformer.prenorm_block_branches(D_MODEL, D_FF, std, output_std) * blocks
    mean, second = transformer.prenorm_stream_moments(float(x0 @ x0), branches, D_MODEL)

    def squared_norms(n: int) -> np.ndarray:
        out = np.empty(n)
        for i, layers in enumerate(gaussian_layers(target, n, blocks, std, output_std, rng)):
            x, _ = target.transformer_forward(layers, token(x0), nhead=1, norm_first=True, eps=0.0)
            out[i] = float(np.sum(x * x))
        return out

    decide.check_mean(
        Context(claim, {"blocks": blocks, "std": std, "output_std": output_std, "d": D_MODEL}, seed),
        squared_norms,
        mean,
        second - mean**2,
        effect=EFFECT * mean,
    )


def last_w2_gradient(target: Any, layers: Layers, x0: np.ndarray, r: np.ndarray, norm_first: bool) -> float:
    """``||dl/dW_2||`` of the last layer for ``l = <r, out>``, times ``sigma(x_L)`` for Pre-LN.

    Pre-LN runs with its final LayerNorm, whose input ``x_L`` gives ``sigma(x_L)``.
    """
    out, cache = target.transformer_forward(
        layers, token(x0), nhead=1, norm_first=norm_first, eps=0.0, final_norm=True if norm_first else None
    )
    grads, _ = target.transformer_backward(layers, cache, token(r))
    norm = float(np.linalg.norm(grads[-1]["linear2.weight"]))
    if not norm_first:
        return norm
    stream = cache.final_input if getattr(cache, "final_input", None) is not None else out
    return norm * float(np.std(stream))


def verify_depth_free_gradient(target: Any, *, norm_first: bool, deeper: int, seed: int) -> None:
    """Post-LN ``||dl/dW_2||`` (Pre-LN: times ``sigma(x_L)``) has one law at depths 1 and ``deeper``:
    the exact binomial test of ``P(X_1 > X_deeper) = 1/2`` on independent networks."""
    target.require("layer_norm", "transformer_forward", "transformer_backward")
    rng = np.random.default_rng(seed)
    std = 1 / math.sqrt(D_MODEL)

    def exceeds(n: int) -> np.ndarray:
        pairs = zip(
            gaussian_layers(target, n, 1, std, std, rng),
            gaussian_layers(target, n, deeper, std, std, rng),
            strict=True,
        )
        out = np.empty(n, dtype=bool)
        for i, pair in enumerate(pairs):
            values = []
            for layers in pair:
                x0 = target.layer_norm(rng.normal(size=D_MODEL), D_MODEL, eps=0.0)  # mean 0, norm sqrt(d)
                values.append(last_w2_gradient(target, layers, x0, rng.normal(size=D_MODEL), norm_first))
            out[i] = values[0] > values[1]
        return out

    decide.check_proportion(
        Context("pre-post-ln-gradient-depth", {"norm_first": norm_first, "depths": (1, deeper)}, seed),
        exceeds,
        transformer.EQUAL_LAW_EXCEEDANCE,
        effect=PROPORTION_EFFECT,
    )


def verify_deepnorm_share(target: Any, *, layers: int, seed: int) -> None:
    """``E ||G(x)||^2 / ||alpha x||^2`` of a DeepNorm MLP sublayer with the encoder's constants."""
    target.require("layer_norm", "transformer_layer_forward")
    rng = np.random.default_rng(seed)
    alpha, beta = transformer.deepnorm_constants("encoder", layers)["encoder"]
    refuse_early(target, eps=0.0, alpha=alpha)
    var = 1.0 / D_MODEL
    mean, second = transformer.deepnorm_branch_share_moments(D_MODEL, D_FF, alpha, beta, var, var)

    def shares(n: int) -> np.ndarray:
        out = np.empty(n)
        for i, (params,) in enumerate(gaussian_layers(target, n, 1, math.sqrt(var), math.sqrt(var), rng)):
            for name in ("linear1.weight", "linear2.weight"):
                params[name] = beta * params[name]
            x = target.layer_norm(rng.normal(size=D_MODEL), D_MODEL, eps=0.0)
            _, cache = target.transformer_layer_forward(params, token(x), nhead=1, eps=0.0, alpha=alpha)
            ff_input = cache.middle.ravel()  # the MLP sublayer's input, a LayerNorm output
            out[i] = float(np.sum(cache.branches[1] ** 2)) / (alpha**2 * float(ff_input @ ff_input))
        return out

    decide.check_mean(
        Context("deepnorm-branch-share", {"layers": layers, "alpha": alpha, "beta": beta}, seed),
        shares,
        mean,
        second - mean**2,
        effect=SHARE_EFFECT * mean,
    )


def verify_batchnorm_gradient_factor(target: Any, *, batch: int, width: int, seed: int) -> None:
    """One linear layer + training-mode BatchNorm at its fixed point: per output channel,
    ``||dL/dh||^2 ||w||^2 / (B - 1)`` by the target's ``batch_norm_backward`` (eps = 0), upstream
    gradient independent of w and orthogonal to 1; mean ``(B - 2)/(B - 3) (1 - 2/N)``."""
    target.require("batch_norm_backward")
    target.batch_norm_backward(np.eye(2), np.eye(2), eps=0.0)  # a target refusing eps = 0 refuses here
    rng = np.random.default_rng(seed)
    # X at BatchNorm's fixed point: X X^T = c^2 G, c^2 = N B / (B - 1), G = I - 11^T / B
    basis, _ = np.linalg.qr(rng.normal(size=(width, batch)))
    centring = np.eye(batch) - 1.0 / batch
    x = np.sqrt(width * batch / (batch - 1)) * centring @ basis.T
    mean, second = normalization.batchnorm_channel_gradient_moments(batch, width)

    def factors(n: int) -> np.ndarray:
        w = target.kaiming_normal((n, width), nonlinearity="linear", rng=rng)  # n independent channels
        upstream = centring @ rng.normal(size=(batch, n))
        grad_h, _, _ = target.batch_norm_backward(x @ w.T, upstream, eps=0.0)
        return np.sum(grad_h * grad_h, axis=0) * np.sum(w * w, axis=1) / (batch - 1)

    decide.check_mean(
        Context("batchnorm-gradient-explosion", {"batch": batch, "width": width}, seed),
        factors,
        mean,
        second - mean**2,
        effect=BATCHNORM_EFFECT * mean,
    )
