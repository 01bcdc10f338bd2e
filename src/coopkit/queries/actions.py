"""Action items from the minutes and their state: one vocabulary, open / done / dropped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from coopkit.errors import T
from coopkit.model.base import split_person
from coopkit.model.repo import RepoData
from coopkit.queries.names import person_name

ActionState = Literal["open", "done", "dropped"]

STATE_LABELS: dict[str, T] = {
    "open": T("offen", "open"),
    "done": T("erledigt", "done"),
    "dropped": T("verworfen", "dropped"),
}


def state_label(state: str, lang: str = "de") -> str:
    """Return an action's state in words ("offen", "erledigt", "verworfen")."""
    label = STATE_LABELS.get(state)
    return label.format(lang) if label else state


@dataclass(frozen=True)
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


def action_rows(
    data: RepoData,
    today: date,
    *,
    open_only: bool = False,
    partner: str | None = None,
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
        meetings: only actions of these meetings.
        before: only actions of meetings before this day.
        as_of: count a closing only when it happened on or before this day (a report's end).
    """
    wanted = set(meetings) if meetings is not None else None
    records = data.closing_records
    names: dict[str, str] = {}
    rows = []
    for minutes in sorted((m.value for m in data.minutes.values()), key=lambda m: (m.date, m.id)):
        if wanted is not None and minutes.id not in wanted:
            continue
        if before is not None and minutes.date >= before:
            continue
        for top, action in minutes.all_actions():
            key = minutes.action_key(action)
            record = records.get(key)
            if record is not None and as_of is not None and record.date > as_of:
                record = None
            status: ActionState = record.status if record else "open"
            if open_only and record is not None:
                continue
            owner, person = split_person(action.who)
            if partner and owner != partner:
                continue
            rows.append(
                ActionRow(
                    key=key,
                    meeting=minutes.id,
                    meeting_date=minutes.date,
                    top=top,
                    who=action.who,
                    who_name=names.get(action.who)
                    or names.setdefault(action.who, person_name(data, action.who)),
                    partner=owner,
                    person=person,
                    what=action.what,
                    due=action.due,
                    status=status,
                    closed=record.date if record else None,
                    note=record.note if record else None,
                    overdue=record is None and action.due < today,
                )
            )
    return rows
