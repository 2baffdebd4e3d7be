"""The seed documents' experiments, reproduced with impls and compared with theory.

Three parts, one frame (column ``part``): seed 000 (one neuron with 10,000 inputs), seed 004
(the exploding linear chain), seed 001 (10 layers of 500 units, with per-layer histograms).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

import impls
from properties.simulation import scaled_weights
from reports.bench.common import Figure, Section, Settings, Table, pyplot
from reports.bench.experiment import Cell, Experiment, gather
from theory import experiments, meanfield, seeds

NAME = "seeds"
BINS = 40
SEED000_LAWS = {
    "uniform(-1, 1)": lambda n, rng: impls.uniform((n,), -1, 1, rng=rng),
    "normal(0, 1)": lambda n, rng: impls.normal((n,), rng=rng),
    "truncated_normal(0, 1, +-2)": lambda n, rng: impls.truncated_normal((n,), rng=rng),
    "normal(0, 1/sqrt(n))": lambda n, rng: impls.normal((n,), 0, 1 / math.sqrt(n), rng=rng),
}
SEED000_VECTORS = 3
SEED004_DEPTH = 6


def _histogram(values: np.ndarray, bins: int) -> pd.DataFrame:
    density, edges = np.histogram(values, bins=bins, density=True)
    return pd.DataFrame({"bin_left": edges[:-1], "bin_right": edges[1:], "density": density})


def seed000_cell(rng: np.random.Generator, *, law: str, inputs: int) -> pd.DataFrame:
    """Three weight vectors of one law: the std of a = w . x over inputs; the last one's histogram."""
    n = seeds.SEED000_INPUTS
    stds = []
    for _ in range(SEED000_VECTORS):
        w = SEED000_LAWS[law](n, rng)
        x = impls.uniform((inputs, n), -1, 1, rng=rng)
        stds.append(float(np.std(x @ w)))
    rows = pd.DataFrame(
        {"part": "seed000", "vector": np.arange(SEED000_VECTORS), "std": stds, "inputs": inputs}
    )
    return pd.concat([rows, _histogram(w, 50).assign(part="seed000 weights")], ignore_index=True)


def seed004_cell(rng: np.random.Generator, *, repeat: int) -> pd.DataFrame:
    """One linear chain of width 400 with N(0, 1) weights: the std of each layer's output."""
    width, stds = experiments.SEED004_WIDTH, []
    h = rng.standard_normal((100, width))
    for _ in range(SEED004_DEPTH):
        h = h @ impls.normal((width, width), rng=rng).T
        stds.append(h.std())
    return pd.DataFrame({"part": "seed004", "layer": np.arange(1, SEED004_DEPTH + 1), "std": stds})


def seed001_cell(rng: np.random.Generator, *, experiment: str, batch: int) -> pd.DataFrame:
    """One of seed 001's networks: per-layer statistics and activation histograms."""
    e = seeds.SEED001_EXPERIMENTS[experiment]
    width, depth = seeds.SEED001_WIDTH, seeds.SEED001_DEPTH
    params = impls.init_mlp([width] * (depth + 1), scaled_weights(e.sigma_w2, "normal"), rng=rng)
    cache = impls.forward(params, rng.standard_normal((batch, width)), e.activation)
    predicted = seeds.seed001_preactivation_stds(experiment)
    rows, histograms = [], []
    for layer in range(depth):
        a = cache.post[layer + 1].ravel()
        first, second = meanfield.post_activation_moments(predicted[layer] ** 2, e.activation)
        zeros = float(np.mean(a == 0))
        rows.append(
            {
                "layer": layer + 1,
                "pre std": cache.pre[layer].std(),
                "pre std (mean field)": predicted[layer],
                "activation mean": a.mean(),
                "activation std": a.std(),
                "activation std (mean field)": math.sqrt(max(second - first**2, 0)),
                "zeros": zeros,
            }
        )
        shown = a[a != 0] if zeros > 0.01 else a  # ReLU's mass at 0 would flatten the rest
        histograms.append(_histogram(shown, BINS).assign(layer=layer + 1))
    return pd.concat(
        [pd.DataFrame(rows).assign(part="seed001"), pd.concat(histograms).assign(part="seed001 activations")],
        ignore_index=True,
    )


