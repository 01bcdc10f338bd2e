"""Working together over a shared git remote: add it, then sync (fetch, rebase, check, push)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from coopkit.errors import Problem, ProblemsFound, RepositoryError, T, UsageError
from coopkit.queries.check import check
from coopkit.queries.context import Context
from coopkit.queries.load import ProgressFn
from coopkit.services.repository import CommitResult, writing
from coopkit.store import layout
from coopkit.store.git import GitRepo, signing_options
from coopkit.store.lock import repository_lock
from coopkit.store.merge import MergeConflict, changed_fields, merge_record
from coopkit.store.remote import (
    ATTRIBUTES,
    Conflict,
    Remote,
    attributes_text,
    driver_command,
    identity,
)

Side = Literal["mine", "theirs"]


@dataclass(frozen=True)
class RemoteResult:
    """A configured remote and the commit that registered coop's merge driver."""

    name: str
    url: str
    commit: CommitResult | None


@dataclass
class SyncResult:
    """What a sync did: commits received and sent, tags moved, conflicts resolved."""

    remote: str
    branch: str
    received: int = 0
    sent: int = 0
    resolved: list[str] = field(default_factory=list)
    moved_tags: list[str] = field(default_factory=list)


class SyncConflict(RepositoryError):
    """Both sides changed the same record; the repository is left as it was before the sync."""

    def __init__(self, conflicts: list[Conflict], remote: str, branch: str) -> None:
        self.conflicts = conflicts
        lines = []
        for c in conflicts:
            kind = layout.kind_of(c.path) or "file"
            mine = ", ".join(changed_fields(c.base, c.local, c.path))
            theirs = ", ".join(changed_fields(c.base, c.remote, c.path))
            lines.append(
                T(
                    "{p} ({k}): hier geändert: {m}; auf {r}/{b} geändert: {t}",
                    "{p} ({k}): changed here: {m}; changed on {r}/{b}: {t}",
                    p=c.path,
                    k=kind,
                    m=mine,
                    t=theirs,
                    r=remote,
                    b=branch,
                )
            )
        super().__init__(
            T(
                "Konflikt: beide Seiten haben denselben Datensatz geändert; nichts wurde "
                "übernommen oder gesendet, das Repository ist wie vor dem Abgleich.\n{l}",
                "conflict: both sides changed the same record; nothing was integrated or "
                "sent, the repository is as it was before the sync.\n{l}",
                l=T(
                    "\n".join("  " + line.format("de") for line in lines),
                    "\n".join("  " + line.format("en") for line in lines),
                ),
            ),
            hint=T(
                "auflösen, indem eine Seite je Datensatz gewinnt:\n"
                "  coop sync --keep mine     (die eigene Fassung behalten)\n"
                "  coop sync --keep theirs   (die Fassung von {r}/{b} übernehmen)\n"
                "oder die eigene Änderung nach dem Abgleich neu eintragen",
                "resolve by letting one side win for each record:\n"
                "  coop sync --keep mine     (keep your version)\n"
                "  coop sync --keep theirs   (take the version on {r}/{b})\n"
                "or re-enter your change after syncing",
                r=remote,
                b=branch,
            ),
        )
        self.lines = lines


def add_remote(ctx: Context, name: str, url: str) -> RemoteResult:
    """Configure a git remote and register coop's merge driver (.gitattributes, one commit)."""
    with GitRepo(ctx.root) as repo:
        remote = Remote(repo, name)
        if remote.exists():
            raise UsageError(
                T("Gegenstelle „{n}“ gibt es schon", 'remote "{n}" already exists', n=name)
            )
        remote.add(url)
        install_driver(repo)
    return RemoteResult(name, url, ensure_attributes(ctx))


def install_driver(repo: GitRepo) -> None:
    """Define the merge driver in the clone's own git config (not shared by git)."""
    repo.run("config", "merge.coop.name", "coop: Datensätze feldweise zusammenführen")
    repo.run("config", "merge.coop.driver", driver_command())


