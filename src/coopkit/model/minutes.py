"""Meetings and their minutes: attendance, agenda items, decisions and actions."""

from __future__ import annotations

import datetime
import re
from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from coopkit.model.base import Id, IdList, PersonRef, Record, TimeOfDay, fail, id_problem

MinutesStatus = Literal["draft", "sent", "approved", "cancelled"]
"""`cancelled`: the meeting did not take place (`coop meeting cancel`); never held, never sent."""
ActionStatus = Literal["done", "dropped"]
TopStatus = Literal["done", "open", "deferred"]
"""`open`: discussed, not finished; `deferred`: not dealt with. Both carry into the next agenda."""
PrefilledKind = Literal["approval", "actions", "obligations", "revisions"]
"""A TOP `coop meeting new` prepared: its title and notes follow the records until sending."""


class Guest(Record):
    """A guest at a meeting, with the organisation they came from."""

    name: str
    org: str | None = None
    function: str | None = None


class Attendance(Record):
    """Who was present, who was excused, and the guests."""

    present: list[PersonRef] = []
    excused: list[PersonRef] = []
    guests: list[Guest] = []


class Action(Record):
    """An action item: who (partner, optionally a person) does what by when."""

    id: int
    who: PersonRef
    what: str
    due: date


class Top(Record):
    """An agenda item (TOP) with its notes, verbatim decisions and actions."""

    title: str
    prefilled: PrefilledKind | None = None
    carried: str | None = None
    """`<meeting-id>#<TOP>`: the TOP of an earlier meeting this one continues (its origin)."""
    status: TopStatus | None = None
    """Absent or `done`: the TOP was dealt with; `open`/`deferred` carry it into the next agenda."""
    recurring: bool = False
    """A standing item: it is on the agenda of every following meeting."""
    notes: str = ""
    decisions: list[str] = []
    actions: list[Action] = []

    @field_validator("carried")
    @classmethod
    def _carried(cls, value: str | None) -> str | None:
        if value is None:
            return None
        meeting, _, number = value.rpartition("#")
        if not meeting or id_problem(meeting) is not None or not _TOP_NUMBER.fullmatch(number):
            raise fail(
                "„carried: {v}“: erwartet SITZUNG#TOP, z. B. 2014-02-05-evaluation#3",
                '"carried: {v}": expected MEETING#TOP, e.g. 2014-02-05-evaluation#3',
                v=value,
            )
        return value

    @property
    def unfinished(self) -> bool:
        """Return whether the TOP was left open or deferred."""
        return self.status in ("open", "deferred")


_TOP_NUMBER = re.compile(r"[1-9][0-9]{0,3}")


class Minutes(Record):
    """A meeting: invitation data while a draft, the minutes once held."""

    id: Id
    uid: Id | None = None
    """The id the meeting was created with, kept when `coop meeting move` changes the id."""
    title: str
    agreements: IdList = []
    topics: IdList = []
    """What the meeting is about, for the distribution list: a partner's contacts whose `topics`
    name one of these (or one of `agreements`) get its mail instead of the organisation."""
    date: date
    start: TimeOfDay | None = None
    end: TimeOfDay | None = None
    place: str | None = None
    chair: PersonRef | None = None
    minute_taker: PersonRef | None = None
    status: MinutesStatus = "draft"
    cancel_reason: str | None = None
    sent: datetime.date | None = None
    approved_in: Id | None = None
    attendance: Attendance = Field(default_factory=Attendance)
    tops: list[Top] = []
    distribution: IdList = []
    remarks: str = ""

    @model_validator(mode="after")
    def _status(self) -> Minutes:
        if self.status == "approved" and self.approved_in is None:
            raise fail(
                "genehmigte Niederschrift ohne „approved_in“ (die Sitzung, die sie genehmigt hat)",
                'approved minutes without "approved_in" (the meeting that approved them)',
            )
        if self.status == "cancelled" and (self.sent or self.approved_in):
            raise fail(
                "eine abgesagte Sitzung hat keine versandte oder genehmigte Niederschrift",
                "a cancelled meeting has no sent or approved minutes",
            )
        if self.status == "cancelled" and any(t.decisions or t.actions for t in self.tops):
            raise fail(
                "eine abgesagte Sitzung hat keine Beschlüsse und keine Aufgaben",
                "a cancelled meeting has no decisions and no actions",
            )
        if self.cancel_reason and self.status != "cancelled":
            raise fail(
                "„cancel_reason“ nur bei „status: cancelled“",
                '"cancel_reason" only with "status: cancelled"',
            )
        if self.start and self.end and self.end < self.start:
            raise fail(
                "Ende {e} liegt vor Beginn {s}",
                "end {e} is before start {s}",
                s=self.start,
                e=self.end,
            )
        return self

    @property
    def held(self) -> bool:
        """Return whether the minutes say the meeting took place: sent or approved."""
        return self.status in ("sent", "approved")

    @property
    def cancelled(self) -> bool:
        """Return whether the meeting was called off."""
        return self.status == "cancelled"

    @property
    def calendar_id(self) -> str:
        """Return the id a calendar knows the meeting by: the first id, kept through moves."""
        return self.uid or self.id

    def all_actions(self) -> list[tuple[int, Action]]:
        """Return (TOP number, action) for every action, TOPs counted from 1."""
        return [(n, a) for n, top in enumerate(self.tops, start=1) for a in top.actions]

    def action_key(self, action: Action) -> str:
        """Return the stable action id `<meeting-id>#<n>`."""
        return f"{self.id}#{action.id}"


class ActionRecord(Record):
    """The closing of an action item, kept apart from the (possibly frozen) minutes."""

    action: str
    status: ActionStatus = "done"
    date: date
    note: str | None = None
    by: PersonRef | None = None
