"""Where the index keeps its SQLite files: `.coop/NAME`, only ever coop's own regular files.

SQLite opens a database by name and follows symbolic links, also for its `-wal`, `-shm` and
`-journal` files. A link (or a hard link, or a FIFO) placed at one of those names would make coop
write into a file outside the repository. So before each open the names are looked at with
`lstat` inside the real `.coop/` folder (opened with `O_NOFOLLOW`): whatever is not a regular file
with a single name is removed — the index is derived data and is built again — and after the
open the database file is looked at once more.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

COOP_DIR = ".coop"
COMPANIONS = ("", "-wal", "-shm", "-journal")
"""The database file and the files SQLite keeps beside it."""
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _open_dir(root: Path) -> int | None:
    """Return a descriptor of the real `.coop/` folder (created when missing); None if unusable."""
    path = root / COOP_DIR
    with contextlib.suppress(FileExistsError, OSError):
        path.mkdir(mode=0o755)
    try:
        return os.open(path, _DIR_FLAGS)
    except OSError:
        return None  # a link, a file, or not permitted: the index stays off


def _own(info: os.stat_result) -> bool:
    return stat.S_ISREG(info.st_mode) and info.st_nlink == 1


def store_path(root: Path, name: str) -> Path | None:
    """Return `.coop/NAME` ready to be opened by SQLite; None when it cannot be made safe.

    `.coop` must be a real folder. NAME and its companions are either absent or regular files
    with one name; anything else in their place is removed (derived data, built again). A
    folder in their place cannot be removed safely: then None, and the index stays off.
    """
    directory = _open_dir(root)
    if directory is None:
        return None
    try:
        for suffix in COMPANIONS:
            entry = name + suffix
            try:
                info = os.lstat(entry, dir_fd=directory)
            except FileNotFoundError:
                continue
            if _own(info):
                continue
            if stat.S_ISDIR(info.st_mode):
                return None
            # unlink removes the name only: never the file a link or hard link points at.
            os.unlink(entry, dir_fd=directory)
    except OSError:
        return None
    finally:
        os.close(directory)
    return root / COOP_DIR / name


def still_own(root: Path, name: str) -> bool:
    """Return whether `.coop/NAME` is (still) coop's own regular file in the real `.coop/`."""
    try:
        folder = os.lstat(root / COOP_DIR)
        info = os.lstat(root / COOP_DIR / name)
    except OSError:
        return False
    return stat.S_ISDIR(folder.st_mode) and _own(info)


def remove_store(root: Path, name: str) -> None:
    """Remove `.coop/NAME` and its companions (a damaged index), never through a link."""
    directory = _open_dir(root)
    if directory is None:
        return
    try:
        for suffix in COMPANIONS:
            with contextlib.suppress(OSError):
                os.unlink(name + suffix, dir_fd=directory)
    finally:
        os.close(directory)
