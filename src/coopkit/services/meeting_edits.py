"""Correcting meetings and actions: notes, decisions, attendees, cancel, move, action fields.

Approved minutes stay frozen: every correction of them is refused with the frozen-minutes
message. A closed action is reopened by removing its closing record (the minutes stay as they
are).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from coopkit.errors import T, UsageError
from coopkit.model.minutes import Minutes
from coopkit.queries.context import Context
from coopkit.queries.lookup import get_action, get_minutes
from coopkit.services.meetings import (
    MINUTES_KEYS,
    TOP_KEYS,
    MeetingResult,
    _check_top,
    _multiline,
    _nonempty,
    _refuse_frozen,
    _top_node,
    edit_message,
    refuse_sent,
)
from coopkit.services.repository import CommitResult, Transaction, writing
from coopkit.store import layout
from coopkit.store.codec import parse_minutes
from coopkit.store.yamlio import set_key, yaml_value

ACTION_KEYS = ("id", "who", "what", "due")


def _edit(
    ctx: Context,
    meeting_id: str,
    change: Callable[[Any, Minutes], None],
    message: Callable[[Minutes], T],
    when: date | None,
    note: str | None,
    after_sending: bool,
) -> MeetingResult:
    with writing(ctx) as tx:
        located = get_minutes(tx.loaded(), meeting_id)
        minutes = located.value
        _refuse_frozen(minutes)
        refuse_sent(minutes, after_sending)
        tx.edit(located.path, lambda node: change(node, minutes))
        result = tx.commit(edit_message(minutes, message(minutes)), when, note)
        written = parse_minutes(tx.read(located.path))[0]
    return MeetingResult(written.value if written else minutes, located.path, result)


# --------------------------------------------------------------------------- notes, decisions


def set_note(
    ctx: Context,
    meeting_id: str,
    top: int,
    text: str,
    *,
    when: date | None = None,
    note: str | None = None,
    after_sending: bool = False,
) -> MeetingResult:
    """Replace the notes of TOP `top` with `text`."""
    text = _nonempty(text, "TEXT")

    def change(node: Any, minutes: Minutes) -> None:
        _check_top(minutes, top)
        set_key(_top_node(node, top), "notes", _multiline(text), TOP_KEYS)

    return _edit(
        ctx,
        meeting_id,
        change,
        lambda m: T("Notiz zu {m} TOP {t} ersetzt", "Replace note of {m} TOP {t}", m=m.id, t=top),
        when,
        note,
        after_sending,
    )


def remove_note(
    ctx: Context,
    meeting_id: str,
    top: int,
    *,
    when: date | None = None,
    note: str | None = None,
    after_sending: bool = False,
) -> MeetingResult:
    """Remove the notes of TOP `top`."""

    def change(node: Any, minutes: Minutes) -> None:
        if not _check_top(minutes, top).notes.strip():
            raise UsageError(
                T("TOP {t} hat keine Notiz", "TOP {t} has no note", t=top),
            )
        _top_node(node, top).pop("notes", None)

    return _edit(
        ctx,
        meeting_id,
        change,
        lambda m: T("Notiz zu {m} TOP {t} entfernt", "Remove note of {m} TOP {t}", m=m.id, t=top),
        when,
        note,
        after_sending,
    )


def _decision_index(minutes: Minutes, top: int, index: int) -> None:
    decisions = _check_top(minutes, top).decisions
    if not 1 <= index <= len(decisions):
        raise UsageError(
            T(
                "--index {k}: TOP {t} hat Beschluss 1 bis {n}",
                "--index {k}: TOP {t} has decision 1 to {n}",
                k=index,
                t=top,
                n=len(decisions),
            )
            if decisions
            else T("TOP {t} hat keine Beschlüsse", "TOP {t} has no decisions", t=top)
        )


def set_decision(
    ctx: Context,
    meeting_id: str,
    top: int,
    index: int,
    text: str,
    *,
    when: date | None = None,
    note: str | None = None,
    after_sending: bool = False,
) -> MeetingResult:
    """Replace decision `index` (from 1) of TOP `top` with `text`."""
    text = _nonempty(text, "TEXT")

    def change(node: Any, minutes: Minutes) -> None:
        _decision_index(minutes, top, index)
        _top_node(node, top)["decisions"][index - 1] = yaml_value(text)

    return _edit(
        ctx,
        meeting_id,
        change,
        lambda m: T(
            "Beschluss {k} in {m} TOP {t} geändert",
            "Change decision {k} in {m} TOP {t}",
            k=index,
            m=m.id,
            t=top,
        ),
        when,
        note,
        after_sending,
    )


def remove_decision(
    ctx: Context,
    meeting_id: str,
    top: int,
    index: int,
    *,
    when: date | None = None,
    note: str | None = None,
    after_sending: bool = False,
) -> MeetingResult:
    """Remove decision `index` (from 1) of TOP `top`."""

    def change(node: Any, minutes: Minutes) -> None:
        _decision_index(minutes, top, index)
        item = _top_node(node, top)
        del item["decisions"][index - 1]
        if not item["decisions"]:
            del item["decisions"]

    return _edit(
        ctx,
        meeting_id,
        change,
        lambda m: T(
            "Beschluss {k} aus {m} TOP {t} entfernt",
            "Remove decision {k} from {m} TOP {t}",
            k=index,
            m=m.id,
            t=top,
        ),
        when,
        note,
        after_sending,
    )


# --------------------------------------------------------------------------- attendance


def remove_attendee(
    ctx: Context,
    meeting_id: str,
    person: str,
    *,
    when: date | None = None,
    note: str | None = None,
    after_sending: bool = False,
) -> MeetingResult:
    """Remove a person from the present, excused or guest list (guests by name)."""
    person = person.strip()
    found: list[str] = []

    def change(node: Any, minutes: Minutes) -> None:
        att = node.get("attendance")
        if isinstance(att, dict):
            for group in ("present", "excused"):
                items = att.get(group)
                if isinstance(items, list):
                    for i in reversed(range(len(items))):
                        if str(items[i]) == person:
                            del items[i]
                            found.append(group)
            guests = att.get("guests")
            if isinstance(guests, list):
                for i in reversed(range(len(guests))):
                    if isinstance(guests[i], dict) and str(guests[i].get("name")) == person:
                        del guests[i]
                        found.append("guests")
            for group in ("present", "excused", "guests"):
                if group in att and not att[group]:
                    del att[group]
            if not att:
                del node["attendance"]
        if not found:
            listed = [
                *minutes.attendance.present,
                *minutes.attendance.excused,
                *(g.name for g in minutes.attendance.guests),
            ]
            raise UsageError(
                T(
                    "„{p}“ steht nicht in der Anwesenheit von {m}; eingetragen: {k}",
                    '"{p}" is not in the attendance of {m}; recorded: {k}',
                    p=person,
                    m=minutes.id,
                    k=", ".join(listed) or "—",
                )
            )

    return _edit(
        ctx,
        meeting_id,
        change,
        lambda m: T(
            "{p} aus der Anwesenheit von {m} entfernt",
            "Remove {p} from the attendance of {m}",
            p=person,
            m=m.id,
        ),
        when,
        note,
        after_sending,
    )


# --------------------------------------------------------------------------- cancel, move


def cancel_meeting(
    ctx: Context,
    meeting_id: str,
    *,
    reason: str | None = None,
    when: date | None = None,
    note: str | None = None,
) -> MeetingResult:
    """Record that a planned meeting does not take place (`status: cancelled`)."""

    def change(node: Any, minutes: Minutes) -> None:
        if minutes.status == "cancelled":
            raise UsageError(
                T(
                    "die Sitzung {m} ist schon abgesagt",
                    "the meeting {m} is already cancelled",
                    m=minutes.id,
                )
            )
        if minutes.status != "draft":
            raise UsageError(
                T(
                    "die Sitzung {m} hat stattgefunden (Niederschrift versandt); abgesagt wird "
                    "nur eine geplante Sitzung",
                    "the meeting {m} took place (minutes sent); only a planned meeting can be "
                    "cancelled",
                    m=minutes.id,
                )
            )
        recorded = [
            f"TOP {n}"
            for n, top in enumerate(minutes.tops, start=1)
            if top.decisions or top.actions
        ]
        if recorded:
            raise UsageError(
                T(
                    "die Sitzung {m} hat schon Beschlüsse oder Aufgaben ({w}); eine abgesagte "
                    "Sitzung hat keine",
                    "the meeting {m} already has decisions or actions ({w}); a cancelled "
                    "meeting has none",
                    m=minutes.id,
                    w=", ".join(recorded),
                ),
                hint=T(
                    "erst entfernen: coop meeting decision remove …",
                    "remove them first: coop meeting decision remove …",
                ),
            )
        set_key(node, "status", "cancelled", MINUTES_KEYS)
        if reason and reason.strip():
            set_key(node, "cancel_reason", yaml_value(reason.strip()), MINUTES_KEYS)

    return _edit(
        ctx,
        meeting_id,
        change,
        lambda m: (
            T("Sitzung {m} abgesagt", "Cancel meeting {m}", m=m.id)
            if not reason
            else T(
                "Sitzung {m} abgesagt: {r}",
                "Cancel meeting {m}: {r}",
                m=m.id,
                r=reason.strip()[:60],
            )
        ),
        when,
        note,
        # Sent minutes are refused below: a meeting that took place is not cancelled.
        after_sending=True,
    )


@dataclass(frozen=True)
class MoveResult:
    """A meeting moved to another day: its new id and path, and what else was renamed."""

    old_id: str
    new_id: str
    path: str
    renamed: list[tuple[str, str]]
    commit: CommitResult


def move_meeting(
    ctx: Context,
    meeting_id: str,
    day: date,
    *,
    start: str | None = None,
    end: str | None = None,
    when: date | None = None,
    note: str | None = None,
    after_sending: bool = False,
) -> MoveResult:
    """Move a meeting to another day: the file and id follow the date in the same commit.

    Closing records of its actions are renamed with it; a meeting that approved other minutes
    (named in their frozen `approved_in`) is not moved. The first id stays as `uid`, so the
    calendar entry keeps its UID.
    """
    with writing(ctx) as tx:
        return _move(tx, meeting_id, day, start, end, when, note, after_sending)


def _move(
    tx: Transaction,
    meeting_id: str,
    day: date,
    start: str | None,
    end: str | None,
    when: date | None,
    note: str | None,
    after_sending: bool,
) -> MoveResult:
    loaded = tx.loaded()
    located = get_minutes(loaded, meeting_id)
    minutes = located.value
    _refuse_frozen(minutes)
    refuse_sent(minutes, after_sending)
    old_id = minutes.id
    rest = (
        old_id[len(minutes.date.isoformat()) :]
        if old_id.startswith(minutes.date.isoformat())
        else "-" + old_id
    )
    new_id = f"{day.isoformat()}{rest}"
    approving = sorted(
        m.path for m in loaded.data.minutes.values() if m.value.approved_in == old_id
    )
    if approving:
        raise UsageError(
            T(
                "in {m} wurden Niederschriften genehmigt ({p}); diese sind eingefroren und "
                "nennen {m}, die Sitzung wird nicht verschoben",
                "minutes were approved in {m} ({p}); they are frozen and name {m}, so the "
                "meeting is not moved",
                m=old_id,
                p=", ".join(approving),
            )
        )
    new_path = layout.minutes_path(new_id)
    if new_id != old_id and (new_id in loaded.data.minutes or tx.exists(new_path)):
        raise UsageError(
            T(
                "die Sitzung {m} gibt es schon ({p})",
                "the meeting {m} already exists ({p})",
                m=new_id,
                p=new_path,
            )
        )
    if day == minutes.date and start is None and end is None:
        raise UsageError(
            T(
                "die Sitzung {m} ist schon am {d}",
                "the meeting {m} is already on {d}",
                m=old_id,
                d=day.isoformat(),
            )
        )

    def change(node: Any) -> None:
        if new_id != old_id and "uid" not in node:
            set_key(node, "uid", minutes.calendar_id, MINUTES_KEYS)
        set_key(node, "id", new_id, MINUTES_KEYS)
        set_key(node, "date", yaml_value(day), MINUTES_KEYS)
        if start is not None:
            set_key(node, "start", yaml_value(start), MINUTES_KEYS)
        if end is not None:
            set_key(node, "end", yaml_value(end), MINUTES_KEYS)

    tx.edit(located.path, change)
    renamed: list[tuple[str, str]] = []
    if new_id != old_id:
        tx.move(located.path, new_path)
        renamed.append((located.path, new_path))
        for record in loaded.data.action_records:
            key = record.value.action
            meeting, _, number = key.partition("#")
            if meeting != old_id:
                continue
            new_key = f"{new_id}#{number}"
            tx.edit(record.path, _set_action_key(new_key))
            target = layout.action_record_path(new_key)
            tx.move(record.path, target)
            renamed.append((record.path, target))
    message = T(
        "Sitzung {m} auf den {d} verlegt",
        "Move meeting {m} to {d}",
        m=old_id,
        d=day.isoformat(),
    )
    if new_id != old_id:
        message = T(
            "Sitzung {m} auf den {d} verlegt (jetzt {n})",
            "Move meeting {m} to {d} (now {n})",
            m=old_id,
            d=day.isoformat(),
            n=new_id,
        )
    commit = tx.commit(edit_message(minutes, message), when, note)
    return MoveResult(old_id, new_id, new_path, renamed, commit)


def _set_action_key(key: str) -> Callable[[Any], None]:
    def change(node: Any) -> None:
        node["action"] = key

    return change


# --------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class ActionEdit:
    """A corrected action and the commit."""

    key: str
    path: str
    commit: CommitResult


def set_action(
    ctx: Context,
    action_key: str,
    *,
    who: str | None = None,
    due: date | None = None,
    what: str | None = None,
    when: date | None = None,
    note: str | None = None,
    after_sending: bool = False,
) -> ActionEdit:
    """Change who, what or by when of an action while its minutes are not frozen."""
    if who is None and due is None and what is None:
        raise UsageError(
            T("--who, --due oder --what angeben", "give --who, --due or --what"),
        )
    if what is not None:
        what = _nonempty(what, "--what")
    if who is not None and not who.strip():
        raise UsageError(T("--who: wer erledigt die Aufgabe?", "--who: who does it?"))
    key = action_key.strip()
    with writing(ctx) as tx:
        minutes, top, action = get_action(tx.loaded(), key)
        _refuse_frozen(minutes)
        refuse_sent(minutes, after_sending)
        path = tx.loaded().data.minutes[minutes.id].path

        def change(node: Any) -> None:
            for item in _top_node(node, top).get("actions") or []:
                if isinstance(item, dict) and str(item.get("id")).strip() == str(action.id):
                    if who is not None:
                        set_key(item, "who", yaml_value(who.strip()), ACTION_KEYS)
                    if what is not None:
                        set_key(item, "what", yaml_value(what), ACTION_KEYS)
                    if due is not None:
                        set_key(item, "due", yaml_value(due), ACTION_KEYS)

        tx.edit(path, change)
        fields = [
            name
            for name, value in (("who", who), ("what", what), ("due", due))
            if value is not None
        ]
        commit = tx.commit(
            edit_message(
                minutes,
                T(
                    "Aufgabe {a} geändert: {f}",
                    "Change action {a}: {f}",
                    a=key,
                    f=", ".join(fields),
                ),
            ),
            when,
            note,
        )
    return ActionEdit(key, path, commit)


def reopen_action(
    ctx: Context, action_key: str, *, when: date | None = None, note: str | None = None
) -> ActionEdit:
    """Reopen a closed action by removing its closing record."""
    key = action_key.strip()
    with writing(ctx) as tx:
        loaded = tx.loaded()
        get_action(loaded, key)
        records = [r for r in loaded.data.action_records if r.value.action == key]
        if not records:
            raise UsageError(
                T(
                    "die Aufgabe {a} ist offen; nichts wieder zu öffnen",
                    "the action {a} is open; nothing to reopen",
                    a=key,
                )
            )
        for record in records:
            tx.delete(record.path)
        commit = tx.commit(T("Aufgabe {a} wieder geöffnet", "Reopen action {a}", a=key), when, note)
    return ActionEdit(key, records[0].path, commit)
