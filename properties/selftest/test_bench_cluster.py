"""Tests of the benchmark on Dask: the same frames whatever the workers, failures reported, resume.

Most clusters here are in-process (``processes=False``) to keep the tests fast; the embedded
cluster of ``python -m reports bench`` uses worker processes, which only changes where cells run.
One test starts a scheduler and two worker processes with Dask's own command line, as a user's
cluster would be, and kills a worker in the middle of a cell.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reports.bench import isometry, propagation
from reports.bench.common import Section, Settings
from reports.bench.experiment import Cell, Experiment, gather
from reports.bench.runner import cache_path, run

distributed = pytest.importorskip("distributed")


@contextmanager
def cluster(workers: int) -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client


def small_cells(settings: Settings) -> list[Cell]:
    """A few propagation and isometry cells, shrunk (the real cell functions, small sizes)."""
    cells = [
        Cell(c.experiment, c.labels, c.function, {**c.params, "depth": 3, "seeds": 2, "batch": 8})
        for c in propagation.cells(settings)[:4]
    ]
    cells += [
        Cell(c.experiment, c.labels, c.function, {**c.params, "depth": 2, "width": 8})
        for c in isometry.cells(settings)[:4]
    ]
    return cells


def frames_only(frame: pd.DataFrame) -> Section:
    return Section("cells", [])


def no_figures(frame: pd.DataFrame) -> dict[str, Any]:
    return {}


SMALL = Experiment("small", small_cells, no_figures, frames_only)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One two-worker cluster shared by the tests that do not count workers."""
    with cluster(2) as shared:
        yield shared


def test_frames_are_bit_identical_with_one_or_two_workers(tmp_path: Path) -> None:
    settings = Settings(tmp_path, seed=7, quick=True, progress=False)
    alone = gather(cell.run(settings.seed) for cell in SMALL.cells(settings))
    results = []
    for workers in (1, 2):  # one cluster at a time (runs before the shared one below exists)
        with cluster(workers) as own:
            (outcome,) = run(
                [SMALL], Settings(tmp_path / str(workers), seed=7, quick=True, progress=False), own
            )
            assert not outcome.failures and len(own.scheduler_info()["workers"]) == workers
        results.append(outcome.frame())
    for frame in results:
        pd.testing.assert_frame_equal(frame, alone, check_exact=True)
    assert len(set(alone["dtype"].dropna())) >= 1 and np.isfinite(alone["pre_std"].dropna()).all()


ATTEMPTS: dict[str, int] = {}


def flaky(rng: np.random.Generator, *, name: str, fail_times: int) -> pd.DataFrame:
    """Fails its first ``fail_times`` attempts, then returns one random number."""
    ATTEMPTS[name] = ATTEMPTS.get(name, 0) + 1
    if ATTEMPTS[name] <= fail_times:
        raise RuntimeError(f"{name} attempt {ATTEMPTS[name]} fails")
    return pd.DataFrame({"value": [rng.standard_normal()]})


def flaky_cells(settings: Settings) -> list[Cell]:
    return [
        Cell("flaky", {"cell": name}, flaky, {"name": f"{settings.seed}-{name}", "fail_times": times})
        for name, times in (("fine", 0), ("once", 1), ("always", 99))
    ]


def value_section(frame: pd.DataFrame) -> Section:
    return Section("flaky", [f"{len(frame)} values"])


FLAKY = Experiment("flaky", flaky_cells, no_figures, value_section)


def test_a_cell_that_fails_twice_is_reported_and_the_others_render(tmp_path: Path, client: Any) -> None:
    settings = Settings(tmp_path, seed=11, quick=True, progress=False)
    (outcome,) = run([FLAKY], settings, client)
    assert sorted(outcome.frames) == [0, 1]  # "once" succeeded on its retry
    assert list(outcome.failures) == [2] and "always attempt 2 fails" in outcome.failures[2]
    assert ATTEMPTS["11-always"] == 2 and ATTEMPTS["11-once"] == 2
    text = (tmp_path / "bench" / "section_flaky.md").read_text()
    assert "2 values" in text and "Failed cells: 1 of 3" in text and "flaky[cell=always]" in text


