"""Versions and sign-offs: release a version, approve it, verify approvals, summarise the state."""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from coopkit.errors import NotFound, Problem, ProblemsFound, Source, T, UsageError
from coopkit.model.agreement import Agreement
from coopkit.model.repo import RepoData
from coopkit.model.signoff import Evidence, SignOff
from coopkit.services.agreements import agreement_at, get_agreement
from coopkit.services.context import Context
from coopkit.services.repository import CommitResult, commit_changes, load_worktree
from coopkit.services.status import VERSION_SEP, version_tag
from coopkit.signing import ssh
from coopkit.signing.hashing import content_hash, record_payload
from coopkit.store import layout
from coopkit.store.codec import dump_record
from coopkit.store.git import GitRepo, Tag
from coopkit.store.lock import repository_lock
from coopkit.store.regular import FileRefused, hash_regular

MAX_EVIDENCE_BYTES = 512 * 1024 * 1024
"""The largest evidence file (a scan, a signed PDF) that is hashed."""

if TYPE_CHECKING:
    from coopkit.services.status import AgreementStatus

_VERSION = re.compile(r"^v([1-9][0-9]{0,5})$")
METHODS = ("internal", "wet-ink", "qes")
METHOD_LABELS = {
    "internal": T("freigegeben (intern)", "approved (internal)"),
    "wet-ink": T("freigegeben (Unterschrift auf Papier, Scan)", "approved (wet ink, scanned)"),
    "qes": T(
        "freigegeben (qualifizierte elektronische Signatur, extern)",
        "approved (qualified e-signature, kept outside)",
    ),
}


@dataclass(frozen=True)
class ReleaseResult:
    """A released version: its tag, the commit it names and the content hash of its text."""

    agreement_id: str
    version: str
    tag: str
    commit: str
    content_hash: str
    message: str


@dataclass(frozen=True)
class SignResult:
    """A written sign-off record and its commit."""

    signoff: SignOff
    path: str
    commit: CommitResult


@dataclass(frozen=True)
class Approval:
    """One party's approval of one version, as the state shows it."""

    partner: str
    signatory: str
    function: str | None
    place: str | None
    date: date
    method: str
    ssh_signed: bool
    path: str
    matches_version: bool


