"""What every benchmark experiment shares: its settings, output files and progress bar."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from tqdm import tqdm

from reports import atomic

T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """Where an experiment writes, its base seed, and whether to run the small version."""

    out: Path
    seed: int = 0
    quick: bool = False
    progress: bool = True

    @property
    def folder(self) -> Path:
        return self.out / "bench"


@dataclass
class Section:
    """An experiment's result: a markdown section with its tables and figures."""

    title: str
    body: list[str]

    def markdown(self) -> str:
        return f"## {self.title}\n\n" + "\n\n".join(self.body) + "\n"


def progress(
    items: Iterable[T], settings: Settings, description: str, total: int | None = None
) -> Iterator[T]:
    """Iterate with a progress bar on stderr (disabled when not wanted)."""
    yield from tqdm(
        items, desc=description, total=total, disable=not settings.progress, leave=False, unit="run"
    )


def save_table(frame: pd.DataFrame, settings: Settings, name: str, floatfmt: str = ".4g") -> str:
    """Write ``name.csv`` and ``name.md`` atomically; return the markdown table."""
    atomic.write_text(settings.folder / f"{name}.csv", frame.to_csv(index=False))
    table = frame.to_markdown(index=False, floatfmt=floatfmt)
    atomic.write_text(settings.folder / f"{name}.md", table + "\n")
    return table


def save_figure(figure: Any, settings: Settings, name: str) -> str:
    """Write ``name.png`` atomically and return its markdown image link (relative to out/)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    atomic.write_bytes(settings.folder / f"{name}.png", buffer.getvalue())
    return f"![{name}](bench/{name}.png)"


def relative_error(measured: Any, predicted: Any) -> Any:
    """``(measured - predicted) / predicted``."""
    return (measured - predicted) / predicted
