"""Working together over a shared git remote: add it, then sync (fetch, rebase, check, push)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from coopkit.errors import Problem, ProblemsFound, RepositoryError, Source, T, UsageError
from coopkit.model.erasure import Erasure
from coopkit.queries.check import check
from coopkit.queries.context import Context
from coopkit.queries.load import ProgressFn
from coopkit.services.repository import CommitResult
from coopkit.store import layout
from coopkit.store.git import Commit, GitRepo, signing_options
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
    COOP_DIR,
    Conflict,
    Remote,
    TagClash,
    driver_command,
    fix_bare_head,
    identity,
    install_attributes,
    local_path,
)

Side = Literal["mine", "theirs"]


@dataclass(frozen=True)
class RemoteResult:
    """A configured remote; `notes` say what was set up on it (e.g. its HEAD)."""

    name: str
    url: str
    commit: CommitResult | None
    """Always None: coop's merge settings live in the clone's git directory, not in a commit."""
    notes: list[T] = field(default_factory=list)


@dataclass(frozen=True)
class Incoming:
    """A problem that arrived with another clone's commits: reported, never counted as valid."""

    problem: Problem
    commit: str | None
    """The short id of the newest received commit that changed the file (None: none did)."""
    author: str | None


@dataclass(frozen=True)
class Dropped:
    """A commit this clone saw on the remote that the remote's branch no longer holds."""

    commit: str
    author: str
    subject: str


Rewrite = Literal["restore", "accept"]
"""What to do when the remote's history was rewritten: send ours back, or take theirs."""


@dataclass
class SyncResult:
    """What a sync did: commits received and sent, tags moved, conflicts resolved, what arrived.

    `incoming` and `tag_clashes` are problems the sync found in what it received; the sync still
    completed (the CLI exits 1 for them).
    """

    remote: str
    branch: str
    received: int = 0
    sent: int = 0
    resolved: list[str] = field(default_factory=list)
    moved_tags: list[str] = field(default_factory=list)
    incoming: list[Incoming] = field(default_factory=list)
    tag_clashes: list[TagClash] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    rewrite: Rewrite | None = None
    erasures: list[str] = field(default_factory=list)
    """Erasure records taken over with this sync (their paths)."""
    notes: list[T] = field(default_factory=list)

    @property
    def problems_found(self) -> bool:
        """Return whether anything received has problems (a forged record, a moved tag)."""
        return bool(self.incoming or self.tag_clashes)


class RewrittenHistory(RepositoryError):
    """The remote branch no longer holds commits this clone saw there; nothing was done."""

    SHOWN = 20

    def __init__(self, dropped: list[Dropped], remote: str, branch: str) -> None:
        self.dropped = dropped
        lines = [f"  {d.commit} {d.author}: {d.subject}" for d in dropped[: self.SHOWN]]
        if len(dropped) > self.SHOWN:
            lines.append(f"  … (+{len(dropped) - self.SHOWN})")
        listing = "\n".join(lines)
        super().__init__(
            T(
                "die Geschichte auf {r}/{b} wurde umgeschrieben: {n} Commit(s), die dieser Klon "
                "dort gesehen hat, fehlen jetzt; nichts wurde übernommen oder gesendet",
                "the history on {r}/{b} was rewritten: {n} commit(s) this clone saw there are "
                "gone; nothing was integrated or sent",
                r=remote,
                b=branch,
                n=len(dropped),
            ),
            hint=T(
                "{l}\nmit den Partnern klären, wer den Zweig überschrieben hat, dann:\n"
                "  coop sync --restore          (die eigene Geschichte zurücksenden: die "
                "fehlenden Commits kommen wieder hinzu)\n"
                "  coop sync --accept-rewrite   (die Geschichte von {r}/{b} übernehmen: die "
                "fehlenden Commits entfallen, eigene neue werden daraufgesetzt)",
                "{l}\nsettle with the partners who overwrote the branch, then:\n"
                "  coop sync --restore          (send your history back: the missing commits "
                "are added again)\n"
                "  coop sync --accept-rewrite   (take the history on {r}/{b}: the missing "
                "commits are dropped, your new ones go on top)",
                r=remote,
                b=branch,
                l=listing,
            ),
        )


