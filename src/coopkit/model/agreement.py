"""Agreements: parties, validity, clauses and the obligations they create."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import field_validator, model_validator

from coopkit.model.base import Duration, Id, IdList, Record, fail

OnHoliday = Literal["keep", "next-working-day", "previous-working-day"]
"""Where a due date on a Saturday, Sunday or holiday goes (§ 193 BGB only where agreed)."""

_RRULE_RE = re.compile(r"[A-Z]+=[A-Za-z0-9,+:-]+(?:;[A-Z]+=[A-Za-z0-9,+:-]+)*;?")


class Obligation(Record):
    """Who owes what to whom, once or recurring, linked to its clause."""

    id: Id
    clause: int | None = None
    by: IdList
    to: IdList = []
    what: str
    every: Duration | None = None
    rrule: str | None = None
    first_due: date | None = None
    condition: str | None = None
    how: str | None = None
    on_holiday: OnHoliday = "keep"
    """`keep` (the default) leaves a due date where it falls; the others move it off weekends
    and the Land's holidays. At its default the field counts in no content hash."""

    @field_validator("rrule")
    @classmethod
    def _rrule_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        body = value.removeprefix("RRULE:")
        if not _RRULE_RE.fullmatch(body):
            raise fail(
                "RRULE „{v}“: erwartet NAME=WERT-Teile, getrennt durch „;“ "
                "(z. B. FREQ=MONTHLY;INTERVAL=3)",
                'RRULE "{v}": expected NAME=VALUE parts separated by ";" '
                "(e.g. FREQ=MONTHLY;INTERVAL=3)",
                v=value,
            )
        parts = dict(p.partition("=")[::2] for p in body.split(";") if p)
        for name, limit in (("INTERVAL", 1000), ("COUNT", 100000)):
            number = parts.get(name)
            if number is not None and not (number.isdigit() and 1 <= int(number) <= limit):
                raise fail(
                    "RRULE „{v}“: {n} muss eine Zahl von 1 bis {m} sein",
                    'RRULE "{v}": {n} must be a number from 1 to {m}',
                    v=value,
                    n=name,
                    m=limit,
                )
        if "FREQ" not in parts:
            raise fail(
                "RRULE „{v}“ ohne FREQ; erwartet z. B. FREQ=MONTHLY;INTERVAL=3",
                'RRULE "{v}" has no FREQ; expected e.g. FREQ=MONTHLY;INTERVAL=3',
                v=value,
            )
        return body

    @model_validator(mode="after")
    def _one_recurrence(self) -> Obligation:
        if self.every and self.rrule:
            raise fail(
                "„every“ und „rrule“ schließen sich aus; bitte nur eines angeben",
                '"every" and "rrule" exclude each other; give only one',
            )
        if (self.every or self.rrule) and self.first_due is None:
            raise fail(
                "eine wiederkehrende Pflicht braucht „first_due“ (erste Fälligkeit)",
                'a recurring obligation needs "first_due"',
            )
        return self

    @property
    def recurring(self) -> bool:
        """Return whether the obligation recurs."""
        return bool(self.every or self.rrule)


class Clause(Record):
    """A numbered clause (§ n) of an agreement's text."""

    number: int
    title: str
    text: str


OnNotice = Literal["party-leaves", "ends"]
"""What a party's notice does: it leaves and the others go on, or the whole agreement ends."""

LegacyStatus = Literal["draft", "active", "terminated"]
"""The hand-set `status:` of agreement files written before the lifecycle was derived."""


class Agreement(Record):
    """A cooperation agreement: metadata, obligations and text."""

    id: Id
    title: str
    parties: IdList
    coordinator: Id | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    review_cycle: Duration | None = None
    notice_period: Duration | None = None
    on_notice: OnNotice | None = None
    """Unset: `party-leaves` with three or more parties, `ends` with two (see `notice_effect`)."""
    status: LegacyStatus | None = None
    """Legacy only: read so that old versions still parse and hash as they were approved; the
    lifecycle is derived from versions, sign-offs and terminations (`coop check` reports the key
    in the working text and `coop migrate` removes it)."""
    obligations: list[Obligation] = []
    preamble: str = ""
    clauses: list[Clause] = []

    @model_validator(mode="after")
    def _shape(self) -> Agreement:
        if len(self.parties) < 2:
            raise fail(
                "eine Vereinbarung braucht mindestens zwei Parteien, gefunden {n}",
                "an agreement needs at least two parties, found {n}",
                n=len(self.parties),
            )
        return self

    @property
    def notice_effect(self) -> OnNotice:
        """Return what a party's notice does under this text (`on_notice` or its default)."""
        if self.on_notice is not None:
            return self.on_notice
        return "party-leaves" if len(self.parties) >= 3 else "ends"

    def find_obligation(self, obligation_id: str) -> Obligation | None:
        """Return the obligation with this id, or None."""
        return next((o for o in self.obligations if o.id == obligation_id), None)

    def find_clause(self, number: int) -> Clause | None:
        """Return the clause with this number, or None."""
        return next((c for c in self.clauses if c.number == number), None)
