"""`coop decision`: the decisions of all minutes and how far they are carried out."""

from __future__ import annotations

from typing import Annotated

import typer

from coopkit.cli.boundary import command
from coopkit.cli.output import print_json, say, table
from coopkit.cli.state import get_state
from coopkit.errors import T
from coopkit.i18n import gettext, pgettext

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False)


@app.callback()
def decision_group() -> None:
    """Beschlusskontrolle: Beschlüsse aller Sitzungen und was aus ihnen wurde."""


@command
def decision_list_cmd(
    ctx: typer.Context,
    open_only: Annotated[
        bool, typer.Option("--open", help="Nur Beschlüsse mit noch offenen Aufgaben.")
    ] = False,
) -> None:
    """Beschlüsse aller Sitzungen mit dem Stand ihrer Aufgaben auflisten (Beschlusskontrolle).

    Zu jedem Beschluss zählen die Aufgaben seines TOP und die der TOPs späterer Sitzungen, die
    ihn fortführen; Stand: ohne Aufgabe, in Arbeit, überfällig oder umgesetzt.

    Beispiel: coop decision list --open
    """
    from coopkit.cli.labels import status_text
    from coopkit.queries.decisions import decision_rows, follow_up_label
    from coopkit.queries.load import snapshot
    from coopkit.render.dates import short_date

    state = get_state(ctx)
    service_ctx = state.context()
    lang = service_ctx.lang
    snap = snapshot(service_ctx)
    rows = decision_rows(snap.data, snap.today, open_only=open_only)
    if state.json:
        print_json(
            {
                "ok": True,
                "decisions": [
                    {
                        "key": r.key,
                        "meeting": r.meeting,
                        "meeting_date": r.meeting_date,
                        "top": r.top,
                        "top_title": r.top_title,
                        "text": r.text,
                        "origin": r.origin,
                        "state": r.state,
                        "actions": r.actions,
                    }
                    for r in rows
                ],
            }
        )
        return
    if not rows:
        say(T("keine Beschlüsse", "no decisions"), lang)
        return
    lines = []
    for r in rows:
        text = r.text if len(r.text) <= 70 else r.text[:69] + "…"
        actions = "; ".join(
            f"{a.key} {status_text(a.status, lang)}"
            + (" (!)" if a.overdue else "")
            + f" {short_date(a.due, lang)}"
            for a in r.actions
        )
        lines.append(
            [r.key, short_date(r.meeting_date, lang), text, follow_up_label(r.state, lang), actions]
        )
    say(
        table(
            [
                "ID",
                pgettext("heading", "Sitzung", lang),
                gettext("Beschluss", lang),
                pgettext("heading", "Stand", lang),
                gettext("Aufgaben", lang),
            ],
            lines,
        )
    )


app.command("list")(decision_list_cmd)
