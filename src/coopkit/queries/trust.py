"""The key registry: which SSH key speaks for which partner, traced back to the pinned coordinator.

A partner key counts only through a chain of registrations rooted in the fingerprints pinned in
coop.toml (`[trust] coordinator_keys`): a registration is trusted when its signature (namespace
`coopkit-key`) was made by a pinned key, or by a key already trusted for the same partner and
not revoked on the registration's day. A revocation, signed the same way, ends a key's validity
from its date on. Keys listed inline in a partner file no longer count by themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from coopkit.errors import Problem, RepositoryError, Source, T
from coopkit.model.base import Located
from coopkit.model.erasure import MappedCommit
from coopkit.model.keys import FINGERPRINT, KeyRegistration, KeyRevocation
from coopkit.model.partner import SigningKey
from coopkit.queries.entries import NOT_ENTERED, Entry, History
from coopkit.queries.erasure import (
    Erasures,
    added_in,
    erased_back,
    not_counting,
    read_records,
    signature_problem,
)
from coopkit.queries.load import Snapshot
from coopkit.signing import ssh
from coopkit.signing.hashing import key_payload, revocation_payload
from coopkit.signing.keys import fingerprint, key_line, signature_fingerprint, signature_key
from coopkit.store import layout
from coopkit.store.git import GitRepo

ROOT = "coop.toml"


@dataclass(frozen=True)
class TrustedKey:
    """A key trusted for a partner, with the registration that made it so."""

    partner: str
    fingerprint: str
    key: str
    path: str
    registered_by: str
    registered_on: date
    confirmed: str
    signer: str
    """Fingerprint of the key that signed the registration."""
    valid_after: date | None = None
    valid_before: date | None = None
    revoked_from: date | None = None
    revocation_path: str | None = None
    entry: Entry = NOT_ENTERED
    """Where the registration entered the history."""
    revoked_entry: Entry | None = None
    """Where the revocation entered the history (None: not revoked)."""

    def valid_on(self, day: date) -> bool:
        """Return whether a signature dated `day` counts by the dates alone."""
        if day < self.registered_on:
            return False
        if self.valid_after and day < self.valid_after:
            return False
        if self.valid_before and day >= self.valid_before:
            return False
        return not (self.revoked_from and day >= self.revoked_from)

    def valid_for(self, day: date, entry: Entry, history: History | None) -> bool:
        """Return whether the key speaks for a record dated `day` that entered at `entry`.

        Besides the dates, the history decides: the record entered no earlier than the key's
        registration and strictly before its revocation, whatever dates either claims.
        """
        if not self.valid_on(day):
            return False
        if history is None:
            return True
        if not history.by(self.entry, entry):
            return False
        return self.revoked_entry is None or history.before(entry, self.revoked_entry)

    def signing_key(self) -> SigningKey:
        """Return the key with its validity window (revocation included) for ssh-keygen."""
        ends = [d for d in (self.valid_before, self.revoked_from) if d]
        return SigningKey(
            key=self.key, valid_after=self.valid_after, valid_before=min(ends) if ends else None
        )


@dataclass
class Registry:
    """Every trusted key, the pinned roots and the problems found on the way."""

    roots: list[str]
    trusted: dict[tuple[str, str], TrustedKey] = field(default_factory=dict)
    root_keys: dict[str, str] = field(default_factory=dict)
    """Public keys of pinned fingerprints, as far as signatures show them."""
    problems: list[Problem] = field(default_factory=list)
    history: History | None = None
    """When the records entered the history (None: dates alone decide)."""

    def valid(self, key: TrustedKey, day: date, entry: Entry) -> bool:
        """Return whether `key` speaks for a record dated `day` that entered at `entry`."""
        return key.valid_for(day, entry, self.history)

    def entry(self, path: str) -> Entry:
        """Return where a record file entered the history (not yet, without a history)."""
        return self.history.entry(path) if self.history is not None else NOT_ENTERED

    def find(self, partner: str, fp: str) -> TrustedKey | None:
        """Return the key trusted for a partner with this fingerprint, or None."""
        return self.trusted.get((partner, fp))

    def partners_of(self, fp: str) -> list[str]:
        """Return the partners a fingerprint is trusted for."""
        return sorted(p for (p, f) in self.trusted if f == fp)

    def for_partner(self, partner: str) -> list[TrustedKey]:
        """Return the keys trusted for a partner."""
        return [k for (p, _), k in sorted(self.trusted.items()) if p == partner]

    def chain(self, key: TrustedKey) -> list[TrustedKey]:
        """Return the registrations from `key` up to the one signed by a pinned key."""
        links = [key]
        seen = {key.fingerprint}
        current = key
        while current.signer not in self.roots:
            parent = self.find(current.partner, current.signer)
            if parent is None or parent.fingerprint in seen:
                break
            links.append(parent)
            seen.add(parent.fingerprint)
            current = parent
        return links


@dataclass(frozen=True)
class SignatureCheck:
    """Which trusted key made a signature, or why it does not count."""

    fingerprint: str | None
    key: TrustedKey | None
    reason: T | None


def _short(fp: str) -> str:
    return fp[:19] + "…" if len(fp) > 20 else fp


def describe_chain(registry: Registry, key: TrustedKey) -> list[T]:
    """Return one line per link: who registered which key, on whose authority."""
    lines = []
    for link in registry.chain(key):
        authority = (
            T(
                "dem gepinnten Koordinationsschlüssel {s} (coop.toml)",
                "the pinned coordinator key {s} (coop.toml)",
                s=_short(link.signer),
            )
            if link.signer in registry.roots
            else T(
                "dem Schlüssel {s} von {p}",
                "the key {s} of {p}",
                s=_short(link.signer),
                p=link.partner,
            )
        )
        lines.append(
            T(
                "{f} für {p}: registriert von {r} am {d} ({c}), signiert mit {a}",
                "{f} for {p}: registered by {r} on {d} ({c}), signed with {a}",
                f=_short(link.fingerprint),
                p=link.partner,
                r=link.registered_by,
                d=link.registered_on.isoformat(),
                c=link.confirmed,
                a=authority,
            )
        )
    return lines


def _problem(
    located: Located[Any], loc: str, de: str, en: str, code: str, **params: Any
) -> Problem:
    return Problem(located.at(loc), T(de, en, **params), code)


def _registration_problems(located: Located[KeyRegistration]) -> list[Problem]:
    reg = located.value
    problems = []
    actual = fingerprint(reg.key)
    if actual != reg.fingerprint:
        problems.append(
            _problem(
                located,
                "fingerprint",
                "Fingerabdruck {f} passt nicht zum Schlüssel (der hat {a})",
                "fingerprint {f} does not match the key (which has {a})",
                "key-fingerprint",
                f=reg.fingerprint,
                a=actual or "?",
            )
        )
    expected = layout.key_path(reg.partner, reg.fingerprint)
    if located.path != expected:
        problems.append(
            Problem(
                Source(located.path),
                T(
                    "Registrierung liegt unter {p}, erwartet {e} (Partner und Fingerabdruck)",
                    "registration is stored at {p}, expected {e} (partner and fingerprint)",
                    p=located.path,
                    e=expected,
                ),
                "key-path",
            )
        )
    if not reg.signature:
        problems.append(
            _problem(
                located,
                "partner",
                "Registrierung ist nicht signiert; nur eine signierte Registrierung zählt "
                "(coop partner key add … --ssh-key)",
                "registration is not signed; only a signed registration counts "
                "(coop partner key add … --ssh-key)",
                "key-unsigned",
            )
        )
    return problems


def _verified(payload: bytes, signature: str, when: date) -> T | None:
    signer = signature_key(signature)
    if signer is None:
        return T("Signatur nicht lesbar", "signature is unreadable")
    allowed = ssh.allowed_signers([("signer", SigningKey(key=signer))], namespace=ssh.KEY_NAMESPACE)
    verdict = ssh.verify(payload, signature, allowed, "signer", when, ssh.KEY_NAMESPACE)
    return None if verdict.ok else verdict.reason


def _trusted_signer(registry: Registry, partner: str, signer: str, day: date, entry: Entry) -> bool:
    if signer in registry.roots:
        return True
    found = registry.find(partner, signer)
    return found is not None and registry.valid(found, day, entry)


Revoked = dict[tuple[str, str], tuple[date, str, Entry]]
"""(partner, fingerprint) -> (revoked from, revocation path, where the revocation entered)."""


def build_registry(snap: Snapshot) -> Registry:
    """Trace every key registration back to the pinned coordinator keys; collect problems.

    Registrations and revocations are ordered by the history: a key registers or revokes only
    what enters the history after its own registration and before its own revocation.
    """
    data = snap.data
    config = data.config
    effective = snap.roots()
    roots = list(effective.pins)
    registry = Registry(roots, history=snap.history())
    if config is not None:
        for pinned in roots:
            if not FINGERPRINT.fullmatch(pinned):
                registry.problems.append(
                    Problem(
                        config.at("trust"),
                        T(
                            "„{v}“ in [trust] coordinator_keys ist kein SSH-Fingerabdruck "
                            "(SHA256:…)",
                            '"{v}" in [trust] coordinator_keys is not an SSH fingerprint '
                            "(SHA256:…)",
                            v=pinned,
                        ),
                        "trust-root",
                    )
                )
    if config is not None:
        for commit, reason in effective.refused:
            registry.problems.append(
                Problem(
                    config.at("trust"),
                    T(
                        "{c}: {r}; es gelten: {p}",
                        "{c}: {r}; in force: {p}",
                        c=commit[:12] or T("Arbeitsstand", "working tree"),
                        r=reason,
                        p=", ".join(_short(p) for p in effective.pins) or "—",
                    ),
                    "trust-unsigned-change",
                )
            )
    candidates: list[Located[KeyRegistration]] = []
    for located in data.key_registrations:
        found = _registration_problems(located)
        registry.problems += found
        if not found:
            candidates.append(located)
    if registry.history is not None:
        registry.history.entries(
            [r.path for r in candidates] + [r.path for r in data.key_revocations]
        )
    checked: dict[str, T | None] = {}
    revocations: Revoked = {}
    refused: dict[str, T] = {}
    # Trust without revocations, then again with the revocations whose signers hold, until the
    # revocations stand still (a revoked key revokes nothing that entered after it).
    for _round in range(len(data.key_revocations) + 2):
        _trust(registry, candidates, revocations, checked)
        found_revocations, refused = _revocations(registry, data.key_revocations, checked)
        if found_revocations == revocations:
            break
        revocations = found_revocations
    for revocation in data.key_revocations:
        if revocation.path in refused:
            registry.problems.append(
                Problem(revocation.at("signature"), refused[revocation.path], "key-revocation")
            )
    for located in candidates:
        reg = located.value
        bad = checked.get(located.path)
        if bad is not None:
            registry.problems.append(
                _problem(
                    located,
                    "signature",
                    "Signatur der Registrierung gilt nicht: {e}",
                    "signature of the registration does not hold: {e}",
                    "key-signature",
                    e=bad,
                )
            )
        elif (reg.partner, reg.fingerprint) not in registry.trusted:
            signer = signature_fingerprint(reg.signature or "") or "?"
            others = registry.partners_of(signer)
            registry.problems.append(
                _problem(
                    located,
                    "signature",
                    "Schlüssel {f} für {p} ist nicht vertrauenswürdig: die Registrierung ist "
                    "mit {s} signiert, weder ein gepinnter Koordinationsschlüssel (coop.toml "
                    "[trust]) noch ein Schlüssel von {p}, der am {d} gültig war und beim "
                    "Eintragen weder widerrufen noch erst später registriert{o}",
                    "key {f} for {p} is not trusted: the registration is signed with {s}, "
                    "neither a pinned coordinator key (coop.toml [trust]) nor a key of {p} "
                    "valid on {d}, registered before and not revoked when it was recorded{o}",
                    "key-untrusted",
                    f=_short(reg.fingerprint),
                    p=reg.partner,
                    s=_short(signer),
                    d=reg.registered_on.isoformat(),
                    o=T(" (sondern von {x})", " (but of {x})", x=", ".join(others))
                    if others
                    else "",
                )
            )
    registry.problems += _shared_keys(snap, candidates)
    registry.problems += _inline_keys(snap, registry)
    return registry


def _trust(
    registry: Registry,
    candidates: list[Located[KeyRegistration]],
    revocations: Revoked,
    checked: dict[str, T | None],
) -> None:
    """Fill `registry.trusted` from the registrations whose signers are trusted in turn."""
    registry.trusted = {}
    pending = list(candidates)
    progress = True
    while progress:
        progress = False
        for located in list(pending):
            reg = located.value
            signature = reg.signature or ""
            signer = signature_fingerprint(signature) or ""
            entry = registry.entry(located.path)
            if not _trusted_signer(registry, reg.partner, signer, reg.registered_on, entry):
                continue
            pending.remove(located)
            if located.path not in checked:
                checked[located.path] = _verified(key_payload(reg), signature, reg.registered_on)
            if checked[located.path] is not None:
                continue
            if signer in registry.roots:
                registry.root_keys.setdefault(signer, signature_key(signature) or "")
            revoked = revocations.get((reg.partner, reg.fingerprint))
            registry.trusted[(reg.partner, reg.fingerprint)] = TrustedKey(
                reg.partner,
                reg.fingerprint,
                key_line(reg.key),
                located.path,
                reg.registered_by,
                reg.registered_on,
                reg.confirmed,
                signer,
                reg.valid_after,
                reg.valid_before,
                revoked[0] if revoked else None,
                revoked[1] if revoked else None,
                entry,
                revoked[2] if revoked else None,
            )
            progress = True


def _revocations(
    registry: Registry, records: list[Located[KeyRevocation]], checked: dict[str, T | None]
) -> tuple[Revoked, dict[str, T]]:
    """Return the revocations that hold (earliest per key) and why the others do not."""
    result: Revoked = {}
    refused: dict[str, T] = {}
    for located in records:
        rev = located.value
        signer = signature_fingerprint(rev.signature or "") or ""
        entry = registry.entry(located.path)
        own = registry.find(rev.partner, signer)
        reason: T | None = None
        if not rev.signature:
            reason = T("Widerruf ist nicht signiert", "revocation is not signed")
        elif not (
            signer in registry.roots
            or (own is not None and signer == rev.fingerprint)
            or (own is not None and registry.valid(own, rev.revoked_on, entry))
        ):
            reason = T(
                "Widerruf ist mit {s} signiert, weder Koordinationsschlüssel noch ein Schlüssel "
                "von {p}, der beim Eintragen gültig und nicht widerrufen war",
                "revocation is signed with {s}, neither a coordinator key nor a key of {p} "
                "valid and not revoked when it was recorded",
                s=_short(signer),
                p=rev.partner,
            )
        else:
            if located.path not in checked:
                checked[located.path] = _verified(
                    revocation_payload(rev), rev.signature, rev.revoked_on
                )
            reason = checked[located.path]
        if reason is not None:
            refused[located.path] = reason
            continue
        key = (rev.partner, rev.fingerprint)
        if key not in result or rev.revoked_from < result[key][0]:
            result[key] = (rev.revoked_from, located.path, entry)
    return result, refused


def _shared_keys(snap: Snapshot, regs: list[Located[KeyRegistration]]) -> list[Problem]:
    """Report a key registered (or listed) for more than one partner."""
    owners: dict[str, dict[str, Source]] = {}
    for located in regs:
        owners.setdefault(located.value.fingerprint, {}).setdefault(
            located.value.partner, located.at("fingerprint")
        )
    for partner_id, located_partner in snap.data.partners.items():
        for i, inline in enumerate(located_partner.value.keys):
            fp = fingerprint(inline.key)
            if fp:
                owners.setdefault(fp, {}).setdefault(partner_id, located_partner.at("keys", i))
    problems = []
    for fp, by_partner in sorted(owners.items()):
        if len(by_partner) < 2:
            continue
        for _partner, source in sorted(by_partner.items()):
            problems.append(
                Problem(
                    source,
                    T(
                        "derselbe Schlüssel {f} ist für mehrere Partner eingetragen: {p}; ein "
                        "Schlüssel spricht nur für einen Partner",
                        "the same key {f} is registered for several partners: {p}; a key "
                        "speaks for one partner only",
                        f=_short(fp),
                        p=", ".join(sorted(by_partner)),
                    ),
                    "key-shared",
                )
            )
    return problems


def _inline_keys(snap: Snapshot, registry: Registry) -> list[Problem]:
    """Report keys listed in a partner file that no trusted registration backs."""
    problems = []
    for partner_id, located in sorted(snap.data.partners.items()):
        for i, inline in enumerate(located.value.keys):
            fp = fingerprint(inline.key) or "?"
            if registry.find(partner_id, fp):
                continue
            problems.append(
                Problem(
                    located.at("keys", i),
                    T(
                        "Schlüssel {f} steht nur in der Partnerdatei und zählt nicht für "
                        "Signaturen; registrieren: coop partner key add {p} DATEI.pub --ssh-key "
                        'KOORDINATIONSSCHLÜSSEL --confirmed "per Brief vom …", dann den Eintrag '
                        "unter keys: löschen",
                        "key {f} is only listed in the partner file and does not count for "
                        "signatures; register it: coop partner key add {p} FILE.pub --ssh-key "
                        'COORDINATOR-KEY --confirmed "by letter of …", then delete the entry '
                        "under keys:",
                        f=_short(fp),
                        p=partner_id,
                    ),
                    "key-inline",
                )
            )
    return problems


def check_signature(
    registry: Registry, partner: str, payload: bytes, signature: str, day: date, entry: Entry
) -> SignatureCheck:
    """Return which trusted key of `partner` made a signature dated `day`, or why none did.

    `entry` is where the signed record entered the history (NOT_ENTERED for one being written).
    """
    fp = signature_fingerprint(signature)
    if fp is None:
        return SignatureCheck(
            None, None, T("SSH-Signatur nicht lesbar", "SSH signature unreadable")
        )
    key = registry.find(partner, fp)
    if key is None:
        others = registry.partners_of(fp)
        return SignatureCheck(
            fp,
            None,
            T(
                "signiert mit {f}, kein vertrauenswürdiger Schlüssel von {p}{o}",
                "signed with {f}, not a trusted key of {p}{o}",
                f=_short(fp),
                p=partner,
                o=T(" (gehört zu {x})", " (belongs to {x})", x=", ".join(others)) if others else "",
            ),
        )
    if day < key.registered_on:
        return SignatureCheck(
            fp,
            key,
            T(
                "signiert am {d} mit {f}, der erst am {r} registriert wurde ({w})",
                "signed on {d} with {f}, registered only on {r} ({w})",
                d=day.isoformat(),
                f=_short(fp),
                r=key.registered_on.isoformat(),
                w=key.path,
            ),
        )
    if key.revoked_from and day >= key.revoked_from:
        return SignatureCheck(
            fp,
            key,
            T(
                "signiert am {d} mit {f}, der ab {r} widerrufen ist ({w})",
                "signed on {d} with {f}, revoked from {r} ({w})",
                d=day.isoformat(),
                f=_short(fp),
                r=key.revoked_from.isoformat(),
                w=key.revocation_path or "",
            ),
        )
    history = registry.history
    if history is not None and not history.by(key.entry, entry):
        return SignatureCheck(
            fp,
            key,
            T(
                "signiert mit {f}, dessen Registrierung ({w}) erst nach diesem Eintrag in die "
                "Historie kam",
                "signed with {f}, whose registration ({w}) entered the history only after this "
                "record",
                f=_short(fp),
                w=key.path,
            ),
        )
    if (
        history is not None
        and key.revoked_entry is not None
        and not history.before(entry, key.revoked_entry)
    ):
        return SignatureCheck(
            fp,
            key,
            T(
                "signiert mit {f}, der widerrufen war, als dieser Eintrag in die Historie kam "
                "({w}); das Datum im Eintrag ändert daran nichts",
                "signed with {f}, which was revoked when this record entered the history ({w}); "
                "the date in the record does not change that",
                f=_short(fp),
                w=key.revocation_path or "",
            ),
        )
    verdict = ssh.verify(
        payload, signature, ssh.allowed_signers([(partner, key.signing_key())]), partner, day
    )
    return SignatureCheck(fp, key, None if verdict.ok else verdict.reason)


def check_attestation(
    registry: Registry, payload: bytes, signature: str, day: date
) -> SignatureCheck:
    """Return whether a pinned coordinator key made a signature (an attestation) dated `day`."""
    fp = signature_fingerprint(signature)
    if fp is None or fp not in registry.roots:
        return SignatureCheck(
            fp,
            None,
            T(
                "signiert mit {f}, keinem gepinnten Koordinationsschlüssel (coop.toml [trust])",
                "signed with {f}, not a pinned coordinator key (coop.toml [trust])",
                f=_short(fp or "?"),
            ),
        )
    signer = signature_key(signature)
    if signer is None:
        return SignatureCheck(fp, None, T("SSH-Signatur nicht lesbar", "SSH signature unreadable"))
    allowed = ssh.allowed_signers([("coordinator", SigningKey(key=signer))])
    verdict = ssh.verify(payload, signature, allowed, "coordinator", day)
    return SignatureCheck(fp, None, None if verdict.ok else verdict.reason)


def allowed_signers_for_git(registry: Registry) -> str:
    """Return an allowed-signers text (namespace git) of every trusted and pinned key."""
    lines = []
    for (partner, _fp), key in sorted(registry.trusted.items()):
        lines.append(f'{partner} namespaces="git" {key.key}')
    for _fp, key_text in sorted(registry.root_keys.items()):
        if key_text:
            lines.append(f'coordinator namespaces="git" {key_text}')
    return "".join(line + "\n" for line in lines)


@dataclass(frozen=True)
class HistoryItem:
    """A commit touching sign-offs or keys, and whether its signature holds for those partners."""

    commit: str
    subject: str
    partners: tuple[str, ...]
    fingerprint: str | None
    reasons: tuple[T, ...]


def partner_of_path(path: str) -> str | None:
    """Return the partner whose sign-off, withdrawal or key a path holds, or None."""
    kind = layout.kind_of(path)
    if kind == "signoff":
        return path.rsplit("/", 1)[1].removesuffix(".yaml")
    if kind == "withdrawal":
        return path.rsplit("/", 1)[1].removesuffix(".yaml").rpartition("-")[0] or None
    if kind in ("key", "key-revocation"):
        return path.split("/")[1]
    return None


@dataclass(frozen=True)
class _Settings:
    """What one coop.toml says about the gate: commit signing on, and the pinned keys."""

    on: bool
    pinned: tuple[str, ...]


def _settings(blob: bytes | None) -> _Settings:
    """Return the gate settings of a coop.toml text (off and none pinned when unreadable)."""
    import tomllib

    try:
        data = tomllib.loads((blob or b"").decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _Settings(False, ())
    signing = data.get("signing")
    trust = data.get("trust")
    keys = trust.get("coordinator_keys") if isinstance(trust, dict) else None
    pinned = tuple(k for k in keys if isinstance(k, str)) if isinstance(keys, list) else ()
    on = isinstance(signing, dict) and signing.get("sign_commits") is True
    return _Settings(on, pinned)


@dataclass(frozen=True)
class _Commit:
    sha: str
    status: str
    fingerprint: str
    day: date
    subject: str
    names: tuple[str, ...]

    @property
    def signed(self) -> bool:
        return self.status in ("G", "U") and bool(self.fingerprint)


@dataclass(frozen=True)
class HistoryGate:
    """What `verify --history` found: whether the gate is on, the commits it examined."""

    enabled: bool
    since: str | None
    """The signed commit that switched the gate on (None: never switched on)."""
    older: int
    """Commits before it that touch approvals or keys: reported once, not examined."""
    items: list[HistoryItem]

    @property
    def ok(self) -> bool:
        """Return whether every examined commit holds."""
        return all(not i.reasons for i in self.items)


_PIN_REFUSED = T(
    "ändert die gepinnten Koordinationsschlüssel (coop.toml [trust]) ohne Signatur eines bis "
    "dahin gepinnten Schlüssels; das zählt nicht, es gelten weiter die bisherigen",
    "changes the pinned coordinator keys (coop.toml [trust]) without a signature of a key "
    "pinned until then; that does not count, the keys pinned before stay in force",
)
_OFF_REFUSED = T(
    "schaltet die signierte Geschichte aus (sign_commits = false) ohne Signatur eines gepinnten "
    "Koordinationsschlüssels; das zählt nicht, die Prüfung bleibt an",
    "switches the signed history off (sign_commits = false) without a signature of a pinned "
    "coordinator key; that does not count, the check stays on",
)


@dataclass
class _Gate:
    """The signed history's switch and the pinned keys that count, followed commit by commit.

    Switched on by the first signed commit that sets `sign_commits`; from then on a commit that
    switches it off or changes the pinned keys counts only when signed by a key pinned (and
    counting) before it.
    """

    on: bool = False
    since: str | None = None
    pins: tuple[str, ...] = ()
    refused: list[tuple[str, T]] = field(default_factory=list)
    """(commit, why) of the changes that did not count."""

    def step(self, commit: _Commit, before: _Settings, after: _Settings) -> list[T]:
        """Follow one commit that changed coop.toml; return why its changes do not count."""
        if not self.on:
            self.pins = after.pinned
            # Switching on only makes the check stricter: any signed commit may do it.
            if after.on and commit.signed:
                self.on = True
                self.since = self.since or commit.sha
            return []
        by_pinned = commit.signed and commit.fingerprint in self.pins
        reasons = []
        if before.pinned != after.pinned:
            if by_pinned:
                self.pins = after.pinned
            else:
                reasons.append(_PIN_REFUSED)
        if before.on and not after.on:
            if by_pinned:
                self.on = False
            else:
                reasons.append(_OFF_REFUSED)
        self.refused += [(commit.sha, reason) for reason in reasons]
        return reasons


def _config_log(repo: GitRepo, rev: str, allowed_file: str, *paths: str) -> list[_Commit]:
    """Return the commits touching `paths` oldest first, with their signature's status."""
    out = str(
        repo.run(
            "-c",
            f"gpg.ssh.allowedSignersFile={allowed_file}",
            "log",
            "--reverse",
            "--topo-order",
            "--no-renames",
            "--diff-merges=dense-combined",
            "--format=\x1e%H\x1f%G?\x1f%GF\x1f%cI\x1f%s\x1f",
            "--name-only",
            "--end-of-options",
            rev,
            "--",
            *paths,
        )
    )
    return _commits(out)


