"""The root `coop` app: global options and the table of its commands.

`COMMANDS` names every top-level command and command group and the module of `coopkit.cli` that
holds it. Each of those modules exposes a `typer.Typer` named `app`: a module named like its
command is that command group (`partner` -> `cli/partner.py`); a thematic module's `app` holds
several top-level commands (`status` -> `cli/repository.py`). The root group imports and builds
a module only when one of its commands is called; `coop --help` lists the table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NamedTuple

import typer

from coopkit.cli.framework import (
    LANGUAGES,
    CoopGroup,
    english,
    gettext,
    install,
    lang_option,
    without_pydantic_plugins,
)
from coopkit.cli.state import CliState, check_language, parse_day
from coopkit.i18n import N_

install()


class Entry(NamedTuple):
    """Where a top-level command lives, and its line in the root help."""

    module: str
    """The module of `coopkit.cli` that holds it."""
    short_help: str
    """The first line of the command's own help (a test compares the two)."""
    hidden: bool = False
    """Left out of the root help (called by git, not by people)."""


COMMANDS: dict[str, Entry] = {
    "init": Entry(
        "repository",
        N_("Ein neues coop-Repository anlegen (coop.toml, Ordner, Vorlagen, erster Commit)."),
    ),
    "check": Entry(
        "repository", N_("Alle Dateien prüfen: Syntax, Schema, Verweise, Datumslogik, IDs.")
    ),
    "status": Entry(
        "repository",
        N_("Überblick: Vereinbarungen mit Version und Freigaben, Partner, Sitzungen."),
    ),
    "demo": Entry(
        "repository",
        N_("Das Beispiel Mayen-Koblenz mit seiner Geschichte in einem neuen Repository aufbauen."),
    ),
    "migrate": Entry(
        "repository",
        N_(
            "Ältere Repositorys umstellen: den handgesetzten „status:“ aus allen Vereinbarungen "
            "entfernen."
        ),
    ),
    "commit": Entry(
        "repository", N_("Von Hand bearbeitete Datensätze geprüft als eigenen Commit übernehmen.")
    ),
    "search": Entry(
        "repository",
        N_("Volltextsuche in Vereinbarungen, Niederschriften, Partnern und Vermerken."),
    ),
    "sync": Entry(
        "collaboration",
        N_("Abgleichen: holen, eigene Commits auf den gemeinsamen Stand setzen, prüfen, senden."),
    ),
    "merge-driver": Entry(
        "collaboration",
        N_("Git-Merge-Treiber für coop-Datensätze (von git aufgerufen, nicht von Hand)."),
        hidden=True,
    ),
    "due": Entry(
        "followup",
        N_(
            "Was ist fällig oder überfällig? Pflichten und Aufgaben je Partner, nach Datum, "
            "mit Quelle."
        ),
    ),
    "remind": Entry(
        "reminders",
        N_(
            "An Fälliges erinnern: je zuständiger Person eine E-Mail; dazu Niederschriften, "
            "Freigaben."
        ),
    ),
    "calendar": Entry(
        "followup",
        N_(
            "Kalender (.ics) exportieren: Sitzungen, Fristen der Aufgaben, "
            "Fälligkeiten der Pflichten."
        ),
    ),
    "checklist": Entry(
        "followup",
        N_(
            "Checkliste je Partner: offene Aufgaben und fällige Pflichten bis zur nächsten Sitzung."
        ),
    ),
    "report": Entry(
        "followup", N_("Evaluationsbericht einer Vereinbarung für ein Jahr oder einen Zeitraum.")
    ),
    "log": Entry(
        "repository", N_("Verlauf: wer hat wann was geändert, mit Dateien und Versions-Tags.")
    ),
    "render": Entry(
        "followup",
        N_("Alle Vereinbarungen und Niederschriften in einem Lauf als Word-Dokumente ausgeben."),
    ),
    "trust": Entry(
        "collaboration",
        N_(
            "Wurzel des Vertrauens: gepinnte Koordinationsschlüssel und "
            "registrierte Partnerschlüssel."
        ),
    ),
    "remote": Entry(
        "collaboration",
        N_(
            "Gemeinsame git-Gegenstellen (Forgejo, Gitea, GitLab, Bare-Repository auf einem Share)."
        ),
    ),
    "ci": Entry(
        "collaboration", N_("CI-Pipelines: coop check und coop agreement verify bei jedem Push.")
    ),
    "partner": Entry(
        "partner", N_("Partner: Organisationen, Vertretung, Kontakte, Signaturschlüssel.")
    ),
    "agreement": Entry(
        "agreement",
        N_("Vereinbarungen: entwerfen, ändern, vergleichen, veröffentlichen, freigeben, ausgeben."),
    ),
    "meeting": Entry(
        "meeting",
        N_("Sitzungen: einladen, Anwesenheit, Beschlüsse, Aufgaben, Niederschrift, Genehmigung."),
    ),
    "action": Entry("action", N_("Aufgaben aus Sitzungen: auflisten und erledigen.")),
    "decision": Entry(
        "decision", N_("Beschlusskontrolle: Beschlüsse aller Sitzungen und was aus ihnen wurde.")
    ),
    "obligation": Entry(
        "obligation",
        N_(
            "Pflichten: anlegen, ändern, entfernen, auflisten, Erfüllung erfassen, "
            "wer informiert wen."
        ),
    ),
    "template": Entry("template", N_("Vorlagen: auflisten, exportieren, prüfen.")),
    "config": Entry(
        "config", N_("Einstellungen in coop.toml: zeigen, setzen, entfernen (geprüft, mit Commit).")
    ),
    "privacy": Entry(
        "privacy", N_("Datenschutz: Verzeichnis der Personendaten, Fristen, Klientendaten-Suche.")
    ),
    "archive": Entry(
        "archive",
        N_("Archiv: Unterlagen dem öffentlichen Archiv anbieten, Antwort eintragen, abgeben."),
    ),
}
"""Every top-level command and group, in the order of the root help."""


