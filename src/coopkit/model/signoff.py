"""Sign-off records: a party's authorised approval of one released version."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import field_validator

from coopkit.model.base import Id, Record, fail

SignMethod = Literal["internal", "wet-ink", "qes"]


_VERSION_RE = re.compile(r"v[1-9][0-9]{0,5}")


def _full(pattern: re.Pattern[str], value: str, de: str, en: str) -> str:
    if not pattern.fullmatch(value):
        raise fail(de, en, v=value)
    return value


class Evidence(Record):
    """A document kept outside the repository, referenced by its SHA-256."""

    file: str
    sha256: str


class SignOff(Record):
    """Partner P's signatory approved version V, whose content hash was H."""

    agreement: Id
    version: str
    partner: Id
    signatory: str
    function: str | None = None
    place: str | None = None
    date: date
    method: SignMethod = "internal"
    content_hash: str
    evidence: Evidence | None = None
    signature: str | None = None

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        return _full(
            _VERSION_RE,
            value,
            "Version „{v}“: erwartet v1, v2, …",
            'version "{v}": expected v1, v2, …',
        )

    signed_text: Literal["request"] | None = None
    """`request`: the signature covers the sign-request text of this record (signed outside)."""


class Withdrawal(Record):
    """A sign-off taken back: who withdrew it, when and why, with the record as it stood."""

    agreement: Id
    version: str
    partner: Id
    date: date
    reason: str
    withdrawn_by: str
    """The person who withdrew it (the partner's signatory or the coordinator)."""
    signoff: SignOff
    """The withdrawn record as it stood, signature included."""
    signature: str | None = None

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        return _full(
            _VERSION_RE,
            value,
            "Version „{v}“: erwartet v1, v2, …",
            'version "{v}": expected v1, v2, …',
        )

    @field_validator("reason", "withdrawn_by")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise fail("darf nicht leer sein", "must not be empty", v=value)
        return value