def _settings_of(repo: GitRepo, commits: list[_Commit]) -> dict[str, tuple[_Settings, _Settings]]:
    """Return the gate settings before and after each commit that changed coop.toml."""
    return {
        c.sha: (
            _settings(repo.read_blob(f"{c.sha}^", layout.CONFIG)),
            _settings(repo.read_blob(c.sha, layout.CONFIG)),
        )
        for c in commits
        if layout.CONFIG in c.names
    }


def _with_signers(commits: list[_Commit], attested: dict[str, MappedCommit]) -> list[_Commit]:
    """Give unsigned rewritten commits the signer their old commit had."""
    if not attested:
        return commits
    result = []
    for commit in commits:
        mapped = attested.get(commit.sha)
        if mapped is not None and mapped.signer and not commit.signed:
            commit = replace(commit, status="G", fingerprint=mapped.signer)
        result.append(commit)
    return result


def _pins_at(
    repo: GitRepo, rev: str, allowed_file: str, attested: dict[str, MappedCommit]
) -> tuple[str, ...]:
    """Return the coordinator keys that count at `rev` (see `effective_roots`)."""
    commits = _with_signers(_config_log(repo, rev, allowed_file, layout.CONFIG), attested)
    settings = _settings_of(repo, commits)
    gate = _Gate()
    for commit in commits:
        if commit.sha in settings:
            gate.step(commit, *settings[commit.sha])
    return gate.pins if gate.on else _settings(repo.read_blob(rev, layout.CONFIG)).pinned


