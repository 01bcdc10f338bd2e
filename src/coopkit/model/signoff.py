"""Sign-off records: a party's authorised approval of one released version."""

from __future__ import annotations

from datetime import date
from typing import Literal

from coopkit.model.base import Id, Record

SignMethod = Literal["internal", "wet-ink", "qes"]


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
    signed_text: Literal["request"] | None = None
    """`request`: the signature covers the sign-request text of this record (signed outside)."""
