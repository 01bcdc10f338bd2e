"""Set or remove one key of coop.toml in its text: comments, order and layout stay as they are.

coop.toml is small and written by people; it is edited line by line (as `coop trust pin`
does) rather than re-serialised, so every comment and blank line survives. The result is read
back with `tomllib` and compared with the intended data: an edit that would land anywhere else
(a key written as a dotted key or an inline table) is refused instead of guessed.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from coopkit.errors import ConfigError, T

_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(?:#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")


def toml_value(value: Any) -> str:
    """Return `value` (text, whole number, true/false or a list of them) as a TOML literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    # A JSON string is a valid TOML basic string (the same escapes), non-ASCII kept readable.
    return json.dumps(str(value), ensure_ascii=False)


def _key_line(key: str) -> re.Pattern[str]:
    return re.compile(rf"^(\s*){re.escape(key)}\s*=")


def _value_span(lines: list[str], start: int) -> tuple[int, str]:
    """Return (index of the last line of the value starting on `start`, its trailing comment)."""
    first = lines[start]
    rest = first.split("=", 1)[1]
    # The value ends where what stands before a "#" parses on its own.
    for match in re.finditer("#", rest):
        try:
            tomllib.loads("x =" + rest[: match.start()])
        except tomllib.TOMLDecodeError:
            continue
        return start, rest[match.start() :]
    for end in range(start, len(lines)):
        try:
            tomllib.loads("x =" + "\n".join([rest, *lines[start + 1 : end + 1]]))
        except tomllib.TOMLDecodeError:
            continue
        return end, ""
    return start, ""


def _section_range(lines: list[str], section: str) -> tuple[int, int] | None:
    """Return (first line after the header, end) of `[section]`; "" is the top-level table."""
    if section == "":
        end = next((i for i, t in enumerate(lines) if _ANY_HEADER.match(t)), len(lines))
        return 0, end
    for i, text in enumerate(lines):
        match = _HEADER.match(text)
        if match and match.group(1) == section:
            end = next(
                (j for j in range(i + 1, len(lines)) if _ANY_HEADER.match(lines[j])), len(lines)
            )
            return i + 1, end
    return None


def _find(lines: list[str], section: str, key: str) -> tuple[int, int, str] | None:
    span = _section_range(lines, section)
    if span is None:
        return None
    pattern = _key_line(key)
    for i in range(*span):
        if pattern.match(lines[i]):
            end, comment = _value_span(lines, i)
            return i, end, comment
    return None


def set_key(text: str, section: str, key: str, value: Any) -> str:
    """Return coop.toml `text` with `key` of `[section]` ("" top level) set to `value`."""
    lines = text.split("\n")
    literal = toml_value(value)
    found = _find(lines, section, key)
    if found is not None:
        start, end, comment = found
        indent = _key_line(key).match(lines[start])
        lead = indent.group(1) if indent else ""
        tail = f"   {comment.lstrip()}" if comment else ""
        lines[start : end + 1] = [f"{lead}{key} = {literal}{tail}"]
    else:
        span = _section_range(lines, section)
        line = f"{key} = {literal}"
        if span is None:
            while lines and lines[-1] == "":
                lines.pop()
            lines += ["", f"[{section}]", line, ""]
        else:
            first, end = span
            # After the section's last key (or its header), before the blank lines that part it
            # from the next section.
            at = first
            for i in range(first, end):
                if "=" in lines[i] and not lines[i].lstrip().startswith("#"):
                    at = _value_span(lines, i)[0] + 1
            if section == "" and at == 0:
                at = next((i for i, t in enumerate(lines) if not t.startswith("#")), len(lines))
            lines.insert(at, line)
    return _checked(text, "\n".join(lines), section, key, value)


def unset_key(text: str, section: str, key: str) -> str:
    """Return coop.toml `text` without `key` of `[section]`; its own comment line goes too."""
    lines = text.split("\n")
    found = _find(lines, section, key)
    if found is None:
        return text
    start, end, _ = found
    del lines[start : end + 1]
    return _checked(text, "\n".join(lines), section, key, None)


def _checked(old: str, new: str, section: str, key: str, value: Any) -> str:
    """Return `new` when it differs from `old` in exactly the one key, else refuse."""
    before = tomllib.loads(old)
    try:
        after = tomllib.loads(new)
    except tomllib.TOMLDecodeError:
        after = None
    expected = dict(before)
    table = dict(expected.get(section, {})) if section else expected
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value
    if section:
        expected[section] = table
    if after != expected:
        where = f"[{section}] {key}" if section else key
        raise ConfigError(
            T(
                "coop.toml: {k} ist dort in einer Form geschrieben, die coop nicht sicher ändern "
                "kann (gepunkteter Schlüssel oder Inline-Tabelle); bitte von Hand ändern und "
                "„coop commit coop.toml“",
                "coop.toml: {k} is written in a form coop cannot change safely (a dotted key or "
                'an inline table); please edit it by hand and run "coop commit coop.toml"',
                k=where,
            )
        )
    return new