def _attest(
    repo: GitRepo, rev: str, allowed_file: str, commits: list[_Commit]
) -> tuple[list[_Commit], Erasures]:
    """Give rewritten commits the signer their old commit had, as erasure records attest.

    Records are taken in the order they entered the history. One counts when signed by a
    coordinator key that counts just before the commit that added it, computed without its
    own word; it then speaks only for commits before that one. So a record cannot vouch for
    the change that pinned its own key, nor for commits added after it.
    """
    found = Erasures()
    listed = {path: (record, problems) for path, record, problems in read_records(repo, rev)}
    if not listed:
        return commits, found
    for path, added in added_in(repo, rev):
        if path not in listed:
            continue
        record, problems = listed.pop(path)
        if record is None:
            found.problems += problems
            continue
        try:
            parent = str(repo.run("rev-parse", "--verify", "--quiet", f"{added}^"))
        except RepositoryError:
            parent = ""  # added in the first commit: no key counted before it
        pins = _pins_at(repo, parent, allowed_file, found.attested) if parent else ()
        why = signature_problem(record, pins)
        if why is not None:
            found.problems.append(not_counting(path, why))
            continue
        before = set(str(repo.run("rev-list", parent, "--")).split())
        found.attested |= {new: m for new, m in record.old_of().items() if new in before}
        found.records.append((path, record))
    return _with_signers(commits, found.attested), found


