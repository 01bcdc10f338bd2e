"""The repository's language, read cheaply before a command starts (no heavy imports)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from coopkit.store.regular import FileRefused, read_regular
from coopkit.store.text import MAX_FILE_BYTES


def config_locale(root: Path) -> str | None:
    """Return the `locale` set in root's coop.toml, or None.

    coop.toml is read as a bounded regular file: a link to `/dev/zero` or a FIFO in its place
    must not hang every command.
    """
    try:
        data = tomllib.loads(read_regular(root / "coop.toml", MAX_FILE_BYTES).decode("utf-8"))
    except (OSError, ValueError, RecursionError, FileRefused):
        return None
    value = data.get("locale")
    return value if isinstance(value, str) else None


def locale_around(start: Path) -> str | None:
    """Return the `locale` of the repository at or above `start`, if there is one."""
    try:
        current = start.resolve()
    except OSError:
        return None
    for folder in (current, *current.parents):
        if os.path.lexists(folder / "coop.toml"):
            return config_locale(folder)
    return None
