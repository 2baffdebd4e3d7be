"""What every benchmark experiment shares: its settings, its section's parts, and output files."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

SCALES = ("quick", "default", "large")
"""``quick``: under a minute; ``default``: the report; ``large``: meant for a cluster."""


@dataclass(frozen=True)
class Settings:
    """Where an experiment writes, its base seed, and its scale (``quick`` is ``scale="quick"``)."""

    out: Path
    seed: int = 0
    quick: bool = False
    progress: bool = True
    scale: str = ""

    def __post_init__(self) -> None:
        scale = self.scale or ("quick" if self.quick else "default")
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {self.scale!r}")
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "quick", scale == "quick")

    @property
    def folder(self) -> Path:
        return self.out / "bench"

    def pick(self, quick: Any, default: Any, large: Any | None = None) -> Any:
        """The value for this scale (``large`` falls back to ``default``)."""
        return {"quick": quick, "default": default, "large": default if large is None else large}[self.scale]


@dataclass(frozen=True)
class Table:
    """A table of a section: written as ``name.csv`` and ``name.md``; shown unless ``shown=False``."""

    name: str
    frame: pd.DataFrame
    floatfmt: str = ".4g"
    shown: bool = True


@dataclass(frozen=True)
class Figure:
    """A figure of a section, by the name under which the experiment's ``plot`` returns it."""

    name: str


@dataclass
class Section:
    """An experiment's result: a title and its parts (markdown text, tables, figures)."""

    title: str
    body: list[str | Table | Figure] = field(default_factory=list)

    def markdown(self) -> str:
        """The section as markdown (tables inline, figures as links to ``bench/<name>.png``)."""
        parts = []
        for part in self.body:
            if isinstance(part, Table):
                if part.shown:
                    parts.append(part.frame.to_markdown(index=False, floatfmt=part.floatfmt))
            elif isinstance(part, Figure):
                parts.append(f"![{part.name}](bench/{part.name}.png)")
            else:
                parts.append(part)
        return f"## {self.title}\n\n" + "\n\n".join(parts) + "\n"


def table_files(table: Table) -> dict[str, bytes]:
    """``name.csv`` and ``name.md`` of a table."""
    markdown = table.frame.to_markdown(index=False, floatfmt=table.floatfmt)
    return {
        f"{table.name}.csv": table.frame.to_csv(index=False).encode("utf-8"),
        f"{table.name}.md": (markdown + "\n").encode("utf-8"),
    }


def figure_png(figure: Any) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (imported only when a figure is drawn)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def relative_error(measured: Any, predicted: Any) -> Any:
    """``(measured - predicted) / predicted``."""
    return (measured - predicted) / predicted
