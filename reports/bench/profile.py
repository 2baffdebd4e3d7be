"""How much of a propagation cell's wall time is spent in BLAS (matrix products).

``python -m reports.bench.profile [WIDTH[:INITIALIZER] ...]`` runs the default-scale propagation
cells (one per initializer, or the one named) at each width with one BLAS thread, then times the
same sequence of matrix products alone (same shapes, dtypes and count: per network and layer the
forward product, the weight gradient and, above layer 1, the back-propagated gradient) and
prints their ratio. An estimate: the products timed alone run with warm caches and no
interleaved work.
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
    width: int, batch: int, depth: int, dtype: type, networks: int, rng: np.random.Generator
) -> float:
    """Seconds of the ``networks x depth`` layers' matrix products of one cell, timed alone."""
    a: np.ndarray = rng.standard_normal((batch, width)).astype(dtype)
    w: np.ndarray = rng.standard_normal((width, width)).astype(dtype)
    started = time.perf_counter()
    for _ in range(networks):
        for layer in range(depth):
            _ = a @ w.T  # forward
            _ = a.T @ a  # weight gradient: delta^T a_{l-1}, (width, batch) @ (batch, width)
            if layer:
                _ = a @ w  # back-propagated gradient: delta W
    return time.perf_counter() - started


def profile(width: int, settings: Settings, initializers: Sequence[str] = ()) -> pd.DataFrame:
    """One row per initializer: cell seconds, BLAS seconds, and their ratio (one BLAS thread)."""
    from threadpoolctl import threadpool_limits

    rows = []
    with threadpool_limits(limits=1):
        for cell in propagation.cells(settings):
            if cell.labels["width"] != width or (
                initializers and cell.labels["initializer"] not in initializers
            ):
                continue
            started = time.perf_counter()
            frame = cell.run(settings.seed)
            seconds = time.perf_counter() - started
            params = cell.params
            rng = np.random.default_rng(0)
            blas = 0.0
            for dtype, rows_of_dtype in frame.groupby("dtype"):
                networks = rows_of_dtype[["activation", "seed"]].drop_duplicates().shape[0]
                blas += gemm_seconds(
                    width, params["batch"], params["depth"], np.dtype(dtype).type, networks, rng
                )
            rows.append(
                {
                    "initializer": cell.labels["initializer"],
                    "width": width,
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
