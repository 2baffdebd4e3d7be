"""The distribution each initialization scheme should produce, as a frozen ``scipy.stats`` law.

This is what the statistical checks compare an implementation with: its full CDF (DKW), its
variance, and its kurtosis (which sets how many samples a variance check needs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from scipy import stats

from theory import variance as va
from theory._domain import positive, real
from theory.activations import he_gain, pytorch_gain
from theory.fans import fans

TRUNCATED_STD_2SIGMA = float(stats.truncnorm(-2.0, 2.0).std())
"""Std of N(0, 1) truncated to (-2, 2) = 0.87962566103423978 (``scipy.stats.truncnorm``)."""


def truncated_normal(mean: float, std: float, a: float, b: float) -> Any:
    """N(mean, std^2) truncated to the absolute interval (a, b), frozen.

    Its moments are ``scipy.stats.truncnorm``'s: e.g. variance ``std^2 [1 + (alpha phi(alpha) -
    beta phi(beta)) / Z - ((phi(alpha) - phi(beta)) / Z)^2]`` with ``alpha = (a - mean) / std``.
    """
    mean, std = real(mean, "mean"), positive(std, "std")
    a, b = real(a, "a"), real(b, "b")
    if not a < b:
        raise ValueError(f"a must be < b, got a={a}, b={b}")
    return stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)


def symmetric_uniform(variance: float) -> Any:
    """U(-a, a) with ``a = sqrt(3 variance)``."""
    bound = va.uniform_bound(variance)
    return stats.uniform(-bound, 2 * bound)


def scaled(distribution: str, variance: float) -> Any:
    """Zero-mean law with the given *final* variance: uniform, normal or 2-sigma truncated normal."""
    variance = positive(variance, "variance")
    if distribution == "uniform":
        return symmetric_uniform(variance)
    if distribution == "normal":
        return stats.norm(0.0, math.sqrt(variance))
    if distribution == "truncated_normal":
        return stats.truncnorm(-2.0, 2.0, scale=math.sqrt(variance) / TRUNCATED_STD_2SIGMA)
    raise ValueError(f"distribution must be uniform, normal or truncated_normal, got {distribution!r}")


def scheme(name: str, shape: Sequence[int], **params: Any) -> Any:
    """The law of every entry of ``name``'s output for a weight of ``shape``.

    Args:
        name: ``uniform``, ``normal``, ``truncated_normal``, ``variance_scaling``,
            ``xavier_uniform``, ``xavier_normal``, ``kaiming_uniform``, ``kaiming_normal``,
            ``lecun_uniform``, ``lecun_normal`` or ``pytorch_linear_default``.
        shape: the weight's shape.
        **params: the scheme's parameters with the names ``impls`` uses (``low``, ``high``,
            ``mean``, ``std``, ``a``, ``b``, ``scale``, ``mode``, ``distribution``, ``gain``,
            ``nonlinearity``, ``layout``).

    Returns:
        A frozen ``scipy.stats`` distribution.

    References:
        Glorot & Bengio (2010); He et al. (2015); LeCun et al. (1998); PyTorch ``nn.init``.
    """
    if name == "uniform":
        low, high = params.get("low", 0.0), params.get("high", 1.0)
        return stats.uniform(low, high - low)
    if name == "normal":
        return stats.norm(params.get("mean", 0.0), params.get("std", 1.0))
    if name == "truncated_normal":
        return truncated_normal(
            params.get("mean", 0.0), params.get("std", 1.0), params.get("a", -2.0), params.get("b", 2.0)
        )
    fan_in, fan_out = fans(shape, params.get("layout", "torch"))
    if name == "variance_scaling":
        variance = va.variance_scaling_variance(
            params.get("scale", 1.0), fan_in, fan_out, params.get("mode", "fan_in")
        )
        return scaled(params.get("distribution", "truncated_normal"), variance)
    if name in ("xavier_uniform", "xavier_normal"):
        variance = params.get("gain", 1.0) ** 2 * va.glorot_variance(fan_in, fan_out)
        return scaled(name.split("_")[1], variance)
    if name in ("kaiming_uniform", "kaiming_normal"):
        fan = fan_in if params.get("mode", "fan_in") == "fan_in" else fan_out
        gain = _kaiming_gain(params.get("nonlinearity", "leaky_relu"), params.get("a", 0.0))
        return scaled(name.split("_")[1], gain**2 / fan)
    if name in ("lecun_uniform", "lecun_normal"):
        kind = "uniform" if name == "lecun_uniform" else "truncated_normal"
        return scaled(kind, va.lecun_variance(fan_in))
    if name == "pytorch_linear_default":
        return symmetric_uniform(va.glorot_standard_init_variance(fan_in))
    raise ValueError(f"unknown scheme {name!r}")


def _kaiming_gain(nonlinearity: str, a: float) -> float:
    if nonlinearity == "leaky_relu":
        return he_gain(a)
    return pytorch_gain(nonlinearity)


def kurtosis(distribution: Any) -> float:
    """Non-excess kurtosis ``E[(X - mu)^4] / Var^2`` of a frozen law (uniform 9/5, normal 3)."""
    return float(distribution.stats(moments="k")) + 3.0
