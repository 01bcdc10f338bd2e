"""The record of processing activities as a Word document a data protection officer files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from coopkit.errors import T, UsageError
from coopkit.i18n import N_, Msg, _, gettext, translate_all
from coopkit.model.base import PERMANENT
from coopkit.model.retention import CATEGORIES
from coopkit.queries.context import Context
from coopkit.queries.privacy import Due, Inventory
from coopkit.render.dates import long_date
from coopkit.render.package import DocumentInfo
from coopkit.services.outputs import write_output
from coopkit.store import layout

CATEGORY_WORDS = {
    "contacts": N_("Kontaktpersonen"),
    "representatives": N_("Vertretungsberechtigte"),
    "attendees": N_("Sitzungsteilnehmende"),
    "signatories": N_("Unterzeichnende"),
    "action_owners": N_("Verantwortliche für Aufgaben"),
    "commit_authors": N_("Autorinnen und Autoren der Commits"),
    "findings": N_("Funde der Datenschutzprüfung"),
}
"""German names of the categories (English in the catalog)."""

PRIVACY_LABELS: dict[str, Msg] = {
    "title": _("Verzeichnis personenbezogener Daten"),
    "controller": _("Verantwortlich"),
    "as_of": _("Stand"),
    "commits": _("Commits"),
    "legal_basis": _("Rechtsgrundlage"),
    "person": _("Person"),
    "since": _("seit"),
    "files": _("Dateien"),
    "due": _("Frist abgelaufen am"),
}


def legal_basis(inv: Inventory, lang: str) -> str:
    """Return the legal basis coop.toml states, or the default wording in `lang`."""
    return inv.retention.legal_basis or gettext(
        "Art. 6 Abs. 1 Buchst. e und Abs. 3 DSGVO in Verbindung mit dem Landesdatenschutzgesetz: "
        "Verarbeitung zur Erfüllung der Aufgaben der Kooperationspartner; Aufbewahrung nach den "
        "Fristen der Stelle, danach Anbietung an das zuständige öffentliche Archiv "
        "(Landesarchivgesetz).",
        lang,
    )


def period_text(period: str, lang: str) -> str:
    """Return a retention period as the user reads it ("dauerhaft" or the ISO duration)."""
    return gettext("dauerhaft", lang) if period == PERMANENT else period


def privacy_context(
    inv: Inventory, due: list[Due], name: str, today_text: str, lang: str
) -> dict[str, Any]:
    """Return the render context of the record of processing (privacy.docx)."""
    overdue = {(d.category, d.key): d for d in due}
    categories = []
    for category in CATEGORIES:
        people = inv.category(category)
        first = min((p.first for p in people), default=None)
        summary = _(
            "{n} Person(en), seit {since}; Aufbewahrungsfrist: {period}; über der Frist: {due}.",
            n=len(people),
            since=long_date(first, lang) if first else "—",
            period=period_text(inv.retention.period(category), lang),
            due=sum(1 for d in due if d.category == category),
        ).format(lang)
        entries = []
        for person in people:
            item = overdue.get((category, person.key))
            entries.append(
                {
                    "name": person.label,
                    "since": person.first.isoformat(),
                    "files": ", ".join(sorted(person.files)) or "—",
                    "commits": len(person.commits),
                    "due": item.due.isoformat() if item else "",
                }
            )
        categories.append(
            {"title": gettext(CATEGORY_WORDS[category], lang), "summary": summary,
             "entries": entries}
        )  # fmt: skip
    return {
        "labels": translate_all(PRIVACY_LABELS, lang),
        "name": name,
        "controller": inv.controller or "—",
        "today": today_text,
        "commits": inv.commits,
        "legal_basis": legal_basis(inv, lang),
        "categories": categories,
    }


def sample_privacy_context(lang: str) -> dict[str, Any]:
    """Return a small context for `coop template check`."""
    from datetime import date

    from coopkit.model.retention import Retention
    from coopkit.queries.privacy import Person

    person = Person("contacts", "kreis/a", "Anna Alt", date(2014, 2, 7), "0" * 40, {"p.yaml"})
    inv = Inventory({("contacts", "kreis/a"): person}, 1, Retention(), "Kreis")
    return privacy_context(inv, [], "Beispiel", "7. Februar 2014", lang)


def write_report(ctx: Context, inv: Inventory, due: list[Due], output: Path) -> Path:
    """Render the record of processing through privacy.docx and write it to `output`."""
    from coopkit.render.docx import render_docx
    from coopkit.services.documents import document_author

    if output.suffix.lower() != ".docx":
        raise UsageError(
            T("-o: erwartet DATEI.docx, nicht „{p}“", '-o: expected FILE.docx, not "{p}"',
              p=str(output))
        )  # fmt: skip
    from coopkit.queries.load import snapshot

    data = snapshot(ctx).data
    name = data.config.value.name if data.config else ""
    context = privacy_context(inv, due, name, long_date(ctx.today, ctx.lang), ctx.lang)
    info = DocumentInfo(
        title=f"{context['labels']['title']}: {name}",
        subject=context["labels"]["title"],
        author=document_author(ctx),
        created=ctx.today,
        modified=ctx.today,
        lang=ctx.lang,
    )
    template = layout.resolve_template(ctx.root, "privacy.docx")
    return write_output(ctx, output, render_docx(template, context, ctx.lang, info=info))
