"""Printing: messages, problems, tables and JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from coopkit.errors import Problem, T

# Tabs and line breaks are harmless; every other C0/C1 control could steer the terminal.
_CONTROL = {
    code: f"\\x{code:02x}"
    for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))
    if code not in (0x09, 0x0A)
}
_CONTROL[0x0D] = "\\r"
_ONE_LINE = {**_CONTROL, 0x0A: "\\n", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def clean(text: str, *, one_line: bool = False) -> str:
    """Escape control characters (ESC shown as backslash-x1b) so text cannot steer a terminal.

    Args:
        text: text that may hold names, ids or messages from the files.
        one_line: also show line breaks as backslash-n (for fields that are one line).
    """
    return text.translate(_ONE_LINE if one_line else _CONTROL)


def say(text: str | T, lang: str = "de", *, err: bool = False, one_line: bool = False) -> None:
    """Print text to stdout (or stderr), control characters escaped."""
    line = text.format(lang) if isinstance(text, T) else text
    stream = sys.stderr if err else sys.stdout
    stream.write(clean(line, one_line=one_line) + "\n")
    stream.flush()


def _default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, T):
        return value.format("de")
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(type(value).__name__)


def answer_fields(value: Any) -> dict[str, Any]:
    """Return a dataclass's fields as a dict (shallow), to join `"ok"` in one JSON answer."""
    return {k: getattr(value, k) for k in value.__dataclass_fields__}


def print_json(data: Any) -> None:
    """Print data as indented JSON (dates as ISO strings)."""
    sys.stdout.write(json.dumps(data, default=_default, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def problem_dict(problem: Problem, lang: str) -> dict[str, Any]:
    """Return a problem as a JSON object."""
    return {
        "path": problem.source.path,
        "line": problem.source.line,
        "col": problem.source.col,
        "code": problem.code,
        "message": problem.message.format(lang),
    }


def print_problems(problems: Sequence[Problem], lang: str, *, err: bool = False) -> None:
    """Print each problem as `path:line:col: message`, then a summary line."""
    for problem in problems:
        say(problem.format(lang), err=err, one_line=True)
    files = len({p.source.path for p in problems})
    say(
        T(
            "{n} Problem(e) in {f} Datei(en)",
            "{n} problem(s) in {f} file(s)",
            n=len(problems),
            f=files,
        ),
        lang,
        err=err,
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Return a plain-text table with aligned columns."""
    cells = [[str(h) for h in headers]] + [
        ["" if c is None else clean(str(c), one_line=True) for c in r] for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
