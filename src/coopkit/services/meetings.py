"""Meetings and minutes: create, record, send, approve; actions; the frozen-minutes check."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from coopkit.errors import NotFound, Problem, ProblemsFound, Source, T, UsageError
from coopkit.model.base import Located, split_person
from coopkit.model.minutes import ActionRecord, Minutes, Top
from coopkit.model.names import slug
from coopkit.model.repo import RepoData
from coopkit.render.dates import long_date, short_date
from coopkit.services.context import Context
from coopkit.services.repository import CommitResult, Loaded, commit_changes, load_worktree
from coopkit.store import layout
from coopkit.store.codec import dump_minutes, dump_record, edit_front_matter, parse_minutes
from coopkit.store.git import GitRepo
from coopkit.store.text import TextFile, decode_text
from coopkit.store.yamlio import yaml_value

MINUTES_KEYS = (
    "id",
    "title",
    "agreements",
    "date",
    "start",
    "end",
    "place",
    "chair",
    "minute_taker",
    "status",
    "sent",
    "approved_in",
    "attendance",
    "tops",
    "distribution",
)
TOP_KEYS = ("title", "notes", "decisions", "actions")
ATTENDANCE_KEYS = ("present", "excused", "guests")
SLUG_MAX = 40


def slugify(text: str) -> str:
    """Return a file-name-safe slug of a title ("Evaluationsgespräch" -> "evaluationsgespraech")."""
    return slug(text, SLUG_MAX) or "sitzung"


def normalise_id(value: str) -> str:
    """Accept a meeting id also as its path (`minutes/<id>.md`)."""
    value = value.strip().replace("\\", "/")
    value = value.removeprefix("./").removeprefix("minutes/")
    return value.removesuffix(".md")


# --------------------------------------------------------------------------- loading


def get_minutes(loaded: Loaded, meeting_id: str) -> Located[Minutes]:
    """Return the located minutes with this id; NotFound (or the file's problems) otherwise."""
    meeting_id = normalise_id(meeting_id)
    found = loaded.data.minutes.get(meeting_id)
    if found is not None:
        return found
    path = layout.minutes_path(meeting_id)
    own = [p for p in loaded.problems if p.source.path == path]
    if own:
        raise ProblemsFound(
            own,
            T(
                "die Niederschrift {p} ist fehlerhaft; bitte zuerst korrigieren",
                "the minutes {p} have problems; please fix them first",
                p=path,
            ),
        )
    known = sorted(loaded.data.minutes)
    raise NotFound(
        T(
            "Sitzung „{m}“ nicht gefunden; vorhanden: {k}",
            'meeting "{m}" not found; present: {k}',
            m=meeting_id,
            k=", ".join(known[-8:]) or "—",
        )
    )


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


def _read_text(ctx: Context, path: str) -> TextFile:
    textfile, problems = decode_text(path, (ctx.root / path).read_bytes())
    if textfile is None:
        raise ProblemsFound(problems)
    return textfile


# --------------------------------------------------------------------------- node editing


def set_key(mapping: Any, key: str, value: Any, order: Sequence[str]) -> None:
    """Set `key` in a round-trip mapping, inserting a new key at its place in `order`."""
    if key in mapping:
        mapping[key] = value
        return
    rank = order.index(key) if key in order else len(order)
    position = 0
    for i, existing in enumerate(mapping):
        if existing in order and order.index(existing) < rank:
            position = i + 1
    mapping.insert(position, key, value)


def _seq(mapping: Any, key: str, order: Sequence[str]) -> Any:
    if key not in mapping or not isinstance(mapping[key], list):
        set_key(mapping, key, CommentedSeq(), order)
    return mapping[key]


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
    message: Callable[[Minutes], str],
    when: date | None,
    *,
    allow_frozen: bool = False,
) -> MeetingResult:
    loaded = load_worktree(ctx)
    located = get_minutes(loaded, meeting_id)
    minutes = located.value
    if not allow_frozen:
        _refuse_frozen(minutes)
    original = _read_text(ctx, located.path)
    new_text = edit_front_matter(original.text, located.path, lambda node: change(node, minutes))
    result = commit_changes(ctx, {located.path: original.encode(new_text)}, message(minutes), when)
    written = parse_minutes(TextFile(located.path, new_text))[0]
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
    from coopkit.services.meeting_agenda import prefilled_agenda

    loaded = load_worktree(ctx)
    data = loaded.data
    if not agreements:
        raise UsageError(T("mindestens eine --agreement angeben", "give at least one --agreement"))
    for agreement_id in agreements:
        if agreement_id not in data.agreements:
            raise NotFound(
                T(
                    "Vereinbarung „{a}“ nicht gefunden; vorhanden: {k}",
                    'agreement "{a}" not found; present: {k}',
                    a=agreement_id,
                    k=", ".join(sorted(data.agreements)) or "—",
                )
            )
    lang = ctx.lang
    title = (title or "").strip() or T("Arbeitstreffen", "Meeting").format(lang)
    meeting_id = f"{date.isoformat()}-{slugify(title)}"
    path = layout.minutes_path(meeting_id)
    if meeting_id in data.minutes or (ctx.root / path).exists():
        raise UsageError(
            T(
                "die Sitzung {m} gibt es schon ({p}); bitte einen anderen --title wählen",
                "the meeting {m} already exists ({p}); choose another --title",
                m=meeting_id,
                p=path,
            )
        )
    tops = prefilled_agenda(ctx, data, list(agreements), date, lang)
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
    result = commit_changes(ctx, {path: text.encode("utf-8")}, f"Add meeting {meeting_id}", when)
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
            guests = _seq(att, "guests", ATTENDANCE_KEYS)
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
        target = _seq(att, group, ATTENDANCE_KEYS)
        for ref in names:
            if other in att and isinstance(att[other], list):
                for i in reversed(range(len(att[other]))):
                    if str(att[other][i]) == ref:
                        del att[other][i]
            if ref not in [str(x) for x in target]:
                target.append(yaml_value(ref))

    labels = {"present": "present", "excused": "excused", "guests": "guests"}
    return _edit_meeting(
        ctx,
        meeting_id,
        change,
        lambda m: f"Record {labels[group]} at {m.id}: {', '.join(names)}",
        when,
    )


