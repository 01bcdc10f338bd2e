"""Remotes: fetch, rebase onto, push; the git side of `coop sync`."""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from coopkit.errors import RepositoryError, T, UsageError
from coopkit.store.git import Author, GitRepo

ATTRIBUTES = ".gitattributes"
DRIVER = "coop"
ATTRIBUTE_LINES = (
    "minutes/*.md merge=coop",
    "partners/*.yaml merge=coop",
    "agreements/**/*.yaml merge=coop",
)
_REMOTE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def driver_command() -> str:
    """Return the merge-driver command line git runs (this Python, so any install works)."""
    return f"{shlex.quote(sys.executable)} -m coopkit.cli merge-driver %O %A %B %P"


def driver_options() -> list[str]:
    """Return `-c` options that define coop's merge driver for one git call."""
    return [
        "-c",
        f"merge.{DRIVER}.name=coop: Datensätze feldweise zusammenführen",
        "-c",
        f"merge.{DRIVER}.driver={driver_command()}",
    ]


def attributes_text(existing: str) -> str:
    """Return .gitattributes with coop's merge lines added (existing lines kept)."""
    lines = existing.splitlines()
    for line in ATTRIBUTE_LINES:
        if line not in lines:
            lines.append(line)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Conflict:
    """One file both sides changed: its text at the merge base, on the remote and locally."""

    path: str
    base: str | None
    remote: str | None
    local: str | None


def check_remote_name(name: str) -> None:
    """Refuse remote names git could read as an option or a path."""
    if not _REMOTE_NAME.fullmatch(name):
        raise UsageError(
            T(
                "Name „{n}“: erwartet Buchstaben, Ziffern, „.“, „_“ oder „-“",
                'name "{n}": expected letters, digits, ".", "_" or "-"',
                n=name,
            )
        )


def identity(author: Author) -> dict[str, str]:
    """Return the committer environment for commits git writes while rebasing."""
    return {
        "GIT_COMMITTER_NAME": author.name,
        "GIT_COMMITTER_EMAIL": author.email,
        "GIT_AUTHOR_NAME": author.name,
        "GIT_AUTHOR_EMAIL": author.email,
    }


