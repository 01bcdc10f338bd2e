"""`coop meeting`: invitation, attendance, notes, decisions, minutes, and their corrections."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from coopkit.cli.boundary import command
from coopkit.cli.correcting import AfterSending, CommitDateOption, MessageOption, done
from coopkit.cli.labels import status_text
from coopkit.cli.mailing import smtp_access
from coopkit.cli.output import clean, print_json, say, table
from coopkit.cli.state import DayKind, get_state, parse_time
from coopkit.errors import T, UsageError
from coopkit.i18n import N_, _, gettext, pgettext

if TYPE_CHECKING:
    from coopkit.services.meetings import MeetingResult

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False)

MeetingId = Annotated[
    str, typer.Argument(help="Sitzungs-ID, z. B. 2014-02-05-evaluation.", metavar="SITZUNG")
]
TopOption = Annotated[int, typer.Option("--top", help="Nummer des TOP (ab 1).", min=1)]
TextArg = Annotated[str, typer.Argument(help="Text.", metavar="TEXT")]
DateOption = Annotated[
    str | None,
    typer.Option("--date", help="Datum (auch Datum des Commits).", metavar="DATUM"),
]


_TOP_MARKS = {"open": N_("nicht abgeschlossen"), "deferred": N_("vertagt")}
"""How `meeting show` marks a TOP that carries into the next meeting."""


@app.callback()
def group() -> None:
    """Sitzungen: einladen, Anwesenheit, Beschlüsse, Aufgaben, Niederschrift, Genehmigung."""


def _written(ctx: typer.Context, result: MeetingResult, message: T) -> None:
    state = get_state(ctx)
    if state.json:
        print_json(
            {
                "ok": True,
                "id": result.minutes.id,
                "path": result.path,
                "commit": result.commit.commit,
                **result.extra,
            }
        )
        return
    say(message, state.context().lang)


@command
def new_cmd(
    ctx: typer.Context,
    agreement: Annotated[
        list[str],
        typer.Option("--agreement", help="Vereinbarung (mehrfach möglich).", metavar="ID"),
    ],
    day: Annotated[str, typer.Option("--date", help="Sitzungsdatum.", metavar="DATUM")],
    time: Annotated[
        str | None,
        typer.Option("--time", help="Beginn, z. B. 14:00 oder 14 Uhr.", metavar="UHRZEIT"),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Ende, z. B. 16:30.", metavar="UHRZEIT")
    ] = None,
    place: Annotated[str | None, typer.Option("--place", help="Ort.", metavar="ORT")] = None,
    title: Annotated[
        str | None,
        typer.Option("--title", help="Titel (Standard: Arbeitstreffen).", metavar="TITEL"),
    ] = None,
    chair: Annotated[
        str | None,
        typer.Option("--chair", help="Sitzungsleitung PARTNER/PERSON.", metavar="PARTNER/PERSON"),
    ] = None,
    minute_taker: Annotated[
        str | None,
        typer.Option("--minute-taker", help="Protokoll PARTNER/PERSON.", metavar="PARTNER/PERSON"),
    ] = None,
    agenda: Annotated[
        list[str] | None,
        typer.Option("--agenda", help="Weiterer TOP (mehrfach möglich).", metavar="TOP"),
    ] = None,
) -> None:
    """Neue Sitzung als Entwurf anlegen, mit vorbereiteter Tagesordnung.

    Die Tagesordnung enthält die Genehmigung der letzten Niederschrift, offene Aufgaben,
    fällige Pflichten und Änderungen der Vereinbarungen, dann die --agenda-Punkte und
    „Verschiedenes“.

    Beispiel: coop meeting new --agreement myk-awo --date 2014-05-14 --agenda "Fortbildungstag"
    """
    from coopkit.services.meetings import new_meeting

    meeting_day = get_state(ctx).day(day, "--date", DayKind.PLANNED)
    assert meeting_day is not None
    start, until = parse_time(time, "--time"), parse_time(end, "--end")
    service_ctx = get_state(ctx).context()
    result = new_meeting(
        service_ctx,
        agreement,
        meeting_day,
        time=start,
        end=until,
        place=place,
        title=title,
        chair=chair,
        minute_taker=minute_taker,
        agenda=agenda or (),
    )
    _written(
        ctx,
        result,
        T(
            "Sitzung angelegt: {p} ({n} TOPs)",
            "meeting created: {p} ({n} TOPs)",
            p=result.path,
            n=len(result.minutes.tops),
        ),
    )


@command
def attend_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    persons: Annotated[
        list[str], typer.Argument(help="PARTNER/PERSON, bei --guest der Name.", metavar="PERSON...")
    ],
    excused: Annotated[bool, typer.Option("--excused", help="Als entschuldigt eintragen.")] = False,
    guest: Annotated[bool, typer.Option("--guest", help="Als Gast eintragen (mit --org).")] = False,
    org: Annotated[
        str | None, typer.Option("--org", help="Organisation des Gastes.", metavar="NAME")
    ] = None,
    function: Annotated[str | None, typer.Option("--function", help="Funktion des Gastes.")] = None,
    after_sending: AfterSending = False,
) -> None:
    """Anwesenheit erfassen: anwesend (Standard), entschuldigt oder Gast.

    Beispiel: coop meeting attend 2014-02-05-evaluation kv-myk/bernert jobcenter-myk/kessler
    """
    from coopkit.services.meetings import attend

    result = attend(
        get_state(ctx).context(),
        meeting_id,
        persons,
        excused=excused,
        guest=guest,
        org=org,
        function=function,
        after_sending=after_sending,
    )
    _written(
        ctx, result, T("Anwesenheit erfasst in {p}", "attendance recorded in {p}", p=result.path)
    )


@command
def note_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    top: TopOption,
    text: TextArg,
    after_sending: AfterSending = False,
) -> None:
    """Eine Notiz (Absatz) zu einem TOP hinzufügen.

    Beispiel: coop meeting note add 2014-02-05-evaluation --top 2 "Positive Bilanz aller Partner."
    """
    from coopkit.services.meetings import add_note

    result = add_note(get_state(ctx).context(), meeting_id, top, text, after_sending=after_sending)
    _written(ctx, result, T("Notiz zu TOP {t} erfasst", "note added to TOP {t}", t=top))


@command
def decide_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    top: TopOption,
    text: TextArg,
    after_sending: AfterSending = False,
) -> None:
    """Einen Beschluss wörtlich zu einem TOP festhalten.

    Beispiel: coop meeting decide 2014-02-05-evaluation --top 5 "Der Fortbildungstag findet statt."
    """
    from coopkit.services.meetings import decide

    result = decide(get_state(ctx).context(), meeting_id, top, text, after_sending=after_sending)
    _written(ctx, result, T("Beschluss zu TOP {t} erfasst", "decision recorded in TOP {t}", t=top))


@command
def action_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    top: TopOption,
    who: Annotated[
        str,
        typer.Option("--who", help="Wer: PARTNER oder PARTNER/PERSON.", metavar="PARTNER/PERSON"),
    ],
    due: Annotated[str, typer.Option("--due", help="Bis wann.", metavar="DATUM")],
    text: TextArg,
    after_sending: AfterSending = False,
) -> None:
    """Eine Aufgabe (Wer / Was / Bis wann) zu einem TOP festhalten.

    Beispiel: coop meeting action 2014-02-05-evaluation --top 4 --who jobcenter-myk/yilmaz
    --due 2014-03-31 "Fördermöglichkeiten beschreiben"
    """
    from coopkit.services.meetings import add_action

    due_day = get_state(ctx).day(due, "--due", DayKind.PLANNED)
    assert due_day is not None
    result = add_action(
        get_state(ctx).context(),
        meeting_id,
        top,
        who,
        due_day,
        text,
        after_sending=after_sending,
    )
    _written(ctx, result, T("Aufgabe {a} erfasst", "action {a} recorded", a=result.extra["action"]))


@command
def top_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    title: Annotated[str, typer.Argument(help="Titel des TOP.", metavar="TITEL")],
    after_sending: AfterSending = False,
) -> None:
    """Einen TOP zur Tagesordnung hinzufügen (vor „Verschiedenes“).

    Beispiel: coop meeting top 2014-05-14-arbeitstreffen "Gemeinsamer Fortbildungstag"
    """
    from coopkit.services.meetings import add_top

    result = add_top(get_state(ctx).context(), meeting_id, title, after_sending=after_sending)
    _written(ctx, result, T("TOP {n} hinzugefügt", "TOP {n} added", n=result.extra["top"]))


@command
def mark_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    top: TopOption,
    still_open: Annotated[
        bool,
        typer.Option("--open", help="Nicht abgeschlossen: kommt in die nächste Tagesordnung."),
    ] = False,
    deferred: Annotated[
        bool,
        typer.Option("--deferred", help="Vertagt: kommt in die nächste Tagesordnung."),
    ] = False,
    finished: Annotated[
        bool, typer.Option("--done", help="Abgeschlossen (nimmt --open/--deferred zurück).")
    ] = False,
    recurring: Annotated[
        bool | None,
        typer.Option(
            "--recurring/--not-recurring",
            help="Ständiger TOP: steht auf jeder folgenden Tagesordnung (oder nicht mehr).",
            show_default=False,
        ),
    ] = None,
    after_sending: AfterSending = False,
) -> None:
    """Einen TOP als offen, vertagt, abgeschlossen oder ständig markieren (Wiedervorlage).

    Offene, vertagte und ständige TOPs übernimmt „coop meeting new“ in die nächste Sitzung,
    jeweils mit Verweis auf die Sitzung, aus der sie stammen.

    Beispiel: coop meeting mark 2014-02-05-evaluation --top 3 --open
    """
    from coopkit.model.minutes import TopStatus
    from coopkit.services.meetings import mark_top

    flags: tuple[tuple[TopStatus, bool], ...] = (
        ("open", still_open),
        ("deferred", deferred),
        ("done", finished),
    )
    chosen = [status for status, flag in flags if flag]
    if len(chosen) > 1:
        raise UsageError(
            T(
                "nur eine von --open, --deferred, --done angeben",
                "give only one of --open, --deferred, --done",
            )
        )
    result = mark_top(
        get_state(ctx).context(),
        meeting_id,
        top,
        chosen[0] if chosen else None,
        recurring,
        after_sending=after_sending,
    )
    _written(ctx, result, T("TOP {t} markiert", "TOP {t} marked", t=top))


@command
def times_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    start: Annotated[
        str | None,
        typer.Option("--start", help="Beginn, z. B. 14:00 oder 14 Uhr.", metavar="UHRZEIT"),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Ende, z. B. 16:30.", metavar="UHRZEIT")
    ] = None,
    after_sending: AfterSending = False,
) -> None:
    """Tatsächlichen Beginn und tatsächliches Ende der Sitzung eintragen.

    Beispiel: coop meeting times 2014-02-05-evaluation --start 14:00 --end 16:30
    """
    from coopkit.services.meetings import set_times

    begin, finish = parse_time(start, "--start"), parse_time(end, "--end")
    result = set_times(
        get_state(ctx).context(), meeting_id, begin, finish, after_sending=after_sending
    )
    _written(ctx, result, T("Zeiten eingetragen in {p}", "times set in {p}", p=result.path))


@command
def send_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    day: DateOption = None,
    mail: Annotated[
        bool,
        typer.Option(
            "--mail", help="Per E-Mail an den Verteiler senden (PDF/A und Word); Vermerk im Commit."
        ),
    ] = False,
) -> None:
    """Niederschrift als versandt markieren (Entwurf -> versandt), mit --mail auch per E-Mail.

    Mit --mail geht die Niederschrift an die eingeladenen Partner wie bei „meeting invite“;
    Markierung und Vermerk (minutes/SITZUNG/sent/) sind ein Commit, und lehnt der Server ab,
    bleibt alles unverändert (Exit-Code 1).

    Beispiel: coop meeting send 2014-02-05-evaluation --date 2014-02-12
    """
    sent = get_state(ctx).day(day, "--date", DayKind.RECORDED)
    if mail:
        _send_minutes_by_mail(ctx, meeting_id, sent)
        return
    from coopkit.services.meetings import send

    result = send(get_state(ctx).context(), meeting_id, sent, when=sent)
    _written(
        ctx,
        result,
        T(
            "Niederschrift {m} als versandt markiert",
            "minutes {m} marked as sent",
            m=result.minutes.id,
        ),
    )


def _send_minutes_by_mail(ctx: typer.Context, meeting_id: str, sent: Any) -> None:
    from datetime import UTC, datetime

    from coopkit.services.mail import send_minutes

    state = get_state(ctx)
    outreach = send_minutes(state.context(), meeting_id, smtp_access(), datetime.now(UTC), sent)
    _report_outreach(ctx, outreach, dry_run=False)


@command
def approve_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    later: Annotated[
        str, typer.Option("--in", help="Die spätere Sitzung, die genehmigt.", metavar="SITZUNG")
    ],
    day: DateOption = None,
) -> None:
    """Niederschrift in einer späteren Sitzung genehmigen; danach ist sie eingefroren.

    Der Beschluss wird in der späteren Sitzung festgehalten.

    Beispiel: coop meeting approve 2013-06-12-arbeitstreffen --in 2014-02-05-evaluation
    """
    from coopkit.services.meetings import approve

    result = approve(
        get_state(ctx).context(),
        meeting_id,
        later,
        when=get_state(ctx).day(day, "--date", DayKind.RECORDED),
    )
    _written(
        ctx,
        result,
        T(
            "Niederschrift {m} genehmigt in {l} (TOP {t})",
            "minutes {m} approved in {l} (TOP {t})",
            m=result.minutes.id,
            l=result.extra["later"],
            t=result.extra["top"],
        ),
    )


@command
def list_cmd(
    ctx: typer.Context,
    agreement: Annotated[
        str | None,
        typer.Option("--agreement", help="Nur Sitzungen zu dieser Vereinbarung.", metavar="ID"),
    ] = None,
) -> None:
    """Sitzungen auflisten, neueste zuerst, mit Stand und offenen Aufgaben.

    Beispiel: coop meeting list
    """
    from coopkit.queries.load import snapshot
    from coopkit.queries.meetings import list_meetings

    state = get_state(ctx)
    service_ctx = state.context()
    rows = list_meetings(snapshot(service_ctx), agreement)
    if state.json:
        print_json({"ok": True, "meetings": rows})
        return
    say(
        table(
            [
                "ID",
                pgettext("column", "Datum", service_ctx.lang),
                pgettext("column", "Stand", service_ctx.lang),
                gettext("Aufgaben offen", service_ctx.lang),
                pgettext("column", "Titel", service_ctx.lang),
            ],
            [
                [
                    r.id,
                    r.date.isoformat(),
                    status_text(r.status, service_ctx.lang),
                    f"{r.open_actions}/{r.actions}",
                    r.title,
                ]
                for r in rows
            ],
        )
    )


@command
def show_cmd(ctx: typer.Context, meeting_id: MeetingId) -> None:
    """Eine Sitzung anzeigen: Kopf, Anwesenheit, TOPs mit Beschlüssen und Aufgaben.

    Beispiel: coop meeting show 2014-02-05-evaluation
    """
    from coopkit.queries.load import snapshot
    from coopkit.queries.meetings import show_meeting

    state = get_state(ctx)
    service_ctx = state.context()
    view = show_meeting(snapshot(service_ctx), meeting_id)
    m = view.minutes
    if state.json:
        print_json(
            {
                "ok": True,
                "path": view.path,
                "minutes": m,
                "names": view.names,
                "actions": view.actions,
            }
        )
        return
    lang = service_ctx.lang
    say(f"{m.title}")
    say(f"{m.id}  ({view.path})")
    times = "–".join(t for t in (m.start, m.end) if t)
    day = f"{m.date.isoformat()} {times}".rstrip()
    say(_("Datum: {day}", day=day).format(lang))
    if m.place:
        say(_("Ort: {place}", place=m.place).format(lang))
    state_text = status_text(m.status, lang)
    if m.sent:
        state_text += ", " + _("versandt am {day}", day=m.sent.isoformat()).format(lang)
    if m.approved_in:
        state_text += ", " + _("genehmigt in {meeting}", meeting=m.approved_in).format(lang)
    say(_("Stand: {state}", state=state_text).format(lang))
    for label, ref in (
        (gettext("Leitung", lang), m.chair),
        (gettext("Protokoll", lang), m.minute_taker),
    ):
        if ref:
            say(f"{label}: {view.names.get(ref, ref)}")
    for label, refs in (
        (gettext("Anwesend", lang), m.attendance.present),
        (gettext("Entschuldigt", lang), m.attendance.excused),
    ):
        if refs:
            say(f"{label}: " + "; ".join(view.names.get(r, r) for r in refs))
    if m.attendance.guests:
        say(
            (gettext("Gäste", lang))
            + ": "
            + "; ".join(f"{g.name} ({g.org})" if g.org else g.name for g in m.attendance.guests)
        )
    by_key = {a.key: a for a in view.actions}
    for n, top in enumerate(m.tops, start=1):
        say("")
        marks = [gettext(_TOP_MARKS[top.status], lang)] if top.unfinished and top.status else []
        if top.recurring:
            marks.append(gettext("ständiger TOP", lang))
        marked = f"  [{', '.join(marks)}]" if marks else ""
        say(f"{pgettext('agenda item', 'TOP', lang)} {n}: {top.title}{marked}")
        for line in top.notes.rstrip().splitlines():
            say(f"    {line}".rstrip())
        for decision in top.decisions:
            say("  " + _("Beschluss: {text}", text=decision).format(lang))
        for action in top.actions:
            row = by_key.get(m.action_key(action))
            status = status_text(row.status, lang) if row else ""
            action_line = _(
                "Aufgabe {key} [{status}]: {who} – {what} (bis {due})",
                key=m.action_key(action),
                status=status,
                who=view.names.get(action.who, action.who),
                what=action.what,
                due=action.due.isoformat(),
            )
            say("  " + action_line.format(lang))


@command
def render_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    invitation: Annotated[
        bool, typer.Option("--invitation", help="Einladung statt Niederschrift.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Ausgabedatei (Standard: <SITZUNG>.docx).", metavar="DATEI"
        ),
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Zusätzlich als PDF/A-2b (LibreOffice).")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="docx oder md.", metavar="FORMAT")] = "docx",
    reference: Annotated[
        str | None,
        typer.Option(
            "--file-number",
            metavar="AZ",
            help="Aktenzeichen im Brief (sonst letterhead.file_number aus coop.toml).",
        ),
    ] = None,
    reply_by: Annotated[
        str | None,
        typer.Option(
            "--reply-by",
            metavar="DATUM",
            help="Rückmeldung bis (Standard: eine Woche vor der Sitzung).",
        ),
    ] = None,
    one_letter: Annotated[
        bool,
        typer.Option(
            "--one-letter", help="Ein Brief an den Verteiler statt eines Briefs je Organisation."
        ),
    ] = False,
) -> None:
    """Einladung oder Niederschrift als Word-Dokument (oder Markdown, PDF) ausgeben.

    Die Einladung einer abgesagten Sitzung ist ihre Absage (<SITZUNG>-absage.docx). Die
    vorbereiteten TOPs eines Entwurfs (Genehmigung, offene Aufgaben, fällige Pflichten,
    Änderungen) zeigen den Stand des Tages.

    Die Einladung ist ein Brief nach DIN 5008 mit Briefkopf aus coop.toml ([letterhead]),
    einer Seite je eingeladener Organisation (oder --one-letter), Aktenzeichen und
    Rückmeldedatum. Ohne -o wird <SITZUNG>.docx (bzw. <SITZUNG>-einladung.docx) im aktuellen
    Verzeichnis geschrieben; Markdown ohne -o erscheint auf dem Bildschirm.

    Beispiel: coop meeting render 2014-02-05-evaluation -o niederschrift.docx --pdf
    """
    from coopkit.services.meeting_docs import LetterOptions, render_meeting

    state = get_state(ctx)
    service_ctx = state.context()
    if fmt not in ("docx", "md"):
        raise UsageError(
            T(
                "--format: erwartet docx oder md, nicht „{f}“",
                '--format: expected docx or md, not "{f}"',
                f=fmt,
            )
        )
    if pdf and fmt != "docx":
        raise UsageError(T("--pdf geht nur mit --format docx", "--pdf needs --format docx"))
    letter = LetterOptions(
        reference, get_state(ctx).day(reply_by, "--reply-by", DayKind.PLANNED), one_letter
    )
    doc = render_meeting(service_ctx, meeting_id, invitation=invitation, fmt=fmt, letter=letter)
    if fmt == "md" and output is None:
        typer.echo(clean(doc.text), nl=False)
        return
    suffixes = {"invitation": N_("-einladung"), "cancellation": N_("-absage")}
    suffix = gettext(suffixes[doc.kind], service_ctx.lang) if doc.kind in suffixes else ""
    from coopkit.services.outputs import default_output, write_output

    target = output or default_output(service_ctx, f"{doc.meeting_id}{suffix}.{fmt}")
    target = write_output(service_ctx, target, doc.data)
    written = [str(target)]
    if pdf:
        from coopkit.render.pdf import convert

        written.append(str(convert(target, "pdf")))
    if state.json:
        print_json({"ok": True, "files": written})
        return
    for path in written:
        say(T("geschrieben: {p}", "written: {p}", p=path), service_ctx.lang)


app.command("new")(new_cmd)
app.command("attend")(attend_cmd)
app.command("decide")(decide_cmd)
app.command("action")(action_cmd)
app.command("top")(top_cmd)
app.command("times")(times_cmd)
app.command("mark")(mark_cmd)
app.command("send")(send_cmd)
app.command("approve")(approve_cmd)


@command
def pack_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="ORDNER|DATEI.zip",
            help="Zielordner oder ZIP-Datei (Standard: <SITZUNG>-unterlagen/).",
        ),
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Zu jedem Dokument ein PDF/A-2b (ein LibreOffice-Lauf).")
    ] = False,
) -> None:
    """Sitzungsunterlagen in einem Schritt: Einladung, Vereinbarungen, Aufgaben, Checklisten.

    Schreibt 01_Einladung.docx (ein Brief je eingeladener Organisation),
    02_Vereinbarung_<ID>.docx je beratener Vereinbarung, 03_Offene_Aufgaben.docx,
    04_Checkliste_<PARTNER>.docx je Partner und 05_Niederschrift_<DATUM>.docx (die letzte
    Niederschrift zu denselben Vereinbarungen) in einen Ordner oder eine ZIP-Datei; mit --pdf
    zusätzlich alle als PDF/A aus einem einzigen LibreOffice-Aufruf.

    Beispiel: coop meeting pack 2014-05-14-arbeitstreffen -o unterlagen-mai.zip --pdf
    """
    from coopkit.cli.progress import READING, Progress
    from coopkit.services.pack import meeting_pack

    state = get_state(ctx)
    service_ctx = state.context()
    with Progress(READING, service_ctx.lang, quiet=state.json) as progress:
        result = meeting_pack(
            service_ctx, meeting_id, output, pdf=pdf, progress=progress, step=progress.step
        )
    if state.json:
        print_json({"ok": True, "path": str(result.target), "files": result.files})
        return
    for name in result.files:
        say(f"  {name}")
    say(
        T(
            "{n} Dateien geschrieben: {p}",
            "{n} files written: {p}",
            n=len(result.files),
            p=str(result.target),
        ),
        service_ctx.lang,
    )


app.command("render")(render_cmd)
app.command("pack")(pack_cmd)
app.command("list")(list_cmd)
app.command("show")(show_cmd)


# --------------------------------------------------------------------------- corrections


IndexOption = Annotated[
    int, typer.Option("--index", help="Nummer des Beschlusses im TOP (ab 1).", min=1)
]


class DefaultAdd(TyperGroup):
    """A group whose first word may be left out: `note SITZUNG …` means `note add SITZUNG …`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Insert `add` when the first word is no subcommand and no help option."""
        if args and args[0] not in self.list_commands(ctx) and args[0] not in ("-h", "--help"):
            args = ["add", *args]
        return super().parse_args(ctx, args)


note_app = typer.Typer(no_args_is_help=True, cls=DefaultAdd)


decision_app = typer.Typer(no_args_is_help=True)


attendee_app = typer.Typer(no_args_is_help=True)


@note_app.callback()
def note_group() -> None:
    """Notizen zu einem TOP: hinzufügen (Standard, „add“ darf fehlen), ersetzen, entfernen."""


@decision_app.callback()
def decision_group() -> None:
    """Beschlüsse korrigieren: ersetzen oder entfernen (festhalten mit „coop meeting decide“)."""


@attendee_app.callback()
def attendee_group() -> None:
    """Anwesenheit korrigieren (erfassen mit „coop meeting attend“)."""


def _meeting_done(ctx: typer.Context, result: Any, message: T) -> None:
    done(
        ctx,
        message,
        {"id": result.minutes.id, "path": result.path, "commit": result.commit.commit},
    )


@command
def note_set_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    top: TopOption,
    text: Annotated[str, typer.Argument(help="Neuer Text der Notiz.", metavar="TEXT")],
    message: MessageOption = None,
    after_sending: AfterSending = False,
) -> None:
    """Die Notiz eines TOP durch TEXT ersetzen; ein Commit.

    Beispiel: coop meeting note set 2014-05-14-arbeitstreffen --top 2 "Bilanz positiv."
    """
    from coopkit.services.meeting_edits import set_note

    result = set_note(
        get_state(ctx).context(),
        meeting_id,
        top,
        text,
        note=message,
        after_sending=after_sending,
    )
    _meeting_done(ctx, result, T("Notiz zu TOP {t} ersetzt", "note of TOP {t} replaced", t=top))


@command
def note_remove_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    top: TopOption,
    message: MessageOption = None,
    after_sending: AfterSending = False,
) -> None:
    """Die Notiz eines TOP entfernen; ein Commit.

    Beispiel: coop meeting note remove 2014-05-14-arbeitstreffen --top 2
    """
    from coopkit.services.meeting_edits import remove_note

    result = remove_note(
        get_state(ctx).context(), meeting_id, top, note=message, after_sending=after_sending
    )
    _meeting_done(ctx, result, T("Notiz zu TOP {t} entfernt", "note of TOP {t} removed", t=top))


@command
def decision_set_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    top: TopOption,
    index: IndexOption,
    text: Annotated[str, typer.Argument(help="Neuer Wortlaut.", metavar="TEXT")],
    message: MessageOption = None,
    after_sending: AfterSending = False,
) -> None:
    """Den Wortlaut eines Beschlusses ersetzen; ein Commit.

    Beispiel: coop meeting decision set 2014-05-14-arbeitstreffen --top 3 --index 1 "…"
    """
    from coopkit.services.meeting_edits import set_decision

    result = set_decision(
        get_state(ctx).context(),
        meeting_id,
        top,
        index,
        text,
        note=message,
        after_sending=after_sending,
    )
    _meeting_done(
        ctx,
        result,
        T("Beschluss {k} in TOP {t} ersetzt", "decision {k} in TOP {t} replaced", k=index, t=top),
    )


@command
def decision_remove_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    top: TopOption,
    index: IndexOption,
    message: MessageOption = None,
    after_sending: AfterSending = False,
) -> None:
    """Einen Beschluss entfernen; ein Commit.

    Beispiel: coop meeting decision remove 2014-05-14-arbeitstreffen --top 3 --index 1
    """
    from coopkit.services.meeting_edits import remove_decision

    result = remove_decision(
        get_state(ctx).context(),
        meeting_id,
        top,
        index,
        note=message,
        after_sending=after_sending,
    )
    _meeting_done(
        ctx,
        result,
        T("Beschluss {k} in TOP {t} entfernt", "decision {k} in TOP {t} removed", k=index, t=top),
    )


@command
def attendee_remove_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    person: Annotated[
        str, typer.Argument(help="PARTNER/PERSON, bei Gästen der Name.", metavar="PERSON")
    ],
    message: MessageOption = None,
    after_sending: AfterSending = False,
) -> None:
    """Eine Person aus der Anwesenheit (anwesend, entschuldigt oder Gast) entfernen.

    Beispiel: coop meeting attendee remove 2014-05-14-arbeitstreffen kv-myk/bernert
    """
    from coopkit.services.meeting_edits import remove_attendee

    result = remove_attendee(
        get_state(ctx).context(), meeting_id, person, note=message, after_sending=after_sending
    )
    _meeting_done(
        ctx, result, T("{p} aus der Anwesenheit entfernt", "{p} removed from attendance", p=person)
    )


@command
def cancel_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    reason: Annotated[str | None, typer.Option("--reason", help="Grund der Absage.")] = None,
    date: CommitDateOption = None,
    message: MessageOption = None,
) -> None:
    """Eine geplante Sitzung absagen (status: cancelled, mit Grund); ein Commit.

    Eine abgesagte Sitzung erscheint in keiner Tagesordnung und keinen Unterlagen, im Kalender
    als abgesagt (STATUS:CANCELLED, höhere SEQUENCE) und zählt im Bericht nicht als abgehaltene
    Sitzung; „coop meeting render SITZUNG --invitation“ schreibt die Absage.

    Beispiel: coop meeting cancel 2014-05-14-arbeitstreffen --reason "Krankheit der Leitung"
    """
    from coopkit.services.meeting_edits import cancel_meeting

    result = cancel_meeting(
        get_state(ctx).context(),
        meeting_id,
        reason=reason,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
        note=message,
    )
    _meeting_done(ctx, result, T("Sitzung {m} abgesagt", "meeting {m} cancelled", m=meeting_id))


@command
def invite_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Nur zeigen, wer was bekäme; nichts senden oder schreiben."),
    ] = False,
    eml: Annotated[
        Path | None,
        typer.Option(
            "--eml",
            metavar="ORDNER",
            help="Je Empfängergruppe eine .eml-Datei schreiben statt zu senden (kein Vermerk).",
        ),
    ] = None,
) -> None:
    """Die Einladung per E-Mail senden: PDF/A, Word und Kalenderanfrage; Vermerk mit Commit.

    Empfänger sind die eingeladenen Partner (Verteiler, sonst die Parteien der Vereinbarungen)
    mit ihrer E-Mail-Adresse; ein Partner ohne Adresse bekommt den Brief in den Unterlagen. Eine
    abgesagte Sitzung bekommt die Absage (METHOD:CANCEL). Server aus [mail] in coop.toml,
    Passwort aus COOP_SMTP_PASSWORD oder dem Schlüsselbund, eigene CA aus COOP_SMTP_CAFILE.
    Lehnt der Server eine Nachricht ab, wird nichts vermerkt (Exit-Code 1).

    Beispiel: coop meeting invite 2014-05-14-arbeitstreffen --eml ausgang/
    """
    from datetime import UTC, datetime

    from coopkit.services.mail import export_invitation, send_invitation

    service_ctx = get_state(ctx).context()
    now = datetime.now(UTC)
    if dry_run or eml is not None:
        outreach = export_invitation(service_ctx, meeting_id, now, None if dry_run else eml)
    else:
        outreach = send_invitation(service_ctx, meeting_id, smtp_access(), now)
    _report_outreach(ctx, outreach, dry_run=dry_run)


def _report_outreach(ctx: typer.Context, outreach: Any, *, dry_run: bool) -> None:
    state = get_state(ctx)
    lang = state.context().lang
    if state.json:
        print_json(
            {
                "ok": True,
                "id": outreach.meeting_id,
                "method": outreach.method,
                "uid": outreach.uid,
                "sequence": outreach.sequence,
                "subject": outreach.subject,
                "to": {g.partner: list(g.addresses) for g in outreach.groups},
                "on_paper": outreach.without_address,
                "record": outreach.record,
                "commit": outreach.commit,
                "files": outreach.files,
                "sent": outreach.record is not None,
            }
        )
        return
    for group in outreach.groups:
        say(f"{group.name}: {', '.join(group.addresses)}", lang)
    for name in outreach.without_address:
        say(
            T(
                "{p}: keine E-Mail-Adresse – bitte den Brief ausdrucken und versenden",
                "{p}: no e-mail address – please print and post the letter",
                p=name,
            ),
            lang,
        )
    for path in outreach.files:
        say(T("geschrieben: {p}", "written: {p}", p=path), lang)
    if outreach.record is not None:
        say(
            T(
                "{n} Nachricht(en) gesendet; vermerkt in {r}",
                "{n} message(s) sent; recorded in {r}",
                n=len(outreach.groups),
                r=outreach.record,
            ),
            lang,
        )
    elif dry_run:
        say(T("Probelauf: nichts gesendet", "dry run: nothing sent"), lang)


@command
def move_cmd(
    ctx: typer.Context,
    meeting_id: MeetingId,
    day: Annotated[str, typer.Option("--date", metavar="JJJJ-MM-TT", help="Neues Sitzungsdatum.")],
    time: Annotated[
        str | None,
        typer.Option("--time", help="Neuer Beginn, z. B. 14:00 oder 14 Uhr.", metavar="UHRZEIT"),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Neues Ende, z. B. 16:30.", metavar="UHRZEIT")
    ] = None,
    message: MessageOption = None,
    after_sending: AfterSending = False,
) -> None:
    """Eine Sitzung verlegen: Datei und ID folgen dem neuen Datum, im selben Commit.

    Abschlussvermerke ihrer Aufgaben (actions/) werden mit umbenannt. Wurden in der Sitzung
    Niederschriften genehmigt, bleibt sie, wo sie ist (die genehmigten nennen sie). Im Kalender
    behält sie ihre Kennung (UID) und gilt als geändert (höhere SEQUENCE).

    Beispiel: coop meeting move 2014-05-14-arbeitstreffen --date 2014-05-21 --time 10:00
    """
    from coopkit.services.meeting_edits import move_meeting

    new_day = get_state(ctx).day(day, "--date", DayKind.PLANNED)
    assert new_day is not None
    start, until = parse_time(time, "--time"), parse_time(end, "--end")
    result = move_meeting(
        get_state(ctx).context(),
        meeting_id,
        new_day,
        start=start,
        end=until,
        note=message,
        after_sending=after_sending,
    )
    done(
        ctx,
        T(
            "Sitzung verlegt: {o} → {n}",
            "meeting moved: {o} → {n}",
            o=result.old_id,
            n=result.new_id,
        ),
        {
            "id": result.new_id,
            "old_id": result.old_id,
            "path": result.path,
            "renamed": [{"from": a, "to": b} for a, b in result.renamed],
            "commit": result.commit.commit,
        },
    )


app.command("cancel")(cancel_cmd)
app.command("move")(move_cmd)
app.command("invite")(invite_cmd)
note_app.command("add")(note_cmd)
note_app.command("set")(note_set_cmd)
note_app.command("remove")(note_remove_cmd)
decision_app.command("set")(decision_set_cmd)
decision_app.command("remove")(decision_remove_cmd)
attendee_app.command("remove")(attendee_remove_cmd)
app.add_typer(note_app, name="note")
app.add_typer(decision_app, name="decision")
app.add_typer(attendee_app, name="attendee")
