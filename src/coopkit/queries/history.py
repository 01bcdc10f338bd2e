"""`coop log`: who changed what and when, with the version tags that name each commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from coopkit.queries.context import Context
from coopkit.queries.load import snapshot
from coopkit.queries.lookup import get_agreement
from coopkit.queries.versions import VERSION_SEP
from coopkit.store import layout
from coopkit.store.git import GitRepo


@dataclass(frozen=True)
class LogEntry:
    """One commit: who, when, what, which files, and the versions released at it."""

    commit: str
    author: str
    email: str
    date: datetime
    subject: str
    paths: tuple[str, ...]
    tags: list[str] = field(default_factory=list)


def log(ctx: Context, path: str | None = None, limit: int = 0) -> list[LogEntry]:
    """Return commits (newest first), all or those touching `path`, with their tags."""
    paths = [layout.safe_relpath(ctx.root, path)] if path else None
    with GitRepo(ctx.root) as repo:
        commits = repo.log(paths, limit=limit)
        tags: dict[str, list[str]] = {}
        for tag in repo.tags():
            tags.setdefault(tag.commit, []).append(tag.name)
    return [
        LogEntry(c.sha, c.author, c.email, c.date, c.subject, c.paths, tags.get(c.sha, []))
        for c in commits
    ]


def agreement_log(ctx: Context, agreement_id: str, limit: int = 0) -> list[LogEntry]:
    """Return the history of one agreement's folder; each version sits at the change it names."""
    get_agreement(snapshot(ctx), agreement_id)
    folder = f"agreements/{agreement_id}"
    prefix = agreement_id + VERSION_SEP
    with GitRepo(ctx.root) as repo:
        commits = repo.log([folder], limit=limit)
        tags: dict[str, list[str]] = {}
        for tag in repo.tags():
            if not tag.name.startswith(prefix):
                continue
            # A version may be tagged on a later commit that did not touch the agreement.
            named = repo.log([layout.agreement_path(agreement_id)], rev=tag.commit, limit=1)
            if named:
                tags.setdefault(named[0].sha, []).append(tag.name)
    return [
        LogEntry(c.sha, c.author, c.email, c.date, c.subject, c.paths, tags.get(c.sha, []))
        for c in commits
    ]
