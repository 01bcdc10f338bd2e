"""The archive hand-over: offers to the public archive, its answers and the hand-overs.

Records live under `archive/<offer-id>/`: `offer.yaml` lists what was offered (each item with
its source files, the commit they were read from and a SHA-256 over them), `answer-<n>.yaml`
holds the archive's answer (taken / declined per item, date, reference), `handover.yaml` what
was handed over. Another organisation may write any of them: `check_answer` and
`check_handover` compare them with their offer.
"""

from __future__ import annotations

import datetime
import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, field_validator

from coopkit.model.base import Id, Record, fail

ItemKind = Literal["agreement", "minutes"]
Decision = Literal["taken", "declined"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_COMMIT = re.compile(r"[0-9a-f]{40}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ITEM = re.compile(r"(agreements|minutes)/[a-z0-9][a-z0-9._-]{0,99}")
_PATH = re.compile(r"(agreements|minutes)/[^\x00-\x1f\\]{1,400}")


def _pattern(pattern: re.Pattern[str], de: str, en: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise fail("„{v}“: " + de, '"{v}": ' + en, v=value)
        return value

    return AfterValidator(check)


Sha256 = Annotated[
    str, _pattern(_SHA256, "erwartet SHA-256 (64 Hex-Zeichen)", "expected SHA-256 (64 hex digits)")
]
CommitId = Annotated[
    str, _pattern(_COMMIT, "erwartet eine Commit-ID (40 Hex-Zeichen)", "expected a commit id")
]
Uuid = Annotated[
    str, _pattern(_UUID, "erwartet eine UUID (klein geschrieben)", "expected a lower-case UUID")
]
ItemKey = Annotated[
    str,
    _pattern(
        _ITEM,
        "erwartet agreements/ID oder minutes/ID",
        "expected agreements/ID or minutes/ID",
    ),
]
SourcePath = Annotated[
    str,
    _pattern(
        _PATH,
        "erwartet einen Pfad unter agreements/ oder minutes/",
        "expected a path under agreements/ or minutes/",
    ),
]


class OfferedItem(Record):
    """One item of an offer: a closed agreement's folder or one approved minutes file."""

    item: ItemKey
    kind: ItemKind
    title: str
    uuid: Uuid
    """The xdomea ID of its Akte (agreement) or Vorgang (minutes)."""
    commit: CommitId
    """The last commit that changed one of its files before the offer."""
    paths: list[SourcePath]
    sha256: Sha256
    """SHA-256 over its files as that commit holds them (see `item_digest`)."""
    begin: date | None = None
    end: date | None = None

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        if not value:
            raise fail("keine Dateien", "no files")
        if any(".." in p.split("/") for p in value):
            raise fail("„..“ im Pfad", '".." in a path')
        return value


class Offer(Record):
    """An offer (xdomea 0501 Anbieteverzeichnis) to the archive."""

    id: Id
    process_id: Uuid
    """The xdomea ProzessID of the whole hand-over."""
    date: date
    before: datetime.date
    commit: CommitId
    """HEAD when the offer was made."""
    authority: str
    archive: str
    items: list[OfferedItem]

    @field_validator("items")
    @classmethod
    def _items(cls, value: list[OfferedItem]) -> list[OfferedItem]:
        if not value:
            raise fail("keine Objekte angeboten", "nothing offered")
        keys = [i.item for i in value]
        doubled = sorted({k for k in keys if keys.count(k) > 1})
        if doubled:
            raise fail("doppelt angeboten: {v}", "offered twice: {v}", v=", ".join(doubled))
        return value


class AnsweredItem(Record):
    """The archive's decision on one offered item."""

    item: ItemKey
    uuid: Uuid
    sha256: Sha256
    decision: Decision


class Answer(Record):
    """The archive's answer (the content of an xdomea 0502 Bewertungsverzeichnis)."""

    offer: Id
    process_id: Uuid
    date: date
    reference: str
    """The archive's file number or letter the answer came with."""
    items: list[AnsweredItem]

    @field_validator("reference")
    @classmethod
    def _reference(cls, value: str) -> str:
        if not value.strip() or "\n" in value:
            raise fail("Aktenzeichen leer oder mehrzeilig", "reference empty or on several lines")
        return value

    @field_validator("items")
    @classmethod
    def _items(cls, value: list[AnsweredItem]) -> list[AnsweredItem]:
        if not value:
            raise fail("keine Objekte beantwortet", "no item answered")
        keys = [i.item for i in value]
        doubled = sorted({k for k in keys if keys.count(k) > 1})
        if doubled:
            raise fail("doppelt beantwortet: {v}", "answered twice: {v}", v=", ".join(doubled))
        return value


class HandedOverFile(Record):
    """One file of a hand-over package with its checksum."""

    name: str
    sha256: Sha256


class HandedOverItem(Record):
    """One item handed over, as offered."""

    item: ItemKey
    uuid: Uuid
    sha256: Sha256


class Handover(Record):
    """The hand-over (xdomea 0503 Aussonderung) of the items the archive took."""

    offer: Id
    process_id: Uuid
    date: date
    items: list[HandedOverItem]
    files: list[HandedOverFile] = []


def item_digest(files: dict[str, bytes]) -> str:
    """Return the SHA-256 over an item's files: each path, its length and its bytes, by path."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(files):
        data = files[path]
        digest.update(path.encode("utf-8") + b"\0" + str(len(data)).encode("ascii") + b"\0")
        digest.update(data)
    return digest.hexdigest()


def item_uuid(item: str, commit: str, part: str = "") -> str:
    """Return the xdomea ID of an item (or of one of its parts) read at a commit.

    Derived from the item's path and the commit (UUID version 5): offering the same, unchanged
    item again gives the same ID.
    """
    import uuid

    name = f"coopkit:{item}@{commit}" + (f"/{part}" if part else "")
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))