class Remote:
    """The git operations of one sync, on an open repository."""

    def __init__(self, repo: GitRepo, name: str) -> None:
        check_remote_name(name)
        self.repo = repo
        self.name = name

    def exists(self) -> bool:
        """Return whether the remote is configured."""
        return self.name in str(self.repo.run("remote")).split()

    def add(self, url: str) -> None:
        """Configure the remote."""
        if url.startswith("-") or "\n" in url:
            raise UsageError(T("ungültige Adresse „{u}“", 'invalid URL "{u}"', u=url))
        self.repo.run("remote", "add", "--", self.name, url)

    def branch(self) -> str:
        """Return the current branch; refuse a detached HEAD."""
        name = str(self.repo.run("symbolic-ref", "--quiet", "--short", "HEAD"))
        if not name:
            raise RepositoryError(T("kein Zweig ausgecheckt", "no branch checked out"))
        return name

    def fetch(self) -> None:
        """Fetch the remote's branches and tags."""
        self.repo.run("fetch", "--quiet", "--tags", self.name)

    def remote_head(self, branch: str) -> str | None:
        """Return the commit of the remote branch, or None when it does not exist yet."""
        try:
            return (
                str(
                    self.repo.run(
                        "rev-parse", "--verify", "--quiet", f"refs/remotes/{self.name}/{branch}"
                    )
                )
                or None
            )
        except RepositoryError:
            return None

    def commits(self, spec: str) -> list[str]:
        """Return commits of a range, oldest first."""
        out = str(self.repo.run("rev-list", "--reverse", spec, "--"))
        return out.split()

    def rebase(self, onto: str, env: dict[str, str], signing: list[str]) -> list[str]:
        """Rebase the branch onto `onto`; return the conflicted paths (rebase stopped) or []."""
        try:
            self.repo.run(
                *driver_options(), *signing, "rebase", "--quiet", "--no-autostash", onto, env=env
            )
        except RepositoryError:
            paths = self.conflicted()
            if not paths:
                raise
            return paths
        return []

    def conflicted(self) -> list[str]:
        """Return unmerged paths."""
        out = str(self.repo.run("diff", "--name-only", "--diff-filter=U", "-z"))
        return [p for p in out.split("\0") if p]

    def rebasing(self) -> bool:
        """Return whether a rebase is in progress."""
        git_dir = Path(str(self.repo.run("rev-parse", "--absolute-git-dir")))
        return (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists()

    def abort(self) -> None:
        """Abort a rebase in progress."""
        self.repo.run("rebase", "--abort")

    def take(self, paths: list[str], side: str) -> None:
        """Resolve conflicted paths by one side's whole file; `mine` = the local commit."""
        # While rebasing, "ours" is the branch being rebased onto (the remote).
        flag = "--theirs" if side == "mine" else "--ours"
        for path in paths:
            try:
                self.repo.run("checkout", flag, "--", path)
                self.repo.run("add", "--", path)
            except RepositoryError:
                # One side deleted the file.
                self.repo.run("rm", "--quiet", "--cached", "--ignore-unmatch", "--", path)
                target = self.repo.root / path
                if target.exists():
                    target.unlink()

    def cont(self, env: dict[str, str], signing: list[str]) -> list[str]:
        """Continue a rebase; return the next conflicted paths or []."""
        try:
            self.repo.run(
                *driver_options(),
                *signing,
                "-c",
                "core.editor=true",
                "rebase",
                "--continue",
                env=env,
            )
        except RepositoryError:
            paths = self.conflicted()
            if not paths:
                raise
            return paths
        return []

    def reset(self, commit: str) -> None:
        """Put the branch back where it was (working tree clean)."""
        self.repo.run("reset", "--quiet", "--keep", commit)

    def fast_forward(self, onto: str) -> None:
        """Move the branch forward to `onto`."""
        self.repo.run("merge", "--quiet", "--ff-only", onto)

    def push(self, branch: str) -> None:
        """Push the branch and the annotated tags it reaches."""
        self.repo.run("push", "--quiet", "--follow-tags", self.name, f"HEAD:refs/heads/{branch}")
        self.repo.run("push", "--quiet", "--tags", self.name)

    def blob(self, rev: str, path: str) -> str | None:
        """Return a file's text at a revision, or None."""
        data = self.repo.read_blob(rev, path)
        return data.decode("utf-8", "replace") if data is not None else None

    def merge_base(self, a: str, b: str) -> str | None:
        """Return the merge base of two commits, or None."""
        try:
            return str(self.repo.run("merge-base", a, b)) or None
        except RepositoryError:
            return None

    def tags_at(self, commits: list[str]) -> dict[str, list[str]]:
        """Return commit -> names of annotated tags pointing at it."""
        wanted = set(commits)
        out = str(
            self.repo.run("for-each-ref", "--format=%(*objectname) %(refname:short)", "refs/tags")
        )
        found: dict[str, list[str]] = {}
        for line in out.splitlines():
            sha, _, name = line.partition(" ")
            if sha in wanted:
                found.setdefault(sha, []).append(name)
        return found

    def move_tag(self, name: str, commit: str) -> None:
        """Re-create an annotated tag at another commit, keeping tagger, date and message."""
        fmt = "%(taggername)\x1f%(taggeremail)\x1f%(taggerdate:iso-strict)\x1f%(contents)"
        out = str(self.repo.run("for-each-ref", f"--format={fmt}", f"refs/tags/{name}"))
        who, mail, when, message = (out.split("\x1f") + ["", "", "", ""])[:4]
        env = {
            "GIT_COMMITTER_NAME": who,
            "GIT_COMMITTER_EMAIL": mail.strip("<>"),
            "GIT_COMMITTER_DATE": when,
        }
        self.repo.run(
            "tag", "--force", "--annotate", "-m", message, "--end-of-options", name, commit, env=env
        )
