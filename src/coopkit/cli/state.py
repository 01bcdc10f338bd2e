"""Global options of `coop` and the service context built from them."""

from __future__ import annotations

import enum
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
    ssh_key: Path | None = None
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
            ssh_key=self.ssh_key
            or (Path(os.environ["COOP_SSH_KEY"]) if os.environ.get("COOP_SSH_KEY") else None),
        )

    def day(self, value: str | None, option: str, kind: DayKind) -> date | None:
        """Parse a date option and refuse a day outside what `kind` accepts, seen from --today."""
        return parse_bounded_day(value, option, kind, self.today or date.today())

    def bound(self, day: date, option: str, kind: DayKind) -> date:
        """Refuse a parsed day outside what `kind` accepts, seen from --today."""
        return check_day(day, option, kind, self.today or date.today())


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
PLAN_YEARS = 50
"""How far ahead a planned day (an effective date, a due date) may lie."""


class DayKind(enum.Enum):
    """What a date option means, and so which days it accepts (the one table of bounds).

    - `ANY`: a day to look at (`--today`, `--from`, `--to`): the years YEAR_MIN to YEAR_MAX;
      `--year` takes the same years (`check_year`).
    - `RECORDED`: the day something was done or declared (a sign-off, a sign request, a
      withdrawal, a termination's declaration, a release, a fulfilment, minutes sent or
      approved, an action closed, and every `--date` that dates a commit): not after today,
      since records are not post-dated.
    - `PLANNED`: a day that may lie ahead (an effective date, a meeting's date, a due date, a
      first due date, `--until`, `--reply-by`, a key's validity or revocation, `valid_from`
      and `valid_until`): not more than PLAN_YEARS years after today.
    """

    ANY = "any"
    RECORDED = "recorded"
    PLANNED = "planned"


def day_bounds(kind: DayKind, today: date) -> tuple[date, date]:
    """Return the first and last day a date option of `kind` accepts."""
    low, high = date(YEAR_MIN, 1, 1), date(YEAR_MAX, 12, 31)
    if kind is DayKind.RECORDED:
        high = min(high, today)
    elif kind is DayKind.PLANNED:
        high = min(high, date(min(today.year + PLAN_YEARS, YEAR_MAX), 12, 31))
    return low, high


def parse_bounded_day(value: str | None, option: str, kind: DayKind, today: date) -> date | None:
    """Parse a date option and refuse a day outside what `kind` accepts (see `DayKind`)."""
    day = parse_day(value, option)
    return None if day is None else check_day(day, option, kind, today)


def check_day(day: date, option: str, kind: DayKind, today: date) -> date:
    """Return `day`, or refuse it (a usage error naming the option and range) outside `kind`."""
    low, high = day_bounds(kind, today)
    if day > high and kind is DayKind.RECORDED:
        raise UsageError(
            T(
                "{o}: {d} liegt nach heute ({t}); ein Datum, an dem etwas geschah oder erklärt "
                "wurde, kann nicht in der Zukunft liegen",
                "{o}: {d} lies after today ({t}); the day something was done or declared "
                "cannot lie in the future",
                o=option,
                d=day.isoformat(),
                t=today.isoformat(),
            )
        )
    if not low <= day <= high:
        raise UsageError(
            T(
                "{o}: {d} liegt außerhalb von {a} bis {b}",
                "{o}: {d} lies outside {a} to {b}",
                o=option,
                d=day.isoformat(),
                a=low.isoformat(),
                b=high.isoformat(),
            )
        )
    return day


def check_year(year: int | None, option: str) -> int | None:
    """Return `year`, or refuse one outside YEAR_MIN to YEAR_MAX (a usage error)."""
    if year is not None and not YEAR_MIN <= year <= YEAR_MAX:
        raise UsageError(
            T(
                "{o}: {y} liegt außerhalb der Jahre {a} bis {b}",
                "{o}: {y} is outside the years {a} to {b}",
                o=option,
                y=year,
                a=YEAR_MIN,
                b=YEAR_MAX,
            )
        )
    return year


# ASCII digits only, matched whole (`fullmatch`); only spaces around are forgiven, never a
# newline or another control character (`$` and `.strip()` would let "14:00\n" through).
_ISO_DAY = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})")
_GERMAN_DAY = re.compile(r"(?P<d>[0-9]{1,2})\.(?P<m>[0-9]{1,2})\.(?P<y>[0-9]{4}|[0-9]{2})")
_TIME = re.compile(r"(?P<h>[0-9]{1,2})(?:[:.](?P<m>[0-9]{2}))?(?: ?Uhr)?", re.IGNORECASE)


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
    text = value.strip(" ")
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
    match = _TIME.fullmatch(value.strip(" "))
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


_WITHIN = re.compile(r"([0-9]+)\s*([dwm]?)")


def within_days(value: str) -> int:
    """Return the days of a `--within` value: 30d (days), 2w (weeks), 3m (months of 30 days)."""
    match = _WITHIN.fullmatch(value.strip().lower())
    if not match:
        raise UsageError(
            T(
                "--within: „{v}“ verstehe ich nicht; erwartet z. B. 30d, 2w oder 3m",
                '--within: cannot read "{v}"; expected e.g. 30d, 2w or 3m',
                v=value,
            )
        )
    # More digits than any allowed value has: too far (and int() of a huge string is slow).
    digits = match.group(1).lstrip("0") or "0"
    number, unit = (int(digits) if len(digits) < 10 else 10**9), match.group(2) or "d"
    days = number * {"d": 1, "w": 7, "m": 30}[unit]
    if days > MAX_WITHIN_DAYS:
        raise UsageError(
            T(
                "--within: höchstens {n} Tage (rund 100 Jahre), nicht „{v}“",
                '--within: at most {n} days (about 100 years), not "{v}"',
                n=MAX_WITHIN_DAYS,
                v=value,
            )
        )
    return days


MAX_WITHIN_DAYS = 36500
