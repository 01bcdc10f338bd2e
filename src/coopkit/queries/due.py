"""What is owed and when: obligation occurrences bound to the version in force, and open actions.

An occurrence on day d is owed under the version in force on d: none before the first day in
force, the schedule of v1 until v2 takes force, v2's after, none after the end; a party that
left by notice owes nothing due after its last day. Every view (due, obligation list, status,
checklist, calendar, report, matrix, agenda) asks this module.

An obligation with `on_holiday` moves a due date off Saturdays, Sundays and the Land's holidays
here and nowhere else: `due` is the moved date, `shift` keeps the nominal date and why. The
nominal date decides the version the occurrence is owed under and keys its fulfilment record,
so a record written before a date moved (or before `land` changed) still answers it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from coopkit.errors import Problem, T
from coopkit.model.agreement import Agreement, Obligation
from coopkit.model.fulfilment import Fulfilment
from coopkit.queries.load import Snapshot
from coopkit.queries.lookup import check_agreement, check_partner, check_person, get_agreement
from coopkit.queries.names import (
    has_to_do,
    partner_label,
    partner_name,
    responsible_contact,
)
from coopkit.queries.versions import Timeline, VersionState, ending_text, leaving_text
from coopkit.render.dates import long_date
from coopkit.schedule import RecurrenceError, describe_frequency, horizon_end, occurrences
from coopkit.schedule.workdays import Shift, Workdays

DEFAULT_HORIZON_YEARS = 3
DEFAULT_WITHIN_DAYS = 30
MAX_WITHIN_DAYS = 36500
SHIFT_REACH = timedelta(days=14)
"""How far past the end nominal dates are computed that `previous-working-day` may bring back."""

ItemKind = Literal["obligation", "action"]


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One due date of an obligation for one partner under one version, and what became of it."""

    agreement: str
    version: str
    obligation: str
    partner: str
    due: date
    what: str
    to: list[str]
    clause: int | None
    status: str
    """"open" while no fulfilment record exists, else the record's status."""
    overdue: bool
    fulfilment: Fulfilment | None = None
    shift: Shift | None = None
    """Where `due` was moved off a non-working day: the nominal date and why; None if not."""

    @property
    def nominal(self) -> date:
        """Return the date the schedule names (fulfilment records refer to it)."""
        return self.shift.nominal if self.shift is not None else self.due

    def moved(self, lang: str = "de") -> str | None:
        """Return why and where the due date moved, in words; None where it did not."""
        return self.shift.words(lang) if self.shift is not None else None


@dataclass(frozen=True, slots=True)
class DueItem:
    """An open obligation occurrence or action item with its due date and source."""

    kind: ItemKind
    partner: str
    due: date
    what: str
    source: str
    key: str
    overdue: bool
    days_overdue: int
    person: str | None = None
    """The contact in charge: an action's owner, or the contact whose topics name the
    obligation (see `responsible_contact`); None where the organisation as a whole is."""
    agreement: str | None = None
    obligation: str | None = None
    version: str | None = None
    meeting: str | None = None
    top: int | None = None
    to: list[str] = field(default_factory=list)
    nominal_due: date | None = None
    """The date the schedule names, before a move off a non-working day (else `due`)."""
    moved: str | None = None
    """Why and where the due date moved ("Sa 3.10.2026, Tag der Deutschen Einheit → Mo
    5.10.2026"), in the language of the answer; None where it did not move. `--json` carries
    it already; the due table of the command line is still to show it (beside the date)."""
    who: str = ""
    """Who is to act, as `partner/contact` or, where no contact is in charge, the partner id:
    the id (not a display name) so the column reads like a person's reference and can be typed
    into `--partner` or an action's `who`."""


def who_acts(partner: str, person: str | None) -> str:
    """Return `partner/person`, or the partner id where the organisation as a whole acts."""
    return f"{partner}/{person}" if person else partner


