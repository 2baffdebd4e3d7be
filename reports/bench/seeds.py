"""The seed documents' experiments, reproduced with impls and compared with theory."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

import impls
from reports.bench.common import Section, Settings, progress, save_figure, save_table
from theory import meanfield, seeds


def seed000(settings: Settings, rng: np.random.Generator) -> list[str]:
    """One neuron with 10,000 inputs x ~ U(-1, 1): the weights' histograms and std of a = w . x."""
    import matplotlib.pyplot as plt

    n, inputs = seeds.SEED000_INPUTS, 200 if settings.quick else 1000
    laws = {
        "uniform(-1, 1)": lambda: impls.uniform((n,), -1, 1, rng=rng),
        "normal(0, 1)": lambda: impls.normal((n,), rng=rng),
        "truncated_normal(0, 1, +-2)": lambda: impls.truncated_normal((n,), rng=rng),
        "normal(0, 1/sqrt(n))": lambda: impls.normal((n,), 0, 1 / math.sqrt(n), rng=rng),
    }
    rows, figure = [], plt.figure(figsize=(16, 3.6))
    for i, (law, draw) in enumerate(laws.items(), start=1):
        stds = []
        for _ in range(3):  # three weight vectors: the spread shown
            w = draw()
            x = impls.uniform((inputs, n), -1, 1, rng=rng)
            stds.append(float(np.std(x @ w)))
        ax = figure.add_subplot(1, 4, i)
        ax.hist(w, bins=50, density=True, color="tab:green", alpha=0.75)
        ax.set_title(law)
        ax.set_xlabel("weight value")
        ax.set_ylabel("density")
        rows.append(
            {
                "weights": law,
                "std of a (measured)": np.mean(stds),
                "spread": np.std(stds),
                "std of a (theory)": seeds.seed000_preactivation_std(law),
                "P(|a| > 1) (theory)": seeds.seed000_probability_outside_unit(law),
            }
        )
    figure.suptitle("Seed 000: the weight laws (10,000 draws each)", y=1.04)
    table = save_table(pd.DataFrame(rows), settings, "seed000")
    return [
        f"**Seed 000** — a = w . x for one neuron with {n:,} inputs x ~ U(-1, 1), over {inputs} inputs "
        "and 3 weight vectors per law. Theory: std a = sqrt(n Var(w) E[x^2]). Only ~92% of |a| fall "
        "within 1 after scaling by 1/sqrt(n) (the seed says 'within 1').",
        table,
        save_figure(figure, settings, "seed000_weights"),
    ]


def seed004(settings: Settings, rng: np.random.Generator) -> list[str]:
    """Linear layers of width 400 with N(0, 1) weights: the std grows x20 per layer."""
    import matplotlib.pyplot as plt

    width, depth, reps = 400, 6, 3 if settings.quick else 8
    stds = np.empty((reps, depth))
    for r in range(reps):
        h = rng.standard_normal((100, width))
        for layer in range(depth):
            h = h @ impls.normal((width, width), rng=rng).T
            stds[r, layer] = h.std()
    predicted = np.array([seeds.seed004_growth_per_layer(width) ** (layer + 1) for layer in range(depth)])
    frame = pd.DataFrame(
        {
            "layer": np.arange(1, depth + 1),
            "std (measured)": stds.mean(0),
            "spread": stds.std(0),
            "std (theory: 20^l)": predicted,
            "growth per layer": np.r_[stds.mean(0)[0], stds.mean(0)[1:] / stds.mean(0)[:-1]],
        }
    )
    figure, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(frame["layer"], frame["std (measured)"], yerr=frame["spread"], fmt="o", label="measured")
    ax.plot(frame["layer"], predicted, "-", label="theory: sqrt(400)^l = 20^l")
    ax.set_yscale("log")
    ax.set_xlabel("layer")
    ax.set_ylabel("std of the layer's output")
    ax.legend()
    ax.set_title("Seed 004: linear chain, width 400, W ~ N(0, 1)")
    return [
        "**Seed 004** — the exploding chain.",
        save_table(frame, settings, "seed004"),
        save_figure(figure, settings, "seed004_growth"),
    ]


def seed001(settings: Settings, rng: np.random.Generator) -> list[str]:
    """10 layers of 500 units: per-layer activation histograms and stds against mean field."""
    import matplotlib.pyplot as plt

    width, depth, batch = seeds.SEED001_WIDTH, seeds.SEED001_DEPTH, 200 if settings.quick else 1000
    body, rows = [], []
    for name, experiment in progress(
        seeds.SEED001_EXPERIMENTS.items(), settings, "seed 001", total=len(seeds.SEED001_EXPERIMENTS)
    ):
        std = math.sqrt(experiment.sigma_w2 / width)
        params = impls.init_mlp(
            [width] * (depth + 1),
            lambda s, rng, dtype, std=std: impls.normal(s, 0, std, rng=rng, dtype=dtype),
            rng=rng,
        )
        cache = impls.forward(params, rng.standard_normal((batch, width)), experiment.activation)
        predicted = seeds.seed001_preactivation_stds(name)
        figure, axes = plt.subplots(1, depth, figsize=(20, 2.6), sharey=True)
        for layer, ax in enumerate(axes):
            a = cache.post[layer + 1].ravel()
            q = predicted[layer] ** 2
            first, second = meanfield.post_activation_moments(q, experiment.activation)
            rows.append(
                {
                    "experiment": name,
                    "layer": layer + 1,
                    "pre std": cache.pre[layer].std(),
                    "pre std (mean field)": predicted[layer],
                    "activation mean": a.mean(),
                    "activation std": a.std(),
                    "activation std (mean field)": math.sqrt(max(second - first**2, 0)),
                }
            )
            zeros = float(np.mean(a == 0))
            shown = a[a != 0] if zeros > 0.01 else a  # ReLU's mass at 0 would flatten the rest
            ax.hist(shown, bins=40, density=True, color="tab:blue")
            title = f"layer {layer + 1}\nmean {a.mean():.2g}, std {a.std():.2g}"
            ax.set_title(title + (f"\n{zeros:.0%} exactly 0 (not shown)" if zeros > 0.01 else ""), fontsize=8)
            ax.tick_params(labelsize=7)
            ax.set_xlabel("activation", fontsize=8)
        axes[0].set_ylabel("density")
        figure.suptitle(f"Seed 001: {name} ({experiment.seed_reading})", y=1.22)
        body.append(save_figure(figure, settings, f"seed001_{name}"))
    frame = pd.DataFrame(rows)
    table = save_table(frame[frame["layer"].isin([1, 2, 5, 10])], settings, "seed001")
    save_table(frame, settings, "seed001_full")
    return [
        "**Seed 001** — 10 tanh/ReLU layers of 500 units, 1 input batch per experiment, one histogram "
        "per layer as in Glorot & Bengio's figures. Xavier with tanh is *not* constant: its std decays "
        "as mean field predicts (0.24 at layer 10).",
        table,
        *body,
    ]


def run(settings: Settings) -> Section:
    rng = np.random.default_rng(settings.seed)
    return Section(
        "The seeds' experiments", seed000(settings, rng) + seed004(settings, rng) + seed001(settings, rng)
    )
