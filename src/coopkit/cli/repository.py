"""Repository-wide commands: init, demo, check, status, migrate, commit, search, log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coopkit.cli.boundary import command
from coopkit.cli.history import print_log
from coopkit.cli.labels import status_text
from coopkit.cli.output import (
    answer_fields,
    print_json,
    print_problems,
    problem_dict,
    say,
    table,
)
from coopkit.cli.state import get_state
from coopkit.errors import ExitCode, T
from coopkit.i18n import _, gettext, pgettext

if TYPE_CHECKING:
    from coopkit.queries.load import Snapshot
    from coopkit.queries.overview import Status


@command
def init_cmd(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(help="Verzeichnis des neuen Repositorys.", metavar="VERZEICHNIS")
    ] = Path(),
    name: Annotated[
        str | None, typer.Option("--name", help="Name der Kooperation.", metavar="NAME")
    ] = None,
    coordinator_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--coordinator-key",
            metavar="SCHLÜSSELDATEI",
            help="Öffentlicher Schlüssel der Koordination: sein Fingerabdruck wird in coop.toml "
            "als Wurzel des Vertrauens gepinnt (mehrfach möglich).",
        ),
    ] = None,
    ci: Annotated[
        str | None,
        typer.Option("--ci", metavar="forgejo|gitlab", help="CI-Pipeline mit anlegen."),
    ] = None,
) -> None:
    """Ein neues coop-Repository anlegen (coop.toml, Ordner, Vorlagen, erster Commit).

    Wer handelt (--author, COOP_AUTHOR oder git config) und das Zielverzeichnis werden geprüft,
    bevor etwas geschrieben wird: leer, neu oder ein git-Repository ohne offene Änderungen.
    Alles landet in genau einem Commit; scheitert etwas, bleibt nichts zurück, und ein
    abgebrochenes init lässt sich einfach wiederholen.

    Beispiel: coop init integration-myk --name "Integration im Landkreis Mayen-Koblenz"
    --coordinator-key ~/.ssh/koordination.pub --ci forgejo
    """
    from coopkit.services.init import init
    from coopkit.services.inputs import read_input_text
    from coopkit.services.keys import read_public_key

    state = get_state(ctx)
    service_ctx = state.context(discover=False)
    fingerprints = []
    for key_file in coordinator_key or []:
        text = read_input_text(
            key_file, T("Schlüsseldatei (--coordinator-key)", "key file (--coordinator-key)")
        )
        fingerprints.append(read_public_key(text)[1])
    result = init(service_ctx, directory, name, fingerprints, ci)
    if state.json:
        print_json(
            {"ok": True, "root": result.root, "commit": result.commit, "paths": result.paths}
        )
        return
    say(
        T("Repository angelegt: {r}", "repository created: {r}", r=str(result.root)),
        service_ctx.lang,
    )


@command
def check_cmd(
    ctx: typer.Context,
    privacy: Annotated[
        bool,
        typer.Option(
            "--privacy",
            help="Auch nach personenbezogenen Daten suchen, die nicht zu "
            "einem registrierten Kontakt gehören.",
        ),
    ] = False,
) -> None:
    """Alle Dateien prüfen: Syntax, Schema, Verweise, Datumslogik, IDs.

    Jedes Problem erscheint als PFAD:ZEILE:SPALTE: Meldung. Exit-Code 1, wenn es Probleme gibt.

    Beispiel: coop check
    """
    from coopkit.cli.progress import READING, RULES, Progress
    from coopkit.queries.check import check_snapshot
    from coopkit.queries.load import snapshot
    from coopkit.queries.privacy import retention_warnings

    state = get_state(ctx)
    service_ctx = state.context()
    with Progress(READING, service_ctx.lang, quiet=state.json) as progress:
        snap = snapshot(service_ctx, progress=progress)
        progress.step(RULES)
        problems = check_snapshot(snap, privacy=privacy)
        warnings = retention_warnings(snap)
    lang = service_ctx.lang
    if not state.json:
        for warning in warnings:
            say(
                T("Warnung: {w}", "warning: {w}", w=warning.format(lang)),
                lang,
                err=True,
                one_line=True,
            )
    if state.json:
        summary = T(
            "{n} Problem(e) in {f} Datei(en)",
            "{n} problem(s) in {f} file(s)",
            n=len(problems),
            f=len({p.source.path for p in problems}),
        )
        print_json(
            {
                "ok": not problems,
                "exit_code": int(ExitCode.PROBLEMS if problems else ExitCode.OK),
                "message": summary.format(lang),
                "problems": [problem_dict(p, lang) for p in problems],
                "warnings": [problem_dict(w, lang) for w in warnings],
            }
        )
    elif problems:
        print_problems(problems, lang)
    else:
        say(T("keine Probleme gefunden", "no problems found"), lang)
    if problems:
        raise typer.Exit(int(ExitCode.PROBLEMS))


@command
def status_cmd(ctx: typer.Context) -> None:
    """Überblick: Vereinbarungen mit Version und Freigaben, Partner, Sitzungen.

    Beispiel: coop status
    """
    from coopkit.cli.pages import show_page

    state = get_state(ctx)
    service_ctx = state.context()

    def render(snap: Snapshot) -> None:
        from coopkit.queries.lookup import broken_warning
        from coopkit.queries.overview import status

        result = status(snap)
        warning = broken_warning(snap)
        if warning is not None:
            say(warning, service_ctx.lang, err=True)
        if state.json:
            print_json({"ok": True, **answer_fields(result)})
        else:
            _print_status(result, service_ctx.lang)

    show_page(service_ctx, "status", (state.json,), render, quiet=state.json, facts=True)


def _print_status(result: Status, lang: str) -> None:
    say(result.name)
    say("")
    say(gettext("Vereinbarungen", lang))
    rows = []
    for a in result.agreements:
        state_text = a.state_text
        if a.changed_since_release:
            state_text += gettext(", Arbeitstext geändert", lang)
        rows.append(
            [
                a.id,
                a.latest_version or "—",
                state_text,
                ", ".join(a.approved_by) or "—",
                ", ".join(a.missing) or "—",
            ]
        )
    headers = [
        "ID",
        gettext("Version", lang),
        gettext("Stand", lang),
        gettext("freigegeben von", lang),
        gettext("ausstehend", lang),
    ]
    say(table(headers, rows))
    say("")
    say(pgettext("heading", "Partner", lang))
    say(
        table(
            ["ID", "Name", gettext("überfällig", lang)],
            [
                [
                    p.id,
                    p.name or (_("— (fehlerhaft: {broken})", broken=p.broken).format(lang)),
                    p.overdue or "",
                ]
                for p in result.partners
            ],
        )
    )
    if result.minutes:
        say("")
        say(gettext("Sitzungen", lang))
        say(
            table(
                [
                    "ID",
                    pgettext("column", "Datum", lang),
                    pgettext("column", "Titel", lang),
                    pgettext("column", "Stand", lang),
                ],
                [[m.id, m.date, m.title, status_text(m.status, lang)] for m in result.minutes[:10]],
            )
        )
        for key, text in (
            ("draft_minutes", _("Niederschriften im Entwurf: {ids}")),
            ("unapproved_minutes", _("versandt, noch nicht genehmigt: {ids}")),
        ):
            ids = getattr(result, key)
            if ids:
                say(text.format(lang, ids=", ".join(ids)))
        say(
            T(
                "offene Aufgaben: {n}, davon überfällig: {o} („coop action list --open“)",
                'open actions: {n}, overdue: {o} ("coop action list --open")',
                n=result.open_actions,
                o=result.overdue_actions,
            ),
            lang,
        )
    if result.overdue:
        say("")
        say(
            T(
                "überfällig insgesamt: {n} („coop due --overdue“)",
                'overdue in all: {n} ("coop due --overdue")',
                n=sum(result.overdue.values()),
            ),
            lang,
        )
    if result.problems:
        say("")
        say(
            T(
                "{n} Problem(e) in den Dateien; Details mit „coop check“",
                '{n} problem(s) in the files; details with "coop check"',
                n=result.problems,
            ),
            lang,
        )


@command
def migrate_cmd(ctx: typer.Context) -> None:
    """Ältere Repositorys umstellen: den handgesetzten „status:“ aus allen Vereinbarungen entfernen.

    Der Stand einer Vereinbarung ergibt sich aus Fassungen, Freigaben und Kündigungen; das Feld
    „status:“ wird nicht mehr gelesen. Ein Commit; bestehende Freigaben bleiben gültig.

    Beispiel: coop migrate
    """
    from coopkit.services.lifecycle import migrate

    state = get_state(ctx)
    service_ctx = state.context()
    result = migrate(service_ctx, service_ctx.today if state.today else None)
    if state.json:
        print_json({"ok": True, "commit": result.commit if result else None})
        return
    if result is None:
        say(T("nichts umzustellen", "nothing to migrate"), service_ctx.lang)
        return
    say(
        T(
            "umgestellt: {p} ({c})",
            "migrated: {p} ({c})",
            p=", ".join(result.paths),
            c=result.commit[:10],
        ),
        service_ctx.lang,
    )


@command
def commit_cmd(
    ctx: typer.Context,
    message: Annotated[str, typer.Option("-m", "--message", help="Commit-Nachricht.")],
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Von Hand geänderte Dateien (Standard: alle Datensätze).", metavar="PFAD"
        ),
    ] = None,
) -> None:
    """Von Hand bearbeitete Datensätze geprüft als eigenen Commit übernehmen.

    Nur gültige Änderungen werden übernommen; Probleme erscheinen als PFAD:ZEILE:SPALTE.

    Beispiel: coop commit -m "Anschrift der AWO korrigiert" partners/awo-rheinland.yaml
    """
    from coopkit.services.repository import commit_hand_edits

    state = get_state(ctx)
    service_ctx = state.context()
    result = commit_hand_edits(
        service_ctx, list(paths or []), message, service_ctx.today if state.today else None
    )
    if state.json:
        print_json({"ok": True, "commit": result.commit, "paths": result.paths})
        return
    say(
        T(
            "übernommen: {p} ({c})",
            "committed: {p} ({c})",
            p=", ".join(result.paths),
            c=result.commit[:10],
        ),
        service_ctx.lang,
    )


@command
def demo_cmd(
    ctx: typer.Context,
    directory: Annotated[
        Path,
        typer.Argument(
            help="Neues oder leeres Verzeichnis für das Beispiel.", metavar="VERZEICHNIS"
        ),
    ],
) -> None:
    """Das Beispiel Mayen-Koblenz mit seiner Geschichte in einem neuen Repository aufbauen.

    Drei Kooperationsvereinbarungen (Kreisverwaltung, Jobcenter, Migrationsdienste) von den
    Entwürfen 2012 über Version 1, die Freigaben aller Partner, das Arbeitstreffen 2013 und das
    Evaluationsgespräch im Februar 2014 bis zur Fortschreibung als Version 2; jeder Schritt ein
    Commit der handelnden Person an ihrem Tag.

    Beispiel: coop demo kooperation-myk
    """
    from dataclasses import replace

    from coopkit.queries.load import snapshot
    from coopkit.queries.overview import status
    from coopkit.services.demo import DEMO_TODAY, build_demo

    state = get_state(ctx)
    service_ctx = state.context(discover=False)
    lang = service_ctx.lang
    story_today = state.today or DEMO_TODAY
    # The story is written up to its own last day; --today only chooses the day shown.
    result = build_demo(replace(service_ctx, today=max(story_today, DEMO_TODAY)), directory)
    if state.json:
        print_json(
            {
                "ok": True,
                "root": result.root,
                "commits": result.commits,
                "tags": result.tags,
                "today": story_today,
            }
        )
        return
    say(
        T(
            "Beispiel angelegt: {r} ({n} Commits, {t} Versionen)",
            "example created: {r} ({n} commits, {t} versions)",
            r=str(result.root),
            n=result.commits,
            t=len(result.tags),
        ),
        lang,
    )
    say("")
    _print_status(status(snapshot(replace(service_ctx, root=result.root, today=story_today))), lang)
    root = str(result.root)
    day = story_today.isoformat()
    say("")
    say(T("Weiter geht es zum Beispiel mit:", "Where to look next:"), lang)
    for line in (
        f"cd {root}",
        "git log --format='%ad %an: %s' --date=short",
        f"coop --today {day} agreement show myk-caritas-ko",
        "coop agreement diff myk-caritas-ko v1 v2 --docx aenderungen-v2.docx",
        "coop agreement render myk-caritas-ko --version v1 -o vereinbarung-v1.docx",
        "coop meeting render 2014-02-05-evaluation -o niederschrift.docx",
        f"coop --today {day} due",
        "coop report myk-caritas-ko --year 2013 -o evaluation-2013.docx",
    ):
        say(f"  {line}")


@command
def search_cmd(
    ctx: typer.Context,
    words: Annotated[
        list[str], typer.Argument(help="Suchwörter; alle müssen vorkommen.", metavar="WÖRTER")
    ],
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="Nur diese Art: partner, agreement, minutes, signoff, fulfilment, action.",
            metavar="ART",
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit", help="Höchstens so viele Treffer.", metavar="ANZAHL", min=1, max=10000
        ),
    ] = 20,
) -> None:
    """Volltextsuche in Vereinbarungen, Niederschriften, Partnern und Vermerken.

    Jeder Treffer erscheint als PFAD:ZEILE mit Titel und Textausschnitt; alle Wörter müssen
    vorkommen, Groß-/Kleinschreibung und Akzente zählen nicht.

    Beispiel: coop search Sprachförderung Jobcenter
    """
    from coopkit.cli.pages import show_page

    state = get_state(ctx)
    service_ctx = state.context()
    user_text = " ".join(words)

    def render(snap: Snapshot) -> None:
        # The full-text index is brought up to date with the files that changed.
        from coopkit.services.search import find

        results = find(service_ctx, user_text, kind, limit, state=snap.state)
        if state.json:
            print_json({"ok": True, "results": results})
            return
        if not results:
            say(T("keine Treffer", "no matches"), service_ctx.lang)
            return
        for hit in results:
            day = f" ({hit.day})" if hit.day else ""
            say(f"{hit.path}:{hit.line}: {hit.title}{day}")
            say(f"    {hit.snippet}")

    show_page(
        service_ctx,
        "search",
        (user_text, kind, limit, state.json),
        render,
        quiet=state.json,
        facts=True,
    )


@command
def log_cmd(
    ctx: typer.Context,
    path: Annotated[
        str | None,
        typer.Argument(metavar="[PFAD]", help="Nur Änderungen an dieser Datei/diesem Ordner."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "-n",
            "--limit",
            help="Höchstens so viele Einträge.",
            metavar="ANZAHL",
            min=0,
            max=1_000_000,
        ),
    ] = 0,
) -> None:
    """Verlauf: wer hat wann was geändert, mit Dateien und Versions-Tags.

    Beispiel: coop log partners/kv-myk.yaml
    """
    from coopkit.queries.history import log

    state = get_state(ctx)
    service_ctx = state.context()
    print_log(log(service_ctx, path, limit), state.json, service_ctx.lang)


app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False)


@app.callback()
def group() -> None:
    """Das Repository als Ganzes: anlegen, prüfen, Überblick, Suche, Verlauf."""


app.command("init")(init_cmd)
app.command("check")(check_cmd)
app.command("status")(status_cmd)
app.command("demo")(demo_cmd)
app.command("migrate")(migrate_cmd)
app.command("commit")(commit_cmd)
app.command("search")(search_cmd)
app.command("log")(log_cmd)