@dataclass(frozen=True)
class PartnerItems:
    """The due items of one partner."""

    partner: str
    name: str
    items: list[DueItem]
    endings: list[str] = field(default_factory=list)
    """How an agreement of its items ends or the partner leaves it, in words with dates."""


@dataclass(frozen=True)
class ObligationRow:
    """One obligation as `coop obligation list` shows it."""

    agreement: str
    id: str
    version: str | None
    """The version whose text is shown (in force today, else the newest having it)."""
    clause: int | None
    by: list[str]
    to: list[str]
    what: str
    frequency: str
    first_due: date | None
    next_due: date | None
    open: int
    overdue: int
    condition: str | None
    endings: list[str] = field(default_factory=list)
    """How the agreement ends or an owing party leaves, in words with dates."""


def horizon_years(snap: Snapshot) -> int:
    """Return the configured horizon for open-ended obligations (`[schedule] horizon_years`)."""
    config = snap.data.config
    return config.value.schedule.horizon_years if config else DEFAULT_HORIZON_YEARS


def schedule_until(snap: Snapshot, day: date | None = None) -> date:
    """Return the last day occurrences are computed for: `day` (today) plus the horizon."""
    return horizon_end(day or snap.today, horizon_years(snap))


def clause_source(agreement_id: str, clause: int | None, lang: str = "de") -> str:
    """Return the source of an obligation: "§ 4 Vereinbarung myk-caritas-ko"."""
    label = T("Vereinbarung", "agreement").format(lang)
    if clause is None:
        return f"{label} {agreement_id}"
    return f"§ {clause} {label} {agreement_id}"


def top_source(meeting_date: date, top: int, lang: str = "de") -> str:
    """Return the source of an action: "TOP 3, Sitzung vom 5. Februar 2014"."""
    return T(
        "TOP {n}, Sitzung vom {d}",
        "item {n}, meeting of {d}",
        n=top,
        d=long_date(meeting_date, lang),
    ).format(lang)


FulfilmentIndex = dict[str, dict[tuple[str, str, date], Fulfilment]]


def fulfilment_index(snap: Snapshot) -> FulfilmentIndex:
    """Return agreement -> (obligation, partner, due) -> record, built in one pass."""
    index: FulfilmentIndex = {}
    for located in snap.data.fulfilments:
        parts = located.path.split("/")
        if len(parts) < 3 or parts[0] != "agreements":
            continue
        f = located.value
        index.setdefault(parts[1], {})[(f.obligation, f.partner, f.due)] = f
    return index


def ending_notes(
    snap: Snapshot,
    agreement_id: str,
    partners: Iterable[str] | None = None,
    *,
    prefix: bool = True,
) -> list[str]:
    """Return how an agreement ends and who leaves it, in words with dates ("koop: …").

    With `partners`, only the leavings of those partners (the agreement's own end always).
    """
    timeline = snap.timeline(agreement_id)
    lang, today = snap.lang, snap.today

    def name(partner_id: str) -> str:
        return partner_label(snap.data, partner_id)

    wanted = None if partners is None else set(partners)
    lead = f"{agreement_id}: " if prefix else ""
    notes = [
        f"{lead}{leaving_text(x, today, name).format(lang)}"
        for x in timeline.leavings
        if wanted is None or x.partner in wanted
    ]
    if timeline.ending is not None and timeline.ending.effective is not None:
        ends = T("Vereinbarung {w}", "agreement {w}", w=ending_text(timeline.ending, today, name))
        notes.append(f"{lead}{ends.format(lang)}")
    return notes


def version_dates(version: VersionState, obligation: Obligation, end: date) -> list[date]:
    """Return the due dates of an obligation of one version within its days in force."""
    start = version.in_force_from
    if start is None or not version.ever_in_force:
        return []
    stop = min(version.in_force_until, end) if version.in_force_until else end
    if stop < start:
        return []
    try:
        return occurrences(obligation, start, stop, stop)
    except RecurrenceError:
        # `coop check` reports the rule; a view must not fail because of it.
        return []


