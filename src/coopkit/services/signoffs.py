"""Versions and sign-offs: release a version, approve it, verify approvals, summarise the state."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pydantic import ValidationError

from coopkit.errors import ProblemsFound, T, UsageError, joined
from coopkit.i18n import Msg, _
from coopkit.model.invalid import explain_error
from coopkit.model.signoff import Evidence, SignOff, Withdrawal
from coopkit.queries.context import Context
from coopkit.queries.entries import NOT_ENTERED
from coopkit.queries.load import Snapshot, snapshot
from coopkit.queries.lookup import get_agreement, not_found
from coopkit.queries.trust import (
    HistoryGate,
    build_registry,
    check_attestation,
    check_signature,
)
from coopkit.queries.trust import verify_history as trust_history
from coopkit.queries.versions import VersionState, version_number, version_tag
from coopkit.services.repository import CommitResult, writing
from coopkit.signing import ssh
from coopkit.signing.hashing import (
    content_hash,
    hash_matches,
    parse_request,
    record_payload,
    request_name,
    request_text,
    withdrawal_payload,
)
from coopkit.signing.keys import signature_fingerprint
from coopkit.store import layout
from coopkit.store.codec import dump_record, validation_problems
from coopkit.store.git import GitRepo

METHODS = ("internal", "wet-ink", "qes")
METHOD_LABELS: dict[str, Msg] = {
    "internal": _("freigegeben (intern)"),
    "wet-ink": _("freigegeben (Unterschrift auf Papier, Scan)"),
    "qes": _("freigegeben (qualifizierte elektronische Signatur, extern)"),
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
    fingerprint: str | None = None
    """The key that made the SSH signature."""
    chain: list[T] = field(default_factory=list)
    """Who registered that key, on whose authority, up to the pinned coordinator key."""
    evidence: str | None = None
    """`file (sha256:…)` of a scan or QES file kept outside, referenced by hash."""
    label: T | None = None
    """What a view shows beside it: unsigned (and by whom) or attested by the coordinator."""

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
        # An ended agreement gets no new version, nor one still naming a party that left.
        from coopkit.services.lifecycle import refuse_release_after_ending

        refuse_release_after_ending(snap.timeline(agreement_id), agreement, _day(when) or ctx.today)
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
        # The version names the commit: its text and its parties' files as committed, since a
        # released version is rendered with the partner files as they were at its tag.
        parties = [snap.data.partners[p].path for p in agreement.parties if p in snap.data.partners]
        with GitRepo(ctx.root) as repo:
            committed = repo.read_blobs([f"HEAD:{p}" for p in (path, *parties)])
            dirty = [
                p for p in (path, *parties) if committed[f"HEAD:{p}"] != (ctx.root / p).read_bytes()
            ]
            if dirty:
                raise UsageError(
                    T(
                        "{p} hat nicht übernommene Änderungen; eine Version nennt nur Übernommenes",
                        "{p} has uncommitted changes; a version can only name committed text",
                        p=", ".join(dirty),
                    ),
                    hint=T(
                        'erst übernehmen: coop commit -m "…" {p}',
                        'commit them first: coop commit -m "…" {p}',
                        p=" ".join(dirty),
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
            from coopkit.model.releasable import check_releasable

            unfinished = check_releasable(
                snap.data.agreements[agreement_id], tx.read(path).text, snap.data
            )
            if unfinished:
                raise ProblemsFound(
                    unfinished,
                    T(
                        "Veröffentlichung abgelehnt: {a} ist noch nicht unterschriftsreif "
                        "({n} Problem(e)); nichts wurde veröffentlicht",
                        "release refused: {a} is not ready for signing yet ({n} problem(s)); "
                        "nothing was released",
                        a=agreement_id,
                        n=len(unfinished),
                    ),
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
    from coopkit.services.inputs import hash_input

    # A regular file only (a FIFO or /dev/zero would hang), read in chunks up to the limit.
    digest = hash_input(evidence, T("Nachweis", "evidence"), MAX_EVIDENCE_BYTES)
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
    imported: Path | None = None,
    request: Path | None = None,
) -> SignResult:
    """Record that a party's signatory approved a released version, bound to its content hash.

    With `imported` (a `.sig` made by `ssh-keygen -Y sign` on a sign request), the record is
    the one the request holds and the signature is checked against the partner's trusted keys.
    """
    if method not in METHODS:
        raise _refuse(
            "Verfahren „{m}“ unbekannt; möglich: {k}",
            'unknown method "{m}"; possible: {k}',
            m=method,
            k=", ".join(METHODS),
        )
    proof = _evidence(evidence) if evidence is not None else None
    ssh_key = ssh_key or ctx.ssh_key
    from_request = _read_request(imported, request) if imported is not None else None
    if from_request is not None:
        asked = from_request[0]
        version = version or str(asked.get("version", ""))
        if asked.get("agreement") != agreement_id or asked.get("partner") != partner:
            raise _refuse(
                "die Anfrage gilt für {a}/{p}, nicht für {x}/{y}",
                "the request is for {a}/{p}, not for {x}/{y}",
                a=str(asked.get("agreement")),
                p=str(asked.get("partner")),
                x=agreement_id,
                y=partner,
            )
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
            raise UsageError(
                T(
                    "{p} hat {a} {v} schon freigegeben ({f})",
                    "{p} already approved {a} {v} ({f})",
                    p=partner,
                    a=agreement_id,
                    v=version,
                    f=path,
                ),
                hint=T(
                    "eine falsche Freigabe zieht der Partner oder die Koordination zurück: "
                    'coop agreement withdraw {a} --partner {p} --version {v} --reason "…"',
                    "the partner or the coordinator withdraws a wrong approval: coop agreement "
                    'withdraw {a} --partner {p} --version {v} --reason "…"',
                    p=partner,
                    a=agreement_id,
                    v=version,
                ),
            )
        day = when or ctx.today
        if from_request is not None:
            day = date.fromisoformat(str(from_request[0].get("date")))
        _check_approval_day(day, ctx.today, target)
        config = data.config.value if data.config else None
        roots = list(snap.roots().pins)
        if (
            ssh_key is None
            and from_request is None
            and (roots or (config is not None and config.signing.require_ssh))
        ):
            raise _refuse(
                "Freigaben werden hier signiert ({w}): mit dem Schlüssel von {p} (--ssh-key "
                "oder COOP_SSH_KEY) oder, für Papier und QES mit --evidence, als Bestätigung "
                "mit einem gepinnten Koordinationsschlüssel",
                "approvals are signed here ({w}): with a key of {p} (--ssh-key or "
                "COOP_SSH_KEY) or, for paper and QES with --evidence, attested with a pinned "
                "coordinator key",
                p=partner,
                w="coop.toml [trust] coordinator_keys"
                if roots
                else "coop.toml [signing] require_ssh",
            )
        try:
            if from_request is not None:
                record = _request_record(from_request, path)
                if not hash_matches(record.content_hash, text):
                    raise _refuse(
                        "die Anfrage nennt Inhalts-Hash {h}, {v} hat {e}",
                        "the request names content hash {h}, {v} has {e}",
                        h=record.content_hash,
                        v=version,
                        e=content_hash(text),
                    )
            else:
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
            raise ProblemsFound(validation_problems(SignOff, err, path)) from err
        signature = from_request[1] if from_request is not None else None
        if ssh_key is not None and signature is None:
            signature = ssh.sign(record_payload(record), ssh_key)
        if signature is not None:
            _check_new_signature(snap, record, signature, roots)
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


@dataclass(frozen=True)
class WithdrawResult:
    """A written withdrawal record, the sign-off it took back, and the commit."""

    withdrawal: Withdrawal
    path: str
    signoff_path: str
    commit: CommitResult


def withdraw(
    ctx: Context,
    agreement_id: str,
    partner: str,
    reason: str,
    *,
    version: str | None = None,
    withdrawn_by: str | None = None,
    ssh_key: Path | None = None,
    when: date | None = None,
) -> WithdrawResult:
    """Take back a partner's sign-off by a record of its own; the partner may then sign again.

    The withdrawal keeps the sign-off as it stood; the sign-off file goes in the same commit.
    With pinned coordinator keys it is signed by a trusted key of the partner or by a pinned
    coordinator key, like the sign-off itself.
    """
    ssh_key = ssh_key or ctx.ssh_key
    day = when or ctx.today
    if day > ctx.today:
        raise _refuse(
            "Rückzug am {d} läge nach heute ({t}); Einträge werden nicht vordatiert",
            "a withdrawal on {d} would lie after today ({t}); records are not post-dated",
            d=day.isoformat(),
            t=ctx.today.isoformat(),
        )
    if not reason.strip():
        raise _refuse(
            "--reason: warum wird die Freigabe zurückgezogen?",
            "--reason: why is the approval withdrawn?",
        )
    with writing(ctx) as tx:
        snap = tx.snapshot()
        timeline = snap.timeline(agreement_id)
        signed = {
            located.value.version: located
            for located in snap.data.signoffs
            if located.path.startswith(f"agreements/{agreement_id}/signoffs/")
            and located.value.partner == partner
        }
        if version is None:
            numbered = sorted(signed, key=lambda v: version_number(v) or 0)
            if not numbered:
                raise not_found("signoff", partner, [], where=agreement_id)
            version = numbered[-1]
        if timeline.get(version) is None:
            raise not_found(
                "version", version, [v.version for v in timeline.versions], where=agreement_id
            )
        located = signed.get(version)
        path = layout.signoff_path(agreement_id, version, partner)
        if located is None or located.path != path:
            raise _refuse(
                "{p} hat {a} {v} nicht freigegeben ({f} fehlt)",
                "{p} has not approved {a} {v} ({f} is missing)",
                p=partner,
                a=agreement_id,
                v=version,
                f=path,
            )
        if day < located.value.date:
            raise _refuse(
                "Rückzug am {d} läge vor der Freigabe vom {s}",
                "a withdrawal on {d} would come before the approval of {s}",
                d=day.isoformat(),
                s=located.value.date.isoformat(),
            )
        config = snap.data.config.value if snap.data.config else None
        roots = list(snap.roots().pins)
        if ssh_key is None and (roots or (config is not None and config.signing.require_ssh)):
            raise _refuse(
                "ein Rückzug wird signiert wie die Freigabe: mit dem Schlüssel von {p} oder "
                "einem gepinnten Koordinationsschlüssel (--ssh-key oder COOP_SSH_KEY)",
                "a withdrawal is signed like the approval: with a key of {p} or a pinned "
                "coordinator key (--ssh-key or COOP_SSH_KEY)",
                p=partner,
            )
        n = 1
        while tx.exists(layout.withdrawal_path(agreement_id, version, partner, n)):
            n += 1
        target = layout.withdrawal_path(agreement_id, version, partner, n)
        try:
            record = Withdrawal(
                agreement=agreement_id,
                version=version,
                partner=partner,
                date=day,
                reason=reason.strip(),
                withdrawn_by=(withdrawn_by or tx.author.name).strip(),
                signoff=located.value,
            )
        except ValidationError as err:
            raise ProblemsFound(validation_problems(Withdrawal, err, target)) from err
        if ssh_key is not None:
            signature = ssh.sign(withdrawal_payload(record), ssh_key)
            registry = build_registry(snap)
            if signature_fingerprint(signature) in roots:
                checked = check_attestation(registry, withdrawal_payload(record), signature, day)
            else:
                checked = check_signature(
                    registry, partner, withdrawal_payload(record), signature, day, NOT_ENTERED
                )
            if checked.reason is not None:
                raise UsageError(checked.reason)
            record = record.model_copy(update={"signature": signature})
        tx.create(target, dump_record(record))
        tx.delete(path)
        commit = tx.commit(
            T(
                "Freigabe von {a} {v} durch {p} zurückgezogen: {r}",
                "Withdraw the approval of {a} {v} by {p}: {r}",
                a=agreement_id,
                v=version,
                p=partner,
                r=record.reason,
            ),
            when,
        )
    return WithdrawResult(record, target, path, commit)


def _check_approval_day(day: date, today: date, target: VersionState) -> None:
    """Refuse an approval day after today or before the version was released."""
    if day > today:
        raise _refuse(
            "Freigabe am {d} läge nach heute ({t}); Freigaben werden nicht vordatiert",
            "an approval on {d} would lie after today ({t}); approvals are not post-dated",
            d=day.isoformat(),
            t=today.isoformat(),
        )
    if day < target.released:
        raise _refuse(
            "Freigabe am {d} läge vor der Veröffentlichung von {v} am {r}",
            "an approval on {d} would come before {v} was released on {r}",
            d=day.isoformat(),
            v=target.version,
            r=target.released.isoformat(),
        )


def _check_new_signature(snap: Snapshot, record: SignOff, signature: str, roots: list[str]) -> None:
    """Refuse a signature that would not make the new record count (see `queries.verdict`)."""
    from coopkit.queries.verdict import PAPER

    registry = build_registry(snap)
    payload = record_payload(record)
    if signature_fingerprint(signature) in roots and record.method in PAPER:
        if record.evidence is None:
            raise _refuse(
                "eine Bestätigung der Koordination braucht den Nachweis (--evidence DATEI)",
                "an attestation by the coordinator needs the evidence (--evidence FILE)",
            )
        checked = check_attestation(registry, payload, signature, record.date)
    else:
        checked = check_signature(
            registry, record.partner, payload, signature, record.date, NOT_ENTERED
        )
    if checked.reason is not None:
        raise UsageError(
            checked.reason,
            hint=T(
                "den öffentlichen Schlüssel registrieren lassen: coop partner key add "
                '{p} DATEI.pub --ssh-key KOORDINATIONSSCHLÜSSEL --confirmed "…"; Papier und '
                "QES bestätigt die Koordination mit --method wet-ink|qes --evidence DATEI",
                "have the public key registered: coop partner key add {p} FILE.pub "
                '--ssh-key COORDINATOR-KEY --confirmed "…"; the coordinator attests paper and '
                "QES with --method wet-ink|qes --evidence FILE",
                p=record.partner,
            ),
        )


def _read_request(signature: Path, request: Path | None) -> tuple[dict[str, object], str]:
    """Return (record fields, armored signature) of a returned sign request.

    The fields are checked as the sign-off they become (dates, ids, hash), so a malformed
    request is refused here with what is wrong, never later.
    """
    from coopkit.services.inputs import read_input_text

    request = request or signature.with_suffix("")
    hint = T(
        "die .sig-Datei neben der Anfrage ablegen oder --request DATEI angeben",
        "put the .sig file next to the request or pass --request FILE",
    )
    try:
        sig_text = read_input_text(signature, T("Signatur (--import)", "signature (--import)"))
        req_text = read_input_text(request, T("Anfrage (--request)", "request (--request)"))
    except UsageError as err:
        raise UsageError(err.message, hint=hint) from err
    fields = parse_request(req_text)
    if fields is None or "BEGIN SSH SIGNATURE" not in sig_text:
        raise _refuse(
            "{r} ist keine Freigabe-Anfrage von coop oder {s} keine SSH-Signatur",
            "{r} is not a coop sign request or {s} not an SSH signature",
            r=str(request),
            s=str(signature),
        )
    try:
        # `sign` reads the date as ISO text: anything else is refused here, by name.
        date.fromisoformat(str(fields.get("date")))
        SignOff.model_validate(
            {**{k: v for k, v in fields.items() if v is not None}, "signed_text": "request"}
        )
    except (ValueError, ValidationError) as err:
        wrong: object = (
            joined([explain_error(e)[0] for e in err.errors()])
            if isinstance(err, ValidationError)
            else explain_error(
                {"type": "date_parsing", "loc": ("date",), "input": fields.get("date")}
            )[0]
        )
        raise _refuse(
            "{r}: die Anfrage ist fehlerhaft ({e}); bitte eine neue Anfrage erstellen "
            "(coop agreement sign-request)",
            "{r}: the request is malformed ({e}); please make a new one "
            "(coop agreement sign-request)",
            r=str(request),
            e=wrong,
        ) from err
    return fields, sig_text if sig_text.endswith("\n") else sig_text + "\n"


def _request_record(from_request: tuple[dict[str, object], str], path: str) -> SignOff:
    fields = {k: v for k, v in from_request[0].items() if v is not None}
    record = SignOff.model_validate({**fields, "signed_text": "request"})
    return record


@dataclass(frozen=True)
class RequestResult:
    """A written sign request: the file, its text and the command that signs it."""

    path: Path
    text: str
    command: str


def sign_request(
    ctx: Context,
    agreement_id: str,
    partner: str,
    signatory: str,
    *,
    function: str | None = None,
    place: str | None = None,
    when: date | None = None,
    version: str | None = None,
    output: Path | None = None,
) -> RequestResult:
    """Write the text a partner without coopkit signs with `ssh-keygen -Y sign`."""
    # The request's header lines show these values; a line break would add a header line.
    for option, value in (("--signatory", signatory), ("--function", function), ("--place", place)):
        if value is not None and any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
            raise _refuse(
                "{o}: „{v}“ enthält einen Zeilenumbruch oder ein Steuerzeichen; erwartet eine "
                "Zeile",
                '{o}: "{v}" holds a line break or a control character; expected one line',
                o=option,
                v=value.encode("unicode_escape").decode("ascii"),
            )
    snap = snapshot(ctx)
    get_agreement(snap, agreement_id)
    timeline = snap.timeline(agreement_id)
    target = timeline.get(version) if version else timeline.latest
    if target is None or target.text is None:
        raise not_found(
            "version", version or "", [v.version for v in timeline.versions], where=agreement_id
        )
    if partner not in target.text.parties:
        raise _refuse(
            "„{p}“ ist keine Partei von {a} {v}",
            '"{p}" is not a party to {a} {v}',
            p=partner,
            a=agreement_id,
            v=target.version,
        )
    day = when or ctx.today
    # The request asks for exactly what `sign --import` will accept.
    _check_approval_day(day, ctx.today, target)
    record = SignOff(
        agreement=agreement_id,
        version=target.version,
        partner=partner,
        signatory=signatory,
        function=function or None,
        place=place or None,
        date=day,
        content_hash=content_hash(target.text),
        signed_text="request",
    )
    text = request_text(record)
    from coopkit.services.outputs import default_output, write_output

    path = write_output(
        ctx, output or default_output(ctx, request_name(record)), text.encode("utf-8")
    )
    command = f"ssh-keygen -Y sign -f SCHLÜSSEL -n {ssh.NAMESPACE} {path.name}"
    return RequestResult(path, text, command)


def verify(ctx: Context, agreement_id: str | None = None) -> VerifyReport:
    """Report the verdict on every sign-off (see `queries.verdict`): the one every view uses."""
    from coopkit.queries.verdict import signoff_verdicts

    snap = snapshot(ctx)
    data = snap.data
    if agreement_id is not None:
        get_agreement(snap, agreement_id)
    prefix = f"agreements/{agreement_id}/" if agreement_id else "agreements/"
    items: list[VerifyItem] = []
    broken: dict[str, list[T]] = {}
    for problem in snap.problems:
        if layout.kind_of(problem.source.path) == "signoff" and problem.source.path.startswith(
            prefix
        ):
            broken.setdefault(problem.source.path, []).append(
                T("{s}: {m}", "{s}: {m}", s=str(problem.source), m=problem.message)
            )
    verdicts = signoff_verdicts(snap)
    for located in data.signoffs:
        so = located.value
        if not located.path.startswith(prefix):
            continue
        verdict = verdicts[located.path]
        approval = verdict.approval
        label = approval.label() if approval is not None else None
        items.append(
            VerifyItem(
                located.path,
                so.agreement,
                so.version,
                so.partner,
                so.method,
                bool(so.signature),
                [message for _, message in verdict.reasons],
                approval.fingerprint if approval is not None else None,
                list(approval.chain) if approval is not None else [],
                f"{so.evidence.file} (sha256:{so.evidence.sha256[:16]}…)" if so.evidence else None,
                label,
            )
        )
    for path, reasons in sorted(broken.items()):
        parts = path.split("/")
        items.append(VerifyItem(path, parts[1], parts[3], parts[4][:-5], None, False, reasons))
    return VerifyReport(sorted(items, key=lambda i: i.path))


def verify_history(ctx: Context) -> HistoryGate:
    """Check the signed history ([signing] sign_commits) from the commit that switched it on."""
    snap = snapshot(ctx)
    return trust_history(snap, build_registry(snap))
