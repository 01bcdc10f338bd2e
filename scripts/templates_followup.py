"""Builders of the follow-up templates: checklist.docx and report.docx.

Used by build_templates.py (TEMPLATES); run on its own to rebuild just these two:

    python scripts/templates_followup.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

sys.path.insert(0, str(Path(__file__).resolve().parent))

BOX_FONT = "Segoe UI Symbol"
"""Word shows U+2610 from this font (MS Gothic for East Asian text); LibreOffice falls back to
DejaVu Sans, which has the glyph too."""


def _base() -> Any:
    """Return build_templates (the running script itself when it is the entry point)."""
    main = sys.modules.get("__main__")
    if main is not None and hasattr(main, "new_document") and hasattr(main, "_repeat_header"):
        return main
    import build_templates

    return build_templates


def _table(
    document: Any, headers: Sequence[str], cells: Sequence[str], loop: str, widths: Sequence[float]
) -> Any:
    """Add a table: a bold header row, then one row per item of `loop` (`x in xs`)."""
    base = _base()
    table = document.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
    for index, header in enumerate(headers):
        cell = table.rows[0].cells[index]
        cell.width = Cm(widths[index])
        run = cell.paragraphs[0].add_run(header)
        run.bold = True
        run.font.size = Pt(9)
    base._repeat_header(table.rows[0])
    table.rows[1].cells[0].paragraphs[0].add_run(f"{{%tr for {loop} %}}")
    for index, text in enumerate(cells):
        cell = table.rows[2].cells[index]
        cell.width = Cm(widths[index])
        cell.paragraphs[0].add_run(text).font.size = Pt(10)
    table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    base.hold_rows(table, header_rows=1)
    return table


def build_checklist() -> Any:
    """Return the checklist template: per partner a table of open items with check boxes."""
    base = _base()
    document = base.new_document()
    base.add_page_number_footer(
        document, "{{ title }} · {{ name }} · {{ labels.as_of }} {{ today }}"
    )
    document.add_paragraph("{{ title }}", style="Title")
    base.tag(document, "{%p if meeting_title %}")
    document.add_paragraph("{{ meeting_title }}", style="Subtitle")
    base.tag(document, "{%p endif %}")
    meta = document.add_paragraph()
    meta.add_run("{{ name }} · {{ period }} · {{ labels.as_of }} {{ today }}").italic = True
    base.tag(document, "{%p for p in partners %}")
    document.add_paragraph("{{ p.name }}", style="Heading 1")
    table = _table(
        document,
        ["", "{{ labels.due }}", "{{ labels.what }}", "{{ labels.source }}"],
        ["{{ item.box }}", "{{ item.due }}", "{{ item.what }}", "{{ item.source }}"],
        "item in p.entries",
        [1.0, 3.0, 8.5, 4.0],
    )
    box_run = table.rows[2].cells[0].paragraphs[0].runs[0]
    box_run.font.size = Pt(14)
    fonts = box_run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), BOX_FONT)
    fonts.set(qn("w:eastAsia"), "MS Gothic")
    what = table.rows[2].cells[2]
    extra = what.add_paragraph()
    extra.add_run(
        "{% if item.who %}{{ item.who }} {% endif %}{% if item.late %}· {{ item.late }}{% endif %}"
    ).italic = True
    extra.runs[0].font.size = Pt(9)
    base.tag(document, "{%p endfor %}")
    base.tag(document, "{%p if not partners %}")
    document.add_paragraph("{{ labels.none }}")
    base.tag(document, "{%p endif %}")
    return document


def build_report() -> Any:
    """Return the evaluation report template: summary, tables and the chart."""
    base = _base()
    document = base.new_document()
    base.add_page_number_footer(
        document, "{{ labels.title }} · {{ title }} · {{ start }} – {{ end }}"
    )
    document.add_paragraph("{{ labels.title }} {{ start }} – {{ end }}", style="Title")
    document.add_paragraph("{{ title }}", style="Subtitle")
    meta = document.add_paragraph()
    meta.add_run(
        "{{ name }} · {{ labels.period }}: {{ start }} – {{ end }} · {{ labels.as_of }} {{ today }}"
    ).italic = True
    document.add_paragraph("{{ labels.summary }}", style="Heading 1")
    document.add_paragraph("{{ summary }}")
    base.tag(document, "{%p if assessment %}")
    document.add_paragraph("{{ labels.assessment }}", style="Heading 1")
    base.tag(document, "{%p for para in assessment %}")
    base.tag(document, "{%p if para.heading %}")
    document.add_paragraph("{{ para.text }}", style="Heading 2")
    base.tag(document, "{%p elif para.bullet %}")
    document.add_paragraph("{{ para.text }}", style="List Bullet")
    base.tag(document, "{%p else %}")
    document.add_paragraph("{{ para.text }}")
    base.tag(document, "{%p endif %}")
    base.tag(document, "{%p endfor %}")
    base.tag(document, "{%p endif %}")
    document.add_paragraph("{{ labels.obligations }}", style="Heading 1")
    base.tag(document, "{%p if obligations %}")
    _table(
        document,
        [
            "{{ labels.partner }}",
            "{{ labels.total }}",
            "{{ labels.fulfilled }}",
            "{{ labels.partly }}",
            "{{ labels.missed }}",
            "{{ labels.waived }}",
            "{{ labels.open }}",
            "{{ labels.rate }}",
        ],
        [
            "{{ o.name }}",
            "{{ o.total }}",
            "{{ o.fulfilled }}",
            "{{ o.partly }}",
            "{{ o.missed }}",
            "{{ o.waived }}",
            "{{ o.open }}",
            "{{ o.rate }}",
        ],
        "o in obligations",
        [4.1, 1.5, 1.6, 2.0, 2.0, 1.9, 1.4, 2.0],
    )
    chart = document.add_paragraph("{{ chart }}")
    chart.paragraph_format.keep_together = True
    base.tag(document, "{%p else %}")
    document.add_paragraph("{{ labels.none }}")
    base.tag(document, "{%p endif %}")
    base.tag(document, "{%p if notes %}")
    document.add_paragraph("{{ labels.notes }}", style="Heading 2")
    _table(
        document,
        ["{{ labels.partner }}", "{{ labels.due }}", "{{ labels.status }}", "{{ labels.note }}"],
        ["{{ n.name }}: {{ n.what }}", "{{ n.due }}", "{{ n.status }}", "{{ n.note }}"],
        "n in notes",
        [6.2, 2.1, 2.0, 6.2],
    )
    base.tag(document, "{%p endif %}")
    document.add_paragraph("{{ labels.meetings }}", style="Heading 1")
    base.tag(document, "{%p if meetings %}")
    _table(
        document,
        ["{{ labels.date }}", "{{ labels.meeting }}", "{{ labels.present }}"],
        ["{{ m.date }}", "{{ m.title }}", "{{ m.present }} ({{ m.people }})"],
        "m in meetings",
        [2.3, 7.0, 7.2],
    )
    document.add_paragraph("{{ labels.attendance }}", style="Heading 2")
    _table(
        document,
        ["{{ labels.partner }}", "{{ labels.attended }}"],
        ["{{ a.name }}", "{{ a.attended }} {{ labels.of }} {{ a.invited }}"],
        "a in attendance",
        [9.0, 7.5],
    )
    base.tag(document, "{%p else %}")
    document.add_paragraph("{{ labels.none }}")
    base.tag(document, "{%p endif %}")
    document.add_paragraph("{{ labels.decisions }}", style="Heading 1")
    base.tag(document, "{%p for d in decisions %}")
    document.add_paragraph("{{ d.date }}, TOP {{ d.top }}: {{ d.text }}", style="List Bullet")
    base.tag(document, "{%p else %}")
    document.add_paragraph("{{ labels.none }}")
    base.tag(document, "{%p endfor %}")
    document.add_paragraph("{{ labels.actions }}", style="Heading 1")
    document.add_paragraph(
        "{{ labels.opened }}: {{ action_summary.opened }} · {{ labels.closed }}: "
        "{{ action_summary.closed }} · {{ labels.open }}: {{ action_summary.open }} · "
        "{{ labels.overdue }}: {{ action_summary.overdue }} · {{ labels.avg_close }}: "
        "{{ action_summary.avg_close }} · {{ labels.oldest_open }}: "
        "{{ action_summary.oldest_open }}"
    )
    base.tag(document, "{%p if actions %}")
    _table(
        document,
        [
            "{{ labels.opened }}",
            "{{ labels.who }}",
            "{{ labels.what }}",
            "{{ labels.due }}",
            "{{ labels.status }}",
            "{{ labels.age }}",
        ],
        [
            "{{ a.opened }}",
            "{{ a.who }}",
            "{{ a.what }}",
            "{{ a.due }}",
            "{{ a.status }} {{ a.closed }}",
            "{{ a.age }}",
        ],
        "a in actions",
        [2.1, 3.3, 5.6, 2.1, 2.1, 1.3],
    )
    base.tag(document, "{%p endif %}")
    document.add_paragraph("{{ labels.revisions }}", style="Heading 1")
    base.tag(document, "{%p if revisions %}")
    _table(
        document,
        ["{{ labels.date }}", "{{ labels.kind }}", "{{ labels.text }}", "{{ labels.who }}"],
        ["{{ r.date }}", "{{ r.kind }}", "{{ r.text }}", "{{ r.who }}"],
        "r in revisions",
        [2.3, 2.5, 7.7, 4.0],
    )
    base.tag(document, "{%p else %}")
    document.add_paragraph("{{ labels.none }}")
    base.tag(document, "{%p endif %}")
    return document


def build_privacy() -> Any:
    """Return the record of processing (Art. 30 GDPR): per category a table of the people."""
    base = _base()
    document = base.new_document()
    base.add_page_number_footer(document, "{{ labels.title }} · {{ name }} · {{ today }}")
    document.add_paragraph("{{ labels.title }}", style="Title")
    document.add_paragraph("{{ name }}", style="Subtitle")
    meta = document.add_paragraph()
    meta.add_run(
        "{{ labels.controller }}: {{ controller }} · {{ labels.as_of }} {{ today }} · "
        "{{ labels.commits }}: {{ commits }}"
    ).italic = True
    document.add_paragraph("{{ labels.legal_basis }}", style="Heading 1")
    document.add_paragraph("{{ legal_basis }}")
    base.tag(document, "{%p for c in categories %}")
    document.add_paragraph("{{ c.title }}", style="Heading 1")
    document.add_paragraph("{{ c.summary }}")
    base.tag(document, "{%p if c.entries %}")
    _table(
        document,
        [
            "{{ labels.person }}",
            "{{ labels.since }}",
            "{{ labels.files }}",
            "{{ labels.commits }}",
            "{{ labels.due }}",
        ],
        ["{{ e.name }}", "{{ e.since }}", "{{ e.files }}", "{{ e.commits }}", "{{ e.due }}"],
        "e in c.entries",
        [4.5, 2.4, 5.4, 1.6, 2.6],
    )
    base.tag(document, "{%p endif %}")
    base.tag(document, "{%p endfor %}")
    return document


FOLLOWUP_TEMPLATES: dict[str, Callable[[], Any]] = {
    "checklist.docx": build_checklist,
    "report.docx": build_report,
    "privacy.docx": build_privacy,
}


def main() -> int:
    """Write the follow-up templates into templates/."""
    target = Path(__file__).resolve().parent.parent / "templates"
    del target
    for name, builder in FOLLOWUP_TEMPLATES.items():
        _base().save(builder(), name)
        sys.stdout.write(f"templates/{name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
