"""Build the default Word templates in templates/ from code.

The templates are ordinary Word documents with Jinja tags (docxtpl); users edit their copy in
Word (`coop template export NAME`). This script regenerates the shipped defaults:

    python scripts/build_templates.py            # all templates
    python scripts/build_templates.py agreement.docx

Each template has one builder function in TEMPLATES. Paragraph tags (`{%p ... %}`, `{%tr ... %}`)
stand alone in their paragraph or table row, and keep `%` and `}` out of their expressions.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "templates"
FONT = "Carlito"
"""Metric-compatible with Calibri (fonts-crosextra-carlito, which LibreOffice on Linux installs):
the font a Linux office machine has, so table cells do not re-wrap when rendered to PDF."""

Doc = object


def new_document() -> Doc:
    """Return an A4 document with the house styles of a German administrative document."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin, section.right_margin = Cm(2.5), Cm(2.0)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    for name, size in (("Title", 16), ("Heading 1", 13), ("Heading 2", 11)):
        style = styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(12 if name != "Title" else 0)
        style.paragraph_format.space_after = Pt(6)
    title_ppr = styles["Title"].element.get_or_add_pPr()
    for border in title_ppr.findall(qn("w:pBdr")):
        title_ppr.remove(border)
    return document


def tag(document: Doc, text: str) -> None:
    """Add a paragraph holding only a paragraph-level tag."""
    document.add_paragraph(text)  # type: ignore[attr-defined]


def add_page_number_footer(document: Doc, text: str) -> None:
    """Put `text` and the page number into the footer."""
    footer = document.sections[0].footer  # type: ignore[attr-defined]
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
    run = paragraph.add_run(text + " – ")
    run.font.size = Pt(8)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    number = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "16")
    rpr.append(size)
    number.append(rpr)
    text_element = OxmlElement("w:t")
    text_element.text = "1"
    number.append(text_element)
    field.append(number)
    paragraph._p.append(field)


def add_paragraphs_loop(document: Doc, items: str) -> None:
    """Add a loop over paragraphs `{text, bullet}`: bullets in List Bullet, the rest as text."""
    tag(document, f"{{%p for para in {items} %}}")
    tag(document, "{%p if para.bullet %}")
    document.add_paragraph("{{ para.text }}", style="List Bullet")  # type: ignore[attr-defined]
    tag(document, "{%p else %}")
    document.add_paragraph("{{ para.text }}")  # type: ignore[attr-defined]
    tag(document, "{%p endif %}")
    tag(document, "{%p endfor %}")


def _repeat_header(row: object) -> None:
    properties = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    header = OxmlElement("w:tblHeader")
    properties.append(header)


