"""What carries into the next meeting: unfinished and recurring TOPs and open actions.

One engine for the agenda of a new meeting, the draft's view and `coop decision list`. Nothing is
copied: a TOP is followed through the meetings by its origin (`carried: <meeting>#<TOP>` on each
later TOP that continues it), and its latest occurrence says whether it is still open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from coopkit.errors import T
from coopkit.model.minutes import Minutes, Top
from coopkit.model.repo import RepoData
from coopkit.queries.actions import ActionRow, action_rows
from coopkit.queries.meetings import previous_meetings
from coopkit.render.dates import long_date


@dataclass(frozen=True)
class CarriedTop:
    """A TOP that moves into the next agenda, with where it came from and where it was last."""

    origin: str
    """`<meeting-id>#<TOP>` of the TOP where the item first came up."""
    origin_meeting: str
    origin_date: date | None
    """None when the origin meeting is no longer in the repository."""
    origin_top: int
    title: str
    """The title as the latest meeting states it."""
    reason: str
    """`open`, `deferred` or `recurring`."""
    recurring: bool
    last_meeting: str
    last_date: date
    last_top: int


@dataclass(frozen=True)
class Carryover:
    """Everything a meeting on a given day takes over from the earlier ones."""

    tops: list[CarriedTop]
    actions: list[ActionRow]


def top_key(minutes: Minutes, number: int, top: Top) -> str:
    """Return the origin of a TOP: the one it continues, else itself (`<meeting-id>#<TOP>`)."""
    return top.carried or f"{minutes.id}#{number}"


def split_key(key: str) -> tuple[str, int]:
    """Return (meeting id, TOP number) of a `<meeting-id>#<TOP>` key."""
    meeting, _, number = key.rpartition("#")
    return meeting, int(number)


def latest_occurrences(meetings: list[Minutes]) -> dict[str, tuple[Minutes, int, Top]]:
    """Return each TOP's latest occurrence among `meetings` (oldest first), keyed by origin."""
    latest: dict[str, tuple[Minutes, int, Top]] = {}
    for minutes in meetings:
        for number, top in enumerate(minutes.tops, start=1):
            if top.prefilled is None:
                latest[top_key(minutes, number, top)] = (minutes, number, top)
    return latest


def carryover(data: RepoData, today: date, agreements: list[str], day: date) -> Carryover:
    """Return what a meeting on `day` about `agreements` takes over from the earlier meetings.

    A TOP carries when its latest occurrence is open or deferred or is a standing item; an
    action carries while nobody closed it by `day`. Items come oldest origin first.

    Args:
        data: the records.
        today: the day "overdue" is measured against.
        agreements: the agreements the meeting is about.
        day: the meeting day; only meetings before it count.
    """
    previous = previous_meetings(data, agreements, day)
    tops = []
    for key, (minutes, number, top) in latest_occurrences(previous).items():
        if not (top.unfinished or top.recurring):
            continue
        meeting_id, origin_top = split_key(key)
        origin = data.minutes.get(meeting_id)
        tops.append(
            CarriedTop(
                origin=key,
                origin_meeting=meeting_id,
                origin_date=origin.value.date if origin else None,
                origin_top=origin_top,
                title=top.title,
                reason=top.status if top.unfinished and top.status else "recurring",
                recurring=top.recurring,
                last_meeting=minutes.id,
                last_date=minutes.date,
                last_top=number,
            )
        )
    tops.sort(key=lambda c: (c.origin_date or c.last_date, c.origin_meeting, c.origin_top))
    actions = action_rows(data, today, open_only=True, meetings=[m.id for m in previous], as_of=day)
    return Carryover(tops, actions)


def origin_text(item: CarriedTop, lang: str) -> str:
    """Return where a carried TOP came from, e.g. „aus der Sitzung vom 5. Februar 2014, TOP 3“."""
    day = item.origin_date or item.last_date
    if item.recurring:
        text = T(
            "ständiger TOP seit der Sitzung vom {d}, TOP {t}",
            "standing item since the meeting of {d}, item {t}",
            d=long_date(day, lang),
            t=item.origin_top,
        )
    elif item.reason == "deferred":
        text = T(
            "vertagt, aus der Sitzung vom {d}, TOP {t}",
            "deferred, from the meeting of {d}, item {t}",
            d=long_date(day, lang),
            t=item.origin_top,
        )
    else:
        text = T(
            "nicht abgeschlossen, aus der Sitzung vom {d}, TOP {t}",
            "not finished, from the meeting of {d}, item {t}",
            d=long_date(day, lang),
            t=item.origin_top,
        )
    return text.format(lang)
