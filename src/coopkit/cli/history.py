"""History entries as the log commands print them (`coop log`, `coop agreement log`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coopkit.cli.output import print_json, say
from coopkit.errors import T

if TYPE_CHECKING:
    from coopkit.queries.history import LogEntry


def print_log(entries: list[LogEntry], as_json: bool, lang: str) -> None:
    """Print log entries as text blocks, or as JSON."""
    if as_json:
        print_json({"ok": True, "entries": entries})
        return
    if not entries:
        say(T("keine Einträge", "no entries"), lang)
        return
    for entry in entries:
        tags = f"  [{', '.join(entry.tags)}]" if entry.tags else ""
        say(f"{entry.date.date().isoformat()}  {entry.commit[:10]}  {entry.author}{tags}")
        say(f"    {entry.subject}")
        for path in entry.paths:
            say(f"      {path}")
