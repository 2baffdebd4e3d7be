"""Signal propagation: per-layer statistics of deep networks next to mean-field predictions.

For every initializer x activation x width (a cell), networks of depth up to 50 (200 at the large
scale) record per layer (:func:`properties.simulation.stream_networks`): the pre-activation std,
the activation std, the back-propagated gradient std (``dLoss/dh_l`` for a N(0, 1) gradient at
the top) and the weight-gradient std, next to mean field (``theory.meanfield``: the length map,
chi_1). A cell draws each seed's weights once (``impls``' initializer, float32) and runs every
activation on them as one stacked matrix product per layer, layer by layer: memory is a few
``width^2`` matrices plus ``depth x batch x width`` per activation, never the whole network, so
the large scale reaches width 8192 at depth 200 (see :data:`LARGE_WIDTHS`).

Precision (:func:`precision`): float32 where its rounding is far below the statistical error the
section reports, float64 where it is not. The error of a float32 statistic: ``u = 6e-8`` per
operation, a matrix product of length ``n`` rounds with relative error ~ ``sqrt(n) u`` (``n u``
at worst; Higham & Mary 2019, probabilistic rounding error analysis), and these add over the
layers (the log length map has slope <= 1, the backward pass is linear): at most about
``depth x sqrt(n) x u`` = 1e-4 at depth 50 and width 1024, 1e-3 at depth 200 and width 8192 (and
where a chaotic network amplifies rounding, the float32 network is another sample of the same
law: its statistics stay within their sampling error). Per statistic shown: the pre-activation
std and the gradient std carry that error (sums over ``batch x n`` values in float64 add nothing);
the activation std too, where its values are resolved (below); the weight-gradient std comes from
``batch x batch`` Gram matrices of those values (dot products of length ``n``: ``sqrt(n) u``
more). The statistical error is larger: the
relative standard error of one network's mean over ``batch x n`` values is ``~ 1/sqrt(batch n)``
(5.5e-3 at batch 32 and width 1024, 2e-3 at 8192), and the seed-to-seed spread of ``log q``, the
section's "spread", is ``sqrt(sum_l (2 + kappa_l) / n)`` per network (about ``sqrt(3 depth / n)``:
0.38 at depth 50 and width 1024, 0.27 at depth 200 and width 8192; ``properties.simulation``).
Range: the simulator rescales the backward pass by powers of two (exact), and the forward pass of
the positively homogeneous activations (linear, ReLU, leaky ReLU; zero biases), so a vanishing or
exploding signal never under- or overflows there. float32 is not allowed where the forward values
of another activation leave float32's range (1e-38 to 3e38) or lose their resolution: mean field
must keep every pre-activation and activation std in :data:`FLOAT32_RANGE` (a margin of 1e8 for
the Gaussian tails) and every activation's std above :data:`FLOAT32_RESOLUTION` times its mean
(sigmoid's 0.5 + tiny fluctuations, rounded with absolute error ``u / 2``). E.g. tanh with
N(0, 0.01^2) weights at width 64: ``(0.01^2 x 64)^(50/2) = 1e-55`` at layer 50, float64. Where mean
field's own values leave float64 (an exploding signal at depth 200), the network is not run and
the section names it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import impls
from properties.simulation import POSITIVELY_HOMOGENEOUS, stream_networks
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
LARGE_WIDTHS = [64, 256, 1024, 2048, 4096, 8192]
"""Widths of the large scale (8192 at depth 200). The streaming simulator keeps a weight matrix
or two (268 MB each at width 8192 in float32, 537 MB for a float64 copy) and, per activation,
the derivatives ``phi'(h_l)`` of every layer (``depth x batch x width`` x 4 bytes: 210 MB at
depth 200, batch 32, width 8192; 1.5 GB for 7 activations): about 2.4 GB per worker in all (1.0
GB measured at depth 10, plus 7.3 MB per layer). The weights are redrawn from each layer's stream
for the backward pass instead of being kept (``impls``' MLP keeps every layer's weights and
weight gradients: 107 GB at width 8192 and depth 200 in float64). Cost: redrawing doubles the
draws, and ``impls.orthogonal`` factors a ``width^2`` matrix per draw (about 60 s at 8192)."""


def sigma_w2_of(initializer: str, width: int) -> float:
    """``sigma_w^2 = n Var(W)`` of an initializer for square layers of width ``width`` (theory)."""
    return float(_initializer(initializer)[1](width))


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
    with np.errstate(over="ignore"):  # inf: a gradient that leaves float64 (skipped as non-finite)
        weight_grad = np.sqrt(batch * np.array(grads) * np.array(prev_second))
    return {
        "pre_std": np.sqrt(qs),
        "post_std": np.sqrt([max(second - first**2, 0.0) for first, second in post]),
        "grad_std": np.sqrt(grads),
        # dW_l = sum_b delta_b a_b^T: mean-field independence gives Var = B E[delta^2] E[a^2]
        "weight_grad_std": weight_grad,
        "post_mean": np.array([first for first, _ in post]),
    }


FLOAT32_RANGE = (1e-30, 1e30)
"""float32 only where mean field keeps every forward std of a non-homogeneous activation in this
range: float32 represents 1.2e-38 to 3.4e38 (the margin of 1e8 covers the Gaussian tails of a
layer's values); the statistics themselves are sums in float64 and the gradients are rescaled."""
FLOAT32_RESOLUTION = 1e-3
"""float32 only where every activation's predicted std is at least this fraction of its mean:
``a = mean + fluctuation`` is rounded with absolute error ``u |mean|``, relative ``6e-5`` of the
std at this bound, below the sampling error ``1/sqrt(batch x width)`` (>= 1e-3)."""


def precision(activation: str, sigma_w2: float, depth: int, batch: int) -> type | None:
    """float32 where its rounding is far below the sampling error (module docstring), else float64.

    Returns:
        float32 for the positively homogeneous activations (the simulator rescales them) and
        where mean field keeps the forward values inside :data:`FLOAT32_RANGE` and resolved to
        :data:`FLOAT32_RESOLUTION`; float64 elsewhere; None where mean field itself overflows
        float64 (the network is not run).
    """
    try:
        predicted = predict(activation, sigma_w2, depth, batch)
    except OverflowError:
        return None
    if activation in POSITIVELY_HOMOGENEOUS:
        return np.float32
    low, high = FLOAT32_RANGE
    forward = np.concatenate([predicted["pre_std"], predicted["post_std"]])
    in_range = bool(np.all((forward > low) & (forward < high)))
    resolved = bool(np.all(predicted["post_std"] >= FLOAT32_RESOLUTION * np.abs(predicted["post_mean"])))
    return np.float32 if in_range and resolved else np.float64


def network_seed(rng: np.random.Generator, index: int) -> np.random.SeedSequence:
    """Seed ``index`` of a cell: ``SeedSequence(entropy, spawn_key=(cell's key..., index))``."""
    base = rng.bit_generator.seed_seq
    if not isinstance(base, np.random.SeedSequence):
        raise TypeError(f"rng must be seeded by a SeedSequence, got {type(base).__name__}")
    return np.random.SeedSequence(base.entropy, spawn_key=(*base.spawn_key, index))


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
    """``seeds`` draws of one initializer's network at one width, each run with every activation.

    Each draw's weights (``impls``, float32, from the draw's own per-layer streams,
    :func:`network_seed`) serve all the activations in one streamed pass
    (:func:`properties.simulation.stream_networks`), cast to float64 for the activations that
    need it (:func:`precision`); activations whose mean field overflows float64 are not run. One
    row per (activation, seed, layer), measured next to theory.
    """
    init = _initializer(initializer)[0]
    sigma_w2 = sigma_w2_of(initializer, width)
    dtypes = {activation: precision(activation, sigma_w2, depth, batch) for activation in activations}
    networks = [(activation, dtype) for activation, dtype in dtypes.items() if dtype is not None]
    rows = []
    for seed in range(seeds) if networks else ():
        runs = stream_networks(
            [width] * (depth + 1),
            init,
            networks,
            network_seed(rng, seed),
            batch=batch,
            weight_dtype=np.float32,
        )
        for (activation, dtype), run in zip(networks, runs, strict=True):
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
    skipped = [activation for activation, dtype in dtypes.items() if dtype is None]
    frame = pd.DataFrame(rows) if rows else _empty_frame()
    if skipped:  # one row per activation not run, so that the section can name it
        frame = pd.concat([frame, pd.DataFrame({"activation": skipped, "dtype": NOT_RUN})], ignore_index=True)
    return frame


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"activation": [], "dtype": [], "seed": pd.Series(dtype=int), "layer": pd.Series(dtype=int)}
        | {column: pd.Series(dtype=float) for column in _COLUMNS}
    )