def ensure_attributes(ctx: Context) -> CommitResult | None:
    """Commit .gitattributes naming coop's merge driver for records, unless it is there."""
    target = ctx.root / ATTRIBUTES
    with writing(ctx) as tx:
        # Read under the lock, like every write.
        existing = target.read_text("utf-8") if target.is_file() else ""
        wanted = attributes_text(existing)
        if wanted == existing:
            return None
        tx.changes[ATTRIBUTES] = wanted.encode("utf-8")
        return tx.commit(
            T(
                "Datensätze feldweise zusammenführen (.gitattributes)",
                "Merge records field by field (.gitattributes)",
            )
        )


def _problem_keys(problems: list[Problem]) -> set[tuple[str, str, str]]:
    return {(p.source.path, p.code, p.message.en) for p in problems}


StepFn = Callable[[T], None]
"""Told when sync starts its next step (fetch, check, rebase, re-check, push)."""


def sync(
    ctx: Context,
    remote_name: str = "origin",
    keep: Side | None = None,
    *,
    progress: ProgressFn | None = None,
    step: StepFn | None = None,
) -> SyncResult:
    """Fetch, rebase local commits onto the remote branch, re-check, push; all or nothing.

    `step` is told what each step does as it starts; `progress` counts the records read by
    the checks before and after the rebase.
    """

    def tell(label: T) -> None:
        if step is not None:
            step(label)

    author = ctx.author()
    env = identity(author)
    with repository_lock(ctx.root, ctx.lock_wait), GitRepo(ctx.root) as repo:
        remote = Remote(repo, remote_name)
        if not remote.exists():
            raise UsageError(
                T(
                    "keine Gegenstelle „{n}“; zuerst: coop remote add {n} URL",
                    'no remote "{n}"; first: coop remote add {n} URL',
                    n=remote_name,
                )
            )
        if remote.rebasing():
            raise RepositoryError(
                T(
                    "ein Rebase ist unterbrochen; erst beenden (git rebase --continue) oder "
                    "verwerfen (git rebase --abort)",
                    "a rebase is in progress; finish it (git rebase --continue) or drop it "
                    "(git rebase --abort)",
                )
            )
        dirty = [p for p in repo.status_paths() if not p.startswith(layout.INDEX_DIR)]
        tracked_dirty = [p for p in dirty if repo.read_blob("HEAD", p) is not None]
        if tracked_dirty:
            raise UsageError(
                T(
                    "nicht übernommene Änderungen an {p}; erst übernehmen (coop commit -m … PFAD) "
                    "oder verwerfen (git checkout -- PFAD), dann abgleichen",
                    "uncommitted changes to {p}; commit them (coop commit -m … PATH) or drop "
                    "them (git checkout -- PATH), then sync",
                    p=", ".join(tracked_dirty[:5]),
                )
            )
        install_driver(repo)
        branch = remote.branch()
        tell(T("Abrufen von {r}", "fetching from {r}", r=remote_name))
        remote.fetch()
        start = repo.head()
        upstream = remote.remote_head(branch)
        result = SyncResult(remote_name, branch)
        if start is None:
            raise RepositoryError(T("leeres Repository", "empty repository"))
        if upstream is not None:
            local_only = remote.commits(f"{upstream}..{start}")
            result.received = len(remote.commits(f"{start}..{upstream}"))
            result.sent = len(local_only)
            if result.received and not local_only:
                tell(
                    T(
                        "{n} Commit(s) von {r}/{b} übernehmen",
                        "taking {n} commit(s) from {r}/{b}",
                        n=result.received,
                        r=remote_name,
                        b=branch,
                    )
                )
                remote.fast_forward(upstream)
            elif result.received:
                tell(T("Eigenen Stand prüfen", "checking the local state"))
                before = _problem_keys(check(ctx, progress=progress))
                signing = _signing(ctx, progress)
                tags = remote.tags_at(local_only)
                tell(
                    T(
                        "{n} eigene(n) Commit(s) auf {r}/{b} setzen",
                        "rebasing {n} local commit(s) onto {r}/{b}",
                        n=len(local_only),
                        r=remote_name,
                        b=branch,
                    )
                )
                try:
                    conflicted = remote.rebase(upstream, env, signing)
                    while conflicted:
                        if keep is None:
                            conflicts = _describe(remote, start, upstream, conflicted)
                            remote.abort()
                            raise SyncConflict(conflicts, remote_name, branch)
                        remote.take(conflicted, keep)
                        result.resolved += conflicted
                        conflicted = remote.cont(env, signing)
                except BaseException:
                    # Nothing half-done: an interrupted or failed rebase is undone.
                    if remote.rebasing():
                        remote.abort()
                    raise
                new_head = repo.head() or start
                rebased = remote.commits(f"{upstream}..{new_head}")
                if len(rebased) == len(local_only):
                    for old, new in zip(local_only, rebased, strict=True):
                        for tag in tags.get(old, []):
                            remote.move_tag(tag, new)
                            result.moved_tags.append(tag)
                tell(T("Zusammengeführten Stand prüfen", "checking the integrated state"))
                added = [
                    p
                    for p in check(ctx, progress=progress)
                    if (p.source.path, p.code, p.message.en) not in before
                ]
                if added:
                    remote.reset(start)
                    for tag in result.moved_tags:
                        old = local_only[rebased.index(remote.repo.resolve(tag))]
                        remote.move_tag(tag, old)
                    raise ProblemsFound(
                        added,
                        T(
                            "der zusammengeführte Stand hätte {n} neue(s) Problem(e); nichts wurde "
                            "gesendet, das Repository ist wie vor dem Abgleich. Die Probleme auf "
                            "der eigenen Seite beheben (oder mit den Partnern klären), dann "
                            "erneut: coop sync",
                            "the integrated state would have {n} new problem(s); nothing was "
                            "sent, the repository is as it was before the sync. Fix them on your "
                            "side (or settle them with the partners), then again: coop sync",
                            n=len(added),
                        ),
                    )
        else:
            result.sent = len(remote.commits(start))
        tell(T("Senden an {r}/{b}", "pushing to {r}/{b}", r=remote_name, b=branch))
        remote.push(branch)
    return result