def load_command(ctx: Any, name: str) -> Any:
    """Import the module holding the top-level command `name` and build that command.

    Returns the click command (a group for a command group), built from the module's `app`
    with typer's public `get_command`; None for a name the table does not know.
    """
    import importlib

    import typer.main

    entry = COMMANDS.get(name)
    if entry is None:
        return None
    module = importlib.import_module(f"coopkit.cli.{entry.module}")
    built = typer.main.get_command(module.app)
    if entry.module == name:
        # Called by its name in the table (typer names a group after its callback).
        built.name = name
        return built
    return built.get_command(ctx, name)  # type: ignore[attr-defined]


class Root(CoopGroup):
    """The root `coop` group: its commands come from `COMMANDS`, each built when called."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded: dict[str, Any] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        """Return the names in the table, in its order (nothing is imported)."""
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """Return the command `cmd_name`, importing and building its module on first use."""
        if cmd_name not in self._loaded:
            found = load_command(ctx, cmd_name)
            if found is None:
                return None
            self._loaded[cmd_name] = found
        return self._loaded[cmd_name]

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """Refuse an unknown command with the closest names of the table, like typer does."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS and not ctx.resilient_parsing:
            from difflib import get_close_matches

            message = gettext("No such command {name!r}.").format(name=name)
            matches = get_close_matches(name, list(COMMANDS))
            if matches:
                suggestions = ", ".join(f"{m!r}" for m in matches)
                message = f"{message.rstrip('.')}. Did you mean {suggestions}?"
            ctx.fail(message)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """List the commands from the table's short help, as typer would from each command."""
        from typer.core import TyperCommand

        shown = [(name, e) for name, e in COMMANDS.items() if not e.hidden]
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        rows = [
            (name, TyperCommand(name, help=e.short_help).get_short_help_str(limit))
            for name, e in shown
        ]
        with formatter.section(gettext("Commands")):
            formatter.write_dl(rows)


EPILOG = english(
    "Exit-Codes: 0 ok, 1 Probleme in den Dateien, 2 Aufruf falsch, 3 interner Fehler, "
    "4 Konfiguration, 5 Repository/git, 6 nicht gefunden, 7 Vorlage/Ausgabe, 130 abgebrochen.",
    "Exit codes: 0 ok, 1 problems in the files, 2 usage, 3 internal error, 4 configuration, "
    "5 repository/git, 6 not found, 7 template/output, 130 interrupted.",
)

