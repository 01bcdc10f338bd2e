"""Dates as people read them: "7. Februar 2014" in German, "7 February 2014" in English."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel.dates import format_date

from coopkit.i18n import N_, gettext

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
        format=gettext("dd.MM.yyyy", lang),
        locale=_LOCALES.get(lang, "de_DE"),
    )


_UNITS = (
    (N_("{n} Jahr"), N_("{n} Jahre")),
    (N_("{n} Monat"), N_("{n} Monate")),
    (N_("{n} Woche"), N_("{n} Wochen")),
    (N_("{n} Tag"), N_("{n} Tage")),
)
"""Each unit of a period, once and many times (both languages count 1 as the only singular)."""


def overdue_words(days: int, lang: str = "de") -> str:
    """Return how long something is overdue: "1 Tag überfällig", "12 Tage überfällig"."""
    one, many = N_("{n} Tag überfällig"), N_("{n} Tage überfällig")
    return gettext(one if days == 1 else many, lang).format(n=days)


def period_words(parts: tuple[int, int, int, int], lang: str = "de") -> str:
    """Return a length of time in words ("3 Monate", "1 Jahr und 6 Monate")."""
    words = [
        gettext(one if amount == 1 else many, lang).format(n=amount)
        for amount, (one, many) in zip(parts, _UNITS, strict=True)
        if amount
    ]
    joiner = " " + gettext("und", lang) + " "
    return joiner.join(words)
