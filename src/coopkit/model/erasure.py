"""Erasure records: the coordinator's signed account of a rewrite that removed personal data.

An erasure rewrites every commit that held the erased data, so commit ids change and the commit
signatures of the old history are gone. The record maps each old commit to its new id and names
the key whose good signature the old commit carried; signed by a pinned coordinator key, it lets
`verify --history` follow the rewritten history, and `coop sync` in other clones recognise the
rewrite. It never holds the erased data itself: only how many texts, which whole files.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, field_validator

from coopkit.model.base import Id, Record, fail

_SHA = re.compile(r"[0-9a-f]{40}")


def _sha(value: str) -> str:
    if not _SHA.fullmatch(value):
        raise fail(
            "„{v}“: erwartet eine Commit-ID aus 40 Hexadezimalziffern",
            '"{v}": expected a commit id of 40 hex digits',
            v=value,
        )
    return value


CommitId = Annotated[str, AfterValidator(_sha)]

REPLACEMENT = "(gelöscht)"
"""What stands where an erased text stood."""


class MappedCommit(Record):
    """One rewritten commit: its old id, its new id, the key that signed the old one."""

    old: CommitId
    new: CommitId
    signer: str | None = None
    """The fingerprint of the old commit's good SSH signature (None: it had none)."""


class MovedTag(Record):
    """A version tag the rewrite moved: from the old commit to the new one."""

    name: str
    old: CommitId
    new: CommitId


class SignoffOutcome(Record):
    """Whether one sign-off verified before the erasure and after it."""

    path: str
    before: bool
    after: bool


class Erasure(Record):
    """The coordinator erased personal data from every commit; this is what changed."""

    id: Id
    date: date
    by: str
    """The person who ran the erasure."""
    reason: str
    replacement: str = REPLACEMENT
    texts: int = 0
    """How many texts were replaced (the texts themselves are not recorded)."""
    paths: list[str] = []
    """Files removed from every commit."""
    base: CommitId
    """The tip of the old history the rewrite started from."""
    commits: list[MappedCommit]
    tags: list[MovedTag] = []
    signoffs: list[SignoffOutcome] = []
    signer: str
    """The fingerprint of the coordinator key that signs this record."""
    signature: str | None = None

    @field_validator("reason", "by")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise fail("darf nicht leer sein", "must not be empty", v=value)
        return value

    def new_of(self) -> dict[str, str]:
        """Return old commit id -> new commit id."""
        return {c.old: c.new for c in self.commits}

    def old_of(self) -> dict[str, MappedCommit]:
        """Return new commit id -> its mapping."""
        return {c.new: c for c in self.commits}
