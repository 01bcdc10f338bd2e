"""Loading and checking a repository, and committing changes to it."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from coopkit.errors import Problem, ProblemsFound, RepositoryError, T, sorted_problems
from coopkit.index.cache import ParseCacheDB
from coopkit.model.checks import check_repository
from coopkit.model.repo import RepoData
from coopkit.services.context import Context
from coopkit.store import layout
from coopkit.store.atomic import remove_file, write_atomic
from coopkit.store.files import (
    FileSource,
    Memo,
    ParseCache,
    Revision,
    WorkTree,
    load_repository,
)
from coopkit.store.git import GitRepo
from coopkit.store.lock import repository_lock


@dataclass(frozen=True)
class Loaded:
    """A repository's records and every problem found in them."""

    data: RepoData
    problems: list[Problem]


def load(source: FileSource, cache: ParseCache | None = None, memo: Memo | None = None) -> Loaded:
    """Parse all records (through the parse caches when given) and run every rule over them."""
    data, problems = load_repository(source, cache, memo)
    problems = problems + check_repository(data)
    return Loaded(data, sorted_problems(problems))


def load_worktree(ctx: Context) -> Loaded:
    """Load the repository as it is on disk."""
    with ParseCacheDB(ctx.root) as cache:
        return load(WorkTree(ctx.root), cache)


def load_revision(ctx: Context, rev: str) -> Loaded:
    """Load the repository as it was at a git revision."""
    with GitRepo(ctx.root) as repo, ParseCacheDB(ctx.root) as cache:
        commit = repo.resolve(rev)
        return load(Revision(repo, commit), cache)


def require_data(ctx: Context) -> RepoData:
    """Load the working tree for a read command; files that fail to parse are left out."""
    return load_worktree(ctx).data


@dataclass(frozen=True)
class CommitResult:
    """What a write command did."""

    commit: str
    paths: list[str]
    message: str


def commit_changes(
    ctx: Context,
    changes: Mapping[str, bytes | None],
    message: str,
    when: date | datetime | None = None,
) -> CommitResult:
    """Validate, write and commit `changes` (path -> new bytes, None deletes) as one commit.

    The change is checked with the files it writes laid over the working tree; any problem it
    would add refuses the whole change before a byte is written. A failed commit restores every
    file it wrote.
    """
    for path in changes:
        if layout.safe_relpath(ctx.root, path) != path:
            raise RepositoryError(T("ungültiger Pfad „{p}“", 'invalid path "{p}"', p=path))
    author = ctx.author()
    with repository_lock(ctx.root, ctx.lock_wait):
        memo: Memo = {}
        with ParseCacheDB(ctx.root) as cache:
            before = {_key(p) for p in load(WorkTree(ctx.root), cache, memo).problems}
            after = load(WorkTree(ctx.root, overlay=dict(changes)), cache, memo).problems
        new = [p for p in after if _key(p) not in before or p.source.path in changes]
        if new:
            raise ProblemsFound(new)
        previous: dict[str, bytes | None] = {}
        for path in changes:
            target = ctx.root / path
            previous[path] = target.read_bytes() if target.is_file() else None
        try:
            for path, data in changes.items():
                _apply(ctx.root / path, data)
            with GitRepo(ctx.root) as repo:
                commit = repo.commit_paths(sorted(changes), message, author, when)
        except BaseException:
            for path, data in previous.items():
                with contextlib.suppress(OSError):
                    _apply(ctx.root / path, data)
            raise
    return CommitResult(commit, sorted(changes), message)


def _key(problem: Problem) -> tuple[str, int, int, str]:
    """Identify a problem by place and kind: its wording may name things the change added."""
    return (problem.source.path, problem.source.line, problem.source.col, problem.code)


def _apply(target: Path, data: bytes | None) -> None:
    if data is None:
        if target.exists():
            remove_file(target)
    else:
        write_atomic(target, data)
