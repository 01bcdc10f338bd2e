from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopkit.model.agreement import Obligation
from coopkit.schedule import (
    RecurrenceError,
    describe_frequency,
    horizon_end,
    occurrences,
    rrule_for,
)


def ob(**kw: object) -> Obligation:
    return Obligation.model_validate({"id": "x", "by": ["a"], "what": "w", **kw})


def test_monthly_from_the_31st_clamps_to_month_end_without_drifting() -> None:
    days = occurrences(ob(every="P1M", first_due="2013-01-31"), None, date(2013, 5, 31), None)
    assert days == [
        date(2013, 1, 31),
        date(2013, 2, 28),
        date(2013, 3, 31),
        date(2013, 4, 30),
        date(2013, 5, 31),
    ]


def test_monthly_from_the_31st_reaches_29_february_in_a_leap_year() -> None:
    days = occurrences(ob(every="P1M", first_due="2024-01-31"), None, date(2024, 3, 31), None)
    assert days == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]


def test_quarterly_from_a_month_end_stays_at_month_ends() -> None:
    days = occurrences(ob(every="P3M", first_due="2013-11-30"), None, date(2014, 8, 31), None)
    assert days == [date(2013, 11, 30), date(2014, 2, 28), date(2014, 5, 31), date(2014, 8, 31)]


def test_monthly_from_the_30th_keeps_the_30th_after_february() -> None:
    days = occurrences(ob(every="P1M", first_due="2014-01-30"), None, date(2014, 4, 30), None)
    assert days == [date(2014, 1, 30), date(2014, 2, 28), date(2014, 3, 30), date(2014, 4, 30)]


def test_yearly_from_29_february_falls_on_28_february_in_common_years() -> None:
    days = occurrences(ob(every="P1Y", first_due="2012-02-29"), None, date(2016, 12, 31), None)
    assert days == [
        date(2012, 2, 29),
        date(2013, 2, 28),
        date(2014, 2, 28),
        date(2015, 2, 28),
        date(2016, 2, 29),
    ]


def test_occurrences_stop_at_the_end_of_validity_inclusive() -> None:
    days = occurrences(
        ob(every="P6M", first_due="2013-06-30"),
        date(2012, 12, 1),
        date(2014, 6, 30),
        date(2020, 1, 1),
    )
    assert days == [date(2013, 6, 30), date(2013, 12, 31), date(2014, 6, 30)]


def test_open_ended_obligation_runs_to_the_horizon() -> None:
    until = horizon_end(date(2014, 2, 7), 3)
    assert until == date(2017, 2, 7)
    days = occurrences(ob(every="P1Y", first_due="2013-12-31"), date(2012, 12, 1), None, until)
    assert days == [date(2013, 12, 31), date(2014, 12, 31), date(2015, 12, 31), date(2016, 12, 31)]


def test_dates_before_validity_are_dropped() -> None:
    days = occurrences(
        ob(every="P3M", first_due="2012-09-30"), date(2013, 1, 1), None, date(2013, 7, 1)
    )
    assert days == [date(2013, 3, 31), date(2013, 6, 30)]


def test_one_off_obligation_has_one_date_and_per_case_duty_none() -> None:
    assert occurrences(ob(first_due="2014-03-01"), None, None, date(2015, 1, 1)) == [
        date(2014, 3, 1)
    ]
    assert occurrences(ob(first_due="2016-03-01"), None, date(2015, 1, 1), None) == []
    assert occurrences(ob(condition="nur mit Einwilligung"), None, None, date(2015, 1, 1)) == []


def test_rrule_last_day_of_month_with_minus_one() -> None:
    rule = "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=-1"
    days = occurrences(ob(rrule=rule, first_due="2013-06-30"), None, None, date(2015, 1, 1))
    assert days == [date(2013, 6, 30), date(2013, 12, 31), date(2014, 6, 30), date(2014, 12, 31)]


def test_rrule_bymonthday_31_skips_short_months_as_rfc_5545_says() -> None:
    days = occurrences(
        ob(rrule="FREQ=MONTHLY;BYMONTHDAY=31", first_due="2013-01-31"),
        None,
        date(2013, 6, 30),
        None,
    )
    assert days == [date(2013, 1, 31), date(2013, 3, 31), date(2013, 5, 31)]


def test_rrule_own_until_and_count_are_kept() -> None:
    days = occurrences(
        ob(rrule="FREQ=YEARLY;COUNT=2", first_due="2013-05-01"), None, None, date(2030, 1, 1)
    )
    assert days == [date(2013, 5, 1), date(2014, 5, 1)]
    days = occurrences(
        ob(rrule="FREQ=YEARLY;UNTIL=20150501T000000Z", first_due="2013-05-01"),
        None,
        None,
        date(2030, 1, 1),
    )
    assert days == [date(2013, 5, 1), date(2014, 5, 1), date(2015, 5, 1)]


def test_broken_rrule_raises_recurrence_error() -> None:
    with pytest.raises(RecurrenceError):
        occurrences(
            ob(rrule="FREQ=MONTHLY;BYMONTHDAY=x", first_due="2013-01-31"),
            None,
            None,
            date(2014, 1, 1),
        )


