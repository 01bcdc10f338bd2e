"""Git through its command line (one process per call); the only code that runs git.

The git binary is called directly: importing GitPython alone cost more than most commands.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from types import TracebackType
from typing import Any

from coopkit.errors import ConfigError, NotFound, RepositoryError, T

_AUTHOR = re.compile(r"^\s*([^<>]+?)\s*<([^<>\s]+@[^<>\s]+|[^<>\s]*)>\s*$")
_FIELD = "\x1f"
_RECORD = "\x1e"


@dataclass(frozen=True)
class Author:
    """The acting person, as git records them."""

    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


def parse_author(text: str) -> Author:
    """Parse `Name <mail>`; anything else is a configuration error."""
    match = _AUTHOR.match(text)
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


def _run_git(root: Path, args: tuple[str, ...], env: dict[str, str] | None, binary: bool) -> Any:
    """Run git in `root`: text output without its final newline, or bytes."""
    # English messages from git, so that its errors can be quoted consistently.
    full_env = {**os.environ, "LANGUAGE": "C", "LC_ALL": "C", **(env or {})}
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=root,
            env=full_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except OSError as err:
        raise RepositoryError(
            T("git lässt sich nicht starten: {e}", "cannot run git: {e}", e=str(err))
        ) from err
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip()
        raise RepositoryError(
            T(
                "git {c} fehlgeschlagen: {e}",
                "git {c} failed: {e}",
                c=args[0] if args else "",
                e=stderr or f"exit status {done.returncode}",
            )
        )
    if binary:
        return done.stdout
    text = done.stdout.decode("utf-8", "replace")
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
        self, paths: list[str], message: str, author: Author, when: date | datetime | None = None
    ) -> str:
        """Stage exactly `paths` (new, changed or deleted) and commit only them."""
        env = self._identity_env(author, when)
        self.run("add", "--all", "--", *paths)
        self.run(
            "-c",
            "core.fsync=committed",
            "commit",
            "--quiet",
            "--no-verify",
            "--allow-empty-message",
            "-m",
            message,
            "--only",
            "--",
            *paths,
            env=env,
        )
        head = self.head()
        assert head is not None
        return head

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
        """Return a file's bytes at a revision, or None when it does not exist there."""
        try:
            data = self.run("cat-file", "blob", f"{rev}:{path}", binary=True)
        except RepositoryError:
            return None
        return bytes(data)

    def read_blobs(self, specs: list[str]) -> dict[str, bytes | None]:
        """Return the bytes of many `REV:PATH` objects through one `git cat-file --batch`.

        An object that does not exist (or is not a file) maps to None.
        """
        if not specs:
            return {}
        for spec in specs:
            if "\n" in spec or "\r" in spec:
                raise RepositoryError(
                    T("ungültige Revision „{r}“", 'invalid revision "{r}"', r=spec.strip())
                )
        try:
            done = subprocess.run(
                ["git", "cat-file", "--batch"],
                cwd=self.root,
                input="".join(spec + "\n" for spec in specs).encode("utf-8"),
                capture_output=True,
                check=True,
            )
        except (OSError, subprocess.CalledProcessError) as err:
            raise RepositoryError(
                T("git cat-file fehlgeschlagen: {e}", "git cat-file failed: {e}", e=str(err))
            ) from err
        out = done.stdout
        result: dict[str, bytes | None] = {}
        pos = 0
        for spec in specs:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            pos = end + 1
            if len(header) == 3 and header[1] == b"blob":
                size = int(header[2])
                result[spec] = out[pos : pos + size]
                pos += size + 1
            elif len(header) == 3:
                pos += int(header[2]) + 1
                result[spec] = None
            else:
                result[spec] = None
        return result

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
