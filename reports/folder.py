"""Report folders: one whole run or the previous whole run, never a mix, never a stranger's files.

A report folder ``out`` (default: the project's ``reports/out``) is a relative symbolic link to
the folder of one complete run::

    out -> .out.runs/run-<id>/            the current run
    .out.runs/run-<id>/.initcheck-report  marker: initcheck made this folder
    .out.runs/run-<id>/run.json           manifest: what ran, seed, settings, versions
    .out.runs/staging-<id>/               a run being written (flock-ed by its writer)
    .out.lock                             flock held while a run is swapped in

A run is written into a fresh staging folder and completed there (the parts it does not rewrite
are copied from the current run, the README is rendered, the manifest written), then swapped in
by replacing the link with ``os.replace``: a single ``rename(2)``, atomic on POSIX, so whoever
opens ``out/...`` gets the old run or the new one, each whole. Folders cannot be swapped like
this (``rename`` onto a non-empty folder fails; two renames leave a moment without ``out``, and a
crash between them loses it), and Linux's ``RENAME_EXCHANGE`` is not in the standard library.
The lock serialises the swaps, so two runs into one folder cannot interleave: the second waits,
with a message, and then replaces the first as a whole. The previous run is kept until the next
swap, so a reader that has already resolved the link can finish reading it.

Only a folder that does not exist, is empty, or carries the marker is ever written; anything else
is refused with :class:`ReportFolderError` before any work is done.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from reports import atomic

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT = PROJECT_ROOT / "reports" / "out"
"""The one default report folder, whatever the current directory."""
MARKER = ".initcheck-report"
STAGING_MARKER = ".initcheck-staging"
MANIFEST = "run.json"
FORMAT = 1
PARTS: dict[str, tuple[str, ...]] = {
    "verify": (
        "checks.csv",
        "claims.csv",
        "claims.md",
        "conformance.csv",
        "conformance.md",
        "conformance.png",
    ),
    "bench": ("bench",),
}
"""What each stage writes. A run replaces the parts it wrote and carries the others over."""
LEGACY = {"checks.csv", "claims.csv", "claims.md", "README.md", "bench"}
"""What a report folder held before report folders were marked."""
WRITTEN = {*LEGACY, *PARTS["verify"], MANIFEST, MARKER}
"""Everything a run writes at the top of its folder; anything else is someone's and is kept."""

Announce = Callable[[str], None]


class ReportFolderError(Exception):
    """A folder initcheck refuses to write, or cannot write (the message is one line)."""


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _reason(error: OSError) -> str:
    return f"{error.strerror or error}: {error.filename}" if error.filename else str(error)


def new_run_id() -> str:
    """``<UTC time>-<pid>-<random>``: sortable by time, unique across processes."""
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}-{secrets.token_hex(3)}"


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def versions() -> dict[str, str]:
    """Python, the numerical libraries and initcheck (version and git commit) of this process."""
    found = {"python": platform.python_version()}
    for name in ("initcheck", "numpy", "scipy", "pandas"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10
        )
        if commit.returncode == 0:
            found["initcheck_commit"] = commit.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return found