app = typer.Typer(
    name="coop",
    help=english(
        "coopkit: Kooperationsvereinbarungen, Freigaben, Sitzungen und Nachverfolgung "
        "als Textdateien in git.",
        "coopkit: cooperation agreements, approvals, meetings and follow-up as text files in git.",
    ),
    epilog=EPILOG,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    cls=Root,
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
            help=english(
                "Im Repository VERZEICHNIS arbeiten statt im aktuellen.",
                "Work in the repository DIRECTORY instead of the current one.",
            ),
            metavar="VERZEICHNIS",
        ),
    ] = None,
    json: Annotated[
        bool,
        typer.Option(
            "--json",
            help=english(
                "Ausgabe als JSON (auch nach dem Befehl möglich).",
                "Output as JSON (also after the command).",
            ),
        ),
    ] = False,
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            help=english(
                "Stichtag statt des heutigen Datums (31.12.2026 oder 2026-12-31).",
                "Reference day instead of today (31.12.2026 or 2026-12-31).",
            ),
            metavar="DATUM",
        ),
    ] = None,
    author: Annotated[
        str | None,
        typer.Option(
            "--author",
            help=english(
                'Handelnde Person "Name <mail>" (sonst COOP_AUTHOR, sonst git config).',
                'Acting person "Name <mail>" (else COOP_AUTHOR, else git config).',
            ),
            metavar="TEXT",
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help=english(
                "Sprache der Ausgabe: de oder en (sonst COOP_LANG, sonst locale in coop.toml).",
                "Output language: de or en (else COOP_LANG, else locale in coop.toml).",
            ),
            metavar="|".join(LANGUAGES),
            callback=lang_option,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help=english("Version von coopkit zeigen und beenden.", "Show the version and exit."),
            is_eager=True,
            callback=_show_version,
        ),
    ] = False,
    allow_personal_data: Annotated[
        bool,
        typer.Option(
            "--allow-personal-data",
            help=english(
                "Bewusste Ausnahme: Text schreiben, der wie Klientendaten aussieht "
                "(wird im Commit vermerkt).",
                "Deliberate exception: write text that looks like client data "
                "(recorded in the commit).",
            ),
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
        check_language()
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


def _wants(args: list[str], option: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == option and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None


def main(argv: list[str] | None = None) -> None:
    """Run `coop`; usage errors of the parser also get exit 2 and, with --json, a JSON object."""
    import os
    import sys

    from coopkit.cli.output import clean, print_json, say
    from coopkit.errors import ExitCode, T

    without_pydantic_plugins()
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args[: args.index("--")] if "--" in args else "--json" in args
    lang = _wants(args, "--lang") or os.environ.get("COOP_LANG") or "de"
    lang = lang if lang in ("de", "en") else "de"
    try:
        code = app(args=args, prog_name="coop", standalone_mode=False)
    except KeyboardInterrupt:
        code = int(ExitCode.INTERRUPTED)
        if as_json:
            print_json({"ok": False, "exit_code": code, "message": "interrupted"})
        else:
            say(T("abgebrochen", "interrupted"), lang, err=True)
    except Exception as err:
        # The parser's own errors (unknown option, missing argument, bad value) and Abort.
        if not hasattr(err, "format_message") and type(err).__name__ != "Abort":
            raise
        if type(err).__name__ == "Abort":
            code, message = int(ExitCode.INTERRUPTED), "interrupted"
        else:
            code, message = int(ExitCode.USAGE), str(getattr(err, "format_message")())  # noqa: B009
        if as_json:
            print_json({"ok": False, "exit_code": code, "message": message})
        elif type(err).__name__ == "NoArgsIsHelpError":
            sys.stdout.write(message + "\n")
        else:
            context = getattr(err, "ctx", None)
            if context is not None:
                sys.stderr.write(context.get_usage() + "\n")
                sys.stderr.write(
                    T(
                        "„{c} -h“ zeigt die Hilfe.",
                        "Try '{c} -h' for help.",
                        c=context.command_path,
                    ).format(lang)
                    + "\n\n"
                )
            sys.stderr.write(
                T("Fehler: {m}", "error: {m}", m=clean(message, one_line=True)).format(lang) + "\n"
            )
    sys.exit(code if isinstance(code, int) else 0)


def run() -> None:
    """The `coop` program: `main()`, then leave without walking the heap.

    At exit Python's cycle collector walks every object the command and the imported libraries
    built, several times (about 30 ms at the start of a write, more after a large command),
    although all of them go with the process. Frozen, they are skipped; objects are still
    released as usual (only garbage cycles are left to the end of the process).
    """
    import gc

    try:
        main()
    finally:
        gc.freeze()
