"""Questions about meetings: the list, one meeting with names resolved, earlier and next ones."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from coopkit.model.base import split_person
from coopkit.model.minutes import Minutes
from coopkit.model.repo import RepoData
from coopkit.queries.actions import ActionRow, action_rows
from coopkit.queries.load import Snapshot
from coopkit.queries.lookup import get_agreement, get_minutes
from coopkit.queries.names import person_name


@dataclass(frozen=True)
class MeetingRow:
    """One meeting in `coop meeting list`."""

    id: str
    date: date
    title: str
    status: str
    agreements: list[str]
    actions: int
    open_actions: int


def list_meetings(snap: Snapshot, agreement: str | None = None) -> list[MeetingRow]:
    """Return the meetings, newest first, optionally of one agreement."""
    if agreement is not None:
        get_agreement(snap, agreement)
    rows = []
    open_keys = {r.key for r in action_rows(snap.data, snap.today, open_only=True)}
    for located in snap.data.minutes.values():
        m = located.value
        if agreement and agreement not in m.agreements:
            continue
        keys = [m.action_key(a) for _, a in m.all_actions()]
        rows.append(
            MeetingRow(
                m.id,
                m.date,
                m.title,
                m.status,
                list(m.agreements),
                len(keys),
                sum(k in open_keys for k in keys),
            )
        )
    return sorted(rows, key=lambda r: (r.date, r.id), reverse=True)


@dataclass(frozen=True)
class MeetingView:
    """A meeting with names resolved and its actions' state (`coop meeting show`)."""

    minutes: Minutes
    path: str
    names: dict[str, str]
    actions: list[ActionRow]


def show_meeting(snap: Snapshot, meeting_id: str) -> MeetingView:
    """Return one meeting with resolved names and the state of its actions.

    A draft's prepared TOPs show what the records say today.
    """
    from coopkit.queries.agenda import current_agenda

    located = get_minutes(snap, meeting_id)
    minutes = current_agenda(snap, located.value, snap.lang)
    refs = [
        *minutes.attendance.present,
        *minutes.attendance.excused,
        *(a.who for _, a in minutes.all_actions()),
    ]
    refs += [r for r in (minutes.chair, minutes.minute_taker) if r]
    names = {ref: person_name(snap.data, ref) for ref in refs}
    rows = action_rows(snap.data, snap.today, meetings=[minutes.id])
    return MeetingView(minutes, located.path, names, rows)


def previous_meetings(data: RepoData, agreements: list[str], day: date) -> list[Minutes]:
    """Return earlier meetings that share an agreement with `agreements`, oldest first."""
    wanted = set(agreements)
    found = [
        m.value
        for m in data.minutes.values()
        if m.value.date < day and wanted & set(m.value.agreements) and not m.value.cancelled
    ]
    return sorted(found, key=lambda m: (m.date, m.id))


def next_meeting(data: RepoData, today: date) -> Minutes | None:
    """Return the next planned (draft) meeting on or after today, or None."""
    planned = [
        m.value
        for m in data.minutes.values()
        if m.value.status == "draft" and m.value.date >= today
    ]
    return min(planned, key=lambda m: (m.date, m.id)) if planned else None


def meeting_partners(data: RepoData, minutes: Minutes) -> set[str]:
    """Return the partners a meeting concerns: attendees, distribution and parties."""
    people = [*minutes.attendance.present, *minutes.attendance.excused]
    found = {split_person(p)[0] for p in people} | set(minutes.distribution)
    for agreement_id in minutes.agreements:
        agreement = data.find_agreement(agreement_id)
        if agreement is not None:
            found |= set(agreement.parties)
    return found


_SCHEDULE_LINE = re.compile(r"^[+-](?:(?:date|start|end|place):|status: *cancelled\b)")
"""A changed front-matter line that moves a meeting in a calendar: day, times, place, called off."""


def meeting_sequences(root: Path, data: RepoData) -> dict[str, int]:
    """Return each meeting's calendar SEQUENCE: the commits that changed its day, time or place.

    Counted from git history over the meeting's file through its renames (`coop meeting move`),
    and cancelling counts as a change: the number only grows as history grows, and the same
    history always gives the same number. Creating the file is revision 0.
    """
    from coopkit.store.git import GitRepo

    with GitRepo(root) as repo:
        if repo.head() is None:
            return {}
        out = str(
            repo.run(
                "log",
                "--reverse",
                "-M",
                "-p",
                "--unified=0",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "--format=%x00",
                "--end-of-options",
                "HEAD",
                "--",
                "minutes/",
            )
        )
    origin: dict[str, str] = {}
    """current path -> the path the meeting's file was created at."""
    counts: dict[str, int] = {}
    for commit in out.split("\0"):
        for diff in commit.split("\ndiff --git ")[1:]:
            _count_change(diff, origin, counts)
    return {
        meeting_id: counts.get(origin.get(located.path, located.path), 0)
        for meeting_id, located in data.minutes.items()
    }


def _count_change(diff: str, origin: dict[str, str], counts: dict[str, int]) -> None:
    """Follow one file's diff of one commit: its renames and whether it moved the meeting."""
    lines = diff.split("\n")
    head = lines[0].split(" ")
    old = head[0][2:] if head[0].startswith("a/") else head[0]
    new = head[-1][2:] if head[-1].startswith("b/") else head[-1]
    created = deleted = False
    for line in lines[1:]:
        if line.startswith("@@"):
            break
        if line.startswith("rename from "):
            old = line[len("rename from ") :]
        elif line.startswith("rename to "):
            new = line[len("rename to ") :]
        elif line.startswith("new file mode"):
            created = True
        elif line.startswith("deleted file mode"):
            deleted = True
    if created:
        origin[new] = new
        counts.pop(new, None)
        return
    first = origin.pop(old, old)
    if deleted:
        return
    origin[new] = first
    if any(_SCHEDULE_LINE.match(line) for line in lines):
        counts[first] = counts.get(first, 0) + 1
