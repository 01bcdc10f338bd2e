"""Reminders by e-mail: `coop remind`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coopkit.cli.boundary import command
from coopkit.cli.output import print_json, say
from coopkit.cli.state import get_state
from coopkit.errors import T

if TYPE_CHECKING:
    from coopkit.services.remind import RemindRun

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False)


@app.callback()
def reminders_group() -> None:
    """Erinnerungen per E-Mail."""


@command
def remind_cmd(
    ctx: typer.Context,
    within: Annotated[
        str,
        typer.Option(
            "--within",
            help="Zeitraum ab heute: 14d (Tage), 2w (Wochen), 1m (Monate zu 30 Tagen).",
            metavar="ZEITRAUM",
        ),
    ] = "14d",
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Nur zeigen, wer woran erinnert würde; nichts senden."),
    ] = False,
    eml: Annotated[
        Path | None,
        typer.Option(
            "--eml",
            metavar="ORDNER",
            help="Je Erinnerung eine .eml-Datei schreiben statt zu senden (kein Vermerk).",
        ),
    ] = None,
) -> None:
    """An Fälliges erinnern: je zuständiger Person eine E-Mail; dazu Niederschriften, Freigaben.

    Jede zuständige Person (sonst die Adresse der Organisation) bekommt eine Nachricht mit
    ihren offenen Pflichten und Aufgaben, die im Zeitraum fällig oder schon überfällig sind. Das
    Sekretariat ([mail] secretariat, sonst from_address) wird an Niederschriften erinnert, die
    [mail] minutes_after Tage nach der Sitzung nicht versandt sind, und an Versionen, die seit
    [mail] approval_after Tagen auf Freigabe warten. Derselbe Punkt kommt erst nach
    [mail] remind_every wieder. Vermerk in reminders/; Exit-Code 0, auch wenn nichts zu senden
    ist, 1 wenn der Server ablehnt (dann wird nichts vermerkt).

    Beispiel: coop remind --within 14d --dry-run
    """
    from datetime import UTC, datetime

    from coopkit.cli.mailing import smtp_access
    from coopkit.cli.state import within_days
    from coopkit.services.remind import export_reminders, send_reminders

    state = get_state(ctx)
    service_ctx = state.context()
    days = within_days(within)
    now = datetime.now(UTC)
    if dry_run or eml is not None:
        run = export_reminders(service_ctx, days, now, None if dry_run else eml)
    else:
        run = send_reminders(service_ctx, days, smtp_access(), now)
    _report(ctx, run, dry_run=dry_run)


def _report(ctx: typer.Context, run: RemindRun, *, dry_run: bool) -> None:
    state = get_state(ctx)
    lang = state.context().lang
    if state.json:
        print_json(
            {
                "ok": True,
                "messages": [
                    {
                        "who": r.who,
                        "to": list(r.addresses),
                        "subject": r.subject,
                        "items": r.keys,
                    }
                    for r in run.reminders
                ],
                "without_address": run.without_address,
                "record": run.record,
                "commit": run.commit,
                "files": run.files,
                "sent": run.record is not None,
            }
        )
        return
    for reminder in run.reminders:
        say(
            T(
                "{w} ({a}): {n} Punkt(e)",
                "{w} ({a}): {n} item(s)",
                w=reminder.name or reminder.who,
                a=", ".join(reminder.addresses),
                n=len(reminder.keys),
            ),
            lang,
        )
    for name in run.without_address:
        say(
            T(
                "{p}: keine E-Mail-Adresse – keine Erinnerung möglich",
                "{p}: no e-mail address – cannot be reminded",
                p=name,
            ),
            lang,
        )
    for path in run.files:
        say(T("geschrieben: {p}", "written: {p}", p=path), lang)
    if not run.reminders:
        say(T("keine Erinnerung fällig", "no reminder due"), lang)
    elif run.record is not None:
        say(
            T(
                "{n} Erinnerung(en) gesendet; vermerkt in {r}",
                "{n} reminder(s) sent; recorded in {r}",
                n=len(run.reminders),
                r=run.record,
            ),
            lang,
        )
    elif dry_run:
        say(T("Probelauf: nichts gesendet", "dry run: nothing sent"), lang)


app.command("remind")(remind_cmd)