@dataclass(frozen=True)
class Roots:
    """The pinned coordinator keys that count, and the changes of them that did not."""

    pins: tuple[str, ...]
    refused: tuple[tuple[str, T], ...] = ()
    """(commit, why; "" for the working tree) of pin changes and switch-offs that do not count."""


def effective_roots(snap: Snapshot) -> Roots:
    """Return the coordinator keys that count: coop.toml's, unless the signed history says no.

    While the signed history is on, a change of the pinned keys counts only when a key pinned
    until then signed its commit; an unsigned change (or one only in the working tree) leaves
    the keys pinned before it in force. Without the signed history, coop.toml decides.
    """
    import tempfile
    from pathlib import Path

    config = snap.data.config
    working = tuple(config.value.trust.coordinator_keys) if config else ()
    gate = _Gate()
    with tempfile.TemporaryDirectory(prefix="coop-roots-") as tmp:
        # No allowed signers: git still names the key of every good signature (status U).
        allowed = Path(tmp, "allowed_signers")
        allowed.write_text("# none\n", encoding="utf-8")
        with GitRepo(snap.ctx.root) as repo:
            if repo.head() is None:
                return Roots(working)
            rev = snap.rev or "HEAD"
            commits = _config_log(repo, rev, str(allowed), layout.CONFIG)
            commits, _ = _attest(repo, rev, str(allowed), commits)
            settings = _settings_of(repo, commits)
    for commit in commits:
        if commit.sha in settings:
            gate.step(commit, *settings[commit.sha])
    if not gate.on:
        return Roots(working)
    refused = list(gate.refused)
    if snap.rev is None and working != gate.pins:
        refused.append(("", _PIN_REFUSED))
    return Roots(gate.pins, tuple(refused))


