"""The `.coop/` directory coop owns: never a symlink, never content taken from git.

A clone brings whatever the repository tracks. A tracked `.coop/lock` symlink would make every
write overwrite the file it points to; a tracked `.coop/index.sqlite` would hand coop parse
results it never computed. So `.coop/` must be a real directory, and nothing under it may be
tracked by git. The check runs `git ls-files` directly (not through GitPython) because every
command pays for it.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from coopkit.errors import RepositoryError, T

COOP_DIR = ".coop"
_CLEAN: set[str] = set()
"""Repositories found without tracked content under .coop/ in this process."""


def _refuse(root: Path, what: T) -> RepositoryError:
    return RepositoryError(
        T(
            "{p}/.coop: {w}; coop legt dort nur eigene, git-ignorierte Dateien an",
            "{p}/.coop: {w}; coop keeps only its own, git-ignored files there",
            p=str(root),
            w=what,
        ),
        hint=T(
            "„.coop“ entfernen (und mit „git rm -r --cached .coop“ aus git nehmen); "
            "coop legt es neu an",
            'remove ".coop" (and take it out of git with "git rm -r --cached .coop"); '
            "coop creates it again",
        ),
    )


def tracked_in_coop_dir(root: Path) -> list[str]:
    """Return the paths under `.coop/` that git tracks (none when git is unavailable)."""
    try:
        done = subprocess.run(
            ["git", "ls-files", "-z", "--full-name", "--", COOP_DIR],
            cwd=root,
            env={**os.environ, "GIT_NO_REPLACE_OBJECTS": "1"},
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if done.returncode != 0:
        return []
    return [p for p in done.stdout.decode("utf-8", "replace").split("\0") if p]


def check_coop_dir(root: Path) -> None:
    """Refuse a `.coop` that is a symlink, not a directory, or has content tracked by git."""
    try:
        info = os.lstat(root / COOP_DIR)
    except FileNotFoundError:
        info = None
    except OSError as err:
        raise _refuse(root, T("nicht lesbar ({e})", "cannot be read ({e})", e=str(err))) from err
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise _refuse(root, T("ist eine Verknüpfung (Symlink)", "is a symbolic link"))
        if not stat.S_ISDIR(info.st_mode):
            raise _refuse(root, T("ist kein Ordner", "is not a directory"))
    key = os.path.realpath(root)
    # git is asked once per process and repository: coop itself never adds paths under .coop/.
    tracked = [] if key in _CLEAN else tracked_in_coop_dir(root)
    if not tracked:
        _CLEAN.add(key)
    if tracked:
        raise _refuse(
            root,
            T(
                "git verfolgt {p}; Inhalte von .coop/ werden nie aus git übernommen",
                "git tracks {p}; the content of .coop/ is never taken from git",
                p=", ".join(tracked[:3]) + (" …" if len(tracked) > 3 else ""),
            ),
        )


def open_coop_dir(root: Path) -> int:
    """Create `.coop/` when missing and return a descriptor of it, never through a symlink.

    Raises:
        RepositoryError: `.coop` is a symlink, not a directory, or holds files git tracks.
    """
    check_coop_dir(root)
    path = root / COOP_DIR
    try:
        path.mkdir(mode=0o755)
    except FileExistsError:
        pass
    except OSError as err:
        raise _refuse(
            root, T("kann nicht angelegt werden ({e})", "cannot be created ({e})", e=str(err))
        ) from err
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(path, flags)
    except OSError as err:
        # ELOOP/ENOTDIR: replaced by a link or a file between the check and the open.
        raise _refuse(
            root, T("kann nicht geöffnet werden ({e})", "cannot be opened ({e})", e=str(err))
        ) from err
