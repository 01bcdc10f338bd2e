"""`coop archive` commands: offer records to the public archive, record its answer, hand over."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from coopkit.cli.boundary import command
from coopkit.cli.output import print_json, print_problems, say, table
from coopkit.cli.state import get_state, parse_day
from coopkit.errors import ExitCode, T
from coopkit.i18n import pgettext

if TYPE_CHECKING:
    from coopkit.model.archive import Offer

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False)

PREPARING = T("Anbietung vorbereiten", "preparing the offer")

Output = Annotated[
    Path,
    typer.Option(
        "-o",
        "--output",
        metavar="ORDNER|DATEI.zip",
        help="Wohin das Paket geht: ein neuer Ordner oder eine .zip-Datei.",
    ),
]


@app.callback()
def group() -> None:
    """Archiv: Unterlagen dem öffentlichen Archiv anbieten, Antwort eintragen, abgeben."""


def _offer_json(offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "process_id": offer.process_id,
        "date": offer.date,
        "before": offer.before,
        "archive": offer.archive,
        "items": [
            {
                "item": i.item,
                "kind": i.kind,
                "title": i.title,
                "uuid": i.uuid,
                "commit": i.commit,
                "sha256": i.sha256,
                "paths": i.paths,
            }
            for i in offer.items
        ],
    }


@command
def offer_cmd(
    ctx: typer.Context,
    output: Output,
    before: Annotated[
        str | None,
        typer.Option(
            "--before",
            metavar="DATUM",
            help="Nur, was vor diesem Tag endete oder stattfand (Standard: heute).",
        ),
    ] = None,
) -> None:
    """Beendete Vereinbarungen und genehmigte Niederschriften dem Archiv anbieten.

    Angeboten wird jede Vereinbarung, die beendet oder gekündigt ist (mit allen Fassungen, ihren
    Freigaben und deren Prüfung, den Evaluationsberichten), und jede genehmigte Niederschrift,
    jeweils vor DATUM und noch nicht angeboten. Das Paket enthält das Anbieteverzeichnis
    (xdomea 0501), die Unterlagen als PDF/A und SHA256SUMS; die Anbietung wird als
    archive/ANGEBOT/offer.yaml eingetragen (ein Commit). Braucht LibreOffice.

    Beispiel: coop archive offer --before 2026-01-01 -o anbietung-2026.zip
    """
    from coopkit.cli.progress import Progress
    from coopkit.services.archive import offer

    state = get_state(ctx)
    service_ctx = state.context()
    day = parse_day(before, "--before")
    with Progress(PREPARING, service_ctx.lang, quiet=state.json) as progress:
        result = offer(service_ctx, output, day, step=progress.step)
    if state.json:
        print_json(
            {
                "ok": True,
                "offer": _offer_json(result.offer),
                "path": str(result.target),
                "files": result.files,
                "commit": result.commit.commit,
            }
        )
        return
    say(
        T(
            "Anbietung {o}: {n} Objekte an {a}; Paket: {p}",
            "offer {o}: {n} items to {a}; package: {p}",
            o=result.offer.id,
            n=len(result.offer.items),
            a=result.offer.archive,
            p=str(result.target),
        ),
        service_ctx.lang,
    )
    for item in result.offer.items:
        say(f"  {item.item}  {item.title}")


@command
def answer_cmd(
    ctx: typer.Context,
    offer_id: Annotated[str, typer.Argument(metavar="ANGEBOT", help="Die Anbietung (ihre ID).")],
    date_text: Annotated[
        str,
        typer.Option("--date", metavar="DATUM", help="Datum der Antwort des Archivs."),
    ],
    reference: Annotated[
        str,
        typer.Option("--reference", metavar="AZ", help="Aktenzeichen oder Schreiben des Archivs."),
    ],
    taken: Annotated[
        list[str] | None,
        typer.Option(
            "--taken",
            metavar="OBJEKT",
            help="Vom Archiv übernommen (agreements/ID, minutes/ID, ID oder UUID); mehrfach.",
        ),
    ] = None,
    declined: Annotated[
        list[str] | None,
        typer.Option(
            "--declined",
            metavar="OBJEKT",
            help="Vom Archiv abgelehnt (darf gelöscht werden); mehrfach.",
        ),
    ] = None,
    appraisal: Annotated[
        Path | None,
        typer.Option(
            "--file",
            metavar="BEWERTUNG.xml",
            help="Das Bewertungsverzeichnis des Archivs (xdomea 0502): A übernommen, V abgelehnt.",
        ),
    ] = None,
) -> None:
    """Die Antwort des Archivs eintragen: je Objekt übernommen oder abgelehnt.

    Die Antwort wird als archive/ANGEBOT/answer-N.yaml eingetragen (ein Commit). Abgelehnte
    Objekte dürfen danach gelöscht werden, übernommene erst nach der Abgabe
    (coop archive handover).

    Beispiel: coop archive answer 2026-01-15-1 --taken agreements/myk-caritas-ko
    --declined minutes/2013-05-14-arbeitstreffen --date 2026-03-02 --reference "LHA 512/2026"
    """
    from coopkit.services.archive import record_answer

    state = get_state(ctx)
    service_ctx = state.context()
    day = parse_day(date_text, "--date")
    assert day is not None
    result = record_answer(
        service_ctx,
        offer_id,
        taken=taken or [],
        declined=declined or [],
        appraisal=appraisal,
        day=day,
        reference=reference,
    )
    if state.json:
        print_json(
            {
                "ok": True,
                "offer": offer_id,
                "items": [{"item": i.item, "decision": i.decision} for i in result.answer.items],
                "path": result.commit.paths[0],
                "commit": result.commit.commit,
            }
        )
        return
    words = {"taken": T("übernommen", "taken"), "declined": T("abgelehnt", "declined")}
    for item in result.answer.items:
        say(f"{item.item}: {words[item.decision].format(service_ctx.lang)}")
    say(T("eingetragen: {p}", "recorded: {p}", p=result.commit.paths[0]), service_ctx.lang)


@command
def handover_cmd(
    ctx: typer.Context,
    offer_id: Annotated[str, typer.Argument(metavar="ANGEBOT", help="Die Anbietung (ihre ID).")],
    output: Output,
) -> None:
    """Die vom Archiv übernommenen Objekte abgeben (xdomea 0503 mit PDF/A und Prüfsummen).

    Abgegeben wird nur, was seit der Anbietung unverändert ist; die Abgabe wird als
    archive/ANGEBOT/handover.yaml eingetragen (ein Commit). Braucht LibreOffice.

    Beispiel: coop archive handover 2026-01-15-1 -o abgabe-2026.zip
    """
    from coopkit.cli.progress import Progress
    from coopkit.services.archive import handover

    state = get_state(ctx)
    service_ctx = state.context()
    with Progress(PREPARING, service_ctx.lang, quiet=state.json) as progress:
        result = handover(service_ctx, offer_id, output, step=progress.step)
    if state.json:
        print_json(
            {
                "ok": True,
                "offer": offer_id,
                "items": [i.item for i in result.handover.items],
                "path": str(result.target),
                "files": result.files,
                "commit": result.commit.commit,
            }
        )
        return
    say(
        T(
            "abgegeben: {n} Objekte aus {o}; Paket: {p}",
            "handed over: {n} items of {o}; package: {p}",
            n=len(result.handover.items),
            o=offer_id,
            p=str(result.target),
        ),
        service_ctx.lang,
    )


@command
def list_cmd(ctx: typer.Context) -> None:
    """Anbietungen an das Archiv zeigen, je Objekt mit Stand (angeboten, übernommen, …).

    Fehlerhafte oder widersprüchliche Archiv-Datensätze (etwa eine Antwort zu einem nie
    angebotenen Objekt oder mit falscher Prüfsumme) werden mit PFAD:ZEILE:SPALTE gemeldet,
    Exit-Code 1; sie zählen nicht als Antwort.

    Beispiel: coop archive list
    """
    from coopkit.queries.archive import item_states, load_archive

    state = get_state(ctx)
    service_ctx = state.context()
    lang = service_ctx.lang
    records = load_archive(service_ctx.root)
    states = item_states(records)
    if state.json:
        from coopkit.cli.output import problem_dict

        print_json(
            {
                "ok": not records.problems,
                "exit_code": int(ExitCode.PROBLEMS if records.problems else ExitCode.OK),
                "offers": [
                    {
                        **_offer_json(located.value),
                        "items": [
                            {
                                **item,
                                "state": _state_key(states[offer_id][item["item"]]),
                                "answered_on": states[offer_id][item["item"]].answered_on,
                                "reference": states[offer_id][item["item"]].reference,
                                "handed_over": states[offer_id][item["item"]].handed_over,
                            }
                            for item in _offer_json(located.value)["items"]
                        ],
                    }
                    for offer_id, located in sorted(records.offers.items())
                ],
                "problems": [problem_dict(p, lang) for p in records.problems],
            }
        )
    else:
        rows = []
        for offer_id, per_item in sorted(states.items()):
            for key, item_state in per_item.items():
                rows.append(
                    [
                        offer_id,
                        key,
                        item_state.label.format(lang),
                        item_state.answered_on.isoformat() if item_state.answered_on else "",
                        item_state.reference or "",
                    ]
                )
        if rows:
            headers = [
                pgettext("column", "Anbietung", lang),
                pgettext("column", "Objekt", lang),
                pgettext("column", "Stand", lang),
                pgettext("column", "Antwort vom", lang),
                pgettext("column", "Aktenzeichen", lang),
            ]
            say(table(headers, rows))
        elif not records.problems:
            say(T("noch nichts angeboten", "nothing offered yet"), lang)
        if records.problems:
            print_problems(records.problems, lang)
    if records.problems:
        raise typer.Exit(int(ExitCode.PROBLEMS))


def _state_key(item_state: Any) -> str:
    if item_state.handed_over is not None:
        return "handed_over"
    return str(item_state.decision or "offered")


app.command("offer")(offer_cmd)
app.command("answer")(answer_cmd)
app.command("handover")(handover_cmd)
app.command("list")(list_cmd)
