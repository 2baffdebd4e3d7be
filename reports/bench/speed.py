"""Speed of impls: each initializer against the bare Generator call that draws the same numbers.

Timings are the minimum of several repeats (``timeit``), measured in this process alone; they
are not comparable with timings taken while other work runs (e.g. under pytest-xdist).
"""

from __future__ import annotations

import functools
import timeit
from collections.abc import Callable

import numpy as np
import pandas as pd

import impls
from reports.bench.common import Section, Settings, progress, save_table

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


def measure(function: Callable[[], object], repeat: int) -> float:
    number = 1
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number


def run(settings: Settings) -> Section:
    sizes = [256] if settings.quick else [256, 1024, 4096]
    rows = []
    jobs = [
        (name, n, dtype)
        for name in CASES
        for n in sizes
        for dtype in (np.float32, np.float64)
        if not (name.startswith("orthogonal") and n > 1024)
    ]
    for name, n, dtype in progress(jobs, settings, "speed"):
        ours, bare = CASES[name]
        rng, shape = np.random.default_rng(settings.seed), (n, n)
        repeat = 3 if n >= 4096 or settings.quick else 7
        t_ours = measure(functools.partial(ours, shape, dtype, rng), repeat)
        t_bare = measure(functools.partial(bare, shape, dtype, rng), repeat)
        rows.append(
            {
                "initializer": name,
                "shape": f"{n}x{n}",
                "dtype": np.dtype(dtype).name,
                "impls (ms)": 1e3 * t_ours,
                "bare NumPy (ms)": 1e3 * t_bare,
                "ratio": t_ours / t_bare,
            }
        )
    table = save_table(pd.DataFrame(rows), settings, "speed", floatfmt=".3g")
    return Section(
        "Speed of impls",
        [
            "Minimum over repeats of one call; `ratio` = impls / the bare Generator call that draws the same "
            "numbers (for orthogonal: `np.linalg.qr` of the same Gaussian matrix). Timed in one process.",
            table,
        ],
    )
