"""Invitation and minutes as Word or Markdown documents: the render context and the render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from coopkit.i18n import C_, Msg, _, gettext, translate_all
from coopkit.i18n.glossary import ACTION_FIELDS
from coopkit.model.base import split_person
from coopkit.model.minutes import Minutes
from coopkit.model.partner import Contact
from coopkit.model.repo import RepoData
from coopkit.queries.actions import action_rows, state_label
from coopkit.queries.context import Context
from coopkit.queries.load import Snapshot, snapshot
from coopkit.queries.lookup import get_minutes
from coopkit.queries.names import partner_name, person_name
from coopkit.render.dates import long_date, short_date
from coopkit.render.package import DocumentInfo
from coopkit.services.letters import read_logo, recipient_lines, sender_context
from coopkit.store import layout

LABELS: dict[str, Msg] = {
    "minutes": _("Niederschrift"),
    "invitation": _("Einladung"),
    "date": _("Datum"),
    "time": _("Uhrzeit"),
    "place": _("Ort"),
    "start": _("Beginn"),
    "end": _("Ende"),
    "chair": _("Sitzungsleitung"),
    "minute_taker": _("Protokoll"),
    "agreements": _("Vereinbarungen"),
    "attendance": _("Teilnehmende"),
    "present": _("Anwesend"),
    "excused": _("Entschuldigt"),
    "guests": _("Gäste"),
    "participants": _("Eingeladen sind"),
    "agenda": _("Tagesordnung"),
    "top": _("TOP"),
    "decision": _("Beschluss"),
    "decisions": _("Beschlüsse"),
    "actions": _("Aufgaben"),
    "who": ACTION_FIELDS["who"],
    "what": ACTION_FIELDS["what"],
    "due": ACTION_FIELDS["due"],
    "remarks": _("Anmerkungen"),
    "distribution": _("Verteiler"),
    "status": C_("status", "Stand"),
    "invitation_intro": _("hiermit laden wir Sie herzlich zur folgenden Sitzung ein."),
    "invitation_closing": _("Mit freundlichen Grüßen"),
    "salutation": _("Sehr geehrte Damen und Herren,"),
    "none": _("—"),
    "file_number": _("Aktenzeichen"),
    "contact": _("Auskunft erteilt"),
    "phone": _("Telefon"),
    "email": _("E-Mail"),
    "letter_date": _("Datum"),
    "invitees": _("Eingeladen sind"),
    "reply": _("Bitte teilen Sie uns bis zum {d} mit, wer an der Sitzung teilnimmt."),
    "distribution_list": _("An die Partner laut Verteiler"),
    "signatures": _("Unterschriften"),
    "place_date": _("Ort, Datum"),
    "signature": _("Unterschrift"),
    "agreements_under_review": _("Gegenstand"),
    "cancellation": _("Absage"),
    "cancellation_intro": _(
        "die folgende Sitzung muss leider abgesagt werden; sie findet nicht statt."
    ),
    "reason": _("Grund"),
    "cancellation_note": _("Über einen neuen Termin informieren wir Sie gesondert."),
    "cancelled": _("abgesagt"),
}


def meeting_labels(lang: str) -> dict[str, str]:
    """Return the document words of invitations and minutes in `lang`."""
    words = translate_all(LABELS, lang)
    # "14:00 Uhr" is plain "14:00" in English: the word is what the phrase adds to the time.
    words["oclock"] = clock("{time}", lang).replace("{time}", "").strip()
    return words


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
    if minutes.cancelled:
        word = gettext("abgesagt", lang)
        return f"{word}: {minutes.cancel_reason}" if minutes.cancel_reason else word
    if minutes.status == "draft":
        return gettext("Entwurf", lang)
    if minutes.status == "sent":
        sent = short_date(minutes.sent, lang)
        return _("versandt am {sent}, noch nicht genehmigt", sent=sent).format(lang)
    later = data.find_minutes(minutes.approved_in or "")
    when = short_date(later.date, lang) if later else (minutes.approved_in or "")
    return _("genehmigt in der Sitzung vom {when}", when=when).format(lang)


def _time_text(minutes: Minutes, lang: str) -> str:
    if minutes.start and minutes.end:
        return clock(f"{minutes.start}–{minutes.end}", lang)
    return clock(minutes.start, lang)


def clock(value: str | None, lang: str) -> str:
    """Return a time of day as read: "14:00 Uhr" in German, "14:00" in English."""
    if not value:
        return ""
    return gettext("{time} Uhr", lang).replace("{time}", value)


def _contact(data: RepoData, ref: str | None) -> Contact | None:
    if not ref:
        return None
    partner_id, person = split_person(ref)
    partner = data.find_partner(partner_id)
    return partner.find_contact(person) if partner and person else None


def _bare_name(data: RepoData, ref: str | None) -> str:
    return person_name(data, ref, with_org=False) if ref else ""


def invited_partners(data: RepoData, minutes: Minutes) -> list[str]:
    """Return the invited organisations: the distribution list, else the agreements' parties."""
    if minutes.distribution:
        return list(minutes.distribution)
    seen: list[str] = []
    for agreement_id in minutes.agreements:
        found = data.agreements.get(agreement_id)
        for party in found.value.parties if found else []:
            if party not in seen:
                seen.append(party)
    return seen


