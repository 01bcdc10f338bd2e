"""Meetings and minutes: create, record, send, approve; actions; the frozen-minutes check."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ruamel.yaml.comments import CommentedMap

from coopkit.errors import T, UsageError
from coopkit.model.minutes import ActionRecord, Minutes, Top, TopStatus
from coopkit.model.names import slug
from coopkit.queries.actions import STATE_LABELS
from coopkit.queries.context import Context
from coopkit.queries.lookup import get_action, get_agreement, get_minutes
from coopkit.render.dates import long_date, short_date
from coopkit.services.repository import CommitResult, Transaction, build_record, writing
from coopkit.store import layout
from coopkit.store.codec import dump_minutes, dump_record, edit_front_matter, parse_minutes
from coopkit.store.yamlio import ensure_seq, set_key, yaml_value

MINUTES_KEYS = (
    "id",
    "uid",
    "title",
    "agreements",
    "date",
    "start",
    "end",
    "place",
    "chair",
    "minute_taker",
    "status",
    "cancel_reason",
    "sent",
    "approved_in",
    "attendance",
    "tops",
    "distribution",
)
TOP_KEYS = (
    "title",
    "prefilled",
    "carried",
    "status",
    "recurring",
    "notes",
    "decisions",
    "actions",
)
ATTENDANCE_KEYS = ("present", "excused", "guests")
SLUG_MAX = 40


def slugify(text: str) -> str:
    """Return a file-name-safe slug of a title ("Evaluationsgespräch" -> "evaluationsgespraech")."""
    return slug(text, SLUG_MAX) or "sitzung"


def _refuse_frozen(minutes: Minutes) -> None:
    if minutes.status == "approved":
        raise UsageError(
            T(
                "die Niederschrift {m} ist genehmigt (in {a}) und damit eingefroren; "
                "Korrekturen werden in einer späteren Sitzung beschlossen",
                "the minutes {m} are approved (in {a}) and therefore frozen; "
                "corrections are recorded in a later meeting",
                m=minutes.id,
                a=minutes.approved_in or "?",
            )
        )


def refuse_sent(minutes: Minutes, after_sending: bool) -> None:
    """Refuse to change sent minutes unless the change is confirmed with `--after-sending`."""
    if minutes.status == "sent" and not after_sending:
        raise UsageError(
            T(
                "die Niederschrift {m} ist schon versandt (am {d}); eine Änderung danach mit "
                "--after-sending bestätigen (der Commit vermerkt sie)",
                "the minutes {m} were already sent (on {d}); confirm a change after sending with "
                "--after-sending (the commit records it)",
                m=minutes.id,
                d=minutes.sent.isoformat() if minutes.sent else "?",
            )
        )


def edit_message(minutes: Minutes, message: T) -> T:
    """Return the commit message of a change, marked when the minutes were already sent."""
    if minutes.status != "sent":
        return message
    return T("{t} (nach Versand der Niederschrift)", "{t} (after the minutes were sent)", t=message)


# --------------------------------------------------------------------------- node editing


def _top_node(node: Any, number: int) -> Any:
    tops = node.get("tops") if isinstance(node, dict) else None
    if not isinstance(tops, list) or not 1 <= number <= len(tops):
        count = len(tops) if isinstance(tops, list) else 0
        raise UsageError(
            T(
                "--top {n}: diese Sitzung hat TOP 1 bis {c}",
                "--top {n}: this meeting has TOP 1 to {c}",
                n=number,
                c=count,
            )
            if count
            else T(
                "--top {n}: diese Sitzung hat noch keine TOPs", "--top {n}: no TOPs yet", n=number
            )
        )
    return tops[number - 1]


def _check_top(minutes: Minutes, number: int) -> Top:
    if not 1 <= number <= len(minutes.tops):
        raise UsageError(
            T(
                "--top {n}: diese Sitzung hat TOP 1 bis {c}",
                "--top {n}: this meeting has TOP 1 to {c}",
                n=number,
                c=len(minutes.tops),
            )
        )
    return minutes.tops[number - 1]


def _multiline(text: str) -> Any:
    return yaml_value(text.rstrip("\n") + "\n")


def _nonempty(text: str, option: str) -> str:
    value = text.strip()
    if not value:
        raise UsageError(T("{o}: leerer Text", "{o}: empty text", o=option))
    return value


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class MeetingResult:
    """A write to one meeting: the minutes as written and the commit."""

    minutes: Minutes
    path: str
    commit: CommitResult
    extra: dict[str, Any] = field(default_factory=dict)


def _edit_meeting(
    ctx: Context,
    meeting_id: str,
    change: Callable[[Any, Minutes], None],
    message: Callable[[Minutes], T],
    when: date | None,
    *,
    after_sending: bool = False,
) -> MeetingResult:
    with writing(ctx) as tx:
        located = get_minutes(tx.loaded(), meeting_id)
        minutes = located.value
        _refuse_frozen(minutes)
        refuse_sent(minutes, after_sending)
        tx.edit(located.path, lambda node: change(node, minutes))
        result = tx.commit(edit_message(minutes, message(minutes)), when)
        written = parse_minutes(tx.read(located.path))[0]
    return MeetingResult(written.value if written else minutes, located.path, result)


# --------------------------------------------------------------------------- new meeting


def new_meeting(
    ctx: Context,
    agreements: Sequence[str],
    date: date,
    time: str | None = None,
    end: str | None = None,
    place: str | None = None,
    title: str | None = None,
    chair: str | None = None,
    minute_taker: str | None = None,
    agenda: Sequence[str] = (),
    when: date | None = None,
) -> MeetingResult:
    """Create `minutes/<date>-<slug>.md` as a draft with the agenda pre-filled."""
    from coopkit.queries.agenda import prefilled_agenda

    if not agreements:
        raise UsageError(T("mindestens eine --agreement angeben", "give at least one --agreement"))
    with writing(ctx) as tx:
        return _new_meeting(
            tx,
            agreements,
            date,
            time,
            end,
            place,
            title,
            chair,
            minute_taker,
            agenda,
            when,
            prefilled_agenda,
        )


def _new_meeting(
    tx: Transaction,
    agreements: Sequence[str],
    date: date,
    time: str | None,
    end: str | None,
    place: str | None,
    title: str | None,
    chair: str | None,
    minute_taker: str | None,
    agenda: Sequence[str],
    when: date | None,
    prefilled_agenda: Callable[..., list[Top]],
) -> MeetingResult:
    ctx = tx.ctx
    snap = tx.snapshot()
    data = snap.data
    for agreement_id in agreements:
        get_agreement(snap, agreement_id)
    lang = ctx.lang
    title = (title or "").strip() or T("Arbeitstreffen", "Meeting").format(lang)
    meeting_id = f"{date.isoformat()}-{slugify(title)}"
    path = layout.minutes_path(meeting_id)
    if meeting_id in data.minutes or tx.exists(path):
        raise UsageError(
            T(
                "die Sitzung {m} gibt es schon ({p}); bitte einen anderen --title wählen",
                "the meeting {m} already exists ({p}); choose another --title",
                m=meeting_id,
                p=path,
            )
        )
    moved = [m.value.id for m in data.minutes.values() if m.value.uid == meeting_id]
    if moved:
        # The moved meeting keeps this id as its calendar UID; a second one would replace it.
        raise UsageError(
            T(
                "die Sitzung {m} wurde verlegt (jetzt {n}) und behält im Kalender ihre Kennung "
                "{m}; bitte einen anderen --title wählen",
                "the meeting {m} was moved (now {n}) and keeps {m} as its calendar id; choose "
                "another --title",
                m=meeting_id,
                n=moved[0],
            )
        )
    tops = prefilled_agenda(snap, list(agreements), date, lang)
    tops[-1:-1] = [Top(title=item.strip()) for item in agenda if item.strip()]
    distribution: list[str] = []
    for agreement_id in agreements:
        for party in data.agreements[agreement_id].value.parties:
            if party not in distribution:
                distribution.append(party)
    fields: dict[str, Any] = {
        "id": meeting_id,
        "title": title,
        "agreements": list(agreements),
        "date": date,
        "start": time,
        "end": end,
        "place": place,
        "chair": chair,
        "minute_taker": minute_taker,
        "tops": tops,
        "distribution": distribution,
    }
    try:
        minutes = Minutes.model_validate(fields)
    except Exception as err:  # pydantic: bad time or person given on the command line
        raise UsageError(
            T("ungültige Angabe: {e}", "invalid value: {e}", e=_first_error(err))
        ) from err
    text = edit_front_matter(dump_minutes(minutes), path, _drop_empty_attendance)
    tx.create(path, text)
    result = tx.commit(T("Sitzung {m} angelegt", "Add meeting {m}", m=meeting_id), when)
    return MeetingResult(minutes, path, result)


def _drop_empty_attendance(node: Any) -> None:
    if "attendance" in node and not any(node["attendance"].values()):
        del node["attendance"]


def _first_error(err: Exception) -> str:
    errors = getattr(err, "errors", None)
    if callable(errors):
        items = errors()
        if items:
            item = items[0]
            ctx = item.get("ctx") or {}
            loc = ".".join(str(x) for x in item.get("loc", ()))
            return f"{loc}: {ctx.get('de') or item.get('msg')}".format(**ctx.get("params", {}))
    return str(err)


# --------------------------------------------------------------------------- recording


def attend(
    ctx: Context,
    meeting_id: str,
    persons: Sequence[str],
    *,
    excused: bool = False,
    guest: bool = False,
    org: str | None = None,
    function: str | None = None,
    when: date | None = None,
    after_sending: bool = False,
) -> MeetingResult:
    """Record persons as present (default), excused, or guests with their organisation."""
    names = [p.strip() for p in persons if p.strip()]
    if not names:
        raise UsageError(T("mindestens eine Person angeben", "give at least one person"))
    if guest and excused:
        raise UsageError(
            T(
                "--guest und --excused schließen sich aus",
                "--guest and --excused exclude each other",
            )
        )
    if guest and not (org or "").strip():
        raise UsageError(T("ein Gast braucht --org ORGANISATION", "a guest needs --org NAME"))
    group = "guests" if guest else ("excused" if excused else "present")

    def change(node: Any, minutes: Minutes) -> None:
        if "attendance" not in node or not isinstance(node["attendance"], dict):
            set_key(node, "attendance", CommentedMap(), MINUTES_KEYS)
        att = node["attendance"]
        if guest:
            guests = ensure_seq(att, "guests", ATTENDANCE_KEYS)
            for name in names:
                entry: dict[str, str] = {"name": name, "org": (org or "").strip()}
                if function:
                    entry["function"] = function
                existing = [g for g in guests if isinstance(g, dict) and g.get("name") == name]
                if existing:
                    for key, value in entry.items():
                        existing[0][key] = yaml_value(value)
                else:
                    guests.append(yaml_value(entry))
            return
        other = "present" if group == "excused" else "excused"
        target = ensure_seq(att, group, ATTENDANCE_KEYS)
        for ref in names:
            if other in att and isinstance(att[other], list):
                for i in reversed(range(len(att[other]))):
                    if str(att[other][i]) == ref:
                        del att[other][i]
            if ref not in [str(x) for x in target]:
                target.append(yaml_value(ref))

    labels = {
        "present": T("Anwesenheit", "present"),
        "excused": T("Entschuldigt", "excused"),
        "guests": T("Gäste", "guests"),
    }
    return _edit_meeting(
        ctx,
        meeting_id,
        change,
        lambda m: T(
            "{g} in {m}: {n}", "Record {g} at {m}: {n}", g=labels[group], m=m.id, n=", ".join(names)
        ),
        when,
        after_sending=after_sending,
    )


def add_note(
    ctx: Context,
    meeting_id: str,
    top: int,
    text: str,
    when: date | None = None,
    *,
    after_sending: bool = False,
) -> MeetingResult:
    """Append a paragraph to the notes of TOP `top`."""
    text = _nonempty(text, "TEXT")

    def change(node: Any, minutes: Minutes) -> None:
        _check_top(minutes, top)
        item = _top_node(node, top)
        existing = str(item.get("notes") or "").rstrip("\n")
        combined = f"{existing}\n\n{text}" if existing else text
        set_key(item, "notes", _multiline(combined), TOP_KEYS)

    return _edit_meeting(
        ctx,
        meeting_id,
        change,
        lambda m: T("Notiz zu {m} TOP {t}", "Add note to {m} TOP {t}", m=m.id, t=top),
        when,
        after_sending=after_sending,
    )


def decide(
    ctx: Context,
    meeting_id: str,
    top: int,
    text: str,
    when: date | None = None,
    *,
    after_sending: bool = False,
) -> MeetingResult:
    """Record a decision verbatim under TOP `top`."""
    text = _nonempty(text, "TEXT")

    def change(node: Any, minutes: Minutes) -> None:
        _check_top(minutes, top)
        item = _top_node(node, top)
        ensure_seq(item, "decisions", TOP_KEYS).append(yaml_value(text))

    return _edit_meeting(
        ctx,
        meeting_id,
        change,
        lambda m: T("Beschluss in {m} TOP {t}", "Record decision in {m} TOP {t}", m=m.id, t=top),
        when,
        after_sending=after_sending,
    )


def add_action(
    ctx: Context,
    meeting_id: str,
    top: int,
    who: str,
    due: date,
    what: str,
    when: date | None = None,
    *,
    after_sending: bool = False,
) -> MeetingResult:
    """Add an action item (who, what, by when) under TOP `top`; it gets the next number."""
    what = _nonempty(what, "TEXT")
    who = who.strip()
    if not who:
        raise UsageError(T("--who: wer erledigt die Aufgabe?", "--who: who does it?"))
    numbers: list[int] = []

    def change(node: Any, minutes: Minutes) -> None:
        _check_top(minutes, top)
        number = max((a.id for _, a in minutes.all_actions()), default=0) + 1
        numbers.append(number)
        item = _top_node(node, top)
        ensure_seq(item, "actions", TOP_KEYS).append(
            yaml_value({"id": number, "who": who, "what": what, "due": due})
        )

    result = _edit_meeting(
        ctx,
        meeting_id,
        change,
        lambda m: T(
            "Aufgabe in {m} TOP {t}: {w}",
            "Add action to {m} TOP {t}: {w}",
            m=m.id,
            t=top,
            w=what[:50],
        ),
        when,
        after_sending=after_sending,
    )
    result.extra["action"] = f"{result.minutes.id}#{numbers[0]}"
    return result


def add_top(
    ctx: Context,
    meeting_id: str,
    title: str,
    when: date | None = None,
    *,
    after_sending: bool = False,
) -> MeetingResult:
    """Add an agenda item (TOP) before a closing „Verschiedenes“, else at the end."""
    title = _nonempty(title, "TITEL")
    positions: list[int] = []

    def change(node: Any, minutes: Minutes) -> None:
        tops = ensure_seq(node, "tops", MINUTES_KEYS)
        position = len(tops)
        if tops and str(tops[-1].get("title", "")).lower().startswith(
            ("verschiedenes", "any other business")
        ):
            position -= 1
        tops.insert(position, yaml_value({"title": title}))
        positions.append(position + 1)

    result = _edit_meeting(
        ctx,
        meeting_id,
        change,
        lambda m: T("TOP in {m} ergänzt: {w}", "Add TOP to {m}: {w}", m=m.id, w=title),
        when,
        after_sending=after_sending,
    )
    result.extra["top"] = positions[0]
    return result


def mark_top(
    ctx: Context,
    meeting_id: str,
    number: int,
    status: TopStatus | None = None,
    recurring: bool | None = None,
    when: date | None = None,
    *,
    after_sending: bool = False,
) -> MeetingResult:
    """Mark a TOP open, deferred or done, or as a standing item; what is open carries over.

    `done` removes the mark (an unmarked TOP counts as dealt with); `recurring=False` removes
    the standing mark.
    """
    if status is None and recurring is None:
        raise UsageError(
            T(
                "--open, --deferred, --done, --recurring oder --not-recurring angeben",
                "give --open, --deferred, --done, --recurring or --not-recurring",
            )
        )

    def change(node: Any, minutes: Minutes) -> None:
        _check_top(minutes, number)
        item = _top_node(node, number)
        if status == "done":
            item.pop("status", None)
        elif status is not None:
            set_key(item, "status", status, TOP_KEYS)
        if recurring is True:
            set_key(item, "recurring", yaml_value(True), TOP_KEYS)
        elif recurring is False:
            item.pop("recurring", None)

    words = {
        "open": T("offen", "open"),
        "deferred": T("vertagt", "deferred"),
        "done": T("abgeschlossen", "done"),
    }
    parts = [words[status]] if status else []
    if recurring is not None:
        parts.append(T("ständig", "standing") if recurring else T("nicht ständig", "not standing"))
    return _edit_meeting(
        ctx,
        meeting_id,
        change,
        lambda m: T(
            "TOP {n} in {m} markiert: {w}",
            "Mark TOP {n} in {m}: {w}",
            n=number,
            m=m.id,
            w=T(", ".join(p.format("de") for p in parts), ", ".join(p.format("en") for p in parts)),
        ),
        when,
        after_sending=after_sending,
    )


def set_times(
    ctx: Context,
    meeting_id: str,
    start: str | None = None,
    end: str | None = None,
    when: date | None = None,
    *,
    after_sending: bool = False,
) -> MeetingResult:
    """Set the actual begin and end of a meeting."""
    if start is None and end is None:
        raise UsageError(T("--start oder --end angeben", "give --start or --end"))

    def change(node: Any, minutes: Minutes) -> None:
        if start is not None:
            set_key(node, "start", yaml_value(start), MINUTES_KEYS)
        if end is not None:
            set_key(node, "end", yaml_value(end), MINUTES_KEYS)

    return _edit_meeting(
        ctx,
        meeting_id,
        change,
        lambda m: T("Uhrzeiten von {m} gesetzt", "Set times of {m}", m=m.id),
        when,
        after_sending=after_sending,
    )


# --------------------------------------------------------------------------- lifecycle


def send(
    ctx: Context, meeting_id: str, sent: date | None = None, when: date | None = None
) -> MeetingResult:
    """Mark draft minutes as sent (draft -> sent); the prepared TOPs' text is written in then."""
    day = sent or when or ctx.today
    with writing(ctx) as tx:
        path = mark_sent(tx, meeting_id, day)
        minutes = get_minutes(tx.loaded(), meeting_id).value
        result = tx.commit(
            T("Niederschrift {m} versandt", "Send minutes {m}", m=minutes.id), when or sent
        )
        written = parse_minutes(tx.read(path))[0]
    return MeetingResult(written.value if written else minutes, path, result)


