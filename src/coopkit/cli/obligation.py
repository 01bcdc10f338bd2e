"""`coop obligation`: obligations added, changed, removed, listed; fulfilment; who informs whom."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from coopkit.cli.boundary import command
from coopkit.cli.correcting import CommitDateOption, MessageOption, done
from coopkit.cli.labels import day_text
from coopkit.cli.output import clean, print_json, say, table
from coopkit.cli.state import DayKind, get_state
from coopkit.errors import T, UsageError
from coopkit.i18n import gettext

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False)

if TYPE_CHECKING:
    from coopkit.queries.load import Snapshot


@app.callback()
def obligation_group() -> None:
    """Pflichten: anlegen, ändern, entfernen, auflisten, Erfüllung erfassen, wer informiert wen."""


DateOption = Annotated[
    str | None, typer.Option("--date", metavar="DATUM", help="Datum des Commits.")
]
AgreementId = Annotated[str, typer.Argument(metavar="ID", help="ID der Vereinbarung.")]
ObligationId = Annotated[str, typer.Argument(metavar="PFLICHT-ID", help="ID der Pflicht.")]


ON_HOLIDAY = ("next-working-day", "previous-working-day", "keep")
"""What `--on-holiday` accepts: the values of `on_holiday` in an obligation."""


def _on_holiday(value: str | None) -> str | None:
    """Return the `--on-holiday` value, or refuse one the obligation would not accept."""
    if value is None or value in ON_HOLIDAY:
        return value
    raise UsageError(
        T(
            "--on-holiday: „{v}“ gibt es nicht; möglich: {k}",
            '--on-holiday: "{v}" does not exist; possible: {k}',
            v=value,
            k=", ".join(ON_HOLIDAY),
        )
    )


ByOption = Annotated[
    list[str] | None, typer.Option("--by", metavar="PARTNER", help="Wer schuldet (mehrfach).")
]
ToOption = Annotated[
    list[str] | None, typer.Option("--to", metavar="PARTNER", help="Wem gegenüber (mehrfach).")
]
WhatOption = Annotated[str | None, typer.Option("--what", help="Was zu tun ist.")]
EveryOption = Annotated[
    str | None, typer.Option("--every", metavar="DAUER", help="Turnus als ISO-Dauer, z. B. P3M.")
]
RruleOption = Annotated[
    str | None, typer.Option("--rrule", metavar="REGEL", help="Turnus als RRULE (RFC 5545).")
]
FirstDueOption = Annotated[
    str | None, typer.Option("--first-due", metavar="DATUM", help="Erste Fälligkeit.")
]
ClauseOption = Annotated[
    int | None, typer.Option("--clause", metavar="N", help="Paragraph § N.", min=1)
]
ConditionOption = Annotated[str | None, typer.Option("--condition", help="Bedingung.")]
HowOption = Annotated[str | None, typer.Option("--how", help="Wie (Weg, Form).")]
OnHolidayOption = Annotated[
    str | None,
    typer.Option(
        "--on-holiday",
        metavar="REGEL",
        help="Fällt eine Fälligkeit auf ein Wochenende oder einen Feiertag des Landes (land in "
        "coop.toml): next-working-day (auf den nächsten Werktag), previous-working-day (auf den "
        "Werktag davor) oder keep (bleibt, Standard).",
    ),
]


@command
def obligation_add_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    obligation_id: Annotated[
        str, typer.Argument(metavar="PFLICHT-ID", help="Kurz-ID der Pflicht.")
    ],
    by: ByOption = None,
    to: ToOption = None,
    what: WhatOption = None,
    every: EveryOption = None,
    rrule: RruleOption = None,
    first_due: FirstDueOption = None,
    clause: ClauseOption = None,
    condition: ConditionOption = None,
    how: HowOption = None,
    on_holiday: OnHolidayOption = None,
    date: DateOption = None,
) -> None:
    """Eine Pflicht anlegen: wer schuldet wem was, einmalig oder wiederkehrend; ein Commit.

    Beispiel: coop obligation add koop angebote --by caritas --to kreis
    --what "Über Angebote informieren" --every P3M --first-due 2013-03-31 --clause 2
    """
    from coopkit.services.agreements import add_obligation

    if not by or not what:
        raise UsageError(T("--by und --what sind nötig", "--by and --what are required"))
    service_ctx = get_state(ctx).context()
    result = add_obligation(
        service_ctx,
        agreement_id,
        obligation_id,
        by=by,
        to=to or [],
        what=what,
        every=every,
        rrule=rrule,
        first_due=get_state(ctx).day(first_due, "--first-due", DayKind.PLANNED),
        clause=clause,
        condition=condition,
        how=how,
        on_holiday=_on_holiday(on_holiday),
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
    )
    done(
        ctx,
        T("Pflicht {o} angelegt", "obligation {o} added", o=obligation_id),
        {"commit": result.commit.commit},
    )


@command
def obligation_set_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    obligation_id: ObligationId,
    by: ByOption = None,
    to: ToOption = None,
    what: WhatOption = None,
    every: EveryOption = None,
    rrule: RruleOption = None,
    first_due: FirstDueOption = None,
    clause: ClauseOption = None,
    condition: ConditionOption = None,
    how: HowOption = None,
    on_holiday: OnHolidayOption = None,
    unset: Annotated[
        list[str] | None,
        typer.Option("--unset", metavar="FELD", help="Feld entfernen, z. B. every (mehrfach)."),
    ] = None,
    date: DateOption = None,
) -> None:
    """Felder einer Pflicht ändern oder mit --unset entfernen; ein Commit.

    Beispiel: coop obligation set koop angebote --every P6M
    """
    from coopkit.services.agreements import set_obligation

    changes: dict[str, Any] = {
        "by": by or None,
        "to": to or None,
        "what": what,
        "every": every,
        "rrule": rrule,
        "first_due": get_state(ctx).day(first_due, "--first-due", DayKind.PLANNED),
        "clause": clause,
        "condition": condition,
        "how": how,
        "on_holiday": _on_holiday(on_holiday),
    }
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes and not unset:
        raise UsageError(
            T("nichts zu ändern: bitte Optionen angeben", "nothing to change: give some options")
        )
    service_ctx = get_state(ctx).context()
    result = set_obligation(
        service_ctx,
        agreement_id,
        obligation_id,
        changes,
        unset=unset or [],
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
    )
    done(
        ctx,
        T("Pflicht {o} geändert", "obligation {o} changed", o=obligation_id),
        {"commit": result.commit.commit},
    )


@command
def obligation_remove_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    obligation_id: ObligationId,
    date: DateOption = None,
) -> None:
    """Eine Pflicht entfernen; ein Commit.

    Beispiel: coop obligation remove koop angebote
    """
    from coopkit.services.agreements import remove_obligation

    service_ctx = get_state(ctx).context()
    result = remove_obligation(
        service_ctx,
        agreement_id,
        obligation_id,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
    )
    done(
        ctx,
        T("Pflicht {o} entfernt", "obligation {o} removed", o=obligation_id),
        {"commit": result.commit.commit},
    )


@command
def obligation_list_cmd(
    ctx: typer.Context,
    agreement: Annotated[
        str | None,
        typer.Option(
            "--agreement", help="Nur Pflichten dieser Vereinbarung.", metavar="VEREINBARUNG"
        ),
    ] = None,
    partner: Annotated[
        str | None,
        typer.Option(
            "--partner",
            help="Nur Pflichten, die dieser Partner schuldet oder erhält.",
            metavar="PARTNER",
        ),
    ] = None,
) -> None:
    """Pflichten auflisten: wer schuldet wem was, wie oft, nächste Fälligkeit, offen/überfällig.

    Beispiel: coop obligation list --agreement myk-caritas-ko
    """
    from coopkit.cli.pages import show_page

    state = get_state(ctx)
    service_ctx = state.context()

    def render(snap: Snapshot) -> None:
        from coopkit.queries.due import obligation_rows

        rows = obligation_rows(snap, agreement=agreement, partner=partner)
        if state.json:
            print_json({"ok": True, "obligations": rows})
            return
        headers = [
            gettext("Vereinbarung", service_ctx.lang),
            gettext("Pflicht", service_ctx.lang),
            "§",
            gettext("von", service_ctx.lang),
            gettext("an", service_ctx.lang),
            gettext("wie oft", service_ctx.lang),
            gettext("nächste", service_ctx.lang),
            gettext("offen", service_ctx.lang),
            gettext("überfällig", service_ctx.lang),
        ]
        say(
            table(
                headers,
                [
                    [
                        r.agreement,
                        r.id,
                        r.clause or "",
                        ", ".join(r.by),
                        ", ".join(r.to),
                        r.frequency,
                        day_text(r.next_due, service_ctx.lang),
                        r.open,
                        r.overdue,
                    ]
                    for r in rows
                ],
            )
        )
        notes = list(dict.fromkeys(n for r in rows for n in r.endings))
        if notes:
            say("")
            for note in notes:
                say(note)

    show_page(
        service_ctx,
        "obligation list",
        (agreement, partner, state.json),
        render,
        quiet=state.json,
        facts=True,
    )


@command
def obligation_done_cmd(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            help="VEREINBARUNG/PFLICHT, z. B. myk-caritas-ko/infomaterial.",
            metavar="VEREINBARUNG/PFLICHT",
        ),
    ],
    partner: Annotated[
        str | None,
        typer.Option(
            "--partner",
            help="Der verpflichtete Partner (nötig, wenn mehrere die Pflicht schulden).",
            metavar="PARTNER",
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Datum der Erfüllung (Standard: heute); auch das Datum des Commits.",
            metavar="DATUM",
        ),
    ] = None,
    due: Annotated[
        str | None,
        typer.Option(
            "--due",
            help="Welche Fälligkeit (Standard: die früheste noch offene).",
            metavar="DATUM",
        ),
    ] = None,
    status: Annotated[
        str,
        typer.Option(
            "--status",
            help="fulfilled (erfüllt), partly (teilweise), missed "
            "(versäumt) oder waived (erlassen).",
            metavar="STATUS",
        ),
    ] = "fulfilled",
    note: Annotated[str | None, typer.Option("--note", help="Vermerk, z. B. wie erfüllt.")] = None,
) -> None:
    """Erfüllung einer fälligen Pflicht erfassen (ein Datensatz je Fälligkeit und Partner).

    Beispiel: coop obligation done myk-caritas-ko/infomaterial --date 2014-01-10 --status partly
    """
    from coopkit.services.followup import STATUS_WORDS, record_fulfilment

    agreement_id, sep, obligation_id = target.partition("/")
    if not sep or not agreement_id or not obligation_id:
        raise UsageError(
            T(
                "„{v}“: erwartet VEREINBARUNG/PFLICHT, z. B. myk-caritas-ko/infomaterial",
                '"{v}": expected AGREEMENT/OBLIGATION, e.g. myk-caritas-ko/infomaterial',
                v=target,
            )
        )
    state = get_state(ctx)
    service_ctx = state.context()
    result = record_fulfilment(
        service_ctx,
        agreement_id,
        obligation_id,
        partner=partner,
        due=get_state(ctx).day(due, "--due", DayKind.PLANNED),
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
        status=status,
        note=note,
    )
    if state.json:
        print_json(
            {
                "ok": True,
                "path": result.path,
                "fulfilment": result.fulfilment,
                "updated": result.updated,
                "commit": result.commit.commit,
            }
        )
        return
    f = result.fulfilment
    say(
        T(
            "{verb}: {o} von {p}, fällig {d}: {s} → {path}",
            "{verb}: {o} by {p}, due {d}: {s} → {path}",
            verb=T("aktualisiert", "updated") if result.updated else T("erfasst", "recorded"),
            o=f"{agreement_id}/{f.obligation}",
            p=f.partner,
            d=day_text(f.due, service_ctx.lang),
            s=STATUS_WORDS.get(f.status, f.status),
            path=result.path,
        ),
        service_ctx.lang,
    )


@command
def obligation_matrix_cmd(
    ctx: typer.Context,
    agreement: Annotated[
        str | None,
        typer.Option("--agreement", help="Nur diese Vereinbarung.", metavar="VEREINBARUNG"),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Zieldatei .md oder .docx (sonst Ausgabe hier).", metavar="DATEI"
        ),
    ] = None,
) -> None:
    """Wer informiert wen? Partner × Partner: was fließt und wie oft.

    Zeilen: der verpflichtete Partner; Spalten: wer die Leistung erhält.

    Beispiel: coop obligation matrix --agreement myk-caritas-ko -o matrix.docx
    """
    from coopkit.services.followup import obligation_matrix

    state = get_state(ctx)
    service_ctx = state.context()
    result = obligation_matrix(service_ctx, agreement=agreement, output=output)
    if state.json:
        print_json(
            {
                "ok": True,
                "partners": [{"id": p, "name": n} for p, n in result.partners],
                "flows": [
                    {"from": a, "to": b, "what": lines}
                    for (a, b), lines in sorted(result.cells.items())
                ],
                "path": result.path,
            }
        )
        return
    if result.text is not None:
        typer.echo(clean(result.text), nl=False)
        return
    say(T("Matrix geschrieben: {p}", "matrix written: {p}", p=str(result.path)), service_ctx.lang)


@command
def obligation_undo_cmd(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            help="VEREINBARUNG/PFLICHT, z. B. myk-caritas-ko/infomaterial.",
            metavar="VEREINBARUNG/PFLICHT",
        ),
    ],
    due: Annotated[
        str, typer.Option("--due", help="Die Fälligkeit JJJJ-MM-TT.", metavar="JJJJ-MM-TT")
    ],
    partner_id: Annotated[
        str | None,
        typer.Option("--partner", help="Der Partner (nötig, wenn mehrere einen Vermerk haben)."),
    ] = None,
    date: CommitDateOption = None,
    message: MessageOption = None,
) -> None:
    """Einen Erfüllungsvermerk zurücknehmen; die Fälligkeit ist danach wieder offen.

    Beispiel: coop obligation undo myk-caritas-ko/infomaterial --due 2014-01-10
    """
    from coopkit.services.fulfilment_edits import undo_fulfilment

    agreement_id, sep, obligation_id = target.partition("/")
    if not sep or not agreement_id or not obligation_id:
        raise UsageError(
            T(
                "„{v}“: erwartet VEREINBARUNG/PFLICHT, z. B. myk-caritas-ko/infomaterial",
                '"{v}": expected AGREEMENT/OBLIGATION, e.g. myk-caritas-ko/infomaterial',
                v=target,
            )
        )
    due_day = get_state(ctx).day(due, "--due", DayKind.PLANNED)
    assert due_day is not None
    result = undo_fulfilment(
        get_state(ctx).context(),
        agreement_id,
        obligation_id,
        due_day,
        partner=partner_id,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
        note=message,
    )
    done(
        ctx,
        T(
            "Vermerk zurückgenommen: {p}",
            "record taken back: {p}",
            p=result.path,
        ),
        {"path": result.path, "commit": result.commit.commit},
    )


app.command("add")(obligation_add_cmd)
app.command("set")(obligation_set_cmd)
app.command("remove")(obligation_remove_cmd)
app.command("list")(obligation_list_cmd)
app.command("done")(obligation_done_cmd)
app.command("matrix")(obligation_matrix_cmd)
app.command("undo")(obligation_undo_cmd)
