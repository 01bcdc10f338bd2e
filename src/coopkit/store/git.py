"""Git through its command line (one process per call); the only code that runs git.

The git binary is called directly: importing GitPython alone cost more than most commands.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time as time_module
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from types import TracebackType
from typing import Any

from coopkit.errors import ConfigError, NotFound, RepositoryError, T

_AUTHOR = re.compile(r"\s*([^<>\x00-\x1f\x7f]+?)\s*<([^<>\s]+@[^<>\s]+|[^<>\s]*)>\s*")
_FIELD = "\x1f"
_RECORD = "\x1e"
_ZERO = "0" * 40
MAX_BLOB_BYTES = 32 * 1024 * 1024
"""Largest object read from history: every file coop reads is far smaller (templates 20 MiB)."""
_DURABLE = ("-c", "core.fsync=committed")
_HELD = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def _block_signals() -> set[signal.Signals | int] | None:
    """Hold back Ctrl-C and termination in the main thread; return the previous mask."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)


def _unblock_signals(previous: set[signal.Signals | int] | None, *, too_late: bool) -> None:
    """Restore the signal mask; a Ctrl-C that arrived after the commit landed is dropped."""
    if previous is None:
        return
    if too_late:
        with contextlib.suppress(KeyboardInterrupt):
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    else:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class GitFailed(RepositoryError):
    """A git command failed; `detail` holds what it printed."""

    def __init__(self, message: T, *, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


_STATES = {
    "MERGE_HEAD": ("ein Merge", "a merge"),
    "rebase-merge": ("ein Rebase", "a rebase"),
    "rebase-apply": ("ein Rebase (oder git am)", "a rebase (or git am)"),
    "CHERRY_PICK_HEAD": ("ein Cherry-Pick", "a cherry-pick"),
    "REVERT_HEAD": ("ein Revert", "a revert"),
    "BISECT_LOG": ("ein Bisect", "a bisect"),
}
"""Files git keeps while an operation is unfinished, and how the refusal names it."""


@dataclass(frozen=True)
class _WriteState:
    """What a commit needs to know about the repository before it starts."""

    branch: str
    head: str | None
    tree: str | None
    index: Path
    hooks: dict[str, bool]


_INDEX_HOOKS = ("pre-commit", "prepare-commit-msg", "commit-msg")
"""Hooks `git commit` runs before the commit exists; they see the index of the change."""
_HOOKS = (*_INDEX_HOOKS, "post-commit")
"""Every hook `git commit` runs, in its order."""

PRIVATE_PREFIX = "coop-commit-"
STALE_SECONDS = 3600
"""A private folder older than this whose process is gone was left by a killed commit."""


@contextlib.contextmanager
def _private_folder(git_dir: Path) -> Iterator[Path]:
    """Yield a new folder for a commit's private index, inside the git directory; remove it after.

    A commit killed outright (SIGKILL, power loss) cannot remove its folder; each commit first
    removes such leftovers: folders older than an hour whose process no longer runs.
    """
    _remove_stale(git_dir)
    folder = Path(tempfile.mkdtemp(prefix=f"{PRIVATE_PREFIX}{os.getpid()}-", dir=git_dir))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _remove_stale(git_dir: Path) -> None:
    """Remove private folders left behind by commits that were killed."""
    now = time_module.time()
    try:
        entries = list(os.scandir(git_dir))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(PRIVATE_PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        pid = entry.name[len(PRIVATE_PREFIX) :].split("-", 1)[0]
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
        except OSError:
            continue
        if old and not _running(int(pid) if pid.isdigit() else 0):
            with contextlib.suppress(OSError):
                staged = (Path(entry.path) / STAGED_INDEX).lstat()
                held = (git_dir / "index.lock").lstat()
                if (staged.st_dev, staged.st_ino) == (held.st_dev, held.st_ino):
                    continue  # still git's index.lock: `_recover_index_lock` decides
            shutil.rmtree(entry.path, ignore_errors=True)


STAGED_INDEX = "user-index"
"""The new index in a commit's private folder; hard-linked as git's `index.lock` to publish it."""
PUBLISHING = "publishing"
"""Names the branch and the commit the staged index belongs to, while it is `index.lock`."""


def _recover_index_lock(index: Path, lock: Path, read_ref: Callable[[str], str | None]) -> None:
    """Finish or undo the publishing of a coop commit killed while it held git's `index.lock`.

    coop publishes a new index by hard-linking its private copy as `index.lock` (so the lock
    is created whole, exclusively) and renaming it over `index` once the branch has moved. A
    lock that is the same file as a private copy was therefore made by coop; only when the
    process that made it is gone is it settled: renamed over `index` when the branch points
    at the commit it belongs to (the commit landed), removed otherwise. Any other lock is
    git's or another program's and is left alone.
    """
    try:
        info = lock.lstat()
    except OSError:
        return
    if not stat.S_ISREG(info.st_mode) or info.st_nlink < 2:
        return
    try:
        entries = list(os.scandir(index.parent))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(PRIVATE_PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        folder = Path(entry.path)
        try:
            staged = (folder / STAGED_INDEX).lstat()
        except OSError:
            continue
        if (staged.st_dev, staged.st_ino) != (info.st_dev, info.st_ino):
            continue
        pid = entry.name[len(PRIVATE_PREFIX) :].split("-", 1)[0]
        if _running(int(pid) if pid.isdigit() else 0):
            return  # a coop commit is publishing right now
        try:
            branch, commit = (folder / PUBLISHING).read_text("ascii").split("\n")[:2]
        except (OSError, ValueError, UnicodeDecodeError):
            branch, commit = "", ""
        if commit and read_ref(branch) == commit:
            lock.replace(index)
        else:
            lock.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        return


def _running(pid: int) -> bool:
    """Return whether a process with this id runs on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it runs, under another user
    return True


def _feed(process: subprocess.Popen[bytes], request: bytes) -> None:
    """Write the requests to git's stdin and close it (ignoring a git that has gone)."""
    assert process.stdin is not None
    try:
        process.stdin.write(request)
        process.stdin.close()
    except OSError:
        pass


def _tree_entries(raw: bytes) -> dict[bytes, tuple[bytes, bytes]]:
    """Return name -> (mode, object id) of a raw tree object (SHA-1 ids)."""
    entries: dict[bytes, tuple[bytes, bytes]] = {}
    at = 0
    while at < len(raw):
        space = raw.index(b" ", at)
        nul = raw.index(b"\0", space)
        entries[raw[space + 1 : nul]] = (raw[at:space], raw[nul + 1 : nul + 21])
        at = nul + 21
    return entries


def _tree_body(entries: dict[bytes, tuple[bytes, bytes]]) -> bytes:
    """Return a raw tree object's body, entries in git's order (a folder sorts as "name/")."""
    order = sorted(entries, key=lambda n: n + b"/" if entries[n][0] == b"40000" else n)
    return b"".join(entries[n][0] + b" " + n + b"\0" + entries[n][1] for n in order)


def _tree_id(body: bytes) -> bytes:
    """Return the (SHA-1) object id of a tree with this body."""
    return hashlib.sha1(b"tree %d\0" % len(body) + body, usedforsecurity=False).digest()


def _index_locked(lock: Path) -> RepositoryError:
    return RepositoryError(
        T(
            "git-Index gesperrt ({p}): ein anderer git-Vorgang läuft oder ist abgebrochen",
            "git index locked ({p}): another git process is running or was killed",
            p=str(lock),
        ),
        hint=T(
            "warten, bis der andere git-Vorgang endet; läuft keiner mehr, {p} löschen",
            "wait for the other git process to finish; if none is running, delete {p}",
            p=str(lock),
        ),
    )


def _stat_key(path: Path) -> tuple[int, int, int, int] | None:
    """Return what changes when git rewrites a file (inode, size, mtime, ctime); None if absent."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _create_lock(staged: Path, lock: Path) -> None:
    """Create git's `index.lock` as a hard link of the finished new index, exclusively.

    The lock appears whole and stays recognisably coop's (the same file as the private copy):
    a commit killed from here on leaves a lock that `_recover_index_lock` settles. Where the
    file system has no hard links the lock is created exclusively and written.
    """
    try:
        os.link(staged, lock)
        return
    except FileExistsError as err:
        raise _index_locked(lock) from err
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK):
            raise RepositoryError(
                T(
                    "{p} kann nicht angelegt werden: {e}",
                    "cannot create {p}: {e}",
                    p=str(lock),
                    e=err.strerror or str(err),
                )
            ) from err
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    except FileExistsError as err:
        raise _index_locked(lock) from err
    try:
        os.write(fd, staged.read_bytes())
        os.fsync(fd)
    finally:
        os.close(fd)


def _subcommand(args: tuple[str, ...]) -> str:
    """Return the git subcommand of an argument list (skipping `-c key=value`)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "-c":
            skip = True
        elif not arg.startswith("-"):
            return arg
    return ""


@dataclass(frozen=True)
class Author:
    """The acting person, as git records them."""

    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


def parse_author(text: str) -> Author:
    """Parse `Name <mail>`; anything else is a configuration error."""
    match = _AUTHOR.fullmatch(text)
    if not match:
        raise ConfigError(
            T(
                "Autor „{a}“: erwartet „Name <mail@example.org>“",
                'author "{a}": expected "Name <mail@example.org>"',
                a=text,
            )
        )
    return Author(match.group(1), match.group(2))


def commit_timestamp(day: date | datetime) -> str:
    """Return a git date for a day (noon UTC, so the calendar day is the same everywhere)."""
    if isinstance(day, datetime):
        moment = day if day.tzinfo else day.replace(tzinfo=UTC)
    else:
        moment = datetime.combine(day, time(12, 0), tzinfo=UTC)
    return moment.isoformat()


def signing_options(signing_key: Path | None) -> list[str]:
    """Return the git options that sign a commit with an SSH key (none without a key)."""
    if signing_key is None:
        return []
    return [
        "-c",
        "gpg.format=ssh",
        "-c",
        f"user.signingkey={signing_key.resolve()}",
        "-c",
        "commit.gpgsign=true",
    ]


@dataclass(frozen=True)
class Commit:
    """One commit as `coop log` shows it."""

    sha: str
    author: str
    email: str
    date: datetime
    subject: str
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tag:
    """An annotated tag: a released version."""

    name: str
    commit: str
    tagger: str
    date: datetime
    message: str


GIT_ENV = {"LANGUAGE": "C", "LC_ALL": "C", "GIT_NO_REPLACE_OBJECTS": "1"}
"""Set for every git coop runs: English messages (quoted consistently), and replace refs
ignored, so that a `git replace` in a clone cannot make coop read other history or other
records than the commits hold."""


def _run_git(root: Path, args: tuple[str, ...], env: dict[str, str] | None, binary: bool) -> Any:
    """Run git in `root`: text output without its final newline, or bytes."""
    return _finish_git(_start_git(root, args, env), args, binary)


def _start_git(
    root: Path, args: tuple[str, ...], env: dict[str, str] | None
) -> subprocess.Popen[bytes]:
    """Start git in `root` (collect it with `_finish_git`)."""
    full_env = {**os.environ, **GIT_ENV, **(env or {})}
    try:
        return subprocess.Popen(
            ["git", *args],
            cwd=root,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as err:
        raise RepositoryError(
            T("git lässt sich nicht starten: {e}", "cannot run git: {e}", e=str(err))
        ) from err


def _finish_git(process: subprocess.Popen[bytes], args: tuple[str, ...], binary: bool) -> Any:
    """Wait for a started git: text output without its final newline, or bytes."""
    try:
        out, err = process.communicate()
    except BaseException:
        process.kill()
        process.wait()
        raise
    if process.returncode != 0:
        stderr = err.decode("utf-8", "replace").strip()
        stdout = out.decode("utf-8", "replace").strip()
        raise GitFailed(
            T(
                "git {c} fehlgeschlagen: {e}",
                "git {c} failed: {e}",
                c=_subcommand(args),
                e=stderr or f"exit status {process.returncode}",
            ),
            detail="\n".join(part for part in (stdout, stderr) if part),
        )
    if binary:
        return out
    text = out.decode("utf-8", "replace")
    return text[:-1] if text.endswith("\n") else text


class GitRepo:
    """A git repository at a coop root; use as a context manager."""

    def __init__(self, root: Path) -> None:
        if not os.path.exists(os.path.join(root, ".git")):  # noqa: PTH110, PTH118
            raise RepositoryError(
                T(
                    "{p} ist kein git-Repository; „coop init“ legt eines an",
                    '{p} is not a git repository; "coop init" creates one',
                    p=str(root),
                )
            )
        self.root = root
        self.parent_of: dict[str, str | None] = {}
        """The parent of each commit made through this object (None: the first commit)."""

    def __enter__(self) -> GitRepo:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release: every call is its own git process."""

    def run(self, *args: str, env: dict[str, str] | None = None, binary: bool = False) -> Any:
        """Run `git ARGS` in the repository; wrap failures as repository errors."""
        return _run_git(self.root, args, env, binary)

    @staticmethod
    def init(root: Path) -> None:
        """Create an empty repository with branch main."""
        root.mkdir(parents=True, exist_ok=True)
        _run_git(root, ("init", "--quiet", "--initial-branch=main"), None, False)

    def head(self) -> str | None:
        """Return the commit HEAD points at, or None in an empty repository."""
        try:
            return str(self.run("rev-parse", "--verify", "--quiet", "HEAD^{commit}")) or None
        except RepositoryError:
            return None

    def _identity_env(self, author: Author, when: date | datetime | None) -> dict[str, str]:
        env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_COMMITTER_NAME": author.name,
            "GIT_COMMITTER_EMAIL": author.email,
        }
        if when is not None:
            stamp = commit_timestamp(when)
            env["GIT_AUTHOR_DATE"] = stamp
            env["GIT_COMMITTER_DATE"] = stamp
        return env

    def commit_paths(
        self,
        paths: list[str],
        message: str,
        author: Author,
        when: date | datetime | None = None,
        *,
        run_hooks: bool = True,
        signing_key: Path | None = None,
    ) -> str:
        """Commit exactly `paths` (new, changed or deleted) as they are on disk; return the commit.

        With `signing_key` (a private SSH key file) the commit is signed (gpg.format=ssh).

        The commit is built in a private index seeded from HEAD, so the user's index is not
        touched until the commit exists; HEAD moves by compare-and-swap. Only then are the
        user's index entries of `paths` set to the new commit (through git's own `index.lock`),
        so `git status` is clean. When any step fails (a hook, the author, a full disk, a signal,
        a concurrent commit), index and HEAD are as before; restoring the working files is the
        caller's part.

        Args:
            paths: repository-relative paths the caller wrote or deleted.
            message: the commit message.
            author: author and committer.
            when: author and commit date (now when None).
            run_hooks: run the repository's pre-commit and commit-msg hooks, as `git commit`
                would, against the private index; a failing hook refuses the commit.
            signing_key: sign the commit with this private SSH key.
        """
        state = self._write_state()
        branch, old, index = state.branch, state.head, state.index
        lock = index.with_name(index.name + ".lock")
        if lock.exists():
            _recover_index_lock(index, lock, self._ref_value)
        if lock.exists():
            raise _index_locked(lock)
        env = self._identity_env(author, when)
        with _private_folder(index.parent) as tmp:
            message_file = Path(tmp) / "COMMIT_MSG"
            # As `git commit -m` cleans it: no trailing blanks, one final newline.
            lines = [line.rstrip() for line in message.strip("\n").split("\n")]
            message_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
            hooked = run_hooks and any(state.hooks[h] for h in _INDEX_HOOKS)
            # Hooks look at the index: for them the tree is built in a private index.
            found = None if hooked else self._tree_of_change(old, paths, tmp)
            if found is None:
                private = {**env, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
                self._seed(private, old)
                self.run(*_DURABLE, "add", "--all", "--", *paths, env=private)
                # As `git commit -m`: pre-commit, prepare-commit-msg FILE message, commit-msg FILE.
                if run_hooks and state.hooks["pre-commit"]:
                    self._hook("pre-commit", private)
                if run_hooks and state.hooks["prepare-commit-msg"]:
                    self._hook("prepare-commit-msg", private, str(message_file), "message")
                if run_hooks and state.hooks["commit-msg"]:
                    self._hook("commit-msg", private, str(message_file))
                found = str(self.run(*_DURABLE, "write-tree", env=private))
            tree = found
            if tree == state.tree:
                raise RepositoryError(
                    T(
                        "nichts zu übernehmen: {p} unverändert",
                        "nothing to commit: {p} unchanged",
                        p=", ".join(paths),
                    )
                )
            commit = str(
                self.run(*self._commit_tree_args(tree, old, message_file, signing_key), env=env)
            )
            self._publish(branch, commit, old, message, paths, index, lock, Path(tmp))
        self.parent_of[commit] = old
        if run_hooks and state.hooks["post-commit"]:
            # As git: post-commit only tells; its failure changes nothing.
            with contextlib.suppress(RepositoryError):
                self.run("hook", "run", "--ignore-missing", "post-commit")
        return commit

    def _ref_value(self, ref: str) -> str | None:
        """Return the commit `ref` points at, None when it does not exist."""
        if not ref.startswith("refs/heads/"):
            return None
        try:
            return str(self.run("rev-parse", "--verify", "--quiet", "--end-of-options", ref))
        except RepositoryError:
            return None

    def _tree_of_change(self, old: str | None, paths: list[str], folder: Path) -> str | None:
        """Return the tree of `old` with `paths` as they are on disk, without an index.

        A private index holds every file of the commit (reading the tree into it and writing
        it back costs about 0.1 s at 30,000 files); the trees along the changed paths are a
        few objects. The result is what `git add` of the paths and `git write-tree` give:
        files through git's filters (`hash-object`), deleted files and emptied folders left
        out. None where this way does not apply (no commit yet, SHA-256 objects, a folder where
        a file was or the reverse, a path that is not a regular file, an executable bit on disk
        or in HEAD, a great many paths): then the private index is used.
        """
        if old is None or len(old) != 40 or len(paths) > 500:
            return None
        hashed: list[str] = []
        for path in paths:
            if any(c in path for c in "\n\r\0") or path.startswith("/"):
                return None
            try:
                info = (self.root / path).lstat()
            except FileNotFoundError:
                continue  # deleted
            except OSError:
                return None
            # An executable bit: what git records depends on core.filemode; let git decide.
            if not stat.S_ISREG(info.st_mode) or info.st_mode & stat.S_IXUSR:
                return None
            hashed.append(path)
        entries: dict[str, str | None] = dict.fromkeys(paths)
        folders = {""}
        for path in paths:
            parts = path.split("/")
            folders.update("/".join(parts[:n]) for n in range(1, len(parts)))
        specs = {f: f"{old}^{{tree}}" if not f else f"{old}:{f}" for f in folders}
        # git hashes the files while the trees along their paths are read.
        hashing = (*_DURABLE, "hash-object", "-w", "--", *hashed)
        started = _start_git(self.root, hashing, None) if hashed else None
        try:
            read = self._read_objects(list(specs.values()))
        except BaseException:
            if started is not None:
                with contextlib.suppress(RepositoryError):
                    _finish_git(started, hashing, False)
            raise
        ids = str(_finish_git(started, hashing, False)).split("\n") if started else []
        entries.update(zip(hashed, ids, strict=True))
        trees: dict[str, dict[bytes, tuple[bytes, bytes]]] = {}
        for name, spec in specs.items():
            obj = read[spec]
            if obj is not None and obj[0] != b"tree":
                return None  # a file where the change needs a folder
            trees[name] = _tree_entries(obj[1]) if obj is not None else {}
        for path, entry in entries.items():
            where, _, name = path.rpartition("/")
            key = os.fsencode(name)
            had = trees[where].get(key)
            if had is not None and had[0] == b"40000":
                return None  # a folder where the change writes a file
            if entry is None:
                trees[where].pop(key, None)
                continue
            # A plain file stays or becomes 100644; one executable in HEAD: let git decide.
            if had is not None and had[0] == b"100755":
                return None
            trees[where][key] = (b"100644", bytes.fromhex(entry))
        bodies: dict[str, bytes] = {}
        tree_ids: dict[str, bytes] = {}
        """Folder -> its tree's id as computed here (git's own is checked against it)."""
        for where in sorted(folders, key=lambda f: -f.count("/") if f else 1):
            body = _tree_body(trees[where])
            bodies[where] = body
            tree_ids[where] = _tree_id(body)
            if not where:
                continue
            parent, _, name = where.rpartition("/")
            if body:
                trees[parent][os.fsencode(name)] = (b"40000", tree_ids[where])
            else:
                trees[parent].pop(os.fsencode(name), None)  # git keeps no empty folders
        files = []
        for n, where in enumerate(sorted(bodies)):
            if bodies[where] or not where:
                file = folder / f"tree-{n}"
                file.write_bytes(bodies[where])
                files.append((where, file))
        written = str(
            self.run(
                *_DURABLE,
                "hash-object",
                "-w",
                "-t",
                "tree",
                "--no-filters",
                "--",
                *(str(f) for _, f in files),
            )
        ).split("\n")
        for (where, _), tree_id in zip(files, written, strict=True):
            if tree_id != tree_ids[where].hex():
                raise RepositoryError(
                    T(
                        "git hat den Baum {p} anders gespeichert als erwartet",
                        "git stored the tree {p} other than expected",
                        p=where or "/",
                    )
                )
        return dict(zip((w for w, _ in files), written, strict=True))[""]

    def _seed(self, env: dict[str, str], commit: str | None) -> None:
        """Fill the index `env` names with the tree of `commit` (empty when None)."""
        if commit is None:
            self.run("read-tree", "--empty", env=env)
        else:
            self.run("read-tree", "--end-of-options", commit, env=env)

    def _commit_tree_args(
        self, tree: str, parent: str | None, message_file: Path, signing_key: Path | None = None
    ) -> list[str]:
        """Return the `git commit-tree` call; with a key it signs (commit-tree needs `-S`)."""
        args = [*_DURABLE, *signing_options(signing_key), "commit-tree", tree]
        if parent is not None:
            args += ["-p", parent]
        if signing_key is not None:
            args.append("-S")
        args += ["-F", str(message_file)]
        return args

    def _hook(self, name: str, env: dict[str, str], *args: str) -> None:
        """Run a repository hook as `git commit` would; a failing hook refuses the commit."""
        extra = ["--", *args] if args else []
        try:
            self.run("hook", "run", "--ignore-missing", name, *extra, env=env)
        except GitFailed as err:
            raise RepositoryError(
                T(
                    "der git-Hook „{h}“ hat die Änderung abgelehnt; nichts wurde übernommen",
                    'the git hook "{h}" refused the change; nothing was committed',
                    h=name,
                ),
                hint=T("Ausgabe des Hooks:\n{o}", "output of the hook:\n{o}", o=err.detail)
                if err.detail
                else None,
            ) from err

    def _publish(
        self,
        branch: str,
        commit: str,
        old: str | None,
        message: str,
        paths: list[str],
        index: Path,
        lock: Path,
        tmp: Path,
    ) -> None:
        """Move the branch to `commit` if it still points at `old`; make the index follow.

        The user's index is changed the way git changes it: the new index is written to
        `index.lock` (created exclusively, so a concurrent git is never overwritten) and renamed
        over `index` only after the branch has moved. Ctrl-C is held back from the move to the
        rename: once HEAD has moved the change is committed, and stopping half-way would leave
        the index behind HEAD.
        """
        staged = tmp / STAGED_INDEX
        (tmp / PUBLISHING).write_text(f"{branch}\n{commit}\n", "ascii")
        for _ in range(5):
            before = _stat_key(index)
            if before is not None:
                shutil.copyfile(index, staged)
            else:
                self._seed({"GIT_INDEX_FILE": str(staged)}, old)
            self._reset_entries(staged, commit, paths)
            with staged.open("rb+") as out:
                os.fsync(out.fileno())
            _create_lock(staged, lock)
            if _stat_key(index) == before:
                break
            # git wrote the index between the copy and the lock: start again from its new one.
            lock.unlink(missing_ok=True)
        else:
            raise _index_locked(lock)
        published = False
        try:
            subject = message.split("\n", 1)[0]
            reflog = f"commit{' (initial)' if old is None else ''}: {subject}"
            blocked = _block_signals()
            try:
                try:
                    self.run(*_DURABLE, "update-ref", "-m", reflog, branch, commit, old or _ZERO)
                except RepositoryError as err:
                    raise RepositoryError(
                        T(
                            "{b} hat sich während des Schreibens geändert (ein anderer Commit) "
                            "oder ließ sich nicht setzen; nichts wurde übernommen ({e})",
                            "{b} changed while writing (another commit) or could not be set; "
                            "nothing was committed ({e})",
                            b=branch,
                            e=err.message,
                        )
                    ) from err
                lock.replace(index)
                published = True
            finally:
                _unblock_signals(blocked, too_late=published)
        finally:
            if not published:
                lock.unlink(missing_ok=True)

    def _reset_entries(self, index: Path, commit: str, paths: list[str]) -> None:
        """Set the entries of `paths` in the index file `index` to those of `commit`.

        Without refreshing the other entries' stat data: on a large working tree that is most
        of the time a write takes, and `git status` refreshes them when it runs anyway.
        """
        env = {"GIT_INDEX_FILE": str(index)}
        try:
            self.run("reset", "--quiet", "--no-refresh", commit, "--", *paths, env=env)
        except GitFailed:
            # git before 2.38 knows no --no-refresh; the reset of a copy can simply run again.
            self.run("reset", "--quiet", commit, "--", *paths, env=env)

    def check_writable(self) -> str:
        """Return the branch HEAD names; refuse when a commit now would surprise the user.

        Raises:
            RepositoryError: a merge, rebase, cherry-pick, revert or bisect is in progress, HEAD
                is detached, or HEAD names an unborn branch while others exist.
        """
        return self._write_state().branch

    def _write_state(self) -> _WriteState:
        """Look at the repository before building a commit (one git call in the common case)."""
        names = [*_STATES, "index", *(f"hooks/{h}" for h in _HOOKS)]
        args = ["rev-parse"]
        for name in names:
            args += ["--git-path", name]
        head: str | None = None
        tree: str | None = None
        try:
            *found, head, tree, branch = str(
                self.run(*args, "HEAD^{commit}", "HEAD^{tree}", "--symbolic-full-name", "HEAD")
            ).split("\n")
        except RepositoryError:
            # No commit yet: ask for the paths alone and read the branch HEAD names.
            found, head, tree = str(self.run(*args)).split("\n"), None, None
            branch = self._symbolic_head()
        places = {
            name: (Path(place) if Path(place).is_absolute() else self.root / place)
            for name, place in zip(names, found, strict=True)
        }
        for name, (de, en) in _STATES.items():
            if places[name].exists():
                raise RepositoryError(
                    T(
                        "im Repository läuft gerade {s}; coop schreibt erst danach",
                        "{s} is in progress in the repository; coop writes only after it",
                        s=T(de, en),
                    ),
                    hint=T(
                        "den Vorgang mit git abschließen oder abbrechen (z. B. „git merge "
                        "--abort“), dann erneut versuchen",
                        'finish or abort it with git (e.g. "git merge --abort"), then try again',
                    ),
                )
        if branch == "HEAD":
            branch = self._symbolic_head()
        if not branch.startswith("refs/heads/"):
            raise RepositoryError(
                T(
                    "HEAD zeigt auf {b}, keinen Zweig; coop schreibt nur auf einen Zweig",
                    "HEAD points at {b}, not a branch; coop writes only to a branch",
                    b=branch,
                )
            )
        if head is None and str(self.run("for-each-ref", "--count=1", "refs/heads")):
            raise RepositoryError(
                T(
                    "Zweig {b} hat noch keinen Commit, andere Zweige schon; bitte einen "
                    "bestehenden Zweig auschecken",
                    "branch {b} has no commit yet while other branches have; please check out "
                    "an existing branch",
                    b=branch.removeprefix("refs/heads/"),
                )
            )
        hooks = {
            name: os.access(places[f"hooks/{name}"], os.X_OK) and places[f"hooks/{name}"].is_file()
            for name in _HOOKS
        }
        return _WriteState(branch, head, tree, places["index"], hooks)

    def _symbolic_head(self) -> str:
        """Return the ref HEAD names; refuse a detached HEAD."""
        try:
            return str(self.run("symbolic-ref", "--quiet", "HEAD"))
        except RepositoryError as err:
            raise RepositoryError(
                T(
                    "HEAD ist von keinem Zweig abgeleitet (detached HEAD); coop schreibt nur "
                    "auf einen Zweig",
                    "HEAD is detached; coop writes only to a branch",
                ),
                hint=T(
                    "einen Zweig auschecken, z. B. „git switch main“",
                    'check out a branch, e.g. "git switch main"',
                ),
            ) from err

    def create_tag(
        self, name: str, message: str, author: Author, when: date | datetime | None = None
    ) -> None:
        """Create an annotated tag at HEAD."""
        self.check_ref_name(name)
        self.run(
            "tag",
            "--annotate",
            "-m",
            message,
            "--end-of-options",
            name,
            "HEAD",
            env=self._identity_env(author, when),
        )

    def check_ref_name(self, name: str) -> None:
        """Refuse names git would not accept as a tag."""
        try:
            self.run("check-ref-format", f"refs/tags/{name}")
        except RepositoryError as err:
            raise RepositoryError(
                T("ungültiger Versionsname „{n}“", 'invalid version name "{n}"', n=name)
            ) from err

    def resolve(self, rev: str) -> str:
        """Return the commit a revision names; NotFound when it names none."""
        try:
            return str(
                self.run(
                    "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"
                )
            )
        except RepositoryError as err:
            raise NotFound(
                T("Revision „{r}“ nicht gefunden", 'revision "{r}" not found', r=rev)
            ) from err

    def read_blob(self, rev: str, path: str) -> bytes | None:
        """Return a file's bytes at a revision, or None when it does not exist there.

        Raises:
            RepositoryError: the file is larger than MAX_BLOB_BYTES.
        """
        spec = f"{rev}:{path}"
        return self.read_blobs([spec])[spec]

    def list_entries(self, rev: str) -> dict[str, tuple[str, str, int]]:
        """Return path -> (mode, blob id, size) for every file at a revision."""
        out = str(self.run("ls-tree", "-r", "-z", "-l", "--full-tree", "--end-of-options", rev))
        files = {}
        for entry in out.split("\0"):
            if not entry:
                continue
            meta, _, path = entry.partition("\t")
            parts = meta.split()
            if len(parts) == 4 and parts[1] == "blob":
                files[path] = (parts[0], parts[2], int(parts[3]) if parts[3].isdigit() else 0)
        return files

    def read_blobs(self, specs: list[str]) -> dict[str, bytes | None]:
        """Return the bytes of many `REV:PATH` objects through one `git cat-file --batch`.

        An object that does not exist (or is not a file) maps to None. Output is read as it
        comes, so an object larger than MAX_BLOB_BYTES is refused without being held in memory.

        Raises:
            RepositoryError: git failed, or an object is larger than MAX_BLOB_BYTES.
        """
        found = self._read_objects(specs)
        return {
            spec: obj[1] if obj is not None and obj[0] == b"blob" else None
            for spec, obj in found.items()
        }

    def head_blobs(self, paths: list[str]) -> dict[str, bytes | None] | None:
        """Return the bytes of `paths` in HEAD (None: not there); None when there is no commit.

        One `git cat-file --batch` answers both whether HEAD exists and what it holds.
        """
        head = "HEAD^{commit}"
        found = self._read_objects([head, *(f"HEAD:{p}" for p in paths)])
        if found[head] is None:
            return None
        result: dict[str, bytes | None] = {}
        for path in paths:
            obj = found[f"HEAD:{path}"]
            result[path] = obj[1] if obj is not None and obj[0] == b"blob" else None
        return result

    def read_objects(self, specs: list[str]) -> dict[str, tuple[bytes, bytes] | None]:
        """Return (type, bytes) of any objects by name (None: missing), one `cat-file --batch`."""
        return self._read_objects(specs)

    def _read_objects(self, specs: list[str]) -> dict[str, tuple[bytes, bytes] | None]:
        """Return (type, bytes) of objects from one `git cat-file --batch` (None: missing)."""
        if not specs:
            return {}
        for spec in specs:
            if "\n" in spec or "\r" in spec:
                raise RepositoryError(
                    T("ungültige Revision „{r}“", 'invalid revision "{r}"', r=spec.strip())
                )
        try:
            process = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                cwd=self.root,
                env={**os.environ, **GIT_ENV},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError as err:
            raise RepositoryError(
                T("git cat-file fehlgeschlagen: {e}", "git cat-file failed: {e}", e=str(err))
            ) from err
        request = "".join(spec + "\n" for spec in specs).encode("utf-8")
        # Feed the requests from a thread: git answers while it reads, and a full pipe either
        # way would otherwise stop both sides.
        feeder = threading.Thread(target=_feed, args=(process, request), daemon=True)
        feeder.start()
        assert process.stdout is not None
        result: dict[str, tuple[bytes, bytes] | None] = {}
        try:
            for spec in specs:
                header = process.stdout.readline(4096).split()
                if len(header) != 3:
                    result[spec] = None
                    continue
                size = int(header[2])
                if size > MAX_BLOB_BYTES:
                    raise RepositoryError(
                        T(
                            "{s} ist {n} Bytes groß; höchstens {m} Bytes werden gelesen",
                            "{s} is {n} bytes; at most {m} bytes are read",
                            s=spec,
                            n=size,
                            m=MAX_BLOB_BYTES,
                        )
                    )
                data = process.stdout.read(size + 1)[:size]
                result[spec] = (header[1], data)
        finally:
            process.stdout.close()
            if process.poll() is None:
                process.kill()
            process.wait()
            feeder.join()
        return result

    def changed_between(
        self, old: str, new: str, pathspecs: list[str]
    ) -> dict[str, tuple[str | None, str | None]]:
        """Return path -> (blob id in `old`, blob id in `new`) of every file that differs.

        None: the path is not a file there; a symlink's id is prefixed with `l:` (coop refuses
        links, so their content does not matter, only that they are links).

        Raises:
            RepositoryError: a commit is unknown (e.g. collected after a rewrite).
        """
        out = bytes(
            self.run(
                "diff-tree",
                "-r",
                "-z",
                "--no-renames",
                "--end-of-options",
                old,
                new,
                "--",
                *pathspecs,
                binary=True,
            )
        )
        fields = out.split(b"\0")
        changed: dict[str, tuple[str | None, str | None]] = {}
        for meta, name in zip(fields[0::2], fields[1::2], strict=False):
            parts = meta.lstrip(b":").split()
            if len(parts) < 5:
                continue
            sides: list[str | None] = []
            for mode, blob in ((parts[0], parts[2]), (parts[1], parts[3])):
                if mode in (b"100644", b"100755"):
                    sides.append(blob.decode())
                elif mode == b"120000":
                    sides.append("l:" + blob.decode())
                else:
                    sides.append(None)
            changed[os.fsdecode(name)] = (sides[0], sides[1])
        return changed

    def list_files(self, rev: str) -> dict[str, str]:
        """Return path -> blob id for every file at a revision."""
        out = str(self.run("ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev))
        files = {}
        for entry in out.split("\0"):
            if not entry:
                continue
            meta, _, path = entry.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob":
                files[path] = parts[2]
        return files

    def tags(self) -> list[Tag]:
        """Return annotated tags, oldest first."""
        fmt = (
            _FIELD.join(
                [
                    "%(refname:short)",
                    "%(*objectname)",
                    "%(taggername)",
                    "%(taggerdate:iso-strict)",
                    "%(contents)",
                ]
            )
            + _RECORD
        )
        out = str(self.run("for-each-ref", "--sort=taggerdate", f"--format={fmt}", "refs/tags"))
        tags = []
        for record in out.split(_RECORD):
            fields = record.strip("\n").split(_FIELD)
            if len(fields) != 5 or not fields[1]:
                continue
            tags.append(
                Tag(
                    fields[0],
                    fields[1],
                    fields[2],
                    datetime.fromisoformat(fields[3]),
                    fields[4].strip(),
                )
            )
        return tags

    def log(
        self, paths: list[str] | None = None, rev: str = "HEAD", limit: int = 0
    ) -> list[Commit]:
        """Return commits touching `paths` (all when None), newest first, with changed files."""
        if self.head() is None:
            return []
        fmt = _RECORD + _FIELD.join(["%H", "%an", "%ae", "%aI", "%s"]) + _FIELD
        args = ["log", f"--format={fmt}", "--name-only", "-z"]
        if limit:
            args.append(f"--max-count={limit}")
        args += ["--end-of-options", rev, "--"]
        if paths:
            args += paths
        out = str(self.run(*args))
        commits = []
        for record in out.split(_RECORD):
            if not record.strip("\0\n"):
                continue
            fields = record.split(_FIELD)
            names = tuple(p for p in fields[5].replace("\n", "\0").split("\0") if p)
            commits.append(
                Commit(
                    fields[0],
                    fields[1],
                    fields[2],
                    datetime.fromisoformat(fields[3]),
                    fields[4],
                    names,
                )
            )
        return commits

    def status_paths(self) -> list[str]:
        """Return paths with uncommitted changes (modified, added, deleted or untracked)."""
        out = str(self.run("status", "--porcelain=v1", "-z", "--untracked-files=all"))
        paths = []
        for entry in out.split("\0"):
            if len(entry) > 3:
                paths.append(entry[3:])
        return paths

    def changed_tracked(self, skip: str) -> list[str]:
        """Return tracked files (in HEAD) with uncommitted changes, outside the folder `skip`."""
        paths = [p for p in self.status_paths() if not p.startswith(skip)]
        blobs = self.head_blobs(paths) or {}
        return [p for p in paths if blobs.get(p) is not None]

    def config_author(self) -> Author | None:
        """Return user.name/user.email from git config, or None when unset."""
        try:
            name = str(self.run("config", "--get", "user.name"))
            email = str(self.run("config", "--get", "user.email"))
        except RepositoryError:
            return None
        return Author(name, email) if name and email else None


def outside_config_author() -> Author | None:
    """Return user.name/user.email from the global and system git config (no repository's)."""
    env = {**os.environ, "GIT_DIR": os.devnull}
    values = []
    for key in ("user.name", "user.email"):
        try:
            done = subprocess.run(
                ["git", "config", "--get", key],
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        values.append(done.stdout.strip() if done.returncode == 0 else "")
    name, email = values
    return Author(name, email) if name and email else None


def is_repository(path: Path) -> bool:
    """Return whether `path` is itself the top of a git work tree."""
    try:
        top = str(_run_git(path, ("rev-parse", "--show-toplevel"), None, False))
    except (RepositoryError, OSError):
        return False
    return Path(top).resolve() == path.resolve()
