"""Canonical JSON and SHA-256 hashes: what a sign-off is bound to and what gets signed."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from coopkit.model.agreement import Agreement
from coopkit.model.signoff import SignOff

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
    """Return `sha256:<hex>` of the parsed agreement, so comments and layout do not count."""
    return PREFIX + sha256_hex(canonical_json(agreement.model_dump(mode="json")))


def record_payload(signoff: SignOff) -> bytes:
    """Return the bytes an SSH signature covers: the sign-off record without its signature."""
    return canonical_json(signoff.model_dump(mode="json", exclude={"signature"}))