def cells(settings: Settings) -> list[Cell]:
    inputs = settings.pick(200, 1000)
    repeats = settings.pick(3, 8, 20)
    batch = settings.pick(200, 1000)
    return [
        *(Cell(NAME, {"law": law}, seed000_cell, {"law": law, "inputs": inputs}) for law in SEED000_LAWS),
        *(Cell(NAME, {"repeat": r}, seed004_cell, {"repeat": r}) for r in range(repeats)),
        *(
            Cell(NAME, {"experiment": name}, seed001_cell, {"experiment": name, "batch": batch})
            for name in seeds.SEED001_EXPERIMENTS
        ),
    ]


def measure(settings: Settings) -> pd.DataFrame:
    return gather(cell.run(settings.seed) for cell in cells(settings))


def _part(frame: pd.DataFrame, part: str) -> pd.DataFrame:
    return frame[frame["part"] == part].dropna(axis=1, how="all")


def seed000_table(frame: pd.DataFrame) -> pd.DataFrame:
    stds = _part(frame, "seed000").groupby("law", sort=False)["std"]
    laws = list(stds.groups)
    return pd.DataFrame(
        {
            "weights": laws,
            "std of a (measured)": stds.mean().to_numpy(),
            "spread": stds.std(ddof=0).to_numpy(),
            "std of a (theory)": [seeds.seed000_preactivation_std(law) for law in laws],
            "P(|a| > 1) (theory)": [seeds.seed000_probability_outside_unit(law) for law in laws],
        }
    )


def seed004_table(frame: pd.DataFrame) -> pd.DataFrame:
    stds = _part(frame, "seed004").groupby("layer")["std"]
    mean = stds.mean().to_numpy()
    layers = np.arange(1, len(mean) + 1)
    return pd.DataFrame(
        {
            "layer": layers,
            "std (measured)": mean,
            "spread": stds.std(ddof=0).to_numpy(),
            f"std (theory: {experiments.SEED004_GROWTH:g}^l)": experiments.SEED004_GROWTH**layers,
            "growth per layer": np.r_[mean[0], mean[1:] / mean[:-1]],
        }
    )


def seed001_table(frame: pd.DataFrame) -> pd.DataFrame:
    columns = ["experiment", "layer", "pre std", "pre std (mean field)", "activation mean", "activation std"]
    columns.append("activation std (mean field)")
    table = _part(frame, "seed001")[columns].copy()
    table["layer"] = table["layer"].astype(int)
    return table.reset_index(drop=True)


def section(frame: pd.DataFrame) -> Section:
    law = "normal(0, 1/sqrt(n))"
    within = 1 - seeds.seed000_probability_outside_unit(law)
    inputs = int(_part(frame, "seed000")["inputs"].iloc[0])
    full = seed001_table(frame)
    xavier = full[(full["experiment"] == "tanh-xavier") & (full["layer"] == seeds.SEED001_DEPTH)]
    xavier_std = float(xavier["pre std (mean field)"].iloc[0])
    measured_std = float(xavier["pre std"].iloc[0])
    growth = experiments.SEED004_GROWTH
    return Section(
        "The seeds' experiments",
        [
            f"**Seed 000** — a = w . x for one neuron with {seeds.SEED000_INPUTS:,} inputs x ~ U(-1, 1), "
            f"over {inputs} inputs and {SEED000_VECTORS} weight vectors per law. Theory: std a = "
            f"sqrt(n Var(w) E[x^2]). Only {within:.0%} of |a| fall within 1 after scaling by 1/sqrt(n) "
            "(the seed says 'within 1').",
            Table("seed000", seed000_table(frame)),
            Figure("seed000_weights"),
            f"**Seed 004** — the exploding chain (width {experiments.SEED004_WIDTH}: x{growth:g} per layer).",
            Table("seed004", seed004_table(frame)),
            Figure("seed004_growth"),
            f"**Seed 001** — {seeds.SEED001_DEPTH} tanh/ReLU layers of {seeds.SEED001_WIDTH} units, 1 input "
            "batch per experiment, one histogram per layer as in Glorot & Bengio's figures. Xavier with tanh "
            f"is *not* constant: its std decays as mean field predicts ({xavier_std:.2g} at layer "
            f"{seeds.SEED001_DEPTH}; measured {measured_std:.2g}).",
            Table("seed001", full[full["layer"].isin([1, 2, 5, 10])]),
            Table("seed001_full", full, shown=False),
            *(Figure(f"seed001_{name}") for name in seeds.SEED001_EXPERIMENTS),
        ],
    )


