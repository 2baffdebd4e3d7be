"""Low-precision initialization: every initializer's law, underflow and variance in float16, bfloat16
and float32, against theory's rounding bounds (:mod:`theory.low_precision`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

import impls
from reports.bench.common import Figure, Section, Settings, Table, pyplot
from reports.bench.experiment import Cell, Experiment, gather
from theory import distributions, low_precision

NAME = "low_precision_table"
DKW_LEVEL = 0.05
"""The Kolmogorov distance's sampling noise is shown at this level (DKW, Massart's constant)."""


def _dtypes() -> dict[str, Any]:
    import ml_dtypes

    return {"float16": np.float16, "bfloat16": ml_dtypes.bfloat16, "float32": np.float32}


def _inverse_cdf_in(shape: tuple[int, int], rng: np.random.Generator, dtype: Any) -> np.ndarray:
    """He-normal values by the inverse CDF of a uniform *rounded to dtype* (a low-precision draw)."""
    uniform = rng.random(shape, dtype=np.float32).astype(dtype).astype(np.float64)
    with np.errstate(divide="ignore"):
        return (special.ndtri(uniform) * math.sqrt(2.0 / shape[1])).astype(dtype)


# name: (draw(shape, rng, dtype), theory's law for the shape)
INITIALIZERS: dict[str, tuple[Callable[..., np.ndarray], Callable[[tuple[int, int]], distributions.Law]]] = {
    "kaiming_normal": (
        lambda s, r, d: impls.kaiming_normal(s, rng=r, dtype=d),
        lambda s: distributions.scheme("kaiming_normal", s),
    ),
    "xavier_uniform": (
        lambda s, r, d: impls.xavier_uniform(s, rng=r, dtype=d),
        lambda s: distributions.scheme("xavier_uniform", s),
    ),
    "lecun_normal": (
        lambda s, r, d: impls.lecun_normal(s, rng=r, dtype=d),
        lambda s: distributions.scheme("lecun_normal", s),
    ),
    "normal std 1/fan (muP readout)": (
        lambda s, r, d: impls.normal(s, 0.0, 1.0 / s[1], rng=r, dtype=d),
        lambda s: distributions.scheme("normal", s, std=1.0 / s[1]),
    ),
    "He normal by inverse CDF of a dtype uniform": (
        _inverse_cdf_in,
        lambda s: distributions.scheme("normal", s, std=math.sqrt(2.0 / s[1])),
    ),
}
"""impls' initializers (drawn in float32, rounded once), and one draw made in the dtype itself."""


def _rounding_bound(law: distributions.Law, fmt: low_precision.Format, name: str) -> float:
    std = math.sqrt(law.variance)
    if name.startswith("He normal by inverse CDF"):
        return low_precision.inverse_cdf_draw_distance(fmt)
    if law.family == "uniform":
        return low_precision.law_rounding_kolmogorov_bound("uniform", law.support[1], fmt)
    if law.family == "truncated_normal":
        scale = std / distributions.TRUNCATED_STD_2SIGMA
        return low_precision.law_rounding_kolmogorov_bound("truncated_normal", scale, fmt)
    return low_precision.law_rounding_kolmogorov_bound("normal", std, fmt)


