"""`coop agreement render` and `coop agreement diff`: documents of an agreement."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from coopkit.cli.boundary import command
from coopkit.cli.output import print_json, say
from coopkit.cli.state import check_year, get_state
from coopkit.errors import T

if TYPE_CHECKING:
    from coopkit.model.compare import AgreementDiff
    from coopkit.services.diff import DiffResult


@command
def render_cmd(
    ctx: typer.Context,
    agreement_id: Annotated[str, typer.Argument(metavar="ID", help="Die Vereinbarung.")],
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            metavar="vN",
            help="Eine freigegebene Fassung statt des aktuellen Arbeitstexts.",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="DATEI",
            help="Zieldatei (Standard: ID[-vN].docx im aktuellen Verzeichnis).",
        ),
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Zusätzlich als PDF ausgeben (braucht LibreOffice).")
    ] = False,
) -> None:
    """Vereinbarung als Word-Dokument ausgeben (Vorlage templates/agreement.docx).

    Enthält Parteien mit Vertretung, Präambel, Paragraphen, die Pflichten als Tabelle und
    je Partner den Freigabeblock („freigegeben am … von …“ oder „ausstehend“).

    Beispiel: coop agreement render myk-caritas-ko --version v1 --pdf
    """
    from coopkit.services.documents import render_agreement

    state = get_state(ctx)
    service_ctx = state.context()
    written = render_agreement(service_ctx, agreement_id, version, output, pdf)
    if state.json:
        print_json({"ok": True, "path": written})
    else:
        say(T("geschrieben: {p}", "written: {p}", p=str(written)), service_ctx.lang)


def _change_text(kind: str, lang: str) -> str:
    words = {
        "added": ("neu", "added"),
        "removed": ("entfällt", "removed"),
        "changed": ("geändert", "changed"),
    }[kind]
    return words[0] if lang == "de" else words[1]


_FIELD_LABELS = {
    "title": ("Titel", "title"),
    "parties": ("Parteien", "parties"),
    "coordinator": ("Koordination", "coordinator"),
    "valid_from": ("gültig ab", "valid from"),
    "valid_until": ("gültig bis", "valid until"),
    "review_cycle": ("Überprüfung", "review cycle"),
    "notice_period": ("Kündigungsfrist", "notice period"),
    "on_notice": ("Wirkung einer Kündigung", "effect of a notice"),
    "status": ("Status", "status"),
    "clause": ("Paragraph", "clause"),
    "by": ("Wer", "by"),
    "to": ("an wen", "to"),
    "what": ("Was", "what"),
    "recurrence": ("wie oft", "recurrence"),
    "first_due": ("erste Fälligkeit", "first due"),
    "condition": ("Bedingung", "condition"),
    "how": ("Weg", "how"),
}


def _field_label(field: str, lang: str) -> str:
    de, en = _FIELD_LABELS.get(field, (field, field))
    return de if lang == "de" else en


def _print_diff(result: DiffResult, lang: str) -> None:
    diff: AgreementDiff = result.diff
    de = lang == "de"
    say(f"--- {result.from_label}")
    say(f"+++ {result.to_label}")
    if diff.empty:
        say(T("keine Unterschiede", "no differences"), lang)
        return
    for change in diff.metadata:
        say(f"{_field_label(change.field, lang)}: {change.old or '—'} → {change.new or '—'}")
    if diff.preamble:
        say("")
        say("## Präambel" if de else "## Preamble")
        for line in diff.preamble:
            say(line)
    for clause in diff.clauses:
        say("")
        heading = clause.heading
        if clause.kind == "changed" and (clause.old_number, clause.old_title) != (
            clause.new_number,
            clause.new_title,
        ):
            heading = f"§ {clause.old_number} {clause.old_title} → {clause.heading}"
        say(f"## {heading} ({_change_text(clause.kind, lang)})")
        for line in clause.lines:
            say(line)
    if diff.obligations:
        say("")
        say("Pflichten" if de else "Obligations")
        for obligation in diff.obligations:
            sign = {"added": "+", "removed": "-", "changed": "~"}[obligation.kind]
            say(
                f"{sign} {obligation.id} ({_change_text(obligation.kind, lang)}): {obligation.what}"
            )
            for field in obligation.changes:
                label = _field_label(field.field, lang)
                say(f"    {label}: {field.old or '—'} → {field.new or '—'}")


def _diff_json(result: DiffResult, docx: Path | None) -> dict[str, Any]:
    diff = result.diff
    return {
        "agreement": result.agreement_id,
        "from": {"label": result.from_label, "commit": result.from_commit},
        "to": {"label": result.to_label, "commit": result.to_commit},
        "metadata": diff.metadata,
        "preamble": diff.preamble,
        "clauses": [
            {
                "kind": c.kind,
                "old_number": c.old_number,
                "new_number": c.new_number,
                "old_title": c.old_title,
                "new_title": c.new_title,
                "lines": c.lines,
            }
            for c in diff.clauses
        ],
        "obligations": diff.obligations,
        "docx": docx,
    }


@command
def diff_cmd(
    ctx: typer.Context,
    agreement_id: Annotated[str, typer.Argument(metavar="ID", help="Die Vereinbarung.")],
    from_rev: Annotated[
        str | None,
        typer.Argument(
            metavar="[VON]", help="Fassung (v1), Commit oder WORKTREE; Standard: letzte Fassung."
        ),
    ] = None,
    to_rev: Annotated[
        str | None,
        typer.Argument(
            metavar="[BIS]", help="Fassung, Commit oder WORKTREE; Standard: aktueller Arbeitstext."
        ),
    ] = None,
    docx: Annotated[
        Path | None,
        typer.Option(
            "--docx",
            metavar="DATEI",
            help="Word-Dokument mit Änderungsverfolgung (BIS gegen VON) schreiben.",
        ),
    ] = None,
) -> None:
    """Zwei Stände einer Vereinbarung vergleichen: Text je Paragraph und Pflichten.

    VON und BIS sind eine Fassung (v1), ein Commit oder WORKTREE (der aktuelle Arbeitstext).
    Ohne Angabe: letzte freigegebene Fassung gegen den Arbeitstext. Mit --docx entsteht ein
    Word-Dokument mit echten Änderungen (annehmen/ablehnen), je Änderung mit Autor und Datum.

    Beispiel: coop agreement diff myk-caritas-ko v1 v2 --docx aenderungen.docx
    """
    from coopkit.services.diff import diff_agreement, write_redline

    state = get_state(ctx)
    service_ctx = state.context()
    lang = service_ctx.lang
    result = diff_agreement(service_ctx, agreement_id, from_rev, to_rev)
    written = write_redline(service_ctx, result, docx) if docx is not None else None
    if state.json:
        print_json(_diff_json(result, written))
        return
    _print_diff(result, lang)
    if written is not None:
        say("")
        say(
            T(
                "Word-Dokument mit Änderungen: {p}",
                "Word document with tracked changes: {p}",
                p=str(written),
            ),
            lang,
        )


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


def register_root(app: typer.Typer) -> None:
    """Add `coop render` to the root app."""
    app.command("render")(render_all_cmd)


def register(app: typer.Typer) -> None:
    """Add the document commands to the `coop agreement` group."""
    app.command("render")(render_cmd)
    app.command("diff")(diff_cmd)