def add_note(
    ctx: Context, meeting_id: str, top: int, text: str, when: date | None = None
) -> MeetingResult:
    """Append a paragraph to the notes of TOP `top`."""
    text = _nonempty(text, "TEXT")

    def change(node: Any, minutes: Minutes) -> None:
        _check_top(minutes, top)
        item = _top_node(node, top)
        existing = str(item.get("notes") or "").rstrip("\n")
        combined = f"{existing}\n\n{text}" if existing else text
        set_key(item, "notes", _multiline(combined), TOP_KEYS)

    return _edit_meeting(ctx, meeting_id, change, lambda m: f"Add note to {m.id} TOP {top}", when)


def decide(
    ctx: Context, meeting_id: str, top: int, text: str, when: date | None = None
) -> MeetingResult:
    """Record a decision verbatim under TOP `top`."""
    text = _nonempty(text, "TEXT")

    def change(node: Any, minutes: Minutes) -> None:
        _check_top(minutes, top)
        item = _top_node(node, top)
        _seq(item, "decisions", TOP_KEYS).append(yaml_value(text))

    return _edit_meeting(
        ctx, meeting_id, change, lambda m: f"Record decision in {m.id} TOP {top}", when
    )


def add_action(
    ctx: Context,
    meeting_id: str,
    top: int,
    who: str,
    due: date,
    what: str,
    when: date | None = None,
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
        _seq(item, "actions", TOP_KEYS).append(
            yaml_value({"id": number, "who": who, "what": what, "due": due})
        )

    result = _edit_meeting(
        ctx, meeting_id, change, lambda m: f"Add action to {m.id} TOP {top}: {what[:50]}", when
    )
    result.extra["action"] = f"{result.minutes.id}#{numbers[0]}"
    return result


def add_top(ctx: Context, meeting_id: str, title: str, when: date | None = None) -> MeetingResult:
    """Add an agenda item (TOP) before a closing „Verschiedenes“, else at the end."""
    title = _nonempty(title, "TITEL")
    positions: list[int] = []

    def change(node: Any, minutes: Minutes) -> None:
        tops = _seq(node, "tops", MINUTES_KEYS)
        position = len(tops)
        if tops and str(tops[-1].get("title", "")).lower().startswith(
            ("verschiedenes", "any other business")
        ):
            position -= 1
        tops.insert(position, yaml_value({"title": title}))
        positions.append(position + 1)

    result = _edit_meeting(ctx, meeting_id, change, lambda m: f"Add TOP to {m.id}: {title}", when)
    result.extra["top"] = positions[0]
    return result


def set_times(
    ctx: Context,
    meeting_id: str,
    start: str | None = None,
    end: str | None = None,
    when: date | None = None,
) -> MeetingResult:
    """Set the actual begin and end of a meeting."""
    if start is None and end is None:
        raise UsageError(T("--start oder --end angeben", "give --start or --end"))

    def change(node: Any, minutes: Minutes) -> None:
        if start is not None:
            set_key(node, "start", yaml_value(start), MINUTES_KEYS)
        if end is not None:
            set_key(node, "end", yaml_value(end), MINUTES_KEYS)

    return _edit_meeting(ctx, meeting_id, change, lambda m: f"Set times of {m.id}", when)


# --------------------------------------------------------------------------- lifecycle


def send(
    ctx: Context, meeting_id: str, sent: date | None = None, when: date | None = None
) -> MeetingResult:
    """Mark draft minutes as sent to the distribution list (draft -> sent)."""
    day = sent or when or ctx.today

    def change(node: Any, minutes: Minutes) -> None:
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

    return _edit_meeting(ctx, meeting_id, change, lambda m: f"Send minutes {m.id}", when or sent)


def approval_text(minutes: Minutes, lang: str) -> str:
    """Return the decision that records the approval of `minutes`."""
    return T(
        "Die Niederschrift der Sitzung vom {d} wird genehmigt.",
        "The minutes of the meeting of {d} are approved.",
        d=long_date(minutes.date, lang),
    ).format(lang)


def _approval_top(later: Minutes) -> int | None:
    for n, top in enumerate(later.tops, start=1):
        if "genehmigung" in top.title.lower() or "approval" in top.title.lower():
            return n
    return None


def approve(
    ctx: Context, meeting_id: str, in_meeting: str, when: date | None = None
) -> MeetingResult:
    """Approve sent minutes in a later meeting; both files change in one commit."""
    loaded = load_worktree(ctx)
    located = get_minutes(loaded, meeting_id)
    minutes = located.value
    later_loc = get_minutes(loaded, in_meeting)
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
    decision = approval_text(minutes, ctx.lang)
    top_number = _approval_top(later)

    def mark(node: Any) -> None:
        set_key(node, "status", "approved", MINUTES_KEYS)
        set_key(node, "approved_in", later.id, MINUTES_KEYS)

    def record(node: Any) -> None:
        tops = _seq(node, "tops", MINUTES_KEYS)
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
        _seq(item, "decisions", TOP_KEYS).append(yaml_value(decision))

    first_file = _read_text(ctx, located.path)
    second_file = _read_text(ctx, later_loc.path)
    first = edit_front_matter(first_file.text, located.path, mark)
    second = edit_front_matter(second_file.text, later_loc.path, record)
    result = commit_changes(
        ctx,
        {located.path: first_file.encode(first), later_loc.path: second_file.encode(second)},
        f"Approve minutes {minutes.id} in {later.id}",
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
class ActionRow:
    """One action item with its state, as `coop action list` shows it."""

    key: str
    meeting: str
    meeting_date: date
    top: int
    who: str
    who_name: str
    what: str
    due: date
    status: str
    """open, done or dropped."""
    closed: date | None = None
    note: str | None = None
    overdue: bool = False


def person_name(data: RepoData, ref: str, *, with_org: bool = True) -> str:
    """Return "Gisela Bernert (Kreisverwaltung Mayen-Koblenz)" for a person reference."""
    partner_id, person = split_person(ref)
    partner = data.find_partner(partner_id)
    if partner is None:
        return ref
    if person is None:
        return partner.name
    contact = partner.find_contact(person)
    if contact is None:
        return ref
    return f"{contact.name} ({partner.name})" if with_org else contact.name


def action_rows(
    data: RepoData,
    today: date,
    *,
    open_only: bool = False,
    partner: str | None = None,
    meetings: Iterable[str] | None = None,
    before: date | None = None,
) -> list[ActionRow]:
    """Return action items, oldest meeting first, filtered by state, partner, meeting, date."""
    wanted = set(meetings) if meetings is not None else None
    records = data.closing_records
    rows = []
    for minutes in sorted((m.value for m in data.minutes.values()), key=lambda m: (m.date, m.id)):
        if wanted is not None and minutes.id not in wanted:
            continue
        if before is not None and minutes.date >= before:
            continue
        for top, action in minutes.all_actions():
            key = minutes.action_key(action)
            record = records.get(key)
            status = record.status if record else "open"
            if open_only and record is not None:
                continue
            if partner and split_person(action.who)[0] != partner:
                continue
            rows.append(
                ActionRow(
                    key=key,
                    meeting=minutes.id,
                    meeting_date=minutes.date,
                    top=top,
                    who=action.who,
                    who_name=person_name(data, action.who),
                    what=action.what,
                    due=action.due,
                    status=status,
                    closed=record.date if record else None,
                    note=record.note if record else None,
                    overdue=record is None and action.due < today,
                )
            )
    return rows


def list_actions(
    ctx: Context, *, open_only: bool = False, partner: str | None = None
) -> list[ActionRow]:
    """Return the action items of the repository (`coop action list`)."""
    data = load_worktree(ctx).data
    if partner and partner not in data.partners:
        raise NotFound(
            T(
                "Partner „{p}“ nicht gefunden; vorhanden: {k}",
                'partner "{p}" not found; present: {k}',
                p=partner,
                k=", ".join(sorted(data.partners)) or "—",
            )
        )
    return action_rows(data, ctx.today, open_only=open_only, partner=partner)


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
    data = load_worktree(ctx).data
    found = data.find_action(key)
    if found is None:
        meeting_id = key.partition("#")[0]
        minutes = data.find_minutes(meeting_id)
        hint = (
            ", ".join(minutes.action_key(a) for _, a in minutes.all_actions())
            if minutes
            else "SITZUNG#NUMMER"
        )
        raise NotFound(
            T(
                "Aufgabe „{a}“ nicht gefunden; erwartet z. B. {h}",
                'action "{a}" not found; expected e.g. {h}',
                a=key,
                h=hint or "—",
            )
        )
    existing = data.action_record(key)
    if existing is not None:
        raise UsageError(
            T(
                "die Aufgabe {a} ist schon abgeschlossen ({s} am {d})",
                "the action {a} is already closed ({s} on {d})",
                a=key,
                s=existing.status,
                d=existing.date.isoformat(),
            )
        )
    day = when or ctx.today
    record = ActionRecord.model_validate(
        {"action": key, "status": status, "date": day, "note": note or None, "by": by or None}
    )
    path = layout.action_record_path(key)
    verb = "Close" if status == "done" else "Drop"
    result = commit_changes(
        ctx, {path: dump_record(record).encode("utf-8")}, f"{verb} action {key}", when
    )
    return ActionResult(key, record, path, result)


# --------------------------------------------------------------------------- queries


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


def list_meetings(ctx: Context, agreement: str | None = None) -> list[MeetingRow]:
    """Return the meetings, newest first, optionally of one agreement."""
    data = load_worktree(ctx).data
    rows = []
    open_keys = {r.key for r in action_rows(data, ctx.today, open_only=True)}
    for located in data.minutes.values():
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


def show_meeting(ctx: Context, meeting_id: str) -> MeetingView:
    """Return one meeting with resolved names and the state of its actions."""
    loaded = load_worktree(ctx)
    located = get_minutes(loaded, meeting_id)
    minutes = located.value
    refs = [
        *minutes.attendance.present,
        *minutes.attendance.excused,
        *(a.who for _, a in minutes.all_actions()),
    ]
    refs += [r for r in (minutes.chair, minutes.minute_taker) if r]
    names = {ref: person_name(loaded.data, ref) for ref in refs}
    rows = action_rows(loaded.data, ctx.today, meetings=[minutes.id])
    return MeetingView(minutes, located.path, names, rows)


@dataclass(frozen=True)
class MinutesOverview:
    """Minutes that still need work and open actions, for `coop status`."""

    drafts: list[str]
    unapproved: list[str]
    open_actions: int
    overdue_actions: int


def minutes_overview(data: RepoData, today: date) -> MinutesOverview:
    """Summarise draft and sent-but-unapproved minutes and open/overdue actions."""
    ordered = sorted((m.value for m in data.minutes.values()), key=lambda m: m.date)
    open_rows = action_rows(data, today, open_only=True)
    return MinutesOverview(
        drafts=[m.id for m in ordered if m.status == "draft"],
        unapproved=[m.id for m in ordered if m.status == "sent"],
        open_actions=len(open_rows),
        overdue_actions=sum(r.overdue for r in open_rows),
    )


# --------------------------------------------------------------------------- frozen minutes


def _status_of(text: str) -> str | None:
    front = text.split("\n---", 1)[0]
    match = re.search(r"^status:\s*[\"']?(\w+)", front, re.MULTILINE)
    return match.group(1) if match else None


def _first_difference(old: str, new: str) -> int:
    old_lines = old.split("\n")
    new_lines = new.split("\n")
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, _i1, _i2, j1, _j2 in matcher.get_opcodes():
        if tag != "equal":
            return min(j1 + 1, max(len(new_lines), 1))
    return 1


def _approving_commit(repo: GitRepo, path: str) -> tuple[str, str] | None:
    """Return (commit, text) of the oldest revision of `path` whose status is approved."""
    # Commits that touched a status line are few; look at them first, then at all commits.
    touched = str(
        repo.run(
            "log",
            "--reverse",
            "--format=%H",
            "-G",
            "^status:",
            "--end-of-options",
            "HEAD",
            "--",
            path,
        )
    ).split()
    for candidates in (touched, [c.sha for c in reversed(repo.log([path]))]):
        for sha in candidates:
            blob = repo.read_blob(sha, path)
            if blob is None:
                continue
            text = blob.decode("utf-8", errors="replace")
            if _status_of(text) == "approved":
                return sha, text
    return None


def check_frozen_minutes(ctx: Context, data: RepoData | None = None) -> list[Problem]:
    """Report approved minutes whose file changed after the commit that approved them.

    The approving commit and its blob id are remembered in the index per path (history does not
    change), so a check compares blob ids and reads history only for newly approved minutes.
    """
    from coopkit.index.cache import ParseCacheDB
    from coopkit.store.files import blob_digest

    if data is None:
        data = load_worktree(ctx).data
    approved = [m for m in data.minutes.values() if m.value.status == "approved"]
    if not approved or not (ctx.root / ".git").exists():
        return []
    problems = []
    with GitRepo(ctx.root) as repo, ParseCacheDB(ctx.root) as cache:
        if repo.head() is None:
            return []
        for located in approved:
            path = located.path
            current_bytes = (ctx.root / path).read_bytes()
            remembered = cache.get_note("approved-minutes", path)
            if remembered is None:
                approving = _approving_commit(repo, path)
                if approving is None:
                    continue
                commit, approved_bytes = approving[0], approving[1].encode("utf-8")
                approved_blob = blob_digest(repo.read_blob(commit, path) or approved_bytes)
                cache.put_note("approved-minutes", path, f"{commit} {approved_blob}")
            else:
                commit, approved_blob = remembered.split()
            if blob_digest(current_bytes) == approved_blob:
                continue
            approved_text = (repo.read_blob(commit, path) or b"").decode("utf-8", errors="replace")
            current = current_bytes.decode("utf-8", errors="replace")
            line = _first_difference(approved_text, current)
            problems.append(
                Problem(
                    Source(path, line, 1),
                    T(
                        "genehmigte Niederschrift nach der Genehmigung geändert (genehmigter "
                        "Stand: Commit {c}); Korrekturen bitte in einer späteren Sitzung "
                        "beschließen",
                        "approved minutes changed after their approval (approved revision: "
                        "commit {c}); record corrections in a later meeting",
                        c=commit[:10],
                    ),
                    "frozen-minutes",
                )
            )
    return problems