def build_agreement() -> Doc:
    """Return the agreement template: parties, preamble, clauses, obligations, approvals."""
    document = new_document()
    add_page_number_footer(document, "{{ title }} · {{ version_label }}")
    # First line: "Entwurf – nicht zur Unterschrift" or the version and the day it was released.
    status = document.add_paragraph()  # type: ignore[attr-defined]
    status.add_run("{{ status_line }}").bold = True
    document.add_paragraph("{{ title }}", style="Title")  # type: ignore[attr-defined]
    document.add_paragraph("{{ labels.between }}")  # type: ignore[attr-defined]
    tag(document, "{%p for party in parties %}")
    name = document.add_paragraph()  # type: ignore[attr-defined]
    name.add_run("{{ party.name }}").bold = True
    name.paragraph_format.space_after = Pt(0)
    tag(document, "{%p if party.address %}")
    address = document.add_paragraph("{{ party.address }}")  # type: ignore[attr-defined]
    address.paragraph_format.space_after = Pt(0)
    tag(document, "{%p endif %}")
    tag(document, "{%p if party.representation %}")
    document.add_paragraph(  # type: ignore[attr-defined]
        "{{ labels.represented_by }} {{ party.representation }}"
    )
    tag(document, "{%p endif %}")
    tag(document, "{%p endfor %}")
    meta = document.add_paragraph()  # type: ignore[attr-defined]
    run = meta.add_run(
        "{{ version_label }}{% if term %} · {{ term }}{% endif %}"
        "{% if coordinator %} · {{ labels.coordinator }}: {{ coordinator }}{% endif %}"
    )
    run.italic = True
    tag(document, "{%p if preamble %}")
    document.add_paragraph("{{ labels.preamble }}", style="Heading 1")  # type: ignore[attr-defined]
    add_paragraphs_loop(document, "preamble")
    tag(document, "{%p endif %}")
    tag(document, "{%p for clause in clauses %}")
    document.add_paragraph(  # type: ignore[attr-defined]
        "§ {{ clause.number }} {{ clause.title }}", style="Heading 1"
    )
    add_paragraphs_loop(document, "clause.paragraphs")
    tag(document, "{%p endfor %}")
    tag(document, "{%p if obligations %}")
    heading = document.add_paragraph("{{ labels.obligations }}", style="Heading 1")  # type: ignore[attr-defined]
    heading.paragraph_format.keep_with_next = True
    headers = ["who", "what", "to_whom", "how_often", "first_due"]
    # Widths fit the longest German words at 9 pt ("vierteljährlich", "Jobcenter MYK").
    widths = [2.9, 5.9, 2.8, 2.6, 2.3]
    table = add_table(document, widths, rows=5)
    for index, key in enumerate(headers):
        cell_text(table.rows[0].cells[index], f"{{{{ labels.{key} }}}}", bold=True)
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for o in obligations %}")
    row = table.rows[2].cells
    cell_text(row[0], "{{ o.by }}")
    cell_text(row[1], "{{ o.what }}")
    row[1].add_paragraph("{%p if o.details %}")
    detail = row[1].add_paragraph()
    run = detail.add_run("{{ o.details }}")
    run.italic = True
    run.font.size = Pt(8)
    row[1].add_paragraph("{%p endif %}")
    cell_text(row[2], "{{ o.to }}")
    cell_text(row[3], "{{ o.recurrence }}")
    cell_text(row[4], "{{ o.first_due_short }}")
    table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    _drop_row(table, 4)
    hold_rows(table, header_rows=1)
    tag(document, "{%p endif %}")
    heading = document.add_paragraph("{{ labels.signatures }}", style="Heading 1")  # type: ignore[attr-defined]
    heading.paragraph_format.keep_with_next = True
    tag(document, "{%p for s in signatures %}")
    party = document.add_paragraph()  # type: ignore[attr-defined]
    party.add_run("{{ s.party }}").bold = True
    party.paragraph_format.space_after = Pt(0)
    party.paragraph_format.keep_with_next = True
    document.add_paragraph("{{ s.text }}")  # type: ignore[attr-defined]
    tag(document, "{%p endfor %}")
    end = document.add_paragraph()  # type: ignore[attr-defined]
    end.paragraph_format.space_before = Pt(18)
    small = end.add_run("{{ version_label }} · {{ labels.content_hash }}: {{ content_hash }}")
    small.font.size = Pt(8)
    add_signature_page(document)
    return document


def add_table(document: Doc, widths: list[float], rows: int) -> object:
    """Add a fixed-layout grid table with the given column widths (cm)."""
    table = document.add_table(rows=rows, cols=len(widths))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
    return table


def cell_text(cell: object, text: str, *, bold: bool = False, size: float = 9) -> None:
    """Write `text` into the first paragraph of a table cell."""
    paragraph = cell.paragraphs[0]  # type: ignore[attr-defined]
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)


def _drop_row(table: object, index: int) -> None:
    row = table.rows[index]._tr  # type: ignore[attr-defined]
    row.getparent().remove(row)


def hold_rows(table: object, header_rows: int = 0) -> None:
    """Keep each row on one page; repeat the first `header_rows` rows on every page."""
    from coopkit.render.tables import hold_rows as hold

    hold(table._tbl, header_rows)  # type: ignore[attr-defined]


def page_break(document: Doc) -> None:
    """Add a paragraph holding only a page break."""
    from docx.enum.text import WD_BREAK

    paragraph = document.add_paragraph()  # type: ignore[attr-defined]
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.add_run().add_break(WD_BREAK.PAGE)