def test_resume_reuses_completed_cells_and_a_changed_setting_does_not(tmp_path: Path, client: Any) -> None:
    settings = Settings(tmp_path, seed=5, quick=True, progress=False)
    (first,) = run([SMALL], settings, client)
    assert all(cache_path(settings, cell).exists() for cell in first.cells)
    (again,) = run([SMALL], settings, client, resume=True)
    assert again.cached == len(again.cells) and not again.seconds
    pd.testing.assert_frame_equal(again.frame(), first.frame(), check_exact=True)
    other = Settings(tmp_path, seed=6, quick=True, progress=False)  # another run seed: new keys
    (fresh,) = run([SMALL], other, client, resume=True)
    assert fresh.cached == 0
    changed = Cell(first.cells[0].experiment, first.cells[0].labels, first.cells[0].function, {"depth": 4})
    assert cache_path(settings, changed) != cache_path(settings, first.cells[0])


def broken_section(frame: pd.DataFrame) -> Section:
    raise KeyError("no such column")


def test_a_section_that_cannot_render_is_named_and_the_others_are_written(
    tmp_path: Path, client: Any
) -> None:
    settings = Settings(tmp_path, seed=2, quick=True, progress=False)
    with pytest.raises(RuntimeError, match=r"sections failed to render: \['broken'\]"):
        run([Experiment("broken", small_cells, no_figures, broken_section), SMALL], settings, client)
    assert "could not be made" in (tmp_path / "bench" / "section_broken.md").read_text()
    assert (tmp_path / "bench" / "section_small.md").exists()


def dies_once(rng: np.random.Generator, *, marker: str) -> pd.DataFrame:
    """Kills its worker process in the middle of its first attempt (``marker`` not yet there)."""
    value = rng.standard_normal()
    if not os.path.exists(marker):
        Path(marker).parent.mkdir(parents=True, exist_ok=True)
        Path(marker).write_text(str(os.getpid()))
        os._exit(1)  # the worker process dies at once, as if killed: no exception, no clean-up
    return pd.DataFrame({"value": [value]})


@contextmanager
def command_line_cluster(folder: Path, workers: int) -> Iterator[str]:
    """``dask scheduler`` and ``dask worker --nworkers N --nthreads 1`` as separate processes."""
    scheduler_file = folder / "scheduler.json"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    started = [
        subprocess.Popen(
            [*dask, "--port", "0", "--dashboard-address", ":0", "--scheduler-file", str(scheduler_file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            assert time.monotonic() < deadline, "dask scheduler did not start within 60 s"
            time.sleep(0.1)
        worker = [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file"]
        started.append(
            subprocess.Popen(
                [
                    *worker,
                    str(scheduler_file),
                    "--nworkers",
                    str(workers),
                    "--nthreads",
                    "1",
                    "--dashboard-address",
                    ":0",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # its nannies and worker processes in one group, signalled together
            )
        )
        yield str(scheduler_file)
    finally:
        for process in reversed(started):
            signal_group(process, signal.SIGTERM)
        for process in reversed(started):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                signal_group(process, signal.SIGKILL)
                process.wait()


def signal_group(process: subprocess.Popen[bytes], number: int) -> None:
    """Send ``number`` to ``process``'s whole process group if it leads one, else to it alone.

    ``dask worker`` whose worker process died and was restarted by its nanny ignores a SIGTERM
    sent to it alone (it waited the full 30 s every run); sent to the group, the nannies and
    worker processes get it too and all exit at once.
    """
    if process.poll() is not None:
        return
    try:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, number)
        else:
            process.send_signal(number)
    except ProcessLookupError:  # it ended meanwhile
        pass


def dying_cells(settings: Settings) -> list[Cell]:
    return [Cell("dying", {"cell": "once"}, dies_once, {"marker": str(settings.folder / "killed")})]


DYING = Experiment("dying", dying_cells, no_figures, value_section)


def test_a_separately_started_cluster_gives_the_same_frames_and_a_killed_worker_loses_no_cell(
    tmp_path: Path,
) -> None:
    settings = Settings(tmp_path / "run", seed=7, quick=True, progress=False)
    alone = gather(cell.run(settings.seed) for cell in SMALL.cells(settings))
    with (
        command_line_cluster(tmp_path, workers=2) as scheduler_file,
        distributed.Client(scheduler_file=scheduler_file, timeout="60s") as client,
    ):
        client.wait_for_workers(2, timeout=60)
        small, died = run([SMALL, DYING], settings, client)
    assert not small.failures and not died.failures, died.failures
    dead = int((settings.folder / "killed").read_text())  # a worker did die in the middle of the cell
    with pytest.raises(ProcessLookupError):
        os.kill(dead, 0)
    pd.testing.assert_frame_equal(small.frame(), alone, check_exact=True)
    (cell,) = DYING.cells(settings)
    pd.testing.assert_frame_equal(died.frame(), cell.run(settings.seed), check_exact=True)  # retried whole