def _people_by_partner(minutes: Minutes) -> dict[str, list[str]]:
    refs = [minutes.chair, minutes.minute_taker, *minutes.attendance.present]
    refs += minutes.attendance.excused
    people: dict[str, list[str]] = {}
    for ref in refs:
        if not ref:
            continue
        partner_id, person = split_person(ref)
        if person and ref not in people.setdefault(partner_id, []):
            people[partner_id].append(ref)
    return people


def letter_context(
    data: RepoData,
    minutes: Minutes,
    lang: str,
    today: date,
    *,
    file_number: str | None = None,
    reply_by: date | None = None,
    one_letter: bool = False,
) -> dict[str, Any]:
    """Return the letter parts of an invitation: sender, recipients, date line, reply date."""
    labels = meeting_labels(lang)
    sender = sender_context(data)
    people = _people_by_partner(minutes)
    invitees = []
    recipients = []
    for partner_id in invited_partners(data, minutes):
        partner = data.find_partner(partner_id)
        names = [_bare_name(data, ref) for ref in people.get(partner_id, [])]
        org = partner_name(data, partner_id)
        invitees.append(
            {"org": org, "people": names, "text": org + (f" ({', '.join(names)})" if names else "")}
        )
        if partner is not None:
            attention = (gettext("z. Hd.", lang) + " ") + ", ".join(names) if names else ""
            recipients.append({"lines": recipient_lines(partner, attention)})
    if one_letter or not recipients:
        recipients = [{"lines": [labels["distribution_list"]]}]
    if reply_by is None:
        reply_by = minutes.date - timedelta(days=7)
    # A cancellation asks for no reply.
    reply = long_date(reply_by, lang) if reply_by >= today and not minutes.cancelled else ""
    kind = "cancellation" if minutes.cancelled else "invitation"
    signer = _contact(data, minutes.chair)
    place = sender["place"]
    letter_day = long_date(today, lang)
    return {
        "sender": sender,
        "recipients": recipients,
        "invitees": invitees,
        "letter": {
            "date": letter_day,
            "date_short": short_date(today, lang),
            "place_date": f"{place}, {letter_day}" if place else letter_day,
            "file_number": file_number if file_number is not None else sender["file_number"],
            "subject": f"{labels[kind]}: {minutes.title}",
            "reply_by": reply,
            "reply_text": labels["reply"].format(d=reply) if reply else "",
            "signer_name": _bare_name(data, minutes.chair),
            "signer_function": (signer.function or "") if signer else sender["office"],
            "contact_name": _bare_name(data, minutes.chair),
            "contact_phone": (signer.phone if signer and signer.phone else sender["phone"]),
            "contact_email": (signer.email if signer and signer.email else sender["email"]),
        },
    }


