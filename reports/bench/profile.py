"""How much of a propagation cell's wall time is spent in BLAS (matrix products).

``python -m reports.bench.profile [WIDTH[:INITIALIZER] ...]`` runs the default-scale propagation
cells (one per initializer, or the one named) at each width with one BLAS thread, then times the
same sequence of matrix products alone (same shapes, dtypes and count as
:func:`properties.simulation.stream_networks`: per seed, layer and dtype group of ``k``
activations, the stacked forward product ``(k batch, n) x (n, n)``, above layer 1 the stacked
back-propagated gradient, and per activation the two ``batch x batch`` Gram matrices of the
weight gradient) and prints their ratio. An estimate: the products timed alone run with warm
caches and no interleaved work. The rest of a cell: ``impls``' activations and derivatives
(accurate, computed in float64), the weight draws, the float64 statistics and mean field.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from reports.bench import propagation
from reports.bench.common import Settings


def gemm_seconds(
    width: int, batch: int, depth: int, groups: dict[np.dtype, int], seeds: int, rng: np.random.Generator
) -> float:
    """Seconds of one cell's matrix products (``groups``: activations per dtype), timed alone."""
    seconds = 0.0
    for dtype, count in groups.items():
        stacked: np.ndarray = rng.standard_normal((count * batch, width)).astype(dtype)
        w: np.ndarray = rng.standard_normal((width, width)).astype(dtype)
        block = stacked[:batch]
        started = time.perf_counter()
        for _ in range(seeds):
            for layer in range(depth):
                _ = stacked @ w.T  # forward
                if layer:
                    _ = stacked @ w  # back-propagated gradient
                for _ in range(count):
                    _ = block @ block.T  # Gram of a_{l-1}
                    _ = block @ block.T  # Gram of delta_l
        seconds += time.perf_counter() - started
    return seconds


def profile(width: int, settings: Settings, initializers: Sequence[str] = ()) -> pd.DataFrame:
    """One row per initializer: cell seconds (mean field computed before, apart), BLAS seconds,
    and their ratio (one BLAS thread)."""
    from threadpoolctl import threadpool_limits

    rows = []
    with threadpool_limits(limits=1):
        for cell in propagation.cells(settings):
            if cell.labels["width"] != width or (
                initializers and cell.labels["initializer"] not in initializers
            ):
                continue
            started = time.perf_counter()
            for activation in cell.params["activations"]:  # mean field, timed apart (cached after)
                propagation.precision(
                    activation,
                    propagation.sigma_w2_of(cell.params["initializer"], width),
                    cell.params["depth"],
                    cell.params["batch"],
                )
            theory = time.perf_counter() - started
            started = time.perf_counter()
            frame = cell.run(settings.seed)
            seconds = time.perf_counter() - started
            params = cell.params
            rng = np.random.default_rng(0)
            run = frame[frame["dtype"] != propagation.NOT_RUN]
            groups = {
                np.dtype(str(dtype)): int(part["activation"].nunique())
                for dtype, part in run.groupby("dtype")
            }
            blas = gemm_seconds(width, params["batch"], params["depth"], groups, params["seeds"], rng)
            rows.append(
                {
                    "initializer": cell.labels["initializer"],
                    "width": width,
                    "mean field seconds": theory,
                    "cell seconds": seconds,
                    "BLAS seconds": blas,
                    "BLAS fraction": blas / seconds,
                }
            )
    return pd.DataFrame(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m reports.bench.profile [WIDTH[:INITIALIZER] ...]`` (default: 256 and 1024, all)."""
    specs = list(argv if argv is not None else sys.argv[1:]) or ["256", "1024"]
    settings = Settings(out=Path("."), progress=False)
    frames = []
    for spec in specs:
        width, _, initializer = spec.partition(":")
        frames.append(profile(int(width), settings, [initializer] if initializer else []))
    frame = pd.concat(frames, ignore_index=True)
    print(frame.to_markdown(index=False, floatfmt=".3g"))
    total = frame.groupby("width")[["cell seconds", "BLAS seconds"]].sum()
    print((total["BLAS seconds"] / total["cell seconds"]).rename("BLAS fraction by width").to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
