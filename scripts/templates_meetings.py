"""Builders of the meeting templates (invitation, cancellation, minutes) for build_templates.py."""

from __future__ import annotations

from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt


def _helpers() -> Any:
    # build_templates imports this module; import it back only when a builder runs.
    import build_templates

    return build_templates


def _label_value_table(document: Any, rows: list[tuple[str, str]]) -> None:
    helpers = _helpers()
    table = helpers.add_table(document, [3.5, 13.0], rows=len(rows))
    helpers._no_borders(table)
    for row, (label, value) in zip(table.rows, rows, strict=True):
        helpers.cell_text(row.cells[0], label, bold=True, size=11)
        helpers.cell_text(row.cells[1], value, size=11)
    helpers.hold_rows(table)


def _bullets(document: Any, items: str, text: str) -> None:
    helpers = _helpers()
    helpers.tag(document, f"{{%p for item in {items} %}}")
    document.add_paragraph(text, style="List Bullet")
    helpers.tag(document, "{%p endfor %}")


def _action_table(document: Any, items: str) -> None:
    """Add the Wer / Was / Bis wann table looping over `items`."""
    helpers = _helpers()
    table = helpers.add_table(document, [4.6, 9.4, 2.5], rows=4)
    for index, key in enumerate(("who", "what", "due")):
        helpers.cell_text(table.rows[0].cells[index], f"{{{{ labels.{key} }}}}", bold=True, size=10)
    table.rows[1].cells[0].paragraphs[0].add_run(f"{{%tr for a in {items} %}}")
    for index, text in enumerate(("{{ a.who }}", "{{ a.what }}", "{{ a.due }}")):
        helpers.cell_text(table.rows[2].cells[index], text, size=10)
    table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    helpers.hold_rows(table, header_rows=1)


def _small(paragraph: Any, text: str, size: float = 8, bold: bool = False) -> None:
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    paragraph.paragraph_format.space_after = Pt(0)


def _letterhead(document: Any) -> None:
    """Add the letterhead: authority and office on the left, the logo on the right."""
    helpers = _helpers()
    table = helpers.add_table(document, [12.0, 4.5], rows=1)
    helpers._no_borders(table)
    left, right = table.rows[0].cells
    _small(left.paragraphs[0], "{{ sender.authority }}", size=14, bold=True)
    left.add_paragraph("{%p if sender.office %}")
    _small(left.add_paragraph(), "{{ sender.office }}", size=11)
    left.add_paragraph("{%p endif %}")
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    right.paragraphs[0].add_run("{{ logo }}")


def _address_and_info(document: Any) -> None:
    """Add the DIN 5008 address field (return line, recipient) and the information block."""
    helpers = _helpers()
    table = helpers.add_table(document, [8.5, 1.0, 7.0], rows=1)
    helpers._no_borders(table)
    row = table.rows[0]
    row.height = Cm(4.5)
    address, _, info = row.cells
    back = address.paragraphs[0]
    back.paragraph_format.space_before = Pt(12)
    run = back.add_run("{{ sender.return_line }}")
    run.font.size = Pt(7)
    run.underline = True
    spacer = address.add_paragraph()
    spacer.paragraph_format.space_after = Pt(0)
    address.add_paragraph("{%p for line in r.lines %}")
    line = address.add_paragraph("{{ line }}")
    line.paragraph_format.space_after = Pt(0)
    address.add_paragraph("{%p endfor %}")
    first = info.paragraphs[0]
    first.paragraph_format.space_before = Pt(12)
    rows = [
        ("{%p if letter.file_number %}", None),
        ("{{ labels.file_number }}", "{{ letter.file_number }}"),
        ("{%p endif %}", None),
        ("{%p if letter.contact_name %}", None),
        ("{{ labels.contact }}", "{{ letter.contact_name }}"),
        ("{%p endif %}", None),
        ("{%p if letter.contact_phone %}", None),
        ("{{ labels.phone }}", "{{ letter.contact_phone }}"),
        ("{%p endif %}", None),
        ("{%p if letter.contact_email %}", None),
        ("{{ labels.email }}", "{{ letter.contact_email }}"),
        ("{%p endif %}", None),
    ]
    paragraph = first
    for index, (label, value) in enumerate(rows):
        if index:
            paragraph = info.add_paragraph()
        if value is None:
            paragraph.add_run(label)
            continue
        _small(paragraph, label + ": ", size=9)
        _small(paragraph, value, size=9)