class TrackedCoopDir(RepositoryError):
    """Received commits track files under `.coop/`; nothing was integrated."""

    def __init__(self, found: list[tuple[str, str, str]], remote: str, branch: str) -> None:
        listing = "\n".join(f"  {c} ({a}): {p}" for c, a, p in found[:20])
        super().__init__(
            T(
                "{r}/{b} verfolgt Dateien unter .coop/, die jedem Klon selbst gehören (Sperre, "
                "Index); nichts wurde übernommen, .coop/ dieses Klons ist unverändert",
                "{r}/{b} tracks files under .coop/, which belong to each clone itself (lock, "
                "index); nothing was integrated, this clone's .coop/ is unchanged",
                r=remote,
                b=branch,
            ),
            hint=T(
                "{l}\ndie Organisation bitten, sie aus git zu nehmen (git rm -r --cached .coop, "
                "committen, senden), dann erneut: coop sync",
                "{l}\nask the organisation to take them out of git (git rm -r --cached .coop, "
                "commit, push), then again: coop sync",
                l=listing,
            ),
        )


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
    """Configure a git remote, coop's merge settings and, for a local bare remote, its HEAD."""
    with GitRepo(ctx.root) as repo:
        remote = Remote(repo, name)
        if remote.exists():
            raise UsageError(
                T("Gegenstelle „{n}“ gibt es schon", 'remote "{n}" already exists', n=name)
            )
        remote.add(url)
        install_driver(repo)
        install_attributes(repo)
        notes = _remote_head(repo, remote, ctx.root, url, remote.branch(), pushed=False)
    return RemoteResult(name, url, None, notes)


def install_driver(repo: GitRepo) -> None:
    """Define the merge driver in the clone's own git config (not shared by git)."""
    repo.run("config", "merge.coop.name", "coop: Datensätze feldweise zusammenführen")
    repo.run("config", "merge.coop.driver", driver_command())


def _remote_head(
    repo: GitRepo, remote: Remote, root: Path, url: str, branch: str, *, pushed: bool
) -> list[T]:
    """Point a local bare remote's HEAD at the shared branch; otherwise say how, if needed."""
    path = local_path(url, root)
    if path is not None:
        if fix_bare_head(repo, path, branch):
            return [
                T(
                    "HEAD der Gegenstelle zeigt jetzt auf {b} (Klone checken {b} aus)",
                    "the remote's HEAD now points at {b} (clones check out {b})",
                    b=branch,
                )
            ]
        return []
    if pushed and remote.dangling_head(branch):
        return [
            T(
                "der Standardzweig der Gegenstelle ist nicht {b}: Klone checken nichts aus. "
                "Auf der Plattform {b} als Standardzweig einstellen (bei einem Bare-Repository "
                "auf dem Server: git symbolic-ref HEAD refs/heads/{b})",
                "the remote's default branch is not {b}: clones check out nothing. Set {b} as "
                "default branch on the platform (for a bare repository on a server: "
                "git symbolic-ref HEAD refs/heads/{b})",
                b=branch,
            )
        ]
    return []


def _problem_keys(problems: list[Problem]) -> set[tuple[str, str, str]]:
    return {(p.source.path, p.code, p.message.en) for p in problems}


StepFn = Callable[[T], None]
"""Told when sync starts its next step (fetch, check, rebase, re-check, push)."""


