"""The journal of a write in progress: `.coop/pending-write`, so a killed write is settled.

A change of several files is written file by file and then committed; `kill -9` (or a power
loss) between the first file and the commit would leave a half-written change in the working
tree. Before the first file is written, the old and new bytes of every path are stored here
(atomically, inside the real `.coop/`, never through a link); the journal is removed once the
commit exists or the old files are back. The next write, under the repository lock, finds a
journal left behind and settles each path (see `services.repository`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from pathlib import Path

from coopkit.store.coopdir import open_coop_dir
from coopkit.store.regular import FileRefused, read_regular

JOURNAL = "pending-write"
MAX_JOURNAL_BYTES = 256 * 1024 * 1024
"""Bound of the journal read back (it holds each changed file twice, base64)."""

Entries = dict[str, tuple[bytes | None, bytes | None]]
"""path -> (bytes before the write, bytes the write puts there); None: no file."""


def _code(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _bytes(text: object) -> bytes | None:
    return None if text is None else base64.b64decode(str(text), validate=True)


def write_journal(root: Path, entries: Entries) -> None:
    """Store the journal of a write about to start (atomically, durably)."""
    payload = json.dumps(
        {"pid": os.getpid(), "paths": {p: [_code(o), _code(n)] for p, (o, n) in entries.items()}}
    ).encode("ascii")
    directory = open_coop_dir(root)
    temp = f".{JOURNAL}.{os.getpid()}.tmp"
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(temp, flags, 0o644, dir_fd=directory)
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, JOURNAL, src_dir_fd=directory, dst_dir_fd=directory)
        os.fsync(directory)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=directory)
        os.close(directory)


def read_journal(root: Path) -> Entries | None:
    """Return the journal a killed write left behind; None when there is none (or unreadable)."""
    try:
        raw = read_regular(root / ".coop" / JOURNAL, MAX_JOURNAL_BYTES, root=root / ".coop")
    except (OSError, FileRefused):
        return None
    try:
        paths = json.loads(raw)["paths"]
        return {str(p): (_bytes(o), _bytes(n)) for p, (o, n) in paths.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def clear_journal(root: Path) -> None:
    """Remove the journal (the write it describes is settled)."""
    directory = open_coop_dir(root)
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(JOURNAL, dir_fd=directory)
            os.fsync(directory)
    finally:
        os.close(directory)
