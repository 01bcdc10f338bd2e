"""The key registry: pin the coordinator's keys, register and revoke partner keys (signed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from coopkit.errors import T, UsageError
from coopkit.model.keys import FINGERPRINT, KeyRegistration, KeyRevocation
from coopkit.queries.context import Context
from coopkit.queries.entries import NOT_ENTERED
from coopkit.queries.lookup import get_partner
from coopkit.queries.trust import Registry, build_registry
from coopkit.services.repository import CommitResult, build_record, writing
from coopkit.signing import ssh
from coopkit.signing.hashing import key_payload, revocation_payload
from coopkit.signing.keys import fingerprint, key_line, signature_fingerprint
from coopkit.store import layout


@dataclass(frozen=True)
class KeyResult:
    """A written key registration or revocation and its commit."""

    path: str
    fingerprint: str
    signer: str
    commit: CommitResult


def read_public_key(text: str) -> tuple[str, str]:
    """Return (key line, fingerprint) of the text of a .pub file; refuse private keys."""
    if "PRIVATE KEY" in text:
        raise UsageError(
            T(
                "das ist ein privater Schlüssel; bitte die .pub-Datei angeben",
                "this is a private key; give the .pub file",
            )
        )
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    parts = line.split()
    fp = fingerprint(line)
    if len(parts) < 2 or fp is None or not parts[0].startswith(("ssh-", "ecdsa-")):
        raise UsageError(
            T(
                "kein öffentlicher SSH-Schlüssel; erwartet „ssh-ed25519 AAAA… Kommentar“",
                'not an SSH public key; expected "ssh-ed25519 AAAA... comment"',
            )
        )
    return line, fp


def _no_future(day: date, today: date, what: T) -> None:
    if day > today:
        raise UsageError(
            T(
                "{w} am {d} läge nach heute ({t}); Einträge werden nicht vordatiert",
                "{w} on {d} would lie after today ({t}); records are not post-dated",
                w=what,
                d=day.isoformat(),
                t=today.isoformat(),
            )
        )


def _require_authority(registry: Registry, partner: str, signer: str, day: date) -> None:
    if signer in registry.roots:
        return
    found = registry.find(partner, signer)
    # The record being written enters the history after everything already in it.
    if found is not None and registry.valid(found, day, NOT_ENTERED):
        return
    others = registry.partners_of(signer)
    raise UsageError(
        T(
            "Schlüssel {s} darf für {p} nichts registrieren oder widerrufen: er ist weder ein "
            "gepinnter Koordinationsschlüssel (coop.toml [trust]) noch ein am {d} gültiger "
            "Schlüssel von {p}{o}",
            "key {s} may not register or revoke anything for {p}: it is neither a pinned "
            "coordinator key (coop.toml [trust]) nor a key of {p} valid on {d}{o}",
            s=signer,
            p=partner,
            d=day.isoformat(),
            o=T(" (er gehört zu {x})", " (it belongs to {x})", x=", ".join(others))
            if others
            else "",
        ),
        hint=T(
            "die Koordination registriert den ersten Schlüssel eines Partners mit ihrem "
            "gepinnten Schlüssel: coop partner key add {p} DATEI.pub --ssh-key "
            'KOORDINATIONSSCHLÜSSEL --confirmed "per Brief vom …"',
            "the coordinator registers a partner's first key with their pinned key: coop "
            'partner key add {p} FILE.pub --ssh-key COORDINATOR-KEY --confirmed "by letter of …"',
            p=partner,
        ),
    )


def _signing_key(ctx: Context, ssh_key: Path | None) -> Path:
    key = ssh_key or ctx.ssh_key
    if key is None:
        raise UsageError(
            T(
                "Registrierungen und Widerrufe werden signiert: bitte --ssh-key SCHLÜSSEL "
                "(oder COOP_SSH_KEY) angeben",
                "registrations and revocations are signed: pass --ssh-key KEY (or set "
                "COOP_SSH_KEY)",
            )
        )
    return key


def register_key(
    ctx: Context,
    partner_id: str,
    public_key: str,
    *,
    confirmed: str,
    ssh_key: Path | None = None,
    signatory: str | None = None,
    valid_after: date | None = None,
    valid_before: date | None = None,
    when: date | None = None,
) -> KeyResult:
    """Write keys/<partner>/<fingerprint>.yaml, signed by the registrar's key; one commit."""
    line, fp = read_public_key(public_key)
    key_file = _signing_key(ctx, ssh_key)
    day = when or ctx.today
    _no_future(day, ctx.today, T("Registrierung", "a registration"))
    if not confirmed.strip():
        raise UsageError(
            T(
                "--confirmed: wie wurde der Fingerabdruck bestätigt (z. B. „per Brief vom "
                "03.02.2026“)?",
                '--confirmed: how was the fingerprint confirmed (e.g. "by letter of 2026-02-03")?',
            )
        )
    path = layout.key_path(partner_id, fp)
    with writing(ctx) as tx:
        snap = tx.snapshot()
        get_partner(snap, partner_id)
        if tx.exists(path):
            raise UsageError(
                T(
                    "dieser Schlüssel ist für {p} schon registriert ({f})",
                    "this key is already registered for {p} ({f})",
                    p=partner_id,
                    f=path,
                )
            )
        registry = build_registry(snap)
        others = [p for p in registry.partners_of(fp) if p != partner_id]
        if others:
            raise UsageError(
                T(
                    "Schlüssel {f} ist schon für {o} registriert; ein Schlüssel spricht nur für "
                    "einen Partner",
                    "key {f} is already registered for {o}; a key speaks for one partner only",
                    f=fp,
                    o=", ".join(others),
                )
            )
        record = build_record(
            KeyRegistration,
            {
                "partner": partner_id,
                "key": line,
                "fingerprint": fp,
                "signatory": signatory or None,
                "registered_by": tx.author.name,
                "registered_on": day,
                "confirmed": confirmed.strip(),
                "valid_after": valid_after,
                "valid_before": valid_before,
            },
            path,
        )
        signature = ssh.sign(key_payload(record), key_file, ssh.KEY_NAMESPACE)
        signer = signature_fingerprint(signature) or ""
        _require_authority(registry, partner_id, signer, day)
        record = record.model_copy(update={"signature": signature})
        from coopkit.store.codec import dump_record

        tx.create(path, dump_record(record))
        commit = tx.commit(
            T(
                "Signaturschlüssel {f} für Partner {p} registriert",
                "Register signing key {f} for partner {p}",
                f=fp,
                p=partner_id,
            ),
            when,
        )
    return KeyResult(path, fp, signer, commit)


