"""An experiment as a set of independent cells, and the three steps that make its section.

A :class:`Cell` is one configuration of an experiment (e.g. initializer x activation x width):
a pure module-level function of its parameters and of a random stream derived from the run's
seed and the cell's labels (:func:`cell_rng`), returning a small ``pandas`` frame. So a cell's
result does not depend on where or in which order cells run. An :class:`Experiment` lists its
cells for given settings (:meth:`Experiment.cells`), gathers their frames into one
(:meth:`Experiment.measure`), draws figures from that frame (``plot``) and writes its report
section from it (``section``); neither of the last two measures anything.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports import atomic
from reports.bench.common import Figure, Section, Settings, Table, figure_png, table_files

Labels = Mapping[str, str | int | float]


def _digest(payload: Any) -> bytes:
    return hashlib.blake2b(json.dumps(payload, sort_keys=True, default=str).encode(), digest_size=16).digest()


@functools.cache
def _module_source(module: str) -> str:
    path = getattr(sys.modules.get(module), "__file__", None)
    return _digest(Path(path).read_text(encoding="utf-8")).hex() if path else ""


def _source(function: Callable[..., Any]) -> str:
    """A digest of the source file of ``function``'s module (changed code, new cache key)."""
    return _module_source(function.__module__)


def spawn_key(experiment: str, labels: Labels) -> tuple[int, ...]:
    """Four 32-bit words hashed from the experiment's name and the cell's labels (BLAKE2b)."""
    digest = _digest([experiment, dict(labels)])
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def cell_rng(run_seed: int, experiment: str, labels: Labels) -> np.random.Generator:
    """The cell's own stream: ``SeedSequence(run_seed, spawn_key=hash(experiment, labels))``."""
    return np.random.default_rng(np.random.SeedSequence(run_seed, spawn_key=spawn_key(experiment, labels)))


@dataclass(frozen=True)
class Cell:
    """One configuration: ``function(rng, **params)`` returns its frame; ``labels`` name it.

    The labels become the frame's first columns and, with the run's seed, the cell's random
    stream; ``params`` (sizes, depth, ...) complete the arguments. Both make the cache key.
    """

    experiment: str
    labels: Labels
    function: Callable[..., pd.DataFrame]
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.experiment + "[" + ", ".join(f"{k}={v}" for k, v in self.labels.items()) + "]"

    def key(self, run_seed: int) -> str:
        """Cache key: the experiment, labels, parameters, run seed and function (hex digest)."""
        payload = [
            self.experiment,
            dict(self.labels),
            dict(self.params),
            run_seed,
            self.function.__qualname__,
        ]
        return _digest(payload).hex()

    def run(self, run_seed: int) -> pd.DataFrame:
        """Run the cell: its frame with the labels as leading columns."""
        frame = self.function(cell_rng(run_seed, self.experiment, self.labels), **self.params)
        for position, (column, value) in enumerate(self.labels.items()):
            if column not in frame.columns:
                frame.insert(position, column, value)
        return frame


def gather(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate cell frames in cell order (the order :meth:`Experiment.cells` lists them)."""
    return pd.concat(list(frames), ignore_index=True)


@dataclass(frozen=True)
class Rendered:
    """An experiment's section with its files (name -> bytes), made where the frame is."""

    section: Section
    files: dict[str, bytes]

    def write(self, folder: Path) -> Section:
        """Write every file atomically into ``folder`` (the section's markdown last)."""
        for name, data in sorted(self.files.items(), key=lambda item: item[0].startswith("section_")):
            atomic.write_bytes(folder / name, data)
        return self.section


@dataclass(frozen=True)
class Experiment:
    """A benchmark experiment: its cells, the figures and the section drawn from its frame."""

    name: str
    cells: Callable[[Settings], list[Cell]]
    plot: Callable[[pd.DataFrame], Mapping[str, Any]]
    section: Callable[[pd.DataFrame], Section]

    def measure(self, settings: Settings) -> pd.DataFrame:
        """Run every cell in this process, in order, and gather the frames (pure)."""
        return gather(cell.run(settings.seed) for cell in self.cells(settings))

    def render(self, frame: pd.DataFrame) -> Rendered:
        """The section and every file it needs (tables as CSV and markdown, figures as PNG)."""
        section = self.section(frame)
        figures = self.plot(frame)
        files: dict[str, bytes] = {}
        for part in section.body:
            if isinstance(part, Table):
                files.update(table_files(part))
        for name, figure in figures.items():
            files[f"{name}.png"] = figure_png(figure)
        missing = [p.name for p in section.body if isinstance(p, Figure) and p.name not in figures]
        if missing:
            raise ValueError(f"section {self.name!r} shows figures that plot() did not draw: {missing}")
        files[f"section_{self.name}.md"] = section.markdown().encode("utf-8")
        return Rendered(section, files)

    def write(self, frame: pd.DataFrame, settings: Settings) -> Section:
        """Render here and write the files into ``settings.folder``; return the section."""
        return self.render(frame).write(settings.folder)

    def __call__(self, settings: Settings) -> Section:
        """Measure in this process, then write: ``EXPERIMENTS[name](settings)``."""
        return self.write(self.measure(settings), settings)