def sync(
    ctx: Context,
    remote_name: str = "origin",
    keep: Side | None = None,
    *,
    rewrite: Rewrite | None = None,
    progress: ProgressFn | None = None,
    step: StepFn | None = None,
) -> SyncResult:
    """Fetch, rebase local commits onto the remote branch, re-check, push; all or nothing.

    What arrives is another organisation's work: problems in it are reported (`incoming`) and
    never block sending our own commits; only problems our own commits add stop the sync. A
    remote branch that dropped commits this clone saw stops the sync until `rewrite` says what
    to do. `step` is told what each step does as it starts; `progress` counts the records read
    by the checks before and after integrating.
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
        tracked_dirty = repo.changed_tracked(layout.INDEX_DIR)
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
        install_attributes(repo)
        branch = remote.branch()
        seen = remote.seen(branch)
        tell(T("Abrufen von {r}", "fetching from {r}", r=remote_name))
        remote.fetch()
        clashes, only_ours = remote.tags()
        start = repo.head()
        upstream = remote.remote_head(branch)
        result = SyncResult(remote_name, branch, tag_clashes=clashes, rewrite=rewrite)
        if start is None:
            raise RepositoryError(T("leeres Repository", "empty repository"))
        erased = _erased_commits(ctx, repo, "HEAD")
        adopted = _erasures_arrived(ctx, remote, seen, upstream, result)
        for record in adopted:
            erased |= {c.old for c in record.commits}
        if upstream is not None:
            _refuse_erased(repo, upstream, erased, remote_name, branch)
        if adopted:
            result.rewrite = "accept"
            _take_moved_tags(remote, adopted, result, only_ours)
        since = _check_rewrite(remote, seen, upstream, result)
        if upstream is not None:
            incoming = remote.log(f"{start}..{upstream}")
            short = remote.short([c.sha for c in incoming])
            _refuse_coop_dir(remote, upstream, incoming, short, result)
            base = since or upstream
            local_only = remote.commits(f"{base}..{start}")
            result.received = len(incoming)
            result.sent = len(local_only)
            if since is not None or (result.received and local_only):
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
                    conflicted = remote.rebase(upstream, env, signing, since)
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
                result.sent = len(remote.commits(f"{upstream}..HEAD"))
                tell(T("Zusammengeführten Stand prüfen", "checking the integrated state"))
                own, received = _split(
                    check(ctx, progress=progress),
                    before,
                    remote.log(f"{base}..{start}"),
                    incoming,
                    short,
                )
                if own:
                    remote.reset(start)
                    for tag, old in origins.items():
                        remote.move_tag(tag, old)
                    raise ProblemsFound(
                        own,
                        T(
                            "die eigenen Commits brächten {n} neue(s) Problem(e) in den "
                            "zusammengeführten Stand; nichts wurde gesendet, das Repository ist "
                            "wie vor dem Abgleich. Die Probleme auf der eigenen Seite beheben "
                            "(oder mit den Partnern klären), dann erneut: coop sync",
                            "your own commits would add {n} new problem(s) to the integrated "
                            "state; nothing was sent, the repository is as it was before the "
                            "sync. Fix them on your side (or settle them with the partners), "
                            "then again: coop sync",
                            n=len(own),
                        ),
                    )
                result.incoming += received
            elif result.received:
                tell(T("Eigenen Stand prüfen", "checking the local state"))
                before = _problem_keys(check(ctx, progress=progress))
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
                tell(T("Übernommenen Stand prüfen", "checking the received state"))
                _, received = _split(check(ctx, progress=progress), before, [], incoming, short)
                result.incoming += received
        else:
            result.sent = len(remote.commits(start))
        if since is not None:
            # Tags on the dropped commits stay here: sending them would bring those back.
            local = remote.local_tags()
            only_ours = [t for t in only_ours if remote.is_ancestor(local[t][1], "HEAD")]
        _refuse_erased(repo, "HEAD", erased, remote_name, branch, sending=True)
        tell(T("Senden an {r}/{b}", "pushing to {r}/{b}", r=remote_name, b=branch))
        remote.push(branch, only_ours)
        head = repo.head()
        if head is not None:
            remote.remember(branch, head)
        if adopted:
            tell(T("Alte Objekte entfernen", "dropping the old objects"))
            _forget_erased(repo, adopted)
        if upstream is None:
            url = str(repo.run("remote", "get-url", "--", remote_name))
            result.notes += _remote_head(repo, remote, ctx.root, url, branch, pushed=True)
    result.incoming.sort(key=lambda i: i.problem.sort_key())
    return result


def _erased_commits(ctx: Context, repo: GitRepo, rev: str) -> set[str]:
    """Return the old commit ids named by the erasure records at `rev` that count here.

    A record counts only when a coordinator key this clone trusts signed it: anyone else's
    list of "erased" commits must not make the sync refuse the history it names.
    """
    from coopkit.queries.erasure import erasures, read_records
    from coopkit.queries.load import snapshot
    from coopkit.queries.trust import effective_roots

    if not read_records(repo, rev):
        return set()
    return erasures(repo, rev, effective_roots(snapshot(ctx)).pins).erased()


def _refuse_erased(
    repo: GitRepo, rev: str, erased: set[str], remote: str, branch: str, *, sending: bool = False
) -> None:
    """Refuse a history that holds commits an erasure replaced: the erased data would be back."""
    from coopkit.queries.erasure import erased_back

    back = erased_back(repo, rev, erased)
    if not back:
        return
    commits = ", ".join(sorted(sha[:12] for sha in back)[:5])
    if sending:
        raise RepositoryError(
            T(
                "der eigene Stand enthält Commits, die eine Löschung ersetzt hat ({c}); er wird "
                "nicht gesendet, die gelöschten Daten kämen sonst zurück. Nichts wurde gesendet.",
                "the local state holds commits an erasure replaced ({c}); it is not sent, or the "
                "erased data would be back. Nothing was sent.",
                c=commits,
            ),
            hint=T(
                "die eigene Arbeit auf den neuen Stand setzen: git rebase --onto {r}/{b} …",
                "move your own work onto the new state: git rebase --onto {r}/{b} …",
                r=remote,
                b=branch,
            ),
        )
    raise RepositoryError(
        T(
            "{r}/{b} enthält wieder Commits, die eine Löschung ersetzt hat ({c}): die gelöschten "
            "Daten sind dort zurück. Nichts wurde übernommen oder gesendet.",
            "{r}/{b} holds commits an erasure replaced again ({c}): the erased data is back "
            "there. Nothing was integrated or sent.",
            r=remote,
            b=branch,
            c=commits,
        ),
        hint=T(
            "mit der Organisation klären, die die alte Geschichte gesendet hat; der Koordinator "
            "setzt {r}/{b} auf den Stand nach der Löschung zurück",
            "settle it with the organisation that sent the old history; the coordinator resets "
            "{r}/{b} to the state after the erasure",
            r=remote,
            b=branch,
        ),
    )


def _erasures_arrived(
    ctx: Context, remote: Remote, seen: str | None, upstream: str | None, result: SyncResult
) -> list[Erasure]:
    """Return the erasures that explain a rewritten remote branch, checked; [] when none do.

    An erasure counts only when signed by a coordinator key this clone trusts, when it maps
    every commit this clone saw there and the remote lacks, and when each rewritten commit
    this clone can compare differs from its old one only by what the record names.
    """
    from coopkit.queries.erasure import read_records, rewrite_problems, signature_problem
    from coopkit.queries.load import snapshot
    from coopkit.queries.trust import effective_roots

    if seen is None or upstream is None or remote.is_ancestor(seen, upstream):
        return []
    known = {path for path, _, _ in read_records(remote.repo, "HEAD")}
    fresh = [found for found in read_records(remote.repo, upstream) if found[0] not in known]
    if not fresh:
        return []
    roots = effective_roots(snapshot(ctx)).pins
    records: list[Erasure] = []
    for path, record, problems in sorted(
        fresh, key=lambda f: (f[1].date, f[1].id) if f[1] else (date.min, "")
    ):
        why: T | None = problems[0].message if problems else None
        if record is not None:
            why = signature_problem(record, roots)
        if why is None and record is not None:
            reasons = rewrite_problems(remote.repo.root, record)
            if reasons:
                why = reasons[0]
        if why is not None or record is None:
            raise RepositoryError(
                T(
                    "die Geschichte auf {r}/{b} wurde umgeschrieben; der Löschvermerk {p} zählt "
                    "nicht: {w}. Nichts wurde übernommen oder gesendet.",
                    "the history on {r}/{b} was rewritten; the erasure record {p} does not "
                    "count: {w}. Nothing was integrated or sent.",
                    r=result.remote,
                    b=result.branch,
                    p=path,
                    w=why or "",
                )
            )
        records.append(record)
        result.erasures.append(path)
    mapped: dict[str, str] = {}
    for record in records:
        step = record.new_of()
        mapped = {old: step.get(new, new) for old, new in mapped.items()} | step
    lost = [sha for sha in remote.commits(f"{upstream}..{seen}") if sha not in mapped]
    if lost or not remote.is_ancestor(mapped.get(seen, seen), upstream):
        raise RepositoryError(
            T(
                "die Geschichte auf {r}/{b} wurde umgeschrieben, aber der Löschvermerk ordnet "
                "{n} Commit(s) keinem neuen zu; nichts wurde übernommen oder gesendet",
                "the history on {r}/{b} was rewritten, but the erasure record maps {n} "
                "commit(s) to no new one; nothing was integrated or sent",
                r=result.remote,
                b=result.branch,
                n=len(lost) or 1,
            )
        )
    result.notes.append(
        T(
            "Löschung aus der Geschichte übernommen ({p}): die eigenen neuen Commits stehen auf "
            "dem neuen Stand, die alten Objekte sind hier entfernt",
            "erasure from the history taken over ({p}): your own new commits sit on the new "
            "state, the old objects are removed here",
            p=", ".join(result.erasures),
        )
    )
    return records


def _take_moved_tags(
    remote: Remote, records: list[Erasure], result: SyncResult, only_ours: list[str]
) -> None:
    """Take the remote's tags an erasure moved; move own tags on replaced commits likewise."""
    moved: dict[str, str] = {}
    for record in records:
        moved |= {c.old: c.new for c in record.commits}
    local = remote.local_tags()
    taken = []
    left = []
    for clash in result.tag_clashes:
        if moved.get(clash.ours) == clash.theirs:
            taken.append(f"+refs/tags/{clash.name}:refs/tags/{clash.name}")
        else:
            left.append(clash)
    if taken:
        remote.repo.run("fetch", "--quiet", "--no-tags", remote.name, *taken)
    result.tag_clashes = left
    for name in only_ours:
        commit = local[name][1] if name in local else None
        if commit in moved:
            remote.move_tag(name, moved[commit])


