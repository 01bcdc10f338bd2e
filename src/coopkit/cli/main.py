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
from coopkit.cli.framework import LANGUAGES, CoopGroup, english, install, lang_option
from coopkit.cli.state import CliState, check_language, parse_day

install()

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


ROOT_VALUE_OPTIONS = frozenset({"-C", "--today", "--author", "--lang", "--ssh-key"})
"""The global options that take a value (a test compares this with the root callback)."""


def _command_name(info: typer.models.CommandInfo) -> str:
    """Return the name a registered command is called by (as typer derives it)."""
    if info.name:
        return info.name
    callback = info.callback
    return callback.__name__.lower().replace("_", "-") if callback is not None else ""


def _for(args: list[str]) -> typer.Typer:
    """Return the app with only the command or command group `args` call.

    typer builds every registered command from its signature on each start; a call needs one.
    Where no command is named (`coop --help`, an unknown command) the whole app answers.
    """
    return _pruned(app, args, ROOT_VALUE_OPTIONS)


def _pruned(found: typer.Typer, args: list[str], value_options: frozenset[str]) -> typer.Typer:
    """Return `found` with only the command or group the first word of `args` names.

    And so on down the groups (their callbacks take no values); `found` itself where the
    first word names nothing.
    """
    import copy

    skip = False
    for n, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg == "--":
            break
        if arg.startswith("-"):
            skip = arg in value_options
            continue
        groups = [copy.copy(g) for g in found.registered_groups if g.name == arg]
        commands = [c for c in found.registered_commands if _command_name(c) == arg]
        if not groups and not commands:
            return found
        for group in groups:
            if group.typer_instance is not None:
                group.typer_instance = _pruned(group.typer_instance, args[n + 1 :], frozenset())
        pruned = copy.copy(found)
        pruned.registered_groups = groups
        pruned.registered_commands = commands
        return pruned
    return found


def _wants(args: list[str], option: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == option and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None


def _no_plugins() -> tuple[()]:
    return ()


def _without_pydantic_plugins() -> None:
    """Keep pydantic plugins installed beside coop away from its records.

    Records may hold personal data: no plugin sees them. `PYDANTIC_DISABLE_PLUGINS` is
    pydantic's own switch, but its plugin loader imports `importlib.metadata` before reading it
    (about 12 ms on every start); where the loader has not been imported yet, one that finds
    no plugin takes its place.
    """
    import os
    import sys
    import types

    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    name = "pydantic.plugin._loader"
    if name not in sys.modules:
        loader = types.ModuleType(name, "No pydantic plugins in coop (see coopkit.cli.main).")
        setattr(loader, "get_plugins", _no_plugins)  # noqa: B010
        sys.modules[name] = loader


def main(argv: list[str] | None = None) -> None:
    """Run `coop`; usage errors of the parser also get exit 2 and, with --json, a JSON object."""
    import os
    import sys

    from coopkit.cli.output import clean, print_json, say
    from coopkit.errors import ExitCode, T

    _without_pydantic_plugins()
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args[: args.index("--")] if "--" in args else "--json" in args
    lang = _wants(args, "--lang") or os.environ.get("COOP_LANG") or "de"
    lang = lang if lang in ("de", "en") else "de"
    try:
        code = _for(args)(args=args, prog_name="coop", standalone_mode=False)
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