def plot(frame: pd.DataFrame) -> dict[str, Any]:
    plt = pyplot()
    figures: dict[str, Any] = {}
    histograms = _part(frame, "seed000 weights")
    figure = plt.figure(figsize=(16, 3.6))
    for i, (law, bins) in enumerate(histograms.groupby("law", sort=False), start=1):
        ax = figure.add_subplot(1, len(SEED000_LAWS), i)
        ax.stairs(
            bins["density"],
            np.r_[bins["bin_left"], bins["bin_right"].iloc[-1]],
            fill=True,
            color="tab:green",
            alpha=0.75,
        )
        ax.set_title(law)
        ax.set_xlabel("weight value")
        ax.set_ylabel("density")
    figure.suptitle(f"Seed 000: the weight laws ({seeds.SEED000_INPUTS:,} draws each)", y=1.04)
    figures["seed000_weights"] = figure

    table = seed004_table(frame)
    figure, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(table["layer"], table["std (measured)"], yerr=table["spread"], fmt="o", label="measured")
    growth, width = experiments.SEED004_GROWTH, experiments.SEED004_WIDTH
    ax.plot(table["layer"], growth ** table["layer"], "-", label=f"theory: sqrt({width})^l = {growth:g}^l")
    ax.set_yscale("log")
    ax.set_xlabel("layer")
    ax.set_ylabel("std of the layer's output")
    ax.legend()
    ax.set_title(f"Seed 004: linear chain, width {width}, W ~ N(0, 1)")
    figures["seed004_growth"] = figure

    stats = _part(frame, "seed001")
    activations = _part(frame, "seed001 activations")
    for name, experiment in seeds.SEED001_EXPERIMENTS.items():
        rows = stats[stats["experiment"] == name]
        depth = len(rows)
        figure, axes = plt.subplots(1, depth, figsize=(20, 2.6), sharey=True)
        for ax, (_, row) in zip(axes, rows.iterrows(), strict=True):
            bins = activations[(activations["experiment"] == name) & (activations["layer"] == row["layer"])]
            ax.stairs(
                bins["density"],
                np.r_[bins["bin_left"], bins["bin_right"].iloc[-1]],
                fill=True,
                color="tab:blue",
            )
            mean, std = row["activation mean"], row["activation std"]
            title = f"layer {int(row['layer'])}\nmean {mean:.2g}, std {std:.2g}"
            zeros = row["zeros"]
            ax.set_title(title + (f"\n{zeros:.0%} exactly 0 (not shown)" if zeros > 0.01 else ""), fontsize=8)
            ax.tick_params(labelsize=7)
            ax.set_xlabel("activation", fontsize=8)
        axes[0].set_ylabel("density")
        figure.suptitle(f"Seed 001: {name} ({experiment.seed_reading})", y=1.22)
        figures[f"seed001_{name}"] = figure
    return figures


EXPERIMENT = Experiment(NAME, cells, plot, section)
