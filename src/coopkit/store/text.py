"""Reading repository files as text: size limit, encoding, NUL bytes, conflict markers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from coopkit.errors import Problem, Source, T

MAX_FILE_BYTES = 1024 * 1024
"""Files larger than this are refused before parsing."""

_CONFLICT = re.compile(r"^(<<<<<<<|=======|>>>>>>>|\|\|\|\|\|\|\|)(?: |$)", re.MULTILINE)
BOM = "\ufeff"


@dataclass(frozen=True)
class TextFile:
    """A decoded file, remembering its BOM and line ending so a rewrite keeps them."""

    path: str
    text: str
    """Content with LF line endings and without BOM."""
    bom: bool = False
    crlf: bool = False

    def encode(self, text: str) -> bytes:
        """Encode new content of this file with the file's original BOM and line endings."""
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return ((BOM if self.bom else "") + text).encode("utf-8")


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    col = len(data[start:offset].decode("utf-8", errors="replace")) + 1
    return line, col


def decode_text(path: str, data: bytes) -> tuple[TextFile | None, list[Problem]]:
    """Decode a repository file, reporting every reason it cannot be read as text."""
    if len(data) > MAX_FILE_BYTES:
        return None, [
            Problem(
                Source(path),
                T(
                    "Datei ist {n} Bytes groß; erlaubt sind höchstens {m} Bytes",
                    "file is {n} bytes; at most {m} bytes are allowed",
                    n=len(data),
                    m=MAX_FILE_BYTES,
                ),
                "too-large",
            )
        ]
    problems: list[Problem] = []
    nul = data.find(b"\x00")
    if nul >= 0:
        line, col = _line_col(data, nul)
        problems.append(
            Problem(
                Source(path, line, col),
                T("NUL-Byte in einer Textdatei", "NUL byte in a text file"),
                "nul-byte",
            )
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line, col = _line_col(data, err.start)
        problems.append(
            Problem(
                Source(path, line, col),
                T(
                    "kein gültiges UTF-8 (Byte 0x{b:02x}); bitte als UTF-8 speichern",
                    "not valid UTF-8 (byte 0x{b:02x}); please save as UTF-8",
                    b=data[err.start],
                ),
                "encoding",
            )
        )
        return None, problems
    if problems:
        return None, problems
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    crlf = "\r\n" in text
    text = text.replace("\r\n", "\n")
    for match in _CONFLICT.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        problems.append(
            Problem(
                Source(path, line, 1),
                T(
                    "Konfliktmarkierung „{m}“ aus einem unvollständigen Merge; "
                    "bitte den Konflikt auflösen",
                    'conflict marker "{m}" from an unfinished merge; resolve the conflict',
                    m=match.group(1),
                ),
                "conflict-marker",
            )
        )
    if problems:
        return None, problems
    return TextFile(path, text, bom, crlf), []
