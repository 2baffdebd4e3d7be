"""Finite-width fluctuations of ||x_L|| at He initialization: moments and log-normality by width and depth.

Each cell is one (width N, depth L): ``samples`` independent ReLU networks of L layers N x N with
``impls.kaiming_normal`` weights, applied to one fixed input. Measured: the squared-norm ratio
``R = ||x_L||^2 / ||x_0||^2``. Theory (:mod:`theory.finite_width`): ``E R = 1``,
``E R^2 = (1 + 5/N)^L`` (Hanin & Rolnick 2018), the exact mean and variance of ``log R`` given
``R > 0`` and their first-order forms ``-5L/(2N)`` and ``5L/N`` (Hanin & Nica 2019), and the
Kolmogorov distance of ``log R`` to the normal law.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

import impls
from reports.bench.common import Figure, Section, Settings, Table, pyplot
from reports.bench.experiment import Cell, Experiment, gather
from theory import finite_width

NAME = "finite_width_fluctuation"
MEASURABLE = 0.1
"""Cells whose theoretical standard error of the sample mean of R^2 exceeds this fraction of
(1 + 5/N)^L cannot estimate it by sampling (the law of R^2 is too heavy-tailed) and are reported
apart."""
CHUNK_VALUES = 1 << 21
"""Weights drawn per initializer call (many networks' layers at once, as independent rows)."""


def measure_cell(rng: np.random.Generator, *, width: int, depth: int, samples: int) -> pd.DataFrame:
    """``samples`` squared-norm ratios of independent He-initialized ReLU networks."""
    x0 = rng.normal(size=width)
    per_chunk = max(1, CHUNK_VALUES // (width * width))
    ratios = []
    for start in range(0, samples, per_chunk):
        count = min(per_chunk, samples - start)
        x = np.broadcast_to(x0, (count, width))
        for _ in range(depth):
            w = impls.kaiming_normal((count * width, width), nonlinearity="relu", rng=rng)
            x = impls.relu(np.einsum("bij,bj->bi", w.reshape(count, width, width), x))
        ratios.append((x * x).sum(axis=1) / (x0 @ x0))
    return pd.DataFrame({"sample": np.arange(samples), "ratio": np.concatenate(ratios)})


def cells(settings: Settings) -> list[Cell]:
    widths = settings.pick([8, 16], [8, 16, 32, 64], [8, 16, 32, 64, 128, 256])
    depths = settings.pick([1, 4], [1, 2, 4, 8, 16], [1, 2, 4, 8, 16, 32])
    budget = settings.pick(200_000, 6_000_000, 50_000_000)
    least, most = settings.pick(200, 500, 5_000), settings.pick(1_000, 4_000, 40_000)
    return [
        Cell(
            NAME,
            {"width": n, "depth": d},
            measure_cell,
            {"width": n, "depth": d, "samples": int(np.clip(budget // (n * n * d), least, most))},
        )
        for n in widths
        for d in depths
    ]


def measure(settings: Settings) -> pd.DataFrame:
    return gather(cell.run(settings.seed) for cell in cells(settings))


@functools.cache
def _normal_distance(width: int, depth: int) -> float:
    return finite_width.relu_log_norm_normal_distance(width, depth)


def _fourth_moment_standard_error(width: int, depth: int, samples: int) -> float:
    """Theory's standard error of the sample mean of ``R^2``: ``sqrt((E R^4 - (E R^2)^2) / S)``."""
    second = finite_width.relu_norm_ratio_moment(width, depth, 2)
    fourth = finite_width.relu_norm_ratio_moment(width, depth, 4)
    return float(np.sqrt((fourth - second**2) / samples))


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (N, L): measured moments with standard errors, next to the exact and first-order theory."""
    rows = []
    for (width, depth), part in frame.groupby(["width", "depth"], sort=True):
        n, L = int(width), int(depth)
        r = part["ratio"].to_numpy()
        logs = np.log(r[r > 0])
        exact = finite_width.relu_log_norm_moments(n, L)
        sd = float(np.std(logs, ddof=1))
        rows.append(
            {
                "N": n,
                "L": L,
                "samples": r.size,
                "E R": float(np.mean(r)),
                "E R s.e.": float(np.std(r, ddof=1) / np.sqrt(r.size)),
                "E R^2": float(np.mean(r**2)),
                "E R^2 s.e. (theory)": _fourth_moment_standard_error(n, L, r.size),
                "(1+5/N)^L": finite_width.he_relu_fourth_moment(n, L),
                "exp(5L/N)": float(np.exp(5 * L / n)),
                "mean log R": float(np.mean(logs)),
                "mean log R (exact)": exact.mean,
                "-5L/(2N)": -5 * L / (2 * n),
                "var log R": sd**2,
                "var log R (exact)": exact.variance,
                "5L/N": 5 * L / n,
                "KS to normal": float(stats.kstest(logs, "norm", args=(np.mean(logs), sd)).statistic),
                "KS to normal (theory)": _normal_distance(n, L),
            }
        )
    return pd.DataFrame(rows)


def section(frame: pd.DataFrame) -> Section:
    table = summarize(frame)
    relative = table["E R^2 s.e. (theory)"] / table["(1+5/N)^L"]
    measurable = table[relative <= MEASURABLE]
    z = (measurable["E R^2"] - measurable["(1+5/N)^L"]) / measurable["E R^2 s.e. (theory)"]
    heavy = table[relative > MEASURABLE]
    below = int((heavy["E R^2"] < heavy["(1+5/N)^L"]).sum())
    heavy_text = (
        f"; in the other {len(heavy)} cells (N {int(heavy['N'].min())} to {int(heavy['N'].max())}, the "
        "deepest) the fourth moment is so large (theory's standard error up to "
        f"{float(relative.max()):.3g} times the mean) that the sample mean of R^2 is dominated by rare "
        f"huge norms: {below} of them fall below (1 + 5/N)^L"
        if len(heavy)
        else ""
    )
    first_order = float((table["exp(5L/N)"] / table["(1+5/N)^L"]).max())
    smallest = table[table["N"] == table["N"].min()]
    largest = table[table["N"] == table["N"].max()]
    ratio_small = float((smallest["var log R (exact)"] / smallest["5L/N"]).iloc[0])
    ratio_large = float((largest["var log R (exact)"] / largest["5L/N"]).iloc[0])
    kurtosis = np.array(
        [
            finite_width.relu_log_norm_moments(int(n), int(d)).kurtosis
            for n, d in zip(table["N"], table["L"], strict=True)
        ]
    )
    var_z = (table["var log R"] - table["var log R (exact)"]) / (
        table["var log R (exact)"] * np.sqrt((kurtosis - 1.0) / table["samples"])
    )
    return Section(
        "Finite-width fluctuations of ||x_L||",
        [
            "He-initialized ReLU networks of width N and depth L, "
            f"{int(table['samples'].min())}..{int(table['samples'].max())} networks per cell, one fixed "
            "input; R = ||x_L||^2 / ||x_0||^2. E R^2 = (1 + 5/N)^L holds exactly at every width (Hanin "
            f"& Rolnick 2018): in the {len(measurable)} cells where theory's standard error of the "
            f"sample mean is at most {MEASURABLE:.0%} of it, the measured E R^2 lies within "
            f"{float(z.abs().max()):.1f} of those standard errors{heavy_text}. The first-order "
            f"exp(5L/N) overstates (1 + 5/N)^L by a factor up to {first_order:.3g}. log R is close to "
            "normal (Hanin & Nica 2019) with the exact variance L kappa_2 of the chi-square-binomial "
            f"mixture; the first-order 5L/N is {ratio_small:.2f} times too small at N = "
            f"{int(smallest['N'].iloc[0])} and {ratio_large:.2f} times at N = {int(largest['N'].iloc[0])}. "
            f"The measured variances are within {float(var_z.abs().max()):.1f} standard errors (from "
            "the exact kurtosis) of the exact ones, and the Kolmogorov distance of log R to its normal "
            "fit follows the exact law's (the table's last two columns; the measured one also carries "
            "sampling noise of order 1/sqrt(samples)).",
            Table("finite_width_fluctuation", table, floatfmt=".4g"),
            Figure("finite_width_fluctuation"),
        ],
    )


def plot(frame: pd.DataFrame) -> dict[str, Any]:
    plt = pyplot()
    table = summarize(frame)
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    for i, (width, part) in enumerate(table.groupby("N")):
        colour = f"C{i}"
        depth = part["L"].to_numpy(dtype=float)
        left.plot(depth, part["E R^2"], "o", color=colour, label=f"N = {width}")
        left.plot(depth, part["(1+5/N)^L"], "-", color=colour, alpha=0.6)
        left.plot(depth, part["exp(5L/N)"], ":", color=colour, alpha=0.6)
        right.plot(depth, part["var log R"], "o", color=colour, label=f"N = {width}")
        right.plot(depth, part["var log R (exact)"], "-", color=colour, alpha=0.6)
        right.plot(depth, part["5L/N"], ":", color=colour, alpha=0.6)
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("depth L")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    left.set_ylabel("E ||x_L||^4 / ||x_0||^4 (sample mean)")
    left.set_title("solid (1 + 5/N)^L, dotted exp(5L/N)")
    right.set_ylabel("Var log(||x_L||^2 / ||x_0||^2)")
    right.set_title("solid exact L kappa_2, dotted 5L/N")
    figure.tight_layout()
    return {"finite_width_fluctuation": figure}


EXPERIMENT = Experiment(NAME, cells, plot, section)
