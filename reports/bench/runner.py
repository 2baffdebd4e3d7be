"""Run the benchmark's cells as Dask tasks and write each experiment's section when its cells are in.

The cluster: an embedded ``LocalCluster`` (one worker process per core, one thread and one BLAS
thread each) unless a scheduler address is given (``--scheduler`` or ``INITCHECK_SCHEDULER``).
Every cell is a task keyed by its cache key; its random stream derives from the run's seed and
its labels (:func:`reports.bench.experiment.cell_rng`), so the frames do not depend on which
worker runs which cell, nor in which order. A cell that fails is retried once (a worker that dies
has its cells rescheduled by Dask); a cell that fails twice is named with its error in its
experiment's section, and the other cells still make the section. Completed cells are pickled in
``<out>/bench/cells/<experiment>-<key>.pkl``; ``resume=True`` reuses them (the key covers the
labels, parameters, run seed and the cell function's module source, so a changed setting or
changed code never reuses a stale cell).
"""

from __future__ import annotations

import os
import pickle
import sys
import time
import traceback
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from reports import atomic
from reports.bench.common import Section, Settings
from reports.bench.experiment import Cell, Experiment, Rendered, gather

SCHEDULER_ENV = "INITCHECK_SCHEDULER"
"""Environment variable naming an existing Dask scheduler (``tcp://host:8786``)."""
RETRIES = 1
"""A cell is tried at most ``1 + RETRIES`` times before it is reported as failed."""


def run_cell(cell: Cell, run_seed: int) -> tuple[pd.DataFrame, float, float]:
    """Run one cell with one BLAS thread (whatever the worker's environment).

    Returns:
        The frame, its wall seconds and the worker process's CPU seconds meanwhile.
    """
    from threadpoolctl import threadpool_limits

    started, cpu = time.perf_counter(), time.process_time()
    with threadpool_limits(limits=1):
        frame = cell.run(run_seed)
    return frame, time.perf_counter() - started, time.process_time() - cpu


