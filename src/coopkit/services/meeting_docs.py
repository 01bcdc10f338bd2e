"""Invitation and minutes as Word or Markdown documents: the render context and the render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from coopkit.model.minutes import Minutes
from coopkit.model.repo import RepoData
from coopkit.queries.actions import action_rows, state_label
from coopkit.queries.context import Context
from coopkit.queries.load import snapshot
from coopkit.queries.lookup import get_minutes
from coopkit.queries.names import person_name
from coopkit.render.dates import long_date, short_date
from coopkit.store import layout

LABELS: dict[str, dict[str, str]] = {
    "de": {
        "minutes": "Niederschrift",
        "invitation": "Einladung",
        "date": "Datum",
        "time": "Uhrzeit",
        "place": "Ort",
        "start": "Beginn",
        "end": "Ende",
        "chair": "Sitzungsleitung",
        "minute_taker": "Protokoll",
        "agreements": "Vereinbarungen",
        "attendance": "Teilnehmende",
        "present": "Anwesend",
        "excused": "Entschuldigt",
        "guests": "Gäste",
        "participants": "Eingeladen sind",
        "agenda": "Tagesordnung",
        "top": "TOP",
        "decision": "Beschluss",
        "decisions": "Beschlüsse",
        "actions": "Aufgaben",
        "who": "Wer",
        "what": "Was",
        "due": "Bis wann",
        "remarks": "Anmerkungen",
        "distribution": "Verteiler",
        "oclock": "Uhr",
        "status": "Stand",
        "invitation_intro": "hiermit laden wir Sie herzlich zur folgenden Sitzung ein.",
        "invitation_closing": "Mit freundlichen Grüßen",
        "salutation": "Sehr geehrte Damen und Herren,",
        "none": "—",
    },
    "en": {
        "minutes": "Minutes",
        "invitation": "Invitation",
        "date": "Date",
        "time": "Time",
        "place": "Place",
        "start": "Begin",
        "end": "End",
        "chair": "Chair",
        "minute_taker": "Minutes",
        "agreements": "Agreements",
        "attendance": "Attendance",
        "present": "Present",
        "excused": "Excused",
        "guests": "Guests",
        "participants": "Invited",
        "agenda": "Agenda",
        "top": "Item",
        "decision": "Decision",
        "decisions": "Decisions",
        "actions": "Actions",
        "who": "Who",
        "what": "What",
        "due": "Due",
        "remarks": "Remarks",
        "distribution": "Distribution",
        "oclock": "",
        "status": "Status",
        "invitation_intro": "we cordially invite you to the following meeting.",
        "invitation_closing": "Kind regards",
        "salutation": "Dear colleagues,",
        "none": "—",
    },
}


def paragraphs(text: str) -> list[dict[str, Any]]:
    """Split Markdown-ish text into paragraphs `{text, bullet}`; list items become bullets."""
    result: list[dict[str, Any]] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            result.append({"text": " ".join(current), "bullet": False})
            current.clear()

    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith(("- ", "* ")):
            flush()
            result.append({"text": line[2:].strip(), "bullet": True})
        else:
            current.append(line)
    flush()
    return result


def _status_note(minutes: Minutes, data: RepoData, lang: str) -> str:
    de = lang != "en"
    if minutes.status == "draft":
        return "Entwurf" if de else "Draft"
    if minutes.status == "sent":
        sent = short_date(minutes.sent, lang)
        return (
            f"versandt am {sent}, noch nicht genehmigt"
            if de
            else f"sent on {sent}, not yet approved"
        )
    later = data.find_minutes(minutes.approved_in or "")
    when = short_date(later.date, lang) if later else (minutes.approved_in or "")
    return f"genehmigt in der Sitzung vom {when}" if de else f"approved in the meeting of {when}"


def _time_text(minutes: Minutes, lang: str) -> str:
    suffix = " Uhr" if lang != "en" else ""
    if minutes.start and minutes.end:
        return f"{minutes.start}–{minutes.end}{suffix}"
    if minutes.start:
        return f"{minutes.start}{suffix}"
    return ""


def meeting_context(data: RepoData, minutes: Minutes, lang: str, today: date) -> dict[str, Any]:
    """Return the values the invitation and minutes templates see, formatted for `lang`."""
    labels = LABELS.get(lang, LABELS["de"])
    rows = {r.key: r for r in action_rows(data, today, meetings=[minutes.id])}
    tops = []
    all_actions = []
    all_decisions = []
    for number, top in enumerate(minutes.tops, start=1):
        actions = []
        for action in top.actions:
            key = minutes.action_key(action)
            row = rows.get(key)
            item = {
                "key": key,
                "number": action.id,
                "top": number,
                "who": person_name(data, action.who),
                "what": action.what,
                "due": short_date(action.due, lang),
                "due_iso": action.due.isoformat(),
                "status": row.status if row else "open",
                "status_text": state_label(row.status if row else "open", lang),
            }
            actions.append(item)
            all_actions.append(item)
        for decision in top.decisions:
            all_decisions.append({"top": number, "text": decision})
        tops.append(
            {
                "number": number,
                "title": top.title,
                "notes": top.notes.strip(),
                "paragraphs": paragraphs(top.notes),
                "decisions": list(top.decisions),
                "actions": actions,
            }
        )
    present = [person_name(data, r) for r in minutes.attendance.present]
    excused = [person_name(data, r) for r in minutes.attendance.excused]
    guests = [
        {
            "name": g.name,
            "org": g.org or "",
            "function": g.function or "",
            "text": g.name + "".join(f", {x}" for x in (g.function, g.org) if x),
        }
        for g in minutes.attendance.guests
    ]
    distribution = [person_name(data, p) for p in minutes.distribution]
    participants = present or distribution
    name = data.config.value.name if data.config else ""
    return {
        "name": name,
        "labels": labels,
        "lang_code": lang,
        "id": minutes.id,
        "title": minutes.title,
        "date": long_date(minutes.date, lang),
        "date_iso": minutes.date.isoformat(),
        "date_short": short_date(minutes.date, lang),
        "start": minutes.start or "",
        "end": minutes.end or "",
        "time": _time_text(minutes, lang),
        "place": minutes.place or "",
        "chair": person_name(data, minutes.chair) if minutes.chair else "",
        "minute_taker": person_name(data, minutes.minute_taker) if minutes.minute_taker else "",
        "status": minutes.status,
        "status_note": _status_note(minutes, data, lang),
        "agreements": [
            {"id": a, "title": data.agreements[a].value.title if a in data.agreements else a}
            for a in minutes.agreements
        ],
        "present": present,
        "excused": excused,
        "guests": guests,
        "participants": participants,
        "tops": tops,
        "actions": all_actions,
        "decisions": all_decisions,
        "distribution": distribution,
        "remarks": paragraphs(minutes.remarks),
        "today": long_date(today, lang),
    }


@dataclass(frozen=True)
class MeetingDocument:
    """A rendered invitation or minutes document."""

    meeting_id: str
    fmt: str
    data: bytes

    @property
    def text(self) -> str:
        """Return the document as text (Markdown only)."""
        return self.data.decode("utf-8")


def render_meeting(
    ctx: Context, meeting_id: str, *, invitation: bool = False, fmt: str = "docx"
) -> MeetingDocument:
    """Render the invitation or the minutes of a meeting as .docx or Markdown."""
    snap = snapshot(ctx)
    minutes = get_minutes(snap, meeting_id).value
    lang = ctx.lang
    context = meeting_context(snap.data, minutes, lang, ctx.today)
    base = "invitation" if invitation else "minutes"
    if fmt == "md":
        from coopkit.render.markdown import render_markdown

        template = layout.resolve_template(ctx.root, f"{base}.md.j2")
        text = render_markdown(template, context, lang)
        return MeetingDocument(minutes.id, fmt, text.encode("utf-8"))
    from coopkit.render.docx import render_docx

    template = layout.resolve_template(ctx.root, f"{base}.docx")
    return MeetingDocument(minutes.id, fmt, render_docx(template, context, lang))


def sample_meeting_context(lang: str) -> dict[str, Any]:
    """Return a render context from a small made-up meeting, for `coop template check`."""
    from coopkit.model.agreement import Agreement
    from coopkit.model.base import Located
    from coopkit.model.partner import Partner

    data = RepoData()
    data.partners["kreis"] = Located(
        Partner.model_validate(
            {
                "id": "kreis",
                "name": "Kreisverwaltung Müller & Söhne <Test>",
                "contacts": [{"id": "bernert", "name": "Gisela Bernert"}],
            }
        ),
        "partners/kreis.yaml",
    )
    data.partners["jc"] = Located(
        Partner.model_validate({"id": "jc", "name": "Jobcenter"}), "partners/jc.yaml"
    )
    data.agreements["koop"] = Located(
        Agreement.model_validate(
            {"id": "koop", "title": "Kooperation", "parties": ["kreis", "jc"]}
        ),
        "agreements/koop/agreement.md",
    )
    minutes = Minutes.model_validate(
        {
            "id": "2014-02-05-evaluation",
            "title": "Evaluationsgespräch",
            "agreements": ["koop"],
            "date": "2014-02-05",
            "start": "14:00",
            "end": "16:30",
            "place": "Sitzungssaal",
            "chair": "kreis/bernert",
            "minute_taker": "kreis/bernert",
            "status": "sent",
            "sent": "2014-02-12",
            "attendance": {
                "present": ["kreis/bernert", "jc"],
                "excused": ["jc"],
                "guests": [{"name": "Ralf Simon", "org": "BAMF"}],
            },
            "tops": [
                {
                    "title": "Begrüßung",
                    "notes": "Text.\n\n- Punkt\n",
                    "decisions": ["Beschluss."],
                    "actions": [{"id": 1, "who": "jc", "what": "Etwas", "due": "2014-03-01"}],
                },
                {"title": "Verschiedenes"},
            ],
            "distribution": ["kreis", "jc"],
            "remarks": "Anlage.",
        }
    )
    return meeting_context(data, minutes, lang, date(2014, 2, 7))
