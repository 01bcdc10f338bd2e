"""Follow-up writes and renders: recording fulfilments, and the who-informs-whom matrix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import cast, get_args

from coopkit.errors import T, UsageError
from coopkit.i18n import Msg, _, gettext
from coopkit.i18n.glossary import FULFILMENT_STATUS
from coopkit.model.agreement import Obligation
from coopkit.model.fulfilment import Fulfilment, FulfilmentStatus
from coopkit.queries.context import Context
from coopkit.queries.due import agreement_occurrences, schedule_until
from coopkit.queries.load import Snapshot, snapshot
from coopkit.queries.lookup import get_agreement, get_obligation
from coopkit.queries.names import partner_label
from coopkit.render.dates import long_date
from coopkit.services.repository import CommitResult, writing
from coopkit.store import layout
from coopkit.store.codec import dump_record
from coopkit.store.yamlio import yaml_value

STATUSES: tuple[str, ...] = get_args(FulfilmentStatus)
STATUS_WORDS: dict[str, Msg] = {**FULFILMENT_STATUS, "open": _("offen")}
"""The words for a fulfilment's status; either language's word is accepted as input."""


def parse_status(value: str) -> str:
    """Return the status key for `fulfilled` or `erfüllt`, `missed` or `versäumt`, and so on."""
    wanted = value.strip().lower()
    for key, words in STATUS_WORDS.items():
        names = (words.format("de").lower(), words.format("en").lower())
        if key != "open" and wanted in (key, *names):
            return key
    raise UsageError(
        T(
            "Status „{s}“ unbekannt; erlaubt: {k}",
            'unknown status "{s}"; allowed: {e}',
            s=value,
            k=", ".join(f"{STATUS_WORDS[k].format('de')} ({k})" for k in STATUSES),
            e=", ".join(STATUSES),
        )
    )


@dataclass(frozen=True)
class FulfilmentResult:
    """What `coop obligation done` recorded."""

    path: str
    fulfilment: Fulfilment
    updated: bool
    commit: CommitResult


def _choose_due(
    snap: Snapshot,
    agreement_id: str,
    ob: Obligation,
    partner: str,
    due: date | None,
    day: date,
) -> date:
    """Return the nominal date of the occurrence meant: the one given, else the earliest open.

    A given date may be the nominal or the moved due date of an occurrence.
    """
    if ob.first_due is None:
        return due or day
    until = schedule_until(snap, max(snap.today, day))
    owed = [
        o
        for o in agreement_occurrences(snap, agreement_id, until)
        if o.obligation == ob.id and o.partner == partner
    ]
    # A record names the nominal date; the moved date a view shows is understood too.
    dates = [o.nominal for o in owed]
    moved = {o.due: o.nominal for o in owed if o.shift is not None}
    if due is not None and due not in dates and due in moved:
        due = moved[due]
    if due is not None:
        if due not in dates:
            near = sorted(dates, key=lambda d: abs((d - due).days))[:3]
            raise UsageError(
                T(
                    "„{o}“ ist am {d} nicht fällig (keine Fälligkeit der an diesem Tag geltenden "
                    "Fassung); nächstgelegene Fälligkeiten: {k}",
                    '"{o}" is not due on {d} (no due date of the version in force that day); '
                    "nearest due dates: {k}",
                    o=ob.id,
                    d=due.isoformat(),
                    k=", ".join(sorted(d.isoformat() for d in near)) or "—",
                )
            )
        return due
    open_dates = [o.nominal for o in owed if o.status == "open"]
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

    Without `due` the earliest open occurrence is meant. A second record for the same occurrence
    updates the first (its comments survive). `when` is the fulfilment date and the commit date
    (default: today).
    """
    status = parse_status(status)
    with writing(ctx) as tx:
        snap = tx.snapshot()
        agreement = get_agreement(snap, agreement_id)
        timeline = snap.timeline(agreement_id)
        ob = _find_obligation(timeline, agreement, obligation_id)
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
        due_day = _choose_due(snap, agreement_id, ob, partner, due, day)
        record = Fulfilment(
            obligation=ob.id,
            partner=partner,
            due=due_day,
            date=day,
            status=cast(FulfilmentStatus, status),
            note=note,
            recorded_by=tx.author.name,
        )
        path = layout.fulfilment_path(agreement_id, due_day.isoformat(), ob.id, partner)
        updated = tx.exists(path)
        if updated:

            def change(node: dict[str, object]) -> None:
                node["date"] = yaml_value(day)
                node["status"] = yaml_value(status)
                if note is not None:
                    node["note"] = yaml_value(note)
                node["recorded_by"] = yaml_value(tx.author.name)

            tx.edit(path, change)
        else:
            tx.create(path, dump_record(record))
        word = STATUS_WORDS[status]
        message = T(
            "{o} (fällig {d}) für {p}: {s}{u}",
            "{o} (due {d}) for {p}: {s}{u}",
            o=ob.id,
            d=due_day.isoformat(),
            p=partner,
            s=word,
            u=T(" (aktualisiert)", " (updated)") if updated else T("", ""),
        )
        commit = tx.commit(message, when)
    return FulfilmentResult(path, record, updated, commit)


