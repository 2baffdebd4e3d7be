"""Optimizers on a small synthetic problem: loss curves, and first-step sizes against theory."""

from __future__ import annotations

import numpy as np
import pandas as pd

import impls
from reports.bench.common import Section, Settings, progress, save_figure, save_table
from theory import optimizers as theory_opt

OPTIMIZERS = {
    "SGD": (lambda: impls.sgd(0.05), lambda g: 0.05 * g),
    "momentum 0.9": (lambda: impls.sgd(0.05, momentum=0.9), lambda g: 0.05 * g),
    "AdaGrad": (
        lambda: impls.adagrad(0.05),
        lambda g: theory_opt.adagrad_constant_gradient_step(0.05, g, 1, 1e-10),
    ),
    "RMSProp": (
        lambda: impls.rmsprop(0.001),
        lambda g: theory_opt.rmsprop_constant_gradient_step(0.001, g, 0.99, 1, 1e-8),
    ),
    "Adam": (lambda: impls.adam(0.005), lambda g: theory_opt.adam_constant_gradient_step(0.005, g, 1e-8)),
    "Adam, no bias correction": (
        lambda: impls.adam(0.005, bias_correction=False),
        lambda g: theory_opt.adam_uncorrected_first_step(0.005, g, 0.9, 0.999, 1e-8),
    ),
}


def dataset(rng: np.random.Generator, n: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian blobs in 2-D, lifted to 8-D by a random map with feature scales 0.3 to 3."""
    labels = rng.integers(0, 3, n)
    centres = np.array([[0.0, 2.0], [-1.7, -1.0], [1.7, -1.0]])
    x2 = centres[labels] + 0.8 * rng.standard_normal((n, 2))
    lift = rng.standard_normal((2, 8)) * np.logspace(-0.5, 0.5, 8) / np.sqrt(2)
    return x2 @ lift, labels


def train(make, x, labels, rng, steps: int) -> np.ndarray:
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


def run(settings: Settings) -> Section:
    import matplotlib.pyplot as plt

    steps, seeds = (100, 2) if settings.quick else (400, 5)
    rng = np.random.default_rng(settings.seed)
    x, labels = dataset(rng)
    curves = {
        name: np.array(
            [train(make, x, labels, np.random.default_rng(settings.seed + s), steps) for s in range(seeds)]
        )
        for name, (make, _) in progress(OPTIMIZERS.items(), settings, "optimizers", total=len(OPTIMIZERS))
    }
    figure, ax = plt.subplots(figsize=(8, 5))
    for name, runs in curves.items():
        mean, spread = runs.mean(0), runs.std(0)
        ax.plot(np.arange(1, steps + 1), mean, label=name)
        ax.fill_between(np.arange(1, steps + 1), np.maximum(mean - spread, 1e-6), mean + spread, alpha=0.2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training cross-entropy")
    ax.set_title(f"MLP 8-32-3 (ReLU, He init) on 3 blobs: mean over {seeds} seeds, band = +-1 std")
    ax.legend()
    rows = []
    for name, (make, first_step) in OPTIMIZERS.items():
        opt = make()
        new, _ = opt.step(np.zeros(1), np.ones(1), opt.init(np.zeros(1)))
        assert isinstance(new, np.ndarray)
        runs = curves[name]
        rows.append(
            {
                "optimizer": name,
                "first step for g = 1 (measured)": float(-new[0]),
                "first step (theory)": first_step(1.0),
                "final loss": runs[:, -1].mean(),
                "final loss spread": runs[:, -1].std(),
            }
        )
    table = save_table(pd.DataFrame(rows), settings, "optimizers")
    return Section(
        "Optimizers",
        [
            "First steps for a unit gradient against theory: RMSProp's first step is 10 lr (no bias "
            "correction, alpha = 0.99), Adam's without bias correction 3.16 lr, with it exactly lr.",
            table,
            save_figure(figure, settings, "optimizers_loss"),
        ],
    )
