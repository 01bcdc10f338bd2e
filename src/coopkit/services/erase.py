"""Erasing personal data from every commit, in every clone, provably (Art. 17 DSGVO).

`erase` rewrites the history with git-filter-repo in a separate repository, checks the result
(every sign-off, every record), signs an erasure record that maps old to new commit ids, sends
the new history to the shared remote and only then takes it over here, dropping every old object.
`verify_erased` proves per clone that no object holds a text any more. Other clones take the
erasure over in `coop sync` (see `services.sync`).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from coopkit.errors import Problem, ProblemsFound, RepositoryError, T, UsageError, joined
from coopkit.model.erasure import REPLACEMENT, Erasure, MappedCommit, MovedTag, SignoffOutcome
from coopkit.queries.check import check
from coopkit.queries.context import Context
from coopkit.queries.erasure import erasure_path
from coopkit.queries.load import snapshot
from coopkit.queries.trust import effective_roots
from coopkit.signing import ssh
from coopkit.signing.hashing import erasure_payload
from coopkit.signing.keys import signature_fingerprint
from coopkit.store import layout, rewrite
from coopkit.store.codec import dump_record
from coopkit.store.git import GitRepo
from coopkit.store.lock import LOCK_NAME, repository_lock
from coopkit.store.remote import Remote, local_path
from coopkit.store.yamlio import load_data

StepFn = Callable[[T], None]

MIN_TEXT = 3
"""Shorter texts would be replaced in countless unrelated places."""

_PROTECTED = (layout.CONFIG, "keys", "erasures", "partners")
"""Whole files that are never removed: the trust chain, the settings, the erasure records."""


@dataclass(frozen=True)
class Found:
    """An object that still holds an erased text."""

    sha: str
    kind: str
    text: int
    """Which text (its position in the request; the text itself is not shown)."""


@dataclass
class EraseResult:
    """What an erasure changed, or (dry run) would change."""

    dry_run: bool
    texts: int
    paths: list[str]
    commits: int
    changed: int
    """Commits whose files, author or message changed."""
    tags: list[str] = field(default_factory=list)
    signoffs: list[SignoffOutcome] = field(default_factory=list)
    record: str | None = None
    remote: str | None = None
    remote_cleaned: bool | None = None
    """Whether the remote's old objects were dropped here (None: a remote elsewhere)."""
    objects: int = 0
    left: list[Found] = field(default_factory=list)
    notes: list[T] = field(default_factory=list)


def _tell(step: StepFn | None, label: T) -> None:
    if step is not None:
        step(label)


def _text_problems(texts: list[str]) -> list[T]:
    found = []
    for text in texts:
        if "\n" in text or "\r" in text:
            found.append(
                T(
                    "--text: ein Text je Angabe, ohne Zeilenumbruch",
                    "--text: one line per text, no line break",
                )
            )
        elif len(text.strip()) < MIN_TEXT:
            found.append(
                T(
                    "--text „{t}“: mindestens {n} Zeichen, sonst träfe es unzählige andere Stellen",
                    '--text "{t}": at least {n} characters, or it would hit countless other places',
                    t=text,
                    n=MIN_TEXT,
                )
            )
        elif text in REPLACEMENT or REPLACEMENT in text:
            found.append(
                T(
                    "--text „{t}“ überschneidet sich mit dem Ersatztext „{r}“",
                    '--text "{t}" overlaps the replacement "{r}"',
                    t=text,
                    r=REPLACEMENT,
                )
            )
    return found