def moved_dates(
    version: VersionState, obligation: Obligation, end: date, workdays: Workdays | None
) -> list[tuple[date, Shift | None]]:
    """Return the due dates of an obligation of one version up to `end`, each as (nominal, shift).

    The one place where a date moves off non-working days (`on_holiday`): the moved date is
    `shift.due`, and it is due up to `end` by that date. Without `workdays` nothing moves.
    """
    rule = obligation.on_holiday
    if workdays is None or rule == "keep":
        return [(day, None) for day in version_dates(version, obligation, end)]
    reach = end
    if rule == "previous-working-day":
        reach = end + SHIFT_REACH if end < date.max - SHIFT_REACH else date.max
    result: list[tuple[date, Shift | None]] = []
    for nominal in version_dates(version, obligation, reach):
        shift = workdays.shift(nominal, rule)
        if (shift.due if shift is not None else nominal) <= end:
            result.append((nominal, shift))
    return result


def owed_occurrences(
    timeline: Timeline,
    recorded: dict[tuple[str, str, date], Fulfilment],
    end: date,
    workdays: Workdays | None = None,
) -> list[Occurrence]:
    """Return every occurrence of an agreement's obligations due up to `end`, by due date.

    Per-case duties (no first due date) have an occurrence where a fulfilment record names one
    on a day their version was in force. With `workdays`, a scheduled due date of an obligation
    with `on_holiday` moves off non-working days (it is due up to `end` by its moved date). The
    result does not depend on the day it is asked: `overdue` is left False here and set by
    `as_of`.
    """
    agreement_id = timeline.agreement_id
    result: list[Occurrence] = []
    for version in timeline.segments():
        text = version.text
        if text is None:
            continue
        for ob in text.obligations:
            owed: list[tuple[date, str, Shift | None]]
            if ob.first_due is None:
                owed = sorted(
                    (due, p, None)
                    for (oid, p, due) in recorded
                    if oid == ob.id and p in ob.by and due <= end and version.in_force_on(due)
                )
            else:
                owed = [
                    (nominal, p, shift)
                    for nominal, shift in moved_dates(version, ob, end, workdays)
                    for p in ob.by
                ]
            if timeline.leavings:
                owed = [o for o in owed if timeline.takes_part(o[1], o[0])]
            for nominal, partner, shift in owed:
                due = shift.due if shift is not None else nominal
                record = recorded.get((ob.id, partner, nominal))
                result.append(
                    Occurrence(
                        agreement_id,
                        version.version,
                        ob.id,
                        partner,
                        due,
                        ob.what,
                        list(ob.to),
                        ob.clause,
                        record.status if record else "open",
                        False,
                        record,
                        shift,
                    )
                )
    result.sort(key=lambda o: (o.due, o.obligation, o.partner))
    return result


def as_of(owed: Iterable[Occurrence], end: date, today: date) -> list[Occurrence]:
    """Return the occurrences due on or before `end`, overdue where open and due before today."""
    return [
        _overdue(o) if o.fulfilment is None and o.due < today else o for o in owed if o.due <= end
    ]


def _overdue(o: Occurrence) -> Occurrence:
    """Return the occurrence marked overdue (`dataclasses.replace`, without its introspection)."""
    return Occurrence(
        o.agreement,
        o.version,
        o.obligation,
        o.partner,
        o.due,
        o.what,
        o.to,
        o.clause,
        o.status,
        True,
        o.fulfilment,
        o.shift,
    )


def agreement_occurrences(
    snap: Snapshot, agreement_id: str, until: date | None = None
) -> list[Occurrence]:
    """Return every occurrence of an agreement's obligations per owing partner, by due date."""
    get_agreement(snap, agreement_id)
    end = until or schedule_until(snap)
    return as_of(snap.owed(agreement_id, end), end, snap.today)


