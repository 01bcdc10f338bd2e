"""Follow-up: obligation occurrences, fulfilment records, due and overdue items per partner."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal, cast, get_args

from coopkit.errors import NotFound, ProblemsFound, T, UsageError
from coopkit.model.agreement import Agreement, Obligation
from coopkit.model.base import split_person
from coopkit.model.fulfilment import Fulfilment, FulfilmentStatus
from coopkit.model.repo import RepoData
from coopkit.render.dates import long_date
from coopkit.schedule import RecurrenceError, describe_frequency, horizon_end, occurrences
from coopkit.services.context import Context
from coopkit.services.repository import CommitResult, commit_changes, load_worktree
from coopkit.store import layout
from coopkit.store.codec import dump_record, edit_yaml_text
from coopkit.store.yamlio import yaml_value

DEFAULT_HORIZON_YEARS = 3
DEFAULT_WITHIN_DAYS = 30
STATUSES: tuple[str, ...] = get_args(FulfilmentStatus)

ItemKind = Literal["obligation", "action"]


@dataclass(frozen=True)
class Occurrence:
    """One due date of an obligation for one partner, and what became of it."""

    agreement: str
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


@dataclass(frozen=True)
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
    agreement: str | None = None
    obligation: str | None = None
    meeting: str | None = None
    top: int | None = None
    to: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PartnerItems:
    """The due items of one partner."""

    partner: str
    name: str
    items: list[DueItem]


@dataclass(frozen=True)
class ObligationRow:
    """One obligation as `coop obligation list` shows it."""

    agreement: str
    id: str
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


@dataclass(frozen=True)
class FulfilmentResult:
    """What `coop obligation done` recorded."""

    path: str
    fulfilment: Fulfilment
    updated: bool
    commit: CommitResult


def horizon_years(data: RepoData) -> int:
    """Return the configured horizon for open-ended obligations (`[schedule] horizon_years`)."""
    return data.config.value.schedule.horizon_years if data.config else DEFAULT_HORIZON_YEARS


def schedule_until(data: RepoData, today: date) -> date:
    """Return the last day occurrences are computed for: today plus the horizon."""
    return horizon_end(today, horizon_years(data))


def clause_source(agreement_id: str, clause: int | None, lang: str = "de") -> str:
    """Return the source of an obligation: "§ 4 Vereinbarung myk-caritas-ko"."""
    label = "agreement" if lang == "en" else "Vereinbarung"
    if clause is None:
        return f"{label} {agreement_id}"
    return f"§ {clause} {label} {agreement_id}"


def top_source(meeting_date: date, top: int, lang: str = "de") -> str:
    """Return the source of an action: "TOP 3, Sitzung vom 5. Februar 2014"."""
    if lang == "en":
        return f"item {top}, meeting of {long_date(meeting_date, lang)}"
    return f"TOP {top}, Sitzung vom {long_date(meeting_date, lang)}"


def get_agreement(data: RepoData, agreement_id: str) -> Agreement:
    """Return an agreement or raise NotFound naming the known ones."""
    agreement = data.find_agreement(agreement_id)
    if agreement is None:
        raise NotFound(
            T(
                "unbekannte Vereinbarung „{a}“; bekannt: {k}",
                'unknown agreement "{a}"; known: {k}',
                a=agreement_id,
                k=", ".join(sorted(data.agreements)) or "—",
            )
        )
    return agreement


def check_partner(data: RepoData, partner: str | None) -> None:
    """Raise NotFound when a --partner filter names no partner."""
    if partner is not None and partner not in data.partners:
        raise NotFound(
            T(
                "unbekannter Partner „{p}“; bekannt: {k}",
                'unknown partner "{p}"; known: {k}',
                p=partner,
                k=", ".join(sorted(data.partners)) or "—",
            )
        )


def obligation_dates(
    data: RepoData, agreement_id: str, obligation: Obligation, until: date
) -> list[date]:
    """Return the due dates of one obligation through validity or `until`."""
    agreement = get_agreement(data, agreement_id)
    try:
        return occurrences(obligation, agreement.valid_from, agreement.valid_until, until)
    except RecurrenceError as err:
        located = data.agreements[agreement_id]
        index = agreement.obligations.index(obligation)
        from coopkit.errors import Problem

        raise ProblemsFound(
            [Problem(located.at("obligations", index, "rrule"), err.message, "recurrence")],
            T("Wiederholung nicht berechenbar", "recurrence cannot be computed"),
        ) from err


FulfilmentIndex = dict[str, dict[tuple[str, str, date], Fulfilment]]


def fulfilment_index(data: RepoData) -> FulfilmentIndex:
    """Return agreement -> (obligation, partner, due) -> record, built in one pass."""
    index: FulfilmentIndex = {}
    for located in data.fulfilments:
        parts = located.path.split("/")
        if len(parts) < 3 or parts[0] != "agreements":
            continue
        f = located.value
        index.setdefault(parts[1], {})[(f.obligation, f.partner, f.due)] = f
    return index


def agreement_occurrences(
    data: RepoData,
    agreement_id: str,
    today: date,
    until: date | None = None,
    *,
    include_drafts: bool = True,
    index: FulfilmentIndex | None = None,
) -> list[Occurrence]:
    """Return every occurrence of an agreement's obligations per owing partner, by due date.

    Recorded fulfilments whose due date is not a computed occurrence (per-case duties without a
    first due date) are included with their recorded status.
    """
    agreement = get_agreement(data, agreement_id)
    if agreement.status == "draft" and not include_drafts:
        return []
    end = until or schedule_until(data, today)
    if index is None:
        index = fulfilment_index(data)
    recorded = index.get(agreement_id, {})
    seen: set[tuple[str, str, date]] = set()
    result: list[Occurrence] = []

    def add(ob: Obligation, partner: str, due: date) -> None:
        record = recorded.get((ob.id, partner, due))
        status = record.status if record else "open"
        result.append(
            Occurrence(
                agreement_id,
                ob.id,
                partner,
                due,
                ob.what,
                list(ob.to),
                ob.clause,
                status,
                record is None and due < today,
                record,
            )
        )
        seen.add((ob.id, partner, due))

    for ob in agreement.obligations:
        for due in obligation_dates(data, agreement_id, ob, end):
            for partner in ob.by:
                add(ob, partner, due)
    for key, record in recorded.items():
        ob_found = agreement.find_obligation(record.obligation)
        if key not in seen and ob_found is not None and record.due <= end:
            add(ob_found, record.partner, record.due)
    result.sort(key=lambda o: (o.due, o.obligation, o.partner))
    return result


def all_occurrences(data: RepoData, today: date, until: date | None = None) -> list[Occurrence]:
    """Return the occurrences of every agreement that is not a draft."""
    result: list[Occurrence] = []
    index = fulfilment_index(data)
    for agreement_id in sorted(data.agreements):
        result += agreement_occurrences(
            data, agreement_id, today, until, include_drafts=False, index=index
        )
    return result


def _open_obligation_items(data: RepoData, today: date, until: date, lang: str) -> list[DueItem]:
    items = []
    for occ in all_occurrences(data, today, until):
        if occ.status != "open" or occ.due > until:
            continue
        items.append(
            DueItem(
                kind="obligation",
                partner=occ.partner,
                due=occ.due,
                what=occ.what,
                source=clause_source(occ.agreement, occ.clause, lang),
                key=f"{occ.agreement}/{occ.obligation}",
                overdue=occ.overdue,
                days_overdue=max(0, (today - occ.due).days),
                agreement=occ.agreement,
                obligation=occ.obligation,
                to=occ.to,
            )
        )
    return items


def open_action_items(data: RepoData, today: date, lang: str = "de") -> list[DueItem]:
    """Return every action item without a closing record."""
    items = []
    closed = data.closing_records
    for meeting_id in sorted(data.minutes):
        minutes = data.minutes[meeting_id].value
        for top, action in minutes.all_actions():
            key = minutes.action_key(action)
            if key in closed:
                continue
            partner, person = split_person(action.who)
            items.append(
                DueItem(
                    kind="action",
                    partner=partner,
                    person=person,
                    due=action.due,
                    what=action.what,
                    source=top_source(minutes.date, top, lang),
                    key=key,
                    overdue=action.due < today,
                    days_overdue=max(0, (today - action.due).days),
                    meeting=meeting_id,
                    top=top,
                )
            )
    return items


def _group(data: RepoData, items: Iterable[DueItem]) -> list[PartnerItems]:
    groups: dict[str, list[DueItem]] = {}
    for item in items:
        groups.setdefault(item.partner, []).append(item)
    result = []
    for partner in sorted(groups):
        found = data.find_partner(partner)
        ordered = sorted(groups[partner], key=lambda i: (i.due, i.kind != "obligation", i.key))
        result.append(PartnerItems(partner, found.name if found else partner, ordered))
    return result


def open_items(
    data: RepoData,
    today: date,
    until: date,
    *,
    partner: str | None = None,
    lang: str = "de",
) -> list[DueItem]:
    """Return open obligation occurrences and actions due on or before `until`."""
    items = _open_obligation_items(data, today, until, lang)
    items += [a for a in open_action_items(data, today, lang) if a.due <= until]
    if partner is not None:
        items = [i for i in items if i.partner == partner]
    return items


def due_list(
    data: RepoData,
    today: date,
    *,
    partner: str | None = None,
    within_days: int = DEFAULT_WITHIN_DAYS,
    overdue_only: bool = False,
    lang: str = "de",
) -> list[PartnerItems]:
    """Return what is due within `within_days` of today or overdue, grouped by partner."""
    check_partner(data, partner)
    until = today - timedelta(days=1) if overdue_only else today + timedelta(days=within_days)
    items = open_items(data, today, until, partner=partner, lang=lang)
    return _group(data, items)


def due(
    ctx: Context,
    *,
    partner: str | None = None,
    within_days: int = DEFAULT_WITHIN_DAYS,
    overdue_only: bool = False,
) -> list[PartnerItems]:
    """Load the working tree and return its due list as of ctx.today."""
    data = load_worktree(ctx).data
    return due_list(
        data,
        ctx.today,
        partner=partner,
        within_days=within_days,
        overdue_only=overdue_only,
        lang=ctx.lang,
    )


def overdue_counts(data: RepoData, today: date) -> dict[str, int]:
    """Return the number of overdue obligation occurrences and actions per partner.

    Counts what `coop due --overdue` lists, without building the items (status runs this).
    """
    counts: dict[str, int] = {}
    yesterday = today - timedelta(days=1)
    index = fulfilment_index(data)
    for agreement_id in sorted(data.agreements):
        agreement = data.agreements[agreement_id].value
        if agreement.status == "draft":
            continue
        recorded = index.get(agreement_id, {})
        for ob in agreement.obligations:
            for due in obligation_dates(data, agreement_id, ob, yesterday):
                for partner in ob.by:
                    if (ob.id, partner, due) not in recorded:
                        counts[partner] = counts.get(partner, 0) + 1
    closed = data.closing_records
    for located in data.minutes.values():
        minutes = located.value
        for _top, action in minutes.all_actions():
            if action.due < today and minutes.action_key(action) not in closed:
                partner = split_person(action.who)[0]
                counts[partner] = counts.get(partner, 0) + 1
    return dict(sorted(counts.items()))


def obligation_rows(
    data: RepoData,
    today: date,
    *,
    agreement: str | None = None,
    partner: str | None = None,
    lang: str = "de",
) -> list[ObligationRow]:
    """Return the obligations of one or all agreements with their next open due date."""
    check_partner(data, partner)
    ids = [agreement] if agreement else sorted(data.agreements)
    rows = []
    index = fulfilment_index(data)
    for agreement_id in ids:
        agreement_value = get_agreement(data, agreement_id)
        occs = agreement_occurrences(data, agreement_id, today, index=index)
        for ob in agreement_value.obligations:
            if partner is not None and partner not in ob.by and partner not in ob.to:
                continue
            mine = [
                o
                for o in occs
                if o.obligation == ob.id
                and (partner is None or o.partner == partner)
                and o.status == "open"
            ]
            upcoming = [o.due for o in mine if o.due >= today]
            rows.append(
                ObligationRow(
                    agreement_id,
                    ob.id,
                    ob.clause,
                    list(ob.by),
                    list(ob.to),
                    ob.what,
                    describe_frequency(ob, lang),
                    ob.first_due,
                    min(upcoming) if upcoming else None,
                    len([o for o in mine if o.due <= today]),
                    len([o for o in mine if o.overdue]),
                    ob.condition,
                )
            )
    return rows


def list_obligations(
    ctx: Context, *, agreement: str | None = None, partner: str | None = None
) -> list[ObligationRow]:
    """Load the working tree and list obligations."""
    data = load_worktree(ctx).data
    return obligation_rows(data, ctx.today, agreement=agreement, partner=partner, lang=ctx.lang)


def _choose_due(
    data: RepoData,
    agreement_id: str,
    ob: Obligation,
    partner: str,
    due: date | None,
    day: date,
    today: date,
) -> date:
    if ob.first_due is None:
        return due or day
    dates = obligation_dates(data, agreement_id, ob, schedule_until(data, max(today, day)))
    if due is not None:
        if due not in dates:
            near = sorted(dates, key=lambda d: abs((d - due).days))[:3]
            raise UsageError(
                T(
                    "„{o}“ ist am {d} nicht fällig; nächstgelegene Fälligkeiten: {k}",
                    '"{o}" is not due on {d}; nearest due dates: {k}',
                    o=ob.id,
                    d=due.isoformat(),
                    k=", ".join(sorted(d.isoformat() for d in near)) or "—",
                )
            )
        return due
    recorded = {
        f.due
        for f in data.fulfilments_for(agreement_id)
        if f.obligation == ob.id and f.partner == partner
    }
    open_dates = [d for d in dates if d not in recorded]
    if not open_dates:
        raise UsageError(
            T(
                "keine offene Fälligkeit von „{o}“ für {p}; bitte --due angeben",
                'no open due date of "{o}" for {p}; please give --due',
                o=ob.id,
                p=partner,
            )
        )
    return open_dates[0]


def record_fulfilment(
    ctx: Context,
    agreement_id: str,
    obligation_id: str,
    partner: str | None = None,
    due: date | None = None,
    when: date | None = None,
    status: str = "fulfilled",
    note: str | None = None,
) -> FulfilmentResult:
    """Record what became of one occurrence of an obligation for one partner, as one commit.

    Without `due` the earliest occurrence without a record is meant. A second record for the
    same occurrence updates the first (its comments survive). `when` is the fulfilment date and
    the commit date (default: today).
    """
    if status not in STATUSES:
        raise UsageError(
            T(
                "Status „{s}“ unbekannt; erlaubt: {k}",
                'unknown status "{s}"; allowed: {k}',
                s=status,
                k=", ".join(STATUSES),
            )
        )
    data = load_worktree(ctx).data
    agreement = get_agreement(data, agreement_id)
    ob = agreement.find_obligation(obligation_id)
    if ob is None:
        raise NotFound(
            T(
                "unbekannte Pflicht „{o}“ in {a}; bekannt: {k}",
                'unknown obligation "{o}" in {a}; known: {k}',
                o=obligation_id,
                a=agreement_id,
                k=", ".join(o.id for o in agreement.obligations) or "—",
            )
        )
    if partner is None:
        if len(ob.by) != 1:
            raise UsageError(
                T(
                    "„{o}“ schulden mehrere Partner; bitte --partner angeben: {k}",
                    '"{o}" is owed by several partners; please give --partner: {k}',
                    o=ob.id,
                    k=", ".join(ob.by),
                )
            )
        partner = ob.by[0]
    elif partner not in ob.by:
        raise UsageError(
            T(
                "„{p}“ schuldet „{o}“ nicht; verpflichtet: {k}",
                '"{p}" does not owe "{o}"; owed by: {k}',
                p=partner,
                o=ob.id,
                k=", ".join(ob.by),
            )
        )
    day = when or ctx.today
    due_day = _choose_due(data, agreement_id, ob, partner, due, day, ctx.today)
    author = ctx.author()
    record = Fulfilment(
        obligation=ob.id,
        partner=partner,
        due=due_day,
        date=day,
        status=cast(FulfilmentStatus, status),
        note=note,
        recorded_by=author.name,
    )
    path = layout.fulfilment_path(agreement_id, due_day.isoformat(), ob.id, partner)
    target = ctx.root / path
    updated = target.is_file()
    if updated:

        def change(node: dict[str, object]) -> None:
            node["date"] = yaml_value(day)
            node["status"] = yaml_value(status)
            if note is not None:
                node["note"] = yaml_value(note)
            node["recorded_by"] = yaml_value(author.name)

        text = edit_yaml_text(target.read_text("utf-8"), path, change)
        verb = "Update"
    else:
        text = dump_record(record)
        verb = "Record"
    message = f"{verb} fulfilment of {ob.id} due {due_day.isoformat()} by {partner} ({status})"
    commit = commit_changes(ctx, {path: text.encode("utf-8")}, message, when=when)
    return FulfilmentResult(path, record, updated, commit)


@dataclass(frozen=True)
class MatrixResult:
    """The matrix, and where it was written (None when returned as text)."""

    partners: list[tuple[str, str]]
    cells: dict[tuple[str, str], list[str]]
    text: str | None
    path: Path | None


def matrix_cells(
    data: RepoData, agreement: str | None, lang: str
) -> tuple[list[tuple[str, str]], dict[tuple[str, str], list[str]]]:
    """Return (partners, cells): what each partner owes each other partner, and how often."""
    ids = [agreement] if agreement else sorted(data.agreements)
    cells: dict[tuple[str, str], list[str]] = {}
    involved: list[str] = []
    for agreement_id in ids:
        found = get_agreement(data, agreement_id)
        for party in found.parties:
            if party not in involved:
                involved.append(party)
        for ob in found.obligations:
            line = f"{ob.what} ({describe_frequency(ob, lang)})"
            if agreement is None:
                line += f" [{agreement_id}]"
            for source in ob.by:
                for target in ob.to:
                    entries = cells.setdefault((source, target), [])
                    if line not in entries:
                        entries.append(line)
    partners = []
    for partner_id in involved:
        partner = data.find_partner(partner_id)
        partners.append((partner_id, (partner.short or partner.name) if partner else partner_id))
    return partners, cells


def obligation_matrix(
    ctx: Context, *, agreement: str | None = None, output: Path | None = None
) -> MatrixResult:
    """Build the who-informs-whom matrix; write .md or .docx to `output`, else return Markdown."""
    from coopkit.render.matrix import Matrix, render_matrix_docx, render_matrix_md
    from coopkit.services.outputs import write_output

    data = load_worktree(ctx).data
    partners, cells = matrix_cells(data, agreement, ctx.lang)
    en = ctx.lang == "en"
    scope = agreement or ("all agreements" if en else "alle Vereinbarungen")
    stand = long_date(ctx.today, ctx.lang)
    matrix = Matrix(
        title="Who informs whom" if en else "Wer informiert wen",
        subtitle=(
            f"{scope}: rows owe, columns receive; as of {stand}"
            if en
            else f"{scope}: Zeilen schulden, Spalten erhalten; Stand {stand}"
        ),
        partners=partners,
        cells=cells,
        corner="from \\ to" if en else "von \\ an",
    )
    if output is None:
        return MatrixResult(partners, cells, render_matrix_md(matrix), None)
    suffix = output.suffix.lower()
    if suffix == ".docx":
        payload = render_matrix_docx(matrix, ctx.lang)
    elif suffix == ".md":
        payload = render_matrix_md(matrix).encode("utf-8")
    else:
        raise UsageError(
            T(
                "-o: erwartet DATEI.md oder DATEI.docx, nicht „{p}“",
                '-o: expected FILE.md or FILE.docx, not "{p}"',
                p=str(output),
            )
        )
    return MatrixResult(partners, cells, None, write_output(ctx, output, payload))
