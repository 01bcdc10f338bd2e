"""The state of a working tree by blob ids, found without reading unchanged files.

`scan` walks the record folders, compares each file's (size, mtime_ns, inode) with what
.coop/state.sqlite recorded and reads only files that changed; the result names every record
by its git blob id. `TreeState.key` folds those ids, the version tags and the program stamp
(`index.stamp`) into one key: equal keys mean equal answers to every question about the tree.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from coopkit.errors import RepositoryError
from coopkit.index import state as index_state
from coopkit.index.stamp import program_stamp
from coopkit.index.state import StateDB, StatKey
from coopkit.store import layout
from coopkit.store.git import GIT_ENV, GitRepo
from coopkit.store.text import MAX_FILE_BYTES

if TYPE_CHECKING:
    from coopkit.store.files import WorkTree

SPECIAL = "-"
"""Blob id stand-in for a path that is not a regular file (the loader reports it)."""

UNKNOWN = "?"
"""In `tree_changes`: the side is as its HEAD commit has it (the blob id was not listed)."""

Tree = tuple[str, dict[str, "str | None"]]
"""A working tree as (HEAD commit, path -> blob id, SPECIAL or None of the paths that differ
from it); without a commit ("") every path is listed."""

_PATHSPECS = [
    f":(literal){name}" for name in (layout.CONFIG, *layout.RECORD_DIRS, layout.TEMPLATES)
]
"""Where records live, as git pathspecs (literal names, no glob magic)."""


@dataclass
class TreeState:
    """Every record path of a working tree with its blob id, plus what had to be read.

    In a git repository the state is known as "HEAD plus these changed paths" (git's own stat
    cache found them); the blob id of every path is listed from the index only when asked for.
    """

    root: Path
    _blobs: dict[str, str] | None
    contents: dict[str, bytes] = field(default_factory=dict)
    """Bytes of the files read during the scan (changed since the last one)."""
    tags: str = ""
    """The version tags as git lists them (name and tag object id per line)."""
    head: str = ""
    """The commit the unchanged paths are read from ("" when every blob id is listed)."""
    delta: dict[str, str | None] = field(default_factory=dict)
    """Paths that differ from `head`: blob id, SPECIAL, or None where the file is gone."""

    @property
    def blobs(self) -> dict[str, str]:
        """Return path -> blob id of every record file (SPECIAL for links and special files)."""
        if self._blobs is None:
            blobs = _index_blobs(self.root)
            for path, blob in self.delta.items():
                if blob is None:
                    blobs.pop(path, None)
                elif not path.startswith(layout.TEMPLATES + "/") or blob == SPECIAL:
                    blobs[path] = blob
            self._blobs = blobs
        return self._blobs

    @property
    def tree(self) -> Tree:
        """Return the tree as HEAD plus the paths that differ (without HEAD: every path)."""
        if self.head:
            return self.head, dict(self.delta)
        return "", dict(self.blobs)

    @property
    def key(self) -> str:
        """Return one id for the records, the tags and the program reading them."""
        digest = hashlib.sha256(program_stamp().encode())
        if self.head:
            digest.update(f"head {self.head}\n".encode())
            for path in sorted(self.delta):
                digest.update(f"{path}\0{self.delta[path]}\n".encode())
        else:
            blobs = self.blobs
            digest.update("".join(f"{p}\0{blobs[p]}\n" for p in sorted(blobs)).encode())
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


def _tags(root: Path) -> str:
    """Return the tags (name and object id) as one text; empty outside git."""
    try:
        with GitRepo(root) as repo:
            return str(repo.run("for-each-ref", "--format=%(refname) %(objectname)", "refs/tags"))
    except RepositoryError:
        return ""


def _hidden(path: str) -> bool:
    """Return whether a path has a hidden component (the loader never reads those)."""
    return any(part.startswith(".") for part in path.split("/"))


def _index_blobs(root: Path) -> dict[str, str]:
    """Return path -> blob id of the record files in git's index."""
    try:
        with GitRepo(root) as repo:
            out = repo.run("ls-files", "--stage", "-z", "--", *_PATHSPECS, binary=True)
    except RepositoryError:
        return {}
    return _listed_blobs(bytes(out))


