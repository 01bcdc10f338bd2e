"""Canonical JSON and SHA-256 hashes: what a sign-off is bound to and what gets signed."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from coopkit.model.agreement import Agreement
from coopkit.model.erasure import Erasure
from coopkit.model.keys import KeyRegistration, KeyRevocation
from coopkit.model.signoff import SignOff, Withdrawal

PREFIX = "sha256:"


def canonical_json(data: Any) -> bytes:
    """Return data as JSON with sorted keys, no spaces and UTF-8 text: the same bytes every time."""
    return json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Return the hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def content_hash(agreement: Agreement) -> str:
    """Return `sha256:<hex>` of the parsed agreement, so comments and layout do not count.

    Fields at their default do not count either, so a field added to the format later leaves the
    hashes of texts written before it unchanged; the legacy `status:` key never counts.
    """
    dump = agreement.model_dump(mode="json", exclude_defaults=True, exclude={"status"})
    return PREFIX + sha256_hex(canonical_json(dump))


_LEGACY_FIELDS = {
    "agreement": (
        "id",
        "title",
        "parties",
        "coordinator",
        "valid_from",
        "valid_until",
        "review_cycle",
        "notice_period",
        "status",
        "obligations",
        "preamble",
        "clauses",
    ),
    "obligation": (
        "id",
        "clause",
        "by",
        "to",
        "what",
        "every",
        "rrule",
        "first_due",
        "condition",
        "how",
    ),
    "clause": ("number", "title", "text"),
}


def legacy_content_hash(agreement: Agreement) -> str:
    """Return the content hash as coopkit computed it while agreements carried `status:`.

    Sign-offs recorded then hold this value; it is accepted for exactly the text it names.
    """
    dump = agreement.model_dump(mode="json")
    data = {k: dump.get(k) for k in _LEGACY_FIELDS["agreement"]}
    data["status"] = data["status"] or "draft"
    data["obligations"] = [
        {k: o.get(k) for k in _LEGACY_FIELDS["obligation"]}
        # No legacy text moved a due date: one that does is not the text the hash names.
        | ({"on_holiday": o["on_holiday"]} if o.get("on_holiday", "keep") != "keep" else {})
        for o in dump["obligations"]
    ]
    data["clauses"] = [{k: c.get(k) for k in _LEGACY_FIELDS["clause"]} for c in dump["clauses"]]
    return PREFIX + sha256_hex(canonical_json(data))


def hash_matches(recorded: str, agreement: Agreement) -> bool:
    """Return whether a recorded content hash names exactly this text (current or legacy form)."""
    return recorded == content_hash(agreement) or recorded == legacy_content_hash(agreement)


def record_payload(signoff: SignOff) -> bytes:
    """Return the bytes an SSH signature covers: the sign-off record without its signature.

    A record approved through a sign request is covered by the request text instead, which
    holds the same canonical record (see `request_text`).
    """
    if signoff.signed_text == "request":
        return request_text(signoff).encode("utf-8")
    return canonical_json(signoff.model_dump(mode="json", exclude={"signature", "signed_text"}))


def withdrawal_payload(withdrawal: Withdrawal) -> bytes:
    """Return the bytes an SSH signature of a withdrawal covers (never those of a sign-off)."""
    dump = withdrawal.model_dump(mode="json", exclude={"signature"})
    return canonical_json({"coopkit": "withdrawal", **dump})


def request_name(signoff: SignOff) -> str:
    """Return the file name of a sign request: the name its signing command uses."""
    return f"freigabe-{signoff.agreement}-{signoff.version}-{signoff.partner}.txt"


def request_text(signoff: SignOff) -> str:
    """Return the sign-request text of a record: the same bytes every time, in both languages."""
    record = canonical_json(
        signoff.model_dump(mode="json", exclude={"signature", "signed_text"})
    ).decode("utf-8")
    return (
        "coopkit – Freigabe einer Vereinbarung / approval of an agreement\n"
        f"Vereinbarung / agreement: {signoff.agreement} {signoff.version}\n"
        f"Partner: {signoff.partner}\n"
        f"Zeichnet / signatory: {signoff.signatory}\n"
        f"Datum / date: {signoff.date.isoformat()}\n"
        f"Inhalts-Hash / content hash: {signoff.content_hash}\n"
        "\n"
        "Diese Datei unverändert signieren und die .sig-Datei zurückschicken /\n"
        "sign this file unchanged and send back the .sig file:\n"
        "\n"
        f"  ssh-keygen -Y sign -f SCHLÜSSEL -n coopkit-signoff {request_name(signoff)}\n"
        "\n"
        "Datensatz / record:\n"
        f"{record}\n"
    )


def parse_request(text: str) -> dict[str, object] | None:
    """Return the record a sign-request text holds (its last line), or None."""
    lines = text.rstrip("\n").split("\n")
    try:
        data = json.loads(lines[-1])
    except (ValueError, IndexError):
        return None
    return data if isinstance(data, dict) else None


def key_payload(record: KeyRegistration) -> bytes:
    """Return the bytes the signature of a key registration covers."""
    return canonical_json(record.model_dump(mode="json", exclude={"signature"}))


def revocation_payload(record: KeyRevocation) -> bytes:
    """Return the bytes the signature of a key revocation covers."""
    return canonical_json(record.model_dump(mode="json", exclude={"signature"}))


def erasure_payload(record: Erasure) -> bytes:
    """Return the bytes the coordinator's signature of an erasure record covers."""
    dump = record.model_dump(mode="json", exclude={"signature"})
    return canonical_json({"coopkit": "erasure", **dump})
