"""Sign-off records: a party's authorised approval of one released version."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, field_validator

from coopkit.model.base import Id, Record, fail

SignMethod = Literal["internal", "wet-ink", "qes"]


_VERSION_RE = re.compile(r"v[1-9][0-9]{0,5}")


def _version_name(value: str) -> str:
    if not _VERSION_RE.fullmatch(value):
        raise fail(
            "Version „{v}“: erwartet v1, v2, …", 'version "{v}": expected v1, v2, …', v=value
        )
    return value


VersionName = Annotated[str, AfterValidator(_version_name)]
"""A version's name: v1, v2, … (the whole text)."""


class Evidence(Record):
    """A document kept outside the repository, referenced by its SHA-256."""

    file: str
    sha256: str


class SignOff(Record):
    """Partner P's signatory approved version V, whose content hash was H."""

    agreement: Id
    version: VersionName
    partner: Id
    signatory: str
    function: str | None = None
    place: str | None = None
    date: date
    method: SignMethod = "internal"
    content_hash: str
    evidence: Evidence | None = None
    signature: str | None = None

    signed_text: Literal["request"] | None = None
    """`request`: the signature covers the sign-request text of this record (signed outside)."""


class Withdrawal(Record):
    """A sign-off taken back: who withdrew it, when and why, with the record as it stood."""

    agreement: Id
    version: VersionName
    partner: Id
    date: date
    reason: str
    withdrawn_by: str
    """The person who withdrew it (the partner's signatory or the coordinator)."""
    signoff: SignOff
    """The withdrawn record as it stood, signature included."""
    signature: str | None = None

    @field_validator("reason", "withdrawn_by")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise fail("darf nicht leer sein", "must not be empty", v=value)
        return value
