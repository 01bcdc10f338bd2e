"""Dates as people read them: "7. Februar 2014" in German, "7 February 2014" in English."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel.dates import format_date

_LOCALES = {"de": "de_DE", "en": "en_GB"}


@lru_cache(maxsize=8192)
def long_date(value: date | None, lang: str = "de") -> str:
    """Return a date written out ("7. Februar 2014"); empty for None."""
    if value is None:
        return ""
    return format_date(value, format="long", locale=_LOCALES.get(lang, "de_DE"))


@lru_cache(maxsize=8192)
def short_date(value: date | None, lang: str = "de") -> str:
    """Return a compact date ("07.02.2014" / "07/02/2014"); empty for None."""
    if value is None:
        return ""
    return format_date(
        value,
        format="dd.MM.yyyy" if lang != "en" else "dd/MM/yyyy",
        locale=_LOCALES.get(lang, "de_DE"),
    )


_UNITS = {
    "de": (("Jahr", "Jahre"), ("Monat", "Monate"), ("Woche", "Wochen"), ("Tag", "Tage")),
    "en": (("year", "years"), ("month", "months"), ("week", "weeks"), ("day", "days")),
}


def period_words(parts: tuple[int, int, int, int], lang: str = "de") -> str:
    """Return a length of time in words ("3 Monate", "1 Jahr und 6 Monate")."""
    units = _UNITS["en" if lang == "en" else "de"]
    words = [
        f"{amount} {one if amount == 1 else many}"
        for amount, (one, many) in zip(parts, units, strict=True)
        if amount
    ]
    joiner = " and " if lang == "en" else " und "
    return joiner.join(words)
