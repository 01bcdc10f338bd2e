"""`coop calendar`: meetings, action deadlines and obligation due dates as one .ics file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from coopkit.i18n import _, gettext, pgettext
from coopkit.model.agreement import Obligation
from coopkit.model.repo import RepoData
from coopkit.queries.actions import action_rows, state_label
from coopkit.queries.context import Context
from coopkit.queries.due import clause_source, moved_dates, schedule_until, top_source
from coopkit.queries.load import Snapshot, snapshot
from coopkit.queries.lookup import check_partner
from coopkit.queries.meetings import meeting_partners, meeting_sequences
from coopkit.queries.names import partner_label
from coopkit.render.ics import CalendarEvent, render_ics
from coopkit.schedule import RecurrenceError, describe_frequency, occurrences, rrule_for
from coopkit.services.outputs import write_output

UID_DOMAIN = "coopkit"


@dataclass(frozen=True)
class CalendarResult:
    """What `coop calendar` wrote."""

    path: Path
    meetings: int
    actions: int
    obligations: int


def meeting_events(
    snap: Snapshot, partner: str | None, sequences: dict[str, int] | None = None
) -> list[CalendarEvent]:
    """Return one event per meeting, with the agenda (as of today for a draft) in the description.

    The UID comes from the meeting's first id and survives a move; `sequences` (the revision of
    each meeting's day, time and place) tells calendars which version is newer. A cancelled
    meeting stays in the feed with STATUS:CANCELLED, so subscribers drop it.
    """
    from coopkit.queries.agenda import current_agenda

    data, lang = snap.data, snap.lang
    events = []
    for meeting_id in sorted(data.minutes):
        minutes = data.minutes[meeting_id].value
        if partner is not None and partner not in meeting_partners(data, minutes):
            continue
        minutes = current_agenda(snap, minutes, lang)
        label = pgettext("agenda item", "TOP", lang)
        agenda = "\n".join(f"{label} {n}: {top.title}" for n, top in enumerate(minutes.tops, 1))
        start: date | datetime = minutes.date
        end: date | datetime | None = None
        if minutes.start:
            start = datetime.combine(minutes.date, time.fromisoformat(minutes.start))
            if minutes.end:
                end = datetime.combine(minutes.date, time.fromisoformat(minutes.end))
            else:
                end = start + timedelta(hours=2)
        summary = minutes.title
        if minutes.cancelled:
            word = gettext("Abgesagt", lang)
            summary = f"{word}: {summary}"
            agenda = "\n".join(x for x in (word + ".", minutes.cancel_reason or "") if x)
        events.append(
            CalendarEvent(
                uid=f"{minutes.calendar_id}@{UID_DOMAIN}",
                summary=summary,
                start=start,
                end=end,
                description=agenda,
                location=minutes.place,
                categories=(pgettext("calendar category", "Sitzung", lang),),
                status="CANCELLED" if minutes.cancelled else "CONFIRMED",
                sequence=(sequences or {}).get(meeting_id, 0),
            )
        )
    return events


def action_events(snap: Snapshot, partner: str | None) -> list[CalendarEvent]:
    """Return one all-day event per action deadline; closed actions say how they were closed."""
    events = []
    lang = snap.lang
    label = pgettext("calendar category", "Aufgabe", lang)
    for row in action_rows(snap.data, snap.today, partner=partner):
        prefix = "" if row.is_open else f"({state_label(row.status, lang)}) "
        events.append(
            CalendarEvent(
                uid=f"{row.key}@{UID_DOMAIN}",
                summary=f"{prefix}{label}: {row.what} ({partner_label(snap.data, row.partner)})",
                start=row.due,
                description=f"{top_source(row.meeting_date, row.top, lang)}\n{row.who_name}",
                categories=(label,),
            )
        )
    return events


def obligation_events(snap: Snapshot, partner: str | None) -> list[CalendarEvent]:
    """Return one series per obligation, owing partner and version in force.

    A series starts at the first occurrence in the version's days in force and ends (UNTIL) at the
    last day of those days or the horizon; where no RRULE gives exactly the engine's dates, the
    dates are listed (RDATE). A due date moved off a non-working day (`on_holiday`) stands on
    its moved day, and the description says why.
    """
    events = []
    lang = snap.lang
    until = schedule_until(snap)
    label = pgettext("calendar category", "Pflicht", lang)
    for agreement_id, timeline in snap.timelines().items():
        for n, version in enumerate(timeline.segments()):
            # The first version's series keeps the UID it always had; later ones add the version.
            series = agreement_id if n == 0 else f"{agreement_id}/{version.version}"
            if version.text is None:
                continue
            stop = min(version.in_force_until, until) if version.in_force_until else until
            for ob in version.text.obligations:
                scheduled = moved_dates(version, ob, until, snap.workdays)
                if not scheduled:
                    continue
                dates = [s.due if s is not None else d for d, s in scheduled]
                nominal = [d for d, _ in scheduled]
                rule, rdates = _series(ob, dates, stop)
                receivers = ", ".join(partner_label(snap.data, p) for p in ob.to)
                lines = [
                    clause_source(agreement_id, ob.clause, lang) + f" ({version.version})",
                    _("an: {v}", v=receivers).format(lang) if ob.to else "",
                    _("wie oft: {v}", v=describe_frequency(ob, lang)).format(lang),
                    _("Weg: {v}", v=ob.how).format(lang) if ob.how else "",
                    _("Bedingung: {v}", v=ob.condition).format(lang) if ob.condition else "",
                    *(
                        _("verschoben: {v}", v=s.words(lang)).format(lang)
                        for _day, s in scheduled
                        if s is not None
                    ),
                ]
                for who in ob.by:
                    if partner is not None and who != partner:
                        continue
                    series_rule, series_dates, first = rule, rdates, dates[0]
                    last = timeline.last_day_of(who)
                    if last is not None and nominal[-1] > last:
                        # The party leaves: its series stops at its last day as a party (owed
                        # by the nominal date, as the due engine does).
                        own = [d for d, n in zip(dates, nominal, strict=True) if n <= last]
                        if not own:
                            continue
                        series_rule, series_dates = _series(ob, own, min(stop, last))
                        first = own[0]
                    events.append(
                        CalendarEvent(
                            uid=f"{series}/{ob.id}/{who}@{UID_DOMAIN}",
                            summary=f"{label}: {ob.what} ({partner_label(snap.data, who)})",
                            start=first,
                            description="\n".join(line for line in lines if line),
                            rrule=series_rule,
                            rdates=series_dates,
                            categories=(label,),
                        )
                    )
    return events


def _series(ob: Obligation, dates: list[date], stop: date) -> tuple[str | None, tuple[date, ...]]:
    """Return (RRULE, RDATEs) giving exactly `dates` from DTSTART = dates[0]."""
    if len(dates) == 1 or not ob.recurring:
        return None, tuple(dates[1:])
    shifted = ob.model_copy(update={"first_due": dates[0]})
    rule = rrule_for(shifted, stop)
    if rule is not None:
        probe = Obligation.model_validate(
            {"id": ob.id, "by": ob.by, "what": ob.what, "rrule": rule, "first_due": dates[0]}
        )
        try:
            if occurrences(probe, None, stop, stop) == dates:
                return rule, ()
        except RecurrenceError:
            pass
    return None, tuple(dates[1:])


def calendar_events(
    snap: Snapshot, partner: str | None
) -> tuple[list[CalendarEvent], list[CalendarEvent], list[CalendarEvent]]:
    """Return (meetings, actions, obligations) events of a snapshot."""
    check_partner(snap, partner)
    return (
        meeting_events(snap, partner, meeting_sequences(snap.ctx.root, snap.data)),
        action_events(snap, partner),
        obligation_events(snap, partner),
    )


def calendar_name(data: RepoData, partner: str | None) -> str:
    """Return the calendar's display name."""
    name = data.config.value.name if data.config else "coop"
    if partner is not None:
        name = f"{name} – {partner_label(data, partner)}"
    return name


def export_calendar(ctx: Context, output: Path, partner: str | None = None) -> CalendarResult:
    """Write the calendar to `output`; DTSTAMP is ctx.today so the file is reproducible."""
    snap = snapshot(ctx)
    meetings, actions, obligations = calendar_events(snap, partner)
    payload = render_ics(
        [*meetings, *actions, *obligations], ctx.today, calendar_name(snap.data, partner)
    )
    written = write_output(ctx, output, payload)
    return CalendarResult(written, len(meetings), len(actions), len(obligations))
