"""Action items from the minutes and their state: one vocabulary, open / done / dropped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from coopkit.i18n import C_, Msg, _
from coopkit.model.base import split_person
from coopkit.model.minutes import Minutes
from coopkit.model.repo import RepoData
from coopkit.queries.names import has_to_do, person_name

ActionState = Literal["open", "done", "dropped"]

STATE_LABELS: dict[str, Msg] = {
    "open": _("offen"),
    "done": C_("done", "erledigt"),
    "dropped": _("verworfen"),
}


def state_label(state: str, lang: str = "de") -> str:
    """Return an action's state in words ("offen", "erledigt", "verworfen")."""
    label = STATE_LABELS.get(state)
    return label.format(lang) if label else state


@dataclass(frozen=True, slots=True)
class ActionRow:
    """One action item with its state, as every view shows it."""

    key: str
    meeting: str
    meeting_date: date
    top: int
    who: str
    who_name: str
    partner: str
    person: str | None
    what: str
    due: date
    status: ActionState
    closed: date | None = None
    note: str | None = None
    overdue: bool = False
    """Open and due before today."""

    @property
    def is_open(self) -> bool:
        """Return whether nobody closed the action yet."""
        return self.status == "open"


RawAction = tuple[str, int, str, str, int]
"""An action as its minutes state it: (key, TOP number, who, what, due day as ordinal)."""

MeetingActions = tuple[str, int, list[RawAction]]
"""A meeting's id, its day (ordinal) and its actions, as the derived-facts store keeps them."""


def meeting_actions(minutes: Minutes) -> MeetingActions:
    """Return what a meeting's minutes say about its actions (plain values, no state)."""
    return (
        minutes.id,
        minutes.date.toordinal(),
        [
            (minutes.action_key(action), top, action.who, action.what, action.due.toordinal())
            for top, action in minutes.all_actions()
        ],
    )


def action_rows(
    data: RepoData,
    today: date,
    *,
    open_only: bool = False,
    partner: str | None = None,
    person: str | None = None,
    meetings: Iterable[str] | None = None,
    before: date | None = None,
    as_of: date | None = None,
) -> list[ActionRow]:
    """Return action items, oldest meeting first, filtered by state, partner, meeting and date.

    Args:
        data: the records.
        today: the day "overdue" is measured against.
        open_only: only actions nobody has closed.
        partner: only actions of this partner.
        person: only actions this `partner/contact` has to do (`has_to_do`).
        meetings: only actions of these meetings.
        before: only actions of meetings before this day.
        as_of: count a closing only when it happened on or before this day (a report's end).
    """
    ordered = sorted((m.value for m in data.minutes.values()), key=lambda m: (m.date, m.id))
    return rows_of(
        data,
        [meeting_actions(m) for m in ordered],
        today,
        open_only=open_only,
        partner=partner,
        person=person,
        meetings=meetings,
        before=before,
        as_of=as_of,
    )


def rows_of(
    data: RepoData,
    stated: Iterable[MeetingActions],
    today: date,
    *,
    open_only: bool = False,
    partner: str | None = None,
    person: str | None = None,
    meetings: Iterable[str] | None = None,
    before: date | None = None,
    as_of: date | None = None,
) -> list[ActionRow]:
    """Return the rows of the actions meetings state (oldest meeting first), with their state.

    The state comes from the closing records in `data`, names from its partners.
    """
    wanted = set(meetings) if meetings is not None else None
    records = data.closing_records
    people: dict[str, tuple[str, str | None, str]] = {}
    """who -> (partner, person, name), worked out once per person."""
    days: dict[int, date] = {}
    """ordinal -> day, one object per day however many actions fall due on it."""
    rows = []
    before_day = before.toordinal() if before is not None else None
    today_day = today.toordinal()
    for meeting, day, actions in stated:
        if wanted is not None and meeting not in wanted:
            continue
        if before_day is not None and day >= before_day:
            continue
        meeting_date = date.fromordinal(day)
        for key, top, who, what, due_day in actions:
            record = records.get(key)
            if record is not None and as_of is not None and record.date > as_of:
                record = None
            if open_only and record is not None:
                continue
            known = people.get(who)
            if known is None:
                owner, contact = split_person(who)
                known = people[who] = (owner, contact, person_name(data, who))
            if partner and known[0] != partner:
                continue
            if person is not None and not has_to_do(person, known[0], known[1]):
                continue
            rows.append(
                ActionRow(
                    key,
                    meeting,
                    meeting_date,
                    top,
                    who,
                    known[2],
                    known[0],
                    known[1],
                    what,
                    days.get(due_day) or days.setdefault(due_day, date.fromordinal(due_day)),
                    record.status if record else "open",
                    record.date if record else None,
                    record.note if record else None,
                    record is None and due_day < today_day,
                )
            )
    return rows
