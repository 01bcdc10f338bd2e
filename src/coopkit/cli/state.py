"""Global options of `coop` and the service context built from them."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from coopkit.cli.framework import LANGUAGES, set_language
from coopkit.errors import T, UsageError

if TYPE_CHECKING:
    from coopkit.queries.context import Context


@dataclass
class CliState:
    """What the root callback parsed: repository, output mode, clock, person, language."""

    directory: Path | None = None
    json: bool = False
    today: date | None = None
    author: str | None = None
    lang: str | None = None
    allow_personal_data: bool = False
    resolved_lang: str | None = None
    """The language once the repository (and its coop.toml locale) is known."""

    def language(self) -> str:
        """Return the message language: --lang, COOP_LANG, the repository's locale, else German."""
        lang = self.lang or os.environ.get("COOP_LANG") or self.resolved_lang or "de"
        return lang if lang in LANGUAGES else "de"

    def context(self, *, discover: bool = True) -> Context:
        """Build the service context; find the repository root unless told not to."""
        from coopkit.queries.context import Context, find_root

        start = self.directory or Path.cwd()
        root = find_root(start) if discover else start.resolve()
        lang = self.lang or os.environ.get("COOP_LANG")
        if lang is None and discover:
            lang = _config_locale(root)
        self.resolved_lang = lang if lang in LANGUAGES else "de"
        set_language(self.resolved_lang)
        return Context(
            root=root,
            today=self.today or date.today(),
            lang=self.resolved_lang,
            author_text=self.author or os.environ.get("COOP_AUTHOR") or None,
            allow_personal_data=self.allow_personal_data,
        )


def _config_locale(root: Path) -> str | None:
    from coopkit.queries.locale import config_locale

    return config_locale(root)


def get_state(ctx: typer.Context | Any) -> CliState:
    """Return the state the root callback stored on the typer context."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


YEAR_MIN = 1900
YEAR_MAX = 2200
_ISO_DAY = re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")
_GERMAN_DAY = re.compile(r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4}|\d{2})")
_TIME = re.compile(r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?(?:\s*Uhr)?", re.IGNORECASE)


def _full_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        # As strptime's %y: 69..99 are the 1900s, 00..68 the 2000s.
        year += 1900 if year >= 69 else 2000
    return year


def parse_day(value: str | None, option: str) -> date | None:
    """Parse a date typed on the command line: 31.12.2026, 31.12.26, 1.2.2026 or 2026-12-31."""
    if value is None:
        return None
    text = value.strip()
    match = _ISO_DAY.fullmatch(text) or _GERMAN_DAY.fullmatch(text)
    if match is not None:
        try:
            day = date(_full_year(match.group("y")), int(match.group("m")), int(match.group("d")))
        except ValueError:
            day = None
        if day is not None and YEAR_MIN <= day.year <= YEAR_MAX:
            return day
        if day is not None:
            raise UsageError(
                T(
                    "{o}: „{v}“ liegt außerhalb der Jahre {a} bis {b}",
                    '{o}: "{v}" is outside the years {a} to {b}',
                    o=option,
                    v=value,
                    a=YEAR_MIN,
                    b=YEAR_MAX,
                )
            )
    raise UsageError(
        T(
            "{o}: „{v}“ ist kein Datum; erwartet TT.MM.JJJJ (31.12.2026), TT.MM.JJ (31.12.26) "
            "oder JJJJ-MM-TT (2026-12-31)",
            '{o}: "{v}" is not a date; expected DD.MM.YYYY (31.12.2026), DD.MM.YY (31.12.26) '
            "or YYYY-MM-DD (2026-12-31)",
            o=option,
            v=value,
        )
    )


def parse_time(value: str | None, option: str) -> str | None:
    """Parse a time of day typed on the command line (14:00, 14.00, 14 Uhr, 9:30) into HH:MM."""
    if value is None:
        return None
    match = _TIME.fullmatch(value.strip())
    if match is not None:
        hour, minute = int(match.group("h")), int(match.group("m") or 0)
        if hour <= 23 and minute <= 59:
            return f"{hour:02d}:{minute:02d}"
    raise UsageError(
        T(
            "{o}: „{v}“ ist keine Uhrzeit; erwartet HH:MM (14:00, 9:30), HH.MM (14.00) "
            "oder „14 Uhr“",
            '{o}: "{v}" is not a time of day; expected HH:MM (14:00, 9:30), HH.MM (14.00) '
            'or "14 Uhr"',
            o=option,
            v=value,
        )
    )


def check_language() -> None:
    """Refuse a COOP_LANG other than de or en (a usage error naming the allowed values)."""
    value = os.environ.get("COOP_LANG")
    if value and value not in LANGUAGES:
        raise UsageError(
            T(
                "COOP_LANG: „{v}“ ist keine Sprache; erlaubt: de oder en",
                'COOP_LANG: "{v}" is not a language; allowed: de or en',
                v=value,
            )
        )