def mark_sent(tx: Transaction, meeting_id: str, day: date) -> str:
    """Mark draft minutes sent within `tx`, writing in the prepared TOPs' text; return the path."""
    from coopkit.queries.agenda import current_agenda

    located = get_minutes(tx.loaded(), meeting_id)
    minutes = located.value
    frozen = current_agenda(tx.snapshot(), minutes, tx.ctx.lang)

    def freeze(node: Any) -> None:
        _mark_sent(node, minutes, day)
        _write_agenda(node, frozen)

    tx.edit(located.path, freeze)
    return located.path


def _write_agenda(node: Any, minutes: Minutes) -> None:
    """Write the computed title and notes of each prepared TOP; they are ordinary TOPs then."""
    tops = node.get("tops")
    if not isinstance(tops, list):
        return
    for item, top in zip(tops, minutes.tops, strict=False):
        if not isinstance(item, dict) or not ("prefilled" in item or "carried" in item):
            continue
        set_key(item, "title", yaml_value(top.title), TOP_KEYS)
        if top.notes.strip():
            set_key(item, "notes", _multiline(top.notes), TOP_KEYS)
        item.pop("prefilled", None)


def _mark_sent(node: Any, minutes: Minutes, day: date) -> None:
    if minutes.status == "cancelled":
        raise UsageError(
            T(
                "die Sitzung {m} ist abgesagt; es gibt keine Niederschrift",
                "the meeting {m} is cancelled; there are no minutes",
                m=minutes.id,
            )
        )
    if minutes.status != "draft":
        raise UsageError(
            T(
                "die Niederschrift {m} ist schon versandt (am {d})",
                "the minutes {m} were already sent (on {d})",
                m=minutes.id,
                d=minutes.sent.isoformat() if minutes.sent else "?",
            )
        )
    if day < minutes.date:
        raise UsageError(
            T(
                "Versanddatum {d} liegt vor der Sitzung am {m}",
                "sending date {d} is before the meeting on {m}",
                d=day.isoformat(),
                m=minutes.date.isoformat(),
            )
        )
    set_key(node, "status", "sent", MINUTES_KEYS)
    set_key(node, "sent", yaml_value(day), MINUTES_KEYS)


