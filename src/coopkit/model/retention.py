"""Retention rules: how long each category of personal data may be kept (coop.toml [retention])."""

from __future__ import annotations

from typing import Literal

from coopkit.model.base import PERMANENT, Period, Record

Category = Literal[
    "contacts",
    "representatives",
    "attendees",
    "signatories",
    "action_owners",
    "commit_authors",
    "findings",
]
CATEGORIES: tuple[Category, ...] = (
    "contacts",
    "representatives",
    "attendees",
    "signatories",
    "action_owners",
    "commit_authors",
    "findings",
)


class Retention(Record):
    """Retention periods per category (ISO 8601 durations or "permanent") and the legal basis.

    The clock of a contact starts at `left`; of anyone else no longer named in the current
    records, at the last commit that named them; of a privacy finding, at its first commit.
    """

    contacts: Period = "P1Y"
    representatives: Period = "P1Y"
    attendees: Period = PERMANENT
    signatories: Period = PERMANENT
    action_owners: Period = PERMANENT
    commit_authors: Period = PERMANENT
    findings: Period = "P0D"
    """Client data has no place in the records: it is due at once."""
    legal_basis: str | None = None
    """The legal basis as text; None: the default wording (Art. 6 (1) (e) GDPR, archive law)."""

    def period(self, category: Category) -> str:
        """Return the period of a category."""
        value: str = getattr(self, category)
        return value
