"""Optimizers on a small synthetic problem: loss curves, and first-step sizes against theory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import impls
from reports.bench.common import Figure, Section, Settings, Table, pyplot
from reports.bench.experiment import Cell, Experiment, cell_rng, gather
from theory import optimizers as theory_opt

NAME = "optimizers"
SGD_LR, ADAGRAD_LR, RMSPROP_LR, ADAM_LR = 0.05, 0.05, 0.001, 0.005
RMSPROP_ALPHA, ADAM_BETAS, RMSPROP_EPS, ADAM_EPS, ADAGRAD_EPS = 0.99, (0.9, 0.999), 1e-8, 1e-8, 1e-10

# name: (make the optimizer, theory's first step for a unit gradient, its learning rate)
OPTIMIZERS: dict[str, tuple[Callable[[], Any], Callable[[float], float], float]] = {
    "SGD": (lambda: impls.sgd(SGD_LR), lambda g: SGD_LR * g, SGD_LR),
    "momentum 0.9": (lambda: impls.sgd(SGD_LR, momentum=0.9), lambda g: SGD_LR * g, SGD_LR),
    "AdaGrad": (
        lambda: impls.adagrad(ADAGRAD_LR),
        lambda g: theory_opt.adagrad_constant_gradient_step(ADAGRAD_LR, g, 1, ADAGRAD_EPS),
        ADAGRAD_LR,
    ),
    "RMSProp": (
        lambda: impls.rmsprop(RMSPROP_LR),
        lambda g: theory_opt.rmsprop_constant_gradient_step(RMSPROP_LR, g, RMSPROP_ALPHA, 1, RMSPROP_EPS),
        RMSPROP_LR,
    ),
    "Adam": (
        lambda: impls.adam(ADAM_LR),
        lambda g: theory_opt.adam_constant_gradient_step(ADAM_LR, g, ADAM_EPS),
        ADAM_LR,
    ),
    "Adam, no bias correction": (
        lambda: impls.adam(ADAM_LR, bias_correction=False),
        lambda g: theory_opt.adam_uncorrected_first_step(ADAM_LR, g, *ADAM_BETAS, ADAM_EPS),
        ADAM_LR,
    ),
}


def dataset(rng: np.random.Generator, n: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian blobs in 2-D, lifted to 8-D by a random map with feature scales 0.3 to 3."""
    labels = rng.integers(0, 3, n)
    centres = np.array([[0.0, 2.0], [-1.7, -1.0], [1.7, -1.0]])
    x2 = centres[labels] + 0.8 * rng.standard_normal((n, 2))
    lift = rng.standard_normal((2, 8)) * np.logspace(-0.5, 0.5, 8) / np.sqrt(2)
    return x2 @ lift, labels


def train(
    make: Callable[[], Any], x: np.ndarray, labels: np.ndarray, rng: np.random.Generator, steps: int
) -> np.ndarray:
    params = impls.init_mlp([x.shape[1], 32, 3], impls.kaiming_uniform, rng=rng)
    opt = make()
    state, losses = opt.init(params), []
    for _ in range(steps):
        cache = impls.forward(params, x, "relu", output_activation="linear")
        losses.append(float(impls.cross_entropy(cache.post[-1], labels)))
        grads = impls.backward(
            params, cache, impls.cross_entropy_grad(cache.post[-1], labels), "relu", "linear"
        ).params
        params, state = opt.step(params, grads, state)
    return np.array(losses)


def first_step(make: Callable[[], Any]) -> float:
    """The measured first step of a fresh optimizer for a unit gradient on a zero parameter."""
    opt = make()
    new, _ = opt.step(np.zeros(1), np.ones(1), opt.init(np.zeros(1)))
    return float(-np.asarray(new)[0])


def measure_cell(rng: np.random.Generator, *, optimizer: str, steps: int, run_seed: int) -> pd.DataFrame:
    """One training run: the loss at every step, with the first-step sizes (measured, theory)."""
    make, theory_step, lr = OPTIMIZERS[optimizer]
    x, labels = dataset(cell_rng(run_seed, NAME, {"dataset": 0}))  # the same data in every cell
    losses = train(make, x, labels, rng, steps)
    return pd.DataFrame(
        {
            "step": np.arange(1, steps + 1),
            "loss": losses,
            "first step": first_step(make),
            "first step (theory)": theory_step(1.0),
            "lr": lr,
        }
    )


def cells(settings: Settings) -> list[Cell]:
    steps, seeds = settings.pick((100, 2), (400, 5), (400, 20))
    return [
        Cell(
            NAME,
            {"optimizer": name, "seed": s},
            measure_cell,
            {"optimizer": name, "steps": steps, "run_seed": settings.seed},
        )
        for name in OPTIMIZERS
        for s in range(seeds)
    ]


def measure(settings: Settings) -> pd.DataFrame:
    return gather(cell.run(settings.seed) for cell in cells(settings))


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    last = frame[frame["step"] == frame["step"].max()].groupby("optimizer", sort=False)
    first = frame.groupby("optimizer", sort=False)[["first step", "first step (theory)"]].first()
    return pd.DataFrame(
        {
            "optimizer": first.index,
            "first step for g = 1 (measured)": first["first step"].to_numpy(),
            "first step (theory)": first["first step (theory)"].to_numpy(),
            "final loss": last["loss"].mean().to_numpy(),
            "final loss spread": last["loss"].std(ddof=0).to_numpy(),
        }
    )


def section(frame: pd.DataFrame) -> Section:
    ratio = (frame["first step (theory)"] / frame["lr"]).groupby(frame["optimizer"]).first()
    return Section(
        "Optimizers",
        [
            "First steps for a unit gradient against theory: RMSProp's first step is "
            f"{ratio['RMSProp']:.3g} lr (no bias correction, alpha = {RMSPROP_ALPHA}), Adam's without bias "
            f"correction {ratio['Adam, no bias correction']:.3g} lr, with it {ratio['Adam']:.3g} lr.",
            Table("optimizers", summarize(frame)),
            Figure("optimizers_loss"),
        ],
    )


def plot(frame: pd.DataFrame) -> dict[str, Any]:
    plt = pyplot()
    figure, ax = plt.subplots(figsize=(8, 5))
    seeds = int(frame["seed"].nunique())
    for name, runs in frame.groupby("optimizer", sort=False):
        curves = runs.groupby("step")["loss"]
        mean, spread = curves.mean(), curves.std(ddof=0)
        ax.plot(mean.index, mean, label=name)
        ax.fill_between(mean.index, np.maximum(mean - spread, 1e-6), mean + spread, alpha=0.2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training cross-entropy")
    ax.set_title(f"MLP 8-32-3 (ReLU, He init) on 3 blobs: mean over {seeds} seeds, band = +-1 std")
    ax.legend()
    return {"optimizers_loss": figure}


EXPERIMENT = Experiment(NAME, cells, plot, section)