def open_occurrences(
    snap: Snapshot, agreement_id: str, until: date | None = None
) -> list[Occurrence]:
    """Return the occurrences of an agreement no fulfilment record answers yet, by due date."""
    check_agreement(snap, agreement_id)
    end = until or schedule_until(snap)
    return as_of(snap.owed_open(agreement_id, end), end, snap.today)


def all_occurrences(snap: Snapshot, until: date | None = None) -> list[Occurrence]:
    """Return the occurrences of every agreement."""
    result: list[Occurrence] = []
    for agreement_id in sorted(snap.data.agreements):
        result += agreement_occurrences(snap, agreement_id, until)
    return result


def open_items(
    snap: Snapshot,
    until: date,
    *,
    partner: str | None = None,
    person: str | None = None,
    agreements: Iterable[str] | None = None,
) -> list[DueItem]:
    """Return open obligation occurrences and open actions due on or before `until`.

    With `person` (`partner/contact`), only what that person has to do (`has_to_do`).
    """
    today, lang = snap.today, snap.lang
    wanted = set(agreements) if agreements is not None else None
    items: list[DueItem] = []
    occs: list[Occurrence] = []
    # One text per source, however many items share it (200,000 actions at Land scale).
    sources: dict[tuple[str, int | None], str] = {}
    tops: dict[tuple[date, int], str] = {}
    for agreement_id in sorted(snap.data.agreements):
        if wanted is not None and agreement_id not in wanted:
            continue
        occs.extend(open_occurrences(snap, agreement_id, until))
    for occ in occs:
        contact = responsible_contact(snap.data, occ.partner, occ.obligation, occ.agreement)
        items.append(
            DueItem(
                kind="obligation",
                partner=occ.partner,
                person=contact,
                who=who_acts(occ.partner, contact),
                due=occ.due,
                what=occ.what,
                source=sources.get((occ.agreement, occ.clause))
                or sources.setdefault(
                    (occ.agreement, occ.clause), clause_source(occ.agreement, occ.clause, lang)
                ),
                key=f"{occ.agreement}/{occ.obligation}",
                overdue=occ.overdue,
                days_overdue=max(0, (today - occ.due).days),
                agreement=occ.agreement,
                obligation=occ.obligation,
                version=occ.version,
                to=occ.to,
                nominal_due=occ.nominal,
                moved=occ.moved(lang),
            )
        )
    for row in snap.action_rows(open_only=True):
        if row.due > until:
            continue
        items.append(
            DueItem(
                kind="action",
                partner=row.partner,
                person=row.person,
                who=who_acts(row.partner, row.person),
                due=row.due,
                what=row.what,
                source=tops.get((row.meeting_date, row.top))
                or tops.setdefault(
                    (row.meeting_date, row.top), top_source(row.meeting_date, row.top, lang)
                ),
                key=row.key,
                overdue=row.overdue,
                days_overdue=max(0, (today - row.due).days),
                meeting=row.meeting,
                top=row.top,
                nominal_due=row.due,
            )
        )
    if partner is not None:
        items = [i for i in items if i.partner == partner]
    if person is not None:
        items = [i for i in items if has_to_do(person, i.partner, i.person)]
    return sorted(items, key=lambda i: (i.due, i.kind != "obligation", i.key, i.partner))


def group_by_partner(snap: Snapshot, items: Iterable[DueItem]) -> list[PartnerItems]:
    """Return items grouped per partner (by id), each group by due date.

    A group names how each agreement of its items ends, or the partner leaves it.
    """
    groups: dict[str, list[DueItem]] = {}
    for item in items:
        groups.setdefault(item.partner, []).append(item)
    result = []
    for p in sorted(groups):
        agreements = sorted({i.agreement for i in groups[p] if i.agreement})
        notes = [n for a in agreements for n in ending_notes(snap, a, [p])]
        result.append(PartnerItems(p, partner_name(snap.data, p), groups[p], notes))
    return result