def _listed_blobs(out: bytes) -> dict[str, str]:
    """Return path -> blob id of the record files in `git ls-files --stage -z` or `ls-tree -z`.

    Both list "mode SP [type SP] id [SP stage] TAB path"; only regular files count, as in a scan.
    """
    blobs: dict[str, str] = {}
    templates = layout.TEMPLATES + "/"
    for entry in os.fsdecode(out).split("\0"):
        meta, tab, path = entry.partition("\t")
        if not tab or not meta.startswith(("100644", "100755")):
            continue
        if path.startswith((".", templates)) or "/." in path:
            continue  # hidden names are never read; templates are not records
        parts = meta.split(" ")
        blobs[path] = parts[2] if parts[1] == "blob" else parts[1]
    return blobs


Folders = dict[str, tuple[int, int, list[str], list[str]]]
"""folder -> (mtime_ns, ctime_ns, names of sub-folders, names of special entries)."""


def _specials(root: Path, known: Folders) -> tuple[set[str], Folders]:
    """Return links and special files among the records and templates (git does not list FIFOs).

    Walks names only: the types come with the directory listing, no file is looked at. A folder
    whose mtime and ctime are those of its last listing (and that had been still for two seconds
    then) holds the same names: its listing is taken from `known` instead of read again.
    Returns the specials and the listings that may be trusted next time.
    """
    found: set[str] = set()
    try:
        info = os.lstat(os.path.join(root, layout.CONFIG))  # noqa: PTH118
    except OSError:
        pass
    else:
        if not stat.S_ISREG(info.st_mode):
            found.add(layout.CONFIG)
    pending: list[str] = []
    for top in (*layout.RECORD_DIRS, layout.TEMPLATES):
        if os.path.islink(os.path.join(root, top)):  # noqa: PTH114, PTH118
            found.add(top)
        else:
            pending.append(top)
    settled = time.time_ns() - int(index_state.RACY_SECONDS * 1e9)
    listings: Folders = {}
    while pending:
        folder = pending.pop()
        full = os.path.join(root, folder)  # noqa: PTH118
        try:
            info = os.lstat(full)
        except OSError:
            continue
        stamp = (info.st_mtime_ns, info.st_ctime_ns)
        cached = known.get(folder)
        if cached is not None and (cached[0], cached[1]) == stamp:
            folders, specials = cached[2], cached[3]
        else:
            folders, specials = [], []
            try:
                with os.scandir(full) as listing:
                    entries = list(listing)
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.name)
                elif not entry.is_file(follow_symlinks=False):
                    specials.append(entry.name)
        if max(stamp) < settled:
            listings[folder] = (*stamp, folders, specials)
        found.update(f"{folder}/{name}" for name in specials)
        pending.extend(f"{folder}/{name}" for name in folders)
    return found, listings


def _status_paths(out: bytes) -> tuple[str, list[str]] | None:
    """Return (HEAD commit or "", paths that differ) from `git status --porcelain=v2 -z`."""
    head = ""
    paths: list[str] = []
    fields = {b"1": 8, b"2": 9, b"u": 10, b"?": 1, b"!": 1}
    records = out.split(b"\0")
    n = 0
    while n < len(records):
        record = records[n]
        n += 1
        if not record:
            continue
        if record.startswith(b"# branch.oid "):
            oid = record[len(b"# branch.oid ") :].decode()
            head = "" if oid == "(initial)" else oid
            continue
        if record.startswith(b"#"):
            continue
        kind = record[:1]
        if kind not in fields:
            return None
        path = record.split(b" ", fields[kind])[-1]
        if kind == b"2":
            n += 1  # the original path of a rename follows in its own field
        paths.append(os.fsdecode(path))
    return head, paths


def _index_stamp(root: Path) -> str | None:
    """Return an id of git's index file as it stands (size and times), or None without one."""
    try:
        info = os.stat(os.path.join(root, ".git", "index"))  # noqa: PTH116, PTH118
    except OSError:
        return None
    return f"index-flags:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}"


