"""Follow-up commands: due list, calendar, checklist, report, all documents in one run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coopkit.cli.boundary import command
from coopkit.cli.labels import day_text
from coopkit.cli.output import clean, print_json, say, table
from coopkit.cli.state import CliState, DayKind, check_year, get_state
from coopkit.cli.state import within_days as parse_within
from coopkit.errors import T, UsageError
from coopkit.i18n import _, gettext, pgettext

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False)

if TYPE_CHECKING:
    from coopkit.queries.load import Snapshot


@command
def due_cmd(
    ctx: typer.Context,
    partner: Annotated[
        str | None, typer.Option("--partner", help="Nur dieser Partner.", metavar="PARTNER")
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
    within: Annotated[
        str,
        typer.Option(
            "--within",
            help="Zeitraum ab heute: 30d (Tage), 2w (Wochen), 3m (Monate zu 30 Tagen).",
            metavar="ZEITRAUM",
        ),
    ] = "30d",
    overdue: Annotated[bool, typer.Option("--overdue", help="Nur Überfälliges.")] = False,
) -> None:
    """Was ist fällig oder überfällig? Pflichten und Aufgaben je Partner, nach Datum, mit Quelle.

    Stichtag ist --today (Standard: heute).

    Beispiel: coop due --partner caritas-ko --within 60d
    """
    from coopkit.cli.pages import show_page
    from coopkit.i18n import gettext

    state = get_state(ctx)
    service_ctx = state.context()
    within_days = parse_within(within)

    def render(snap: Snapshot) -> None:
        from coopkit.queries.due import due_list
        from coopkit.queries.lookup import broken_warning

        warning = broken_warning(snap)
        if warning is not None:
            say(warning, service_ctx.lang, err=True)
        groups = due_list(
            snap, partner=partner, person=person, within_days=within_days, overdue_only=overdue
        )
        lang = service_ctx.lang
        if state.json:
            print_json({"ok": True, "today": service_ctx.today, "partners": groups})
            return
        if not groups:
            say(T("nichts fällig", "nothing due"), lang)
            return
        from coopkit.render.dates import overdue_words

        for n, group in enumerate(groups):
            if n:
                say("")
            say(f"{group.name} ({group.partner})")
            rows = []
            for item in group.items:
                late = overdue_words(item.days_overdue, lang) if item.overdue else ""
                rows.append([day_text(item.due, lang), item.what, item.source, item.who, late])
            say(
                table(
                    [
                        gettext("fällig", lang),
                        gettext("was", lang),
                        pgettext("column", "Quelle", lang),
                        pgettext("column", "wer", lang),
                        gettext("Verzug", lang),
                    ],
                    rows,
                )
            )
            for item in group.items:
                if item.moved:
                    say(f"{item.key}: {_('verschoben: {v}', v=item.moved).format(lang)}")
            for note in group.endings:
                say(note)

    show_page(
        service_ctx,
        "due",
        (partner, person, within_days, overdue, state.json),
        render,
        quiet=state.json,
        facts=True,
    )


@command
def calendar_cmd(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Zieldatei .ics.", metavar="DATEI")
    ],
    partner: Annotated[
        str | None, typer.Option("--partner", help="Nur dieser Partner.", metavar="PARTNER")
    ] = None,
) -> None:
    """Kalender (.ics) exportieren: Sitzungen, Fristen der Aufgaben, Fälligkeiten der Pflichten.

    Wiederkehrende Pflichten stehen als Serientermin darin. Jeder Termin hat eine feste UID:
    ein erneuter Import aktualisiert die Termine, statt sie zu verdoppeln.

    Beispiel: coop calendar -o kooperation.ics --partner caritas-ko
    """
    from coopkit.services.calendar import export_calendar

    state = get_state(ctx)
    service_ctx = state.context()
    result = export_calendar(service_ctx, output, partner)
    if state.json:
        print_json({"ok": True, **result.__dict__})
        return
    say(
        T(
            "Kalender geschrieben: {p} ({m} Sitzungen, {a} Aufgaben, {o} Pflichten)",
            "calendar written: {p} ({m} meetings, {a} tasks, {o} obligations)",
            p=str(result.path),
            m=result.meetings,
            a=result.actions,
            o=result.obligations,
        ),
        service_ctx.lang,
    )


@command
def checklist_cmd(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Zieldatei .docx oder .md.", metavar="DATEI")
    ],
    partner: Annotated[
        str | None, typer.Option("--partner", help="Nur dieser Partner.", metavar="PARTNER")
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
    meeting: Annotated[
        str | None,
        typer.Option(
            "--meeting",
            help="Bis zu dieser Sitzung (ID), nur ihre Teilnehmenden.",
            metavar="SITZUNG",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="Bis zu diesem Datum (Standard: nächste geplante Sitzung, sonst 30 Tage).",
            metavar="DATUM",
        ),
    ] = None,
) -> None:
    """Checkliste je Partner: offene Aufgaben und fällige Pflichten bis zur nächsten Sitzung.

    Mit Kästchen zum Abhaken, deutschen Datumsangaben und der Quelle jedes Punktes
    (Paragraph der Vereinbarung oder TOP der Sitzung). Vorlage: templates/checklist.docx
    bzw. templates/checklist.md.j2.

    Beispiel: coop checklist --partner caritas-ko -o checkliste-caritas.docx
    """
    from coopkit.services.checklist import render_checklist

    state = get_state(ctx)
    service_ctx = state.context()
    result = render_checklist(
        service_ctx,
        output,
        partner=partner,
        person=person,
        meeting=meeting,
        until=get_state(ctx).day(until, "--until", DayKind.PLANNED),
    )
    if state.json:
        print_json({"ok": True, **result.__dict__})
        return
    say(
        T(
            "Checkliste geschrieben: {p} ({n} Punkte für {k} Partner, bis {u})",
            "checklist written: {p} ({n} items for {k} partners, until {u})",
            p=str(result.path),
            n=result.items,
            k=result.partners,
            u=day_text(result.until, service_ctx.lang),
        ),
        service_ctx.lang,
    )


@command
def report_cmd(
    ctx: typer.Context,
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="ID der Vereinbarung; mit --repos die Ordner der Repositories.",
            metavar="VEREINBARUNG|ORDNER",
            show_default=False,
        ),
    ] = None,
    repos: Annotated[
        bool,
        typer.Option(
            "--repos",
            help="Überblick über viele Repositories (je Vereinbarung eine Zeile), ohne sie "
            "zusammenzuführen.",
        ),
    ] = False,
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            help="Datei mit einem Repository-Ordner je Zeile (für --repos).",
            metavar="DATEI",
        ),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option("--year", help="Kalenderjahr, z. B. 2013.", metavar="JAHR"),
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="Beginn.", metavar="DATUM")] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Ende (einschließlich).", metavar="DATUM"),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Zieldatei.", metavar="DATEI")
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Zusätzlich als PDF (LibreOffice).")] = False,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="docx (Standard), md oder json.", metavar="FORMAT"),
    ] = None,
) -> None:
    """Evaluationsbericht einer Vereinbarung für ein Jahr oder einen Zeitraum.

    Je Partner erfüllte, teilweise erfüllte, versäumte und offene Pflichten (Tabelle und
    Grafik), Sitzungen und Teilnahme, Beschlüsse, Aufgaben mit Alter, Änderungen und
    Freigaben. Ohne --year/--from das Vorjahr. Vorlage: templates/report.docx.

    Mit --repos (Ordner als Argumente oder --manifest) ein Überblick über viele Repositories,
    z. B. aller Kreise eines Landes: je Vereinbarung Stand, Pflichten nach Ergebnis, Sitzungen
    und offene Aufgaben im Zeitraum; jedes Repository wird für sich gelesen.

    Beispiel: coop report myk-caritas-ko --year 2013 -o evaluation-2013.docx --pdf
    """
    state = get_state(ctx)
    if repos or manifest is not None:
        _report_many(state, targets or [], manifest, check_year(year, "--year"), start, end)
        return
    from coopkit.services.report import make_report

    if not targets or len(targets) != 1:
        raise UsageError(
            T(
                "genau eine Vereinbarung angeben (viele Repositories: --repos ORDNER…)",
                "name exactly one agreement (many repositories: --repos FOLDER…)",
            )
        )
    agreement = targets[0]
    service_ctx = state.context()
    chosen = fmt or (
        "json"
        if state.json
        else "md"
        if output is not None and output.suffix.lower() == ".md"
        else "docx"
    )
    result = make_report(
        service_ctx,
        agreement,
        year=check_year(year, "--year"),
        start=get_state(ctx).day(start, "--from", DayKind.ANY),
        end=get_state(ctx).day(end, "--to", DayKind.ANY),
        fmt=chosen,
        output=output,
        pdf=pdf,
    )
    if chosen == "json":
        print_json({"ok": True, **result.report.as_json()})
        return
    if result.text is not None:
        typer.echo(clean(result.text), nl=False)
        return
    if state.json:
        print_json({"ok": True, "path": result.path, "pdf": result.pdf})
        return
    say(T("Bericht geschrieben: {p}", "report written: {p}", p=str(result.path)), service_ctx.lang)
    if result.pdf is not None:
        say(T("PDF geschrieben: {p}", "PDF written: {p}", p=str(result.pdf)), service_ctx.lang)


def _report_many(
    state: CliState,
    folders: list[str],
    manifest: Path | None,
    year: int | None,
    start: str | None,
    end: str | None,
) -> None:
    from dataclasses import asdict

    from coopkit.cli.progress import Progress
    from coopkit.services.report_many import read_manifest, report_many

    service_ctx = state.context(discover=False)
    lang = service_ctx.lang
    roots = [Path(f) for f in folders] + (read_manifest(manifest) if manifest else [])
    label = T("Repositories lesen", "reading repositories")
    with Progress(label, lang, quiet=state.json) as progress:
        result = report_many(
            service_ctx,
            roots,
            year=year,
            start=state.day(start, "--from", DayKind.ANY),
            end=state.day(end, "--to", DayKind.ANY),
            progress=progress,
        )
    if state.json:
        print_json({"ok": True, **asdict(result)})
        return
    say(T("Überblick {a} – {b}", "Overview {a} – {b}", a=result.start, b=result.end).format(lang))
    headers = [
        gettext("Repository", lang),
        gettext("Vereinbarung", lang),
        pgettext("column", "Stand", lang),
        gettext("erfüllt", lang),
        gettext("teilw.", lang),
        gettext("versäumt", lang),
        gettext("offen", lang),
        pgettext("column", "Sitzungen", lang),
        pgettext("column", "Aufgaben offen", lang),
        gettext("überfällig", lang),
    ]
    rows: list[list[object]] = []
    for repo in result.repositories:
        if repo.error is not None:
            rows.append([repo.name, "—", repo.error, "", "", "", "", "", "", ""])
            continue
        for line in repo.agreements:
            rows.append(
                [
                    repo.name,
                    line.agreement,
                    line.state,
                    line.fulfilled,
                    line.partly,
                    line.missed,
                    line.open,
                    line.meetings,
                    line.actions_open,
                    line.actions_overdue,
                ]
            )
    say("")
    say(table(headers, rows))


@command
def render_all_cmd(
    ctx: typer.Context,
    all_documents: Annotated[
        bool,
        typer.Option("--all", help="Alle Vereinbarungen und Niederschriften (Pflicht)."),
    ] = False,
    year: Annotated[
        int | None,
        typer.Option("--year", metavar="JAHR", help="Nur die Niederschriften dieses Jahres."),
    ] = None,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", metavar="ORDNER|DATEI.zip", help="Zielordner oder ZIP."),
    ] = Path("dokumente"),
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Zu jedem Dokument ein PDF/A-2b (ein LibreOffice-Lauf).")
    ] = False,
) -> None:
    """Alle Vereinbarungen und Niederschriften in einem Lauf als Word-Dokumente ausgeben.

    Schreibt Vereinbarung_<ID>.docx je Vereinbarung (Arbeitstext; mit Freigaben, wenn er
    einer Fassung gleicht) und Niederschrift_<SITZUNG>.docx je Sitzung (mit --year nur die
    dieses Jahres) nach -o (Standard: dokumente/); mit --pdf alle PDFs aus einem
    LibreOffice-Aufruf.

    Beispiel: coop render --all --year 2014 -o dokumente-2014 --pdf
    """
    from coopkit.cli.progress import READING, Progress
    from coopkit.errors import UsageError
    from coopkit.services.pack import render_all

    state = get_state(ctx)
    service_ctx = state.context()
    if not all_documents:
        raise UsageError(
            T(
                "bitte --all angeben (einzelne Dokumente: coop agreement render, "
                "coop meeting render)",
                "pass --all (single documents: coop agreement render, coop meeting render)",
            )
        )
    with Progress(READING, service_ctx.lang, quiet=state.json) as progress:
        result = render_all(
            service_ctx,
            output,
            year=check_year(year, "--year"),
            pdf=pdf,
            progress=progress,
            step=progress.step,
        )
    if state.json:
        print_json({"ok": True, "path": str(result.target), "files": result.files})
        return
    say(
        T(
            "{n} Dateien geschrieben: {p}",
            "{n} files written: {p}",
            n=len(result.files),
            p=str(result.target),
        ),
        service_ctx.lang,
    )


@app.callback()
def group() -> None:
    """Nachverfolgung: Fälligkeiten, Kalender, Checklisten, Berichte, alle Dokumente."""


app.command("due")(due_cmd)
app.command("calendar")(calendar_cmd)
app.command("checklist")(checklist_cmd)
app.command("report")(report_cmd)
app.command("render")(render_all_cmd)
