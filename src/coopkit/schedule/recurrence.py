"""Occurrences of an obligation from its first due date through the agreement's validity.

Durations (`every: P3M`) are counted from the anchor (`first_due`): the n-th occurrence is
`first_due + n × duration`, never the previous occurrence plus one step, so a month-end anchor
stays at month end (31 Jan + P1M = 28/29 Feb, + P2M = 31 Mar) and 29 Feb + P1Y = 28 Feb in
common years. An RRULE is expanded as RFC 5545 says, with DTSTART = `first_due` always the
first occurrence; `BYMONTHDAY=31` therefore skips months without a 31st (use `-1` for "the last
day of the month").
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr

from coopkit.errors import T
from coopkit.i18n import N_, _, gettext
from coopkit.model.agreement import Obligation
from coopkit.model.base import parse_duration
from coopkit.schedule.rule_words import describe_rule

MAX_OCCURRENCES = 5000
"""A daily duty over a long horizon stays bounded."""


class RecurrenceError(ValueError):
    """An obligation's recurrence cannot be expanded (e.g. a malformed RRULE)."""

    def __init__(self, message: T) -> None:
        super().__init__(message.format("en"))
        self.message = message


def horizon_end(today: date, years: int) -> date:
    """Return the last day occurrences of open-ended obligations are computed for."""
    return today + relativedelta(years=years)


def _end(valid_until: date | None, until: date | None) -> date | None:
    if valid_until is None:
        return until
    if until is None:
        return valid_until
    return min(valid_until, until)


def _nth(first: date, every: str, n: int, month_end: bool) -> date:
    """Return first + n × every, counted from the first date (month ends clamped)."""
    years, months, weeks, days = parse_duration(every)
    if not weeks and not days:
        # Calendar arithmetic by hand: the common case, and far quicker than relativedelta.
        total = first.month - 1 + n * (12 * years + months)
        year, month = first.year + total // 12, total % 12 + 1
        last = calendar.monthrange(year, month)[1]
        return date(year, month, last if month_end else min(first.day, last))
    if not years and not months:
        return first + timedelta(days=n * (7 * weeks + days))
    step = relativedelta(years=n * years, months=n * months, weeks=n * weeks, days=n * days)
    return first + step


def _rule_parts(rule: str) -> dict[str, str]:
    body = rule.removeprefix("RRULE:")
    return {k.upper(): v for k, _, v in (p.partition("=") for p in body.split(";") if p)}


def _expand_rrule(rule: str, first: date, end: date | None) -> list[date]:
    parts = _rule_parts(rule)
    if end is None and "COUNT" not in parts and "UNTIL" not in parts:
        raise RecurrenceError(
            T(
                "RRULE „{r}“ ohne Ende und ohne Horizont",
                'RRULE "{r}" has no end and no horizon',
                r=rule,
            )
        )
    if "UNTIL" in parts:
        # Due dates are naive days; an UNTIL in UTC form would clash with a naive DTSTART.
        parts["UNTIL"] = parts["UNTIL"].rstrip("Zz")
        rule = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        rule_set = rrulestr(
            rule.removeprefix("RRULE:"), dtstart=datetime.combine(first, time()), forceset=True
        )
    except (ValueError, TypeError) as err:
        raise RecurrenceError(
            T("RRULE „{r}“ ist ungültig: {e}", 'RRULE "{r}" is invalid: {e}', r=rule, e=str(err))
        ) from err
    # RFC 5545: DTSTART is always the first instance, even where the rule would not produce it.
    rule_set.rdate(datetime.combine(first, time()))
    days: list[date] = []
    for moment in rule_set:
        day = moment.date()
        if end is not None and day > end:
            break
        days.append(day)
        if len(days) >= MAX_OCCURRENCES:
            break
    return days


def occurrences(
    obligation: Obligation,
    valid_from: date | None,
    valid_until: date | None,
    until: date | None,
) -> list[date]:
    """Return the due dates of an obligation, oldest first.

    Args:
        obligation: the obligation; without `first_due` it has no dates (a per-case duty).
        valid_from: the agreement's start; earlier dates are dropped.
        valid_until: the agreement's end, or None while open-ended.
        until: the horizon for open-ended agreements (and any other cut-off).

    Raises:
        RecurrenceError: the RRULE cannot be expanded.
    """
    first = obligation.first_due
    if first is None:
        return []
    end = _end(valid_until, until)
    if obligation.rrule:
        days = _expand_rrule(obligation.rrule, first, end)
    elif obligation.every:
        if end is None:
            raise RecurrenceError(
                T("„every“ ohne Ende und ohne Horizont", '"every" without end or horizon')
            )
        days = []
        n = 0
        month_end = _is_month_end(first) and _months_only(obligation.every)
        while len(days) < MAX_OCCURRENCES:
            # Due "at the end of June" stays due at the end of each month it recurs in.
            day = _nth(first, obligation.every, n, month_end)
            if day > end:
                break
            days.append(day)
            n += 1
    else:
        days = [first] if end is None or first <= end else []
    return [d for d in days if valid_from is None or d >= valid_from]


