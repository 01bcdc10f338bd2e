"""The pre-filled agenda of a new meeting: approval, open actions, due obligations, revisions."""

from __future__ import annotations

from datetime import date

from coopkit.errors import T
from coopkit.model.minutes import Top
from coopkit.queries.actions import action_rows
from coopkit.queries.due import agreement_occurrences
from coopkit.queries.load import Snapshot
from coopkit.queries.meetings import previous_meetings
from coopkit.queries.names import partner_label, person_name
from coopkit.render.dates import short_date
from coopkit.schedule import describe_frequency


def _revision_lines(snap: Snapshot, agreements: list[str], day: date, lang: str) -> list[str]:
    lines = []
    for agreement_id in agreements:
        timeline = snap.timeline(agreement_id)
        latest = timeline.latest
        if latest is None:
            state = T("noch keine Fassung veröffentlicht", "no version released yet")
        elif not timeline.changed_since_release:
            state = T("unverändert seit {v}", "unchanged since {v}", v=latest.version)
        else:
            state = T(
                "Arbeitsfassung gegenüber {v} geändert, noch nicht veröffentlicht",
                "working text changed since {v}, not yet released",
                v=latest.version,
            )
        lifecycle = timeline.lifecycle(day).label(lang)
        review = timeline.next_review(day)
        review_text = (
            T("; nächste Überprüfung: {d}", "; next review: {d}", d=short_date(review, lang))
            if review
            else T("", "")
        )
        lines.append(
            f"- {timeline.working.title}: {lifecycle}; {state.format(lang)}"
            f"{review_text.format(lang)}"
        )
    return lines


def _obligation_lines(
    snap: Snapshot, agreements: list[str], since: date | None, day: date, lang: str
) -> list[str]:
    lines = []
    data = snap.data
    for agreement_id in agreements:
        occs = [
            o
            for o in agreement_occurrences(snap, agreement_id, day)
            if since is None or o.due > since
        ]
        timeline = snap.timeline(agreement_id)
        by_obligation: dict[str, list[date]] = {}
        for occ in occs:
            days = by_obligation.setdefault(occ.obligation, [])
            if occ.due not in days:
                days.append(occ.due)
        for obligation_id, dates in by_obligation.items():
            version = timeline.version_on(dates[-1])
            text = version.text if version and version.text else timeline.working
            ob = text.find_obligation(obligation_id)
            if ob is None:
                continue
            owners = ", ".join(partner_label(data, p) for p in ob.by)
            due_texts = []
            for d in dates:
                recorded = all(
                    o.status != "open" for o in occs if o.obligation == obligation_id and o.due == d
                )
                mark = T(" (erfasst)", " (recorded)").format(lang) if recorded else ""
                due_texts.append(short_date(d, lang) + mark)
            clause = f", § {ob.clause}" if ob.clause is not None else ""
            lines.append(
                T(
                    "- {w}: {x} ({f}{c}); fällig {d}",
                    "- {w}: {x} ({f}{c}); due {d}",
                    c=clause,
                    f=describe_frequency(ob, lang),
                    w=owners,
                    x=ob.what,
                    d=", ".join(due_texts),
                ).format(lang)
            )
    return lines


def prefilled_agenda(snap: Snapshot, agreements: list[str], day: date, lang: str) -> list[Top]:
    """Return the agenda of a new meeting; the last TOP is „Verschiedenes“."""
    data = snap.data
    previous = previous_meetings(data, agreements, day)
    last = previous[-1] if previous else None
    unapproved = [m for m in previous if m.status != "approved"]
    tops: list[Top] = []
    if unapproved:
        dates = T(" und ", " and ").format(lang).join(short_date(m.date, lang) for m in unapproved)
        tops.append(
            Top(
                title=T(
                    "Begrüßung und Genehmigung der Niederschrift vom {d}",
                    "Welcome and approval of the minutes of {d}",
                    d=dates,
                ).format(lang)
            )
        )
    else:
        tops.append(Top(title=T("Begrüßung", "Welcome").format(lang)))
    open_rows = [
        r for r in action_rows(data, snap.today, open_only=True, meetings=[m.id for m in previous])
    ]
    if open_rows:
        notes = "\n".join(
            T(
                "- {w} – {x} (bis {d}; aus der Sitzung vom {m}, TOP {t})",
                "- {w} – {x} (due {d}; from the meeting of {m}, item {t})",
                m=short_date(r.meeting_date, lang),
                t=r.top,
                w=person_name(data, r.who),
                x=r.what,
                d=short_date(r.due, lang),
            ).format(lang)
            for r in open_rows
        )
        title = T("Offene Aufgaben", "Open actions").format(lang)
        tops.append(Top(title=title, notes=notes + "\n"))
    since = last.date if last else None
    obligation_lines = _obligation_lines(snap, agreements, since, day, lang)
    if obligation_lines:
        intro = (
            T(
                "Seit der Sitzung vom {d} fällig:",
                "Due since the meeting of {d}:",
                d=short_date(since, lang),
            )
            if since
            else T("Bis zur Sitzung fällig:", "Due up to this meeting:")
        ).format(lang)
        tops.append(
            Top(
                title=T("Fällige Pflichten", "Obligations due").format(lang),
                notes=intro + "\n\n" + "\n".join(obligation_lines) + "\n",
            )
        )
    revision_lines = _revision_lines(snap, agreements, day, lang)
    if revision_lines:
        tops.append(
            Top(
                title=T("Änderungen der Vereinbarungen", "Changes to the agreements").format(lang),
                notes="\n".join(revision_lines) + "\n",
            )
        )
    tops.append(Top(title=T("Verschiedenes", "Any other business").format(lang)))
    return tops
