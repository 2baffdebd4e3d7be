"""Transformers at initialization: the residual stream of Pre-LN and Post-LN stacks and their scales.

**Pre-LN stream.** A Pre-LN sublayer adds ``b = G(LN(x))`` to the stream. With ``eps = 0``,
weight 1 and bias 0, ``u = LN(x)`` has ``||u||^2 = d`` whatever ``x``, so for Gaussian weights
and zero biases the branch's law does not depend on ``x``: given its hidden state, ``b`` is
isotropic Gaussian with per-coordinate variance ``tau^2`` (``tau^2 = var_2 ||h||^2`` for a
feed-forward branch ``W_2 relu(W_1 u)``, ``tau^2 = var_o ||W_v u||^2`` for attention over one
token, where the softmax is 1). So ``||x + b||^2 = tau^2 chi'^2_k(||x||^2 / tau^2)`` (``k = d``;
``k = d - 1`` for the centred stream ``x - mean(x)``, which is what LayerNorm sees) and

    E ||x'||^2 = E ||x||^2 + k E tau^2,
    E ||x'||^4 = E ||x||^4 + (4 + 2k) E tau^2 E ||x||^2 + (2k + k^2) E tau^4.

The stream grows *additively*: linearly in the number of sublayers N (Xiong et al. 2020,
Lemma 1), not geometrically as an unnormalized residual network does. GPT-2 multiplies the
residual (output) projections by ``1/sqrt(N)`` and Megatron-LM draws them with std
``sigma / sqrt(2 L)`` (L blocks of two sublayers): the increments sum to a bound independent of
depth.

**Gradients by depth (Xiong et al. 2020, Thm. 1).** With a final LayerNorm, the Pre-LN gradient of
the last feed-forward weight is ``g h^T`` with ``g = J_LN(x_L)^T r``, and
``||J_LN(x)^T r|| = ||P r|| / sigma(x)``: the whole depth dependence is ``1 / sigma(x_L)`` with
``E sigma^2(x_L)`` linear in L, so the gradient scales as ``L^(-1/2)``. In Post-LN every layer's
input is a LayerNorm output (norm ``sqrt(d)``, mean 0), and for one token with rotation-invariant
(Gaussian) weights the last layer's gradient has *the same law at every depth*.

**DeepNorm (Wang et al. 2022).** ``x' = LN(alpha x + G(x))`` with the value, output and
feed-forward weights multiplied by ``beta`` at initialization; the constants of their Table
(Fig. 2) make the update bound of their Theorem 4.2 (SGD) ``sum_l (v_l^2 + w_l^2) / alpha^2 = 1``
over the stack's sublayers. At initialization a DeepNorm sublayer's branch carries
``beta^4 gamma / alpha^2`` of the skip path's energy (two beta-scaled layers), ``gamma`` the
branch's own gain.

References: Radford et al. (2019), "Language models are unsupervised multitask learners",
Sec. 2.3; Shoeybi et al. (2019), "Megatron-LM", arXiv:1909.08053, Sec. 3; Xiong et al. (2020),
"On layer normalization in the Transformer architecture", ICML, arXiv:2002.04745, Lemma 1 and
Thm. 1; Wang et al. (2022), "DeepNet: scaling Transformers to 1,000 layers", arXiv:2203.00555,
Sec. 4, Fig. 2 (Table of alpha, beta).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

from theory._domain import non_negative, positive, positive_int

RELU_SECOND_MOMENT = 0.5
"""``E relu(z)^2`` for ``z ~ N(0, 1)``."""
RELU_FOURTH_MOMENT = 1.5
"""``E relu(z)^4 = 3 / 2``."""


def relu_hidden_moments(d_ff: int, var_1: float, input_sq_norm: float) -> tuple[float, float]:
    """``(E ||h||^2, E ||h||^4)`` for ``h = relu(W_1 u)``, ``W_1 ~ N(0, var_1)`` i.i.d., ``(d_ff, d)``.

    Formula: ``W_1 u ~ N(0, var_1 ||u||^2 I)``, so ``||h||^2 = var_1 ||u||^2 S`` with ``S`` a sum
    of ``f`` i.i.d. ``relu(z)^2``: ``E S = f / 2``, ``E S^2 = 3f/2 + f (f - 1) / 4 = f (f + 5) / 4``.
    """
    f = positive_int(d_ff, "d_ff")
    scale = positive(var_1, "var_1") * non_negative(input_sq_norm, "input_sq_norm")
    return scale * f * RELU_SECOND_MOMENT, scale**2 * (f * RELU_FOURTH_MOMENT + f * (f - 1) / 4)


def ffn_branch_tau_moments(
    d_ff: int, var_1: float, var_2: float, input_sq_norm: float
) -> tuple[float, float]:
    """``(E tau^2, E tau^4)`` of a feed-forward branch ``W_2 relu(W_1 u)``: ``tau^2 = var_2 ||h||^2``."""
    first, second = relu_hidden_moments(d_ff, var_1, input_sq_norm)
    var_2 = positive(var_2, "var_2")
    return var_2 * first, var_2**2 * second


def attention_branch_tau_moments(
    d_model: int, var_v: float, var_o: float, input_sq_norm: float
) -> tuple[float, float]:
    """``(E tau^2, E tau^4)`` of self-attention over one token, ``W_o W_v u`` (the softmax is 1).

    Formula: ``||W_v u||^2 = var_v ||u||^2 chi^2_d``, ``tau^2 = var_o ||W_v u||^2``.
    """
    d = positive_int(d_model, "d_model")
    scale = positive(var_v, "var_v") * positive(var_o, "var_o") * non_negative(input_sq_norm, "input_sq_norm")
    return scale * d, scale**2 * (d * d + 2 * d)


def branch_energy_moments(tau: tuple[float, float], dof: int) -> tuple[float, float]:
    """``(E ||b||^2, E ||b||^4)`` for ``b | tau ~ N(0, tau^2 I_k)``: ``k E tau^2``, ``(k^2 + 2k) E tau^4``."""
    k = positive_int(dof, "dof")
    return k * tau[0], (k * k + 2 * k) * tau[1]


def prenorm_stream_moments(
    x0_sq_norm: float, branches: Iterable[tuple[float, float]], dof: int
) -> tuple[float, float]:
    """``(E ||x_N||^2, E ||x_N||^4)`` after Pre-LN sublayers with branch moments ``(E tau^2, E tau^4)``.

    Formula: the non-central chi-square recursion of the module docstring, the branches'
    ``tau`` independent of the stream (LayerNorm fixes the branch input's norm; ``eps = 0``).

    Args:
        x0_sq_norm: ``||x_0||^2`` (of the centred input when ``dof = d - 1``).
        branches: each sublayer's ``(E tau^2, E tau^4)``, in order.
        dof: ``d`` for the stream, ``d - 1`` for the centred stream.

    Returns:
        The first two moments of the squared norm after the last sublayer.
    """
    k = positive_int(dof, "dof")
    first = non_negative(x0_sq_norm, "x0_sq_norm")
    second = first**2
    for tau_1, tau_2 in branches:
        second = second + (4 + 2 * k) * tau_1 * first + (2 * k + k * k) * tau_2
        first = first + k * tau_1
    return first, second


def prenorm_block_branches(
    d_model: int, d_ff: int, std: float, output_std: float
) -> list[tuple[float, float]]:
    """The two sublayers' ``(E tau^2, E tau^4)`` of a Pre-LN block, every weight ``N(0, std^2)``
    but the output projections ``N(0, output_std^2)``, zero biases, one token, ``eps = 0``."""
    d = positive_int(d_model, "d_model")
    var, out = positive(std, "std") ** 2, positive(output_std, "output_std") ** 2
    return [attention_branch_tau_moments(d, var, out, d), ffn_branch_tau_moments(d_ff, var, out, d)]


def gpt2_residual_scale(residual_layers: int) -> float:
    """GPT-2's factor ``1 / sqrt(N)`` on the weights of the N residual (output) layers."""
    return 1.0 / math.sqrt(positive_int(residual_layers, "residual_layers"))


def megatron_output_std(sigma: float, layers: int) -> float:
    """Megatron-LM's std of the output layers: ``sigma / sqrt(2 L)`` for L transformer layers."""
    return positive(sigma, "sigma") / math.sqrt(2 * positive_int(layers, "layers"))


def megatron_mean_square_increment(d_model: int, d_ff: int, sigma: float) -> float:
    """The depth-free total ``E ||x_L||^2 / d - ||x_0||^2 / d`` of a Megatron Pre-LN stack, one token.

    Formula: per block ``sigma^2 sigma_o^2 d (d + f / 2)`` with ``sigma_o^2 = sigma^2 / (2 L)``
    (attention ``d^2`` from ``W_o W_v``, feed-forward ``d f / 2``), times L blocks:
    ``sigma^4 d (d + f / 2) / 2``, the same at every depth.
    """
    d, f = positive_int(d_model, "d_model"), positive_int(d_ff, "d_ff")
    return positive(sigma, "sigma") ** 4 * d * (d + f / 2) / 2


class DeepNormConstants(NamedTuple):
    """DeepNorm's skip scale ``alpha`` and initialization scale ``beta`` for one stack."""

    alpha: float
    beta: float


def deepnorm_constants(
    architecture: str, encoder_layers: int = 0, decoder_layers: int = 0
) -> dict[str, DeepNormConstants]:
    """DeepNorm's ``alpha`` and ``beta`` (Wang et al. 2022, Fig. 2 table).

    Formula: encoder-only ``alpha = (2N)^(1/4)``, ``beta = (8N)^(-1/4)``; decoder-only the same
    with M; encoder-decoder: encoder ``alpha = 0.81 (N^4 M)^(1/16)``, ``beta = 0.87 (N^4 M)^(-1/16)``,
    decoder ``alpha = (3M)^(1/4)``, ``beta = (12M)^(-1/4)``.

    Args:
        architecture: ``"encoder"``, ``"decoder"`` or ``"encoder-decoder"``.
        encoder_layers: N (needed by ``encoder`` and ``encoder-decoder``).
        decoder_layers: M (needed by ``decoder`` and ``encoder-decoder``).

    Returns:
        ``{"encoder": ..., "decoder": ...}`` with the stacks the architecture has.
    """
    if architecture == "encoder":
        n = positive_int(encoder_layers, "encoder_layers")
        return {"encoder": DeepNormConstants((2 * n) ** 0.25, (8 * n) ** -0.25)}
    if architecture == "decoder":
        m = positive_int(decoder_layers, "decoder_layers")
        return {"decoder": DeepNormConstants((2 * m) ** 0.25, (8 * m) ** -0.25)}
    if architecture == "encoder-decoder":
        n = positive_int(encoder_layers, "encoder_layers")
        m = positive_int(decoder_layers, "decoder_layers")
        return {
            "encoder": DeepNormConstants(0.81 * (n**4 * m) ** (1 / 16), 0.87 * (n**4 * m) ** (-1 / 16)),
            "decoder": DeepNormConstants((3 * m) ** 0.25, (12 * m) ** -0.25),
        }
    raise ValueError(f"architecture must be 'encoder', 'decoder' or 'encoder-decoder', got {architecture!r}")


def deepnorm_update_sum(alpha: float, beta: float, sublayers: int) -> float:
    """``sum_l (v_l^2 + w_l^2) / alpha^2`` with ``v = w = beta`` over ``sublayers`` sublayers.

    Wang et al. (2022), Sec. 4.3: the SGD update bound of Theorem 4.2 is
    ``eta ||dL/dF|| sum_l (v_l^2 + w_l^2) / alpha^2``, kept at ``O(eta)`` when this sum is 1:
    ``2N`` sublayers for an N-layer encoder (or decoder-only stack), ``3M`` for a decoder with
    cross-attention.
    """
    count = positive_int(sublayers, "sublayers")
    return count * 2 * positive(beta, "beta") ** 2 / positive(alpha, "alpha") ** 2


def deepnorm_branch_share_moments(
    d_model: int, d_ff: int, alpha: float, beta: float, var_1: float, var_2: float
) -> tuple[float, float]:
    """``(E R, E R^2)`` of ``R = ||G(x)||^2 / ||alpha x||^2`` for a DeepNorm feed-forward sublayer.

    ``x`` is a LayerNorm output (``||x||^2 = d``), ``G(x) = beta W_2 relu(beta W_1 x)`` with
    ``W_i ~ N(0, var_i)``, zero biases: ``E R = beta^4 gamma / alpha^2`` with the unscaled gain
    ``gamma = var_1 var_2 f / 2``.
    """
    d = positive_int(d_model, "d_model")
    b2 = positive(beta, "beta") ** 2
    tau = ffn_branch_tau_moments(d_ff, b2 * positive(var_1, "var_1"), b2 * positive(var_2, "var_2"), d)
    energy = branch_energy_moments(tau, d)
    norm = positive(alpha, "alpha") ** 2 * d
    return energy[0] / norm, energy[1] / norm**2


EQUAL_LAW_EXCEEDANCE = 0.5
"""``P(X > Y) = 1/2`` for independent X, Y of one continuous law (Post-LN's depth-free gradient)."""
PRE_LN_GRADIENT_DEPTH_EXPONENT = -0.5
"""Xiong et al. (2020), Thm. 1: Pre-LN's last-layer gradient is ``O(sqrt(ln d / L))``."""
POST_LN_GRADIENT_DEPTH_EXPONENT = 0.0
"""Xiong et al. (2020), Thm. 1: Post-LN's last-layer gradient is ``O(d sqrt(ln d))``, free of L."""
