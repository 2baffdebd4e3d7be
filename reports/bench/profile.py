"""How much of a propagation cell's wall time is spent in BLAS (matrix products).

``python -m reports.bench.profile [--depth D] [--seeds S] [WIDTH[:INITIALIZER] ...]`` runs the
default-scale propagation cells (one per initializer, or the one named) at each width with one
BLAS thread (CPU seconds of this process; mean field computed before, timed apart), then times the
same sequence of matrix products alone (same shapes, dtypes and count as
:func:`properties.simulation.stream_networks`: per seed, layer and dtype group of ``k``
activations, the stacked forward product ``(k batch, n) x (n, n)``, above layer 1 the stacked
back-propagated gradient, and per activation the two ``batch x batch`` Gram matrices of the
weight gradient) and prints their ratio. An estimate: the products timed alone run with warm
caches and no interleaved work. The rest of a cell: ``impls``' activations and derivatives
(accurate, computed in float64), the weight draws, the float64 statistics and mean field.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from reports.bench import propagation
from reports.bench.common import Settings
from reports.bench.experiment import Cell


def gemm_seconds(
    width: int, batch: int, depth: int, groups: dict[np.dtype, int], seeds: int, rng: np.random.Generator
) -> float:
    """Seconds of one cell's matrix products (``groups``: activations per dtype), timed alone."""
    seconds = 0.0
    for dtype, count in groups.items():
        stacked: np.ndarray = rng.standard_normal((count * batch, width)).astype(dtype)
        w: np.ndarray = rng.standard_normal((width, width)).astype(dtype)
        block = stacked[:batch]
        started = time.process_time()
        for _ in range(seeds):
            for layer in range(depth):
                _ = stacked @ w.T  # forward
                if layer:
                    _ = stacked @ w  # back-propagated gradient
                for _ in range(count):
                    _ = block @ block.T  # Gram of a_{l-1}
                    _ = block @ block.T  # Gram of delta_l
        seconds += time.process_time() - started
    return seconds


def profile(
    width: int,
    settings: Settings,
    initializers: Sequence[str] = (),
    depth: int | None = None,
    seeds: int | None = None,
) -> pd.DataFrame:
    """One row per initializer: cell seconds (mean field computed before, apart), BLAS seconds,
    and their ratio (one BLAS thread, CPU seconds of this process: robust on a shared machine).

    A width outside the scale's grid runs the cells of its widest width at ``width``;
    ``depth`` and ``seeds`` override the scale's.
    """
    from threadpoolctl import threadpool_limits

    cells = propagation.cells(settings)
    template = (
        width if any(c.labels["width"] == width for c in cells) else max(c.labels["width"] for c in cells)
    )
    rows = []
    with threadpool_limits(limits=1):
        for cell in cells:
            if cell.labels["width"] != template or (
                initializers and cell.labels["initializer"] not in initializers
            ):
                continue
            params = {**cell.params, "width": width}
            params["depth"] = depth or params["depth"]
            params["seeds"] = seeds or params["seeds"]
            cell = Cell(cell.experiment, {**cell.labels, "width": width}, cell.function, params)
            started = time.process_time()
            for activation in params["activations"]:  # mean field, timed apart (cached after)
                propagation.precision(
                    activation,
                    propagation.sigma_w2_of(params["initializer"], width),
                    params["depth"],
                    params["batch"],
                )
            theory = time.process_time() - started
            started = time.process_time()
            frame = cell.run(settings.seed)
            seconds = time.process_time() - started
            run = frame[frame["dtype"] != propagation.NOT_RUN]
            groups = {
                np.dtype(str(dtype)): int(part["activation"].nunique())
                for dtype, part in run.groupby("dtype")
            }
            rng = np.random.default_rng(0)
            blas = gemm_seconds(width, params["batch"], params["depth"], groups, params["seeds"], rng)
            rows.append(
                {
                    "initializer": cell.labels["initializer"],
                    "width": width,
                    "depth": params["depth"],
                    "seeds": params["seeds"],
                    "mean field seconds": theory,
                    "cell seconds": seconds,
                    "BLAS seconds": blas,
                    "BLAS fraction": blas / seconds,
                }
            )
    return pd.DataFrame(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m reports.bench.profile [--depth D] [--seeds S] [WIDTH[:INITIALIZER] ...]``.

    Default: widths 256 and 1024, every initializer, the default scale's depth and seeds. Prints
    the table, the BLAS fraction by width and the process's peak resident memory.
    """
    import argparse
    import resource

    parser = argparse.ArgumentParser(prog="python -m reports.bench.profile")
    parser.add_argument("specs", nargs="*", default=["256", "1024"], help="WIDTH[:INITIALIZER]")
    parser.add_argument("--depth", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=None)
    args = parser.parse_args(argv)
    settings = Settings(out=Path("."), progress=False)
    frames = []
    for spec in args.specs:
        width, _, initializer = spec.partition(":")
        frames.append(
            profile(int(width), settings, [initializer] if initializer else [], args.depth, args.seeds)
        )
    frame = pd.concat(frames, ignore_index=True)
    print(frame.to_markdown(index=False, floatfmt=".3g"))
    total = frame.groupby("width")[["cell seconds", "BLAS seconds"]].sum()
    print((total["BLAS seconds"] / total["cell seconds"]).rename("BLAS fraction by width").to_string())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak resident memory: {peak:.2f} GiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
