"""Decisions of all minutes and their follow-up across meetings („Beschlusskontrolle“)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from coopkit.i18n import Msg, _
from coopkit.model.repo import RepoData
from coopkit.queries.actions import ActionRow, action_rows
from coopkit.queries.carryover import top_key

FollowUp = Literal["none", "open", "overdue", "done"]
"""`none`: no action came of it; `open`/`overdue`: an action is still open (and late); `done`."""

FOLLOW_UP_LABELS: dict[str, Msg] = {
    "none": _("ohne Aufgabe"),
    "open": _("in Arbeit"),
    "overdue": _("überfällig"),
    "done": _("umgesetzt"),
}


def follow_up_label(state: str, lang: str = "de") -> str:
    """Return the words for a decision's follow-up state."""
    label = FOLLOW_UP_LABELS.get(state)
    return label.format(lang) if label else state


@dataclass(frozen=True)
class DecisionRow:
    """One decision, where it was taken, and the actions that follow it up."""

    key: str
    """`<meeting-id>#<TOP>.<n>`: the n-th decision of that TOP."""
    meeting: str
    meeting_date: date
    top: int
    top_title: str
    text: str
    origin: str
    """The TOP the decision belongs to, through carry-over: `<meeting-id>#<TOP>` where it began."""
    actions: list[ActionRow]
    state: FollowUp

    @property
    def is_open(self) -> bool:
        """Return whether an action of the decision is still open."""
        return self.state in ("open", "overdue")


def _state(actions: list[ActionRow]) -> FollowUp:
    if not actions:
        return "none"
    if any(a.overdue for a in actions):
        return "overdue"
    if any(a.is_open for a in actions):
        return "open"
    return "done"


def decision_rows(data: RepoData, today: date, *, open_only: bool = False) -> list[DecisionRow]:
    """Return the decisions of all meetings held or planned, oldest first, with their follow-up.

    A decision's actions are those of its TOP and of the TOPs of later meetings that continue it
    (`carried:`): a topic decided in February and worked on in May shows the May actions too.

    Args:
        data: the records.
        today: the day "overdue" is measured against.
        open_only: only decisions with an action still open.
    """
    meetings = sorted(
        (m.value for m in data.minutes.values() if not m.value.cancelled),
        key=lambda m: (m.date, m.id),
    )
    by_top: dict[tuple[str, int], list[ActionRow]] = {}
    for row in action_rows(data, today):
        by_top.setdefault((row.meeting, row.top), []).append(row)
    chains: dict[str, list[tuple[date, str, int]]] = {}
    """origin -> every (day, meeting, TOP number) that continues it."""
    for minutes in meetings:
        for number, top in enumerate(minutes.tops, start=1):
            key = top_key(minutes, number, top)
            chains.setdefault(key, []).append((minutes.date, minutes.id, number))
    rows = []
    for minutes in meetings:
        for number, top in enumerate(minutes.tops, start=1):
            origin = top_key(minutes, number, top)
            actions = [
                action
                for day, meeting, n in chains[origin]
                if (day, meeting) >= (minutes.date, minutes.id)
                for action in by_top.get((meeting, n), [])
            ]
            for index, text in enumerate(top.decisions, start=1):
                decision = DecisionRow(
                    f"{minutes.id}#{number}.{index}",
                    minutes.id,
                    minutes.date,
                    number,
                    top.title,
                    text,
                    origin,
                    actions,
                    _state(actions),
                )
                if not open_only or decision.is_open:
                    rows.append(decision)
    return rows