def build_invitation() -> Any:
    """Return the invitation template: a DIN 5008 style letter per invited organisation."""
    helpers = _helpers()
    document = helpers.new_document()
    section = document.sections[0]
    section.top_margin = Cm(1.5)
    helpers.add_page_number_footer(document, "{{ sender.authority }} · {{ letter.subject }}")
    helpers.tag(document, "{%p for r in recipients %}")
    _letterhead(document)
    _address_and_info(document)
    place = document.add_paragraph("{{ letter.place_date }}")
    place.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    subject = document.add_paragraph()
    subject.paragraph_format.space_before = Pt(12)
    subject.add_run("{{ letter.subject }}").bold = True
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
    heading = document.add_paragraph("{{ labels.agenda }}", style="Heading 2")
    heading.paragraph_format.keep_with_next = True
    helpers.tag(document, "{%p for top in tops %}")
    item = document.add_paragraph("{{ labels.top }} {{ top.number }}\t{{ top.title }}")
    item.paragraph_format.left_indent = Cm(1.5)
    item.paragraph_format.first_line_indent = Cm(-1.5)
    item.paragraph_format.tab_stops.add_tab_stop(Cm(1.5))
    item.paragraph_format.space_after = Pt(2)
    helpers.tag(document, "{%p endfor %}")
    heading = document.add_paragraph("{{ labels.invitees }}", style="Heading 2")
    heading.paragraph_format.keep_with_next = True
    _bullets(document, "invitees", "{{ item.text }}")
    helpers.tag(document, "{%p if remarks %}")
    helpers.add_paragraphs_loop(document, "remarks")
    helpers.tag(document, "{%p endif %}")
    helpers.tag(document, "{%p if letter.reply_text %}")
    document.add_paragraph("{{ letter.reply_text }}")
    helpers.tag(document, "{%p endif %}")
    closing = document.add_paragraph("{{ labels.invitation_closing }}")
    closing.paragraph_format.space_before = Pt(12)
    closing.paragraph_format.keep_with_next = True
    signer = document.add_paragraph("{{ letter.signer_name }}")
    signer.paragraph_format.space_before = Pt(30)
    signer.paragraph_format.space_after = Pt(0)
    signer.paragraph_format.keep_with_next = True
    from docx.enum.text import WD_BREAK

    function = document.add_paragraph("{{ letter.signer_function }}")
    # The break ends the letter's last line, so a full page never gets an empty one after it.
    function.add_run("{%r if not loop.last %}")
    function.add_run().add_break(WD_BREAK.PAGE)
    function.add_run("{%r endif %}")
    helpers.tag(document, "{%p endfor %}")
    return document


def build_cancellation() -> Any:
    """Return the cancellation template: the letter calling off a meeting, per organisation."""
    helpers = _helpers()
    document = helpers.new_document()
    section = document.sections[0]
    section.top_margin = Cm(1.5)
    helpers.add_page_number_footer(document, "{{ sender.authority }} · {{ letter.subject }}")
    helpers.tag(document, "{%p for r in recipients %}")
    _letterhead(document)
    _address_and_info(document)
    place = document.add_paragraph("{{ letter.place_date }}")
    place.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    subject = document.add_paragraph()
    subject.paragraph_format.space_before = Pt(12)
    subject.add_run("{{ letter.subject }}").bold = True
    document.add_paragraph("{{ labels.salutation }}")
    document.add_paragraph("{{ labels.cancellation_intro }}")
    _label_value_table(
        document,
        [
            ("{{ labels.date }}", "{{ date }}"),
            ("{{ labels.time }}", "{{ time }}"),
            ("{{ labels.place }}", "{{ place }}"),
        ],
    )
    helpers.tag(document, "{%p if cancel_reason %}")
    reason = document.add_paragraph()
    reason.paragraph_format.space_before = Pt(6)
    reason.add_run("{{ labels.reason }}: ").bold = True
    reason.add_run("{{ cancel_reason }}")
    helpers.tag(document, "{%p endif %}")
    document.add_paragraph("{{ labels.cancellation_note }}")
    heading = document.add_paragraph("{{ labels.invitees }}", style="Heading 2")
    heading.paragraph_format.keep_with_next = True
    _bullets(document, "invitees", "{{ item.text }}")
    closing = document.add_paragraph("{{ labels.invitation_closing }}")
    closing.paragraph_format.space_before = Pt(12)
    closing.paragraph_format.keep_with_next = True
    signer = document.add_paragraph("{{ letter.signer_name }}")
    signer.paragraph_format.space_before = Pt(30)
    signer.paragraph_format.space_after = Pt(0)
    signer.paragraph_format.keep_with_next = True
    from docx.enum.text import WD_BREAK

    function = document.add_paragraph("{{ letter.signer_function }}")
    function.add_run("{%r if not loop.last %}")
    function.add_run().add_break(WD_BREAK.PAGE)
    function.add_run("{%r endif %}")
    helpers.tag(document, "{%p endfor %}")
    return document