def _is_month_end(day: date) -> bool:
    return (day + relativedelta(days=1)).day == 1


def _months_only(every: str) -> bool:
    _, _, weeks, days = parse_duration(every)
    return not weeks and not days


def _month_day_rule(anchor: date) -> str:
    if anchor.day == 31 or _is_month_end(anchor):
        return "BYMONTHDAY=-1"
    if anchor.day > 28:
        # Clamped to month end, as `occurrences` does: the largest of 28..d the month has.
        days = ",".join(str(d) for d in range(28, anchor.day + 1))
        return f"BYMONTHDAY={days};BYSETPOS=-1"
    return ""


def _until_text(day: date) -> str:
    return day.strftime("%Y%m%d")


def rrule_for(obligation: Obligation, until: date | None) -> str | None:
    """Return an RFC 5545 RRULE value for a recurring obligation, ending at `until`.

    The rule produces the same dates as `occurrences` (with DTSTART = `first_due` as an all-day
    date); `UNTIL` is written in date form. Returns None for a one-off obligation and for a
    duration that mixes months with weeks or days (no RRULE expresses that; list the dates).
    """
    first = obligation.first_due
    if first is None:
        return None
    if obligation.rrule:
        parts = _rule_parts(obligation.rrule)
        if "COUNT" in parts or until is None:
            return obligation.rrule
        if "UNTIL" in parts:
            own = parts["UNTIL"][:8]
            try:
                own_day = date(int(own[:4]), int(own[4:6]), int(own[6:8]))
            except ValueError:
                own_day = until
            parts["UNTIL"] = _until_text(min(own_day, until))
        else:
            parts["UNTIL"] = _until_text(until)
        return ";".join(f"{k}={v}" for k, v in parts.items())
    if not obligation.every:
        return None
    years, months, weeks, days = parse_duration(obligation.every)
    months_total = 12 * years + months
    if months_total and (weeks or days):
        return None
    if months_total:
        if months_total % 12 == 0:
            rule = f"FREQ=YEARLY;INTERVAL={months_total // 12}"
            if first.month == 2 and first.day == 29:
                rule += ";BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1"
        else:
            rule = f"FREQ=MONTHLY;INTERVAL={months_total}"
            extra = _month_day_rule(first)
            if extra:
                rule += ";" + extra
    elif weeks and not days:
        rule = f"FREQ=WEEKLY;INTERVAL={weeks}"
    else:
        rule = f"FREQ=DAILY;INTERVAL={7 * weeks + days}"
    if until is not None:
        rule += f";UNTIL={_until_text(until)}"
    return rule


_UNITS = {
    "Y": (N_("jährlich"), N_("Jahre")),
    "M": (N_("monatlich"), N_("Monate")),
    "W": (N_("wöchentlich"), N_("Wochen")),
    "D": (N_("täglich"), N_("Tage")),
}
"""Each unit of a duration: its adverb (once per unit) and its plural (every n units)."""
_NAMED = {
    (0, 3, 0, 0): N_("vierteljährlich"),
    (0, 6, 0, 0): N_("halbjährlich"),
    (0, 2, 0, 0): N_("alle 2 Monate"),
    (0, 0, 2, 0): N_("alle 2 Wochen"),
}


def _duration_words(key: tuple[int, int, int, int], lang: str) -> str:
    if key in _NAMED:
        return gettext(_NAMED[key], lang)
    nonzero = [(n, u) for n, u in zip(key, "YMWD", strict=True) if n]
    if len(nonzero) == 1:
        n, unit = nonzero[0]
        if n == 1:
            return gettext(_UNITS[unit][0], lang)
        if unit == "M" and n % 12 == 0:
            return _duration_words((n // 12, 0, 0, 0), lang)
        return _("alle {n} {units}", n=n, units=gettext(_UNITS[unit][1], lang)).format(lang)
    text = " ".join(f"{n} {gettext(_UNITS[u][1], lang)}" for n, u in nonzero)
    return _("alle {text}", text=text).format(lang)


def describe_frequency(obligation: Obligation, lang: str = "de") -> str:
    """Return how often an obligation is due, in words ("vierteljährlich", "jährlich", …)."""
    if obligation.every:
        return _duration_words(parse_duration(obligation.every), lang)
    if obligation.rrule:
        return describe_rule(obligation.rrule, lang)
    if obligation.first_due is not None:
        return gettext("einmalig", lang)
    if obligation.condition:
        return gettext("im Einzelfall", lang)
    return gettext("bei Bedarf", lang)