def _forget_erased(repo: GitRepo, records: list[Erasure]) -> None:
    """Point local branches left on replaced commits at the new ones; drop every old object."""
    from coopkit.store import rewrite
    from coopkit.store.lock import LOCK_NAME

    moved: dict[str, str] = {}
    for record in records:
        moved |= {c.old: c.new for c in record.commits}
    out = str(repo.run("for-each-ref", "--format=%(objectname) %(refname)", "refs/heads"))
    for line in out.splitlines():
        sha, _, ref = line.partition(" ")
        if sha in moved:
            repo.run("update-ref", ref, moved[sha], sha)
    rewrite.forget_old(repo)
    rewrite.clear_caches(repo.root, LOCK_NAME)


def _check_rewrite(
    remote: Remote, seen: str | None, upstream: str | None, result: SyncResult
) -> str | None:
    """Stop on a rewritten remote branch unless told what to do; return where ours diverge.

    Returns the last seen tip when the rewrite is accepted (our commits after it are replayed
    onto the remote's new history), else None.
    """
    gone = (
        []
        if seen is None or (upstream is not None and remote.is_ancestor(seen, upstream))
        else remote.dropped(upstream, seen)
    )
    if not gone:
        if result.rewrite is not None:
            result.notes.append(
                T(
                    "die Geschichte auf {r}/{b} ist nicht umgeschrieben; normal abgeglichen",
                    "the history on {r}/{b} was not rewritten; synced as usual",
                    r=result.remote,
                    b=result.branch,
                )
            )
            result.rewrite = None
        return None
    short = remote.short([c.sha for c in gone])
    dropped = [Dropped(short[c.sha], c.author, c.subject) for c in reversed(gone)]
    if result.rewrite is None:
        raise RewrittenHistory(dropped, result.remote, result.branch)
    result.dropped = dropped
    if result.rewrite == "restore" or seen is None:
        return None
    if upstream is None:
        raise UsageError(
            T(
                "{b} gibt es auf {r} nicht mehr; nur coop sync --restore sendet den Zweig wieder",
                "{b} no longer exists on {r}; only coop sync --restore sends the branch again",
                r=result.remote,
                b=result.branch,
            )
        )
    return seen


