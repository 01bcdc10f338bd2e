"""The repository lock: two coop processes never interleave writes."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from coopkit.errors import RepositoryBusy, T

DEFAULT_WAIT = 10.0


@contextmanager
def repository_lock(root: Path, wait: float = DEFAULT_WAIT) -> Iterator[None]:
    """Hold `.coop/lock` exclusively; wait at most `wait` seconds, then fail as busy."""
    directory = root / ".coop"
    directory.mkdir(exist_ok=True)
    fd = os.open(directory / "lock", os.O_RDWR | os.O_CREAT, 0o644)
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
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
