"""Speed of impls: each initializer against the bare Generator call that draws the same numbers.

Timings are the minimum of several repeats (``timeit``) of one cell, in one process; they are not
comparable with timings taken while other work runs on the same cores.
"""

from __future__ import annotations

import functools
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import impls
from reports.bench.common import Section, Settings, Table
from reports.bench.experiment import Cell, Experiment, gather

NAME = "speed"

Pair = tuple[Callable[..., object], Callable[..., object]]


def _bare_uniform(shape, dtype, rng):
    return rng.uniform(-1, 1, shape) if dtype == np.float64 else rng.random(shape, dtype=dtype)


CASES: dict[str, Pair] = {
    "uniform": (lambda s, d, r: impls.uniform(s, -1, 1, rng=r, dtype=d), _bare_uniform),
    "normal": (
        lambda s, d, r: impls.normal(s, 0, 2, rng=r, dtype=d),
        lambda s, d, r: r.normal(0, 2, s) if d == np.float64 else r.standard_normal(s, dtype=d),
    ),
    "xavier_uniform": (lambda s, d, r: impls.xavier_uniform(s, rng=r, dtype=d), _bare_uniform),
    "kaiming_normal": (
        lambda s, d, r: impls.kaiming_normal(s, rng=r, dtype=d),
        lambda s, d, r: r.normal(0, 0.1, s) if d == np.float64 else r.standard_normal(s, dtype=d),
    ),
    "truncated_normal": (
        lambda s, d, r: impls.truncated_normal(s, rng=r, dtype=d),
        lambda s, d, r: r.standard_normal(s, dtype=d),
    ),
    "lecun_normal (truncated)": (
        lambda s, d, r: impls.lecun_normal(s, rng=r, dtype=d),
        lambda s, d, r: r.standard_normal(s, dtype=d),
    ),
    "pytorch_linear_default": (
        lambda s, d, r: impls.pytorch_linear_default(s, rng=r, dtype=d),
        _bare_uniform,
    ),
    "sparse (vs normal + permuted)": (
        lambda s, d, r: impls.sparse(s, 0.1, rng=r, dtype=d),
        lambda s, d, r: (
            r.standard_normal(s, dtype=d),
            r.permuted(np.broadcast_to(np.arange(s[0])[:, None], s), axis=0),
        ),
    ),
    "orthogonal (vs np.linalg.qr)": (
        lambda s, d, r: impls.orthogonal(s, rng=r, dtype=d),
        lambda s, d, r: np.linalg.qr(r.standard_normal(s, dtype=d)),
    ),
}


def best_time(function: Callable[[], object], repeat: int) -> float:
    """Minimum over ``repeat`` single calls (``timeit``)."""
    return min(timeit.repeat(function, number=1, repeat=repeat))


def measure_cell(
    rng: np.random.Generator, *, initializer: str, n: int, dtype: str, repeat: int
) -> pd.DataFrame:
    """Time one initializer and its bare Generator call at one shape and dtype."""
    ours, bare = CASES[initializer]
    shape, kind = (n, n), np.dtype(dtype).type
    t_ours = best_time(functools.partial(ours, shape, kind, rng), repeat)
    t_bare = best_time(functools.partial(bare, shape, kind, rng), repeat)
    return pd.DataFrame(
        [
            {
                "shape": f"{n}x{n}",
                "impls (ms)": 1e3 * t_ours,
                "bare NumPy (ms)": 1e3 * t_bare,
                "ratio": t_ours / t_bare,
            }
        ]
    )


def cells(settings: Settings) -> list[Cell]:
    sizes = settings.pick([256], [256, 1024], [256, 1024, 4096])  # 4096: 24 of the default's 33 CPU-s
    return [
        Cell(
            NAME,
            {"initializer": name, "n": n, "dtype": np.dtype(dtype).name},
            measure_cell,
            {
                "initializer": name,
                "n": n,
                "dtype": np.dtype(dtype).name,
                "repeat": 3 if n >= 4096 or settings.quick else 7,
            },
        )
        for name in CASES
        for n in sizes
        for dtype in (np.float32, np.float64)
        if not (name.startswith("orthogonal") and n > 1024)
    ]


def measure(settings: Settings) -> pd.DataFrame:
    return gather(cell.run(settings.seed) for cell in cells(settings))


def section(frame: pd.DataFrame) -> Section:
    table = frame[["initializer", "shape", "dtype", "impls (ms)", "bare NumPy (ms)", "ratio"]]
    return Section(
        "Speed of impls",
        [
            "Minimum over repeats of one call; `ratio` = impls / the bare Generator call that draws the same "
            "numbers (for orthogonal: `np.linalg.qr` of the same Gaussian matrix). Timed in one worker "
            "process with one BLAS thread; other workers may run other cells meanwhile.",
            Table("speed", table, floatfmt=".3g"),
        ],
    )


def plot(frame: pd.DataFrame) -> dict[str, Any]:
    return {}


EXPERIMENT = Experiment(NAME, cells, plot, section)