def revoke_key(
    ctx: Context,
    partner_id: str,
    fp: str,
    revoked_from: date,
    *,
    reason: str | None = None,
    ssh_key: Path | None = None,
    when: date | None = None,
) -> KeyResult:
    """Write keys/<partner>/<fingerprint>.revoked.yaml: signatures from that day on fail."""
    if not FINGERPRINT.fullmatch(fp):
        raise UsageError(
            T(
                "„{f}“ ist kein Fingerabdruck; erwartet SHA256:… (coop trust show)",
                '"{f}" is not a fingerprint; expected SHA256:… (coop trust show)',
                f=fp,
            )
        )
    key_file = _signing_key(ctx, ssh_key)
    day = when or ctx.today
    _no_future(day, ctx.today, T("Widerruf", "a revocation"))
    path = layout.key_revocation_path(partner_id, fp)
    with writing(ctx) as tx:
        snap = tx.snapshot()
        get_partner(snap, partner_id)
        registry = build_registry(snap)
        if registry.find(partner_id, fp) is None:
            known = ", ".join(k.fingerprint for k in registry.for_partner(partner_id)) or "—"
            raise UsageError(
                T(
                    "{f} ist kein vertrauenswürdiger Schlüssel von {p}; bekannt: {k}",
                    "{f} is not a trusted key of {p}; known: {k}",
                    f=fp,
                    p=partner_id,
                    k=known,
                )
            )
        if tx.exists(path):
            raise UsageError(
                T(
                    "{f} ist für {p} schon widerrufen ({x})",
                    "{f} is already revoked for {p} ({x})",
                    f=fp,
                    p=partner_id,
                    x=path,
                )
            )
        record = build_record(
            KeyRevocation,
            {
                "partner": partner_id,
                "fingerprint": fp,
                "revoked_from": revoked_from,
                "reason": reason or None,
                "revoked_by": tx.author.name,
                "revoked_on": day,
            },
            path,
        )
        signature = ssh.sign(revocation_payload(record), key_file, ssh.KEY_NAMESPACE)
        signer = signature_fingerprint(signature) or ""
        _require_authority(registry, partner_id, signer, day)
        record = record.model_copy(update={"signature": signature})
        from coopkit.store.codec import dump_record

        tx.create(path, dump_record(record))
        commit = tx.commit(
            T(
                "Signaturschlüssel {f} von Partner {p} ab {d} widerrufen",
                "Revoke signing key {f} of partner {p} from {d}",
                f=fp,
                p=partner_id,
                d=revoked_from.isoformat(),
            ),
            when,
        )
    return KeyResult(path, fp, signer, commit)


