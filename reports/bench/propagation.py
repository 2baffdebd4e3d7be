"""Signal propagation: per-layer statistics of deep networks next to mean-field predictions.

For every initializer x activation x width (a cell), networks of depth up to 50 record per
layer (:func:`properties.simulation.run_network`): the pre-activation std, the activation std,
the back-propagated gradient std (``dLoss/dh_l`` for a N(0, 1) gradient at the top) and the
weight-gradient std, next to mean field (``theory.meanfield``: the length map, chi_1).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import impls
from properties.simulation import measure_network
from reports.bench.common import Figure, Section, Settings, Table, pyplot, relative_error
from reports.bench.experiment import Cell, Experiment, gather
from theory import experiments, meanfield

NAME = "propagation"

# name: (weight initializer(shape, rng, dtype), sigma_w^2 = n Var(W) for square layers of width n)
INITIALIZERS: dict[str, tuple[Callable[..., np.ndarray], Callable[[int], float]]] = {
    "normal std 0.01": (
        functools.partial(impls.normal, std=0.01),
        functools.partial(experiments.plain_normal_sigma_w2, std=0.01),
    ),
    "normal std 1": (
        functools.partial(impls.normal, std=1.0),
        functools.partial(experiments.plain_normal_sigma_w2, std=1.0),
    ),
    "lecun normal": (impls.lecun_normal, functools.partial(experiments.scheme_sigma_w2, "lecun_normal")),
    "xavier uniform": (
        impls.xavier_uniform,
        functools.partial(experiments.scheme_sigma_w2, "xavier_uniform"),
    ),
    "he normal": (impls.kaiming_normal, functools.partial(experiments.scheme_sigma_w2, "kaiming_normal")),
    "orthogonal": (impls.orthogonal, experiments.orthogonal_sigma_w2),
    "pytorch default": (
        impls.pytorch_linear_default,
        functools.partial(experiments.scheme_sigma_w2, "pytorch_linear_default"),
    ),
}
SELU_INIT = "lecun normal (SELU)"
ACTIVATIONS = ["linear", "tanh", "sigmoid", "relu", "leaky_relu", "selu", "gelu"]
STATISTICS = ("pre_std", "post_std", "grad_std", "weight_grad_std")
SHOWN_WIDTH = 256
LARGE_WIDTHS = [64, 256, 1024, 2048]
"""Widths of the large scale. Not 8192: ``impls``' MLP keeps every layer's weights and weight
gradients (and the float64 copy where needed), about ``depth x width^2 x 20`` bytes per network:
17 GB at width 2048 and depth 200, 270 GB at 8192. Wider grids need a simulator that streams
layer by layer."""


def _initializer(name: str) -> tuple[Callable[..., np.ndarray], Callable[[int], float]]:
    return INITIALIZERS["lecun normal" if name == SELU_INIT else name]


def grid(settings: Settings) -> list[tuple[str, str, int]]:
    """Every (initializer, activation, width) of the scale."""
    widths = settings.pick([64, 256], [64, 256, 1024], LARGE_WIDTHS)
    cells = [(init, act, w) for init in INITIALIZERS for act in ACTIVATIONS for w in widths]
    cells += [(SELU_INIT, "selu", w) for w in widths]
    if settings.quick:
        cells = [c for c in cells if c[2] == 64 or c[1] in ("tanh", "relu")]
    return cells


@functools.cache
def predict(activation: str, sigma_w2: float, depth: int, batch: int) -> dict[str, np.ndarray]:
    """Mean field: q^l from the length map; activation and gradient second moments from it."""
    qs = meanfield.propagate(1.0, sigma_w2, 0.0, activation, depth)
    post = [meanfield.post_activation_moments(q, activation) for q in qs]
    grads = meanfield.gradient_second_moments(qs, sigma_w2, activation)
    prev_second = [1.0] + [second for _, second in post[:-1]]
    return {
        "pre_std": np.sqrt(qs),
        "post_std": np.sqrt([max(second - first**2, 0.0) for first, second in post]),
        "grad_std": np.sqrt(grads),
        # dW_l = sum_b delta_b a_b^T: mean-field independence gives Var = B E[delta^2] E[a^2]
        "weight_grad_std": np.sqrt(batch * np.array(grads) * np.array(prev_second)),
    }


FLOAT32_RANGE = (1e-15, 1e15)
"""float32 is used where every predicted std stays in this range: float32 represents 1e-38 to
3e38 and the statistics square the values; its rounding (6e-8 relative, ~1e-6 after 50 layers)
is far below the finite-width errors of order 1/N compared here. Elsewhere (a signal that
explodes or vanishes, e.g. N(0, 1) weights with ReLU, or std 0.01 at width 64), float64."""


def precision(activation: str, sigma_w2: float, depth: int, batch: int) -> type:
    """float32 where mean field keeps every std inside :data:`FLOAT32_RANGE`, else float64."""
    low, high = FLOAT32_RANGE
    predicted = np.concatenate(
        [np.asarray(v, dtype=float) for v in predict(activation, sigma_w2, depth, batch).values()]
    )
    positive = predicted[predicted > 0]
    return np.float32 if positive.size and np.all((positive > low) & (positive < high)) else np.float64


def measure_cell(
    rng: np.random.Generator,
    *,
    initializer: str,
    activations: list[str],
    width: int,
    depth: int,
    batch: int,
    seeds: int,
) -> pd.DataFrame:
    """``seeds`` networks of one initializer and width, each run with every activation.

    One draw of the weights per seed (``impls``, float32) serves all the activations: the
    initializer's cost is paid once, not once per activation; the weights are cast to float64
    for the activations whose signal leaves float32's range (:func:`precision`). One row per
    (activation, seed, layer), measured next to theory.
    """
    init, sigma_w2_of = _initializer(initializer)
    sigma_w2 = sigma_w2_of(width)
    rows = []
    for seed in range(seeds):
        weights = impls.init_mlp([width] * (depth + 1), init, rng=rng, dtype=np.float32)
        for activation in activations:
            dtype = precision(activation, sigma_w2, depth, batch)
            params: dict[str, np.ndarray] = {k: v.astype(dtype, copy=False) for k, v in weights.items()}
            run = measure_network(params, activation, rng, batch=batch)
            predicted = predict(activation, sigma_w2, depth, batch)
            for layer in range(depth):
                row: dict[str, Any] = {
                    "activation": activation,
                    "dtype": np.dtype(dtype).name,
                    "seed": seed,
                    "layer": layer + 1,
                }
                for key in STATISTICS:
                    row[key] = float(run[key][layer])
                    row[f"{key}_theory"] = float(predicted[key][layer])
                rows.append(row)
    return pd.DataFrame(rows)


def cells(settings: Settings) -> list[Cell]:
    depth = settings.pick(10, 50, 200)
    seeds = settings.pick(2, 3, 20)
    batch = settings.pick(64, 128)
    out = []
    for init, width in dict.fromkeys((init, width) for init, _, width in grid(settings)):
        activations = [a for i, a, w in grid(settings) if (i, w) == (init, width)]
        params = {
            "initializer": init,
            "activations": activations,
            "width": width,
            "depth": depth,
            "batch": batch,
        }
        out.append(
            Cell(NAME, {"initializer": init, "width": width}, measure_cell, {**params, "seeds": seeds})
        )
    return out


def measure(settings: Settings) -> pd.DataFrame:
    """Every cell of the scale, in this process: one row per (cell, seed, layer)."""
    return gather(cell.run(settings.seed) for cell in cells(settings))


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (initializer, activation, width, layer): means over seeds, spreads, errors."""
    keys = ["initializer", "activation", "width", "dtype", "layer"]
    grouped = frame.groupby(keys, sort=False)
    out = grouped[[f"{key}_theory" for key in STATISTICS]].first()
    for key in STATISTICS:
        values = grouped[key]
        out[key] = values.mean()
        out[f"{key}_spread"] = values.std(ddof=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            # spread on a log axis: the std of log(values) over seeds (a factor)
            out[f"{key}_log_spread"] = (
                frame.assign(log=np.log(frame[key])).groupby(keys, sort=False)["log"].std(ddof=0)
            )
            out[f"{key}_rel_error"] = relative_error(out[key], out[f"{key}_theory"])
    columns = [
        c
        for key in STATISTICS
        for c in (key, f"{key}_spread", f"{key}_log_spread", f"{key}_theory", f"{key}_rel_error")
    ]
    return out[columns].reset_index()


def section(frame: pd.DataFrame) -> Section:
    summary = summarize(frame)
    depth = int(frame["layer"].max())
    seeds = int(frame["seed"].nunique())
    last = summary[(summary["layer"] == depth) & (summary["width"] == SHOWN_WIDTH)]
    table = last[
        [
            "initializer",
            "activation",
            "dtype",
            "pre_std",
            "pre_std_spread",
            "pre_std_theory",
            "pre_std_rel_error",
            "grad_std",
            "grad_std_theory",
            "grad_std_rel_error",
        ]
    ]
    errors = summary[np.isfinite(summary["pre_std_rel_error"]) & (summary["pre_std_theory"] > 1e-30)]
    worst = errors.groupby("width")["pre_std_rel_error"].apply(lambda s: float(np.median(np.abs(s))))
    widths = ", ".join(str(int(w)) for w in sorted(summary["width"].unique()))
    text = (
        f"Networks of depth {depth}, widths {widths}, {seeds} seeds per cell; inputs N(0, 1); biases 0. "
        "Measured values are means over seeds (spread = their std); `theory` is mean field. Median "
        "|relative error| of the pre-activation std over all layers and cells, by width: "
        + ", ".join(f"{w}: {v:.1%}" for w, v in worst.items())
        + " (finite-width corrections are of order 1/N). Full per-layer table: `bench/propagation_full.csv`. "
        + _precision_note(summary)
    )
    return Section(
        "Signal propagation",
        [
            text,
            f"Layer {depth}, width {SHOWN_WIDTH}:",
            Table("propagation_summary", table),
            Table("propagation_full", summary, shown=False),
            Figure("propagation_pre_std"),
            Figure("propagation_grad_std"),
        ],
    )


def _precision_note(summary: pd.DataFrame) -> str:
    wide = summary.drop_duplicates(["initializer", "activation", "width"])
    doubles = wide[wide["dtype"] == "float64"]
    if doubles.empty:
        return "Every network ran in float32."
    names = sorted({f"{i} + {a}" for i, a in zip(doubles["initializer"], doubles["activation"], strict=True)})
    return (
        f"Networks ran in float32 except {len(doubles)} of {len(wide)} configurations whose signal mean "
        f"field predicts outside float32's safe range ({FLOAT32_RANGE[0]:g} to {FLOAT32_RANGE[1]:g}), "
        "in float64: " + "; ".join(names) + "."
    )


def plot(frame: pd.DataFrame) -> dict[str, Any]:
    summary = summarize(frame)
    return {
        "propagation_pre_std": _plot(summary, "pre_std", "pre-activation std"),
        "propagation_grad_std": _plot(summary, "grad_std", "back-propagated gradient std"),
    }


def _plot(frame: pd.DataFrame, key: str, label: str) -> Any:
    plt = pyplot()
    depth = int(frame["layer"].max())
    figure, axes = plt.subplots(2, 4, figsize=(18, 8))
    palette = plt.get_cmap("tab10").colors
    colors = dict(zip([*INITIALIZERS, SELU_INIT], palette, strict=False))
    for ax, activation in zip(axes.ravel(), ACTIVATIONS, strict=False):
        rows = frame[frame["activation"] == activation]
        shown = SHOWN_WIDTH if (rows["width"] == SHOWN_WIDTH).any() else int(rows["width"].max())
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
    return figure


EXPERIMENT = Experiment(NAME, cells, plot, section)
