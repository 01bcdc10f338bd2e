"""Builders of the meeting templates (invitation.docx, minutes.docx) for build_templates.py."""

from __future__ import annotations

from typing import Any

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.shared import Cm, Pt


def _helpers() -> Any:
    # build_templates imports this module; import it back only when a builder runs.
    import build_templates

    return build_templates


def _label_value_table(document: Any, rows: list[tuple[str, str]]) -> None:
    table = document.add_table(rows=len(rows), cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    widths = (Cm(4.0), Cm(12.5))
    for row, (label, value) in zip(table.rows, rows, strict=True):
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
        row.cells[0].paragraphs[0].add_run(label).bold = True
        row.cells[1].paragraphs[0].add_run(value)


def _bullets(document: Any, items: str, text: str) -> None:
    helpers = _helpers()
    helpers.tag(document, f"{{%p for item in {items} %}}")
    document.add_paragraph(text, style="List Bullet")
    helpers.tag(document, "{%p endfor %}")


def _action_table(document: Any, items: str) -> None:
    """Add the Wer / Was / Bis wann table looping over `items`."""
    widths = (Cm(4.8), Cm(9.2), Cm(2.5))
    table = document.add_table(rows=4, cols=3)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for index, key in enumerate(("who", "what", "due")):
        cell = table.rows[0].cells[index]
        cell.width = widths[index]
        cell.paragraphs[0].add_run(f"{{{{ labels.{key} }}}}").bold = True
    _helpers()._repeat_header(table.rows[0])
    table.rows[1].cells[0].paragraphs[0].add_run(f"{{%tr for a in {items} %}}")
    for index, text in enumerate(("{{ a.who }}", "{{ a.what }} ({{ a.key }})", "{{ a.due }}")):
        cell = table.rows[2].cells[index]
        cell.width = widths[index]
        cell.paragraphs[0].add_run(text).font.size = Pt(10)
    table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")


def build_invitation() -> Any:
    """Return the invitation template: date, time, place, agenda, participants."""
    helpers = _helpers()
    document = helpers.new_document()
    helpers.add_page_number_footer(document, "{{ labels.invitation }} · {{ title }}")
    sender = document.add_paragraph("{{ name }}")
    sender.runs[0].font.size = Pt(9)
    document.add_paragraph("{{ labels.invitation }}: {{ title }}", style="Title")
    document.add_paragraph("{{ labels.salutation }}")
    document.add_paragraph("{{ labels.invitation_intro }}")
    _label_value_table(
        document,
        [
            ("{{ labels.date }}", "{{ date }}"),
            ("{{ labels.time }}", "{{ time }}"),
            ("{{ labels.place }}", "{{ place }}"),
        ],
    )
    document.add_paragraph("{{ labels.agenda }}", style="Heading 1")
    helpers.tag(document, "{%p for top in tops %}")
    document.add_paragraph("{{ labels.top }} {{ top.number }}  {{ top.title }}")
    helpers.tag(document, "{%p endfor %}")
    document.add_paragraph("{{ labels.participants }}", style="Heading 1")
    _bullets(document, "participants", "{{ item }}")
    helpers.tag(document, "{%p if remarks %}")
    helpers.add_paragraphs_loop(document, "remarks")
    helpers.tag(document, "{%p endif %}")
    closing = document.add_paragraph("{{ labels.invitation_closing }}")
    closing.paragraph_format.space_before = Pt(12)
    document.add_paragraph("{{ chair }}")
    return document


def build_minutes() -> Any:
    """Return the minutes template: head, attendance, TOPs with notes, decisions and actions."""
    helpers = _helpers()
    document = helpers.new_document()
    helpers.add_page_number_footer(document, "{{ labels.minutes }} · {{ title }} · {{ date }}")
    sender = document.add_paragraph("{{ name }}")
    sender.runs[0].font.size = Pt(9)
    document.add_paragraph("{{ labels.minutes }}: {{ title }}", style="Title")
    state = document.add_paragraph()
    state.add_run("{{ labels.status }}: {{ status_note }}").italic = True
    _label_value_table(
        document,
        [
            ("{{ labels.date }}", "{{ date }}"),
            ("{{ labels.place }}", "{{ place }}"),
            ("{{ labels.start }}", "{{ start }}"),
            ("{{ labels.end }}", "{{ end }}"),
            ("{{ labels.chair }}", "{{ chair }}"),
            ("{{ labels.minute_taker }}", "{{ minute_taker }}"),
        ],
    )
    document.add_paragraph("{{ labels.attendance }}", style="Heading 1")
    document.add_paragraph("{{ labels.present }}", style="Heading 2")
    _bullets(document, "present", "{{ item }}")
    helpers.tag(document, "{%p if excused %}")
    document.add_paragraph("{{ labels.excused }}", style="Heading 2")
    _bullets(document, "excused", "{{ item }}")
    helpers.tag(document, "{%p endif %}")
    helpers.tag(document, "{%p if guests %}")
    document.add_paragraph("{{ labels.guests }}", style="Heading 2")
    _bullets(document, "guests", "{{ item.text }}")
    helpers.tag(document, "{%p endif %}")
    document.add_paragraph("{{ labels.agenda }}", style="Heading 1")
    helpers.tag(document, "{%p for top in tops %}")
    document.add_paragraph("{{ labels.top }} {{ top.number }}  {{ top.title }}")
    helpers.tag(document, "{%p endfor %}")
    helpers.tag(document, "{%p for top in tops %}")
    document.add_paragraph("{{ labels.top }} {{ top.number }}  {{ top.title }}", style="Heading 1")
    helpers.add_paragraphs_loop(document, "top.paragraphs")
    helpers.tag(document, "{%p for d in top.decisions %}")
    decision = document.add_paragraph()
    decision.add_run("{{ labels.decision }}: ").bold = True
    decision.add_run("{{ d }}")
    helpers.tag(document, "{%p endfor %}")
    helpers.tag(document, "{%p if top.actions %}")
    document.add_paragraph("{{ labels.actions }}", style="Heading 2")
    _action_table(document, "top.actions")
    helpers.tag(document, "{%p endif %}")
    helpers.tag(document, "{%p endfor %}")
    helpers.tag(document, "{%p if remarks %}")
    document.add_paragraph("{{ labels.remarks }}", style="Heading 1")
    helpers.add_paragraphs_loop(document, "remarks")
    helpers.tag(document, "{%p endif %}")
    document.add_paragraph("{{ labels.distribution }}", style="Heading 1")
    _bullets(document, "distribution", "{{ item }}")
    return document
