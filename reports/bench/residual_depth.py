"""Residual depth sweep: E ||x_L||^2 / ||x_0||^2 by depth for plain, 1/sqrt(L), Fixup and ReZero branches.

Each cell draws ``draws`` residual MLPs (impls' ``init_residual_mlp``/``residual_forward``, He
ReLU branches of two layers) of one scheme and depth on one input, and records the stream's
squared-norm ratio; for Fixup it also records the first SGD step's size
``U = sum_l ||relu(W1_l x_0)||^2 / ||x_0||^2`` (the zero last layers' gradients are ``g h_l^T``).
Theory: :mod:`theory.residual`.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

import impls
from reports.bench.common import Figure, Section, Settings, Table, pyplot
from reports.bench.experiment import Cell, Experiment, gather
from theory import residual

NAME = "residual_depth_sweep"
SCHEMES = ("plain", "1/sqrt(L)", "fixup", "rezero")


def _alpha(scheme: str, depth: int) -> float:
    return {"plain": 1.0, "1/sqrt(L)": residual.depth_scaled_branch(depth), "fixup": 1.0, "rezero": 0.0}[
        scheme
    ]


def measure_cell(
    rng: np.random.Generator, *, scheme: str, depth: int, width: int, draws: int
) -> pd.DataFrame:
    """``draws`` networks: the stream ratio and (Fixup) the first update's size U."""
    he = functools.partial(impls.kaiming_normal, nonlinearity="relu")
    last = functools.partial(impls.kaiming_normal, nonlinearity="linear")
    c = residual.fixup_branch_rescale(depth, 2) if scheme == "fixup" else 1.0

    def first(shape: Any, *, rng: Any, dtype: Any) -> np.ndarray:
        return c * he(shape, rng=rng, dtype=dtype)

    x0 = rng.normal(size=(1, width))
    ratios, updates = [], []
    for _ in range(draws):
        params = impls.init_residual_mlp(width, depth, first, last, zero_last=scheme == "fixup", rng=rng)
        forward = impls.residual_forward(params, x0, _alpha(scheme, depth))
        ratios.append(float(np.sum(forward.stream[-1] ** 2) / np.sum(x0**2)))
        hidden = [impls.relu(h) for h in forward.hidden]
        updates.append(float(sum(np.sum(h * h) for h in hidden) / np.sum(x0**2)))
    return pd.DataFrame({"draw": np.arange(draws), "ratio": ratios, "update": updates})


def cells(settings: Settings) -> list[Cell]:
    width = settings.pick(32, 64, 256)
    depths = settings.pick([1, 4, 16], [1, 2, 4, 8, 16, 32], [1, 2, 4, 8, 16, 32, 64, 128])
    draws = settings.pick(10, 40, 200)
    return [
        Cell(
            NAME,
            {"scheme": s, "depth": d},
            measure_cell,
            {"scheme": s, "depth": d, "width": width, "draws": draws},
        )
        for s in SCHEMES
        for d in depths
    ]


def measure(settings: Settings) -> pd.DataFrame:
    return gather(cell.run(settings.seed) for cell in cells(settings))


def _theory(scheme: str, depth: int) -> float:
    if scheme == "fixup":
        return 1.0  # the zero last layers leave x_L = x_0 exactly
    return residual.residual_norm_growth(depth, _alpha(scheme, depth))


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Per scheme and depth: the measured mean ratio, its standard error, theory; Fixup's U."""
    grouped = frame.groupby(["scheme", "depth"], sort=False)
    table = grouped["ratio"].agg(["mean", "sem"]).rename(columns={"mean": "E ratio", "sem": "s.e."})
    table = table.reset_index()
    table["E ratio (theory)"] = [
        _theory(s, int(d)) for s, d in zip(table["scheme"], table["depth"], strict=True)
    ]
    updates = grouped["update"].mean().to_numpy()
    table["Fixup first update U"] = np.where(table["scheme"] == "fixup", updates, np.nan)
    table["U (theory)"] = np.where(table["scheme"] == "fixup", 1.0, np.nan)
    return table


def section(frame: pd.DataFrame) -> Section:
    table = summarize(frame)
    deepest = int(table["depth"].max())
    draws = int(frame["draw"].nunique())

    def at(scheme: str, column: str) -> float:
        row = table[(table["scheme"] == scheme) & (table["depth"] == deepest)]
        return float(row[column].iloc[0])

    fixup = table[table["scheme"] == "fixup"]
    return Section(
        "Residual depth sweep",
        [
            f"At depth {deepest} ({draws} networks per cell) the plain stream's squared norm grew by "
            f"{at('plain', 'E ratio'):.4g} (theory 2^L = {at('plain', 'E ratio (theory)'):.4g}); with "
            f"branches scaled by 1/sqrt(L) by {at('1/sqrt(L)', 'E ratio'):.4g} (theory (1 + 1/L)^L = "
            f"{at('1/sqrt(L)', 'E ratio (theory)'):.4g} < e); Fixup and ReZero leave it at "
            f"{at('fixup', 'E ratio'):.4g} and {at('rezero', 'E ratio'):.4g} (the identity). Fixup's "
            f"first-step size U ranged over {fixup['Fixup first update U'].min():.3g}..."
            f"{fixup['Fixup first update U'].max():.3g} across depths (theory 1 at every depth). "
            "Theory: Hanin & Rolnick (2018), Zhang et al. (2019), Bachlechner et al. (2021).",
            Table(NAME, table),
            Figure(NAME),
        ],
    )


def plot(frame: pd.DataFrame) -> dict[str, Any]:
    plt = pyplot()
    table = summarize(frame)
    figure, ax = plt.subplots(figsize=(7, 4.5))
    for scheme in SCHEMES:
        rows = table[table["scheme"] == scheme]
        line = ax.errorbar(rows["depth"], rows["E ratio"], yerr=rows["s.e."], marker="o", ls="", label=scheme)
        ax.plot(rows["depth"], rows["E ratio (theory)"], color=line[0].get_color(), lw=1)
    fixup = table[table["scheme"] == "fixup"]
    ax.plot(fixup["depth"], fixup["Fixup first update U"], "k^", label="Fixup first update U")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("depth L (residual blocks)")
    ax.set_ylabel("E ||x_L||^2 / ||x_0||^2 (markers: measured, lines: theory)")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    return {NAME: figure}


EXPERIMENT = Experiment(NAME, cells, plot, section)
