"""Reading only regular files, never through a symlink, never past a size limit.

`open()` follows symlinks (out of the repository, onto `/dev/zero`), blocks on a FIFO, and
`read()` reads whatever a device hands out. Every file coop reads goes through here: `lstat`,
then `open` with `O_NOFOLLOW | O_NONBLOCK`, `fstat` again, and at most `limit + 1` bytes.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from coopkit.errors import T

_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_CHUNK = 1 << 16


class FileRefused(Exception):
    """A file coop will not read: a symlink, a special file, or larger than allowed."""

    def __init__(self, reason: T, code: str) -> None:
        super().__init__(reason.format("en"))
        self.reason = reason
        self.code = code


def symlink_refused() -> FileRefused:
    """Return the refusal of a symbolic link."""
    return FileRefused(
        T(
            "Verknüpfung (Symlink) nicht erlaubt; coop liest nur gewöhnliche Dateien im Repository",
            "symbolic link not allowed; coop reads only regular files in the repository",
        ),
        "symlink",
    )


def special_refused(mode: int) -> FileRefused:
    """Return the refusal of a FIFO, device, socket or directory."""
    kind = (
        T("eine FIFO (named pipe)", "a FIFO (named pipe)")
        if stat.S_ISFIFO(mode)
        else T("ein Gerät", "a device")
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else T("ein Socket", "a socket")
        if stat.S_ISSOCK(mode)
        else T("ein Ordner", "a directory")
        if stat.S_ISDIR(mode)
        else T("keine gewöhnliche Datei", "not a regular file")
    )
    return FileRefused(
        T(
            "{k}, keine gewöhnliche Datei; nicht gelesen",
            "{k}, not a regular file; not read",
            k=kind,
        ),
        "special-file",
    )


def too_large(size: int, limit: int) -> FileRefused:
    """Return the refusal of a file larger than `limit` bytes."""
    return FileRefused(
        T(
            "Datei ist {n} Bytes groß; erlaubt sind höchstens {m} Bytes",
            "file is {n} bytes; at most {m} bytes are allowed",
            n=size,
            m=limit,
        ),
        "too-large",
    )


def _inside(path: Path, root: Path) -> bool:
    """Return whether the folder holding `path` is really inside `root` (no linked folder)."""
    real_root = os.path.realpath(root)
    real_parent = os.path.realpath(path.parent)
    return real_parent == real_root or real_parent.startswith(real_root.rstrip(os.sep) + os.sep)


def read_regular(path: Path, limit: int, *, root: Path | None = None) -> bytes:
    """Return the bytes of a regular file of at most `limit` bytes.

    Args:
        path: the file.
        limit: the largest size accepted; reading stops after `limit + 1` bytes.
        root: when given, the file must lie in this folder without passing a linked folder.

    Raises:
        FileNotFoundError: there is no such file.
        FileRefused: a symlink, FIFO, device, socket or directory, or too large.
        OSError: the file cannot be read (permissions, I/O).
    """
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise symlink_refused()
    if not stat.S_ISREG(info.st_mode):
        raise special_refused(info.st_mode)
    if root is not None and not _inside(path, root):
        raise symlink_refused()
    if info.st_size > limit:
        raise too_large(info.st_size, limit)
    try:
        fd = os.open(path, _FLAGS)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise symlink_refused() from err
        raise
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise special_refused(opened.st_mode)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    if total > limit:
        raise too_large(max(total, opened.st_size), limit)
    return b"".join(chunks)


def entry_refusal(path: Path) -> FileRefused | None:
    """Return why a directory entry is not a file coop reads (a link or a special file)."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return symlink_refused()
    if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
        return special_refused(info.st_mode)
    return None


def hash_regular(path: Path, limit: int) -> str:
    """Return the SHA-256 (hex) of a regular file of at most `limit` bytes, read in chunks.

    Raises:
        FileNotFoundError, FileRefused, OSError: as `read_regular`.
    """
    import hashlib

    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise symlink_refused()
    if not stat.S_ISREG(info.st_mode):
        raise special_refused(info.st_mode)
    if info.st_size > limit:
        raise too_large(info.st_size, limit)
    digest = hashlib.sha256()
    total = 0
    fd = os.open(path, _FLAGS)
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise special_refused(opened.st_mode)
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            digest.update(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    if total > limit:
        raise too_large(total, limit)
    return digest.hexdigest()


def read_input_file(path: Path, limit: int) -> bytes:
    """Read a file the user named on the command line: regular, bounded, link target allowed.

    A link the user gives is their own choice, so it is followed once; what it points at must
    still be a regular file within the limit.

    Raises:
        FileNotFoundError, FileRefused, OSError: as `read_regular`.
    """
    return read_regular(Path(os.path.realpath(path)), limit)
