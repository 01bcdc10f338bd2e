"""Working days: Monday to Friday minus the Land's public holidays and the municipal ones chosen.

Holidays come from the `holidays` package, imported only when a date may move: the import and
the first calendar cost about 0.2 s, which no command pays unless an obligation asks for it
(`on_holiday` other than `keep`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from coopkit.i18n import N_, gettext
from coopkit.model.agreement import OnHoliday
from coopkit.model.config import MUNICIPAL_HOLIDAYS, Config

_WEEKDAYS = {
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_WEEKEND = {5: ("Samstag", "Saturday"), 6: ("Sonntag", "Sunday")}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_AUGSBURG = "Augsburger Hohes Friedensfest"
_LONGEST_RUN = 31
"""No run of non-working days is longer; a guard against a calendar that never opens."""


@cache
def calendar_stamp() -> str:
    """Identify the installed holiday data, for keys of kept due dates (nothing is imported).

    Its version file's path, size and time change with every install of another release.
    """
    from importlib.util import find_spec

    spec = find_spec("holidays")
    if spec is None or not spec.submodule_search_locations:
        return ""
    version = Path(next(iter(spec.submodule_search_locations))) / "version.py"
    try:
        info = version.stat()
    except OSError:
        return ""
    return f"{version}:{info.st_size}:{info.st_mtime_ns}"


def day_words(day: date, lang: str = "de") -> str:
    """Return a day with its weekday, compact: "Sa 3.10.2026" / "Sat 3 Oct 2026"."""
    if lang == "en":
        return f"{_WEEKDAYS['en'][day.weekday()]} {day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{_WEEKDAYS['de'][day.weekday()]} {day.day}.{day.month}.{day.year}"


_RULE_WORDS = {
    "next-working-day": N_(
        "fällt die Fälligkeit auf ein Wochenende oder einen Feiertag: am nächsten Werktag"
    ),
    "previous-working-day": N_(
        "fällt die Fälligkeit auf ein Wochenende oder einen Feiertag: am Werktag davor"
    ),
}


def rule_words(rule: OnHoliday, lang: str = "de") -> str:
    """Return what `on_holiday` agrees, in words; empty for `keep`."""
    words = _RULE_WORDS.get(rule)
    return "" if words is None else gettext(words, lang)


@dataclass(frozen=True, slots=True)
class DayOff:
    """A day that is no working day, and why: a holiday's name, or "Samstag"/"Sonntag"."""

    day: date
    de: str
    en: str
    holiday: bool

    def name(self, lang: str = "de") -> str:
        """Return the day's name in `lang` (the holiday library names it in both)."""
        return {"de": self.de, "en": self.en}.get(lang, self.de)


@dataclass(frozen=True, slots=True)
class Shift:
    """A due date moved off non-working days: from `nominal` to `due`, past `days`."""

    nominal: date
    due: date
    days: tuple[DayOff, ...]
    """The non-working days passed over, the nominal day first."""

    def words(self, lang: str = "de") -> str:
        """Return why and where the date moved: "Sa 3.10.2026, Tag der Deutschen Einheit → Mo…".

        Holidays passed over after the nominal day are named too (a plain weekend is not).
        """
        named = [self.days[0], *(d for d in self.days[1:] if d.holiday)]
        reasons = "; ".join(f"{day_words(d.day, lang)}, {d.name(lang)}" for d in named)
        return f"{reasons} → {day_words(self.due, lang)}"


class Workdays:
    """The working days of one Land (nationwide holidays only without one)."""

    def __init__(self, land: str | None = None, municipal: Iterable[str] = ()) -> None:
        """Keep the Land and those of `municipal` that hold in some of its municipalities."""
        self.land = land
        allowed = MUNICIPAL_HOLIDAYS.get(land or "", ())
        self.municipal = frozenset(name for name in municipal if name in allowed)
        self._years: dict[int, dict[date, tuple[str, str]]] = {}

    @classmethod
    def of(cls, config: Config | None) -> Workdays:
        """Return the working days a repository's coop.toml sets (`land`, `[holidays]`)."""
        if config is None:
            return cls()
        return cls(config.land, config.holidays.municipal)

    def day_off(self, day: date) -> DayOff | None:
        """Return why `day` is no working day, or None for a working day."""
        names = self._holidays(day.year).get(day)
        if names is not None:
            return DayOff(day, names[0], names[1], True)
        weekend = _WEEKEND.get(day.weekday())
        return DayOff(day, *weekend, False) if weekend else None

    def shift(self, day: date, rule: OnHoliday) -> Shift | None:
        """Return where a due date on a non-working day goes under `rule`; None where it stays."""
        if rule == "keep":
            return None
        step = timedelta(days=1 if rule == "next-working-day" else -1)
        passed: list[DayOff] = []
        current = day
        while len(passed) < _LONGEST_RUN:
            off = self.day_off(current)
            if off is None:
                break
            passed.append(off)
            current += step
        return Shift(day, current, tuple(passed)) if passed else None

    def _holidays(self, year: int) -> dict[date, tuple[str, str]]:
        found = self._years.get(year)
        if found is None:
            found = self._years[year] = self._read(year)
        return found

    def _read(self, year: int) -> dict[date, tuple[str, str]]:
        """Return day -> (German name, English name) of the year's holidays."""
        import holidays  # only where a date may move (see the module docstring)

        def names(subdiv: str | None, categories: tuple[str, ...]) -> dict[date, tuple[str, str]]:
            found = {}
            de = holidays.country_holidays(
                "DE", subdiv=subdiv, years=year, language="de", categories=categories
            )
            en = holidays.country_holidays(
                "DE", subdiv=subdiv, years=year, language="en_US", categories=categories
            )
            for day, name in de.items():
                found[day] = (name, en.get(day, name))
            return found

        result = names(self.land, ("public",))
        if self.municipal:
            local = "Augsburg" if _AUGSBURG in self.municipal else self.land
            for day, (de, en) in names(local, ("public", "catholic")).items():
                pairs = list(zip(de.split("; "), en.split("; "), strict=False))
                chosen = [(d, e) for d, e in pairs if d in self.municipal]
                if chosen and day not in result:
                    result[day] = ("; ".join(d for d, _ in chosen), "; ".join(e for _, e in chosen))
        return result
