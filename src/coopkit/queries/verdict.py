"""One verdict per sign-off: whether it counts toward "in force", and why not.

Every view asks this engine (through the version timeline): status, show, due, documents,
check, verify and sync. A sign-off counts when it names the released text by its content hash,
its partner is a party to that text, it is dated within [release, the commit that recorded it],
it is committed as it was written, and it is proven:

- with pinned coordinator keys (`[trust] coordinator_keys`): signed by a key of the partner
  that the key chain trusts for the record (by its date and by when it entered the history),
  or, for paper (`wet-ink`) and qualified e-signatures (`qes`) kept outside, recorded with the
  evidence's hash and attested by a signature of a pinned coordinator key. No switch allows
  anything else;
- without a trust root (one office working alone): signed as above, or unsigned unless
  `[signing] require_ssh`; an unsigned approval is labelled with who recorded it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from coopkit.errors import Problem, T
from coopkit.model.base import Located
from coopkit.model.signoff import SignOff, Withdrawal
from coopkit.queries.entries import Entry
from coopkit.signing.hashing import hash_matches, record_payload, withdrawal_payload

if TYPE_CHECKING:
    from coopkit.model.agreement import Agreement
    from coopkit.queries.load import Snapshot
    from coopkit.queries.trust import Registry

Basis = Literal["signed", "attested", "unsigned", "none"]
Reason = tuple[str, T]
"""The field a reason concerns ("" for the whole record) and what is wrong."""

PAPER = ("wet-ink", "qes")
Day = date


@dataclass(frozen=True)
class Approval:
    """One party's approval of one released version, with the verdict on it."""

    partner: str
    signatory: str
    function: str | None
    place: str | None
    date: date
    method: str
    ssh_signed: bool
    path: str
    matches_version: bool
    """Whether the record's content hash names this version's text."""
    reasons: tuple[Reason, ...] = ()
    """Why it does not count (empty: it counts)."""
    basis: Basis = "none"
    """What proves it: a partner's signature, the coordinator's attestation, or nothing."""
    fingerprint: str | None = None
    """The key that made the SSH signature."""
    chain: tuple[T, ...] = ()
    """Who registered that key, on whose authority, up to the pinned coordinator key."""
    recorded_by: str = ""
    """The author of the commit that recorded it."""
    recorded_on: Day | None = None
    """The day of that commit."""

    @property
    def counts(self) -> bool:
        """Return whether the approval counts toward the version being in force."""
        return not self.reasons

    def label(self) -> T | None:
        """Return what a view shows beside an approval that counts without proof, or None."""
        if self.counts and self.basis == "unsigned":
            return T(
                "ohne Signatur, eingetragen von {a}",
                "without signature, recorded by {a}",
                a=self.recorded_by.split(" <", 1)[0] or "?",
            )
        if self.counts and self.basis == "attested":
            return T(
                "von der Koordination bestätigt (Nachweis per Hash)",
                "attested by the coordinator (evidence by hash)",
            )
        return None


@dataclass(frozen=True)
class Withdrawn:
    """A withdrawal of a sign-off, with the verdict on it."""

    partner: str
    date: date
    reason: str
    withdrawn_by: str
    path: str
    signoff: SignOff
    """The withdrawn record as it stood."""
    reasons: tuple[Reason, ...] = ()
    """Why the withdrawal does not hold (empty: it holds)."""
    recorded_by: str = ""

    @property
    def holds(self) -> bool:
        """Return whether the withdrawal holds (signed as a sign-off of that partner must be)."""
        return not self.reasons


