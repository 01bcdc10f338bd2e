"""PDF through LibreOffice, when it is installed: archival PDF/A-2b, tagged, many files at once."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from coopkit.errors import T, TemplateError

TIMEOUT = 180
PDF_FILTER = "pdf:writer_pdf_Export:" + json.dumps(
    {
        "SelectPdfVersion": {"type": "long", "value": "2"},
        "UseTaggedPDF": {"type": "boolean", "value": "true"},
        "PDFUACompliance": {"type": "boolean", "value": "true"},
    },
    separators=(",", ":"),
)
"""PDF/A-2b, tagged, with the PDF/UA flag; title and language come from the document."""


def find_soffice() -> str | None:
    """Return the LibreOffice binary, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _missing(documents: Sequence[Path]) -> TemplateError:
    return TemplateError(
        T(
            "LibreOffice ist nicht installiert; für PDF bitte installieren "
            "(z. B. apt-get install libreoffice-writer). Die .docx-Datei liegt bereit: {p}",
            "LibreOffice is not installed; install it for PDF output "
            "(e.g. apt-get install libreoffice-writer). The .docx file is ready: {p}",
            p=", ".join(str(d) for d in documents),
        )
    )


def convert_many(documents: Sequence[Path], target_format: str = "pdf") -> list[Path]:
    """Convert documents with one LibreOffice process; each result lies next to its source.

    PDF is written as PDF/A-2b (tagged). LibreOffice exits 0 even when it fails, so every
    output file is checked.
    """
    if not documents:
        return []
    soffice = find_soffice()
    if soffice is None:
        raise _missing(documents)
    if target_format == "pdf":
        from coopkit.render.fonts import check_fonts

        check_fonts(list(documents))
    sources = [d.resolve() for d in documents]
    groups: dict[Path, list[Path]] = {}
    for source in sources:
        groups.setdefault(source.parent, []).append(source)
    targets = [s.with_suffix("." + target_format) for s in sources]
    before = {t: t.stat().st_mtime_ns if t.exists() else None for t in targets}
    filter_name = PDF_FILTER if target_format == "pdf" else target_format
    with tempfile.TemporaryDirectory(prefix="coop-soffice-") as profile:
        for folder, files in groups.items():
            try:
                subprocess.run(
                    [
                        soffice,
                        f"-env:UserInstallation=file://{profile}",
                        "--headless",
                        "--norestore",
                        "--convert-to",
                        filter_name,
                        "--outdir",
                        str(folder),
                        *[str(f) for f in files],
                    ],
                    check=False,
                    capture_output=True,
                    timeout=TIMEOUT + 10 * len(files),
                )
            except subprocess.TimeoutExpired as err:
                raise TemplateError(
                    T(
                        "LibreOffice antwortet nicht (>{s} s)",
                        "LibreOffice did not finish (>{s} s)",
                        s=TIMEOUT,
                    )
                ) from err
    for source, target in zip(sources, targets, strict=True):
        old = before[target]
        if not target.exists() or (old is not None and target.stat().st_mtime_ns <= old):
            raise TemplateError(
                T(
                    "LibreOffice konnte {p} nicht umwandeln",
                    "LibreOffice could not convert {p}",
                    p=str(source),
                )
            )
    return targets


def convert(document: Path, target_format: str = "pdf") -> Path:
    """Convert one document with LibreOffice next to it; return the new file."""
    return convert_many([document], target_format)[0]
