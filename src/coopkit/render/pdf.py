"""PDF through LibreOffice, when it is installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from coopkit.errors import T, TemplateError

TIMEOUT = 180


def find_soffice() -> str | None:
    """Return the LibreOffice binary, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(document: Path, target_format: str = "pdf") -> Path:
    """Convert a document with LibreOffice next to it; return the new file.

    LibreOffice exits 0 even when it fails, so the output file is checked.
    """
    soffice = find_soffice()
    if soffice is None:
        raise TemplateError(
            T(
                "LibreOffice ist nicht installiert; für PDF bitte installieren "
                "(z. B. apt-get install libreoffice-writer). Die .docx-Datei liegt bereit: {p}",
                "LibreOffice is not installed; install it for PDF output "
                "(e.g. apt-get install libreoffice-writer). The .docx file is ready: {p}",
                p=str(document),
            )
        )
    document = document.resolve()
    target = document.with_suffix("." + target_format)
    before = target.stat().st_mtime if target.exists() else None
    with tempfile.TemporaryDirectory(prefix="coop-soffice-") as profile:
        try:
            subprocess.run(
                [
                    soffice,
                    f"-env:UserInstallation=file://{profile}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    target_format,
                    "--outdir",
                    str(document.parent),
                    str(document),
                ],
                check=False,
                capture_output=True,
                timeout=TIMEOUT,
            )
        except subprocess.TimeoutExpired as err:
            raise TemplateError(
                T(
                    "LibreOffice antwortet nicht (>{s} s)",
                    "LibreOffice did not finish (>{s} s)",
                    s=TIMEOUT,
                )
            ) from err
    if not target.exists() or (before is not None and target.stat().st_mtime <= before):
        raise TemplateError(
            T(
                "LibreOffice konnte {p} nicht umwandeln",
                "LibreOffice could not convert {p}",
                p=str(document),
            )
        )
    return target