def due_until(
    snap: Snapshot, *, within_days: int = DEFAULT_WITHIN_DAYS, overdue_only: bool = False
) -> date:
    """Return the last due day `coop due` lists."""
    if overdue_only:
        return snap.today - timedelta(days=1)
    return snap.today + timedelta(days=within_days)


def due_list(
    snap: Snapshot,
    *,
    partner: str | None = None,
    person: str | None = None,
    within_days: int = DEFAULT_WITHIN_DAYS,
    overdue_only: bool = False,
) -> list[PartnerItems]:
    """Return what is due within `within_days` of today or overdue, grouped by partner.

    With `person` (`partner/contact`), only what that person has to do.
    """
    check_partner(snap, partner)
    check_person(snap, person)
    until = due_until(snap, within_days=within_days, overdue_only=overdue_only)
    return group_by_partner(snap, open_items(snap, until, partner=partner, person=person))


def overdue_counts(snap: Snapshot) -> dict[str, int]:
    """Return the number of overdue items per partner: exactly what `coop due --overdue` lists."""
    counts: dict[str, int] = {}
    for group in due_list(snap, overdue_only=True):
        counts[group.partner] = len(group.items)
    return counts


def _row_text(
    snap: Snapshot, agreement_id: str, obligation_id: str
) -> tuple[str | None, Obligation] | None:
    timeline = snap.timeline(agreement_id)
    current = timeline.version_on(snap.today)
    candidates = [current] if current else []
    candidates += list(reversed(timeline.versions))
    for version in candidates:
        if version is not None and version.text is not None:
            found = version.text.find_obligation(obligation_id)
            if found is not None:
                return version.version, found
    found = timeline.working.find_obligation(obligation_id)
    return (None, found) if found is not None else None


def obligation_rows(
    snap: Snapshot, *, agreement: str | None = None, partner: str | None = None
) -> list[ObligationRow]:
    """Return the obligations of one or all agreements with their next open due date.

    A row per obligation that is owed under some version or stands in the working text; its
    counts add up to exactly what `coop due` lists for it.
    """
    check_partner(snap, partner)
    ids = [agreement] if agreement else sorted(snap.data.agreements)
    today = snap.today
    rows = []
    for agreement_id in ids:
        occs = open_occurrences(snap, agreement_id)
        timeline = snap.timeline(agreement_id)
        order: list[str] = []
        for version in [*timeline.versions]:
            if version.text is not None:
                order += [o.id for o in version.text.obligations if o.id not in order]
        order += [o.id for o in timeline.working.obligations if o.id not in order]
        current = timeline.version_on(today)
        shown = [o.id for o in current.text.obligations] if current and current.text else []
        order = [o for o in shown if o in order] + [o for o in order if o not in shown]
        for obligation_id in order:
            found = _row_text(snap, agreement_id, obligation_id)
            if found is None:
                continue
            shown_version, ob = found
            mine = [
                o
                for o in occs
                if o.obligation == ob.id and (partner is None or o.partner == partner)
            ]
            if partner is not None and partner not in ob.by and partner not in ob.to and not mine:
                continue
            upcoming = [o.due for o in mine if o.due >= today]
            rows.append(
                ObligationRow(
                    agreement_id,
                    ob.id,
                    shown_version,
                    ob.clause,
                    list(ob.by),
                    list(ob.to),
                    ob.what,
                    describe_frequency(ob, snap.lang),
                    ob.first_due,
                    min(upcoming) if upcoming else None,
                    len([o for o in mine if o.due <= today]),
                    len([o for o in mine if o.overdue]),
                    ob.condition,
                    ending_notes(snap, agreement_id, ob.by),
                )
            )
    return rows