def verify_history(snap: Snapshot, registry: Registry) -> HistoryGate:
    """Check the signed history from the signed commit that switched it on.

    The gate (`[signing] sign_commits`) counts as switched on from the first signed commit that
    turns it on. From then on, a commit that switches it off or changes the pinned keys counts
    only when signed by a key pinned before it; otherwise it is reported and the gate stays on.
    Every commit that adds, changes or removes a partner's approvals, withdrawals or keys,
    merges included (a merge that makes a text of its own), must be signed by a key of that
    partner or a coordinator key pinned (and counting) at that commit.
    """
    import tempfile
    from pathlib import Path

    allowed = allowed_signers_for_git(registry)
    with tempfile.TemporaryDirectory(prefix="coop-history-") as tmp:
        allowed_file = Path(tmp, "allowed_signers")
        allowed_file.write_text(allowed or "# none\n", encoding="utf-8")
        with GitRepo(snap.ctx.root) as repo:
            if repo.head() is None:
                return HistoryGate(False, None, 0, [])
            commits = _config_log(
                repo, "HEAD", str(allowed_file), "agreements", "keys", layout.CONFIG
            )
            commits, found = _attest(repo, "HEAD", str(allowed_file), commits)
            settings = _settings_of(repo, commits)
            back = erased_back(repo, "HEAD", found.erased())
    items: list[HistoryItem] = []
    gate = _Gate()
    older = 0
    for commit in commits:
        partners = sorted({p for p in (partner_of_path(n) for n in commit.names) if p})
        was_on = gate.on
        reasons = gate.step(commit, *settings[commit.sha]) if commit.sha in settings else []
        if not was_on and not gate.on:
            older += 1 if partners else 0
            continue
        labels: list[str] = list(partners)
        if not was_on:
            labels.append("coop.toml [signing]")
        before, after = settings.get(commit.sha, (None, None))
        if before is not None and after is not None and was_on:
            if before.pinned != after.pinned:
                labels.append("coop.toml [trust]")
            if before.on and not after.on:
                labels.append("coop.toml [signing]")
        if not labels:
            continue
        if partners:
            reasons += _partner_reasons(registry, commit, partners, gate.pins)
        items.append(
            HistoryItem(
                commit.sha,
                commit.subject,
                tuple(labels),
                commit.fingerprint or None,
                tuple(reasons),
            )
        )
    items += _erasure_items(found, back, gate)
    head_on = _settings(_head_config(snap)).on
    if head_on and gate.since is None:
        items.append(
            HistoryItem(
                "",
                "coop.toml",
                ("coop.toml [signing]",),
                None,
                (
                    T(
                        "sign_commits ist an, aber kein Commit, der es einschaltet, ist signiert; "
                        "das Einschalten signiert committen (coop --ssh-key SCHLÜSSEL commit)",
                        "sign_commits is on, but no commit that switches it on is signed; commit "
                        "the switch signed (coop --ssh-key KEY commit)",
                    ),
                ),
            )
        )
    return HistoryGate(gate.since is not None or head_on, gate.since, older, items)


