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
FONT = "Calibri"
"""Word's default; LibreOffice substitutes the metric-compatible Carlito."""

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
    document.add_paragraph("{{ labels.obligations }}", style="Heading 1")  # type: ignore[attr-defined]
    headers = ["who", "what", "to_whom", "how_often", "first_due", "condition"]
    cells = [
        "{{ o.by }}",
        "{{ o.what }}{% if o.how %} ({{ o.how }}){% endif %}",
        "{{ o.to }}",
        "{{ o.recurrence }}",
        "{{ o.first_due }}",
        "{{ o.condition }}",
    ]
    widths = [Cm(2.9), Cm(4.9), Cm(2.6), Cm(2.1), Cm(2.0), Cm(2.0)]
    table = document.add_table(rows=4, cols=len(headers))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for index, key in enumerate(headers):
        cell = table.rows[0].cells[index]
        header = cell.paragraphs[0].add_run(f"{{{{ labels.{key} }}}}")
        header.bold = True
        header.font.size = Pt(9)
        cell.width = widths[index]
    _repeat_header(table.rows[0])
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for o in obligations %}")
    for index, text in enumerate(cells):
        table.rows[2].cells[index].paragraphs[0].add_run(text).font.size = Pt(9)
        table.rows[2].cells[index].width = widths[index]
    table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    tag(document, "{%p endif %}")
    document.add_paragraph("{{ labels.signatures }}", style="Heading 1")  # type: ignore[attr-defined]
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
    return document


from templates_meetings import build_invitation, build_minutes  # noqa: E402

TEMPLATES: dict[str, Callable[[], Doc]] = {
    "agreement.docx": build_agreement,
    "invitation.docx": build_invitation,
    "minutes.docx": build_minutes,
}


def _followup_templates() -> dict[str, Callable[[], Doc]]:
    from templates_followup import FOLLOWUP_TEMPLATES

    return FOLLOWUP_TEMPLATES


TEMPLATES.update(_followup_templates())


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
        document = TEMPLATES[name]()
        document.core_properties.author = "coopkit"  # type: ignore[attr-defined]
        document.save(TARGET / name)  # type: ignore[attr-defined]
        sys.stdout.write(f"templates/{name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
