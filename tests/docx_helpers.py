"""Checks every test applies to a generated .docx: it opens, it validates, LibreOffice reads it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lxml import etree

# python-docx's default template always carries these two findings.
ALLOWED_AUDIT = ("stylesWithEffects",)


def document_xml(data: bytes) -> str:
    """Return word/document.xml pretty-printed (for golden files and assertions)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    return etree.tostring(root, pretty_print=True, encoding="unicode")


def document_text(data: bytes) -> str:
    """Return all w:t and w:delText text of the body, paragraphs separated by newlines."""
    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    lines = []
    for para in root.iter(f"{{{ns['w']}}}p"):
        lines.append("".join(t.text or "" for t in para.iter(f"{{{ns['w']}}}t")))
    return "\n".join(lines)


def assert_valid_docx(data: bytes, tmp_path: Path, name: str = "check.docx") -> None:
    """python-docx opens it and openxml-audit finds nothing beyond the known allow-list."""
    import docx
    from openxml_audit import OpenXmlValidator

    docx.Document(io.BytesIO(data))
    path = tmp_path / name
    path.write_bytes(data)
    result = OpenXmlValidator().validate(path)
    errors = [str(e) for e in result.errors if not any(a in str(e) for a in ALLOWED_AUDIT)]
    assert not errors, "\n".join(errors[:20])


def convert_with_libreoffice(soffice: str, path: Path, fmt: str = "pdf") -> Path:
    """Convert with LibreOffice and return the output (it exits 0 even on failure)."""
    from coopkit.render.pdf import convert

    out = convert(path, fmt)
    assert out.exists() and out.stat().st_size > 0
    return out