def _fsync_folder(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Staging:
    """A run being written: a fresh folder that only its writer uses (it holds its flock)."""

    run_id: str
    path: Path
    fd: int
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    committed: bool = False

    def close(self) -> None:
        """Release the folder; remove it unless it was swapped in."""
        try:
            if not self.committed:
                shutil.rmtree(self.path, ignore_errors=True)
        finally:
            os.close(self.fd)


class ReportFolder:
    """The report folder ``path``: checked, locked, and replaced one whole run at a time.

    Args:
        path: the folder a user names (``--out``, ``--report-dir``); must not be empty.

    Raises:
        ReportFolderError: ``path`` is empty or the root folder.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        text = os.fspath(path)
        if not text.strip():
            raise ReportFolderError("the report folder is an empty string (an unset shell variable?)")
        absolute = Path(os.path.abspath(os.path.expanduser(text)))  # never a folder named "~"
        if absolute.parent == absolute:
            raise ReportFolderError(f"refusing to write reports into {absolute}: it is the root folder")
        self.path = absolute.parent.resolve() / absolute.name  # the link itself is not followed
        self.runs = self.path.parent / f".{self.path.name}.runs"
        self.lock_path = self.path.parent / f".{self.path.name}.lock"

    def __str__(self) -> str:
        return str(self.path)

    def _refuse(self, why: str) -> ReportFolderError:
        return ReportFolderError(f"refusing to write reports into {self.path}: {why}")

    def state(self) -> tuple[str, Path | None]:
        """``(kind, current run folder or None)``; kind is missing, empty, link or marked.

        Raises:
            ReportFolderError: the folder is not one initcheck may write.
        """
        path = self.path
        here = Path.cwd().resolve()
        if path == here or path in here.parents:
            raise self._refuse("it is the current folder or contains it")
        for ancestor in path.parents:
            if (ancestor / MARKER).is_file():
                raise self._refuse(f"it is inside the report folder {ancestor}")
        if path.parent.name.startswith(".") and path.parent.name.endswith(".runs"):
            raise self._refuse("it is a run kept by a report folder; name the report folder instead")
        if path.is_symlink():
            target = Path(os.path.normpath(path.parent / os.readlink(path)))
            if target.parent != self.runs or not target.name.startswith("run-"):
                raise self._refuse(f"it is a symbolic link to {target}, not one initcheck made")
            current = target if (target / MARKER).is_file() else None
            self._refuse_strangers(current)
            return "link", current
        if not path.exists():
            return "missing", None
        if not path.is_dir():
            raise self._refuse("it is a file, not a folder")
        try:
            entries = sorted(os.listdir(path))
        except OSError as error:
            raise self._refuse(_reason(error)) from error
        if not entries:
            return "empty", None
        if MARKER in entries:
            self._refuse_strangers(path)
            return "marked", path
        if set(entries) <= LEGACY and set(entries) & set(PARTS["verify"]):
            raise self._refuse(
                f"it has no {MARKER}; if it is the report folder of an initcheck from before report "
                "markers, remove it, else choose another folder"
            )
        raise self._refuse(
            f"it holds other files ({', '.join(entries[:3])}{', ...' if len(entries) > 3 else ''}) and is "
            f"not a report folder of an earlier run (no {MARKER}); choose an empty or new folder"
        )

    def _refuse_strangers(self, run: Path | None) -> None:
        """Refuse to replace a run to which someone added files (they would be lost with it)."""
        strangers = sorted(set(os.listdir(run)) - WRITTEN) if run is not None else []
        if strangers:
            raise self._refuse(
                f"files no run wrote were put in it ({', '.join(strangers[:3])}); "
                "move them elsewhere first, they would be lost with the run they are in"
            )

    def check(self) -> None:
        """Refuse a folder initcheck must not write, and make sure it can write next to it.

        Creates the parent folders and the lock file (next to the folder, never in it).

        Raises:
            ReportFolderError: with a one-line reason.
        """
        self.state()
        try:
            ancestor = self.path.parent
            while not ancestor.exists():
                ancestor = ancestor.parent
            if not ancestor.is_dir():
                raise NotADirectoryError(20, "Not a directory", str(ancestor))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o666))
            if self.runs.exists() and not self.runs.is_dir():
                raise NotADirectoryError(20, "Not a directory", str(self.runs))
            writable = self.runs if self.runs.exists() else self.path.parent
            if not os.access(writable, os.W_OK | os.X_OK):
                raise PermissionError(13, "Permission denied", str(writable))
        except OSError as error:
            raise ReportFolderError(f"cannot write reports into {self.path}: {_reason(error)}") from error

    @contextlib.contextmanager
    def lock(self, announce: Announce | None = None) -> Iterator[None]:
        """Hold the folder's lock (``flock`` on the lock file); wait, saying so, if another holds it."""
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
                (announce or _stderr)(
                    f"initcheck: waiting for another run (pid {holder}) to finish writing {self.path}"
                )
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            os.close(fd)

    def manifest(self) -> dict[str, Any]:
        """The current run's manifest (``{}`` if there is none or it cannot be read)."""
        return _read_manifest(self.state()[1])

    @contextlib.contextmanager
    def staging(self, announce: Announce | None = None) -> Iterator[Staging]:
        """A fresh folder to write a run into; removed on exit unless :meth:`commit` swapped it in."""
        with self.lock(announce):
            self.runs.mkdir(exist_ok=True)
            run_id = new_run_id()
            path = self.runs / f"staging-{run_id}"
            path.mkdir()
            fd = os.open(path, os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # created under the lock: nobody else has it
        stage = Staging(run_id, path, fd)
        try:
            atomic.write_text(path / STAGING_MARKER, f"initcheck staging folder of run {run_id}\n")
            yield stage
        finally:
            stage.close()

    def commit(
        self, stage: Staging, finish: Callable[[Path], object] | None = None, announce: Announce | None = None
    ) -> Path:
        """Complete ``stage`` and swap it in as the folder's current run, under the lock.

        Parts of :data:`PARTS` that ``stage`` did not write are copied from the current run (with
        their manifest entries); ``finish(folder)`` then completes the folder (the README).

        Returns:
            The folder of the new current run.
        """
        with self.lock(announce):
            kind, current = self.state()
            previous = _read_manifest(current)
            manifest: dict[str, Any] = {"initcheck_report": FORMAT, "run": stage.run_id, "written": utc_now()}
            for part, names in PARTS.items():
                if part in stage.parts:
                    manifest[part] = stage.parts[part]
                elif current is not None and any((current / name).exists() for name in names):
                    for name in names:
                        source = current / name
                        if source.is_dir():
                            shutil.copytree(source, stage.path / name)
                        elif source.exists():
                            shutil.copy2(source, stage.path / name)
                    manifest[part] = previous.get(part, {"run": "unknown (no manifest)"})
            atomic.write_text(stage.path / MANIFEST, json.dumps(manifest, indent=2) + "\n")
            if finish is not None:
                finish(stage.path)
            atomic.write_text(stage.path / MARKER, "initcheck report folder: replaced whole by each run\n")
            (stage.path / STAGING_MARKER).unlink()
            _fsync_folder(stage.path)
            final = self.runs / f"run-{stage.run_id}"
            os.rename(stage.path, final)
            stage.path = final
            keep = {final.name, current.name if current is not None else ""}
            link = self.path.parent / f".{self.path.name}.link-{secrets.token_hex(6)}"
            os.symlink(os.path.join(self.runs.name, final.name), link)
            try:
                if kind == "empty":
                    os.rmdir(self.path)
                elif kind == "marked":  # a copied report folder: keep it as the previous run
                    moved = self.runs / f"run-{stage.run_id}-previous"
                    os.rename(self.path, moved)
                    keep.add(moved.name)
                os.replace(link, self.path)
            except BaseException:
                link.unlink(missing_ok=True)
                raise
            stage.committed = True
            with contextlib.suppress(OSError):  # the run is in; tidying up is best effort
                _fsync_folder(self.path.parent)
                self._collect_garbage(keep)
        return final

    def _collect_garbage(self, keep: set[str]) -> None:
        """Remove runs other than ``keep`` and staging folders whose writer is gone (best effort)."""
        for entry in self.runs.iterdir():
            if entry.name in keep:
                continue
            stale = entry.name.startswith("run-") or (entry.name.startswith("staging-") and _abandoned(entry))
            if stale:
                shutil.rmtree(entry, ignore_errors=True)


def _read_manifest(run: Path | None) -> dict[str, Any]:
    try:
        loaded = json.loads((run / MANIFEST).read_text(encoding="utf-8")) if run else {}
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _abandoned(staging: Path) -> bool:
    """True when no process holds the staging folder's flock (its writer died)."""
    try:
        fd = os.open(staging, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def is_staging(path: Path) -> bool:
    """True for a staging folder made by :meth:`ReportFolder.staging` (for a child pytest)."""
    return (path / STAGING_MARKER).is_file()