def measure_cell(
    rng: np.random.Generator, *, initializer: str, dtype: str, fan: int, draws: int
) -> pd.DataFrame:
    """One row: Kolmogorov distance to the law, underflow and variance error of ``draws`` values."""
    shape = (max(1, draws // fan), fan)
    draw, law_of = INITIALIZERS[initializer]
    law, fmt = law_of(shape), low_precision.FORMATS[dtype]
    values = draw(shape, rng, _dtypes()[dtype]).astype(np.float64).ravel()
    n = values.size
    finite = np.isfinite(values)
    distance = float(stats.kstest(values, law.frozen.cdf).statistic)
    threshold = fmt.smallest_normal - fmt.subnormal_spacing / 2
    return pd.DataFrame(
        {
            "n": [n],
            "std": [math.sqrt(law.variance)],
            "kolmogorov": [distance],
            "dkw noise (95%)": [math.sqrt(math.log(2 / DKW_LEVEL) / (2 * n))],
            "rounding bound": [_rounding_bound(law, fmt, initializer)],
            "subnormal or zero": [float(np.mean(np.abs(values) < fmt.smallest_normal))],
            "subnormal (theory)": [float(law.frozen.cdf(threshold) - law.frozen.cdf(-threshold))],
            "non-finite": [float(np.mean(~finite))],
            "variance error": [float(np.mean(values[finite] ** 2) / law.variance - 1)],
            "variance error s.e.": [math.sqrt((law.kurtosis - 1) / n)],
        }
    )


def cells(settings: Settings) -> list[Cell]:
    fans = settings.pick([64, 16384], [64, 1024, 16384])
    draws = settings.pick(1 << 15, 1 << 17)
    return [
        Cell(
            NAME,
            {"initializer": name, "dtype": dtype, "fan": fan},
            measure_cell,
            {"initializer": name, "dtype": dtype, "fan": fan, "draws": draws},
        )
        for name in INITIALIZERS
        for dtype in low_precision.FORMATS
        for fan in fans
    ]


def measure(settings: Settings) -> pd.DataFrame:
    return gather(cell.run(settings.seed) for cell in cells(settings))


def _row(frame: pd.DataFrame, initializer: str, dtype: str, fan: int) -> pd.Series:
    chosen = (frame["initializer"] == initializer) & (frame["dtype"] == dtype) & (frame["fan"] == fan)
    return frame.loc[chosen].iloc[0]


def section(frame: pd.DataFrame) -> Section:
    fan = int(frame["fan"].max())
    n = int(frame["n"].iloc[0])
    readout = "normal std 1/fan (muP readout)"
    inverse = "He normal by inverse CDF of a dtype uniform"
    rounded = frame[frame["initializer"] != inverse]
    within = int((rounded["kolmogorov"] <= rounded["rounding bound"] + rounded["dkw noise (95%)"]).sum())
    f16, bf16 = _row(frame, readout, "float16", fan), _row(frame, readout, "bfloat16", fan)
    inv = _row(frame, inverse, "bfloat16", fan)
    var_z = (rounded["variance error"].abs() / rounded["variance error s.e."]).max()
    return Section(
        "Low precision",
        [
            f"Each initializer's {n:,} values per cell, in float16, bfloat16 and float32, against its "
            "law: the Kolmogorov distance, its 95% sampling noise (DKW) and theory's bound on what "
            "rounding a float32 draw once can do; the fraction that is subnormal or zero; the "
            "relative error of the mean square. "
            f"The std 1/fan readout of fan {fan:,} (std {f16['std']:.3g}) is "
            f"{f16['subnormal or zero']:.1%} subnormal or zero in float16 (theory "
            f"{f16['subnormal (theory)']:.1%}) and {bf16['subnormal or zero']:.1%} in bfloat16. "
            f"impls' initializers draw in float32 and round once: {within} of their {len(rounded)} "
            "cells are within the rounding bound plus the 95% noise (about 5% outside by chance), "
            f"and their mean squares are within {var_z:.2g} standard errors of the law's. Drawing in "
            f"bfloat16 instead (the inverse CDF of a bfloat16 uniform) puts the law at distance "
            f"{inv['kolmogorov']:.2g} (theory {inv['rounding bound']:.2g}, half the uniform's spacing "
            f"near 1, against a noise of {inv['dkw noise (95%)']:.2g}), with {inv['non-finite']:.2%} "
            f"infinite values (uniforms rounded up to 1), {inv['subnormal or zero']:.2%} exact zeros "
            f"(uniforms rounded to 1/2) and a mean square {inv['variance error']:+.1%} off "
            f"({abs(inv['variance error']) / inv['variance error s.e.']:.0f} standard errors). "
            "Theory: IEEE 754 formats; Higham (2002), Sec. 2.2; pytorch/pytorch#145498.",
            Table(NAME, frame.drop(columns=["n"])),
            Figure("low_precision_distance"),
        ],
    )


def plot(frame: pd.DataFrame) -> dict[str, Any]:
    plt = pyplot()
    fan = int(frame["fan"].max())
    names = list(dict.fromkeys(frame["initializer"]))
    dtypes = list(low_precision.FORMATS)
    figure, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    width = 0.8 / len(dtypes)
    for k, dtype in enumerate(dtypes):
        rows = [_row(frame, name, dtype, fan) for name in names]
        x = np.arange(len(names)) + (k - 1) * width
        axes[0].bar(x, [r["kolmogorov"] for r in rows], width, label=f"{dtype}: measured")
        axes[0].scatter(x, [r["rounding bound"] for r in rows], marker="_", s=200, color="black", zorder=3)
    noise = float(frame["dkw noise (95%)"].max())
    axes[0].axhline(noise, color="grey", ls=":", label=f"95% sampling noise ({noise:.2g})")
    axes[0].set_yscale("log")
    labels = [name.replace(" (", "\n(").replace(" by ", "\nby ") for name in names]
    axes[0].set_xticks(np.arange(len(names)), labels, fontsize=7, rotation=20, ha="right")
    axes[0].set_ylabel("Kolmogorov distance to the law (black: rounding bound)")
    axes[0].set_title(f"fan {fan:,}")
    axes[0].legend(fontsize=8)
    for dtype in dtypes:
        chosen = frame[(frame["initializer"] == "normal std 1/fan (muP readout)") & (frame["dtype"] == dtype)]
        axes[1].plot(chosen["fan"], chosen["subnormal or zero"], "o-", label=f"{dtype} measured")
        axes[1].plot(chosen["fan"], chosen["subnormal (theory)"], "k:", lw=0.8)
    axes[1].set_xscale("log")
    axes[1].set_xlabel("fan (std = 1/fan)")
    axes[1].set_ylabel("fraction subnormal or zero (dotted: theory)")
    axes[1].legend(fontsize=8)
    for ax in axes:
        ax.grid(True, alpha=0.3)
    figure.tight_layout()
    return {"low_precision_distance": figure}


EXPERIMENT = Experiment(NAME, cells, plot, section)