class Judge:
    """Decides on the sign-offs of one snapshot (the key registry is built once, when needed)."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        config = snap.data.config
        self.roots = list(snap.roots().pins)
        self.require_ssh = bool(config and config.value.signing.require_ssh)
        self._registry: Registry | None = None
        self._entries: dict[str, Entry] | None = None
        self._withdrawn: dict[tuple[str, str], list[Withdrawn]] | None = None

    def registry(self) -> Registry:
        """Return the key registry of the snapshot."""
        if self._registry is None:
            from coopkit.queries.trust import build_registry

            self._registry = build_registry(self.snap)
        return self._registry

    def entry(self, path: str) -> Entry:
        """Return where a sign-off entered the history (all of the snapshot's read at once)."""
        if self._entries is None:
            data = self.snap.data
            paths = [s.path for s in data.signoffs] + [w.path for w in data.withdrawals]
            self._entries = self.snap.history().entries(paths)
        found = self._entries.get(path)
        return found if found is not None else self.snap.history().entry(path)

    def withdrawn(self, agreement_id: str, version: str) -> list[Withdrawn]:
        """Return the withdrawals of sign-offs of one version, each with its verdict."""
        if self._withdrawn is None:
            self._withdrawn = {}
            for located in self.snap.data.withdrawals:
                w = located.value
                key = (w.agreement, w.version)
                self._withdrawn.setdefault(key, []).append(self._judge_withdrawal(located))
            for found in self._withdrawn.values():
                found.sort(key=lambda w: (w.date, w.partner, w.path))
        return list(self._withdrawn.get((agreement_id, version), []))

    def _judge_withdrawal(self, located: Located[Withdrawal]) -> Withdrawn:
        from coopkit.queries.trust import check_attestation, check_signature

        w = located.value
        entry = self.entry(located.path)
        reasons = _entry_reasons(w.date, entry, "Rückzug", "withdrawal")
        if w.signature:
            registry = self.registry()
            payload = withdrawal_payload(w)
            if _signer(w.signature) in self.roots:
                found = check_attestation(registry, payload, w.signature, w.date)
            else:
                found = check_signature(registry, w.partner, payload, w.signature, w.date, entry)
            if found.reason is not None:
                reasons.append(("signature", found.reason))
        elif self.roots or self.require_ssh:
            reasons.append(
                (
                    "",
                    T(
                        "Rückzug ohne Signatur: nur der Partner mit seinem Schlüssel oder die "
                        "Koordination mit einem gepinnten Schlüssel zieht eine Freigabe zurück",
                        "withdrawal without signature: only the partner with its key or the "
                        "coordinator with a pinned key withdraws an approval",
                    ),
                )
            )
        return Withdrawn(
            w.partner,
            w.date,
            w.reason,
            w.withdrawn_by,
            located.path,
            w.signoff,
            tuple(reasons),
            entry.author,
        )

    def judge(
        self, located: Located[SignOff], text: Agreement | None, parties: list[str], released: date
    ) -> Approval:
        """Return the approval a sign-off record makes for a released version, with its verdict."""
        so = located.value
        matches = text is not None and hash_matches(so.content_hash, text)
        reasons: list[Reason] = []
        if text is None:
            reasons.append(
                (
                    "version",
                    T("die Fassung enthält keine Vereinbarung", "the version holds no agreement"),
                )
            )
        elif not matches:
            reasons.append(
                (
                    "content_hash",
                    T(
                        "Inhalts-Hash passt nicht zum Text von {v}: der Text wurde nach der "
                        "Freigabe geändert oder der Eintrag bearbeitet",
                        "content hash does not match the text of {v}: the text changed after "
                        "approval or the record was edited",
                        v=so.version,
                    ),
                )
            )
        if so.partner not in parties:
            reasons.append(
                (
                    "partner",
                    T(
                        "„{p}“ ist keine Partei von {v}",
                        '"{p}" is not a party to {v}',
                        p=so.partner,
                        v=so.version,
                    ),
                )
            )
        if so.date < released:
            reasons.append(
                (
                    "date",
                    T(
                        "Freigabe vom {d} liegt vor der Veröffentlichung von {v} am {r}",
                        "approval dated {d} is before {v} was released on {r}",
                        d=so.date.isoformat(),
                        v=so.version,
                        r=released.isoformat(),
                    ),
                )
            )
        expected = f"agreements/{so.agreement}/signoffs/{so.version}/{so.partner}.yaml"
        if located.path != expected:
            reasons.append(
                (
                    "partner",
                    T(
                        "der Eintrag steht unter {p}, nicht unter {e}",
                        "the record is stored at {p}, not at {e}",
                        p=located.path,
                        e=expected,
                    ),
                )
            )
        entry = self.entry(located.path)
        reasons += _entry_reasons(so.date, entry, "Freigabe", "approval")
        basis, fingerprint, chain, proof = self._proof(located, entry)
        reasons += proof
        for w in self.withdrawn(so.agreement, so.version):
            if w.holds and w.signoff == so:
                reasons.append(
                    (
                        "",
                        T(
                            "am {d} von {b} zurückgezogen: {r} ({p})",
                            "withdrawn on {d} by {b}: {r} ({p})",
                            d=w.date.isoformat(),
                            b=w.withdrawn_by,
                            r=w.reason,
                            p=w.path,
                        ),
                    )
                )
        return Approval(
            so.partner,
            so.signatory,
            so.function,
            so.place,
            so.date,
            so.method,
            bool(so.signature),
            located.path,
            matches,
            tuple(reasons),
            basis,
            fingerprint,
            chain,
            entry.author,
            entry.day,
        )

    def _proof(
        self, located: Located[SignOff], entry: Entry
    ) -> tuple[Basis, str | None, tuple[T, ...], list[Reason]]:
        from coopkit.queries.trust import check_attestation, check_signature, describe_chain

        so = located.value
        reasons: list[Reason] = []
        if so.method in PAPER and so.evidence is None and (self.roots or so.signature):
            reasons.append(
                (
                    "method",
                    T(
                        "Papier oder QES ohne Nachweis: der Hash der Datei fehlt (--evidence)",
                        "paper or QES without evidence: the file's hash is missing (--evidence)",
                    ),
                )
            )
        if not so.signature:
            if self.roots:
                reasons.append(
                    (
                        "",
                        T(
                            "ohne Signatur: mit gepinnten Koordinationsschlüsseln zählt nur eine "
                            "Freigabe, die ein vertrauenswürdiger Schlüssel des Partners signiert "
                            "hat oder (Papier, QES) die Koordination mit ihrem Schlüssel bestätigt",
                            "not signed: with pinned coordinator keys only an approval signed by a "
                            "trusted key of the partner counts, or (paper, QES) one the "
                            "coordinator attests with their key",
                        ),
                    )
                )
            elif self.require_ssh:
                reasons.append(
                    (
                        "",
                        T(
                            "keine SSH-Signatur, aber coop.toml verlangt sie ([signing] "
                            "require_ssh)",
                            "no SSH signature, but coop.toml requires one ([signing] require_ssh)",
                        ),
                    )
                )
            return "unsigned", None, (), reasons
        registry = self.registry()
        payload = record_payload(so)
        if so.method in PAPER and _signer(so.signature) in self.roots:
            found = check_attestation(registry, payload, so.signature, so.date)
            if found.reason is not None:
                reasons.append(("signature", found.reason))
            return "attested", found.fingerprint, (), reasons
        checked = check_signature(registry, so.partner, payload, so.signature, so.date, entry)
        if checked.reason is not None:
            reasons.append(("signature", checked.reason))
        chain = tuple(describe_chain(registry, checked.key)) if checked.key is not None else ()
        return "signed", checked.fingerprint, chain, reasons


def _signer(signature: str) -> str | None:
    from coopkit.signing.keys import signature_fingerprint

    return signature_fingerprint(signature)


def _entry_reasons(day: date, entry: Entry, de: str, en: str) -> list[Reason]:
    """Return what the history says against a record: not committed, changed, post-dated."""
    if entry.commit is None:
        return [("", T("Eintrag ist nicht übernommen (commit)", "record is not committed"))]
    reasons: list[Reason] = []
    if entry.changed:
        reasons.append(
            (
                "",
                T(
                    "Eintrag wurde geändert, nachdem er eingetragen war",
                    "record was changed after it was recorded",
                ),
            )
        )
    if entry.day is not None and day > entry.day:
        reasons.append(
            (
                "date",
                T(
                    "{w} ist auf den {d} datiert, nach dem Commit vom {c}, der sie einträgt; "
                    "sie wird nicht vordatiert",
                    "{x} is dated {d}, after the commit of {c} that records it; it is not "
                    "post-dated",
                    w=de,
                    x=en,
                    d=day.isoformat(),
                    c=entry.day.isoformat(),
                ),
            )
        )
    return reasons


@dataclass(frozen=True)
class Verdict:
    """The verdict on one sign-off record, also where it names no released version."""

    path: str
    agreement: str
    version: str
    partner: str
    approval: Approval | None
    """The approval the record makes for a released version (None: no such version)."""
    reasons: tuple[Reason, ...]

    @property
    def counts(self) -> bool:
        """Return whether the sign-off counts."""
        return not self.reasons


def signoff_verdicts(snap: Snapshot) -> dict[str, Verdict]:
    """Return the verdict on every sign-off record of a snapshot, by path."""
    timelines = snap.timelines()
    judge = Judge(snap)
    verdicts: dict[str, Verdict] = {}
    for located in snap.data.signoffs:
        so = located.value
        timeline = timelines.get(so.agreement)
        version = timeline.get(so.version) if timeline is not None else None
        approval = (
            next((a for a in version.approvals if a.path == located.path), None)
            if version is not None
            else None
        )
        if approval is not None:
            reasons = approval.reasons
        else:
            reasons = (
                (
                    "version",
                    T(
                        "Version {v} von {a} ist nicht veröffentlicht",
                        "version {v} of {a} is not released",
                        v=so.version,
                        a=so.agreement,
                    ),
                ),
                *_entry_reasons(so.date, judge.entry(located.path), "Freigabe", "approval"),
            )
        verdicts[located.path] = Verdict(
            located.path, so.agreement, so.version, so.partner, approval, reasons
        )
    return verdicts


def verdict_problems(snap: Snapshot) -> list[Problem]:
    """Return one problem per reason a sign-off does not count (for `coop check`)."""
    located_by_path = {s.path: s for s in snap.data.signoffs}
    problems = []
    for path, verdict in signoff_verdicts(snap).items():
        located = located_by_path[path]
        for loc, message in verdict.reasons:
            source = located.at(loc) if loc else located.at()
            problems.append(
                Problem(
                    source,
                    T(
                        "Freigabe zählt nicht: {m}",
                        "approval does not count: {m}",
                        m=message,
                    ),
                    "signoff-verdict",
                )
            )
    return problems
