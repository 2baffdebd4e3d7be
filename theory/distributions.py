"""The distribution each initialization scheme should produce: a :class:`Law` (frozen ``scipy.stats``).

This is what the statistical checks compare an implementation with: its full CDF (DKW), its
variance, and its kurtosis (which sets how many samples a variance check needs).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy import stats

from theory import variance as va
from theory._domain import positive, real
from theory.activations import he_gain, pytorch_gain
from theory.fans import fans

TRUNCATED_STD_2SIGMA = float(stats.truncnorm(-2.0, 2.0).std())
"""Std of N(0, 1) truncated to (-2, 2) = 0.87962566103423978 (``scipy.stats.truncnorm``)."""


@dataclass(frozen=True)
class Law:
    """The law of every entry of a weight: the frozen ``scipy.stats`` law and what checks need.

    Attributes:
        frozen: the frozen ``scipy.stats`` distribution (its ``cdf``, ``mean``, ``var``).
        family: ``"normal"``, ``"uniform"`` or ``"truncated_normal"``.
        support: ``(low, high)``, infinite for the normal.
        kurtosis: non-excess kurtosis ``E[(X - mu)^4] / Var^2`` (normal 3, uniform 9/5).
    """

    frozen: Any
    family: str
    support: tuple[float, float]
    kurtosis: float

    @property
    def mean(self) -> float:
        return float(self.frozen.mean())

    @property
    def variance(self) -> float:
        return float(self.frozen.var())

    @property
    def bounded(self) -> bool:
        """Whether the support is a finite interval (uniform, truncated normal)."""
        return bool(np.all(np.isfinite(self.support)))


def _law(frozen: Any, family: str) -> Law:
    low, high = frozen.support()
    return Law(frozen, family, (float(low), float(high)), kurtosis(frozen))


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


@dataclass(frozen=True)
class ScalingRow:
    """One variance-scaling scheme: ``Var W = scale(params) / fan(mode)``, drawn from ``distribution``.

    ``mode`` is a fixed fan mode or None (the ``mode`` parameter, default ``fan_in``); ``scale``
    maps the scheme's parameters to the variance's numerator.
    """

    scale: Callable[[Mapping[str, Any]], float]
    mode: str | None
    distribution: str | None


def _kaiming_scale(params: Mapping[str, Any]) -> float:
    nonlinearity = params.get("nonlinearity", "leaky_relu")
    gain = he_gain(params.get("a", 0.0)) if nonlinearity == "leaky_relu" else pytorch_gain(nonlinearity)
    return gain**2


def _xavier_scale(params: Mapping[str, Any]) -> float:
    return float(params.get("gain", 1.0)) ** 2


PYTORCH_LINEAR_DEFAULT_SCALE = 1.0 / 3.0
"""PyTorch's ``nn.Linear`` default U[-1/sqrt n, 1/sqrt n] has ``n Var W = 1/3`` (GB10 eq. (1))."""

SCALING: Mapping[str, ScalingRow] = MappingProxyType(
    {
        "variance_scaling": ScalingRow(lambda p: float(p.get("scale", 1.0)), None, None),
        "xavier_uniform": ScalingRow(_xavier_scale, "fan_avg", "uniform"),
        "xavier_normal": ScalingRow(_xavier_scale, "fan_avg", "normal"),
        "kaiming_uniform": ScalingRow(_kaiming_scale, None, "uniform"),
        "kaiming_normal": ScalingRow(_kaiming_scale, None, "normal"),
        "lecun_uniform": ScalingRow(lambda p: 1.0, "fan_in", "uniform"),
        "lecun_normal": ScalingRow(lambda p: 1.0, "fan_in", "truncated_normal"),
        "pytorch_linear_default": ScalingRow(lambda p: PYTORCH_LINEAR_DEFAULT_SCALE, "fan_in", "uniform"),
    }
)
"""Every variance-scaling scheme as a (scale, mode, distribution) row (JAX's ``variance_scaling``
and its wrappers; PyTorch's ``xavier_*``/``kaiming_*`` with their gains)."""

_PLAIN = {
    "uniform": lambda p: (
        stats.uniform(p.get("low", 0.0), p.get("high", 1.0) - p.get("low", 0.0)),
        "uniform",
    ),
    "normal": lambda p: (stats.norm(p.get("mean", 0.0), p.get("std", 1.0)), "normal"),
    "truncated_normal": lambda p: (
        truncated_normal(p.get("mean", 0.0), p.get("std", 1.0), p.get("a", -2.0), p.get("b", 2.0)),
        "truncated_normal",
    ),
}


def scheme_variance(name: str, shape: Sequence[int], **params: Any) -> float:
    """``Var W`` of a variance-scaling scheme (a row of :data:`SCALING`) for a weight of ``shape``."""
    if name not in SCALING:
        raise ValueError(f"unknown scheme {name!r}: must be one of {sorted([*_PLAIN, *SCALING])}")
    row = SCALING[name]
    fan_in, fan_out = fans(shape, params.get("layout", "torch"))
    mode = row.mode or params.get("mode", "fan_in")
    return va.variance_scaling_variance(row.scale(params), fan_in, fan_out, mode)


def scheme(name: str, shape: Sequence[int], **params: Any) -> Law:
    """The law of every entry of ``name``'s output for a weight of ``shape``.

    Args:
        name: ``uniform``, ``normal``, ``truncated_normal`` or a row of :data:`SCALING`
            (``variance_scaling``, ``xavier_uniform``, ``xavier_normal``, ``kaiming_uniform``,
            ``kaiming_normal``, ``lecun_uniform``, ``lecun_normal``, ``pytorch_linear_default``).
        shape: the weight's shape.
        **params: the scheme's parameters with the names ``impls`` uses (``low``, ``high``,
            ``mean``, ``std``, ``a``, ``b``, ``scale``, ``mode``, ``distribution``, ``gain``,
            ``nonlinearity``, ``layout``).

    Returns:
        :class:`Law`.

    References:
        Glorot & Bengio (2010); He et al. (2015); LeCun et al. (1998); PyTorch ``nn.init``.
    """
    if name in _PLAIN:
        frozen, family = _PLAIN[name](params)
        return _law(frozen, family)
    variance = scheme_variance(name, shape, **params)
    family = SCALING[name].distribution or params.get("distribution", "truncated_normal")
    return _law(scaled(family, variance), family)


def kurtosis(distribution: Any) -> float:
    """Non-excess kurtosis ``E[(X - mu)^4] / Var^2`` of a frozen law (uniform 9/5, normal 3)."""
    return float(distribution.stats(moments="k")) + 3.0