_FLAGS = b"index-flags-1\n"
"""How a stored list of flagged paths begins (anything else is recomputed)."""


def _stored_flags(value: bytes | None) -> list[str] | None:
    """Return a stored list of flagged record paths, or None where absent or not such a list."""
    if value is None or not value.startswith(_FLAGS):
        return None
    paths = [p for p in os.fsdecode(value[len(_FLAGS) :]).split("\0") if p]
    records = (layout.CONFIG, *(f"{d}/" for d in layout.RECORD_DIRS), f"{layout.TEMPLATES}/")
    if not all(p.startswith(records) and ".." not in p.split("/") for p in paths):
        return None
    return paths


def _start(argv: list[str], root: Path, env: dict[str, str]) -> subprocess.Popen[bytes] | None:
    """Start git with its output piped (None where it cannot be started)."""
    try:
        return subprocess.Popen(  # noqa: S603
            argv,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None


def _list_flags(root: Path, env: dict[str, str]) -> subprocess.Popen[bytes] | None:
    """Start `git ls-files -v` over the record paths (None where git cannot be started)."""
    return _start(["git", "ls-files", "-v", "-z", "--", *_PATHSPECS], root, env)


def _flagged(out: bytes) -> list[str]:
    """Return the paths `git ls-files -v -z` marks assume-unchanged or skip-worktree."""
    paths = []
    for entry in out.split(b"\0"):
        tag, _, path = entry.partition(b" ")
        if path and (tag.islower() or tag == b"S"):
            paths.append(os.fsdecode(path))
    return paths


def _git_scan(root: Path, db: StateDB | None = None) -> TreeState | None:
    """Ask git which record files differ from HEAD; None where git cannot say (then stat)."""
    if not os.path.exists(os.path.join(root, ".git")):  # noqa: PTH110, PTH118
        return None
    env = {**os.environ, **GIT_ENV}
    argv = [
        "git",
        "--no-optional-locks",
        "status",
        "--porcelain=v2",
        "-z",
        "--branch",
        "--untracked-files=all",
        "--ignored=traditional",
        "--no-renames",
        "--",
        *_PATHSPECS,
    ]
    tag_argv = ["git", "for-each-ref", "--format=%(refname) %(objectname)", "refs/tags"]
    status_proc = _start(argv, root, env)
    tags_proc = _start(tag_argv, root, env) if status_proc is not None else None
    if status_proc is None or tags_proc is None:
        return None
    # While git compares the files with its index, list the entries git does not see.
    store = StateDB(root) if db is None else db
    try:
        known = store.folders()
        # git status takes an entry marked assume-unchanged or skip-worktree as unchanged,
        # whatever the file holds: such paths are read like changed ones. Which entries carry a
        # mark is asked of git once per state of its index file.
        stamp = _index_stamp(root)
        flagged = _stored_flags(store.get_answer(stamp) if stamp is not None else None)
        flags_proc = _list_flags(root, env) if flagged is None else None
        specials, listings = _specials(root, known)
        if listings != known:
            store.record_folders(listings)
        if flags_proc is not None:
            flags_out, _ = flags_proc.communicate()
            if flags_proc.returncode == 0:
                flagged = _flagged(flags_out)
                if stamp is not None and stamp == _index_stamp(root):
                    store.put_answer(stamp, _FLAGS + os.fsencode("\0".join(flagged)))
    finally:
        if db is None:
            store.close()
    out, _ = status_proc.communicate()
    tags_out, _ = tags_proc.communicate()
    found = _status_paths(out) if status_proc.returncode == 0 else None
    if found is None or not found[0] or flagged is None:
        return None
    head, paths = found
    paths = [*paths, *(p for p in flagged if p not in paths)]
    delta: dict[str, str | None] = {path: SPECIAL for path in specials}
    contents: dict[str, bytes] = {}
    for path in paths:
        if path.endswith("/") or _hidden(path) or path in delta:
            continue
        full = os.path.join(root, path)  # noqa: PTH118
        try:
            info = os.lstat(full)
        except OSError:
            delta[path] = None
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            delta[path] = SPECIAL
            continue
        if path.startswith(layout.TEMPLATES + "/"):
            continue
        try:
            with open(full, "rb") as handle:  # noqa: PTH123
                data = handle.read()
        except OSError:
            delta[path] = SPECIAL
            continue
        delta[path] = blob_id(data)
        contents[path] = data
    tags = tags_out.decode("utf-8", "replace") if tags_proc.returncode == 0 else ""
    return TreeState(root, None, contents, tags.rstrip("\n"), head=head, delta=delta)


def scan(root: Path, db: StateDB | None = None) -> TreeState:
    """Find the blob id of every record file, reading only files that changed.

    In a git repository git's own stat cache says which files differ from HEAD; elsewhere
    (or where git cannot answer) each file's stat is compared with .coop/state.sqlite.
    """
    found = _git_scan(root, db)
    if found is not None:
        return found
    return _stat_scan(root, db)


def _stat_scan(root: Path, db: StateDB | None = None) -> TreeState:
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


def tree_changes(
    root: Path, old: Tree, new: Tree
) -> dict[str, tuple[str | None, str | None]] | None:
    """Return path -> (blob id before, blob id now) of every path that may differ between trees.

    Paths that git says changed between the two commits and the paths either working tree
    names; a side that is as its commit has it is UNKNOWN (see `resolve_changes`). None where
    the trees cannot be compared (a commit on one side only, or a commit that is gone).
    """
    old_head, old_delta = old
    head, delta = new
    if not old_head and not head:
        return {
            path: (old_delta.get(path), delta.get(path))
            for path in old_delta.keys() | delta.keys()
            if old_delta.get(path) != delta.get(path)
        }
    committed: dict[str, tuple[str | None, str | None]] = {}
    if old_head != head:
        if not old_head or not head:
            return None
        try:
            with GitRepo(root) as repo:
                committed = repo.changed_between(old_head, head, _PATHSPECS)
        except RepositoryError:
            return None
    changes: dict[str, tuple[str | None, str | None]] = {}
    for path in {*old_delta, *delta, *committed}:
        sides = committed.get(path)
        before = old_delta[path] if path in old_delta else _blob_of(sides, 0)
        now = delta[path] if path in delta else _blob_of(sides, 1)
        if before == UNKNOWN or now == UNKNOWN or before != now:
            changes[path] = (before, now)
    return changes


def _blob_of(sides: tuple[str | None, str | None] | None, side: int) -> str | None:
    """Return the scan's blob id of a committed side (UNKNOWN: as both commits have it)."""
    if sides is None:
        return UNKNOWN
    blob = sides[side]
    if blob is not None and blob.startswith("l:"):
        return SPECIAL  # a link: the scan names it SPECIAL
    return blob


def resolve_changes(
    root: Path, head: str, changes: dict[str, tuple[str | None, str | None]]
) -> dict[str, tuple[str | None, str | None]] | None:
    """Fill in UNKNOWN sides from the HEAD commit and drop paths that did not change.

    An UNKNOWN side is as `head` has the path (git's status named no difference, and the
    commits do not differ there). None where git cannot list the commit.
    """
    unknown = sorted(p for p, sides in changes.items() if UNKNOWN in sides)
    listed: dict[str, str] = {}
    if unknown:
        # A few paths by name; many by listing the record folders once.
        specs = [f":(literal){p}" for p in unknown] if len(unknown) <= 200 else _PATHSPECS
        try:
            with GitRepo(root) as repo:
                out = repo.run(
                    "ls-tree", "-r", "-z", "--end-of-options", head, "--", *specs, binary=True
                )
        except RepositoryError:
            return None
        listed = _listed_blobs(bytes(out))
    resolved: dict[str, tuple[str | None, str | None]] = {}
    for path, (before, now) in changes.items():
        if before == UNKNOWN:
            before = listed.get(path)
        if now == UNKNOWN:
            now = listed.get(path)
        if before != now:
            resolved[path] = (before, now)
    return resolved
