"""Files named on the command line: regular files within a size bound, refused before any read.

Every option that takes a file to read (`--import`, `--request`, `--evidence`, `--manifest`,
`--coordinator-key`, a key file of `partner key add` or `trust pin`) reads it here. The path is
looked at with `lstat` first (a link the user gives is followed once, to what it names); a FIFO,
device, socket or folder is refused without being opened, a file larger than the bound without
being read. Each refusal is a usage error naming the option and the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from coopkit.errors import T, UsageError
from coopkit.store.regular import FileRefused, hash_regular, read_input_file
from coopkit.store.text import MAX_FILE_BYTES

MAX_INPUT_BYTES = MAX_FILE_BYTES
"""Bound of a text file named on the command line (sign request, signature, manifest): 1 MiB."""
MAX_KEY_BYTES = 64 * 1024
"""Bound of a public key file: 64 KiB."""


def _refusal(what: T, path: Path, reason: T | str) -> UsageError:
    return UsageError(T("{w} „{f}“: {e}", '{w} "{f}": {e}', w=what, f=str(path), e=reason))


@contextmanager
def _refused(what: T, path: Path) -> Iterator[None]:
    """Turn a refused or unreadable file into a usage error naming the option and the file."""
    try:
        yield
    except FileRefused as err:
        raise _refusal(what, path, err.reason) from err
    except FileNotFoundError as err:
        raise _refusal(
            what, path, T("nicht lesbar (nicht gefunden)", "cannot be read (not found)")
        ) from err
    except OSError as err:
        raise _refusal(
            what,
            path,
            T("nicht lesbar ({e})", "cannot be read ({e})", e=err.strerror or str(err)),
        ) from err


def read_input(path: Path, what: T, limit: int = MAX_INPUT_BYTES) -> bytes:
    """Return the bytes of a file named on the command line.

    Args:
        path: the file as the user named it.
        what: what the file is, for the message (e.g. "Schlüsseldatei"/"key file").
        limit: the largest size accepted.

    Raises:
        UsageError: missing, unreadable, not a regular file, or larger than `limit`.
    """
    with _refused(what, path):
        return read_input_file(path, limit)


def read_input_text(path: Path, what: T, limit: int = MAX_INPUT_BYTES) -> str:
    """Return the UTF-8 text of a file named on the command line (as `read_input`)."""
    data = read_input(path, what, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _refusal(
            what,
            path,
            T(
                "kein UTF-8-Text (Byte {n})",
                "not UTF-8 text (byte {n})",
                n=err.start,
            ),
        ) from err


def hash_input(path: Path, what: T, limit: int) -> str:
    """Return the SHA-256 (hex) of a file named on the command line, read in chunks.

    The bound of evidence files (scans, signed PDFs) is `signoffs.MAX_EVIDENCE_BYTES`, 512 MiB.
    """
    with _refused(what, path):
        return hash_regular(Path(os.path.realpath(path)), limit)