@pytest.mark.parametrize(
    ("every", "first", "expected"),
    [
        ("P1M", "2013-01-31", "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=-1;UNTIL=20141231"),
        ("P3M", "2013-11-30", "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1;UNTIL=20141231"),
        (
            "P1M",
            "2014-01-30",
            "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=28,29,30;BYSETPOS=-1;UNTIL=20141231",
        ),
        ("P3M", "2013-03-15", "FREQ=MONTHLY;INTERVAL=3;UNTIL=20141231"),
        (
            "P1Y",
            "2012-02-29",
            "FREQ=YEARLY;INTERVAL=1;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1;UNTIL=20141231",
        ),
        ("P18M", "2013-01-10", "FREQ=MONTHLY;INTERVAL=18;UNTIL=20141231"),
        ("P2W", "2013-01-10", "FREQ=WEEKLY;INTERVAL=2;UNTIL=20141231"),
        ("P10D", "2013-01-10", "FREQ=DAILY;INTERVAL=10;UNTIL=20141231"),
    ],
)
def test_rrule_for_durations(every: str, first: str, expected: str) -> None:
    assert rrule_for(ob(every=every, first_due=first), date(2014, 12, 31)) == expected


def test_rrule_for_returns_none_for_one_off_and_mixed_durations() -> None:
    assert rrule_for(ob(first_due="2013-01-10"), date(2014, 1, 1)) is None
    assert rrule_for(ob(every="P1M15D", first_due="2013-01-10"), date(2014, 1, 1)) is None


def test_rrule_for_bounds_a_given_rule_by_until() -> None:
    assert (
        rrule_for(ob(rrule="FREQ=MONTHLY;BYMONTHDAY=-1", first_due="2013-01-31"), date(2014, 1, 1))
        == "FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20140101"
    )
    assert (
        rrule_for(ob(rrule="FREQ=MONTHLY;COUNT=3", first_due="2013-01-31"), date(2014, 1, 1))
        == "FREQ=MONTHLY;COUNT=3"
    )


def test_rrule_for_produces_the_same_dates_as_occurrences() -> None:
    from datetime import datetime

    from dateutil.rrule import rrulestr

    for every, first in [
        ("P1M", "2013-01-31"),
        ("P3M", "2013-11-30"),
        ("P1Y", "2012-02-29"),
        ("P6M", "2013-06-30"),
        ("P2M", "2013-08-29"),
    ]:
        o = ob(every=every, first_due=first)
        until = date(2017, 3, 1)
        rule = rrulestr(rrule_for(o, until) or "", dtstart=datetime.fromisoformat(first))
        assert [d.date() for d in rule] == occurrences(o, None, None, until), every


@pytest.mark.parametrize(
    ("fields", "de", "en"),
    [
        ({"every": "P3M", "first_due": "2013-03-31"}, "vierteljährlich", "quarterly"),
        ({"every": "P6M", "first_due": "2013-03-31"}, "halbjährlich", "half-yearly"),
        ({"every": "P1Y", "first_due": "2013-03-31"}, "jährlich", "yearly"),
        ({"every": "P12M", "first_due": "2013-03-31"}, "jährlich", "yearly"),
        ({"every": "P1M", "first_due": "2013-03-31"}, "monatlich", "monthly"),
        ({"every": "P2W", "first_due": "2013-03-31"}, "alle 2 Wochen", "every 2 weeks"),
        ({"every": "P2Y", "first_due": "2013-03-31"}, "alle 2 Jahre", "every 2 years"),
        (
            {"rrule": "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=-1", "first_due": "2013-06-30"},
            "halbjährlich, zum Monatsende",
            "half-yearly, to the last day of the month",
        ),
        (
            {"rrule": "FREQ=WEEKLY;BYDAY=MO", "first_due": "2013-06-03"},
            "wöchentlich montags",
            "weekly on Mondays",
        ),
        ({"first_due": "2013-06-30"}, "einmalig", "once"),
        ({"condition": "mit Einwilligung"}, "im Einzelfall", "case by case"),
    ],
)
def test_describe_frequency_in_words(fields: dict[str, str], de: str, en: str) -> None:
    assert describe_frequency(ob(**fields), "de") == de
    assert describe_frequency(ob(**fields), "en") == en


@settings(max_examples=300, deadline=None)
@given(
    first=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    every=st.sampled_from(
        ["P1M", "P2M", "P3M", "P6M", "P1Y", "P2Y", "P1Y6M", "P2W", "P10D", "P1M15D"]
    ),
)
def test_occurrences_match_calendar_arithmetic(first: date, every: str) -> None:
    from dateutil.relativedelta import relativedelta

    from coopkit.model.base import parse_duration

    years, months, weeks, days = parse_duration(every)
    month_end = (first + relativedelta(days=1)).day == 1 and not weeks and not days
    expected = []
    for n in range(8):
        day = first + relativedelta(
            years=n * years, months=n * months, weeks=n * weeks, days=n * days
        )
        if month_end:
            day += relativedelta(day=31)
        expected.append(day)
    got = occurrences(ob(every=every, first_due=first.isoformat()), None, None, expected[-1])
    assert got == expected
