"""Versions and sign-offs: release a version, approve it, verify approvals, summarise the state."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pydantic import ValidationError

from coopkit.errors import Problem, ProblemsFound, Source, T, UsageError
from coopkit.model.repo import RepoData
from coopkit.model.signoff import Evidence, SignOff
from coopkit.queries.context import Context
from coopkit.queries.load import snapshot
from coopkit.queries.lookup import get_agreement, not_found
from coopkit.queries.versions import VersionState, version_number, version_tag
from coopkit.services.repository import CommitResult, writing
from coopkit.signing import ssh
from coopkit.signing.hashing import content_hash, hash_matches, record_payload
from coopkit.store import layout
from coopkit.store.codec import dump_record
from coopkit.store.git import GitRepo
from coopkit.store.regular import FileRefused, hash_regular

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


def release(
    ctx: Context,
    agreement_id: str,
    version: str | None = None,
    message: str | None = None,
    when: date | datetime | None = None,
) -> ReleaseResult:
    """Tag the committed agreement as the next version; refused with problems or no change."""
    if version is not None and version_number(version) is None:
        raise UsageError(
            T("Version „{v}“: erwartet v1, v2, …", 'version "{v}": expected v1, v2, …', v=version)
        )
    with writing(ctx) as tx:
        snap = tx.snapshot()
        agreement = get_agreement(snap, agreement_id)
        if snap.problems:
            raise ProblemsFound(
                snap.problems,
                T(
                    "Veröffentlichung abgelehnt: „coop check“ meldet {n} Problem(e)",
                    'release refused: "coop check" reports {n} problem(s)',
                    n=len(snap.problems),
                ),
            )
        path = layout.agreement_path(agreement_id)
        digest = content_hash(agreement)
        timeline = snap.timeline(agreement_id)
        with GitRepo(ctx.root) as repo:
            if repo.read_blob("HEAD", path) != (ctx.root / path).read_bytes():
                raise UsageError(
                    T(
                        "{p} hat nicht übernommene Änderungen; eine Version nennt nur Übernommenes",
                        "{p} has uncommitted changes; a version can only name committed text",
                        p=path,
                    ),
                    hint=T(
                        'erst übernehmen: coop commit -m "…" {p}',
                        'commit them first: coop commit -m "…" {p}',
                        p=path,
                    ),
                )
            latest = timeline.latest
            if latest is not None and latest.content_hash == digest:
                raise UsageError(
                    T(
                        "seit {v} hat sich am Text von {a} nichts geändert; keine neue Version",
                        "nothing changed in {a} since {v}; no new version",
                        v=latest.version,
                        a=agreement_id,
                    )
                )
            numbers = [v.number for v in timeline.versions]
            if version is None:
                version = f"v{max(numbers, default=0) + 1}"
            elif timeline.get(version) is not None:
                raise UsageError(
                    T(
                        "Version {v} von {a} gibt es schon",
                        "version {v} of {a} already exists",
                        v=version,
                        a=agreement_id,
                    )
                )
            number = version_number(version) or 0
            if numbers and number < max(numbers):
                raise UsageError(
                    T(
                        "Version {v} läge vor der neuesten ({l}); Versionen werden aufsteigend "
                        "nummeriert",
                        "version {v} would come before the newest ({l}); versions are numbered "
                        "upwards",
                        v=version,
                        l=latest.version if latest else "",
                    )
                )
            released_on = _day(when) or ctx.today
            previous = max((v for v in timeline.versions), key=lambda v: v.number, default=None)
            if previous is not None and released_on < previous.released:
                raise UsageError(
                    T(
                        "Veröffentlichung am {d} läge vor der von {p} am {e}; Fassungen werden "
                        "nacheinander veröffentlicht",
                        "a release on {d} would come before that of {p} on {e}; versions are "
                        "released one after the other",
                        d=released_on.isoformat(),
                        p=previous.version,
                        e=previous.released.isoformat(),
                    )
                )
            tag = version_tag(agreement_id, version)
            text = (message or f"{agreement.title} – {version}").strip()
            text += f"\n\ncontent-hash: {digest}\n"
            # Released "now" unless the command speaks for another day (--date or --today).
            stamp = when or (None if ctx.today == date.today() else ctx.today)
            repo.create_tag(tag, text, tx.author, stamp)
            commit = repo.resolve(tag)
    return ReleaseResult(agreement_id, version, tag, commit, digest, text)


def _day(when: date | datetime | None) -> date | None:
    if isinstance(when, datetime):
        return when.date()
    return when


def _refuse(de: str, en: str, **params: object) -> UsageError:
    return UsageError(T(de, en, **params))


MAX_EVIDENCE_BYTES = 512 * 1024 * 1024
"""The largest evidence file (a scan, a signed PDF) that is hashed."""


def _evidence(evidence: Path) -> Evidence:
    try:
        # A regular file only (a FIFO or /dev/zero would hang), read in chunks up to the limit.
        digest = hash_regular(Path(os.path.realpath(evidence)), MAX_EVIDENCE_BYTES)
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
    return Evidence(file=evidence.name, sha256=digest)


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
    if method not in METHODS:
        raise _refuse(
            "Verfahren „{m}“ unbekannt; möglich: {k}",
            'unknown method "{m}"; possible: {k}',
            m=method,
            k=", ".join(METHODS),
        )
    proof = _evidence(evidence) if evidence is not None else None
    with writing(ctx) as tx:
        snap = tx.snapshot()
        data = snap.data
        timeline = snap.timeline(agreement_id)
        released = [v.version for v in timeline.versions]
        if version is None:
            if not timeline.versions:
                raise _refuse(
                    "{a} hat noch keine veröffentlichte Version; zuerst „coop agreement release“",
                    '{a} has no released version yet; run "coop agreement release" first',
                    a=agreement_id,
                )
            target: VersionState = timeline.versions[-1]
        else:
            found = timeline.get(version)
            if found is None:
                raise not_found("version", version, released, where=agreement_id)
            target = found
        version = target.version
        text = target.text
        if text is None:
            raise _refuse(
                "{t} enthält die Vereinbarung nicht",
                "{t} does not hold the agreement",
                t=target.tag,
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
        if tx.exists(path):
            raise _refuse(
                "{p} hat {a} {v} schon freigegeben ({f})",
                "{p} already approved {a} {v} ({f})",
                p=partner,
                a=agreement_id,
                v=version,
                f=path,
            )
        day = when or ctx.today
        if day < target.released:
            raise _refuse(
                "Freigabe am {d} läge vor der Veröffentlichung von {v} am {r}",
                "an approval on {d} would come before {v} was released on {r}",
                d=day.isoformat(),
                v=version,
                r=target.released.isoformat(),
            )
        config = data.config.value if data.config else None
        if config is not None and config.signing.require_ssh and ssh_key is None:
            raise _refuse(
                "coop.toml verlangt SSH-signierte Freigaben ([signing] require_ssh); bitte "
                "--ssh-key",
                "coop.toml requires SSH-signed approvals ([signing] require_ssh); pass --ssh-key",
            )
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
        tx.create(path, dump_record(record))
        commit = tx.commit(
            T(
                "Freigabe von {a} {v} durch {p}",
                "Approve {a} {v} for {p}",
                a=agreement_id,
                v=version,
                p=partner,
            ),
            when,
        )
    return SignResult(record, path, commit)


def _allowed(data: RepoData, partner_id: str) -> str:
    partner = data.find_partner(partner_id)
    return ssh.allowed_signers((partner_id, k) for k in partner.keys) if partner else ""


def verify(ctx: Context, agreement_id: str | None = None) -> VerifyReport:
    """Check every sign-off: version released, content hash, dates, record unchanged, signature."""
    snap = snapshot(ctx)
    data = snap.data
    if agreement_id is not None:
        get_agreement(snap, agreement_id)
    prefix = f"agreements/{agreement_id}/" if agreement_id else "agreements/"
    require_ssh = bool(data.config and data.config.value.signing.require_ssh)
    items: list[VerifyItem] = []
    broken: dict[str, list[T]] = {}
    for problem in snap.problems:
        if layout.kind_of(problem.source.path) == "signoff" and problem.source.path.startswith(
            prefix
        ):
            broken.setdefault(problem.source.path, []).append(
                T("{s}: {m}", "{s}: {m}", s=str(problem.source), m=problem.message)
            )
    timelines = snap.timelines()
    with GitRepo(ctx.root) as repo:
        touched = Counter(
            p for c in repo.log([prefix.rstrip("/")]) for p in c.paths if "/signoffs/" in p
        )
        dirty = set(repo.status_paths())
    for located in data.signoffs:
        so = located.value
        if not located.path.startswith(prefix):
            continue
        reasons: list[T] = []
        timeline = timelines.get(so.agreement)
        target = timeline.get(so.version) if timeline is not None else None
        if target is None:
            reasons.append(
                T(
                    "Version {v} von {a} ist nicht veröffentlicht",
                    "version {v} of {a} is not released",
                    v=so.version,
                    a=so.agreement,
                )
            )
        elif target.text is None:
            reasons.append(
                T(
                    "{t} enthält die Vereinbarung nicht",
                    "{t} does not hold the agreement",
                    t=target.tag,
                )
            )
        else:
            if not hash_matches(so.content_hash, target.text):
                reasons.append(
                    T(
                        "Inhalts-Hash passt nicht zum Text von {v}: der Text wurde nach der "
                        "Freigabe geändert oder der Eintrag bearbeitet",
                        "content hash does not match the text of {v}: the text changed after "
                        "approval or the record was edited",
                        v=so.version,
                    )
                )
            if so.partner not in target.text.parties:
                reasons.append(
                    T(
                        "„{p}“ ist keine Partei von {v}",
                        '"{p}" is not a party to {v}',
                        p=so.partner,
                        v=so.version,
                    )
                )
            if so.date < target.released:
                reasons.append(
                    T(
                        "Freigabe vom {d} liegt vor der Veröffentlichung von {v} am {r}",
                        "approval dated {d} is before {v} was released on {r}",
                        d=so.date.isoformat(),
                        v=so.version,
                        r=target.released.isoformat(),
                    )
                )
        count = touched.get(located.path, 0)
        if count == 0:
            reasons.append(T("Eintrag ist nicht übernommen (commit)", "record is not committed"))
        elif count > 1 or located.path in dirty:
            reasons.append(
                T(
                    "Eintrag wurde nach der Freigabe geändert",
                    "record was changed after approval",
                )
            )
        if so.signature:
            verdict = ssh.verify(
                record_payload(so), so.signature, _allowed(data, so.partner), so.partner, so.date
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