def approval_text(minutes: Minutes, lang: str) -> str:
    """Return the decision that records the approval of `minutes`."""
    return T(
        "Die Niederschrift der Sitzung vom {d} wird genehmigt.",
        "The minutes of the meeting of {d} are approved.",
        d=long_date(minutes.date, lang),
    ).format(lang)


def _approval_top(later: Minutes) -> int | None:
    for n, top in enumerate(later.tops, start=1):
        if top.prefilled == "approval":
            return n
    for n, top in enumerate(later.tops, start=1):
        if "genehmigung" in top.title.lower() or "approval" in top.title.lower():
            return n
    return None


def approve(
    ctx: Context, meeting_id: str, in_meeting: str, when: date | None = None
) -> MeetingResult:
    """Approve sent minutes in a later meeting; both files change in one commit."""
    with writing(ctx) as tx:
        return _approve(tx, meeting_id, in_meeting, when)


def _approve(tx: Transaction, meeting_id: str, in_meeting: str, when: date | None) -> MeetingResult:
    ctx = tx.ctx
    located = get_minutes(tx.loaded(), meeting_id)
    minutes = located.value
    later_loc = get_minutes(tx.loaded(), in_meeting)
    later = later_loc.value
    if minutes.status == "approved":
        raise UsageError(
            T(
                "die Niederschrift {m} ist schon genehmigt (in {a})",
                "the minutes {m} are already approved (in {a})",
                m=minutes.id,
                a=minutes.approved_in or "?",
            )
        )
    if minutes.cancelled:
        raise UsageError(
            T(
                "die Sitzung {m} ist abgesagt; es gibt keine Niederschrift zu genehmigen",
                "the meeting {m} is cancelled; there are no minutes to approve",
                m=minutes.id,
            )
        )
    if minutes.status != "sent":
        raise UsageError(
            T(
                "die Niederschrift {m} ist noch nicht versandt; erst „coop meeting send {m}“",
                'the minutes {m} have not been sent; first "coop meeting send {m}"',
                m=minutes.id,
            )
        )
    if later.date <= minutes.date:
        raise UsageError(
            T(
                "die Sitzung {l} ({d}) liegt nicht nach {m}; genehmigt wird in einer späteren "
                "Sitzung",
                "the meeting {l} ({d}) is not after {m}; approval happens in a later meeting",
                l=later.id,
                d=later.date.isoformat(),
                m=minutes.id,
            )
        )
    _refuse_frozen(later)
    if later.cancelled:
        raise UsageError(
            T(
                "die Sitzung {l} ist abgesagt; genehmigt wird in einer Sitzung, die stattfindet",
                "the meeting {l} is cancelled; approval happens in a meeting that takes place",
                l=later.id,
            )
        )
    decision = approval_text(minutes, ctx.lang)
    top_number = _approval_top(later)

    def mark(node: Any) -> None:
        set_key(node, "status", "approved", MINUTES_KEYS)
        set_key(node, "approved_in", later.id, MINUTES_KEYS)

    def record(node: Any) -> None:
        tops = ensure_seq(node, "tops", MINUTES_KEYS)
        if top_number is None:
            title = T(
                "Genehmigung der Niederschrift vom {d}",
                "Approval of the minutes of {d}",
                d=short_date(minutes.date, ctx.lang),
            ).format(ctx.lang)
            tops.insert(0, yaml_value({"title": title}))
            item = tops[0]
        else:
            item = tops[top_number - 1]
        ensure_seq(item, "decisions", TOP_KEYS).append(yaml_value(decision))

    tx.edit(located.path, mark)
    tx.edit(later_loc.path, record)
    result = tx.commit(
        T(
            "Niederschrift {m} in {l} genehmigt",
            "Approve minutes {m} in {l}",
            m=minutes.id,
            l=later.id,
        ),
        when,
    )
    approved = minutes.model_copy(update={"status": "approved", "approved_in": later.id})
    return MeetingResult(
        approved,
        located.path,
        result,
        {"decision": decision, "later": later.id, "top": top_number or 1},
    )