NOT_RUN = "beyond float64"
"""The ``dtype`` of the one row a cell writes for an activation it did not run."""
_COLUMNS = [c for key in STATISTICS for c in (key, f"{key}_theory")]


BATCH = 32
"""Inputs per network. The error of a layer's statistic is the network's own fluctuation (its
weights), which no batch averages away: ``Var log q^_l ~ sum_{j<=l} (2 + kappa_j) / N`` (3 L / N,
0.15 at depth 50 and width 1024), against ``2 / (N B)`` from the batch (6e-5 at B = 32). A batch
of 32 costs a quarter of one of 128 (matrix products and activations scale with it) for the same
tables within their stated spread."""


def cells(settings: Settings) -> list[Cell]:
    depth = settings.pick(10, 50, 200)
    seeds = settings.pick(2, 3, 20)
    batch = BATCH
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
    frame = frame[frame["dtype"] != NOT_RUN]
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
    not_run = frame[frame["dtype"] == NOT_RUN]
    frame = frame[frame["dtype"] != NOT_RUN]
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
        + _not_run_note(not_run)
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
        f"Networks ran in float32 (gradients, and the forward pass of linear, ReLU and leaky ReLU, "
        f"rescaled by powers of two) except {len(doubles)} of {len(wide)} configurations whose forward "
        f"signal mean field predicts outside float32's safe range ({FLOAT32_RANGE[0]:g} to "
        f"{FLOAT32_RANGE[1]:g}) or below its resolution, in float64: " + "; ".join(names) + "."
    )


def _not_run_note(not_run: pd.DataFrame) -> str:
    if not_run.empty:
        return ""
    names = sorted(
        {
            f"{i} + {a} (width {w})"
            for i, a, w in not_run[["initializer", "activation", "width"]].itertuples(index=False)
        }
    )
    return " Not run, their mean field overflowing float64 at this depth: " + "; ".join(names) + "."


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