def _owner_problems(located: Any, text: Agreement, record: Fulfilment, where: str) -> list[Problem]:
    ob = text.find_obligation(record.obligation)
    if ob is None:
        return [
            Problem(
                located.at("obligation"),
                T(
                    "unbekannte Pflicht „{o}“ in {w}; bekannt: {k}",
                    'unknown obligation "{o}" in {w}; known: {k}',
                    o=record.obligation,
                    w=where,
                    k=", ".join(o.id for o in text.obligations) or "—",
                ),
                "unknown-obligation",
            )
        ]
    if record.partner not in ob.by:
        return [
            Problem(
                located.at("partner"),
                T(
                    "„{p}“ schuldet die Pflicht „{o}“ in {w} nicht; verpflichtet: {k}",
                    '"{p}" does not owe obligation "{o}" in {w}; owed by: {k}',
                    p=record.partner,
                    o=record.obligation,
                    w=where,
                    k=", ".join(ob.by),
                ),
                "not-obliged",
            )
        ]
    return []


def fulfilment_problems(snap: Snapshot) -> list[Problem]:
    """Check each fulfilment record against the version in force on its due date.

    The obligation must exist in that version, the partner must owe it, and (for a scheduled
    duty) the day must be one of its due dates. Without any released version, records are
    checked against the working text only.
    """
    problems: list[Problem] = []
    for located in snap.data.fulfilments:
        parts = located.path.split("/")
        if len(parts) < 3 or parts[1] not in snap.data.agreements:
            continue
        record = located.value
        timeline = snap.timeline(parts[1])
        if not timeline.versions:
            problems += _owner_problems(located, timeline.working, record, parts[1])
            continue
        version = timeline.version_on(record.due)
        if version is None or version.text is None:
            problems.append(
                Problem(
                    located.at("due"),
                    T(
                        "an diesem Tag ({d}) war keine Fassung der Vereinbarung in Kraft; "
                        "es war nichts fällig",
                        "no version of the agreement was in force on this day ({d}); "
                        "nothing was due",
                        d=record.due.isoformat(),
                    ),
                    "not-in-force",
                )
            )
            continue
        ob = version.text.find_obligation(record.obligation)
        where = f"{parts[1]} {version.version}"
        owner = _owner_problems(located, version.text, record, where)
        if owner or ob is None:
            problems += owner
            continue
        if ob.first_due is None:
            continue
        end = max(record.due, snap.today)
        dates = version_dates(version, ob, end)
        if record.due not in dates:
            moved = _moved_from(snap, ob, record.due, dates)
            if moved is not None:
                problems.append(
                    Problem(
                        located.at("due"),
                        T(
                            "„{o}“ ist am {d} fällig, aber verschoben vom {n}: ein Nachweis nennt "
                            "den ursprünglichen Termin (due: {n})",
                            '"{o}" is due on {d}, but moved from {n}: a record names the '
                            "nominal date (due: {n})",
                            o=record.obligation,
                            d=record.due.isoformat(),
                            n=moved.isoformat(),
                        ),
                        "not-due",
                    )
                )
                continue
            near = sorted(dates, key=lambda d: abs((d - record.due).days))
            problems.append(
                Problem(
                    located.at("due"),
                    T(
                        "„{o}“ ist am {d} nicht fällig ({v}); nächstgelegene Fälligkeiten: {k}",
                        '"{o}" is not due on {d} ({v}); nearest due dates: {k}',
                        o=record.obligation,
                        d=record.due.isoformat(),
                        v=version.version,
                        k=", ".join(sorted(d.isoformat() for d in near[:3])) or "—",
                    ),
                    "not-due",
                )
            )
    return problems


def _moved_from(snap: Snapshot, ob: Obligation, day: date, dates: list[date]) -> date | None:
    """Return the nominal due date that `ob` moves to `day`, or None."""
    if ob.on_holiday == "keep":
        return None
    for nominal in (d for d in dates if abs((d - day).days) <= SHIFT_REACH.days):
        shift = snap.workdays.shift(nominal, ob.on_holiday)
        if shift is not None and shift.due == day:
            return nominal
    return None