# --------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class ActionResult:
    """A closed action and the commit that closed it."""

    key: str
    record: ActionRecord
    path: str
    commit: CommitResult


def close_action(
    ctx: Context,
    action_key: str,
    when: date | None = None,
    note: str | None = None,
    status: str = "done",
    by: str | None = None,
) -> ActionResult:
    """Close an action (done or dropped) by writing `actions/<meeting-id>-<n>.yaml`."""
    key = action_key.strip()
    if status not in ("done", "dropped"):
        raise UsageError(
            T(
                "Status „{s}“ unbekannt; erlaubt: done (erledigt), dropped (verworfen)",
                'unknown status "{s}"; allowed: done, dropped',
                s=status,
            )
        )
    with writing(ctx) as tx:
        snap = tx.snapshot()
        get_action(snap, key)
        existing = snap.data.action_record(key)
        if existing is not None:
            raise UsageError(
                T(
                    "die Aufgabe {a} ist schon abgeschlossen ({s} am {d})",
                    "the action {a} is already closed ({s} on {d})",
                    a=key,
                    s=STATE_LABELS.get(existing.status, existing.status),
                    d=existing.date.isoformat(),
                )
            )
        day = when or ctx.today
        path = layout.action_record_path(key)
        record = build_record(
            ActionRecord,
            {"action": key, "status": status, "date": day, "note": note or None, "by": by or None},
            path,
        )
        tx.create(path, dump_record(record))
        message = (
            T("Aufgabe {a} erledigt", "Close action {a}", a=key)
            if status == "done"
            else T("Aufgabe {a} verworfen", "Drop action {a}", a=key)
        )
        result = tx.commit(message, when)
    return ActionResult(key, record, path, result)
