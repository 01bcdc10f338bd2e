"""RRULEs in words: every rule the schema accepts, in German and English, never the raw text."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from dateutil.rrule import rrulestr
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from coopkit.model.agreement import Obligation
from coopkit.schedule import describe_frequency
from coopkit.schedule.rule_words import describe_rule


@pytest.mark.parametrize(
    ("rule", "de", "en"),
    [
        (
            "FREQ=YEARLY;BYMONTH=2,9",
            "jährlich im Februar und September",
            "yearly in February and September",
        ),
        (
            "FREQ=YEARLY;BYMONTH=2,8;BYMONTHDAY=1",
            "halbjährlich am 1. Februar und 1. August",
            "half-yearly on February 1 and August 1",
        ),
        (
            "FREQ=YEARLY;BYMONTH=2,9;BYMONTHDAY=1",
            "jährlich am 1. Februar und 1. September",
            "yearly on February 1 and September 1",
        ),
        (
            "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=15",
            "vierteljährlich am 15. Januar, 15. April, 15. Juli und 15. Oktober",
            "quarterly on January 15, April 15, July 15 and October 15",
        ),
        ("FREQ=MONTHLY;BYDAY=1MO", "am ersten Montag im Monat", "on the first Monday of the month"),
        (
            "FREQ=MONTHLY;BYDAY=-1FR",
            "am letzten Freitag im Monat",
            "on the last Friday of the month",
        ),
        (
            "FREQ=MONTHLY;BYDAY=1MO,3MO",
            "am ersten und dritten Montag im Monat",
            "on the first and third Monday of the month",
        ),
        (
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            "am letzten Werktag (Montag bis Freitag) im Monat",
            "on the last weekday (Monday to Friday) of the month",
        ),
        (
            "FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU",
            "vierteljährlich am zweiten Dienstag im Monat",
            "quarterly on the second Tuesday of the month",
        ),
        (
            "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=5",
            "wöchentlich montags und donnerstags, 5-mal",
            "weekly on Mondays and Thursdays, 5 times",
        ),
        (
            "FREQ=MONTHLY;UNTIL=20261231",
            "monatlich, bis 31.12.2026",
            "monthly, until 31 December 2026",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            "monatlich, zum Monatsende",
            "monthly, to the last day of the month",
        ),
        (
            "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=-1",
            "halbjährlich, zum Monatsende",
            "half-yearly, to the last day of the month",
        ),
        ("FREQ=YEARLY;INTERVAL=2", "alle 2 Jahre", "every 2 years"),
        (
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1",
            "jährlich am letzten der Tage 28. oder 29. im Februar",
            "yearly on the last of the days 28th or 29th in February",
        ),
    ],
)
def test_rules_in_words(rule: str, de: str, en: str) -> None:
    assert describe_rule(rule, "de") == de
    assert describe_rule(rule, "en") == en


def test_describe_frequency_uses_the_words_for_an_rrule() -> None:
    ob = Obligation(
        id="bericht",
        by=["kreis"],
        what="Bericht",
        rrule="FREQ=YEARLY;BYMONTH=2,9",
        first_due=date(2026, 2, 1),
    )
    assert describe_frequency(ob, "de") == "jährlich im Februar und September"


DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def _list(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(values, min_size=1, max_size=4, unique=True).map(",".join)


def _nonzero(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).filter(bool).map(str)


PARTS = {
    "INTERVAL": st.integers(1, 12).map(str),
    "BYMONTH": _list(st.integers(1, 12).map(str)),
    "BYMONTHDAY": _list(_nonzero(-31, 31)),
    "BYDAY": _list(
        st.tuples(
            st.sampled_from(["", "1", "2", "3", "4", "-1", "-2", "+1"]), st.sampled_from(DAYS)
        ).map("".join)
    ),
    "BYSETPOS": _list(_nonzero(-5, 5)),
    "BYYEARDAY": _list(_nonzero(-366, 366)),
    "BYWEEKNO": _list(_nonzero(-53, 53)),
    "BYHOUR": _list(st.integers(0, 23).map(str)),
    "BYMINUTE": _list(st.integers(0, 59).map(str)),
    "WKST": st.sampled_from(DAYS),
    "COUNT": st.integers(1, 50).map(str),
    "UNTIL": st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)).map(
        lambda d: d.strftime("%Y%m%d")
    ),
}


@st.composite
def rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY"]))
    keys = draw(st.lists(st.sampled_from(sorted(PARTS)), unique=True, max_size=5))
    if "COUNT" in keys and "UNTIL" in keys:
        keys.remove("UNTIL")
    return ";".join([f"FREQ={freq}", *(f"{k}={draw(PARTS[k])}" for k in keys)])


RAW = re.compile(r"FREQ|BY[A-Z]+|INTERVAL|WKST|COUNT|UNTIL|=|;|\b(?:MO|TU|WE|TH|FR|SA|SU)\b")


@settings(max_examples=400, deadline=None)
@given(rules())
def test_every_accepted_rule_is_described_in_words(rule: str) -> None:
    try:
        rrulestr(rule, dtstart=datetime(2026, 1, 1))
    except (ValueError, TypeError):
        assume(False)
    for lang in ("de", "en"):
        text = describe_rule(rule, lang)
        assert text, rule
        assert not RAW.search(text), (rule, lang, text)
        assert "  " not in text and not text.startswith((",", " ")), (rule, lang, text)
    if "COUNT=" in rule:
        assert "-mal" in describe_rule(rule, "de")
    if "UNTIL=" in rule:
        assert "bis " in describe_rule(rule, "de")