def _erasure_items(found: Erasures, back: list[str], gate: _Gate) -> list[HistoryItem]:
    """Report erasure records that do not count, signers no longer pinned, erased commits back."""
    items = [
        HistoryItem("", p.source.path, ("erasures",), None, (p.message,)) for p in found.problems
    ]
    for path, record in found.records:
        if gate.on and record.signer not in gate.pins:
            items.append(
                HistoryItem(
                    "",
                    path,
                    ("erasures",),
                    record.signer,
                    (
                        T(
                            "signiert mit {f}, der laut signierter Geschichte nicht gepinnt ist",
                            "signed with {f}, which the signed history does not pin",
                            f=_short(record.signer),
                        ),
                    ),
                )
            )
    for sha in back:
        items.append(
            HistoryItem(
                sha,
                "",
                ("erasures",),
                None,
                (
                    T(
                        "dieser Commit wurde durch eine Löschung ersetzt und ist wieder in der "
                        "Geschichte; die gelöschten Daten sind damit zurück",
                        "this commit was replaced by an erasure and is part of the history "
                        "again; the erased data is back with it",
                    ),
                ),
            )
        )
    return items


def _head_config(snap: Snapshot) -> bytes | None:
    with GitRepo(snap.ctx.root) as repo:
        return repo.read_blob("HEAD", layout.CONFIG)


