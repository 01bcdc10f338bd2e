"""Calendars (RFC 5545) from prepared events: stable UIDs, fixed DTSTAMP, VTIMEZONE."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from coopkit.errors import T, TemplateError

TIMEZONE = "Europe/Berlin"
PRODID = "-//coopkit//coop calendar//DE"


# The rules in force since 1996, as calendar programs write them: compact and valid for any year
# a cooperation plans for (the generated form lists every transition up to 2037 only).
_BERLIN = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19810329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19961027T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""


@dataclass(frozen=True)
class CalendarEvent:
    """One VEVENT: all-day when `start` is a date, timed (local time in TIMEZONE) otherwise."""

    uid: str
    summary: str
    start: date | datetime
    end: date | datetime | None = None
    description: str = ""
    location: str | None = None
    rrule: str | None = None
    """An RRULE value; for all-day events its UNTIL is a date."""
    rdates: tuple[date, ...] = ()
    categories: tuple[str, ...] = ()
    status: str | None = None
    sequence: int = 0
    """The revision of the event (RFC 5545 SEQUENCE): a calendar keeps the highest it saw."""


# RFC 5545 TEXT holds no control character; icalendar escapes line breaks, `,`, `;` and `\\`.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: str) -> str:
    """Return a calendar text, refusing one with a control character no calendar can hold."""
    found = _CONTROL.search(value)
    if found is not None:
        raise TemplateError(
            T(
                "Kalender: „{v}“ enthält das Steuerzeichen U+{c:04X}; bitte im Datensatz entfernen",
                'calendar: "{v}" holds the control character U+{c:04X}; please remove it from '
                "the record",
                v=_CONTROL.sub("?", value)[:60],
                c=ord(found.group()),
            )
        )
    return value


def _moment(value: date | datetime, zone: ZoneInfo) -> date | datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    return value


def render_ics(
    events: Sequence[CalendarEvent],
    stamp: date,
    name: str,
    tz: str = TIMEZONE,
) -> bytes:
    """Return the calendar as bytes; the same input always gives the same bytes.

    Args:
        events: the events, in output order.
        stamp: the day written as DTSTAMP (so output does not depend on the clock).
        name: the calendar's display name.
        tz: the time zone of timed events; its VTIMEZONE is included.
    """
    from icalendar import Calendar, Event, vRecur

    zone = ZoneInfo(tz)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", tz)
    if tz == TIMEZONE:
        calendar.add_component(Calendar.from_ical(_BERLIN, multiple=False))
    dtstamp = datetime.combine(stamp, time(0, 0), tzinfo=UTC)
    for item in events:
        start = _moment(item.start, zone)
        if item.end is not None:
            end = _moment(item.end, zone)
        elif isinstance(start, datetime):
            end = start + timedelta(hours=1)
        else:
            end = start + timedelta(days=1)
        event = Event.new(
            uid=item.uid,
            stamp=dtstamp,
            start=start,
            end=end,
            summary=_text(item.summary),
            description=_text(item.description) or None,
            location=_text(item.location) if item.location is not None else None,
            categories=[_text(c) for c in item.categories],
        )
        if item.status:
            event.add("status", item.status)
        if item.sequence:
            event.add("sequence", item.sequence)
        if not isinstance(start, datetime):
            event.add("transp", "TRANSPARENT")
        if item.rrule:
            event.add("rrule", vRecur.from_ical(item.rrule))
        if item.rdates:
            event.add("rdate", list(item.rdates))
        calendar.add_component(event)
    if tz != TIMEZONE:
        calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


@dataclass(frozen=True)
class CalendarAddress:
    """A person of an iTIP message: the organizer or an attendee."""

    email: str
    name: str | None = None


def _address(person: CalendarAddress) -> Any:
    from icalendar import vCalAddress

    found = _CONTROL.search(person.email)
    if found is not None or any(c in person.email for c in "\r\n"):
        raise TemplateError(
            T(
                "Kalender: Adresse „{v}“ enthält ein Steuerzeichen",
                'calendar: address "{v}" holds a control character',
                v=_CONTROL.sub("?", person.email)[:60],
            )
        )
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["CN"] = _text(person.name)
    return address


def render_itip(
    event: CalendarEvent,
    method: Literal["REQUEST", "CANCEL"],
    organizer: CalendarAddress,
    attendees: Sequence[CalendarAddress],
    stamp: datetime,
    tz: str = TIMEZONE,
) -> bytes:
    """Return an iTIP message (RFC 5546) for one timed event: an invitation or its cancellation.

    Outlook, Thunderbird and Apple Mail show Accept/Decline only with METHOD on the calendar,
    an ORGANIZER and ATTENDEEs; a cancellation keeps the UID and carries a higher SEQUENCE.

    Args:
        event: the meeting, with its stable UID and SEQUENCE.
        method: REQUEST for an invitation or update, CANCEL when the meeting is called off.
        organizer: who sends (the sender address of `[mail]`).
        attendees: one per recipient; each asked to reply.
        stamp: when the message is made (DTSTAMP, UTC).
        tz: the time zone of the event's local times; its VTIMEZONE is included.
    """
    from icalendar import Calendar, Event

    zone = ZoneInfo(tz)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if tz == TIMEZONE:
        calendar.add_component(Calendar.from_ical(_BERLIN, multiple=False))
    start = _moment(event.start, zone)
    end = _moment(event.end, zone) if event.end is not None else None
    if end is None:
        end = start + (timedelta(hours=1) if isinstance(start, datetime) else timedelta(days=1))
    item = Event()
    item.add("uid", event.uid)
    item.add("dtstamp", stamp.astimezone(UTC))
    item.add("sequence", event.sequence)
    item.add("dtstart", start)
    item.add("dtend", end)
    item.add("summary", _text(event.summary))
    if event.description:
        item.add("description", _text(event.description))
    if event.location is not None:
        item.add("location", _text(event.location))
    item.add("organizer", _address(organizer))
    for person in attendees:
        address: Any = _address(person)
        address.params["ROLE"] = "REQ-PARTICIPANT"
        address.params["PARTSTAT"] = "NEEDS-ACTION"
        address.params["RSVP"] = "TRUE"
        address.params["CUTYPE"] = "INDIVIDUAL"
        item.add("attendee", address, encode=False)
    item.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    item.add("transp", "OPAQUE")
    calendar.add_component(item)
    if tz != TIMEZONE:
        calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
