"""The μP coordinate check: how much one step changes each layer, by width, for SP, NTK and μP.

Each cell is one parametrization at one width: ``draws`` networks ``(d, n, n, k)`` (ReLU, He
gains), each given one SGD step and one Adam step from the same initialization with a
width-independent base learning rate, on one input with a linear loss ``u . f``. Input ``x`` and
direction ``u`` of draw ``i`` come from the run's seed and ``i`` only, so they are the same at every
width and a draw's sizes across widths form one ladder. Measured per layer: the RMS of the
pre-activation at initialization, of its actual change, and of its first-order change (central
difference along the update). Theory: :func:`theory.width_scaling.first_update_exponents`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from properties.simulation import first_steps
from reports.bench.common import Figure, Section, Settings, Table, pyplot
from reports.bench.experiment import Cell, Experiment, gather
from theory import width_scaling

NAME = "mup_coordinate_check"
INPUT_DIM, OUTPUTS, LR, GAIN, STEP = 4, 2, 0.1, math.sqrt(2.0), 1e-4
LAYERS = ("input", "hidden", "output")
LABELS = {"sp": "SP", "ntk": "NTK", "mup": "μP"}


def _rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(a * a)))


def measure_cell(
    rng: np.random.Generator, *, parametrization: str, width: int, draws: int, input_seed: int
) -> pd.DataFrame:
    """Rows ``(draw, optimizer, layer, init, change, first order)`` for ``draws`` networks."""
    widths = (INPUT_DIM, width, width, OUTPUTS)
    rows = []
    for draw in range(draws):
        inputs = np.random.default_rng([input_seed, draw])
        x, u = inputs.normal(size=(1, INPUT_DIM)), inputs.normal(size=(1, OUTPUTS))
        steps = first_steps(
            widths,
            parametrization,
            x,
            u,
            rng,
            optimizers=width_scaling.OPTIMIZERS,
            gain=GAIN,
            lr=LR,
            step=STEP,
        )
        for s in steps:
            for layer, (h0, change, first) in enumerate(zip(s.initial, s.actual, s.first_order, strict=True)):
                rows.append(
                    {
                        "draw": draw,
                        "optimizer": s.optimizer,
                        "layer": LAYERS[layer],
                        "init": _rms(h0),
                        "change": _rms(change),
                        "first order": _rms(first),
                    }
                )
    return pd.DataFrame(rows)


def cells(settings: Settings) -> list[Cell]:
    widths = settings.pick([32, 64, 128], [64, 128, 256, 512, 1024], [64, 128, 256, 512, 1024, 2048, 4096])
    draws = settings.pick(3, 6, 16)
    return [
        Cell(
            NAME,
            {"parametrization": p, "width": n},
            measure_cell,
            {"parametrization": p, "width": n, "draws": draws, "input_seed": settings.seed},
        )
        for p in width_scaling.PARAMETRIZATIONS
        for n in widths
    ]


def measure(settings: Settings) -> pd.DataFrame:
    return gather(cell.run(settings.seed) for cell in cells(settings))


def slopes(frame: pd.DataFrame) -> pd.DataFrame:
    """Per parametrization, optimizer and layer: fitted log-log slopes against theory's exponent.

    Each draw's ladder gives one slope (ordinary least squares of log size on log width); the table
    shows their mean and standard error for the actual and the first-order change and for the size
    at initialization, with the exponents and gaps of :mod:`theory.width_scaling`.
    """
    rows = []
    keys = ["parametrization", "optimizer", "layer"]
    for (parametrization, optimizer, layer), part in frame.groupby(keys, sort=False):
        per_draw = {}
        for column in ("init", "change", "first order"):
            wide = part.pivot(index="draw", columns="width", values=column)
            log_widths = np.log(wide.columns.to_numpy(dtype=float))
            fitted = np.polyfit(log_widths, np.log(wide.to_numpy().T), 1)[0]
            per_draw[column] = (float(np.mean(fitted)), float(np.std(fitted, ddof=1) / np.sqrt(fitted.size)))
        index = LAYERS.index(str(layer))
        theory = width_scaling.first_update_exponents(str(parametrization), str(optimizer))[index]
        rows.append(
            {
                "parametrization": LABELS[str(parametrization)],
                "optimizer": optimizer,
                "layer": layer,
                "init slope": per_draw["init"][0],
                "init slope (theory)": width_scaling.forward_exponents(str(parametrization))[index],
                "first-order slope": per_draw["first order"][0],
                "first-order s.e.": per_draw["first order"][1],
                "slope (theory)": theory.exponent,
                "gap (theory)": theory.gap,
                "actual slope": per_draw["change"][0],
                "actual s.e.": per_draw["change"][1],
            }
        )
    return pd.DataFrame(rows)


def section(frame: pd.DataFrame) -> Section:
    table = slopes(frame)
    widths = sorted(frame["width"].unique())
    draws = int(frame["draw"].nunique())
    mup = table[table["parametrization"] == LABELS["mup"]]
    sp_sgd_out = table[
        (table["parametrization"] == "SP") & (table["optimizer"] == "sgd") & (table["layer"] == "output")
    ]
    ntk_sgd_hidden = table[
        (table["parametrization"] == "NTK") & (table["optimizer"] == "sgd") & (table["layer"] == "hidden")
    ]
    clean = table[table["gap (theory)"] >= 1]
    worst = float((clean["first-order slope"] - clean["slope (theory)"]).abs().max())
    slow = table[table["gap (theory)"] < 1]
    slow_text = ", ".join(
        f"{r['parametrization']}-{r['optimizer']} {r['layer']} {r['first-order slope']:.2f} "
        f"(theory {r['slope (theory)']:g})"
        for _, r in slow.iterrows()
    )
    sp_actual = float(sp_sgd_out["actual slope"].iloc[0])
    sp_out, ntk_hidden = (
        float(sp_sgd_out["first-order slope"].iloc[0]),
        float(ntk_sgd_hidden["first-order slope"].iloc[0]),
    )
    return Section(
        "μP coordinate check",
        [
            f"One SGD step and one Adam step (base rate {LR}, same initialization) for MLPs "
            f"({INPUT_DIM}, n, n, {OUTPUTS}) at widths {widths[0]}..{widths[-1]}, {draws} networks per "
            "width, the same input and loss direction at every width. The slopes are those of log "
            "RMS size against log width (mean over networks, with standard error). Under μP (Yang "
            "et al. 2022, Table 3) the actual change of every layer has slope between "
            f"{mup['actual slope'].min():.3f} and {mup['actual slope'].max():.3f} (theory 0): the "
            "first update is width-independent. Under SP with SGD the output's first-order change "
            f"grows with slope {sp_out:.2f} (theory 1) and its actual change with slope "
            f"{sp_actual:.2f} (second-order terms, among them ReLU's rectification of large hidden "
            "changes, are outside the abc-calculus). Under NTK with SGD the hidden features move with "
            f"slope {ntk_hidden:.2f} (theory -1/2): the kernel regime. Where theory's next term is at "
            f"least n^-1 smaller, the first-order slopes are within {worst:.3f} of theory; where it is "
            f"only n^-1/2 smaller they approach theory from below ({slow_text}).",
            Table("mup_coordinate_check", table, floatfmt=".3g"),
            Figure("mup_coordinate_check"),
        ],
    )


def plot(frame: pd.DataFrame) -> dict[str, Any]:
    plt = pyplot()
    figure, axes = plt.subplots(2, 3, figsize=(15, 8), sharex=True, squeeze=False)
    for i, optimizer in enumerate(width_scaling.OPTIMIZERS):
        for j, parametrization in enumerate(width_scaling.PARAMETRIZATIONS):
            ax = axes[i, j]
            part = frame[(frame["parametrization"] == parametrization) & (frame["optimizer"] == optimizer)]
            theory = width_scaling.first_update_exponents(parametrization, optimizer)
            for index, (layer, colour) in enumerate(zip(LAYERS, ("C0", "C1", "C2"), strict=True)):
                rows = part[part["layer"] == layer]
                mean = np.exp(
                    np.log(rows[["width", "change", "first order"]].set_index("width"))
                    .groupby(level=0)
                    .mean()
                )
                w = mean.index.to_numpy(dtype=float)
                ax.plot(w, mean["change"], "o-", color=colour, label=f"{layer}: actual")
                ax.plot(w, mean["first order"], "x:", color=colour, label=f"{layer}: first order")
                anchor = float(mean["first order"].iloc[0])
                ax.plot(w, anchor * (w / w[0]) ** theory[index].exponent, "--", color=colour, alpha=0.4)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_title(f"{LABELS[parametrization]}, {optimizer}")
            ax.grid(True, alpha=0.3)
            if j == 0:
                ax.set_ylabel("RMS change of the pre-activation")
            if i == 1:
                ax.set_xlabel("width n")
    axes[0, 0].legend(fontsize=7)
    figure.suptitle("Coordinate check after one step (dashed: theory's exponent)")
    figure.tight_layout()
    return {"mup_coordinate_check": figure}


EXPERIMENT = Experiment(NAME, cells, plot, section)
