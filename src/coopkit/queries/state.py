"""The state of a working tree by blob ids, found without reading unchanged files.

`scan` walks the record folders, compares each file's (size, mtime_ns, inode) with what
.coop/state.sqlite recorded and reads only files that changed; the result names every record
by its git blob id. `TreeState.key` folds those ids, the version tags and the program's own
code into one key: equal keys mean equal answers to every question about the working tree.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import coopkit
from coopkit.errors import RepositoryError
from coopkit.index.state import StateDB, StatKey
from coopkit.store import layout
from coopkit.store.git import GitRepo
from coopkit.store.text import MAX_FILE_BYTES

if TYPE_CHECKING:
    from coopkit.store.files import WorkTree

SPECIAL = "-"
"""Blob id stand-in for a path that is not a regular file (the loader reports it)."""


@dataclass
class TreeState:
    """Every record path of a working tree with its blob id, plus what had to be read."""

    root: Path
    blobs: dict[str, str]
    contents: dict[str, bytes] = field(default_factory=dict)
    """Bytes of the files read during the scan (changed since the last one)."""
    tags: str = ""
    """The version tags as git lists them (name and tag object id per line)."""

    @property
    def key(self) -> str:
        """Return one id for the records, the tags and the program reading them."""
        digest = hashlib.sha256(code_stamp().encode())
        for path in sorted(self.blobs):
            digest.update(f"{path}\0{self.blobs[path]}\n".encode())
        digest.update(self.tags.encode())
        return digest.hexdigest()

    def source(self) -> WorkTree:
        """Return a file source that reads each file at most once and knows its blob id."""
        from coopkit.store.files import WorkTree

        state = self

        class StatTree(WorkTree):
            """The working tree (walked as always) with the scan's blob ids and bytes."""

            def read(self, path: str) -> bytes | None:
                if path in state.contents:
                    return state.contents[path]
                return super().read(path)

            def digest(self, path: str) -> str | None:
                blob = state.blobs.get(path)
                return None if blob in (None, SPECIAL) else blob

        return StatTree(self.root)


def blob_id(data: bytes) -> str:
    """Return git's blob id of the bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _entries(root: Path) -> list[tuple[str, os.DirEntry[str] | None]]:
    """Return (path, directory entry) of every candidate record file, sorted like `WorkTree`."""
    found: list[tuple[str, os.DirEntry[str] | None]] = []
    if os.path.isfile(os.path.join(root, layout.CONFIG)):  # noqa: PTH113, PTH118
        found.append((layout.CONFIG, None))

    def walk(folder: str, prefix: str) -> None:
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = f"{prefix}/{entry.name}"
            if entry.is_dir():
                # As os.walk: a link to a folder is neither walked nor a file.
                if not entry.is_symlink():
                    walk(entry.path, path)
            else:
                found.append((path, entry))

    for top in (*layout.RECORD_DIRS, layout.TEMPLATES):
        folder = os.path.join(root, top)  # noqa: PTH118
        if os.path.islink(folder):  # noqa: PTH114
            found.append((top, None))
        else:
            walk(folder, top)
    found.sort(key=lambda item: item[0])
    return found


def record_paths(root: Path) -> list[str]:
    """Return the paths of the record folders' files, sorted; links and special files included."""
    return [path for path, _ in _entries(root) if not path.startswith(layout.TEMPLATES + "/")]


_STAMP: str | None = None


def code_stamp() -> str:
    """Identify the installed program by its files' sizes and times (no file is read)."""
    global _STAMP
    if _STAMP is None:
        package = Path(coopkit.__file__).resolve().parent
        digest = hashlib.sha256(coopkit.__version__.encode())
        for dirpath, dirnames, filenames in os.walk(package):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(".py"):
                    info = os.stat(os.path.join(dirpath, name))  # noqa: PTH116, PTH118
                    digest.update(f"{dirpath}/{name}:{info.st_size}:{info.st_mtime_ns}".encode())
        _STAMP = digest.hexdigest()
    return _STAMP


def _tags(root: Path) -> str:
    """Return the tags (name and object id) as one text; empty outside git."""
    try:
        with GitRepo(root) as repo:
            return str(repo.run("for-each-ref", "--format=%(refname) %(objectname)", "refs/tags"))
    except RepositoryError:
        return ""


def scan(root: Path, db: StateDB | None = None) -> TreeState:
    """Find the blob id of every record file, reading only files whose stat changed."""
    own = db is None
    store = StateDB(root) if db is None else db
    try:
        known = store.stats()
        blobs: dict[str, str] = {}
        contents: dict[str, bytes] = {}
        changed: list[tuple[str, StatKey, str]] = []
        for path, entry in _entries(root):
            try:
                info = (
                    entry.stat(follow_symlinks=False)
                    if entry is not None
                    else os.lstat(os.path.join(root, path))  # noqa: PTH118
                )
            except OSError:
                continue
            # Links, special and oversized files: the loader refuses them, whatever they hold.
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
                blobs[path] = SPECIAL
                continue
            if path.startswith(layout.TEMPLATES + "/"):
                continue
            key = (info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)
            seen = known.get(path)
            if seen is not None and seen[:4] == key:
                blobs[path] = seen[4]
                continue
            try:
                with open(os.path.join(root, path), "rb") as handle:  # noqa: PTH118, PTH123
                    data = handle.read()
            except OSError:
                blobs[path] = SPECIAL
                continue
            blob = blob_id(data)
            blobs[path] = blob
            contents[path] = data
            changed.append((path, key, blob))
        removed = [path for path in known if path not in blobs]
        store.record_stats(changed, removed)
        return TreeState(root, blobs, contents, _tags(root))
    finally:
        if own:
            store.close()
