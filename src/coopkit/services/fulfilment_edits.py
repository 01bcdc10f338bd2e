"""Correcting follow-up: taking back a fulfilment record written by mistake."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from coopkit.errors import T, UsageError
from coopkit.model.fulfilment import Fulfilment
from coopkit.queries.context import Context
from coopkit.queries.lookup import get_agreement
from coopkit.services.repository import CommitResult, writing


@dataclass(frozen=True)
class UndoResult:
    """The fulfilment record that was removed, and the commit."""

    path: str
    fulfilment: Fulfilment
    commit: CommitResult


def undo_fulfilment(
    ctx: Context,
    agreement_id: str,
    obligation_id: str,
    due: date,
    *,
    partner: str | None = None,
    when: date | None = None,
    note: str | None = None,
) -> UndoResult:
    """Remove the record of what became of one occurrence; the occurrence is open again."""
    with writing(ctx) as tx:
        loaded = tx.loaded()
        get_agreement(loaded, agreement_id)
        prefix = f"agreements/{agreement_id}/"
        records = [
            r
            for r in loaded.data.fulfilments
            if r.path.startswith(prefix)
            and r.value.obligation == obligation_id
            and r.value.due == due
            and (partner is None or r.value.partner == partner)
        ]
        if not records:
            recorded = sorted(
                f"{r.value.due.isoformat()} {r.value.partner}"
                for r in loaded.data.fulfilments
                if r.path.startswith(prefix) and r.value.obligation == obligation_id
            )
            raise UsageError(
                T(
                    "kein Erfüllungsvermerk zu {a}/{o} fällig {d}{p}; vorhanden: {k}",
                    "no fulfilment record of {a}/{o} due {d}{p}; recorded: {k}",
                    a=agreement_id,
                    o=obligation_id,
                    d=due.isoformat(),
                    p=f" ({partner})" if partner else "",
                    k=", ".join(recorded[-8:]) or "—",
                )
            )
        if len(records) > 1:
            raise UsageError(
                T(
                    "mehrere Partner haben zu dieser Fälligkeit einen Vermerk; bitte --partner "
                    "angeben: {k}",
                    "several partners have a record for this due date; please give --partner: {k}",
                    k=", ".join(sorted(r.value.partner for r in records)),
                )
            )
        record = records[0]
        tx.delete(record.path)
        commit = tx.commit(
            T(
                "Erfüllungsvermerk {a}/{o} von {p}, fällig {d}, zurückgenommen",
                "Take back fulfilment record {a}/{o} by {p}, due {d}",
                a=agreement_id,
                o=obligation_id,
                p=record.value.partner,
                d=due.isoformat(),
            ),
            when,
            note,
        )
    return UndoResult(record.path, record.value, commit)