def _signing(ctx: Context, progress: ProgressFn | None = None) -> list[str]:
    from coopkit.queries.load import snapshot

    config = snapshot(ctx, progress=progress).data.config
    if config is None or not config.value.signing.sign_commits:
        return []
    if ctx.ssh_key is None:
        raise UsageError(
            T(
                "coop.toml verlangt signierte Commits; zum Abgleich (Rebase signiert neu) bitte "
                "--ssh-key SCHLÜSSEL oder COOP_SSH_KEY",
                "coop.toml requires signed commits; syncing re-signs rebased commits: pass "
                "--ssh-key KEY or set COOP_SSH_KEY",
            )
        )
    return signing_options(ctx.ssh_key)


def _describe(remote: Remote, start: str, upstream: str, paths: list[str]) -> list[Conflict]:
    base = remote.merge_base(start, upstream)
    return [
        Conflict(
            path,
            remote.blob(base, path) if base else None,
            remote.blob(upstream, path),
            remote.blob(start, path),
        )
        for path in paths
    ]


def merge_files(base: Path, ours: Path, theirs: Path, path: str) -> str | None:
    """Merge three versions of a record into `ours` (git's merge driver); None or the clash."""
    try:
        texts = [p.read_bytes().decode("utf-8") for p in (base, ours, theirs)]
        merged = merge_record(texts[0], texts[1], texts[2], path or str(ours))
    except UnicodeDecodeError:
        return "(encoding)"
    except MergeConflict as err:
        return err.where
    ours.write_bytes(merged.encode("utf-8"))
    return None