@dataclass
class VersionState:
    """A released version with its approvals."""

    version: str
    tag: str
    date: datetime
    tagger: str
    message: str
    content_hash: str | None
    parties: list[str]
    approvals: list[Approval] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Return whether every party approved this version."""
        return not self.missing


@dataclass
class AgreementState:
    """An agreement, its versions and approvals, and whether it is in force."""

    agreement: Agreement
    path: str
    content_hash: str
    versions: list[VersionState]
    changed_since_release: bool | None
    in_force_version: str | None

    @property
    def latest(self) -> VersionState | None:
        """Return the newest released version, or None."""
        return self.versions[-1] if self.versions else None

    @property
    def in_force(self) -> bool:
        """Return whether all parties approved the same version."""
        return self.in_force_version is not None


@dataclass(frozen=True)
class VerifyItem:
    """The verdict on one sign-off record."""

    path: str
    agreement: str
    version: str
    partner: str
    method: str | None
    ssh_signed: bool
    reasons: list[T]

    @property
    def ok(self) -> bool:
        """Return whether every check held."""
        return not self.reasons


@dataclass
class VerifyReport:
    """Every sign-off checked by `coop agreement verify`."""

    items: list[VerifyItem]

    @property
    def failures(self) -> list[VerifyItem]:
        """Return the records that failed a check."""
        return [i for i in self.items if not i.ok]

    @property
    def ok(self) -> bool:
        """Return whether every record holds."""
        return not self.failures


def _version_number(version: str) -> int:
    match = _VERSION.fullmatch(version)
    return int(match.group(1)) if match else 0


def agreement_tags(repo: GitRepo, agreement_id: str) -> list[Tag]:
    """Return the version tags of an agreement, oldest version first."""
    prefix = agreement_id + VERSION_SEP
    found = [
        t
        for t in repo.tags()
        if t.name.startswith(prefix) and VERSION_SEP not in t.name[len(prefix) :]
    ]
    return sorted(found, key=lambda t: (_version_number(t.name[len(prefix) :]), t.date))


def _version_of(tag: Tag) -> str:
    return tag.name.rpartition(VERSION_SEP)[2]


def release(
    ctx: Context,
    agreement_id: str,
    version: str | None = None,
    message: str | None = None,
    when: date | datetime | None = None,
) -> ReleaseResult:
    """Tag the committed agreement as the next version; refused with problems or no change."""
    loaded = load_worktree(ctx)
    agreement = get_agreement(loaded.data, agreement_id)
    if loaded.problems:
        raise ProblemsFound(
            loaded.problems,
            T(
                "Veröffentlichung abgelehnt: „coop check“ meldet {n} Problem(e)",
                'release refused: "coop check" reports {n} problem(s)',
                n=len(loaded.problems),
            ),
        )
    if version is not None and not _VERSION.fullmatch(version):
        raise UsageError(
            T(
                "Version „{v}“: erwartet v1, v2, …",
                'version "{v}": expected v1, v2, …',
                v=version,
            )
        )
    path = layout.agreement_path(agreement_id)
    author = ctx.author()
    digest = content_hash(agreement)
    with repository_lock(ctx.root), GitRepo(ctx.root) as repo:
        if repo.read_blob("HEAD", path) != (ctx.root / path).read_bytes():
            raise UsageError(
                T(
                    "{p} hat nicht übernommene Änderungen; eine Version nennt nur Übernommenes",
                    "{p} has uncommitted changes; a version can only name committed text",
                    p=path,
                ),
                hint=T(
                    "Änderungen mit „coop agreement edit“ oder „coop agreement set“ übernehmen",
                    'commit changes with "coop agreement edit" or "coop agreement set"',
                ),
            )
        tags = agreement_tags(repo, agreement_id)
        versions = [_version_of(t) for t in tags]
        if tags:
            previous = agreement_at(repo, agreement_id, tags[-1].name)
            if previous is not None and content_hash(previous) == digest:
                raise UsageError(
                    T(
                        "seit {v} hat sich am Text von {a} nichts geändert; keine neue Version",
                        "nothing changed in {a} since {v}; no new version",
                        v=versions[-1],
                        a=agreement_id,
                    )
                )
        if version is None:
            version = f"v{max((_version_number(v) for v in versions), default=0) + 1}"
        elif version in versions:
            raise UsageError(
                T(
                    "Version {v} von {a} gibt es schon",
                    "version {v} of {a} already exists",
                    v=version,
                    a=agreement_id,
                )
            )
        tag = version_tag(agreement_id, version)
        text = (message or f"{agreement.title} – {version}").strip()
        text += f"\n\ncontent-hash: {digest}\n"
        repo.create_tag(tag, text, author, when)
        commit = repo.resolve(tag)
    return ReleaseResult(agreement_id, version, tag, commit, digest, text)


def _refuse(de: str, en: str, **params: object) -> UsageError:
    return UsageError(T(de, en, **params))


def sign(
    ctx: Context,
    agreement_id: str,
    partner: str,
    signatory: str,
    function: str | None = None,
    place: str | None = None,
    when: date | None = None,
    version: str | None = None,
    method: str = "internal",
    evidence: Path | None = None,
    ssh_key: Path | None = None,
) -> SignResult:
    """Record that a party's signatory approved a released version, bound to its content hash."""
    data = load_worktree(ctx).data
    get_agreement(data, agreement_id)
    if method not in METHODS:
        raise _refuse(
            "Verfahren „{m}“ unbekannt; möglich: {k}",
            'unknown method "{m}"; possible: {k}',
            m=method,
            k=", ".join(METHODS),
        )
    with GitRepo(ctx.root) as repo:
        tags = agreement_tags(repo, agreement_id)
        released = [_version_of(t) for t in tags]
        if version is None:
            if not tags:
                raise _refuse(
                    "{a} hat noch keine veröffentlichte Version; zuerst „coop agreement release“",
                    '{a} has no released version yet; run "coop agreement release" first',
                    a=agreement_id,
                )
            version = released[-1]
        elif version not in released:
            raise _refuse(
                "Version {v} von {a} ist nicht veröffentlicht; veröffentlicht: {k}",
                "version {v} of {a} is not released; released: {k}",
                v=version,
                a=agreement_id,
                k=", ".join(released) or "—",
            )
        tag = tags[released.index(version)]
        text = agreement_at(repo, agreement_id, tag.name)
    if text is None:
        raise NotFound(
            T("{t} enthält die Vereinbarung nicht", "{t} does not hold the agreement", t=tag.name)
        )
    if partner not in text.parties:
        raise _refuse(
            "„{p}“ ist keine Partei von {a} {v}; Parteien: {k}",
            '"{p}" is not a party to {a} {v}; parties: {k}',
            p=partner,
            a=agreement_id,
            v=version,
            k=", ".join(text.parties),
        )
    path = layout.signoff_path(agreement_id, version, partner)
    if (ctx.root / path).exists():
        raise _refuse(
            "{p} hat {a} {v} schon freigegeben ({f})",
            "{p} already approved {a} {v} ({f})",
            p=partner,
            a=agreement_id,
            v=version,
            f=path,
        )
    day = when or ctx.today
    config = data.config.value if data.config else None
    if config is not None and config.signing.require_ssh and ssh_key is None:
        raise _refuse(
            "coop.toml verlangt SSH-signierte Freigaben ([signing] require_ssh); bitte --ssh-key",
            "coop.toml requires SSH-signed approvals ([signing] require_ssh); pass --ssh-key",
        )
    proof = None
    if evidence is not None:
        try:
            digest = hash_regular(Path(os.path.realpath(evidence)), MAX_EVIDENCE_BYTES)
            proof = Evidence(file=evidence.name, sha256=digest)
        except FileRefused as err:
            raise _refuse(
                "Nachweis „{f}“: {e}", 'evidence "{f}": {e}', f=str(evidence), e=err.reason
            ) from err
        except OSError as err:
            raise _refuse(
                "Nachweis „{f}“ nicht lesbar: {e}",
                'cannot read evidence "{f}": {e}',
                f=str(evidence),
                e=str(err),
            ) from err
    try:
        record = SignOff(
            agreement=agreement_id,
            version=version,
            partner=partner,
            signatory=signatory,
            function=function or None,
            place=place or None,
            date=day,
            method=method,
            content_hash=content_hash(text),
            evidence=proof,
        )
    except ValidationError as err:
        raise ProblemsFound(
            [Problem(Source(path), T("{m}", "{m}", m=e["msg"]), "schema") for e in err.errors()]
        ) from err
    if ssh_key is not None:
        payload = record_payload(record)
        signature = ssh.sign(payload, ssh_key)
        verdict = ssh.verify(payload, signature, _allowed(data, partner), partner, day)
        if not verdict.ok:
            raise UsageError(
                verdict.reason or T("Signatur ungültig", "invalid signature"),
                hint=T(
                    "den öffentlichen Schlüssel mit „coop partner key add {p} DATEI.pub“ "
                    "registrieren",
                    'register the public key with "coop partner key add {p} FILE.pub"',
                    p=partner,
                ),
            )
        record = record.model_copy(update={"signature": signature})
    commit = commit_changes(
        ctx,
        {path: dump_record(record).encode("utf-8")},
        f"Approve {agreement_id} {version} for {partner}",
        when,
    )
    return SignResult(record, path, commit)


