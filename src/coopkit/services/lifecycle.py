"""Ending an agreement or a party's part in it (notice, mutual consent); the legacy status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from coopkit.errors import T, UsageError
from coopkit.model.agreement import Agreement
from coopkit.model.termination import Termination
from coopkit.queries.context import Context
from coopkit.queries.lookup import get_agreement, get_partner
from coopkit.queries.versions import Timeline, ending_text, leaving_text, notice_end, notices_of
from coopkit.services.repository import CommitResult, writing
from coopkit.store import layout
from coopkit.store.codec import dump_record


@dataclass(frozen=True)
class TerminationResult:
    """A written termination record, the last day in force it leads to, and the commit."""

    record: Termination
    path: str
    earliest: date
    commit: CommitResult
    leaves: bool = False
    """Whether the notice ends only this party's part (`on_notice: party-leaves`)."""


def terminate(
    ctx: Context,
    agreement_id: str,
    partner: str,
    *,
    day: date | None = None,
    reason: str | None = None,
    effective: date | None = None,
    mutual: bool = False,
    signatory: str | None = None,
) -> TerminationResult:
    """Record a party's notice (or its consent to end by mutual agreement) as one commit.

    A notice takes effect after the notice period of the version in force when it is given;
    `effective` names a later last day. Under `on_notice: party-leaves` the party leaves and the
    agreement goes on among the others (while two remain); under `ends` it ends. Ending by mutual
    consent takes effect on `effective` once every party recorded the same date.
    """
    declared = day or ctx.today
    with writing(ctx) as tx:
        snap = tx.snapshot()
        agreement = get_agreement(snap, agreement_id)
        get_partner(snap, partner)
        if partner not in agreement.parties:
            raise UsageError(
                T(
                    "„{p}“ ist keine Partei von {a}; Parteien: {k}",
                    '"{p}" is not a party to {a}; parties: {k}',
                    p=partner,
                    a=agreement_id,
                    k=", ".join(agreement.parties),
                )
            )
        timeline = snap.timeline(agreement_id)
        if not any(v.ever_in_force for v in timeline.versions):
            raise UsageError(
                T(
                    "{a} ist nicht in Kraft und war es nie; ein Entwurf wird nicht gekündigt",
                    "{a} is not and never was in force; a draft is not terminated",
                    a=agreement_id,
                )
            )
        earliest = notice_end(timeline, declared)
        if mutual and effective is None:
            raise UsageError(
                T(
                    "einvernehmliche Aufhebung: bitte --effective DATUM (letzter Tag der Geltung)",
                    "mutual consent: give --effective DATE (the last day in force)",
                )
            )
        if not mutual and effective is not None and effective < earliest:
            raise UsageError(
                T(
                    "Kündigung zum {e} unterschreitet die Kündigungsfrist; frühestens zum {f}",
                    "notice as of {e} is shorter than the notice period; earliest {f}",
                    e=effective.isoformat(),
                    f=earliest.isoformat(),
                )
            )
        path = layout.termination_path(agreement_id, partner)
        if tx.exists(path):
            raise UsageError(
                T(
                    "{p} hat {a} schon gekündigt ({f})",
                    "{p} already terminated {a} ({f})",
                    p=partner,
                    a=agreement_id,
                    f=path,
                )
            )
        values: dict[str, Any] = {
            "agreement": agreement_id,
            "partner": partner,
            "kind": "mutual" if mutual else "notice",
            "date": declared,
            "effective": effective,
            "reason": reason or None,
            "signatory": signatory or None,
        }
        record = Termination.model_validate(values)
        earlier = [r.value for r in snap.data.terminations_for(agreement_id)]
        leavings, _ = notices_of(timeline, [*earlier, record])
        leaves = not mutual and any(x.partner == partner for x in leavings)
        tx.create(path, dump_record(record))
        message = (
            T(
                "Einvernehmliche Aufhebung von {a} zum {e}: Zustimmung von {p}",
                "End {a} by mutual consent as of {e}: consent of {p}",
                a=agreement_id,
                e=(effective or declared).isoformat(),
                p=partner,
            )
            if mutual
            else T(
                "Kündigung durch {p} in {a}: scheidet zum {e} aus, die übrigen Parteien "
                "bleiben gebunden",
                "Notice by {p} in {a}: leaves as of {e}, the other parties remain bound",
                a=agreement_id,
                p=partner,
                e=(effective or earliest).isoformat(),
            )
            if leaves
            else T(
                "Kündigung von {a} durch {p} zum {e}",
                "Notice of termination of {a} by {p} as of {e}",
                a=agreement_id,
                p=partner,
                e=(effective or earliest).isoformat(),
            )
        )
        commit = tx.commit(message, declared if day else None)
    return TerminationResult(record, path, earliest, commit, leaves)


def refuse_release_after_ending(timeline: Timeline, agreement: Agreement, day: date) -> None:
    """Refuse a new version of an ended agreement, or one still naming a party that left.

    Raises:
        UsageError: a termination ends the agreement (declared by `day`), or a party gave notice
            to leave and still stands in `parties`.
    """
    ending = timeline.ending
    if ending is not None and ending.effective is not None and ending.declared <= day:
        raise UsageError(
            T(
                "{a} {w}; eine beendete Vereinbarung bekommt keine neue Fassung, nichts wurde "
                "veröffentlicht",
                "{a} {w}; an ended agreement gets no new version, nothing was released",
                a=timeline.agreement_id,
                w=ending_text(ending, day),
            ),
            hint=T(
                "eine neue Vereinbarung anlegen (coop agreement new …) oder, falls die Kündigung "
                "zurückgenommen ist, ihren Eintrag unter agreements/{a}/termination/ mit einem "
                "Commit entfernen",
                "create a new agreement (coop agreement new …) or, if the notice was withdrawn, "
                "remove its record under agreements/{a}/termination/ by a commit",
                a=timeline.agreement_id,
            ),
        )
    staying = [x for x in timeline.leavings if x.declared <= day and x.partner in agreement.parties]
    if staying:
        names = ", ".join(x.partner for x in staying)
        raise UsageError(
            T(
                "{a}: {w}, steht aber noch unter „parties“; nichts wurde veröffentlicht",
                '{a}: {w}, yet is still listed in "parties"; nothing was released',
                a=timeline.agreement_id,
                w=leaving_text(staying[0], day),
            ),
            hint=T(
                "erst {p} aus „parties“ und aus den Pflichten nehmen "
                "(coop agreement set {a} parties …), dann veröffentlichen",
                'first take {p} out of "parties" and the obligations '
                "(coop agreement set {a} parties …), then release",
                a=timeline.agreement_id,
                p=names,
            ),
        )


def migrate(ctx: Context, when: date | None = None) -> CommitResult | None:
    """Remove the legacy `status:` key from every agreement file in one commit (None: nothing)."""
    with writing(ctx) as tx:
        snap = tx.snapshot()
        changed = []
        for agreement_id in sorted(snap.data.agreements):
            located = snap.data.agreements[agreement_id]
            if located.value.status is None:
                continue

            def drop(node: Any) -> None:
                node.pop("status", None)

            tx.edit(located.path, drop)
            changed.append(agreement_id)
        if not changed:
            return None
        return tx.commit(
            T(
                "Handgesetzten Status aus {n} Vereinbarung(en) entfernt: der Stand ergibt sich "
                "aus Fassungen und Freigaben",
                "Remove the hand-set status from {n} agreement(s): the state follows from "
                "versions and approvals",
                n=len(changed),
            ),
            when,
        )
