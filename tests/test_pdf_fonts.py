"""Before a PDF: every font of the document, or its metric-compatible twin, is installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coopkit.errors import TemplateError
from coopkit.render import fonts, pdf

ROOT = Path(__file__).resolve().parent.parent


def test_default_templates_name_a_font_with_a_free_twin() -> None:
    for template in sorted((ROOT / "templates").glob("*.docx")):
        named = fonts.document_fonts(template) - {"Segoe UI Symbol"}
        assert named == {"Carlito"}, template.name


def test_twin_counts_and_missing_font_names_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    document = tmp_path / "minutes.docx"
    shutil.copy(ROOT / "templates" / "minutes.docx", document)
    monkeypatch.setattr(fonts, "installed_families", lambda: {"calibri", "dejavu sans"})
    fonts.check_fonts([document])
    monkeypatch.setattr(fonts, "installed_families", lambda: {"dejavu sans"})
    with pytest.raises(TemplateError) as err:
        pdf.convert_many([document], "pdf")
    assert "fonts-crosextra-carlito" in err.value.message.format("de")
    assert "Carlito" in err.value.message.format("en")
    assert not document.with_suffix(".pdf").exists()


def test_pdf_renders_when_the_font_is_installed(tmp_path: Path, soffice: str) -> None:
    installed = fonts.installed_families() or set()
    if "carlito" not in installed:
        pytest.skip("Carlito not installed")
    document = tmp_path / "minutes.docx"
    shutil.copy(ROOT / "templates" / "minutes.docx", document)
    [result] = pdf.convert_many([document], "pdf")
    assert result.read_bytes().startswith(b"%PDF")


def test_a_style_no_text_uses_does_not_count(tmp_path: Path) -> None:
    # python-docx's own template declares "Macro Text" in Courier; no paragraph uses it.
    from docx import Document

    document = Document()
    document.add_paragraph("Sitzungsleitung")
    plain = tmp_path / "plain.docx"
    document.save(str(plain))
    assert "Courier" not in fonts.document_fonts(plain)
    document.add_paragraph("Makro", style="macro")
    used = tmp_path / "used.docx"
    document.save(str(used))
    assert "Courier" in fonts.document_fonts(used)
