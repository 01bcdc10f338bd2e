"""`coop obligation`: obligations listed, fulfilment recorded or taken back, who informs whom."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
    """Pflichten: auflisten, Erfüllung erfassen, wer informiert wen."""


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


app.command("list")(obligation_list_cmd)
app.command("done")(obligation_done_cmd)
app.command("matrix")(obligation_matrix_cmd)
app.command("undo")(obligation_undo_cmd)