def add_signature_page(document: Doc) -> None:
    """Add the signature page: per party Ort/Datum and Unterschrift lines, name and function."""
    page_break(document)
    document.add_paragraph("{{ labels.signature_page }}", style="Heading 1")  # type: ignore[attr-defined]
    document.add_paragraph("{{ labels.signature_intro }}")  # type: ignore[attr-defined]
    table = add_table(document, [7.5, 1.5, 7.5], rows=6)
    _no_borders(table)
    table.rows[0].cells[0].paragraphs[0].add_run("{%tr for s in signatures %}")
    party = table.rows[1].cells[0].merge(table.rows[1].cells[2])
    party.paragraphs[0].paragraph_format.space_before = Pt(18)
    party.paragraphs[0].paragraph_format.keep_with_next = True
    party.paragraphs[0].add_run("{{ labels.for_party }} {{ s.party }}").bold = True
    lines = table.rows[2].cells
    for cell in (lines[0], lines[2]):
        paragraph = cell.paragraphs[0]
        paragraph.paragraph_format.space_before = Pt(30)
        paragraph.paragraph_format.space_after = Pt(0)
        paragraph.paragraph_format.keep_with_next = True
    lines[0].paragraphs[0].add_run("{{ s.place_date }}")
    _rule(lines[0])
    _rule(lines[2])
    captions = table.rows[3].cells
    cell_text(captions[0], "{{ labels.place_date }}", size=8)
    cell_text(captions[2], "{{ labels.signature }}", size=8)
    for cell in (captions[0], captions[2]):
        cell.paragraphs[0].paragraph_format.keep_with_next = True
    who = table.rows[4].cells
    cell_text(who[0], "{{ labels.name }}: {{ s.name }}")
    cell_text(who[2], "{{ labels.function }}: {{ s.function_line }}")
    table.rows[5].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    hold_rows(table)


def _rule(cell: object) -> None:
    """Draw the signature line: a bottom border under the cell."""
    tc_pr = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    borders = OxmlElement("w:tcBorders")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "0"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    tc_pr.append(borders)


def _no_borders(table: object) -> None:
    table.style = None  # type: ignore[attr-defined]
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    tbl_pr = table._tbl.tblPr  # type: ignore[attr-defined]
    layout = tbl_pr.find(qn("w:tblLayout"))
    if layout is not None:
        layout.addprevious(borders)
    else:
        tbl_pr.append(borders)


from templates_meetings import (  # noqa: E402
    build_cancellation,
    build_invitation,
    build_minutes,
)

TEMPLATES: dict[str, Callable[[], Doc]] = {
    "agreement.docx": build_agreement,
    "invitation.docx": build_invitation,
    "cancellation.docx": build_cancellation,
    "minutes.docx": build_minutes,
}


def _followup_templates() -> dict[str, Callable[[], Doc]]:
    from templates_followup import FOLLOWUP_TEMPLATES

    return FOLLOWUP_TEMPLATES


TEMPLATES.update(_followup_templates())


def trim_styles(document: Doc) -> None:
    """Keep only the styles the template uses (and what they build on).

    python-docx's default package carries 164 style definitions (350 KB); every render would
    parse, rewrite and compress them. Word still offers its built-in styles by name.
    """
    import re

    styles = document.styles.element  # type: ignore[attr-defined]
    used: set[str] = set()
    parts = [document.element]  # type: ignore[attr-defined]
    section = document.sections[0]  # type: ignore[attr-defined]
    parts.append(section.footer._element)
    for part in parts:
        xml = part.xml
        used |= set(re.findall(r'w:(?:pStyle|rStyle|tblStyle) w:val="([^"]+)"', xml))
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    keep = {i for i, s in by_id.items() if s.get(qn("w:default")) in ("1", "true")}
    todo = list(used | keep)
    while todo:
        style_id = todo.pop()
        if style_id in keep and style_id not in used:
            used.add(style_id)
        keep.add(style_id)
        element = by_id.get(style_id)
        if element is None:
            continue
        for ref in ("w:basedOn", "w:link", "w:next"):
            found = element.find(qn(ref))
            if found is not None and found.get(qn("w:val")) not in keep:
                todo.append(found.get(qn("w:val")))
    for style_id, element in by_id.items():
        if style_id not in keep:
            styles.remove(element)


def save(document: Doc, name: str) -> None:
    """Write a template with German language settings and neutral, fixed properties."""
    import io

    from coopkit.render.package import DocumentInfo, finish_docx

    trim_styles(document)
    buffer = io.BytesIO()
    document.save(buffer)  # type: ignore[attr-defined]
    info = DocumentInfo(title=f"coopkit: {name}", author="coopkit", lang="de")
    (TARGET / name).write_bytes(finish_docx(buffer.getvalue(), info))


def main(argv: list[str] | None = None) -> int:
    """Write the named templates (all when none are named) into templates/."""
    names = (argv if argv is not None else sys.argv[1:]) or sorted(TEMPLATES)
    unknown = [n for n in names if n not in TEMPLATES]
    if unknown:
        sys.stderr.write(
            f"unknown template(s): {', '.join(unknown)}; known: {', '.join(sorted(TEMPLATES))}\n"
        )
        return 2
    TARGET.mkdir(exist_ok=True)
    for name in names:
        save(TEMPLATES[name](), name)
        sys.stdout.write(f"templates/{name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
