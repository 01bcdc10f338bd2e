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
from coopkit.store.merge import (
    MergeConflict,
    Merged,
    changed_fields,
    conflicting_fields,
    merge_record,
    merge_texts,
)
from coopkit.store.merge import Side as MergeSide
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
            clash = ", ".join(_clashing(c))
            lines.append(
                T(
                    "{p} ({k}): hier geändert: {m}; auf {r}/{b} geändert: {t}"
                    + ("; widersprüchlich: {c}" if clash else ""),
                    "{p} ({k}): changed here: {m}; changed on {r}/{b}: {t}"
                    + ("; in conflict: {c}" if clash else ""),
                    p=c.path,
                    k=kind,
                    m=mine,
                    t=theirs,
                    r=remote,
                    b=branch,
                    c=clash,
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
                "auflösen, indem bei jedem Widerspruch eine Seite gewinnt (jede andere Änderung "
                "beider Seiten bleibt):\n"
                "  coop sync --keep mine     (die eigene Fassung behalten)\n"
                "  coop sync --keep theirs   (die Fassung von {r}/{b} übernehmen)\n"
                "oder die eigene Änderung nach dem Abgleich neu eintragen",
                "resolve by letting one side win where the two contradict (every other change of "
                "both sides stays):\n"
                "  coop sync --keep mine     (keep your version)\n"
                "  coop sync --keep theirs   (take the version on {r}/{b})\n"
                "or re-enter your change after syncing",
                r=remote,
                b=branch,
            ),
        )
        self.lines = lines


def _clashing(conflict: Conflict) -> list[str]:
    """Return the fields both sides changed differently; only these need `--keep`."""
    if conflict.base is None or conflict.local is None or conflict.remote is None:
        return []
    try:
        return conflicting_fields(conflict.base, conflict.remote, conflict.local, conflict.path)
    except MergeConflict:
        return []


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
                _refuse_published_tags(remote, tags, branch)
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
                        conflicted, settled = _settle(remote, conflicted, keep)
                        if conflicted:
                            conflicts = _describe(remote, start, upstream, conflicted)
                            remote.abort()
                            raise SyncConflict(conflicts, remote_name, branch)
                        result.resolved += settled
                        conflicted = remote.cont(env, signing)
                except BaseException:
                    # Nothing half-done: an interrupted or failed rebase is undone.
                    if remote.rebasing():
                        remote.abort()
                    raise
                origins = _move_tags(remote, tags, local_only, upstream, start)
                result.moved_tags += origins
                tell(T("Zusammengeführten Stand prüfen", "checking the integrated state"))
                added = [
                    p
                    for p in check(ctx, progress=progress)
                    if (p.source.path, p.code, p.message.en) not in before
                ]
                if added:
                    remote.reset(start)
                    for tag, old in origins.items():
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


# While rebasing, git's "ours" (index stage 2) is the branch rebased onto: the remote.
_PREFER: dict[Side, MergeSide] = {"mine": "theirs", "theirs": "ours"}


def _settle(remote: Remote, paths: list[str], keep: Side | None) -> tuple[list[str], list[str]]:
    """Merge conflicted records field by field; `keep` decides only the fields both changed.

    Returns:
        (paths still in conflict, paths where `keep` decided).
    """
    left: list[str] = []
    decided: list[str] = []
    for path in paths:
        texts = [remote.blob(f":{stage}", path) for stage in (1, 2, 3)]
        merged: Merged | None = None
        if layout.kind_of(path) not in (None, "config") and None not in texts[1:]:
            try:
                merged = merge_texts(
                    texts[0] or "",
                    texts[1] or "",
                    texts[2] or "",
                    path,
                    _PREFER[keep] if keep is not None else None,
                )
            except MergeConflict:
                merged = None
        if merged is not None:
            (remote.repo.root / path).write_bytes(merged.text.encode("utf-8"))
            remote.repo.run("add", "--", path)
            if merged.settled:
                decided.append(path)
        elif keep is not None:
            # Unreadable, deleted on one side, or not a record: one side's whole file.
            remote.take([path], keep)
            decided.append(path)
        else:
            left.append(path)
    return left, decided


