"""Key registrations and revocations: which SSH key speaks for which partner, on whose authority."""

from __future__ import annotations

import re
from datetime import date

from pydantic import field_validator

from coopkit.model.base import Id, Record, fail

FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")


def _check_fingerprint(value: str) -> str:
    if not FINGERPRINT.fullmatch(value):
        raise fail(
            "„{v}“ ist kein SSH-Fingerabdruck; erwartet „SHA256:“ und 43 Zeichen "
            "(ssh-keygen -lf DATEI.pub)",
            '"{v}" is not an SSH fingerprint; expected "SHA256:" and 43 characters '
            "(ssh-keygen -lf FILE.pub)",
            v=value,
        )
    return value


class KeyRegistration(Record):
    """Partner P's signatory uses this key; registered by R, confirmed out of band, signed."""

    partner: Id
    key: str
    fingerprint: str
    signatory: str | None = None
    registered_by: str
    registered_on: date
    confirmed: str
    """How the fingerprint was confirmed, e.g. "per Brief vom 03.02.2026"."""
    valid_after: date | None = None
    valid_before: date | None = None
    signature: str | None = None

    @field_validator("fingerprint")
    @classmethod
    def _fingerprint(cls, value: str) -> str:
        return _check_fingerprint(value)

    @field_validator("key")
    @classmethod
    def _is_ssh_key(cls, value: str) -> str:
        parts = value.split()
        if len(parts) < 2 or not (parts[0].startswith("ssh-") or parts[0].startswith("ecdsa-")):
            raise fail(
                "kein öffentlicher SSH-Schlüssel; erwartet „ssh-ed25519 AAAA… Kommentar“",
                'not an SSH public key; expected "ssh-ed25519 AAAA... comment"',
            )
        return value


class KeyRevocation(Record):
    """From `revoked_from` on, signatures by this key no longer count for the partner."""

    partner: Id
    fingerprint: str
    revoked_from: date
    reason: str | None = None
    revoked_by: str
    revoked_on: date
    signature: str | None = None

    @field_validator("fingerprint")
    @classmethod
    def _fingerprint(cls, value: str) -> str:
        return _check_fingerprint(value)