@contextmanager
def connect(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: to ``scheduler`` (or ``$INITCHECK_SCHEDULER``), else an embedded cluster.

    The embedded ``LocalCluster`` has ``workers`` processes (default: the machine's cores), one
    thread each; Dask's nanny starts them with ``OMP/MKL/OPENBLAS_NUM_THREADS=1``. ``workers=0``
    runs one worker thread inside this process (no process start-up: for tests and debugging).
    """
    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get(SCHEDULER_ENV)
    if address:
        with Client(address) as client:
            yield client
        return
    count = (os.cpu_count() or 1) if workers is None else workers
    with (
        LocalCluster(
            n_workers=max(count, 1),
            threads_per_worker=1,
            processes=count > 0,
            dashboard_address=":0",
            silence_logs=40,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@dataclass
class Outcome:
    """What one experiment's cells gave: their frames in cell order, failures, timings."""

    experiment: Experiment
    cells: list[Cell]
    frames: dict[int, pd.DataFrame] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)
    seconds: dict[int, float] = field(default_factory=dict)
    cpu: dict[int, float] = field(default_factory=dict)
    cached: int = 0
    finished: float = 0.0  # when the last cell was in
    rendered: float = 0.0  # when the section was written
    render_error: BaseException | None = None

    @property
    def done(self) -> bool:
        return len(self.frames) + len(self.failures) == len(self.cells)

    def frame(self) -> pd.DataFrame:
        return gather(self.frames[i] for i in sorted(self.frames))


def cache_path(settings: Settings, cell: Cell) -> Path:
    return settings.folder / "cells" / f"{cell.experiment}-{cell.key(settings.seed)}.pkl"


def failure_note(outcome: Outcome) -> str:
    lines = [
        f"**Failed cells: {len(outcome.failures)} of {len(outcome.cells)}** (tried {1 + RETRIES} times each):"
    ]
    lines += [f"- `{outcome.cells[i].name}`: {error}" for i, error in sorted(outcome.failures.items())]
    return "\n".join(lines)


def render(experiment: Experiment, frame: pd.DataFrame) -> Rendered:
    """Make the section and its files from the gathered frame (runs on a worker)."""
    return experiment.render(frame)


def finish(outcome: Outcome, rendered: Rendered | BaseException | None, settings: Settings) -> Section:
    """Write the experiment's section (failures named in it); ``rendered`` is the render task's result."""
    name = outcome.experiment.name
    if rendered is None:  # no cell completed
        section = Section(name, [failure_note(outcome)])
    elif isinstance(rendered, BaseException):
        # a bug, or a partial frame the section cannot use: say so, keep the other sections
        section = Section(name, [f"The section could not be made from the completed cells: {rendered!r}"])
    else:
        section = rendered.write(settings.folder)
        if not outcome.failures:
            return section
        section.body.append(failure_note(outcome))
    atomic.write_text(settings.folder / f"section_{name}.md", section.markdown())
    return section


def run(
    experiments: Sequence[Experiment],
    settings: Settings,
    client: Any,
    *,
    resume: bool = False,
) -> list[Outcome]:
    """Submit every cell of ``experiments`` to ``client``; render each section once its cells are in.

    Sections are rendered (tables, figures) by a task on the cluster too, as soon as the
    experiment's last cell is in; the files are written here.
    """
    from distributed import as_completed
    from tqdm import tqdm

    outcomes = [Outcome(e, e.cells(settings)) for e in experiments]
    bars = [
        tqdm(
            total=len(o.cells),
            desc=o.experiment.name,
            unit="cell",
            position=i,
            leave=True,
            disable=not settings.progress,
        )
        for i, o in enumerate(outcomes)
    ]
    pending = as_completed()
    cells: dict[Any, tuple[int, int]] = {}
    renders: dict[Any, int] = {}

    def complete(e: int) -> None:
        outcome = outcomes[e]
        outcome.finished = time.perf_counter()
        if not outcome.frames:
            finish(outcome, None, settings)
            outcome.rendered = time.perf_counter()
            return
        future = client.submit(
            render,
            outcome.experiment,
            outcome.frame(),
            pure=False,
            key=f"render-{outcome.experiment.name}-{uuid.uuid4().hex}",
            priority=10,  # before the cells still queued: a section appears as soon as it can
        )
        renders[future] = e
        pending.add(future)

    for e, outcome in enumerate(outcomes):
        for i, cell in enumerate(outcome.cells):
            path = cache_path(settings, cell)
            if resume and path.exists():
                outcome.frames[i] = pickle.loads(path.read_bytes())
                outcome.cached += 1
                bars[e].update()
                continue
            future = client.submit(
                run_cell,
                cell,
                settings.seed,
                key=f"{cell.experiment}-{cell.key(settings.seed)}",
                retries=RETRIES,
                pure=False,
            )
            cells[future] = (e, i)
            pending.add(future)
    for e, outcome in enumerate(outcomes):
        if outcome.done:
            complete(e)
    for future in pending:
        if future in renders:
            e = renders.pop(future)
            result = outcome_of(future)
            if isinstance(result, BaseException):
                outcomes[e].render_error = result
            finish(outcomes[e], result, settings)
            outcomes[e].rendered = time.perf_counter()
            future.release()
            continue
        e, i = cells.pop(future)
        outcome = outcomes[e]
        result = outcome_of(future)
        if isinstance(result, BaseException):
            message = "".join(traceback.format_exception_only(type(result), result)).strip()
            outcome.failures[i] = message.splitlines()[0] if message else repr(result)
        else:
            frame, seconds, cpu = result
            outcome.frames[i], outcome.seconds[i], outcome.cpu[i] = frame, seconds, cpu
            atomic.write_bytes(cache_path(settings, outcome.cells[i]), pickle.dumps(frame))
        bars[e].update()
        future.release()
        if outcome.done:
            complete(e)
    for bar in bars:
        bar.close()
    broken = [o.experiment.name for o in outcomes if o.render_error is not None and not o.failures]
    if broken:  # every cell completed, yet no section: a bug in section() or plot(); the others are written
        first = next(o for o in outcomes if o.experiment.name == broken[0])
        raise RuntimeError(f"sections failed to render: {broken}") from first.render_error
    return outcomes


def outcome_of(future: Any) -> Any:
    """The task's result, or the exception it ended with (``KilledWorker`` included).

    ``as_completed`` hands over a future once it has finished, but the result lives on a worker
    until it is fetched: if that worker dies meanwhile, the scheduler computes the task again and
    the future is pending once more. ``result()`` waits for that, so a dead worker loses no cell
    (its status is not a verdict: it was read as a failure before, with no exception to show).
    """
    try:
        return future.result()
    except Exception as error:  # the task's own error, re-raised here
        return error


def describe(client: Any, scheduler: str | None) -> dict[str, Any]:
    """The cluster a run used: workers, threads, address, dashboard."""
    info = client.scheduler_info()
    workers = info.get("workers", {})
    return {
        "cluster": "existing scheduler" if scheduler else "embedded LocalCluster",
        "scheduler": info.get("address", ""),
        "workers": len(workers),
        "threads": sum(int(w.get("nthreads", 1)) for w in workers.values()),
        "dashboard": client.dashboard_link,
    }


def bench(
    settings: Settings,
    only: Sequence[str] | None = None,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    resume: bool = False,
) -> tuple[list[Outcome], dict[str, Any]]:
    """Run the experiments (all, or ``only``) on a cluster; write sections and timings.

    Returns:
        The experiments' outcomes, and the run's settings and cluster for the report's manifest.
    """
    from reports.bench import EXPERIMENTS

    chosen = [EXPERIMENTS[name] for name in (only or EXPERIMENTS)]
    started = time.perf_counter()
    address = scheduler or os.environ.get(SCHEDULER_ENV)
    with connect(address, workers) as client:
        cluster = describe(client, address)
        print(
            f"bench: {cluster['cluster']} at {cluster['scheduler']}, {cluster['workers']} workers; "
            f"dashboard {cluster['dashboard']}",
            file=sys.stderr,
            flush=True,
        )
        outcomes = run(chosen, settings, client, resume=resume)
    timings = pd.DataFrame(
        [
            {
                "experiment": o.experiment.name,
                "cells": len(o.cells),
                "cached": o.cached,
                "failed": len(o.failures),
                "cell seconds": sum(o.seconds.values()),
                "cell CPU seconds": sum(o.cpu.values()),
                "cells in after (s)": o.finished - started,
                "section written after (s)": o.rendered - started,
            }
            for o in outcomes
        ]
    )
    atomic.write_text(settings.folder / "timings.csv", timings.to_csv(index=False))
    run_info = {
        "scale": settings.scale,
        "seed": settings.seed,
        **cluster,
        "seconds": time.perf_counter() - started,
    }
    return outcomes, run_info
