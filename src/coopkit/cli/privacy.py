"""`coop privacy` commands: the personal data the repository holds and what is past its period."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from coopkit.cli.boundary import command
from coopkit.cli.output import print_json, print_problems, say, table
from coopkit.cli.state import get_state
from coopkit.errors import ExitCode, Problem, T
from coopkit.i18n import gettext, pgettext
from coopkit.services.privacy import CATEGORY_WORDS, legal_basis, period_text

if TYPE_CHECKING:
    from coopkit.queries.privacy import Due, Inventory, Person

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False)


@app.callback()
def group() -> None:
    """Datenschutz: Verzeichnis der Personendaten, Fristen, Klientendaten-Suche."""


def _person_json(person: Person) -> dict[str, Any]:
    return {
        "key": person.key,
        "name": person.label,
        "first": person.first,
        "first_commit": person.first_commit,
        "files": sorted(person.files),
        "commits": len(person.commits),
        "still_named": person.gone is None,
        "gone": person.gone,
        "left": person.left,
    }


def _due_json(item: Due) -> dict[str, Any]:
    return {
        "category": item.category,
        "key": item.key,
        "name": item.label,
        "since": item.since,
        "period": item.period,
        "due": item.due,
        "files": list(item.files),
        "command": item.command,
    }


def _report_json(inv: Inventory, due: list[Due], lang: str) -> dict[str, Any]:
    from coopkit.model.retention import CATEGORIES

    return {
        "ok": True,
        "commits": inv.commits,
        "controller": inv.controller,
        "legal_basis": legal_basis(inv, lang),
        "categories": [
            {
                "category": c,
                "people": len(inv.category(c)),
                "period": inv.retention.period(c),
                "since": min((p.first for p in inv.category(c)), default=None),
                "entries": [_person_json(p) for p in inv.category(c)],
                "due": [_due_json(d) for d in due if d.category == c],
            }
            for c in CATEGORIES
        ],
    }


@command
def report_cmd(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="DATEI.docx",
            help="Das Verzeichnis als Word-Dokument schreiben (für die Datenschutzbeauftragte).",
        ),
    ] = None,
) -> None:
    """Verzeichnis der personenbezogenen Daten (Art. 30 DSGVO) über die ganze Geschichte.

    Je Kategorie: wie viele Personen, seit wann (erster Commit, der sie nennt), in welchen
    Dateien und in wie vielen Commits; die Aufbewahrungsfrist und was sie überschritten hat.

    Beispiel: coop privacy report -o verzeichnis.docx
    """
    from coopkit.model.retention import CATEGORIES
    from coopkit.queries.privacy import due, inventory

    state = get_state(ctx)
    service_ctx = state.context()
    lang = service_ctx.lang
    inv = inventory(service_ctx)
    past = due(inv, service_ctx.today)
    if output is not None:
        from coopkit.services.privacy import write_report

        written = write_report(service_ctx, inv, past, output)
        if not state.json:
            say(T("geschrieben: {p}", "written: {p}", p=str(written)), lang)
    if state.json:
        print_json(_report_json(inv, past, lang))
        return
    if output is not None:
        return
    headers = [
        pgettext("column", "Kategorie", lang),
        pgettext("column", "Personen", lang),
        pgettext("column", "seit", lang),
        pgettext("column", "Dateien", lang),
        pgettext("column", "Commits", lang),
        pgettext("column", "Frist", lang),
        pgettext("column", "fällig", lang),
    ]
    rows = []
    for c in CATEGORIES:
        people = inv.category(c)
        files = set().union(*(p.files for p in people)) if people else set()
        commits = set().union(*(p.commits for p in people)) if people else set()
        first = min((p.first for p in people), default=None)
        rows.append(
            [
                gettext(CATEGORY_WORDS[c], lang),
                len(people),
                first.isoformat() if first else "—",
                len(files),
                len(commits),
                period_text(inv.retention.period(c), lang),
                sum(1 for d in past if d.category == c),
            ]
        )
    say(table(headers, rows))
    say("")
    say(gettext("Rechtsgrundlage", lang) + ": " + legal_basis(inv, lang))


@command
def due_cmd(ctx: typer.Context) -> None:
    """Zeigen, was seine Aufbewahrungsfrist überschritten hat, mit dem Befehl, der es erledigt.

    Die Fristen stehen in coop.toml unter [retention]; die Frist einer Kontaktperson beginnt
    mit ihrem Austritt (left:).

    Beispiel: coop privacy due
    """
    from coopkit.queries.privacy import due, inventory

    state = get_state(ctx)
    service_ctx = state.context()
    lang = service_ctx.lang
    past = due(inventory(service_ctx), service_ctx.today)
    if state.json:
        print_json({"ok": True, "due": [_due_json(d) for d in past]})
        return
    if not past:
        say(T("nichts ist über seiner Frist", "nothing is past its period"), lang)
        return
    headers = [
        pgettext("column", "Kategorie", lang),
        pgettext("column", "Person", lang),
        pgettext("column", "seit", lang),
        pgettext("column", "Frist", lang),
        pgettext("column", "fällig", lang),
        pgettext("column", "erledigen mit", lang),
    ]
    rows = [
        [
            gettext(CATEGORY_WORDS[d.category], lang),
            d.label,
            d.since.isoformat(),
            d.period,
            d.due.isoformat(),
            d.command,
        ]
        for d in past
    ]
    say(table(headers, rows))


@command
def scan_cmd(
    ctx: typer.Context,
    history: Annotated[
        bool,
        typer.Option(
            "--history",
            help="Jede Fassung jeder Datei in jedem Commit prüfen, nicht nur den Arbeitsstand.",
        ),
    ] = False,
) -> None:
    """Nach Klientendaten suchen (E-Mail, Telefon, Geburtsdatum, IBAN, Aktenzeichen).

    Ohne --history wie coop check --privacy über den Arbeitsstand; mit --history in jeder
    Fassung jeder Datei der Geschichte, jeder Fund mit Commit und PFAD:ZEILE:SPALTE.
    Exit-Code 1, wenn etwas gefunden wurde.

    Beispiel: coop privacy scan --history
    """
    from coopkit.cli.output import problem_dict
    from coopkit.queries.privacy import scan_history, scan_worktree

    state = get_state(ctx)
    service_ctx = state.context()
    lang = service_ctx.lang
    found: list[tuple[str | None, Problem]] = []
    if history:
        found += scan_history(service_ctx)
    else:
        found += [(None, p) for p in scan_worktree(service_ctx)]
    if state.json:
        print_json(
            {
                "ok": not found,
                "exit_code": int(ExitCode.PROBLEMS if found else ExitCode.OK),
                "findings": [{"commit": c, **problem_dict(p, lang)} for c, p in found],
            }
        )
    elif not found:
        say(T("keine Klientendaten gefunden", "no client data found"), lang)
    elif history:
        for commit, problem in found:
            say(f"{(commit or '')[:10]}  {problem.format(lang)}")
        say(
            T(
                "{n} Fund(e) in {c} Commit(s)",
                "{n} finding(s) in {c} commit(s)",
                n=len(found),
                c=len({c for c, _ in found}),
            ),
            lang,
        )
    else:
        print_problems([p for _, p in found], lang)
    if found:
        raise typer.Exit(int(ExitCode.PROBLEMS))


@command
def erase_cmd(
    ctx: typer.Context,
    text: Annotated[
        list[str] | None,
        typer.Option(
            "--text",
            metavar="TEXT",
            help="Diesen Text in jeder Fassung jeder Datei, jeder Commit-Nachricht und jedem "
            "Namen ersetzen (mehrfach möglich).",
        ),
    ] = None,
    contact: Annotated[
        list[str] | None,
        typer.Option(
            "--contact",
            metavar="PARTNER/KONTAKT",
            help="Name, E-Mail und Telefon einer Kontaktperson in jeder Fassung ersetzen.",
        ),
    ] = None,
    path: Annotated[
        list[str] | None,
        typer.Option(
            "--path",
            metavar="PFAD",
            help="Diese Datei (oder diesen Ordner) aus jedem Commit entfernen.",
        ),
    ] = None,
    reason: Annotated[
        str,
        typer.Option("--reason", metavar="GRUND", help="Warum gelöscht wird (steht im Vermerk)."),
    ] = "",
    remote: Annotated[
        str, typer.Option("--remote", metavar="NAME", help="Gegenstelle (Standard origin).")
    ] = "origin",
    no_push: Annotated[
        bool,
        typer.Option("--no-push", help="Nur hier löschen, nicht an die Gegenstelle senden."),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Nur zeigen, was sich änderte; nichts ändern."),
    ] = False,
    break_signoffs: Annotated[
        bool,
        typer.Option(
            "--break-signoffs",
            help="Auch löschen, wenn dadurch Freigaben nicht mehr gelten (ihr Text enthielt es).",
        ),
    ] = False,
) -> None:
    """Personenbezogene Daten aus der ganzen Geschichte löschen (Art. 17 DSGVO).

    Schreibt jeden Commit neu (mit git-filter-repo), in dem der Text, die Kontaktperson oder
    die Datei vorkommt, und setzt „(gelöscht)“ an die Stelle. Prüft vorher jede Freigabe und
    jeden Datensatz; signiert einen Löschvermerk (erasures/), der alte und neue Commit-IDs
    zuordnet; sendet die neue Geschichte an die Gegenstelle und entfernt hier die alten
    Objekte. Die anderen Klone übernehmen die Löschung mit coop sync. Braucht einen gepinnten
    Koordinationsschlüssel (--ssh-key oder COOP_SSH_KEY).

    Beispiel: coop privacy erase --text "Max Mustermann" --reason "Klientendaten"
    """
    from coopkit.cli.progress import READING, Progress
    from coopkit.services.erase import erase

    state = get_state(ctx)
    service_ctx = state.context()
    lang = service_ctx.lang
    with Progress(READING, lang, quiet=state.json) as progress:
        result = erase(
            service_ctx,
            texts=list(text or []),
            contacts=list(contact or []),
            paths=list(path or []),
            reason=reason,
            remote_name=remote,
            push=not no_push,
            dry_run=dry_run,
            break_signoffs=break_signoffs,
            step=progress.step,
        )
    if state.json:
        print_json(
            {
                "ok": not result.left,
                "dry_run": result.dry_run,
                "record": result.record,
                "texts": result.texts,
                "paths": result.paths,
                "commits": result.commits,
                "changed": result.changed,
                "tags": result.tags,
                "signoffs": [
                    {"path": o.path, "before": o.before, "after": o.after} for o in result.signoffs
                ],
                "remote": result.remote,
                "remote_cleaned": result.remote_cleaned,
                "objects": result.objects,
                "left": [{"object": f.sha, "type": f.kind} for f in result.left],
                "notes": [n.format(lang) for n in result.notes],
            }
        )
        raise typer.Exit(int(ExitCode.PROBLEMS if result.left else ExitCode.OK))
    say(
        T(
            "Probelauf: {c} von {n} Commit(s) würden neu geschrieben ({t} Text(e), {p} Datei(en))",
            "dry run: {c} of {n} commit(s) would be rewritten ({t} text(s), {p} file(s))",
            c=result.changed,
            n=result.commits,
            t=result.texts,
            p=len(result.paths),
        )
        if result.dry_run
        else T(
            "gelöscht: {c} von {n} Commit(s) neu geschrieben ({t} Text(e), {p} Datei(en)); "
            "Vermerk {r}",
            "erased: {c} of {n} commit(s) rewritten ({t} text(s), {p} file(s)); record {r}",
            c=result.changed,
            n=result.commits,
            t=result.texts,
            p=len(result.paths),
            r=result.record or "",
        ),
        lang,
    )
    for name in result.tags:
        say(T("  Tag {t} verschoben", "  tag {t} moved", t=name), lang)
    for outcome in result.signoffs:
        verdict = (
            T("gilt weiter", "still holds")
            if outcome.before and outcome.after
            else T("gilt NICHT mehr (ihr Text enthielt es)", "NO longer holds (its text held it)")
            if outcome.before
            else T("galt schon vorher nicht", "did not hold before either")
        )
        say(T("  Freigabe {p}: {v}", "  sign-off {p}: {v}", p=outcome.path, v=verdict), lang)
    if not result.dry_run:
        if result.remote is not None:
            say(
                T(
                    "an {r} gesendet; alte Objekte dort entfernt",
                    "sent to {r}; old objects removed there",
                    r=result.remote,
                )
                if result.remote_cleaned
                else T("an {r} gesendet", "sent to {r}", r=result.remote),
                lang,
            )
        say(
            T(
                "hier: {n} Objekte geprüft, keines enthält die gelöschten Daten",
                "here: {n} objects checked, none holds the erased data",
                n=result.objects,
            )
            if not result.left
            else T(
                "hier enthalten noch {k} von {n} Objekten gelöschte Daten",
                "here {k} of {n} objects still hold erased data",
                k=len(result.left),
                n=result.objects,
            ),
            lang,
        )
    for note in result.notes:
        say(note, lang)
    if result.left:
        raise typer.Exit(int(ExitCode.PROBLEMS))


@command
def verify_erased_cmd(
    ctx: typer.Context,
    texts: Annotated[list[str], typer.Argument(metavar="TEXT...", help="Die gelöschten Texte.")],
) -> None:
    """Nachweisen, dass kein Objekt dieses Klons einen gelöschten Text mehr enthält.

    Prüft jedes Objekt der git-Datenbank (erreichbar oder nicht, gepackt oder lose), die
    Dateien des Arbeitsstands und coops Zwischenspeicher unter .coop/. Exit-Code 1 mit jedem
    Fund, sonst 0.

    Beispiel: coop privacy verify-erased "Max Mustermann"
    """
    from coopkit.services.erase import scan_clone

    state = get_state(ctx)
    service_ctx = state.context()
    lang = service_ctx.lang
    objects, found, files = scan_clone(service_ctx.root, texts)
    bad = bool(found or files)
    if state.json:
        print_json(
            {
                "ok": not bad,
                "exit_code": int(ExitCode.PROBLEMS if bad else ExitCode.OK),
                "objects": objects,
                "found": [{"object": f.sha, "type": f.kind, "text": f.text + 1} for f in found],
                "files": files,
            }
        )
    elif not bad:
        say(
            T(
                "in keinem von {n} Objekten und keiner Datei gefunden: gelöscht",
                "found in none of {n} objects and no file: erased",
                n=objects,
            ),
            lang,
        )
    else:
        for item in found:
            say(
                T(
                    "  Objekt {o} ({k}) enthält Text {i}",
                    "  object {o} ({k}) holds text {i}",
                    o=item.sha,
                    k=item.kind,
                    i=item.text + 1,
                ),
                lang,
            )
        for name in files:
            say(T("  Datei {p} enthält ihn", "  file {p} holds it", p=name), lang)
        say(
            T(
                "noch vorhanden: {k} von {n} Objekten, {f} Datei(en)",
                "still present: {k} of {n} objects, {f} file(s)",
                k=len(found),
                n=objects,
                f=len(files),
            ),
            lang,
        )
    if bad:
        raise typer.Exit(int(ExitCode.PROBLEMS))


app.command("report")(report_cmd)
app.command("erase")(erase_cmd)
app.command("verify-erased")(verify_erased_cmd)
app.command("due")(due_cmd)
app.command("scan")(scan_cmd)
