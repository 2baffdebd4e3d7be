"""Dynamical isometry: singular values of the input-output Jacobian by depth."""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

import impls
from reports.bench.common import Section, Settings, progress, save_figure, save_table
from theory import isometry

# activation: sigma_w^2 at criticality (sigma_b = 0)
CRITICAL = {"linear": 1.0, "tanh": 1.0, "relu": 2.0}


def _orthogonal(shape, gain, rng, dtype):
    return impls.orthogonal(shape, gain, rng=rng, dtype=dtype)


def predicted_variance(activation: str, weights: str, depth: int) -> float:
    s1 = -1.0 if weights == "gaussian" else 0.0
    if activation == "relu":
        return isometry.relu_spectrum_variance(depth, weights)
    # linear, and tanh on the critical line at sigma_b = 0 where q* = 0 (phi' = 1 there)
    return isometry.pennington_spectrum_variance(depth, 1.0, 1.0, s1)


def run(settings: Settings) -> Section:
    import matplotlib.pyplot as plt

    width = 128 if settings.quick else 256
    depths = [1, 4, 16] if settings.quick else [1, 4, 16, 64]
    draws = 2 if settings.quick else 4
    rng = np.random.default_rng(settings.seed)
    rows, spectra = [], {}
    configs = [(a, w, d) for a in CRITICAL for w in ("gaussian", "orthogonal") for d in depths]
    for activation, weights, depth in progress(configs, settings, "isometry"):
        sigma_w2 = CRITICAL[activation]
        if weights == "orthogonal":
            init = functools.partial(_orthogonal, gain=math.sqrt(sigma_w2))
        else:
            init = functools.partial(impls.variance_scaling, scale=sigma_w2, distribution="normal")

        values, stats = [], []
        for _ in range(draws):
            params = impls.init_mlp([width] * (depth + 1), init, rng=rng)
            x = rng.standard_normal(width) * (1.0 if activation != "tanh" else 1e-3)
            s2 = np.linalg.svd(impls.jacobian(params, x, activation), compute_uv=False) ** 2
            values.append(s2)
            stats.append((s2.mean(), s2.var()))
        spectra[(activation, weights, depth)] = np.concatenate(values)
        stats_ = np.array(stats)
        rows.append(
            {
                "activation": activation,
                "weights": weights,
                "depth": depth,
                "mean s^2": stats_[:, 0].mean(),
                "var s^2": stats_[:, 1].mean(),
                "var s^2 spread": stats_[:, 1].std(),
                "var s^2 (theory)": predicted_variance(activation, weights, depth),
            }
        )
    figure, axes = plt.subplots(len(CRITICAL), 2, figsize=(12, 10), sharex=True, sharey=True)
    for i, activation in enumerate(CRITICAL):
        for j, weights in enumerate(("gaussian", "orthogonal")):
            ax = axes[i, j]
            for depth in depths:
                s2 = spectra[(activation, weights, depth)]
                zeros = float(np.mean(s2 < 1e-12))
                label = f"L = {depth}" + (f" ({zeros:.0%} below 1e-12)" if zeros > 0.005 else "")
                ax.ecdf(np.clip(s2, 1e-8, None), label=label)
            ax.set_xscale("log")
            ax.set_xlim(1e-6, 1e3)
            ax.axvline(1.0, color="grey", lw=0.8, ls=":")
            ax.set_title(f"{activation}, {weights} weights (critical)")
            ax.set_ylabel("fraction of s^2 below x")
            ax.legend(fontsize=8, loc="upper left")
            ax.grid(True, alpha=0.3)
        axes[-1, 0].set_xlabel("squared singular value s^2 of J")
        axes[-1, 1].set_xlabel("squared singular value s^2 of J")
    figure.suptitle(f"Jacobian spectra (empirical CDFs) at width {width}, {draws} networks per depth")
    figure.tight_layout()
    table = save_table(pd.DataFrame(rows), settings, "isometry")
    return Section(
        "Dynamical isometry",
        [
            "Orthogonal linear networks are exact isometries (every s^2 = 1); Gaussian ones spread like "
            "the Fuss-Catalan law (Var s^2 = L); ReLU spreads for either ensemble (2L Gaussian, L "
            "orthogonal); tanh at the critical point with small inputs stays near the linear case. "
            "Theory: Pennington, Schoenholz & Ganguli (2017).",
            table,
            save_figure(figure, settings, "isometry_spectra"),
        ],
    )
