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

from coopkit.i18n import _, gettext

MONTHS_DE = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
_DAY_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ORDINAL_DE = {1: "ersten", 2: "zweiten", 3: "dritten", 4: "vierten", 5: "fünften"}
_LAST_DE = {1: "letzten", 2: "vorletzten", 3: "drittletzten"}
_ORDINAL_EN = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
_LAST_EN = {1: "last", 2: "second-to-last", 3: "third-to-last"}
_BYDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNITS = {
    "YEARLY": ("jährlich", "Jahre", "yearly", "years"),
    "MONTHLY": ("monatlich", "Monate", "monthly", "months"),
    "WEEKLY": ("wöchentlich", "Wochen", "weekly", "weeks"),
    "DAILY": ("täglich", "Tage", "daily", "days"),
    "HOURLY": ("stündlich", "Stunden", "hourly", "hours"),
    "MINUTELY": ("jede Minute", "Minuten", "every minute", "minutes"),
    "SECONDLY": ("jede Sekunde", "Sekunden", "every second", "seconds"),
}
_NAMED_MONTHS = {3: ("vierteljährlich", "quarterly"), 6: ("halbjährlich", "half-yearly")}


def rule_parts(rule: str) -> dict[str, str]:
    """Split `FREQ=…;BY…=…` into upper-case keys and their values."""
    body = rule.strip().removeprefix("RRULE:")
    return {k.strip().upper(): v.strip() for k, _, v in (p.partition("=") for p in body.split(";"))}


def _join(items: Sequence[str], de: bool, word: str | None = None) -> str:
    word = word or ("und" if de else "and")
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


def _ordinal(n: int, de: bool) -> str:
    """Return "ersten"/"letzten"/"10." (German, after "am") or "first"/"last"/"10th"."""
    if n > 0:
        table = _ORDINAL_DE if de else _ORDINAL_EN
        if n in table:
            return table[n]
        return f"{n}." if de else _number_en(n)
    table = _LAST_DE if de else _LAST_EN
    if -n in table:
        return table[-n]
    return f"{-n}.-letzten" if de else f"{_ordinal(-n, False)}-to-last"


