"""`coop template` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coopkit.cli.boundary import command
from coopkit.cli.output import print_json, print_problems, problem_dict, say, table
from coopkit.cli.state import DayKind, get_state
from coopkit.errors import ExitCode, T
from coopkit.i18n import gettext, pgettext

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False)


@app.callback()
def group() -> None:
    """Vorlagen: auflisten, exportieren, prüfen."""


@command
def list_cmd(ctx: typer.Context) -> None:
    """Vorlagen auflisten: eigene (templates/) und mitgelieferte, und welche gilt.

    Beispiel: coop template list
    """
    from coopkit.services.templates import list_templates

    state = get_state(ctx)
    service_ctx = state.context()
    infos = list_templates(service_ctx)
    if state.json:
        print_json({"ok": True, "templates": infos})
        return
    names = {
        "repository": pgettext("template source", "Repository", service_ctx.lang),
        "shipped": gettext("mitgeliefert", service_ctx.lang),
        "missing": gettext("fehlt", service_ctx.lang),
    }
    headers = [
        gettext("Vorlage", service_ctx.lang),
        gettext("gilt", service_ctx.lang),
        gettext("Beschreibung", service_ctx.lang),
    ]
    say(table(headers, [[i.name, names[i.in_effect], i.title] for i in infos]))


@command
def export_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Vorlage, z. B. agreement.docx.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="DATEI",
            help="Zieldatei (Standard: templates/NAME im Repository, mit Commit).",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Vorhandene Datei überschreiben.")] = False,
    day: Annotated[
        str | None, typer.Option("--date", metavar="DATUM", help="Datum des Commits.")
    ] = None,
) -> None:
    """Mitgelieferte Vorlage zum Bearbeiten in Word exportieren.

    Ohne -o landet sie in templates/ des Repositorys (ein Commit) und gilt ab dann statt der
    mitgelieferten; mit -o außerhalb des Repositorys wird nur die Datei geschrieben.

    Beispiel: coop template export agreement.docx
    """
    from coopkit.services.templates import export_template

    state = get_state(ctx)
    service_ctx = state.context()
    result = export_template(
        service_ctx,
        name,
        output,
        force=force,
        when=get_state(ctx).day(day, "--date", DayKind.RECORDED),
    )
    if state.json:
        print_json({"ok": True, "path": result.path, "commit": result.commit})
        return
    say(T("geschrieben: {p}", "written: {p}", p=str(result.path)), service_ctx.lang)
    if result.commit:
        say(T("Commit {c}", "commit {c}", c=result.commit[:10]), service_ctx.lang)


@command
def check_cmd(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(metavar="[NAME]", help="Nur diese Vorlage prüfen.")
    ] = None,
) -> None:
    """Vorlagen prüfen: unbekannte Variablen und fehlerhafte Tags, bevor eine Ausgabe scheitert.

    Meldet „templates/NAME: Problem“ mit dem Absatztext, in dem ein fehlerhaftes Tag steht.
    Exit-Code 1, wenn etwas gefunden wurde.

    Beispiel: coop template check agreement.docx
    """
    from coopkit.services.templates import check_templates

    state = get_state(ctx)
    service_ctx = state.context()
    lang = service_ctx.lang
    problems = check_templates(service_ctx, name)
    if state.json:
        print_json({"ok": not problems, "problems": [problem_dict(p, lang) for p in problems]})
    elif problems:
        print_problems(problems, lang)
    else:
        say(T("Vorlagen in Ordnung", "templates are fine"), lang)
    if problems:
        raise typer.Exit(int(ExitCode.PROBLEMS))


app.command("list")(list_cmd)
app.command("export")(export_cmd)
app.command("check")(check_cmd)
