"""Fonts a .docx names, and whether this machine has them or a metric-compatible twin.

LibreOffice renders a missing font with a wider fallback and re-wraps table cells in the middle
of words; the check runs before a PDF is made and names the Debian package that helps.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

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

_PARTS = ("word/styles.xml", "word/document.xml")
_ASCII = re.compile(rb'<w:rFonts\b[^>]*?\bw:(?:ascii|hAnsi)="([^"]+)"')
_MAX_PART = 50 * 1024 * 1024


def document_fonts(docx: Path) -> set[str]:
    """Return the Latin fonts (w:ascii, w:hAnsi) the document's styles and text name."""
    found: set[str] = set()
    with zipfile.ZipFile(docx) as archive:
        for name in _PARTS:
            try:
                info = archive.getinfo(name)
            except KeyError:
                continue
            if info.file_size > _MAX_PART:
                continue
            found.update(m.decode("utf-8") for m in _ASCII.findall(archive.read(info)))
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
