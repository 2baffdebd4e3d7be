"""Attention logit scale by d_k, and the last layer's gradient of Pre-LN and Post-LN stacks by depth.

Part ``logits``: the std of ``q . k`` (unscaled) and ``q . k / sqrt(d_k)`` for unit-variance
queries and keys (impls' ``attention_scores``). Part ``gradients``: ``||dl/dW_2||`` of the last
MLP weight of L-layer stacks (impls' ``transformer_forward``/``transformer_backward``, weights
N(0, 1/d), zero biases, a final LayerNorm for Pre-LN, loss ``<r, out>``, four tokens), and the
fitted slope of ``log E||dl/dW_2||`` against ``log L``. Theory: :mod:`theory.attention`,
:mod:`theory.transformer` (Xiong et al. 2020: slope -1/2 for Pre-LN, 0 for Post-LN).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

import impls
from reports.bench.common import Figure, Section, Settings, Table, pyplot
from reports.bench.experiment import Cell, Experiment, gather
from theory import attention, transformer

NAME = "attention_pre_post_ln"
D_MODEL, D_FF, TOKENS = 32, 64, 4


def logit_cell(rng: np.random.Generator, *, d_k: int, samples: int) -> pd.DataFrame:
    q, k = rng.standard_normal((samples, 1, d_k)), rng.standard_normal((samples, 1, d_k))
    rows = []
    for scaled in (False, True):
        scores = impls.attention_scores(q, k, scale=None if scaled else 1.0).ravel()
        predicted = attention.scaled_logit_variance(d_k) if scaled else attention.dot_product_variance(d_k)
        rows.append({"scaled": scaled, "std": float(np.std(scores)), "std (theory)": math.sqrt(predicted)})
    return pd.DataFrame(rows)


def gradient_cell(rng: np.random.Generator, *, norm: str, depth: int, draws: int) -> pd.DataFrame:
    norm_first = norm == "Pre-LN"
    std = 1 / math.sqrt(D_MODEL)
    norms = []
    for _ in range(draws):
        layers = [impls.init_transformer_layer(D_MODEL, 1, D_FF, std=std, rng=rng) for _ in range(depth)]
        x0 = impls.layer_norm(rng.normal(size=(1, TOKENS, D_MODEL)), D_MODEL)
        _, cache = impls.transformer_forward(
            layers, x0, nhead=1, norm_first=norm_first, final_norm=True if norm_first else None
        )
        grads, _ = impls.transformer_backward(layers, cache, rng.normal(size=x0.shape))
        norms.append(float(np.linalg.norm(grads[-1]["linear2.weight"])))
    return pd.DataFrame({"draw": np.arange(draws), "grad_norm": norms})


def cells(settings: Settings) -> list[Cell]:
    samples = settings.pick(2_000, 20_000, 200_000)
    depths = settings.pick([1, 2, 4, 8], [1, 2, 4, 8, 16, 32], [1, 2, 4, 8, 16, 32, 64])
    draws = settings.pick(4, 12, 50)
    logits = [
        Cell(NAME, {"part": "logits", "d_k": d}, logit_cell, {"d_k": d, "samples": samples})
        for d in (4, 16, 64, 256)
    ]
    gradients = [
        Cell(
            NAME,
            {"part": "gradients", "norm": n, "depth": d},
            gradient_cell,
            {"norm": n, "depth": d, "draws": draws},
        )
        for n in ("Post-LN", "Pre-LN")
        for d in depths
    ]
    return logits + gradients


def measure(settings: Settings) -> pd.DataFrame:
    return gather(cell.run(settings.seed) for cell in cells(settings))


def gradient_table(frame: pd.DataFrame) -> pd.DataFrame:
    rows = frame[frame["part"] == "gradients"]
    table = rows.groupby(["norm", "depth"], sort=False)["grad_norm"].agg(["mean", "sem"]).reset_index()
    return table.rename(columns={"mean": "E grad norm", "sem": "s.e."})


def slopes(frame: pd.DataFrame) -> pd.DataFrame:
    """Least-squares slope of log E||dl/dW_2|| on log L (depths >= 2), with theory's exponent."""
    table = gradient_table(frame)
    rows = []
    for norm, theory_slope in (
        ("Post-LN", transformer.POST_LN_GRADIENT_DEPTH_EXPONENT),
        ("Pre-LN", transformer.PRE_LN_GRADIENT_DEPTH_EXPONENT),
    ):
        part = table[(table["norm"] == norm) & (table["depth"] >= 2)]
        slope = float(np.polyfit(np.log(part["depth"]), np.log(part["E grad norm"]), 1)[0])
        rows.append({"norm": norm, "slope": slope, "slope (theory, L -> inf)": theory_slope})
    return pd.DataFrame(rows)


def section(frame: pd.DataFrame) -> Section:
    logits = frame[frame["part"] == "logits"][["d_k", "scaled", "std", "std (theory)"]].reset_index(drop=True)
    fitted = slopes(frame).set_index("norm")
    largest = logits[logits["d_k"] == logits["d_k"].max()]
    unscaled = float(largest[~largest["scaled"].astype(bool)]["std"].iloc[0])
    scaled = float(largest[largest["scaled"].astype(bool)]["std"].iloc[0])
    return Section(
        "Attention logits and Pre-LN vs Post-LN gradients",
        [
            f"At d_k = {int(largest['d_k'].iloc[0])} the unscaled logit's std was {unscaled:.3g} "
            f"(theory sqrt(d_k) = {math.sqrt(float(largest['d_k'].iloc[0])):.3g}) and the scaled one's "
            f"{scaled:.3g} (theory 1). The last MLP weight's gradient fell with depth as L^"
            f"{fitted.loc['Pre-LN', 'slope']:.2f} for Pre-LN (theory -1/2 as L grows: the gradient is "
            f"proportional to 1/sigma(x_L), E sigma^2(x_L) = 1 + cL) and as L^"
            f"{fitted.loc['Post-LN', 'slope']:.2f} for Post-LN (theory 0). Weights N(0, 1/d), d = "
            f"{D_MODEL}, {TOKENS} tokens. Theory: Vaswani et al. (2017); Xiong et al. (2020), Thm. 1.",
            Table(f"{NAME}_logits", logits),
            Table(f"{NAME}_gradients", gradient_table(frame)),
            Table(f"{NAME}_slopes", slopes(frame)),
            Figure(NAME),
        ],
    )


def plot(frame: pd.DataFrame) -> dict[str, Any]:
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    logits = frame[frame["part"] == "logits"]
    for scaled, label in ((False, "q.k"), (True, "q.k / sqrt(d_k)")):
        rows = logits[logits["scaled"].astype(bool) == scaled]
        line = left.plot(rows["d_k"], rows["std"], "o", label=f"{label} (measured)")
        left.plot(rows["d_k"], rows["std (theory)"], color=line[0].get_color(), lw=1)
    left.set_xscale("log", base=2)
    left.set_yscale("log")
    left.set_xlabel("d_k")
    left.set_ylabel("std of the logit")
    left.legend(fontsize=8)
    table = gradient_table(frame)
    for norm in ("Post-LN", "Pre-LN"):
        rows = table[table["norm"] == norm]
        right.errorbar(rows["depth"], rows["E grad norm"], yerr=rows["s.e."], marker="o", label=norm)
    right.set_xscale("log", base=2)
    right.set_yscale("log")
    right.set_xlabel("depth L")
    right.set_ylabel("E ||dl/dW2|| of the last layer")
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
    figure.tight_layout()
    return {NAME: figure}


EXPERIMENT = Experiment(NAME, cells, plot, section)
