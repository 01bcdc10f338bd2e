"""The prepared agenda of a meeting: approval, open actions, due obligations, revisions.

`coop meeting new` writes the prepared TOPs with their kind (`prefilled:`) and no text of their
own; until the minutes are sent, every view computes their titles and notes from the records of
the day, so a cancelled meeting or an action closed since the invitation no longer shows up.
Sending writes the text into the minutes, where it stays.
"""

from __future__ import annotations

from datetime import date

from coopkit.errors import T
from coopkit.i18n import Msg, _
from coopkit.model.minutes import Minutes, PrefilledKind, Top
from coopkit.queries.actions import ActionRow
from coopkit.queries.carryover import Carryover, carryover, origin_text
from coopkit.queries.due import agreement_occurrences
from coopkit.queries.load import Snapshot
from coopkit.queries.meetings import previous_meetings
from coopkit.queries.names import partner_label, person_name
from coopkit.render.dates import long_date, short_date
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


def _approval_title(previous: list[Minutes], meeting: str | None, lang: str) -> str:
    # Minutes approved in this very meeting stay in its title: its decisions record them.
    waiting = [m for m in previous if m.status != "approved" or m.approved_in == meeting]
    if not waiting:
        return T("Begrüßung", "Welcome").format(lang)
    dates = T(" und ", " and ").format(lang).join(short_date(m.date, lang) for m in waiting)
    return T(
        "Begrüßung und Genehmigung der Niederschrift vom {d}",
        "Welcome and approval of the minutes of {d}",
        d=dates,
    ).format(lang)


def _action_lines(snap: Snapshot, rows: list[ActionRow], lang: str) -> list[str]:
    data = snap.data
    return [
        T(
            "- {w} – {x} (bis {d}; aus der Sitzung vom {m}, TOP {t})",
            "- {w} – {x} (due {d}; from the meeting of {m}, item {t})",
            m=short_date(r.meeting_date, lang),
            t=r.top,
            w=person_name(data, r.who),
            x=r.what,
            d=short_date(r.due, lang),
        ).format(lang)
        for r in rows
    ]


TITLES: dict[str, Msg] = {
    "actions": _("Offene Aufgaben"),
    "obligations": _("Fällige Pflichten"),
    "revisions": _("Änderungen der Vereinbarungen"),
}
NOTHING: dict[str, Msg] = {
    "actions": _("Keine offenen Aufgaben."),
    "obligations": _("Keine fälligen Pflichten."),
    "revisions": _("Keine Vereinbarung."),
}


def prepared_tops(
    snap: Snapshot, agreements: list[str], day: date, lang: str, meeting: str | None = None
) -> dict[PrefilledKind, Top]:
    """Return the prepared TOPs of a meeting on `day` as the records stand; empty kinds left out.

    Args:
        snap: the records.
        agreements: the agreements the meeting is about.
        day: the meeting day.
        lang: the language of titles and notes.
        meeting: the meeting's id, when it exists already (minutes approved in it stay listed).
    """
    previous = previous_meetings(snap.data, agreements, day)
    last = previous[-1] if previous else None
    tops: dict[PrefilledKind, Top] = {
        "approval": Top(title=_approval_title(previous, meeting, lang), prefilled="approval")
    }
    # A closing counts when it happened by the meeting day: minutes drafted later still say
    # what was open at the meeting.
    carried = carryover(snap.data, snap.today, agreements, day)
    actions = _action_lines(snap, carried.actions, lang)
    if actions:
        tops["actions"] = Top(
            title=TITLES["actions"].format(lang), prefilled="actions", notes="\n".join(actions)
        )
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
        tops["obligations"] = Top(
            title=TITLES["obligations"].format(lang),
            prefilled="obligations",
            notes=intro + "\n\n" + "\n".join(obligation_lines),
        )
    revision_lines = _revision_lines(snap, agreements, day, lang)
    if revision_lines:
        tops["revisions"] = Top(
            title=TITLES["revisions"].format(lang),
            prefilled="revisions",
            notes="\n".join(revision_lines),
        )
    return tops


def prefilled_agenda(snap: Snapshot, agreements: list[str], day: date, lang: str) -> list[Top]:
    """Return the agenda of a new meeting: the prepared TOPs (kind and title), „Verschiedenes“.

    The TOPs earlier meetings left open and the standing ones follow the approval, each linked to
    its origin (`carried:`); open actions have their prepared TOP.
    """
    prepared = [
        Top(title=top.title, prefilled=top.prefilled)
        for top in prepared_tops(snap, agreements, day, lang).values()
    ]
    carried = [
        Top(title=item.title, carried=item.origin, recurring=item.recurring)
        for item in carryover(snap.data, snap.today, agreements, day).tops
    ]
    tops = prepared[:1] + carried + prepared[1:]
    tops.append(Top(title=T("Verschiedenes", "Any other business").format(lang)))
    return tops


def current_agenda(snap: Snapshot, minutes: Minutes, lang: str) -> Minutes:
    """Return `minutes` with its prepared TOPs computed from the records of the day.

    Only a draft changes: once sent, the minutes keep the text sending wrote into them. A
    prepared TOP keeps its place (the TOP numbers stay those of the file); one with nothing left
    to say says so. Notes taken in the meeting follow the computed text.
    """
    if minutes.status != "draft" or not any(t.prefilled or t.carried for t in minutes.tops):
        return minutes
    fresh = prepared_tops(snap, list(minutes.agreements), minutes.date, lang, minutes.id)
    carried = carryover(snap.data, snap.today, list(minutes.agreements), minutes.date)
    tops = []
    for top in minutes.tops:
        if top.carried is not None:
            tops.append(_carried_top(snap, carried, top, lang))
            continue
        if top.prefilled is None:
            tops.append(top)
            continue
        computed = fresh.get(top.prefilled)
        title = computed.title if computed else TITLES[top.prefilled].format(lang)
        text = computed.notes if computed else NOTHING[top.prefilled].format(lang)
        own = top.notes.strip()
        notes = "\n\n".join(x for x in (text.strip(), own) if x)
        tops.append(top.model_copy(update={"title": title, "notes": notes + "\n" if notes else ""}))
    return minutes.model_copy(update={"tops": tops})


def _carried_top(snap: Snapshot, carried: Carryover, top: Top, lang: str) -> Top:
    """Return a draft's carried TOP as its origin stands: title, link, or finished since."""
    item = next((c for c in carried.tops if c.origin == top.carried), None)
    if item is not None:
        title = item.title
        link = origin_text(item, lang)
        text = link[:1].upper() + link[1:] + "."
    else:
        meeting, _, number = (top.carried or "").rpartition("#")
        found = snap.data.minutes.get(meeting)
        title = top.title
        text = T(
            "Aus der Sitzung vom {d}, TOP {t}; inzwischen abgeschlossen, entfällt.",
            "From the meeting of {d}, item {t}; finished since, dropped.",
            d=long_date(found.value.date, lang) if found else meeting,
            t=number,
        ).format(lang)
    own = top.notes.strip()
    notes = "\n\n".join(x for x in (text, own) if x)
    return top.model_copy(update={"title": title, "notes": notes + "\n"})