def _allowed(data: RepoData, partner_id: str) -> str:
    partner = data.find_partner(partner_id)
    return ssh.allowed_signers((partner_id, k) for k in partner.keys) if partner else ""


def verify(ctx: Context, agreement_id: str | None = None) -> VerifyReport:
    """Check every sign-off: version released, content hash, record unchanged, SSH signature."""
    loaded = load_worktree(ctx)
    data = loaded.data
    if agreement_id is not None:
        get_agreement(data, agreement_id)
    prefix = f"agreements/{agreement_id}/" if agreement_id else "agreements/"
    require_ssh = bool(data.config and data.config.value.signing.require_ssh)
    items: list[VerifyItem] = []
    broken: dict[str, list[T]] = {}
    for problem in loaded.problems:
        if layout.kind_of(problem.source.path) == "signoff" and problem.source.path.startswith(
            prefix
        ):
            broken.setdefault(problem.source.path, []).append(
                T("{s}: {m}", "{s}: {m}", s=str(problem.source), m=problem.message)
            )
    with GitRepo(ctx.root) as repo:
        tags = {t.name: t for t in repo.tags()}
        texts: dict[str, Agreement | None] = {}
        touched = Counter(
            p for c in repo.log([prefix.rstrip("/")]) for p in c.paths if "/signoffs/" in p
        )
        dirty = set(repo.status_paths())
        for located in data.signoffs:
            so = located.value
            if not located.path.startswith(prefix):
                continue
            reasons: list[T] = []
            tag = version_tag(so.agreement, so.version)
            if tag not in tags:
                reasons.append(
                    T(
                        "Version {v} von {a} ist nicht veröffentlicht",
                        "version {v} of {a} is not released",
                        v=so.version,
                        a=so.agreement,
                    )
                )
            else:
                if tag not in texts:
                    texts[tag] = agreement_at(repo, so.agreement, tag)
                text = texts[tag]
                if text is None:
                    reasons.append(
                        T(
                            "{t} enthält die Vereinbarung nicht",
                            "{t} does not hold the agreement",
                            t=tag,
                        )
                    )
                else:
                    if content_hash(text) != so.content_hash:
                        reasons.append(
                            T(
                                "Inhalts-Hash passt nicht zum Text von {v}: der Text wurde nach "
                                "der Freigabe geändert oder der Eintrag bearbeitet",
                                "content hash does not match the text of {v}: the text changed "
                                "after approval or the record was edited",
                                v=so.version,
                            )
                        )
                    if so.partner not in text.parties:
                        reasons.append(
                            T(
                                "„{p}“ ist keine Partei von {v}",
                                '"{p}" is not a party to {v}',
                                p=so.partner,
                                v=so.version,
                            )
                        )
            count = touched.get(located.path, 0)
            if count == 0:
                reasons.append(
                    T("Eintrag ist nicht übernommen (commit)", "record is not committed")
                )
            elif count > 1 or located.path in dirty:
                reasons.append(
                    T(
                        "Eintrag wurde nach der Freigabe geändert",
                        "record was changed after approval",
                    )
                )
            if so.signature:
                verdict = ssh.verify(
                    record_payload(so),
                    so.signature,
                    _allowed(data, so.partner),
                    so.partner,
                    so.date,
                )
                if not verdict.ok and verdict.reason is not None:
                    reasons.append(verdict.reason)
            elif require_ssh:
                reasons.append(
                    T(
                        "keine SSH-Signatur, aber coop.toml verlangt sie ([signing] require_ssh)",
                        "no SSH signature, but coop.toml requires one ([signing] require_ssh)",
                    )
                )
            items.append(
                VerifyItem(
                    located.path,
                    so.agreement,
                    so.version,
                    so.partner,
                    so.method,
                    bool(so.signature),
                    reasons,
                )
            )
    for path, reasons in sorted(broken.items()):
        parts = path.split("/")
        items.append(VerifyItem(path, parts[1], parts[3], parts[4][:-5], None, False, reasons))
    return VerifyReport(sorted(items, key=lambda i: i.path))