_TRUST_HEADER = re.compile(r"^\[trust\]\s*(#.*)?$")
_KEYS_LINE = re.compile(r"^coordinator_keys\s*=")


def pinned_text(config: str, fingerprints: list[str]) -> str:
    """Return coop.toml with `[trust] coordinator_keys` set to `fingerprints`, rest untouched."""
    value = "coordinator_keys = [" + ", ".join(f'"{f}"' for f in fingerprints) + "]"
    lines = config.split("\n")
    in_trust = False
    header: int | None = None
    for i, text in enumerate(lines):
        stripped = text.strip()
        if stripped.startswith("["):
            in_trust = bool(_TRUST_HEADER.match(stripped))
            if in_trust:
                header = i
        elif in_trust and _KEYS_LINE.match(stripped):
            lines[i] = value
            return "\n".join(lines)
    if header is not None:
        lines.insert(header + 1, value)
        return "\n".join(lines)
    tail = "" if config.endswith("\n") or not config else "\n"
    return (
        config
        + tail
        + "\n[trust]\n# Fingerabdrücke der Signaturschlüssel der Koordination "
        + "(Wurzel des Vertrauens)\n"
        + value
        + "\n"
    )


def trust_section(fingerprints: list[str]) -> str:
    """Return the `[trust]` section of a new coop.toml."""
    return pinned_text("", fingerprints).lstrip("\n")


@dataclass(frozen=True)
class PinResult(KeyResult):
    """A pinned key, and the approvals that stop counting because they are not signed."""

    unsigned: tuple[str, ...] = ()


def pin_key(ctx: Context, key_or_fingerprint: str, when: date | None = None) -> PinResult:
    """Add a coordinator key (a .pub text or `SHA256:…`) to `[trust] coordinator_keys`.

    With a trust root only signed (or attested) approvals count: the result names the unsigned
    ones that counted until now.
    """
    text = key_or_fingerprint.strip()
    fp = text if FINGERPRINT.fullmatch(text) else read_public_key(text)[1]
    with writing(ctx) as tx:
        snap = tx.snapshot()
        config = snap.data.config
        pinned = list(config.value.trust.coordinator_keys) if config else []
        if fp in pinned:
            raise UsageError(T("{f} ist schon gepinnt", "{f} is already pinned", f=fp))
        unsigned = tuple(sorted(s.path for s in snap.data.signoffs if not s.value.signature))
        current = tx.read(layout.CONFIG).text
        tx.replace_text(layout.CONFIG, pinned_text(current, [*pinned, fp]))
        commit = tx.commit(
            T(
                "Koordinationsschlüssel {f} als Wurzel des Vertrauens gepinnt",
                "Pin coordinator key {f} as root of trust",
                f=fp,
            ),
            when,
        )
    return PinResult(layout.CONFIG, fp, "", commit, unsigned if not pinned else ())


def key_text(line: str) -> str:
    """Return the key line without its comment (for display)."""
    return key_line(line)