def _refuse_published_tags(remote: Remote, tags: dict[str, list[str]], branch: str) -> None:
    """Refuse to rewrite a local commit whose version tag is already on the remote."""
    names = [name for found in tags.values() for name in found]
    if not names:
        return
    out = str(remote.repo.run("ls-remote", "--tags", "--refs", remote.name))
    published = sorted(
        {line.split("\t", 1)[-1].removeprefix("refs/tags/") for line in out.splitlines()}
        & set(names)
    )
    if published:
        raise RepositoryError(
            T(
                "{t} ist schon auf {r} veröffentlicht, der Commit dazu aber nicht auf {r}/{b}; "
                "der Abgleich würde ihn neu schreiben, und eine veröffentlichte Fassung wird nie "
                "verschoben. Nichts wurde übernommen oder gesendet.",
                "{t} is already published on {r}, but its commit is not on {r}/{b}; the sync "
                "would rewrite that commit, and a published version is never moved. Nothing was "
                "integrated or sent.",
                t=", ".join(published),
                r=remote.name,
                b=branch,
            ),
            hint=T(
                "mit den Partnern klären, wer {r}/{b} zurückgesetzt hat; den Commit der Fassung "
                "wieder auf {r}/{b} bringen, dann erneut: coop sync",
                "settle with the partners who reset {r}/{b}; bring the version's commit back "
                "onto {r}/{b}, then again: coop sync",
                r=remote.name,
                b=branch,
            ),
        )


def _rewritten(remote: Remote, local_only: list[str], upstream: str) -> dict[str, str]:
    """Return old commit -> the commit the rebase made of it (its parent, when dropped)."""
    fmt = "%H%x1f%an%x1f%ae%x1f%ad%x1f%B%x1e"
    ranges = {"old": local_only, "new": remote.commits(f"{upstream}..HEAD")}
    keys: dict[str, list[tuple[str, str]]] = {}
    for side, commits in ranges.items():
        keys[side] = []
        if not commits:
            continue
        out = str(remote.repo.run("show", "--no-patch", "--date=raw", f"--format={fmt}", *commits))
        for record in out.split("\x1e"):
            sha, _, rest = record.strip("\n").partition("\x1f")
            if sha:
                keys[side].append((sha, rest))
    # A rebase keeps author, date and message; a commit left empty by --keep is dropped.
    fresh = {rest: sha for sha, rest in keys["new"]}
    result: dict[str, str] = {}
    carried = upstream
    for sha, rest in keys["old"]:
        carried = fresh.pop(rest, carried)
        result[sha] = carried
    return result


def _move_tags(
    remote: Remote, tags: dict[str, list[str]], local_only: list[str], upstream: str, start: str
) -> dict[str, str]:
    """Move local version tags to the commits the rebase made; return tag -> old commit.

    A version's text must come through the rebase unchanged; otherwise the rebase is undone and
    the version explained, as its content hash would no longer hold.
    """
    if not tags:
        return {}
    new_of = _rewritten(remote, local_only, upstream)
    moves: dict[str, tuple[str, str]] = {}
    changed: list[str] = []
    for old, names in tags.items():
        new = new_of.get(old, old)
        for name in names:
            agreement = layout.agreement_path(name.split("/", 1)[0])
            if remote.blob(old, agreement) != remote.blob(new, agreement):
                changed.append(name)
            moves[name] = (old, new)
    if changed:
        remote.reset(start)
        raise RepositoryError(
            T(
                "die Fassung {t} wurde hier veröffentlicht, aber noch nicht gesendet; der "
                "Abgleich würde ihren Text ändern, ihr Inhalts-Hash stimmte dann nicht mehr. "
                "Nichts wurde übernommen oder gesendet, das Repository ist wie vor dem Abgleich.",
                "version {t} was released here but not sent yet; the sync would change its "
                "text, so its content hash would no longer hold. Nothing was integrated or sent, "
                "the repository is as it was before the sync.",
                t=", ".join(sorted(changed)),
            ),
            hint=T(
                "die Fassung zurücknehmen (git tag -d {t}), abgleichen, den Text prüfen und "
                "erneut veröffentlichen (coop agreement release)",
                "take the version back (git tag -d {t}), sync, review the text and release it "
                "again (coop agreement release)",
                t=" ".join(sorted(changed)),
            ),
        )
    for name, (old, new) in moves.items():
        if new != old:
            remote.move_tag(name, new)
    return {name: old for name, (old, new) in moves.items() if new != old}


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