def contact_texts(repo: GitRepo, ref: str) -> tuple[list[str], T | None]:
    """Return every name, e-mail and phone a contact (`PARTNER/ID`) ever had in the history."""
    partner, _, contact = ref.partition("/")
    if not partner or not contact:
        return [], T(
            "--contact „{c}“: erwartet PARTNER/KONTAKT, z. B. awo/becker",
            '--contact "{c}": expected PARTNER/CONTACT, e.g. awo/becker',
            c=ref,
        )
    path = layout.partner_path(partner)
    shas = str(repo.run("log", "--all", "--format=%H", "--", path)).split()
    blobs = repo.read_blobs([f"{sha}:{path}" for sha in shas])
    texts: set[str] = set()
    for raw in blobs.values():
        if raw is None:
            continue
        data, _, problems = load_data(raw.decode("utf-8", "replace"), path)
        if problems or not isinstance(data, dict):
            continue
        for entry in data.get("contacts") or []:
            if isinstance(entry, dict) and entry.get("id") == contact:
                for key in ("name", "email", "phone"):
                    value = entry.get(key)
                    if isinstance(value, str) and len(value.strip()) >= MIN_TEXT:
                        texts.add(value.strip())
    if not texts:
        return [], T(
            "--contact „{c}“: diesen Kontakt gab es in keiner Fassung von {p}",
            '--contact "{c}": no version of {p} ever had this contact',
            c=ref,
            p=path,
        )
    return sorted(texts), None


def _path_problems(repo: GitRepo, paths: list[str]) -> list[T]:
    found = []
    for path in paths:
        top = path.split("/", 1)[0]
        if path.startswith("/") or ".." in path.split("/") or not path.strip("/"):
            found.append(T("--path „{p}“: ungültiger Pfad", '--path "{p}": invalid path', p=path))
        elif top in _PROTECTED or path in _PROTECTED:
            found.append(
                T(
                    "--path „{p}“: Einstellungen, Schlüssel, Partner und Löschvermerke werden "
                    "nie als ganze Datei gelöscht; einzelne Angaben mit --text oder --contact",
                    '--path "{p}": settings, keys, partners and erasure records are never '
                    "removed as whole files; single entries with --text or --contact",
                    p=path,
                )
            )
        elif not str(repo.run("log", "--all", "-1", "--format=%H", "--", path)).strip():
            found.append(
                T(
                    "--path „{p}“: in keiner Fassung der Geschichte vorhanden",
                    '--path "{p}": in no version of the history',
                    p=path,
                )
            )
    return found


def _key_fingerprint(key: Path) -> str:
    probe = ssh.sign(b"coopkit erasure key probe", key, namespace=ssh.ERASURE_NAMESPACE)
    fp = signature_fingerprint(probe)
    if fp is None:
        raise UsageError(T("SSH-Signatur nicht lesbar", "SSH signature unreadable"))
    return fp


def _problem_keys(problems: list[Problem]) -> dict[tuple[str, str, str], Problem]:
    return {(p.source.path, p.code, p.message.en): p for p in problems}


def _signoff_states(ctx: Context) -> dict[str, bool]:
    from coopkit.services.signoffs import verify

    return {item.path: item.ok for item in verify(ctx).items}


def _record_id(ctx: Context, base: str, mapped: dict[str, str]) -> str:
    digest = hashlib.sha256((base + "".join(sorted(mapped.values()))).encode("ascii")).hexdigest()
    return f"{ctx.today.isoformat()}-{digest[:8]}"


def _order(root: Path, mapped: dict[str, str]) -> list[str]:
    """Return the old commits oldest first (as the history orders them)."""
    out = rewrite.git(root, "rev-list", "--all", "--reverse", "--topo-order")
    ordered = [sha for sha in out.split() if sha in mapped]
    rest = sorted(set(mapped) - set(ordered))
    return ordered + rest


def _tag_commits(root: Path) -> dict[str, str]:
    out = rewrite.git(root, "for-each-ref", "--format=%(refname:short) %(*objectname)", "refs/tags")
    found = {}
    for line in out.splitlines():
        name, _, commit = line.partition(" ")
        if commit:
            found[name] = commit
    return found


def _broken_signoffs(outcomes: list[SignoffOutcome]) -> list[SignoffOutcome]:
    return [o for o in outcomes if o.before and not o.after]


