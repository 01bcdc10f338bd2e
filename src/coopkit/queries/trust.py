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

from coopkit.errors import NotFound, Problem, Source, T
from coopkit.model.base import Located
from coopkit.model.keys import FINGERPRINT, KeyRegistration, KeyRevocation
from coopkit.model.partner import SigningKey
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

    def valid_on(self, day: date) -> bool:
        """Return whether a signature dated `day` counts."""
        if self.valid_after and day < self.valid_after:
            return False
        if self.valid_before and day >= self.valid_before:
            return False
        return not (self.revoked_from and day >= self.revoked_from)

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


def _trusted_signer(registry: Registry, partner: str, signer: str, day: date) -> bool:
    if signer in registry.roots:
        return True
    found = registry.find(partner, signer)
    return found is not None and found.valid_on(day)


def build_registry(snap: Snapshot) -> Registry:
    """Trace every key registration back to the pinned coordinator keys; collect problems."""
    data = snap.data
    config = data.config
    roots = list(config.value.trust.coordinator_keys) if config else []
    registry = Registry(roots)
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
    candidates: list[Located[KeyRegistration]] = []
    for located in data.key_registrations:
        found = _registration_problems(located)
        registry.problems += found
        if not found:
            candidates.append(located)
    bad_signature: dict[str, T] = {}
    revocations: dict[tuple[str, str], tuple[date, str]] = {}
    # Two rounds: trust without revocations, then again with the revocations whose signers hold.
    for _round in range(2):
        registry.trusted = {}
        pending = list(candidates)
        progress = True
        while progress:
            progress = False
            for located in list(pending):
                reg = located.value
                signature = reg.signature or ""
                signer = signature_fingerprint(signature) or ""
                if not _trusted_signer(registry, reg.partner, signer, reg.registered_on):
                    continue
                pending.remove(located)
                if located.path not in bad_signature:
                    reason = _verified(key_payload(reg), signature, reg.registered_on)
                    if reason is not None:
                        bad_signature[located.path] = reason
                if located.path in bad_signature:
                    continue
                if signer in roots:
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
                )
                progress = True
        if _round == 0:
            revocations = _revocations(registry, data.key_revocations, record=False)
    _revocations(registry, data.key_revocations, record=True)
    for located in candidates:
        reg = located.value
        if located.path in bad_signature:
            registry.problems.append(
                _problem(
                    located,
                    "signature",
                    "Signatur der Registrierung gilt nicht: {e}",
                    "signature of the registration does not hold: {e}",
                    "key-signature",
                    e=bad_signature[located.path],
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
                    "[trust]) noch ein am {d} gültiger Schlüssel von {p}{o}",
                    "key {f} for {p} is not trusted: the registration is signed with {s}, "
                    "neither a pinned coordinator key (coop.toml [trust]) nor a key of {p} "
                    "valid on {d}{o}",
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


def _revocations(
    registry: Registry, records: list[Located[KeyRevocation]], *, record: bool
) -> dict[tuple[str, str], tuple[date, str]]:
    result: dict[tuple[str, str], tuple[date, str]] = {}
    for located in records:
        rev = located.value
        signer = signature_fingerprint(rev.signature or "") or ""
        reason: T | None = None
        if not rev.signature:
            reason = T("Widerruf ist nicht signiert", "revocation is not signed")
        elif not (signer in registry.roots or registry.find(rev.partner, signer)):
            reason = T(
                "Widerruf ist mit {s} signiert, weder Koordinations- noch Schlüssel von {p}",
                "revocation is signed with {s}, neither a coordinator key nor a key of {p}",
                s=_short(signer),
                p=rev.partner,
            )
        else:
            reason = _verified(revocation_payload(rev), rev.signature, rev.revoked_on)
        if reason is not None:
            if record:
                registry.problems.append(Problem(located.at("signature"), reason, "key-revocation"))
            continue
        key = (rev.partner, rev.fingerprint)
        if key not in result or rev.revoked_from < result[key][0]:
            result[key] = (rev.revoked_from, located.path)
        if record and key in registry.trusted:
            current = registry.trusted[key]
            if current.revoked_from is None or rev.revoked_from < current.revoked_from:
                registry.trusted[key] = replace(
                    current, revoked_from=rev.revoked_from, revocation_path=located.path
                )
    return result


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
    registry: Registry, partner: str, payload: bytes, signature: str, day: date
) -> SignatureCheck:
    """Return which trusted key of `partner` made a signature dated `day`, or why none did."""
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
    verdict = ssh.verify(
        payload, signature, ssh.allowed_signers([(partner, key.signing_key())]), partner, day
    )
    return SignatureCheck(fp, key, None if verdict.ok else verdict.reason)


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
    """Return the partner whose sign-off or key a path holds, or None."""
    kind = layout.kind_of(path)
    if kind == "signoff":
        return path.rsplit("/", 1)[1].removesuffix(".yaml")
    if kind in ("key", "key-revocation"):
        return path.split("/")[1]
    return None


def _switched_on(repo: GitRepo) -> str | None:
    """Return the first commit whose coop.toml turns on `sign_commits`, or None."""
    import tomllib

    out = str(
        repo.run("log", "--reverse", "--format=%H", "--end-of-options", "HEAD", "--", "coop.toml")
    )
    for sha in out.split():
        blob = repo.read_blob(sha, layout.CONFIG)
        try:
            data = tomllib.loads((blob or b"").decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        signing = data.get("signing")
        if isinstance(signing, dict) and signing.get("sign_commits") is True:
            return sha
    return None


def _pinned(blob: bytes | None) -> list[str]:
    """Return `[trust] coordinator_keys` of a coop.toml text (empty when unreadable)."""
    import tomllib

    try:
        data = tomllib.loads((blob or b"").decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return []
    trust = data.get("trust")
    keys = trust.get("coordinator_keys") if isinstance(trust, dict) else None
    return [k for k in keys if isinstance(k, str)] if isinstance(keys, list) else []


def verify_history(snap: Snapshot, registry: Registry) -> list[HistoryItem]:
    """Check that each commit touching a partner's sign-offs or keys is signed by a trusted key.

    Trusted means: a key trusted for that partner (not revoked on the commit's day) or a pinned
    coordinator key. A commit changing the pinned keys themselves must be signed by one of the
    keys pinned before it.
    """
    import tempfile
    from pathlib import Path

    items: list[HistoryItem] = []
    allowed = allowed_signers_for_git(registry)
    with tempfile.TemporaryDirectory(prefix="coop-history-") as tmp:
        allowed_file = Path(tmp, "allowed_signers")
        allowed_file.write_text(allowed or "# none\n", encoding="utf-8")
        with GitRepo(snap.ctx.root) as repo:
            if repo.head() is None:
                return []
            since = _switched_on(repo)
            # Commits from the one that turned signing on: that one and everything after it.
            revs = ["HEAD"]
            if since is not None and repo.head() != since:
                try:
                    parent = repo.resolve(f"{since}^")
                    revs.append(f"^{parent}")
                except NotFound:
                    pass
            out = str(
                repo.run(
                    "-c",
                    f"gpg.ssh.allowedSignersFile={allowed_file}",
                    "log",
                    "--format=\x1e%H\x1f%G?\x1f%GF\x1f%cI\x1f%s\x1f",
                    "--name-only",
                    "--end-of-options",
                    *revs,
                    "--",
                    "agreements",
                    "keys",
                    layout.CONFIG,
                )
            )
            pinned_before: dict[str, tuple[list[str], list[str]]] = {}
            for record in out.split("\x1e"):
                fields = record.split("\x1f")
                if len(fields) >= 6 and layout.CONFIG in fields[5].split("\n"):
                    sha = fields[0]
                    pinned_before[sha] = (
                        _pinned(repo.read_blob(f"{sha}^", layout.CONFIG)),
                        _pinned(repo.read_blob(sha, layout.CONFIG)),
                    )
    for record in out.split("\x1e"):
        fields = record.split("\x1f")
        if len(fields) < 6:
            continue
        sha, status, fp, when, subject, names = fields[:6]
        partners = sorted({p for p in (partner_of_path(n.strip()) for n in names.split("\n")) if p})
        before, after = pinned_before.get(sha, ([], []))
        trust_changed = before != after
        if not partners and not trust_changed:
            continue
        day = datetime.fromisoformat(when).date()
        reasons: list[T] = []
        if status == "N" or not fp:
            reasons.append(T("Commit ist nicht signiert", "commit is not signed"))
        elif status not in ("G", "U"):
            reasons.append(
                T(
                    "Commit-Signatur gilt nicht (git: {s})",
                    "commit signature does not hold (git: {s})",
                    s=status,
                )
            )
        else:
            if trust_changed and before and fp not in before:
                reasons.append(
                    T(
                        "ändert die gepinnten Koordinationsschlüssel (coop.toml [trust]), ist aber "
                        "mit {f} signiert, keinem der bis dahin gepinnten",
                        "changes the pinned coordinator keys (coop.toml [trust]) but is signed "
                        "with {f}, none of those pinned until then",
                        f=_short(fp),
                    )
                )
            for partner in partners:
                key = registry.find(partner, fp)
                if fp in registry.roots:
                    continue
                if key is None or not key.valid_on(day):
                    reasons.append(
                        T(
                            "signiert mit {f}, weder Koordinations- noch am {d} gültiger "
                            "Schlüssel von {p}",
                            "signed with {f}, neither a coordinator key nor a key of {p} "
                            "valid on {d}",
                            f=_short(fp),
                            d=day.isoformat(),
                            p=partner,
                        )
                    )
        labels = (*partners, "coop.toml [trust]") if trust_changed else tuple(partners)
        items.append(HistoryItem(sha, subject, labels, fp or None, tuple(reasons)))
    return items
