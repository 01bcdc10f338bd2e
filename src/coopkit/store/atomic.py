"""Crash-safe file writes: temp file in the same directory, fsync, rename, fsync directory."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from coopkit.errors import T, UsageError


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that readers see the old or the new file, never a mix.

    Raises:
        UsageError: `path` is a device, FIFO, socket or folder; renaming over it would replace
            it (as root even `/dev/full`), so it is refused.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise UsageError(
            T(
                "{p} ist keine gewöhnliche Datei (Gerät, FIFO, Socket oder Ordner); "
                "bitte einen Dateinamen angeben",
                "{p} is not a regular file (device, FIFO, socket or folder); "
                "please give a file name",
                p=str(path),
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temp = Path(tmp)
        temp.chmod(path.stat().st_mode & 0o777 if path.exists() else 0o644)
        temp.replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def remove_file(path: Path) -> None:
    """Delete a file and make the deletion durable."""
    path.unlink()
    _fsync_dir(path.parent)