def _number_en(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _month_day(n: int, de: bool) -> str:
    if n > 0:
        return f"{n}." if de else _number_en(n)
    return f"{_ordinal(n, True)} Tag" if de else f"{_ordinal(n, False)} day"


def _weekday(code: str, de: bool) -> str:
    return (_DAY_DE if de else _DAY_EN)[DAYS.index(code)]


def _frequency(freq: str, interval: int, de: bool) -> str:
    once_de, unit_de, once_en, unit_en = _UNITS[freq]
    if interval == 1:
        return once_de if de else once_en
    if freq == "MONTHLY" and interval in _NAMED_MONTHS:
        return _NAMED_MONTHS[interval][0 if de else 1]
    if freq == "MONTHLY" and interval % 12 == 0:
        return _frequency("YEARLY", interval // 12, de)
    return f"alle {interval} {unit_de}" if de else f"every {interval} {unit_en}"


def _spread(months: list[int]) -> int | None:
    """Return the step when `months` are evenly spread over the year (2 and 8: 6), else None."""
    ordered = sorted(set(months))
    if len(ordered) < 2 or 12 % len(ordered):
        return None
    step = 12 // len(ordered)
    if all(b - a == step for a, b in zip(ordered, ordered[1:], strict=False)):
        return step
    return None


def _until_text(value: str, de: bool) -> str | None:
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(?:T\d{6}Z?)?", value.strip())
    if match is not None and 1 <= int(match.group(2)) <= 12:
        year, month, day = (int(g) for g in match.groups())
    else:
        # dateutil reads other forms too; describe what it would expand.
        from dateutil.parser import parse

        try:
            moment = parse(value)
        except (ValueError, OverflowError):
            return "bis zu einem Enddatum" if de else "until an end date"
        year, month, day = moment.year, moment.month, moment.day
    if de:
        return f"bis {day:02d}.{month:02d}.{year}"
    return f"until {day} {MONTHS_EN[month - 1]} {year}"


def _days_in_set(byday: list[tuple[int | None, str]], de: bool) -> str:
    codes = [code for _, code in byday]
    if sorted(codes, key=DAYS.index) == list(DAYS[:5]) and len(codes) == 5:
        return "Werktag (Montag bis Freitag)" if de else "weekday (Monday to Friday)"
    return _join([_weekday(c, de) for c in codes], de, "oder" if de else "or")


def describe_rule(rule: str, lang: str = "de") -> str:
    """Return an RRULE in words ("jährlich im Februar und September", "am ersten Montag im Monat").

    Every part RFC 5545 defines is put into words; an unknown FREQ reads "nach eigener Regel".
    """
    de = lang != "en"
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
    month_names = MONTHS_DE if de else MONTHS_EN

    text = _frequency(freq, interval, de)
    details: list[str] = []

    step = _spread(months) if freq == "YEARLY" and interval == 1 else None
    if step is not None and step in _NAMED_MONTHS:
        text = _NAMED_MONTHS[step][0 if de else 1]
    elif step is not None and step != 1:
        text = _("alle {step} Monate", step=step).format(lang)
    elif step == 1:
        text = gettext("monatlich", lang)

    scope = ""  # what an ordinal weekday or a month day counts within
    if months and step != 1:
        scope = _join([month_names[m - 1] for m in months], de)
    elif freq == "MONTHLY" or (freq == "YEARLY" and step == 1):
        scope = gettext("Monat", lang)
    elif freq == "YEARLY":
        scope = gettext("Jahr", lang)

    if setpos and (byday or monthdays):
        candidates = (
            _days_in_set(byday, de)
            if byday
            else _join([_month_day(d, de) for d in monthdays], de, gettext("oder", lang))
        )
        which = _join([_ordinal(n, de) for n in setpos], de)
        if de:
            where = f" im {scope}" if scope else ""
            of = "" if byday else "der Tage "
            details.append(f"am {which} {of}{candidates}{where}")
        else:
            where = (
                f" of the {scope}"
                if scope in ("month", "year")
                else f" in {scope}"
                if scope
                else ""
            )
            of = "" if byday else "of the days "
            details.append(f"on the {which} {of}{candidates}{where}")
        months = []
        setpos = []
    elif monthdays:
        if months and step != 1 and len(monthdays) == 1 and monthdays[0] > 0:
            day = monthdays[0]
            dates = [
                _("{day}. {month}", day=day, month=month_names[m - 1]).format(lang) for m in months
            ]
            details.append((gettext("am", lang) + " ") + _join(dates, de))
            months = []
        elif monthdays == [-1] and not months:
            details.append(gettext(", zum Monatsende", lang))
        else:
            days = _join([_month_day(d, de) for d in monthdays], de)
            named = bool(months) and step != 1
            if de:
                details.append(f"am {days}" + (f" im {scope}" if named else " des Monats"))
            else:
                details.append(f"on the {days}" + (f" in {scope}" if named else " of the month"))
            months = []
    elif byday:
        with_ordinal = [(n, c) for n, c in byday if n is not None]
        plain = [c for n, c in byday if n is None]
        if with_ordinal:
            if len({c for _, c in with_ordinal}) == 1:
                ordinals = _join([_ordinal(n, de) for n, _ in with_ordinal], de)
                joined = f"{ordinals} {_weekday(with_ordinal[0][1], de)}"
            else:
                items = [f"{_ordinal(n, de)} {_weekday(c, de)}" for n, c in with_ordinal]
                joined = _join(items, de)
            if de:
                details.append(f"am {joined}" + (f" im {scope}" if scope else ""))
            else:
                where = (
                    f" of the {scope}"
                    if scope in ("month", "year")
                    else f" in {scope}"
                    if scope
                    else ""
                )
                details.append(f"on the {joined}{where}")
            months = []
        if plain:
            names = [
                (_weekday(c, de) + "s").lower() if de else f"{_weekday(c, de)}s" for c in plain
            ]
            details.append(_join(names, de) if de else "on " + _join(names, de))
    if months and step != 1:
        details.insert(
            0, (gettext("im", lang) + " ") + _join([month_names[m - 1] for m in months], de)
        )

    trailers: list[str] = []
    yeardays = [d for d in _numbers(parts.get("BYYEARDAY")) if d]
    if yeardays:
        days = _join([_month_day(d, de) for d in yeardays], de)
        details.append(_("am {days} des Jahres", days=days).format(lang))
    weeks = [w for w in _numbers(parts.get("BYWEEKNO")) if w]
    if weeks:
        listed = _join([str(w) if w > 0 else _ordinal(w, de) for w in weeks], de)
        trailers.append(_("in Kalenderwoche {listed}", listed=listed).format(lang))
    hours = [h for h in _numbers(parts.get("BYHOUR")) if 0 <= h <= 23]
    minutes = [m for m in _numbers(parts.get("BYMINUTE")) if 0 <= m <= 59]
    seconds = [s for s in _numbers(parts.get("BYSECOND")) if 0 <= s <= 60]
    if hours:
        minute = minutes[0] if len(minutes) == 1 else 0
        times = [f"{h}:{minute:02d}" for h in hours]
        trailers.append(_("um {times} Uhr", times=_join(times, de)).format(lang))
        if len(minutes) > 1:
            listed = _join([str(m) for m in minutes], de)
            trailers.append(_("zur Minute {listed}", listed=listed).format(lang))
    elif minutes:
        listed = _join([str(m) for m in minutes], de)
        trailers.append(_("zur Minute {listed}", listed=listed).format(lang))
    if seconds:
        listed = _join([str(s) for s in seconds], de)
        trailers.append(_("zur Sekunde {listed}", listed=listed).format(lang))
    if setpos:
        listed = _join([str(n) for n in setpos], de)
        trailers.append(
            f"davon jeweils Termin Nr. {listed} (von hinten bei negativer Zahl)"
            if de and any(n < 0 for n in setpos)
            else f"davon jeweils Termin Nr. {listed}"
            if de
            else f"of these, occurrence no. {listed} (counted from the end when negative)"
            if any(n < 0 for n in setpos)
            else f"of these, occurrence no. {listed}"
        )
    wkst = parts.get("WKST", "").upper()
    if wkst in DAYS and wkst != "MO":
        first = _weekday(wkst, de)
        trailers.append(_("Wochen beginnen am {first}", first=first).format(lang))

    count = _numbers(parts.get("COUNT"))
    if count:
        trailers.append(_("{count}-mal", count=count[0]).format(lang))
    until = _until_text(parts.get("UNTIL", ""), de) if "UNTIL" in parts else None
    if until:
        trailers.append(until)

    # A frequency word that only repeats what the details already say is dropped (not before
    # a detail that continues it after a comma).
    monthly = ("im Monat", "des Monats") if de else ("of the month",)
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
