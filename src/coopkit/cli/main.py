"""The root `coop` app: global options and the command groups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coopkit.cli import (
    agreement,
    agreement_docs,
    base,
    followup,
    history,
    meeting,
    partner,
    template,
)
from coopkit.cli.framework import LANGUAGES, CoopGroup, install, lang_option
from coopkit.cli.state import CliState, check_language, parse_day

install()

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
    cls=CoopGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        from coopkit import __version__

        typer.echo(f"coop {__version__}")
        raise typer.Exit()


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
    json: Annotated[
        bool, typer.Option("--json", help="Ausgabe als JSON (auch nach dem Befehl möglich).")
    ] = False,
    today: Annotated[
        str | None,
        typer.Option("--today", help="Stichtag statt des heutigen Datums.", metavar="DATUM"),
    ] = None,
    author: Annotated[
        str | None,
        typer.Option(
            "--author", help='Handelnde Person "Name <mail>" (sonst COOP_AUTHOR, sonst git config).'
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Sprache der Ausgabe: de oder en (sonst COOP_LANG, sonst locale in coop.toml).",
            metavar="|".join(LANGUAGES),
            callback=lang_option,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Version von coopkit zeigen und beenden.",
            is_eager=True,
            callback=_show_version,
        ),
    ] = False,
) -> None:
    """Kooperationsvereinbarungen, Pflichten, Freigaben und Sitzungen in einem git-Repository."""
    from coopkit.cli.boundary import command

    @command
    def _parse(ctx: typer.Context) -> None:
        check_language()
        ctx.obj = CliState(
            directory=directory,
            json=json,
            today=parse_day(today, "--today"),
            author=author,
            lang=lang,
        )

    ctx.obj = CliState(json=json, lang=lang)
    _parse(ctx)


base.register(app)
followup.register(app)
history.register(app)
agreement_docs.register(agreement.app)
app.add_typer(partner.app, name="partner")
app.add_typer(agreement.app, name="agreement")
app.add_typer(meeting.app, name="meeting")
app.add_typer(meeting.action_app, name="action")
app.add_typer(followup.obligation_app, name="obligation")
app.add_typer(template.app, name="template")


def main() -> None:
    """Run `coop`."""
    app()
