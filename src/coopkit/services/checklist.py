"""`coop checklist`: per partner the open actions and obligation occurrences until a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from coopkit.errors import T, UsageError
from coopkit.i18n import Msg, _, translate_all
from coopkit.i18n.glossary import ACTION_FIELDS
from coopkit.model.minutes import Minutes
from coopkit.queries.context import Context
from coopkit.queries.due import PartnerItems, open_items
from coopkit.queries.load import Snapshot, snapshot
from coopkit.queries.lookup import check_partner, check_person, get_minutes
from coopkit.queries.meetings import meeting_partners, next_meeting
from coopkit.queries.names import contact_name, partner_name
from coopkit.render.dates import long_date, overdue_words
from coopkit.services.outputs import write_output
from coopkit.store import layout

BOX = "\u2610"
DEFAULT_DAYS = 30
DOCX_TEMPLATE = "checklist.docx"
MD_TEMPLATE = "checklist.md.j2"


@dataclass(frozen=True)
class ChecklistResult:
    """What `coop checklist` wrote."""

    path: Path
    until: date
    partners: int
    items: int


CHECKLIST_LABELS: dict[str, Msg] = {
    "title": _("Checkliste"),
    "done": _("Erledigt"),
    "due": _("Fällig"),
    "what": ACTION_FIELDS["what"],
    "source": _("Quelle"),
    "as_of": _("Stand"),
    "none": _("Keine offenen Punkte."),
    "who": ACTION_FIELDS["who"],
    "moved": _("verschoben"),
}


def checklist_labels(lang: str) -> dict[str, str]:
    """Return the fixed texts of the checklist in `lang`."""
    return translate_all(CHECKLIST_LABELS, lang)


def checklist_context(
    snap: Snapshot,
    *,
    partner: str | None = None,
    person: str | None = None,
    meeting: str | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """Return the render context of a checklist (see services.templates for its variables).

    With `person` (`partner/contact`), only what that person has to do.
    """
    check_partner(snap, partner)
    check_person(snap, person)
    data, today, lang = snap.data, snap.today, snap.lang
    target: Minutes | None = None
    if meeting is not None:
        target = get_minutes(snap, meeting).value
    elif until is None:
        target = next_meeting(data, today)
    if until is None:
        until = target.date if target is not None else today + timedelta(days=DEFAULT_DAYS)
    if until < today and meeting is None:
        raise UsageError(
            T(
                "--until {u} liegt vor dem Stichtag {t}",
                "--until {u} is before today {t}",
                u=until.isoformat(),
                t=today.isoformat(),
            )
        )
    if target is not None and meeting is not None or (target is not None and until == target.date):
        assert target is not None
        what = _("zur Sitzung am {day}", day=long_date(target.date, lang)).format(lang)
        period = _("bis {what}", what=what).format(lang)
        meeting_title = target.title
    else:
        period = _("bis {day}", day=long_date(until, lang)).format(lang)
        meeting_title = ""
    items = open_items(snap, until, partner=partner, person=person)
    if meeting is not None and target is not None and partner is None and person is None:
        wanted = meeting_partners(data, target)
        items = [i for i in items if i.partner in wanted]
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in sorted(items, key=lambda i: (i.due, i.kind != "obligation", i.key)):
        late = ""
        if item.overdue:
            late = overdue_words(item.days_overdue, lang)
        due = long_date(item.due, lang)
        groups.setdefault(item.partner, []).append(
            {
                "box": BOX,
                # Every template shows a moved date with its reason, also one written before.
                "due": f"{due} ({checklist_labels(lang)['moved']}: {item.moved})"
                if item.moved
                else due,
                "due_iso": item.due.isoformat(),
                "moved": item.moved or "",
                "nominal_iso": (item.nominal_due or item.due).isoformat(),
                "what": item.what,
                "source": item.source,
                "who": contact_name(data, item.partner, item.person),
                "kind": item.kind,
                "overdue": item.overdue,
                "late": late,
            }
        )
    partners = []
    for partner_id in sorted(groups):
        partners.append(
            {
                "id": partner_id,
                "name": partner_name(data, partner_id),
                "entries": groups[partner_id],
            }
        )
    return {
        "name": data.config.value.name if data.config else "",
        "title": checklist_labels(lang)["title"],
        "labels": checklist_labels(lang),
        "today": long_date(today, lang),
        "until": long_date(until, lang),
        "until_iso": until.isoformat(),
        "period": period,
        "meeting_title": meeting_title,
        "partners": partners,
    }


def sample_checklist_context(lang: str) -> dict[str, Any]:
    """Return a small context for `coop template check`."""
    item = {
        "box": BOX,
        "due": "31. März 2014",
        "due_iso": "2014-03-31",
        "moved": "",
        "nominal_iso": "2014-03-31",
        "what": "Bericht",
        "source": "§ 4 Vereinbarung koop",
        "who": "klein",
        "kind": "obligation",
        "overdue": False,
        "late": "",
    }
    return {
        "name": "Beispiel",
        "title": checklist_labels(lang)["title"],
        "labels": checklist_labels(lang),
        "today": "7. Februar 2014",
        "until": "14. Mai 2014",
        "until_iso": "2014-05-14",
        "period": "bis 14. Mai 2014",
        "meeting_title": "",
        "partners": [{"id": "x", "name": "Partner", "entries": [item]}],
    }


def render_checklist(
    ctx: Context,
    output: Path,
    *,
    partner: str | None = None,
    person: str | None = None,
    meeting: str | None = None,
    until: date | None = None,
) -> ChecklistResult:
    """Render the checklist as .docx or .md (by the output's suffix) and write it."""
    suffix = output.suffix.lower()
    if suffix not in (".docx", ".md"):
        raise UsageError(
            T(
                "-o: erwartet DATEI.docx oder DATEI.md, nicht „{p}“",
                '-o: expected FILE.docx or FILE.md, not "{p}"',
                p=str(output),
            )
        )
    context = checklist_context(
        snapshot(ctx), partner=partner, person=person, meeting=meeting, until=until
    )
    if suffix == ".docx":
        from coopkit.services.pack import checklist_bytes

        payload = checklist_bytes(ctx, context)
    else:
        from coopkit.render.markdown import render_markdown

        text = render_markdown(layout.resolve_template(ctx.root, MD_TEMPLATE), context, ctx.lang)
        payload = text.encode("utf-8")
    written = write_output(ctx, output, payload)
    count = sum(len(p["entries"]) for p in context["partners"])
    return ChecklistResult(
        written, date.fromisoformat(context["until_iso"]), len(context["partners"]), count
    )


__all__ = ["PartnerItems", "render_checklist", "checklist_context", "sample_checklist_context"]
