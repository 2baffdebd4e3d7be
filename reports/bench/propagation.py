"""Signal propagation: per-layer statistics of deep networks next to mean-field predictions.

For every initializer x activation x width, networks of depth up to 50 (batched matrix products)
record per layer: the pre-activation std, the activation std, the back-propagated gradient std
(``dLoss/dh_l`` for a N(0, 1) gradient at the top) and the weight-gradient std, averaged over
seeds with their spread, next to mean field (``theory.meanfield``: the length map, chi_1).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import impls
from reports.bench.common import Section, Settings, progress, relative_error, save_figure, save_table
from theory import meanfield

# name: (weight initializer(shape, rng, dtype), sigma_w^2 = n Var(W) for square layers of width n)
INITIALIZERS: dict[str, tuple[Callable[..., np.ndarray], Callable[[int], float]]] = {
    "normal std 0.01": (functools.partial(impls.normal, std=0.01), lambda n: n * 1e-4),
    "normal std 1": (functools.partial(impls.normal, std=1.0), lambda n: float(n)),
    "lecun normal": (impls.lecun_normal, lambda n: 1.0),
    "xavier uniform": (impls.xavier_uniform, lambda n: 1.0),
    "he normal": (impls.kaiming_normal, lambda n: 2.0),
    "orthogonal": (impls.orthogonal, lambda n: 1.0),
    "pytorch default": (impls.pytorch_linear_default, lambda n: 1.0 / 3.0),
}
SELU_INIT = "lecun normal (SELU)"
ACTIVATIONS = ["linear", "tanh", "sigmoid", "relu", "leaky_relu", "selu", "gelu"]
THEORY = {"leaky_relu": "leaky_relu(0.01)"}


def grid(quick: bool) -> list[tuple[str, str, int]]:
    widths = [64, 256] if quick else [64, 256, 1024]
    cells = [(init, act, w) for init in INITIALIZERS for act in ACTIVATIONS for w in widths]
    cells += [(SELU_INIT, "selu", w) for w in widths]
    if quick:
        cells = [c for c in cells if c[2] == 64 or c[1] in ("tanh", "relu")]
    return cells


def run_network(
    init: Callable[..., np.ndarray],
    activation: str,
    width: int,
    depth: int,
    batch: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    params = impls.init_mlp([width] * (depth + 1), init, rng=rng)
    x = rng.standard_normal((batch, width))
    cache = impls.forward(params, x, activation)
    back = impls.backward(params, cache, rng.standard_normal((batch, width)), activation)
    return {
        "pre_std": np.array([h.std() for h in cache.pre]),
        "post_std": np.array([a.std() for a in cache.post[1:]]),
        "grad_std": np.array([d.std() for d in back.pre]),
        "weight_grad_std": np.array([back.params[f"W{i}"].std() for i in range(1, depth + 1)]),
    }


@functools.cache
def predict(activation: str, sigma_w2: float, depth: int, batch: int) -> dict[str, np.ndarray]:
    """Mean field: q^l from the length map; activation and gradient second moments from it."""
    name = THEORY.get(activation, activation)
    qs = meanfield.propagate(1.0, sigma_w2, 0.0, name, depth)
    post = [meanfield.post_activation_moments(q, name) for q in qs]
    grads = meanfield.gradient_second_moments(qs, sigma_w2, name)
    prev_second = [1.0] + [second for _, second in post[:-1]]
    return {
        "pre_std": np.sqrt(qs),
        "post_std": np.sqrt([max(second - first**2, 0.0) for first, second in post]),
        "grad_std": np.sqrt(grads),
        # dW_l = sum_b delta_b a_b^T: mean-field independence gives Var = B E[delta^2] E[a^2]
        "weight_grad_std": np.sqrt(batch * np.array(grads) * np.array(prev_second)),
    }


def run(settings: Settings) -> Section:
    depth = 10 if settings.quick else 50
    seeds = 2 if settings.quick else 3
    batch = 64 if settings.quick else 128
    cells = grid(settings.quick)
    rows: list[dict[str, Any]] = []
    rng = np.random.default_rng(settings.seed)
    for init_name, activation, width in progress(cells, settings, "propagation"):
        init = impls.lecun_normal if init_name == SELU_INIT else INITIALIZERS[init_name][0]
        sigma_w2 = 1.0 if init_name == SELU_INIT else INITIALIZERS[init_name][1](width)
        with np.errstate(over="ignore", invalid="ignore"):
            runs = [run_network(init, activation, width, depth, batch, rng) for _ in range(seeds)]
            predicted = predict(activation, sigma_w2, depth, batch)
        for layer in range(depth):
            row: dict[str, Any] = {
                "initializer": init_name,
                "activation": activation,
                "width": width,
                "layer": layer + 1,
            }
            for key in ("pre_std", "post_std", "grad_std", "weight_grad_std"):
                values = np.array([r[key][layer] for r in runs])
                row[f"{key}"] = float(np.mean(values))
                row[f"{key}_spread"] = float(np.std(values))
                with np.errstate(divide="ignore", invalid="ignore"):
                    # spread on a log axis: the std of log(values) over seeds (a factor)
                    row[f"{key}_log_spread"] = float(np.std(np.log(values)))
                row[f"{key}_theory"] = float(predicted[key][layer])
                with np.errstate(divide="ignore", invalid="ignore"):
                    row[f"{key}_rel_error"] = float(relative_error(row[key], row[f"{key}_theory"]))
            rows.append(row)
    frame = pd.DataFrame(rows)
    save_table(frame, settings, "propagation_full")
    width = 256
    last = frame[(frame["layer"] == depth) & (frame["width"] == width)]
    summary = last[
        [
            "initializer",
            "activation",
            "pre_std",
            "pre_std_spread",
            "pre_std_theory",
            "pre_std_rel_error",
            "grad_std",
            "grad_std_theory",
            "grad_std_rel_error",
        ]
    ]
    table = save_table(summary, settings, "propagation_summary")
    figures = [
        plot(frame, settings, "pre_std", "pre-activation std", width, depth),
        plot(frame, settings, "grad_std", "back-propagated gradient std", width, depth),
    ]
    errors = frame[np.isfinite(frame["pre_std_rel_error"]) & (frame["pre_std_theory"] > 1e-30)]
    worst = errors.groupby("width")["pre_std_rel_error"].apply(lambda s: float(np.median(np.abs(s))))
    widths = ", ".join(str(int(w)) for w in sorted(frame["width"].unique()))
    text = (
        f"Networks of depth {depth}, widths {widths}, batch {batch}, {seeds} seeds "
        f"per cell; inputs N(0, 1); biases 0. Measured values are means over seeds (spread = their std); "
        f"`theory` is mean field. Median |relative error| of the pre-activation std over all layers and "
        f"cells, by width: "
        + ", ".join(f"{w}: {v:.1%}" for w, v in worst.items())
        + " (it shrinks with width, as finite-width corrections of order 1/N should). "
        "Full per-layer table: `bench/propagation_full.csv`."
    )
    return Section("Signal propagation", [text, f"Layer {depth}, width {width}:", table, *figures])


def plot(frame: pd.DataFrame, settings: Settings, key: str, label: str, width: int, depth: int) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 4, figsize=(18, 8))
    palette = plt.get_cmap("tab10").colors  # type: ignore[attr-defined]
    colors = dict(zip([*INITIALIZERS, SELU_INIT], palette, strict=False))
    for ax, activation in zip(axes.ravel(), ACTIVATIONS, strict=False):
        rows = frame[frame["activation"] == activation]
        shown = width if (rows["width"] == width).any() else int(rows["width"].max())
        for init_name, group in rows[rows["width"] == shown].groupby("initializer", sort=False):
            color = colors[init_name]
            values = group[key].to_numpy()
            if not np.all(np.isfinite(values)) or np.all(values <= 0):
                continue
            factor = np.exp(group[f"{key}_log_spread"].fillna(0.0).to_numpy())
            ax.fill_between(group["layer"], values / factor, values * factor, color=color, alpha=0.2, lw=0)
            ax.plot(group["layer"], values, "o", ms=3, color=color, label=init_name, alpha=0.8)

            ax.plot(group["layer"], group[f"{key}_theory"], "-", color=color, lw=1)
        ax.set_yscale("log")
        ax.set_title(f"{activation} (width {shown})")
        ax.set_xlabel("layer")
        ax.set_ylabel(label)
        ax.grid(True, which="major", alpha=0.3)
    axes.ravel()[-1].axis("off")
    handles, labels = axes.ravel()[1].get_legend_handles_labels()
    axes.ravel()[-1].legend(
        handles, labels, loc="center", title="markers: measured (band: spread over seeds)\nlines: mean field"
    )
    figure.suptitle(f"{label} by layer, depth {depth}")
    figure.tight_layout()
    return save_figure(figure, settings, f"propagation_{key}")
