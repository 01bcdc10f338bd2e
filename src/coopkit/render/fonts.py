"""Fonts a .docx names, and whether this machine has them or a metric-compatible twin.

LibreOffice renders a missing font with a wider fallback and re-wraps table cells in the middle
of words; the check runs before a PDF is made and names the Debian package that helps.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

from coopkit.errors import T, TemplateError

TWINS: dict[str, tuple[str, str]] = {
    "calibri": ("Carlito", "fonts-crosextra-carlito"),
    "carlito": ("Calibri", "fonts-crosextra-carlito"),
    "cambria": ("Caladea", "fonts-crosextra-caladea"),
    "caladea": ("Cambria", "fonts-crosextra-caladea"),
    "arial": ("Liberation Sans", "fonts-liberation"),
    "liberation sans": ("Arial", "fonts-liberation"),
    "times new roman": ("Liberation Serif", "fonts-liberation"),
    "liberation serif": ("Times New Roman", "fonts-liberation"),
    "courier new": ("Liberation Mono", "fonts-liberation"),
    "liberation mono": ("Courier New", "fonts-liberation"),
}
"""Font -> (its metric-compatible twin, the Debian package with the free one of the pair)."""

SYMBOL_FONTS = frozenset({"segoe ui symbol", "ms gothic", "symbol", "wingdings"})
"""Fonts of single symbols (the checklist's box): any fallback with the glyph sets them alike."""

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MAX_PART = 50 * 1024 * 1024


def _q(name: str) -> str:
    return f"{{{_W}}}{name}"


def _fonts_of(element: Any) -> set[str]:
    """Return the Latin fonts (w:ascii, w:hAnsi) named by `w:rFonts` below `element`."""
    found: set[str] = set()
    for fonts in element.iter(_q("rFonts")):
        for attribute in ("ascii", "hAnsi"):
            value = fonts.get(_q(attribute))
            if value:
                found.add(value)
    return found


def _part(archive: zipfile.ZipFile, name: str) -> Any:
    from lxml import etree

    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _MAX_PART:
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(archive.read(info), parser)


def document_fonts(docx: Path) -> set[str]:
    """Return the Latin fonts the document's text uses.

    Those named in the text itself, in the document defaults, and in the styles the text uses
    (with the styles they are based on, and the default styles). A style no text uses (Word's
    templates carry dozens, "Macro Text" in Courier among them) does not count: its font never
    reaches the page.
    """
    with zipfile.ZipFile(docx) as archive:
        document = _part(archive, "word/document.xml")
        styles = _part(archive, "word/styles.xml")
    found: set[str] = set()
    used: set[str] = set()
    if document is not None:
        found |= _fonts_of(document)
        for tag in ("pStyle", "rStyle", "tblStyle"):
            used |= {e.get(_q("val")) for e in document.iter(_q(tag)) if e.get(_q("val"))}
    if styles is None:
        return found
    defaults = styles.find(_q("docDefaults"))
    if defaults is not None:
        found |= _fonts_of(defaults)
    by_id = {}
    for style in styles.iter(_q("style")):
        style_id = style.get(_q("styleId"))
        if style_id:
            by_id[style_id] = style
            if style.get(_q("default")) in ("1", "true"):
                used.add(style_id)
    seen: set[str] = set()
    todo = list(used)
    while todo:
        style_id = todo.pop()
        style = by_id.get(style_id)
        if style is None or style_id in seen:
            continue
        seen.add(style_id)
        found |= _fonts_of(style)
        for link in ("basedOn", "link"):
            ref = style.find(_q(link))
            if ref is not None and ref.get(_q("val")):
                todo.append(ref.get(_q("val")))
    return found


def installed_families() -> set[str] | None:
    """Return the font families fontconfig knows (lower case), None without `fc-list`."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run(
            [fc_list, ":", "family"], check=False, capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {name.strip().lower() for line in out.splitlines() for name in line.split(",")}


def missing_fonts(fonts: set[str], installed: set[str]) -> list[tuple[str, str | None]]:
    """Return (font, Debian package or None) for each font neither present nor its twin."""
    missing = []
    for font in sorted(fonts):
        key = font.lower()
        twin = TWINS.get(key)
        if (
            key in SYMBOL_FONTS
            or key in installed
            or (twin is not None and twin[0].lower() in installed)
        ):
            continue
        missing.append((font, twin[1] if twin else None))
    return missing


def check_fonts(documents: list[Path]) -> None:
    """Refuse to render PDF when a font of the documents and its twin are both missing."""
    installed = installed_families()
    if installed is None:
        return
    fonts: set[str] = set()
    for document in documents:
        if document.suffix.lower() == ".docx":
            try:
                fonts |= document_fonts(document)
            except (OSError, zipfile.BadZipFile):
                continue
    missing = missing_fonts(fonts, installed)
    if not missing:
        return
    packages = sorted({p for _, p in missing if p})
    names = ", ".join(f for f, _ in missing)
    hint = (
        T("apt-get install {p}", "apt-get install {p}", p=" ".join(packages))
        if packages
        else T("die Schrift installieren", "install the font")
    )
    raise TemplateError(
        T(
            "Schrift(en) {f} fehlen auf diesem Rechner (auch kein metrisch gleicher Ersatz); "
            "LibreOffice würde eine breitere Schrift nehmen und Wörter in Tabellenzellen "
            "trennen. Bitte vor der PDF-Ausgabe: {h}. Die .docx-Datei liegt bereit: {d}",
            "font(s) {f} missing on this machine (and no metric-compatible replacement); "
            "LibreOffice would use a wider font and split words in table cells. Before the "
            "PDF output, please: {h}. The .docx file is ready: {d}",
            f=names,
            h=hint,
            d=", ".join(str(d) for d in documents),
        )
    )
