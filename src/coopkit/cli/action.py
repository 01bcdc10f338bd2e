"""`coop action`: actions from meetings, listed, done, changed and reopened."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from coopkit.cli.boundary import command
from coopkit.cli.correcting import AfterSending, CommitDateOption, MessageOption, done
from coopkit.cli.labels import status_text
from coopkit.cli.output import print_json, say, table
from coopkit.cli.state import DayKind, get_state
from coopkit.errors import T
from coopkit.i18n import gettext, pgettext

if TYPE_CHECKING:
    from coopkit.queries.actions import ActionRow

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False)

ActionId = Annotated[str, typer.Argument(help="Aufgaben-ID SITZUNG#NUMMER.", metavar="AUFGABE")]

DateOption = Annotated[
    str | None,
    typer.Option("--date", help="Datum (auch Datum des Commits).", metavar="DATUM"),
]


@app.callback()
def action_group() -> None:
    """Aufgaben aus Sitzungen: auflisten und erledigen."""


def _action_table(rows: list[ActionRow], lang: str) -> str:
    return table(
        [
            "ID",
            gettext("Wer", lang),
            gettext("Was", lang),
            gettext("Bis wann", lang),
            pgettext("heading", "Stand", lang),
        ],
        [
            [
                r.key,
                r.who_name,
                r.what if len(r.what) <= 60 else r.what[:59] + "…",
                r.due.isoformat(),
                status_text(r.status, lang) + (" (!)" if r.overdue else ""),
            ]
            for r in rows
        ],
    )


@command
def action_list_cmd(
    ctx: typer.Context,
    open_only: Annotated[bool, typer.Option("--open", help="Nur offene Aufgaben.")] = False,
    partner: Annotated[
        str | None,
        typer.Option("--partner", help="Nur Aufgaben dieses Partners.", metavar="PARTNER"),
    ] = None,
    person: Annotated[
        str | None,
        typer.Option(
            "--person",
            help="Nur was diese Person zu tun hat: der zuständige Kontakt einer Pflicht, "
            "die verantwortliche Person einer Aufgabe.",
            metavar="PARTNER/KONTAKT",
        ),
    ] = None,
) -> None:
    """Aufgaben aus allen Sitzungen auflisten; (!) markiert überfällige.

    Beispiel: coop action list --open --partner jobcenter-myk
    """
    from coopkit.queries.actions import action_rows
    from coopkit.queries.load import snapshot
    from coopkit.queries.lookup import check_partner, check_person

    state = get_state(ctx)
    service_ctx = state.context()
    snap = snapshot(service_ctx)
    check_partner(snap, partner)
    check_person(snap, person)
    rows = action_rows(snap.data, snap.today, open_only=open_only, partner=partner, person=person)
    if state.json:
        print_json({"ok": True, "actions": rows})
        return
    if not rows:
        say(T("keine Aufgaben", "no actions"), service_ctx.lang)
        return
    say(_action_table(rows, service_ctx.lang))


@command
def action_done_cmd(
    ctx: typer.Context,
    action_id: Annotated[
        str, typer.Argument(help="Aufgaben-ID SITZUNG#NUMMER.", metavar="AUFGABE")
    ],
    day: DateOption = None,
    note: Annotated[str | None, typer.Option("--note", help="Vermerk zur Erledigung.")] = None,
    drop: Annotated[
        bool, typer.Option("--drop", help="Als verworfen statt erledigt abschließen.")
    ] = False,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Erledigt von PARTNER/PERSON.", metavar="PARTNER/PERSON"),
    ] = None,
) -> None:
    """Eine Aufgabe als erledigt (oder mit --drop als verworfen) abschließen.

    Beispiel: coop action done "2014-02-05-evaluation#2" --date 2014-03-28 --note "versandt"
    """
    from coopkit.services.meetings import close_action

    result = close_action(
        get_state(ctx).context(),
        action_id,
        when=get_state(ctx).day(day, "--date", DayKind.RECORDED),
        note=note,
        status="dropped" if drop else "done",
        by=by,
    )
    state = get_state(ctx)
    if state.json:
        print_json(
            {"ok": True, "action": result.key, "path": result.path, "commit": result.commit.commit}
        )
        return
    say(
        T(
            "Aufgabe {a} abgeschlossen ({p})",
            "action {a} closed ({p})",
            a=result.key,
            p=result.path,
        ),
        state.context().lang,
    )


@command
def action_set_cmd(
    ctx: typer.Context,
    action_id: ActionId,
    who: Annotated[
        str | None, typer.Option("--who", help="Wer: PARTNER oder PARTNER/PERSON.")
    ] = None,
    due: Annotated[
        str | None, typer.Option("--due", help="Bis wann: JJJJ-MM-TT.", metavar="JJJJ-MM-TT")
    ] = None,
    what: Annotated[str | None, typer.Option("--what", help="Was zu tun ist.")] = None,
    message: MessageOption = None,
    after_sending: AfterSending = False,
) -> None:
    """Wer, Was oder Bis wann einer Aufgabe ändern, solange die Niederschrift nicht genehmigt ist.

    Beispiel: coop action set "2014-05-14-arbeitstreffen#1" --due 2014-06-30
    """
    from coopkit.services.meeting_edits import set_action

    result = set_action(
        get_state(ctx).context(),
        action_id,
        who=who,
        due=get_state(ctx).day(due, "--due", DayKind.PLANNED),
        what=what,
        note=message,
        after_sending=after_sending,
    )
    done(
        ctx,
        T("Aufgabe {a} geändert", "action {a} changed", a=result.key),
        {"action": result.key, "path": result.path, "commit": result.commit.commit},
    )


@command
def action_reopen_cmd(
    ctx: typer.Context,
    action_id: ActionId,
    date: CommitDateOption = None,
    message: MessageOption = None,
) -> None:
    """Eine abgeschlossene Aufgabe wieder öffnen (der Abschlussvermerk wird entfernt).

    Beispiel: coop action reopen "2014-02-05-evaluation#2"
    """
    from coopkit.services.meeting_edits import reopen_action

    result = reopen_action(
        get_state(ctx).context(),
        action_id,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
        note=message,
    )
    done(
        ctx,
        T("Aufgabe {a} wieder offen", "action {a} open again", a=result.key),
        {"action": result.key, "path": result.path, "commit": result.commit.commit},
    )


app.command("list")(action_list_cmd)
app.command("done")(action_done_cmd)
app.command("set")(action_set_cmd)
app.command("reopen")(action_reopen_cmd)
