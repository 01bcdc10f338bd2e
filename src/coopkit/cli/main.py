"""The root `coop` app: global options and the command groups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coopkit.cli import (
    agreement,
    agreement_docs,
    base,
    collab,
    corrections,
    followup,
    history,
    meeting,
    partner,
    template,
)
from coopkit.cli.state import CliState, parse_day

EPILOG = (
    "Exit-Codes: 0 ok, 1 Probleme in den Dateien, 2 Aufruf falsch, 3 interner Fehler, "
    "4 Konfiguration, 5 Repository/git, 6 nicht gefunden, 7 Vorlage/Ausgabe, 130 abgebrochen."
)

app = typer.Typer(
    name="coop",
    help="coopkit: Kooperationsvereinbarungen, Freigaben, Sitzungen und Nachverfolgung "
    "als Textdateien in git.",
    epilog=EPILOG,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option(
            "-C",
            help="Im Repository VERZEICHNIS arbeiten statt im aktuellen.",
            metavar="VERZEICHNIS",
        ),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Ausgabe als JSON.")] = False,
    today: Annotated[
        str | None,
        typer.Option(
            "--today", help="Stichtag JJJJ-MM-TT statt des heutigen Datums.", metavar="JJJJ-MM-TT"
        ),
    ] = None,
    author: Annotated[
        str | None,
        typer.Option(
            "--author", help='Handelnde Person "Name <mail>" (sonst COOP_AUTHOR, sonst git config).'
        ),
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Sprache der Ausgabe: de oder en.")
    ] = None,
    allow_personal_data: Annotated[
        bool,
        typer.Option(
            "--allow-personal-data",
            help="Bewusste Ausnahme: Text schreiben, der wie Klientendaten aussieht "
            "(wird im Commit vermerkt).",
        ),
    ] = False,
    ssh_key: Annotated[
        Path | None,
        typer.Option(
            "--ssh-key",
            metavar="SCHLÜSSEL",
            help="Privater SSH-Schlüssel der handelnden Person (sonst COOP_SSH_KEY): signiert "
            "Registrierungen und, mit [signing] sign_commits, die Commits.",
        ),
    ] = None,
) -> None:
    """Kooperationsvereinbarungen, Pflichten, Freigaben und Sitzungen in einem git-Repository."""
    from coopkit.cli.boundary import command

    @command
    def _parse(ctx: typer.Context) -> None:
        ctx.obj = CliState(
            directory=directory,
            json=json,
            today=parse_day(today, "--today"),
            author=author,
            lang=lang,
            allow_personal_data=allow_personal_data,
            ssh_key=ssh_key,
        )

    ctx.obj = CliState(json=json, lang=lang)
    _parse(ctx)


base.register(app)
collab.register(app)
followup.register(app)
history.register(app)
agreement_docs.register(agreement.app)
agreement_docs.register_root(app)
corrections.register()
app.add_typer(partner.app, name="partner")
app.add_typer(agreement.app, name="agreement")
app.add_typer(meeting.app, name="meeting")
app.add_typer(meeting.action_app, name="action")
app.add_typer(followup.obligation_app, name="obligation")
app.add_typer(template.app, name="template")


def main() -> None:
    """Run `coop`."""
    app()