def meeting_context(
    data: RepoData,
    minutes: Minutes,
    lang: str,
    today: date,
    *,
    file_number: str | None = None,
    reply_by: date | None = None,
    one_letter: bool = False,
) -> dict[str, Any]:
    """Return the values the invitation and minutes templates see, formatted for `lang`."""
    labels = meeting_labels(lang)
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
    chair_contact = _contact(data, minutes.chair)
    taker_contact = _contact(data, minutes.minute_taker)
    return {
        **letter_context(
            data,
            minutes,
            lang,
            today,
            file_number=file_number,
            reply_by=reply_by,
            one_letter=one_letter,
        ),
        "logo": "",
        "name": name,
        "labels": labels,
        "lang_code": lang,
        "id": minutes.id,
        "title": minutes.title,
        "date": long_date(minutes.date, lang),
        "date_iso": minutes.date.isoformat(),
        "date_short": short_date(minutes.date, lang),
        "start": clock(minutes.start, lang),
        "end": clock(minutes.end, lang),
        "time": _time_text(minutes, lang),
        "place": minutes.place or "",
        "chair": person_name(data, minutes.chair) if minutes.chair else "",
        "minute_taker": person_name(data, minutes.minute_taker) if minutes.minute_taker else "",
        "chair_name": _bare_name(data, minutes.chair),
        "chair_function": (chair_contact.function or "") if chair_contact else "",
        "minute_taker_name": _bare_name(data, minutes.minute_taker),
        "minute_taker_function": (taker_contact.function or "") if taker_contact else "",
        "status": minutes.status,
        "status_note": _status_note(minutes, data, lang),
        "cancelled": minutes.cancelled,
        "cancel_reason": minutes.cancel_reason or "",
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
    kind: str = "minutes"
    """"invitation", "cancellation" (the invitation of a cancelled meeting) or "minutes"."""

    @property
    def text(self) -> str:
        """Return the document as text (Markdown only)."""
        return self.data.decode("utf-8")


@dataclass(frozen=True)
class LetterOptions:
    """Choices for the invitation letter: file number, reply date, one letter or one each."""

    file_number: str | None = None
    reply_by: date | None = None
    one_letter: bool = False


def meeting_info(
    minutes: Minutes, invitation: bool, lang: str, today: date, author: str
) -> DocumentInfo:
    """Return the core properties of an invitation (dated today) or minutes (dated the meeting)."""
    labels = meeting_labels(lang)
    letter = "cancellation" if minutes.cancelled else "invitation"
    kind = labels[letter] if invitation else labels["minutes"]
    return DocumentInfo(
        title=f"{kind}: {minutes.title}",
        subject=f"{kind} {long_date(minutes.date, lang)}",
        author=author,
        created=today if invitation else minutes.date,
        modified=today if invitation else (minutes.sent or minutes.date),
        lang=lang,
    )


def meeting_document(
    ctx: Context,
    data: RepoData,
    minutes: Minutes,
    *,
    invitation: bool = False,
    fmt: str = "docx",
    letter: LetterOptions | None = None,
    snap: Snapshot | None = None,
) -> MeetingDocument:
    """Render the invitation or the minutes of a loaded meeting as .docx or Markdown.

    The invitation of a cancelled meeting is its cancellation letter. With `snap`, a draft's
    prepared TOPs are computed from its records (the agenda as of today).
    """
    from coopkit.queries.agenda import current_agenda
    from coopkit.services.documents import document_author

    options = letter or LetterOptions()
    lang = ctx.lang
    if snap is not None:
        minutes = current_agenda(snap, minutes, lang)
    context = meeting_context(
        data,
        minutes,
        lang,
        ctx.today,
        file_number=options.file_number,
        reply_by=options.reply_by,
        one_letter=options.one_letter,
    )
    base = "minutes"
    if invitation:
        base = "cancellation" if minutes.cancelled else "invitation"
    if fmt == "md":
        from coopkit.render.markdown import render_markdown

        template = layout.resolve_template(ctx.root, f"{base}.md.j2")
        text = render_markdown(template, context, lang)
        return MeetingDocument(minutes.id, fmt, text.encode("utf-8"), base)
    from coopkit.render.docx import render_docx

    template = layout.resolve_template(ctx.root, f"{base}.docx")
    logo = read_logo(ctx.root, data) if invitation else None
    author = document_author(
        ctx, context["chair_name"] if invitation else context["minute_taker_name"]
    )
    info = meeting_info(minutes, invitation, lang, ctx.today, author)
    payload = render_docx(
        template,
        context,
        lang,
        images={"logo": logo} if logo else None,
        image_widths={"logo": 3.5},
        info=info,
    )
    return MeetingDocument(minutes.id, fmt, payload, base)


def render_meeting(
    ctx: Context,
    meeting_id: str,
    *,
    invitation: bool = False,
    fmt: str = "docx",
    letter: LetterOptions | None = None,
) -> MeetingDocument:
    """Render the invitation or the minutes of a meeting as .docx or Markdown."""
    snap = snapshot(ctx)
    minutes = get_minutes(snap, meeting_id).value
    return meeting_document(
        ctx, snap.data, minutes, invitation=invitation, fmt=fmt, letter=letter, snap=snap
    )


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
