"""The "who informs whom" matrix as a Markdown table or a Word document."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Matrix:
    """Rows are the partners who owe, columns those who receive; cells list what flows."""

    title: str
    subtitle: str
    partners: Sequence[tuple[str, str]]
    """(id, display name) in row and column order."""
    cells: Mapping[tuple[str, str], Sequence[str]]
    """(from, to) -> lines such as "Angebote informieren (vierteljährlich)"."""
    corner: str = "von \\ an"
    empty: str = "—"


def _escape_md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_matrix_md(matrix: Matrix) -> str:
    """Return the matrix as a Markdown document with one table."""
    names = [name for _, name in matrix.partners]
    lines = [f"# {matrix.title}", "", matrix.subtitle, ""]
    lines.append("| " + " | ".join([matrix.corner, *map(_escape_md, names)]) + " |")
    lines.append("|" + "---|" * (len(names) + 1))
    for source, source_name in matrix.partners:
        row = [f"**{_escape_md(source_name)}**"]
        for target, _ in matrix.partners:
            items = matrix.cells.get((source, target), [])
            row.append("<br>".join(_escape_md(i) for i in items) if items else matrix.empty)
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def render_matrix_docx(matrix: Matrix, lang: str = "de", author: str = "") -> bytes:
    """Return the matrix as a landscape Word document with one table."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    from coopkit.render.package import DocumentInfo, finish_docx
    from coopkit.render.tables import W, hold_rows

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    document.add_heading(matrix.title, level=1)
    document.add_paragraph(matrix.subtitle)
    size = len(matrix.partners) + 1
    table = document.add_table(rows=size, cols=size)
    table.style = "Table Grid"
    width = Cm(26.7 / size)

    def put(row: int, col: int, lines: Sequence[str], bold: bool = False) -> None:
        cell = table.cell(row, col)
        cell.width = width
        paragraph = cell.paragraphs[0]
        for n, line in enumerate(lines):
            if n:
                paragraph = cell.add_paragraph()
            run = paragraph.add_run(line)
            run.bold = bold
            run.font.size = Pt(8)

    put(0, 0, [matrix.corner], bold=True)
    for index, (_, name) in enumerate(matrix.partners, start=1):
        put(0, index, [name], bold=True)
        put(index, 0, [name], bold=True)
    for r, (source, _) in enumerate(matrix.partners, start=1):
        for c, (target, _) in enumerate(matrix.partners, start=1):
            items = list(matrix.cells.get((source, target), []))
            put(r, c, items or [matrix.empty])
    # The table just added is the body's last: reached through the public `Document.element`.
    hold_rows(document.element.body.findall(f"{{{W}}}tbl")[-1], header_rows=1)
    out = io.BytesIO()
    document.save(out)
    info = DocumentInfo(title=matrix.title, subject=matrix.subtitle, author=author, lang=lang)
    return finish_docx(out.getvalue(), info)