def _refuse_coop_dir(
    remote: Remote,
    upstream: str,
    incoming: list[Commit],
    short: dict[str, str],
    result: SyncResult,
) -> None:
    """Refuse a remote tree tracking `.coop/`; report such files received and removed since."""
    touched = [
        (short[c.sha], c.author, path)
        for c in incoming
        for path in c.paths
        if path.split("/", 1)[0].lower() == COOP_DIR
    ]
    tracked = remote.tracked_coop_dir(upstream)
    if tracked:
        # `incoming` is newest first: the first commit named for a path changed it last.
        named: dict[str, tuple[str, str]] = {}
        for commit, who, path in touched:
            named.setdefault(path, (commit, who))
        tip = short.get(upstream) or remote.short([upstream])[upstream]
        found = [(*named.get(path, (tip, "?")), path) for path in tracked]
        raise TrackedCoopDir(found, result.remote, result.branch)
    for commit, who, path in touched:
        result.incoming.append(
            Incoming(
                Problem(
                    Source(path),
                    T(
                        "eine Datei unter .coop/ war in git (inzwischen entfernt); .coop/ gehört "
                        "jedem Klon selbst",
                        "a file under .coop/ was tracked in git (removed since); .coop/ belongs "
                        "to each clone itself",
                    ),
                    "sync-coop-dir",
                ),
                commit,
                who,
            )
        )


def _split(
    after: list[Problem],
    before: set[tuple[str, str, str]],
    own: list[Commit],
    incoming: list[Commit],
    short: dict[str, str],
) -> tuple[list[Problem], list[Incoming]]:
    """Split the new problems of an integrated state into our own and those received.

    A problem is ours when our own commits changed its file; any other new problem came with the
    received commits and is named with the newest of them that changed the file.
    """
    own_paths = {p for c in own for p in c.paths}
    by_path: dict[str, Commit] = {}
    for c in incoming:  # newest first
        for path in c.paths:
            by_path.setdefault(path, c)
    fresh = [p for p in after if (p.source.path, p.code, p.message.en) not in before]
    mine = [p for p in fresh if p.source.path in own_paths]
    received = []
    for p in fresh:
        if p.source.path in own_paths:
            continue
        commit = by_path.get(p.source.path)
        received.append(
            Incoming(
                p, short.get(commit.sha) if commit else None, commit.author if commit else None
            )
        )
    return mine, received


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
