"""iTIP messages (RFC 5546): METHOD on the calendar, ORGANIZER, ATTENDEEs, VTIMEZONE, CANCEL."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar

from coopkit.render.ics import CalendarAddress, CalendarEvent, render_itip

EVENT = CalendarEvent(
    uid="2026-03-04-lenkung@coopkit",
    summary="Lenkungskreis Integration",
    start=datetime(2026, 3, 4, 14, 0),
    end=datetime(2026, 3, 4, 16, 0),
    location="Kreishaus, Raum 101",
    sequence=2,
)
STAMP = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)


def _parse(raw: bytes) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(raw)
    return calendar, calendar.walk("VEVENT")[0]


def test_request_carries_method_organizer_attendees_and_timezone() -> None:
    raw = render_itip(
        EVENT,
        "REQUEST",
        CalendarAddress("integration@kreis.example", "Integrationsbeauftragte"),
        [CalendarAddress("a@caritas.example", "Caritas"), CalendarAddress("b@jc.example")],
        STAMP,
    )
    calendar, event = _parse(raw)
    assert calendar["METHOD"] == "REQUEST"
    assert [c.name for c in calendar.subcomponents] == ["VTIMEZONE", "VEVENT"]
    assert str(event["UID"]) == EVENT.uid
    assert event["SEQUENCE"] == 2
    assert str(event["ORGANIZER"]) == "mailto:integration@kreis.example"
    attendees = event["ATTENDEE"]
    assert [str(a) for a in attendees] == ["mailto:a@caritas.example", "mailto:b@jc.example"]
    for attendee in attendees:
        assert attendee.params["RSVP"] == "TRUE"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert b"DTSTART;TZID=Europe/Berlin:20260304T140000" in raw
    assert b"DTSTAMP:20260201T093000Z" in raw


def test_cancel_keeps_uid_and_says_cancelled() -> None:
    later = CalendarEvent(**{**EVENT.__dict__, "sequence": 3})
    raw = render_itip(later, "CANCEL", CalendarAddress("i@kreis.example"), [], STAMP)
    calendar, event = _parse(raw)
    assert calendar["METHOD"] == "CANCEL"
    assert str(event["UID"]) == EVENT.uid
    assert event["SEQUENCE"] == 3
    assert event["STATUS"] == "CANCELLED"