def agreement_states(
    ctx: Context, data: RepoData, agreement_ids: list[str] | None = None
) -> dict[str, AgreementState]:
    """Return versions, approvals, changes since the last version and in-force state."""
    ids = sorted(data.agreements) if agreement_ids is None else agreement_ids
    result: dict[str, AgreementState] = {}
    with GitRepo(ctx.root) as repo:
        all_tags = repo.tags()
        for agreement_id in ids:
            located = data.agreements[agreement_id]
            agreement = located.value
            prefix = agreement_id + VERSION_SEP
            tags = sorted(
                (
                    t
                    for t in all_tags
                    if t.name.startswith(prefix) and VERSION_SEP not in t.name[len(prefix) :]
                ),
                key=lambda t: (_version_number(t.name[len(prefix) :]), t.date),
            )
            versions = []
            for tag in tags:
                version = _version_of(tag)
                text = agreement_at(repo, agreement_id, tag.name)
                digest = content_hash(text) if text else None
                parties = list(text.parties) if text else list(agreement.parties)
                approvals = [
                    Approval(
                        s.value.partner,
                        s.value.signatory,
                        s.value.function,
                        s.value.place,
                        s.value.date,
                        s.value.method,
                        bool(s.value.signature),
                        s.path,
                        s.value.content_hash == digest,
                    )
                    for s in data.signoffs
                    if s.value.agreement == agreement_id and s.value.version == version
                ]
                approved = {a.partner for a in approvals if a.matches_version}
                versions.append(
                    VersionState(
                        version,
                        tag.name,
                        tag.date,
                        tag.tagger,
                        tag.message,
                        digest,
                        parties,
                        sorted(approvals, key=lambda a: (a.date, a.partner)),
                        [p for p in parties if p not in approved],
                    )
                )
            digest = content_hash(agreement)
            in_force = next((v.version for v in reversed(versions) if v.complete), None)
            result[agreement_id] = AgreementState(
                agreement,
                located.path,
                digest,
                versions,
                (versions[-1].content_hash != digest) if versions else None,
                in_force,
            )
    return result


def get_state(ctx: Context, agreement_id: str, data: RepoData | None = None) -> AgreementState:
    """Return the state of one agreement in the working tree (loaded unless given)."""
    if data is None:
        data = load_worktree(ctx).data
    get_agreement(data, agreement_id)
    return agreement_states(ctx, data, [agreement_id])[agreement_id]


def enrich_status(ctx: Context, data: RepoData, rows: list[AgreementStatus]) -> None:
    """Fill approval details and `changed_since_release` into the overview rows."""
    states = agreement_states(ctx, data, [r.id for r in rows if r.id in data.agreements])
    for row in rows:
        state = states.get(row.id)
        if state is None:
            continue
        latest = state.latest
        row.latest_version = latest.version if latest else None
        row.approved_by = (
            sorted({a.partner for a in latest.approvals if a.matches_version}) if (latest) else []
        )
        row.missing = latest.missing if latest else list(state.agreement.parties)
        row.in_force = state.in_force
        row.in_force_version = state.in_force_version
        row.changed_since_release = state.changed_since_release
        row.approvals = [
            {
                "partner": a.partner,
                "signatory": a.signatory,
                "function": a.function,
                "date": a.date.isoformat(),
                "method": a.method,
                "ssh_signed": a.ssh_signed,
                "matches_version": a.matches_version,
            }
            for a in (latest.approvals if latest else [])
        ]
