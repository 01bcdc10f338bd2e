"""An RRULE (RFC 5545) in words, German and English: never the raw rule text.

`FREQ=YEARLY;BYMONTH=2,9` is "jährlich im Februar und September";
`FREQ=YEARLY;BYMONTH=2,8;BYMONTHDAY=1` is "halbjährlich am 1. Februar und 1. August" (months
evenly spread over the year name the rhythm: half-yearly, quarterly, every four months);
`FREQ=MONTHLY;BYDAY=1MO` is "am ersten Montag im Monat"; COUNT and UNTIL end the text
("5-mal", "bis 31.12.2026").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from coopkit.i18n import C_, N_, Msg, _, gettext, pgettext

MONTHS = (
    N_("Januar"),
    N_("Februar"),
    N_("März"),
    N_("April"),
    N_("Mai"),
    N_("Juni"),
    N_("Juli"),
    N_("August"),
    N_("September"),
    N_("Oktober"),
    N_("November"),
    N_("Dezember"),
)
"""Month names (German msgids; their English is in the catalog)."""
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY = (
    N_("Montag"),
    N_("Dienstag"),
    N_("Mittwoch"),
    N_("Donnerstag"),
    N_("Freitag"),
    N_("Samstag"),
    N_("Sonntag"),
)
_EVERY_DAY = (
    N_("montags"),
    N_("dienstags"),
    N_("mittwochs"),
    N_("donnerstags"),
    N_("freitags"),
    N_("samstags"),
    N_("sonntags"),
)
"""A weekday as a repetition ("montags" / "Mondays")."""
_ORDINAL = {1: N_("ersten"), 2: N_("zweiten"), 3: N_("dritten"), 4: N_("vierten"), 5: N_("fünften")}
_LAST = {1: N_("letzten"), 2: N_("vorletzten"), 3: N_("drittletzten")}
_BYDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNITS = {
    "YEARLY": (N_("jährlich"), N_("Jahre")),
    "MONTHLY": (N_("monatlich"), N_("Monate")),
    "WEEKLY": (N_("wöchentlich"), N_("Wochen")),
    "DAILY": (N_("täglich"), N_("Tage")),
    "HOURLY": (N_("stündlich"), N_("Stunden")),
    "MINUTELY": (N_("jede Minute"), N_("Minuten")),
    "SECONDLY": (N_("jede Sekunde"), N_("Sekunden")),
}
_NAMED_MONTHS = {3: N_("vierteljährlich"), 6: N_("halbjährlich")}
_WITHIN: dict[str, Msg] = {
    "unit": _("im {scope}"),
    "months": C_("months", "im {scope}"),
}
"""Where an ordinal counts: within a unit ("im Monat" / "of the month") or named months."""


def rule_parts(rule: str) -> dict[str, str]:
    """Split `FREQ=…;BY…=…` into upper-case keys and their values."""
    body = rule.strip().removeprefix("RRULE:")
    return {k.strip().upper(): v.strip() for k, _, v in (p.partition("=") for p in body.split(";"))}


def _join(items: Sequence[str], lang: str, word: str | None = None) -> str:
    word = word or gettext("und", lang)
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _numbers(value: str | None) -> list[int]:
    out = []
    for part in (value or "").split(","):
        try:
            out.append(int(part.strip()))
        except ValueError:
            continue
    return out


def _ordinal(n: int, lang: str) -> str:
    """Return "ersten"/"letzten"/"10." (German, after "am") or "first"/"last"/"10th"."""
    if n > 0:
        if n in _ORDINAL:
            return gettext(_ORDINAL[n], lang)
        return _number(n, lang)
    if -n in _LAST:
        return gettext(_LAST[-n], lang)
    # English writes the suffix ("21st-to-last"), German the dot: each text uses what it needs.
    return _("{n}.-letzten", n=-n, suffix=_english_suffix(-n)).format(lang)


def _english_suffix(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _number(n: int, lang: str) -> str:
    """Return an ordinal number: "10." / "10th"."""
    return _("{n}.", n=n, suffix=_english_suffix(n)).format(lang)


def _month_day(n: int, lang: str) -> str:
    if n > 0:
        return _number(n, lang)
    return _("{ordinal} Tag", ordinal=_ordinal(n, lang)).format(lang)


def _weekday(code: str, lang: str) -> str:
    return gettext(_DAY[DAYS.index(code)], lang)


def _month(m: int, lang: str) -> str:
    return gettext(MONTHS[m - 1], lang)


def _frequency(freq: str, interval: int, lang: str) -> str:
    once, units = _UNITS[freq]
    if interval == 1:
        return gettext(once, lang)
    if freq == "MONTHLY" and interval in _NAMED_MONTHS:
        return gettext(_NAMED_MONTHS[interval], lang)
    if freq == "MONTHLY" and interval % 12 == 0:
        return _frequency("YEARLY", interval // 12, lang)
    return _("alle {n} {units}", n=interval, units=gettext(units, lang)).format(lang)


def _spread(months: list[int]) -> int | None:
    """Return the step when `months` are evenly spread over the year (2 and 8: 6), else None."""
    ordered = sorted(set(months))
    if len(ordered) < 2 or 12 % len(ordered):
        return None
    step = 12 // len(ordered)
    if all(b - a == step for a, b in zip(ordered, ordered[1:], strict=False)):
        return step
    return None


def _until_text(value: str, lang: str) -> str | None:
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(?:T\d{6}Z?)?", value.strip())
    if match is not None and 1 <= int(match.group(2)) <= 12:
        year, month, day = (int(g) for g in match.groups())
    else:
        # dateutil reads other forms too; describe what it would expand.
        from dateutil.parser import parse

        try:
            moment = parse(value)
        except (ValueError, OverflowError):
            return gettext("bis zu einem Enddatum", lang)
        year, month, day = moment.year, moment.month, moment.day
    dd, mm = str(day).zfill(2), str(month).zfill(2)
    text = _("bis {dd}.{mm}.{year}", dd=dd, mm=mm, year=year)
    return text.format(lang, day=day, month=_month(month, lang))


def _days_in_set(byday: list[tuple[int | None, str]], lang: str) -> str:
    codes = [code for _, code in byday]
    if sorted(codes, key=DAYS.index) == list(DAYS[:5]) and len(codes) == 5:
        return gettext("Werktag (Montag bis Freitag)", lang)
    return _join([_weekday(c, lang) for c in codes], lang, gettext("oder", lang))


def describe_rule(rule: str, lang: str = "de") -> str:
    """Return an RRULE in words ("jährlich im Februar und September", "am ersten Montag im Monat").

    Every part RFC 5545 defines is put into words; an unknown FREQ reads "nach eigener Regel".
    """
    parts = rule_parts(rule)
    freq = parts.get("FREQ", "").upper()
    if freq not in _UNITS:
        return gettext("nach eigener Regel", lang)
    interval = max(1, (_numbers(parts.get("INTERVAL")) or [1])[0])
    months = [m for m in _numbers(parts.get("BYMONTH")) if 1 <= m <= 12]
    monthdays = [d for d in _numbers(parts.get("BYMONTHDAY")) if d and -31 <= d <= 31]
    setpos = [n for n in _numbers(parts.get("BYSETPOS")) if n]
    byday: list[tuple[int | None, str]] = []
    for item in parts.get("BYDAY", "").upper().split(","):
        match = _BYDAY.fullmatch(item.strip())
        if match:
            byday.append((int(match.group(1)) if match.group(1) else None, match.group(2)))
    text = _frequency(freq, interval, lang)
    details: list[str] = []

    step = _spread(months) if freq == "YEARLY" and interval == 1 else None
    if step is not None and step in _NAMED_MONTHS:
        text = gettext(_NAMED_MONTHS[step], lang)
    elif step is not None and step != 1:
        text = _("alle {step} Monate", step=step).format(lang)
    elif step == 1:
        text = gettext("monatlich", lang)

    scope = ""  # what an ordinal weekday or a month day counts within
    within = _WITHIN["unit"]
    if months and step != 1:
        scope = _join([_month(m, lang) for m in months], lang)
        within = _WITHIN["months"]
    elif freq == "MONTHLY" or (freq == "YEARLY" and step == 1):
        scope = gettext("Monat", lang)
    elif freq == "YEARLY":
        scope = gettext("Jahr", lang)
    where = " " + within.format(lang, scope=scope) if scope else ""

    if setpos and (byday or monthdays):
        candidates = (
            _days_in_set(byday, lang)
            if byday
            else _join([_month_day(d, lang) for d in monthdays], lang, gettext("oder", lang))
        )
        which = _join([_ordinal(n, lang) for n in setpos], lang)
        phrase = _("am {which} {days}{where}") if byday else _("am {which} der Tage {days}{where}")
        details.append(phrase.format(lang, which=which, days=candidates, where=where))
        months = []
        setpos = []
    elif monthdays:
        if months and step != 1 and len(monthdays) == 1 and monthdays[0] > 0:
            day = monthdays[0]
            dates = [
                _("{day}. {month}", day=day, month=_month(m, lang)).format(lang) for m in months
            ]
            details.append((gettext("am", lang) + " ") + _join(dates, lang))
            months = []
        elif monthdays == [-1] and not months:
            details.append(gettext(", zum Monatsende", lang))
        else:
            days = _join([_month_day(d, lang) for d in monthdays], lang)
            named = bool(months) and step != 1
            if named:
                details.append(_("am {days} im {scope}", days=days, scope=scope).format(lang))
            else:
                details.append(_("am {days} des Monats", days=days).format(lang))
            months = []
    elif byday:
        with_ordinal = [(n, c) for n, c in byday if n is not None]
        plain = [c for n, c in byday if n is None]
        if with_ordinal:
            if len({c for _, c in with_ordinal}) == 1:
                ordinals = _join([_ordinal(n, lang) for n, _ in with_ordinal], lang)
                joined = f"{ordinals} {_weekday(with_ordinal[0][1], lang)}"
            else:
                items = [f"{_ordinal(n, lang)} {_weekday(c, lang)}" for n, c in with_ordinal]
                joined = _join(items, lang)
            details.append(_("am {which}{where}", which=joined, where=where).format(lang))
            months = []
        if plain:
            names = [gettext(_EVERY_DAY[DAYS.index(c)], lang) for c in plain]
            details.append(C_("repeated days", "{days}", days=_join(names, lang)).format(lang))
    if months and step != 1:
        details.insert(
            0, (gettext("im", lang) + " ") + _join([_month(m, lang) for m in months], lang)
        )

    trailers: list[str] = []
    yeardays = [d for d in _numbers(parts.get("BYYEARDAY")) if d]
    if yeardays:
        days = _join([_month_day(d, lang) for d in yeardays], lang)
        details.append(_("am {days} des Jahres", days=days).format(lang))
    weeks = [w for w in _numbers(parts.get("BYWEEKNO")) if w]
    if weeks:
        listed = _join([str(w) if w > 0 else _ordinal(w, lang) for w in weeks], lang)
        trailers.append(_("in Kalenderwoche {listed}", listed=listed).format(lang))
    hours = [h for h in _numbers(parts.get("BYHOUR")) if 0 <= h <= 23]
    minutes = [m for m in _numbers(parts.get("BYMINUTE")) if 0 <= m <= 59]
    seconds = [s for s in _numbers(parts.get("BYSECOND")) if 0 <= s <= 60]
    if hours:
        minute = minutes[0] if len(minutes) == 1 else 0
        times = [f"{h}:{minute:02d}" for h in hours]
        trailers.append(_("um {times} Uhr", times=_join(times, lang)).format(lang))
        if len(minutes) > 1:
            listed = _join([str(m) for m in minutes], lang)
            trailers.append(_("zur Minute {listed}", listed=listed).format(lang))
    elif minutes:
        listed = _join([str(m) for m in minutes], lang)
        trailers.append(_("zur Minute {listed}", listed=listed).format(lang))
    if seconds:
        listed = _join([str(s) for s in seconds], lang)
        trailers.append(_("zur Sekunde {listed}", listed=listed).format(lang))
    if setpos:
        listed = _join([str(n) for n in setpos], lang)
        phrase = (
            _("davon jeweils Termin Nr. {listed} (von hinten bei negativer Zahl)")
            if any(n < 0 for n in setpos)
            else _("davon jeweils Termin Nr. {listed}")
        )
        trailers.append(phrase.format(lang, listed=listed))
    wkst = parts.get("WKST", "").upper()
    if wkst in DAYS and wkst != "MO":
        first = _weekday(wkst, lang)
        trailers.append(_("Wochen beginnen am {first}", first=first).format(lang))

    count = _numbers(parts.get("COUNT"))
    if count:
        trailers.append(_("{count}-mal", count=count[0]).format(lang))
    until = _until_text(parts.get("UNTIL", ""), lang) if "UNTIL" in parts else None
    if until:
        trailers.append(until)

    # A frequency word that only repeats what the details already say is dropped (not before
    # a detail that continues it after a comma).
    monthly = (
        _WITHIN["unit"].format(lang, scope=gettext("Monat", lang)),
        pgettext("rule ending", "des Monats", lang),
    )
    if (
        text == (gettext("monatlich", lang))
        and details
        and details[0].endswith(monthly)
        and not details[0].startswith(",")
    ):
        text = ""
    out = text
    for n, detail in enumerate(details):
        if detail.startswith(","):
            out += detail
        elif n == 0 and out:
            out += " " + detail
        else:
            out += (", " if out else "") + detail
    for trailer in trailers:
        out += (", " if out else "") + trailer
    return out.strip()
