"""The repository lock: two coop processes never interleave writes."""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from coopkit.errors import RepositoryBusy, RepositoryError, T
from coopkit.store.coopdir import open_coop_dir

DEFAULT_WAIT = 10.0
LOCK_NAME = "lock"


def _open_lock(root: Path) -> int:
    """Open `.coop/lock` inside the directory coop owns; never follow a link, never truncate."""
    directory = open_coop_dir(root)
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        fd = os.open(LOCK_NAME, flags, 0o644, dir_fd=directory)
    except OSError as err:
        reason = (
            T("ist eine Verknüpfung (Symlink)", "is a symbolic link")
            if err.errno == errno.ELOOP
            else T("nicht nutzbar ({e})", "unusable ({e})", e=err.strerror or str(err))
        )
        raise RepositoryError(
            T(
                "Sperrdatei {p}: {r}",
                "lock file {p}: {r}",
                p=str(root / ".coop" / LOCK_NAME),
                r=reason,
            )
        ) from err
    finally:
        os.close(directory)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise RepositoryError(
            T(
                "Sperrdatei {p} ist keine gewöhnliche Datei; bitte entfernen",
                "lock file {p} is not a regular file; please remove it",
                p=str(root / ".coop" / LOCK_NAME),
            )
        )
    return fd


@contextmanager
def repository_lock(root: Path, wait: float = DEFAULT_WAIT) -> Iterator[None]:
    """Hold `.coop/lock` exclusively; wait at most `wait` seconds, then fail as busy."""
    fd = _open_lock(root)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as err:
                if time.monotonic() >= deadline:
                    raise RepositoryBusy(
                        T(
                            "Repository belegt: ein anderer coop-Vorgang schreibt gerade "
                            "(nach {s} s aufgegeben); bitte erneut versuchen",
                            "repository busy: another coop process is writing "
                            "(gave up after {s} s); please try again",
                            s=round(wait, 1),
                        )
                    ) from err
                time.sleep(0.05)
        # Our own regular file, opened without following links: safe to rewrite.
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