def _commits(out: str) -> list[_Commit]:
    commits = []
    for record in out.split("\x1e"):
        fields = record.split("\x1f")
        if len(fields) < 6:
            continue
        sha, status, fp, when, subject, names = fields[:6]
        commits.append(
            _Commit(
                sha,
                status,
                fp,
                datetime.fromisoformat(when).date(),
                subject,
                tuple(n.strip() for n in names.split("\n") if n.strip()),
            )
        )
    return commits


def _partner_reasons(
    registry: Registry, commit: _Commit, partners: list[str], pins: tuple[str, ...]
) -> list[T]:
    if not commit.fingerprint or commit.status == "N":
        return [T("Commit ist nicht signiert", "commit is not signed")]
    if not commit.signed:
        return [
            T(
                "Commit-Signatur gilt nicht (git: {s})",
                "commit signature does not hold (git: {s})",
                s=commit.status,
            )
        ]
    reasons = []
    for partner in partners:
        if commit.fingerprint in pins:
            continue
        key = registry.find(partner, commit.fingerprint)
        if key is None or not key.valid_on(commit.day):
            reasons.append(
                T(
                    "signiert mit {f}, weder Koordinations- noch am {d} gültiger Schlüssel von {p}",
                    "signed with {f}, neither a coordinator key nor a key of {p} valid on {d}",
                    f=_short(commit.fingerprint),
                    d=commit.day.isoformat(),
                    p=partner,
                )
            )
    return reasons
