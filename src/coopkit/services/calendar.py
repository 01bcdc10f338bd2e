"""`coop calendar`: meetings, action deadlines and obligation due dates as one .ics file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from coopkit.model.base import split_person
from coopkit.model.minutes import Minutes
from coopkit.model.repo import RepoData
from coopkit.render.ics import CalendarEvent, render_ics
from coopkit.schedule import describe_frequency, rrule_for
from coopkit.services.context import Context
from coopkit.services.followup import (
    check_partner,
    clause_source,
    obligation_dates,
    schedule_until,
    top_source,
)
from coopkit.services.outputs import write_output
from coopkit.services.repository import load_worktree

UID_DOMAIN = "coopkit"


@dataclass(frozen=True)
class CalendarResult:
    """What `coop calendar` wrote."""

    path: Path
    meetings: int
    actions: int
    obligations: int


def _partner_name(data: RepoData, partner_id: str) -> str:
    partner = data.find_partner(partner_id)
    if partner is None:
        return partner_id
    return partner.short or partner.name


def _meeting_partners(data: RepoData, minutes: Minutes) -> set[str]:
    people = [*minutes.attendance.present, *minutes.attendance.excused]
    found = {split_person(p)[0] for p in people} | set(minutes.distribution)
    for agreement_id in minutes.agreements:
        agreement = data.find_agreement(agreement_id)
        if agreement is not None:
            found |= set(agreement.parties)
    return found


def meeting_events(data: RepoData, partner: str | None, lang: str) -> list[CalendarEvent]:
    """Return one event per meeting, with the agenda in the description."""
    events = []
    for meeting_id in sorted(data.minutes):
        minutes = data.minutes[meeting_id].value
        if partner is not None and partner not in _meeting_partners(data, minutes):
            continue
        label = "Item" if lang == "en" else "TOP"
        agenda = "\n".join(f"{label} {n}: {top.title}" for n, top in enumerate(minutes.tops, 1))
        start: date | datetime = minutes.date
        end: date | datetime | None = None
        if minutes.start:
            start = datetime.combine(minutes.date, time.fromisoformat(minutes.start))
            if minutes.end:
                end = datetime.combine(minutes.date, time.fromisoformat(minutes.end))
            else:
                end = start + timedelta(hours=2)
        events.append(
            CalendarEvent(
                uid=f"{meeting_id}@{UID_DOMAIN}",
                summary=minutes.title,
                start=start,
                end=end,
                description=agenda,
                location=minutes.place,
                categories=("Sitzung" if lang != "en" else "Meeting",),
                status="CONFIRMED",
            )
        )
    return events


def action_events(data: RepoData, partner: str | None, lang: str) -> list[CalendarEvent]:
    """Return one all-day event per action deadline; closed actions say so in the summary."""
    events = []
    closed_records = data.closing_records
    for meeting_id in sorted(data.minutes):
        minutes = data.minutes[meeting_id].value
        for top, action in minutes.all_actions():
            who, _ = split_person(action.who)
            if partner is not None and who != partner:
                continue
            key = minutes.action_key(action)
            closed = closed_records.get(key)
            prefix = ""
            if closed is not None:
                prefix = "(done) " if lang == "en" else "(erledigt) "
            label = "Task" if lang == "en" else "Aufgabe"
            events.append(
                CalendarEvent(
                    uid=f"{key}@{UID_DOMAIN}",
                    summary=f"{prefix}{label}: {action.what} ({_partner_name(data, who)})",
                    start=action.due,
                    description=f"{top_source(minutes.date, top, lang)}\n{action.who}",
                    categories=(label,),
                )
            )
    return events


def obligation_events(
    data: RepoData, partner: str | None, today: date, lang: str
) -> list[CalendarEvent]:
    """Return one event per obligation and owing partner, recurring ones with an RRULE."""
    events = []
    until = schedule_until(data, today)
    en = lang == "en"
    for agreement_id in sorted(data.agreements):
        agreement = data.agreements[agreement_id].value
        if agreement.status == "draft":
            continue
        end = min(agreement.valid_until, until) if agreement.valid_until else until
        for ob in agreement.obligations:
            dates = obligation_dates(data, agreement_id, ob, until)
            if not dates:
                continue
            rule = rrule_for(ob, end) if ob.recurring else None
            rdates: tuple[date, ...] = ()
            if ob.recurring and rule is None:
                rdates = tuple(dates[1:])
            lines = [
                clause_source(agreement_id, ob.clause, lang),
                f"{'to' if en else 'an'}: {', '.join(ob.to)}" if ob.to else "",
                f"{'how often' if en else 'wie oft'}: {describe_frequency(ob, lang)}",
                f"{'how' if en else 'wie'}: {ob.how}" if ob.how else "",
                f"{'condition' if en else 'Bedingung'}: {ob.condition}" if ob.condition else "",
            ]
            label = "Obligation" if en else "Pflicht"
            for who in ob.by:
                if partner is not None and who != partner:
                    continue
                events.append(
                    CalendarEvent(
                        uid=f"{agreement_id}/{ob.id}/{who}@{UID_DOMAIN}",
                        summary=f"{label}: {ob.what} ({_partner_name(data, who)})",
                        start=dates[0],
                        description="\n".join(line for line in lines if line),
                        rrule=rule,
                        rdates=rdates,
                        categories=(label,),
                    )
                )
    return events


def calendar_events(
    data: RepoData, today: date, partner: str | None, lang: str
) -> tuple[list[CalendarEvent], list[CalendarEvent], list[CalendarEvent]]:
    """Return (meetings, actions, obligations) events of a loaded repository."""
    check_partner(data, partner)
    return (
        meeting_events(data, partner, lang),
        action_events(data, partner, lang),
        obligation_events(data, partner, today, lang),
    )


def calendar_name(data: RepoData, partner: str | None) -> str:
    """Return the calendar's display name."""
    name = data.config.value.name if data.config else "coop"
    if partner is not None:
        name = f"{name} – {_partner_name(data, partner)}"
    return name


def export_calendar(ctx: Context, output: Path, partner: str | None = None) -> CalendarResult:
    """Write the calendar to `output`; DTSTAMP is ctx.today so the file is reproducible."""
    data = load_worktree(ctx).data
    meetings, actions, obligations = calendar_events(data, ctx.today, partner, ctx.lang)
    payload = render_ics(
        [*meetings, *actions, *obligations], ctx.today, calendar_name(data, partner)
    )
    written = write_output(ctx, output, payload)
    return CalendarResult(written, len(meetings), len(actions), len(obligations))
