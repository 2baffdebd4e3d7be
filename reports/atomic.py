"""Atomic file writing: a reader sees the old file or the new one, never half of either.

Files are created with mode ``0o666`` filtered by the process umask, like any file ``open``
creates (``tempfile.mkstemp`` would force ``0o600``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _create_exclusive(folder: Path, name: str) -> tuple[int, Path]:
    """Create and open a new file next to ``name`` in ``folder`` (mode 0o666 & ~umask)."""
    while True:
        temporary = folder / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue


def write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    If anything fails before the rename (also a KeyboardInterrupt), the previous file is left
    intact and the temporary file is removed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = _create_exclusive(target.parent, target.name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text(path: Path | str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`write_bytes`."""
    write_bytes(path, text.encode("utf-8"))