def _find_obligation(timeline: object, agreement: object, obligation_id: str) -> Obligation:
    """Return the obligation from the newest version that has it, else the working text."""
    from coopkit.model.agreement import Agreement
    from coopkit.queries.versions import Timeline

    assert isinstance(timeline, Timeline) and isinstance(agreement, Agreement)
    for version in reversed(timeline.versions):
        if version.text is not None:
            found = version.text.find_obligation(obligation_id)
            if found is not None:
                return found
    return get_obligation(agreement, obligation_id)


@dataclass(frozen=True)
class MatrixResult:
    """The matrix, and where it was written (None when returned as text)."""

    partners: list[tuple[str, str]]
    cells: dict[tuple[str, str], list[str]]
    text: str | None
    path: Path | None


def matrix_cells(
    snap: Snapshot, agreement: str | None, lang: str
) -> tuple[list[tuple[str, str]], dict[tuple[str, str], list[str]]]:
    """Return (partners, cells): what each partner owes each other partner, and how often.

    The obligations are those `coop obligation list` shows: of the version in force today, else
    of the newest version or the working text that has them.
    """
    from coopkit.queries.due import obligation_rows

    ids = [agreement] if agreement else sorted(snap.data.agreements)
    cells: dict[tuple[str, str], list[str]] = {}
    involved: list[str] = []
    for agreement_id in ids:
        found = get_agreement(snap, agreement_id)
        for party in found.parties:
            if party not in involved:
                involved.append(party)
        for row in obligation_rows(snap, agreement=agreement_id):
            line = f"{row.what} ({row.frequency})"
            if agreement is None:
                line += f" [{agreement_id}]"
            for source in row.by:
                for target in row.to:
                    entries = cells.setdefault((source, target), [])
                    if line not in entries:
                        entries.append(line)
    partners = [(partner_id, partner_label(snap.data, partner_id)) for partner_id in involved]
    return partners, cells


def obligation_matrix(
    ctx: Context, *, agreement: str | None = None, output: Path | None = None
) -> MatrixResult:
    """Build the who-informs-whom matrix; write .md or .docx to `output`, else return Markdown."""
    from coopkit.render.matrix import Matrix, render_matrix_docx, render_matrix_md
    from coopkit.services.outputs import write_output

    snap = snapshot(ctx)
    partners, cells = matrix_cells(snap, agreement, ctx.lang)
    scope = agreement or (gettext("alle Vereinbarungen", ctx.lang))
    stand = long_date(ctx.today, ctx.lang)
    matrix = Matrix(
        title=gettext("Wer informiert wen", ctx.lang),
        subtitle=(
            _(
                "{scope}: Zeilen schulden, Spalten erhalten; Stand {stand}",
                scope=scope,
                stand=stand,
            ).format(ctx.lang)
        ),
        partners=partners,
        cells=cells,
        corner=gettext("von \\ an", ctx.lang),
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
