"""Dynamical isometry: singular values of the input-output Jacobian by depth, at criticality."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from properties.simulation import jacobian_spectrum, scaled_weights
from reports.bench.common import Figure, Section, Settings, Table, pyplot
from reports.bench.experiment import Cell, Experiment, gather
from theory import isometry

NAME = "isometry"
WEIGHTS = {"gaussian": "normal", "orthogonal": "orthogonal"}
"""Theory's weight ensemble: the simulator's weight law."""
TANH_INPUT_STD = 1e-3
"""tanh is measured with small inputs, so the network stays near q* = 0 (its critical point)."""


def measure_cell(
    rng: np.random.Generator, *, activation: str, weights: str, depth: int, width: int, draws: int
) -> pd.DataFrame:
    """``draws`` networks at the critical point: one row per (draw, squared singular value)."""
    init = scaled_weights(isometry.CRITICAL[activation].sigma_w2, WEIGHTS[weights])
    input_std = TANH_INPUT_STD if activation == "tanh" else 1.0
    spectra = [
        jacobian_spectrum(width, depth, init, activation, rng, input_std=input_std) for _ in range(draws)
    ]
    return pd.DataFrame({"draw": np.repeat(np.arange(draws), width), "s2": np.concatenate(spectra)})


def cells(settings: Settings) -> list[Cell]:
    width = settings.pick(128, 256, 1024)
    depths = settings.pick([1, 4, 16], [1, 4, 16, 64], [1, 4, 16, 64, 200])
    draws = settings.pick(2, 4, 20)
    return [
        Cell(
            NAME,
            {"activation": a, "weights": w, "depth": d},
            measure_cell,
            {"activation": a, "weights": w, "depth": d, "width": width, "draws": draws},
        )
        for a in isometry.CRITICAL
        for w in WEIGHTS
        for d in depths
    ]


def measure(settings: Settings) -> pd.DataFrame:
    return gather(cell.run(settings.seed) for cell in cells(settings))


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: mean and variance of s^2 (averaged over draws), their spread, theory."""
    keys = ["activation", "weights", "depth"]
    per_draw = frame.groupby([*keys, "draw"], sort=False)["s2"].agg(["mean", "var"])
    per_draw["var"] = frame.groupby([*keys, "draw"], sort=False)["s2"].var(ddof=0)
    table = per_draw.groupby(keys, sort=False).agg(
        **{
            "mean s^2": ("mean", "mean"),
            "var s^2": ("var", "mean"),
            "var s^2 spread": ("var", lambda v: v.std(ddof=0)),
        }
    )
    table = table.reset_index()
    table["var s^2 (theory)"] = [
        isometry.critical_spectrum_variance(a, w, int(d))
        for a, w, d in zip(table["activation"], table["weights"], table["depth"], strict=True)
    ]
    return table


def section(frame: pd.DataFrame) -> Section:
    width = int(frame.groupby(["activation", "weights", "depth", "draw"]).size().iloc[0])
    draws = int(frame["draw"].nunique())
    return Section(
        "Dynamical isometry",
        [
            "Orthogonal linear networks are exact isometries (every s^2 = 1); Gaussian ones spread like "
            "the Fuss-Catalan law (Var s^2 = L); ReLU spreads for either ensemble (2L Gaussian, L "
            "orthogonal); tanh at the critical point with small inputs stays near the linear case. "
            f"Width {width}, {draws} networks per depth. "
            "Theory: Pennington, Schoenholz & Ganguli (2017).",
            Table("isometry", summarize(frame)),
            Figure("isometry_spectra"),
        ],
    )


def plot(frame: pd.DataFrame) -> dict[str, Any]:
    plt = pyplot()
    activations = list(dict.fromkeys(frame["activation"]))
    depths = sorted(frame["depth"].unique())
    width = int(frame.groupby(["activation", "weights", "depth", "draw"]).size().iloc[0])
    draws = int(frame["draw"].nunique())
    figure, axes = plt.subplots(
        len(activations), 2, figsize=(12, 10), sharex=True, sharey=True, squeeze=False
    )
    for i, activation in enumerate(activations):
        for j, weights in enumerate(WEIGHTS):
            ax = axes[i, j]
            for depth in depths:
                chosen = (
                    (frame["activation"] == activation)
                    & (frame["weights"] == weights)
                    & (frame["depth"] == depth)
                )
                s2 = frame.loc[chosen, "s2"].to_numpy()
                zeros = float(np.mean(s2 < 1e-12))
                label = f"L = {depth}" + (f" ({zeros:.0%} below 1e-12)" if zeros > 0.005 else "")
                ax.ecdf(np.clip(s2, 1e-8, None), label=label)
            ax.set_xscale("log")
            ax.set_xlim(1e-6, 1e3)
            ax.axvline(1.0, color="grey", lw=0.8, ls=":")
            ax.set_title(f"{activation}, {weights} weights (critical)")
            ax.set_ylabel("fraction of s^2 below x")
            ax.legend(fontsize=8, loc="upper left")
            ax.grid(True, alpha=0.3)
        axes[-1, 0].set_xlabel("squared singular value s^2 of J")
        axes[-1, 1].set_xlabel("squared singular value s^2 of J")
    figure.suptitle(f"Jacobian spectra (empirical CDFs) at width {width}, {draws} networks per depth")
    figure.tight_layout()
    return {"isometry_spectra": figure}


EXPERIMENT = Experiment(NAME, cells, plot, section)