def _closing_signatures(document: Any) -> None:
    """Add the closing of the minutes: signature lines for chair and minute-taker."""
    helpers = _helpers()
    table = helpers.add_table(document, [7.5, 1.5, 7.5], rows=3)
    helpers._no_borders(table)
    place = table.rows[0].cells
    for cell in (place[0], place[2]):
        cell.paragraphs[0].paragraph_format.space_before = Pt(36)
        cell.paragraphs[0].paragraph_format.keep_with_next = True
        helpers._rule(cell)
    names = table.rows[1].cells
    helpers.cell_text(names[0], "{{ chair_name }}")
    helpers.cell_text(names[2], "{{ minute_taker_name }}")
    roles = table.rows[2].cells
    helpers.cell_text(
        roles[0],
        "{{ labels.chair }}{% if chair_function %}, {{ chair_function }}{% endif %}",
        size=8,
    )
    helpers.cell_text(
        roles[2],
        "{{ labels.minute_taker }}{% if minute_taker_function %}, {{ minute_taker_function }}"
        "{% endif %}",
        size=8,
    )
    helpers.hold_rows(table)


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
    item = document.add_paragraph("{{ labels.top }} {{ top.number }}\t{{ top.title }}")
    item.paragraph_format.left_indent = Cm(1.5)
    item.paragraph_format.first_line_indent = Cm(-1.5)
    item.paragraph_format.tab_stops.add_tab_stop(Cm(1.5))
    item.paragraph_format.space_after = Pt(2)
    helpers.tag(document, "{%p endfor %}")
    helpers.tag(document, "{%p for top in tops %}")
    heading = document.add_paragraph(
        "{{ labels.top }} {{ top.number }}  {{ top.title }}", style="Heading 1"
    )
    heading.paragraph_format.keep_with_next = True
    helpers.add_paragraphs_loop(document, "top.paragraphs")
    helpers.tag(document, "{%p for d in top.decisions %}")
    decision = document.add_paragraph()
    decision.add_run("{{ labels.decision }}: ").bold = True
    decision.add_run("{{ d }}")
    helpers.tag(document, "{%p endfor %}")
    helpers.tag(document, "{%p if top.actions %}")
    heading = document.add_paragraph("{{ labels.actions }}", style="Heading 2")
    heading.paragraph_format.keep_with_next = True
    _action_table(document, "top.actions")
    helpers.tag(document, "{%p endif %}")
    helpers.tag(document, "{%p endfor %}")
    helpers.tag(document, "{%p if remarks %}")
    document.add_paragraph("{{ labels.remarks }}", style="Heading 1")
    helpers.add_paragraphs_loop(document, "remarks")
    helpers.tag(document, "{%p endif %}")
    heading = document.add_paragraph("{{ labels.distribution }}", style="Heading 1")
    heading.paragraph_format.keep_with_next = True
    _bullets(document, "distribution", "{{ item }}")
    _closing_signatures(document)
    document.add_paragraph()
    return document