def erase(
    ctx: Context,
    *,
    texts: list[str],
    contacts: list[str],
    paths: list[str],
    reason: str,
    remote_name: str = "origin",
    push: bool = True,
    dry_run: bool = False,
    break_signoffs: bool = False,
    step: StepFn | None = None,
) -> EraseResult:
    """Erase texts, contacts and whole files from every commit; see the module docstring."""
    if not (texts or contacts or paths):
        raise UsageError(
            T(
                "nichts zu löschen: --text, --contact oder --path angeben",
                "nothing to erase: give --text, --contact or --path",
            )
        )
    if not reason.strip():
        raise UsageError(T("--reason darf nicht leer sein", "--reason must not be empty"))
    if ctx.ssh_key is None and not dry_run:
        raise UsageError(
            T(
                "eine Löschung signiert der Koordinator: --ssh-key SCHLÜSSEL oder COOP_SSH_KEY",
                "an erasure is signed by the coordinator: pass --ssh-key KEY or set COOP_SSH_KEY",
            )
        )
    author = ctx.author()
    with repository_lock(ctx.root, ctx.lock_wait), GitRepo(ctx.root) as repo:
        wanted = list(dict.fromkeys(texts))
        reasons = _text_problems(wanted)
        for ref in contacts:
            found, why = contact_texts(repo, ref)
            wanted += [t for t in found if t not in wanted]
            if why is not None:
                reasons.append(why)
        paths = [p.strip("/") for p in dict.fromkeys(paths)]
        reasons += _path_problems(repo, paths)
        if paths and not reasons:
            from coopkit.queries.archive import erasure_blockers

            reasons += [p.message for p in erasure_blockers(ctx, paths)]
        if reasons:
            raise UsageError(joined(reasons, "\n"))
        branch = Remote(repo, remote_name).branch()
        if repo.changed_tracked(layout.INDEX_DIR):
            raise UsageError(
                T(
                    "nicht übernommene Änderungen; erst übernehmen oder verwerfen, dann löschen",
                    "uncommitted changes; commit or drop them, then erase",
                )
            )
        base = repo.head()
        if base is None:
            raise RepositoryError(T("leeres Repository", "empty repository"))
        pins = effective_roots(snapshot(ctx)).pins
        signer = _key_fingerprint(ctx.ssh_key) if ctx.ssh_key is not None else None
        if signer is not None and signer not in pins:
            raise UsageError(
                T(
                    "nur ein gepinnter Koordinationsschlüssel (coop.toml [trust]) darf löschen; "
                    "{f} ist keiner",
                    "only a pinned coordinator key (coop.toml [trust]) may erase; {f} is none",
                    f=signer.removeprefix("SHA256:")[:12],
                )
            )
        remote = Remote(repo, remote_name)
        upstream: str | None = None
        if push and remote.exists():
            _tell(step, T("Abrufen von {r}", "fetching from {r}", r=remote_name))
            remote.fetch()
            upstream = remote.remote_head(branch)
            if upstream is not None and not remote.is_ancestor(upstream, base):
                raise UsageError(
                    T(
                        "{r}/{b} hat Commits, die hier fehlen; erst abgleichen (coop sync), "
                        "dann löschen",
                        "{r}/{b} has commits this clone lacks; sync first (coop sync), then erase",
                        r=remote_name,
                        b=branch,
                    )
                )
        _tell(step, T("Stand vor der Löschung prüfen", "checking the state before the erasure"))
        before = _problem_keys(check(ctx))
        signed_before = _signoff_states(ctx)
        git_dir = Path(str(repo.run("rev-parse", "--absolute-git-dir")))
        with tempfile.TemporaryDirectory(prefix="coop-erase-") as tmp:
            allowed = Path(tmp, "allowed_signers")
            allowed.write_text("# none\n", encoding="utf-8")
            signers = rewrite.signatures(ctx.root, allowed)
            _tell(step, T("Geschichte neu schreiben", "rewriting the history"))
            new_git = Path(tmp, "new.git")
            rewritten = rewrite.filter_repo(git_dir, new_git, wanted, paths, REPLACEMENT)
            # A commit the rewrite left as it was keeps its id: only the others are mapped.
            mapped = {old: new for old, new in rewritten.commits.items() if old != new}
            work = Path(tmp, "work")
            rewrite.git(Path(tmp), "clone", "-q", "--no-local", "-b", branch, str(new_git), "work")
            work_ctx = ctx.with_root(work)
            _tell(step, T("Neuen Stand prüfen", "checking the new state"))
            after = _problem_keys(check(work_ctx))
            signed_after = _signoff_states(work_ctx)
            outcomes = [
                SignoffOutcome(
                    path=p, before=signed_before.get(p, False), after=signed_after.get(p, False)
                )
                for p in sorted(set(signed_before) | set(signed_after))
            ]
            broken = _broken_signoffs(outcomes)
            broken_paths = {o.path for o in broken}
            added = [p for k, p in after.items() if k not in before and k[0] not in broken_paths]
            if added:
                raise ProblemsFound(
                    added,
                    T(
                        "die Löschung brächte {n} neue(s) Problem(e); nichts wurde geändert",
                        "the erasure would add {n} new problem(s); nothing was changed",
                        n=len(added),
                    ),
                )
            if broken and not break_signoffs:
                raise UsageError(
                    T(
                        "die Löschung träfe Text, den diese Freigaben signiert haben; sie gälten "
                        "danach nicht mehr: {p}. Nichts wurde geändert.",
                        "the erasure would change text these sign-offs signed; they would no "
                        "longer hold: {p}. Nothing was changed.",
                        p=", ".join(sorted(broken_paths)),
                    ),
                    hint=T(
                        "wenn es sein muss: mit --break-signoffs löschen und neu freigeben lassen",
                        "if it must be: erase with --break-signoffs and have them approved again",
                    ),
                )
            changed = len(mapped)
            old_tags = _tag_commits(ctx.root)
            new_tags = _tag_commits(new_git)
            tags = [
                MovedTag(name=name, old=old, new=new_tags[name])
                for name, old in sorted(old_tags.items())
                if name in new_tags and new_tags[name] != old
            ]
            result = EraseResult(
                dry_run,
                len(wanted),
                paths,
                len(rewritten.commits),
                changed,
                [t.name for t in tags],
                outcomes,
            )
            if dry_run:
                return result
            assert ctx.ssh_key is not None and signer is not None
            record = Erasure(
                id=_record_id(ctx, base, mapped),
                date=ctx.today,
                by=author.name,
                reason=" ".join(reason.split()),
                texts=len(wanted),
                paths=paths,
                base=base,
                commits=[
                    MappedCommit(old=old, new=mapped[old], signer=signers.get(old))
                    for old in _order(ctx.root, mapped)
                ],
                tags=tags,
                signoffs=outcomes,
                signer=signer,
            )
            record = record.model_copy(
                update={
                    "signature": ssh.sign(
                        erasure_payload(record), ctx.ssh_key, namespace=ssh.ERASURE_NAMESPACE
                    )
                }
            )
            path = erasure_path(record.id)
            from coopkit.services.repository import commit_changes

            commit_changes(
                work_ctx,
                {path: dump_record(record).encode("utf-8")},
                T(
                    "Löschung aus der Geschichte ({n} Commits neu geschrieben): {r}",
                    "Erasure from the history ({n} commits rewritten): {r}",
                    n=changed,
                    r=record.reason,
                ),
            )
            rewrite.git(work, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
            result.record = path
            if push and remote.exists():
                _tell(step, T("Senden an {r}/{b}", "pushing to {r}/{b}", r=remote_name, b=branch))
                result.remote = remote_name
                result.remote_cleaned = _publish(
                    repo, remote_name, new_git, branch, upstream, mapped, tags, result
                )
            _tell(step, T("Neue Geschichte übernehmen", "taking over the new history"))
            rewrite.git(
                ctx.root,
                "fetch",
                "-q",
                "--update-head-ok",
                "--force",
                "--prune",
                "--no-tags",
                str(new_git),
                "+refs/*:refs/*",
            )
            head = str(repo.run("rev-parse", f"refs/heads/{branch}"))
            repo.run("reset", "--quiet", "--hard", head)
            if result.remote is not None:
                repo.run("update-ref", f"refs/remotes/{remote_name}/{branch}", head)
                remote.remember(branch, head)
        _tell(step, T("Alte Objekte entfernen", "dropping the old objects"))
        rewrite.forget_old(repo)
        rewrite.clear_caches(ctx.root, LOCK_NAME)
        result.objects = rewrite.count_objects(ctx.root)
        result.left = verify_erased(ctx.root, wanted)
        return result


def _publish(
    repo: GitRepo,
    remote_name: str,
    new_git: Path,
    branch: str,
    upstream: str | None,
    mapped: dict[str, str],
    tags: list[MovedTag],
    result: EraseResult,
) -> bool | None:
    """Send the new history to the remote, all refs at once; drop its old objects if local."""
    url = str(repo.run("remote", "get-url", "--", remote_name))
    specs = [f"refs/heads/{branch}:refs/heads/{branch}"]
    lease = [f"--force-with-lease=refs/heads/{branch}:{upstream}"] if upstream else ["--force"]
    published = rewrite.git(repo.root, "ls-remote", "--refs", remote_name)
    new_refs = rewrite.git(new_git, "for-each-ref", "--format=%(objectname) %(refname)")
    ours: dict[str, str] = {}
    for line in new_refs.splitlines():
        sha, _, ref = line.partition(" ")
        ours[ref] = sha
    moved = {t.name for t in tags}
    for line in published.splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/heads/{branch}":
            continue
        if ref.startswith("refs/tags/") and ref.removeprefix("refs/tags/") in moved:
            specs.append(f"+{ref}:{ref}")
        elif ref.startswith("refs/heads/") and sha in mapped:
            specs.append(f"+{mapped[sha]}:{ref}")
        elif ref.startswith("refs/heads/") and ref in ours and ours[ref] != sha:
            result.notes.append(
                T(
                    "{r} auf der Gegenstelle enthält eigene Arbeit auf alter Geschichte und "
                    "bleibt unverändert; wer ihn führt, gleicht ihn ab",
                    "{r} on the remote holds work on the old history and stays as it is; its "
                    "owner syncs it",
                    r=ref,
                )
            )
    try:
        rewrite.git(new_git, "push", "-q", "--atomic", *lease, url, *specs)
    except RepositoryError as err:
        raise RepositoryError(
            T(
                "{r} hat sich während der Löschung geändert; nichts wurde geändert. Erst "
                "abgleichen (coop sync), dann erneut löschen. ({e})",
                "{r} changed during the erasure; nothing was changed. Sync first (coop sync), "
                "then erase again. ({e})",
                r=remote_name,
                e=err.message,
            )
        ) from err
    path = local_path(url, repo.root)
    if path is not None and path.is_dir():
        rewrite.forget_old_bare(path)
        return True
    result.notes.append(
        T(
            "die Gegenstelle {u} liegt nicht auf diesem Rechner: ihre alten Objekte entfernt "
            "erst die Hausmeisterei der Plattform (siehe Handbuch, Löschen aus der Geschichte)",
            "the remote {u} is not on this machine: its old objects go only with the platform's "
            "housekeeping (see the manual, erasing from the history)",
            u=url,
        )
    )
    return None


def verify_erased(root: Path, texts: list[str]) -> list[Found]:
    """Return every object of this clone that still holds one of the texts (none: erased)."""
    needles = [t.encode("utf-8") for t in texts]
    index = {n: i for i, n in enumerate(needles)}
    return [
        Found(sha, kind, index[needle])
        for sha, kind, needle in rewrite.objects_holding(root, needles)
    ]


def scan_clone(root: Path, texts: list[str]) -> tuple[int, list[Found], list[str]]:
    """Return (objects scanned, objects holding a text, working files or caches holding one)."""
    reasons = _text_problems(texts)
    if reasons or not texts:
        raise UsageError(joined(reasons or [T("keinen Text angegeben", "no text given")], "\n"))
    found = verify_erased(root, texts)
    needles = [t.encode("utf-8") for t in texts]
    files = []
    caches = root / layout.INDEX_DIR
    for entry in sorted(caches.rglob("*")) if caches.is_dir() else []:
        if entry.is_file() and not entry.is_symlink():
            data = entry.read_bytes()
            if any(n in data for n in needles):
                files.append(str(entry.relative_to(root)))
    with GitRepo(root) as repo:
        tracked = [p for p in str(repo.run("ls-files", "-z")).split("\0") if p]
    for rel in tracked:
        target = root / rel
        if target.is_file() and not target.is_symlink():
            data = target.read_bytes()
            if any(n in data for n in needles):
                files.append(rel)
    return rewrite.count_objects(root), found, files
