"""Correction commands: change or take back any record without editing YAML by hand.

Each command is one commit with a message naming what changed; `-m` adds the user's own words
as the body of that message.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from coopkit.cli import agreement, followup, meeting, partner
from coopkit.cli.boundary import command
from coopkit.cli.meeting import AfterSending
from coopkit.cli.output import print_json, say
from coopkit.cli.state import DayKind, get_state, parse_time
from coopkit.errors import T, UsageError

MessageOption = Annotated[
    str | None,
    typer.Option(
        "-m",
        "--message",
        metavar="TEXT",
        help="Eigene Worte zum Commit (nach der erzeugten Zeile, die nennt, was sich ändert).",
    ),
]
DateOption = Annotated[
    str | None, typer.Option("--date", metavar="JJJJ-MM-TT", help="Datum des Commits.")
]
MeetingId = Annotated[
    str, typer.Argument(help="Sitzungs-ID, z. B. 2014-02-05-evaluation.", metavar="SITZUNG")
]
TopOption = Annotated[int, typer.Option("--top", help="Nummer des TOP (ab 1).", min=1)]
IndexOption = Annotated[
    int, typer.Option("--index", help="Nummer des Beschlusses im TOP (ab 1).", min=1)
]
ActionId = Annotated[str, typer.Argument(help="Aufgaben-ID SITZUNG#NUMMER.", metavar="AUFGABE")]
PartnerId = Annotated[str, typer.Argument(metavar="PARTNER", help="ID des Partners.")]
ContactId = Annotated[str, typer.Argument(metavar="KONTAKT", help="ID der Ansprechperson.")]
AgreementId = Annotated[str, typer.Argument(metavar="ID", help="ID der Vereinbarung.")]
ClauseNumber = Annotated[int, typer.Argument(metavar="N", help="Nummer des Paragraphen.", min=1)]


class DefaultAdd(TyperGroup):
    """A group whose first word may be left out: `note SITZUNG …` means `note add SITZUNG …`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Insert `add` when the first word is no subcommand and no help option."""
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
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


def _done(ctx: typer.Context, message: T, payload: dict[str, Any]) -> None:
    state = get_state(ctx)
    if state.json:
        print_json({"ok": True, **payload})
    else:
        say(message, state.context().lang)


# --------------------------------------------------------------------------- partners


@command
def partner_set_cmd(
    ctx: typer.Context,
    partner_id: Annotated[str, typer.Argument(metavar="ID", help="ID des Partners.")],
    field: Annotated[
        str,
        typer.Argument(
            metavar="FELD",
            help="name, short, street, postcode, city, country, represented_by, "
            "representative, email, phone oder web.",
        ),
    ],
    value: Annotated[str, typer.Argument(metavar="WERT", help="Neuer Wert; leer entfernt ihn.")],
    date: DateOption = None,
    message: MessageOption = None,
) -> None:
    """Ein Feld eines Partners ändern (leerer WERT entfernt ein optionales Feld); ein Commit.

    street, postcode, city und country sind die Anschrift. Kontakte und Schlüssel haben eigene
    Befehle.

    Beispiel: coop partner set kv-myk email integration@kvmyk.example
    """
    from coopkit.services.partner_edits import set_partner_field

    result = set_partner_field(
        get_state(ctx).context(),
        partner_id,
        field,
        value,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
        note=message,
    )
    _done(
        ctx,
        T("{f} von {p} geändert", "{f} of {p} changed", f=field, p=partner_id),
        {"path": result.path, "commit": result.commit.commit, "partner": result.partner},
    )


@command
def contact_set_cmd(
    ctx: typer.Context,
    partner_id: PartnerId,
    contact_id: ContactId,
    name: Annotated[str | None, typer.Option("--name", help="Name der Person.")] = None,
    function: Annotated[
        str | None, typer.Option("--function", help="Funktion (leer entfernt sie).")
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="E-Mail (leer entfernt sie).")
    ] = None,
    phone: Annotated[
        str | None, typer.Option("--phone", help="Telefon (leer entfernt es).")
    ] = None,
    topic: Annotated[
        list[str] | None,
        typer.Option(
            "--topic", help="Zuständig für (mehrfach; ersetzt die Liste, leer leert sie)."
        ),
    ] = None,
    date: DateOption = None,
    message: MessageOption = None,
) -> None:
    """Angaben einer Ansprechperson ändern; ein Commit.

    Beispiel: coop partner contact set caritas-ko klein --phone "0261 1234-5" --topic migration
    """
    from coopkit.services.partner_edits import set_contact

    result = set_contact(
        get_state(ctx).context(),
        partner_id,
        contact_id,
        {"name": name, "function": function, "email": email, "phone": phone},
        topics=topic,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
        note=message,
    )
    _done(
        ctx,
        T("Kontakt {c} bei {p} geändert", "contact {c} at {p} changed", c=contact_id, p=partner_id),
        {"path": result.path, "commit": result.commit.commit},
    )


@command
def contact_remove_cmd(
    ctx: typer.Context,
    partner_id: PartnerId,
    contact_id: ContactId,
    date: DateOption = None,
    message: MessageOption = None,
) -> None:
    """Eine Ansprechperson entfernen, die kein Datensatz mehr nennt; ein Commit.

    Wird die Person noch genannt (Sitzungsleitung, Anwesenheit, Aufgaben), wird nichts
    geändert und jede Stelle als PFAD:ZEILE:SPALTE genannt.

    Beispiel: coop partner contact remove caritas-ko klein
    """
    from coopkit.services.partner_edits import remove_contact

    result = remove_contact(
        get_state(ctx).context(),
        partner_id,
        contact_id,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
        note=message,
    )
    _done(
        ctx,
        T(
            "Kontakt {c} bei {p} entfernt",
            "contact {c} removed from {p}",
            c=contact_id,
            p=partner_id,
        ),
        {"path": result.path, "commit": result.commit.commit},
    )


# --------------------------------------------------------------------------- clauses


@command
def clause_set_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    number: ClauseNumber,
    text: Annotated[
        str | None, typer.Argument(metavar="[TEXT]", help="Neuer Text (Markdown).")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Neue Überschrift.")] = None,
    date: DateOption = None,
    message: MessageOption = None,
) -> None:
    """Überschrift und/oder Text eines Paragraphen ersetzen; ein Commit.

    Beispiel: coop agreement clause set myk-awo 3 --title "Zusammenarbeit" "Die Partner …"
    """
    from coopkit.services.agreement_edits import set_clause

    result = set_clause(
        get_state(ctx).context(),
        agreement_id,
        number,
        title=title,
        text=text,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
        note=message,
    )
    _done(
        ctx,
        T("§ {n} geändert", "§ {n} changed", n=number),
        {"path": result.path, "commit": result.commit.commit, "clause": number},
    )


def _renumbered(mapping: dict[int, int]) -> dict[str, int]:
    return {str(old): new for old, new in sorted(mapping.items())}


@command
def clause_remove_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    number: ClauseNumber,
    date: DateOption = None,
    message: MessageOption = None,
) -> None:
    """Einen Paragraphen entfernen; die folgenden rücken auf, Pflichten folgen; ein Commit.

    Nennt eine Pflicht den Paragraphen (clause: N), wird nichts geändert.

    Beispiel: coop agreement clause remove myk-awo 9
    """
    from coopkit.services.agreement_edits import remove_clause

    result = remove_clause(
        get_state(ctx).context(),
        agreement_id,
        number,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
        note=message,
    )
    _done(
        ctx,
        T("§ {n} entfernt", "§ {n} removed", n=number),
        {
            "path": result.path,
            "commit": result.commit.commit,
            "renumbered": _renumbered(result.renumbered),
        },
    )


@command
def clause_move_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    number: ClauseNumber,
    to: Annotated[int, typer.Option("--to", metavar="M", help="Neue Nummer.", min=1)],
    date: DateOption = None,
    message: MessageOption = None,
) -> None:
    """Einen Paragraphen verschieben (§ N wird § M); dazwischen neu nummeriert; ein Commit.

    Die Verweise der Pflichten (clause: N) werden im selben Commit angepasst.

    Beispiel: coop agreement clause move myk-awo 7 --to 5
    """
    from coopkit.services.agreement_edits import move_clause

    result = move_clause(
        get_state(ctx).context(),
        agreement_id,
        number,
        to,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
        note=message,
    )
    _done(
        ctx,
        T("§ {n} ist jetzt § {t}", "§ {n} is now § {t}", n=number, t=to),
        {
            "path": result.path,
            "commit": result.commit.commit,
            "renumbered": _renumbered(result.renumbered),
        },
    )


# --------------------------------------------------------------------------- meetings


def _meeting_done(ctx: typer.Context, result: Any, message: T) -> None:
    _done(
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
    date: DateOption = None,
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
    _done(
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


# --------------------------------------------------------------------------- actions


@command
def action_set_cmd(
    ctx: typer.Context,
    action_id: ActionId,
    who: Annotated[
        str | None, typer.Option("--who", help="Wer: PARTNER oder PARTNER/PERSON.")
    ] = None,
    due: Annotated[
        str | None, typer.Option("--due", help="Bis wann: JJJJ-MM-TT.", metavar="JJJJ-MM-TT")
    ] = None,
    what: Annotated[str | None, typer.Option("--what", help="Was zu tun ist.")] = None,
    message: MessageOption = None,
    after_sending: AfterSending = False,
) -> None:
    """Wer, Was oder Bis wann einer Aufgabe ändern, solange die Niederschrift nicht genehmigt ist.

    Beispiel: coop action set "2014-05-14-arbeitstreffen#1" --due 2014-06-30
    """
    from coopkit.services.meeting_edits import set_action

    result = set_action(
        get_state(ctx).context(),
        action_id,
        who=who,
        due=get_state(ctx).day(due, "--due", DayKind.PLANNED),
        what=what,
        note=message,
        after_sending=after_sending,
    )
    _done(
        ctx,
        T("Aufgabe {a} geändert", "action {a} changed", a=result.key),
        {"action": result.key, "path": result.path, "commit": result.commit.commit},
    )


@command
def action_reopen_cmd(
    ctx: typer.Context,
    action_id: ActionId,
    date: DateOption = None,
    message: MessageOption = None,
) -> None:
    """Eine abgeschlossene Aufgabe wieder öffnen (der Abschlussvermerk wird entfernt).

    Beispiel: coop action reopen "2014-02-05-evaluation#2"
    """
    from coopkit.services.meeting_edits import reopen_action

    result = reopen_action(
        get_state(ctx).context(),
        action_id,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
        note=message,
    )
    _done(
        ctx,
        T("Aufgabe {a} wieder offen", "action {a} open again", a=result.key),
        {"action": result.key, "path": result.path, "commit": result.commit.commit},
    )


# --------------------------------------------------------------------------- obligations


@command
def obligation_undo_cmd(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            help="VEREINBARUNG/PFLICHT, z. B. myk-caritas-ko/infomaterial.",
            metavar="VEREINBARUNG/PFLICHT",
        ),
    ],
    due: Annotated[
        str, typer.Option("--due", help="Die Fälligkeit JJJJ-MM-TT.", metavar="JJJJ-MM-TT")
    ],
    partner_id: Annotated[
        str | None,
        typer.Option("--partner", help="Der Partner (nötig, wenn mehrere einen Vermerk haben)."),
    ] = None,
    date: DateOption = None,
    message: MessageOption = None,
) -> None:
    """Einen Erfüllungsvermerk zurücknehmen; die Fälligkeit ist danach wieder offen.

    Beispiel: coop obligation undo myk-caritas-ko/infomaterial --due 2014-01-10
    """
    from coopkit.services.fulfilment_edits import undo_fulfilment

    agreement_id, sep, obligation_id = target.partition("/")
    if not sep or not agreement_id or not obligation_id:
        raise UsageError(
            T(
                "„{v}“: erwartet VEREINBARUNG/PFLICHT, z. B. myk-caritas-ko/infomaterial",
                '"{v}": expected AGREEMENT/OBLIGATION, e.g. myk-caritas-ko/infomaterial',
                v=target,
            )
        )
    due_day = get_state(ctx).day(due, "--due", DayKind.PLANNED)
    assert due_day is not None
    result = undo_fulfilment(
        get_state(ctx).context(),
        agreement_id,
        obligation_id,
        due_day,
        partner=partner_id,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
        note=message,
    )
    _done(
        ctx,
        T(
            "Vermerk zurückgenommen: {p}",
            "record taken back: {p}",
            p=result.path,
        ),
        {"path": result.path, "commit": result.commit.commit},
    )


def register() -> None:
    """Mount the correction commands on their nouns."""
    partner.app.command("set")(partner_set_cmd)
    partner.contact_app.command("set")(contact_set_cmd)
    partner.contact_app.command("remove")(contact_remove_cmd)
    agreement.clause_app.command("set")(clause_set_cmd)
    agreement.clause_app.command("remove")(clause_remove_cmd)
    agreement.clause_app.command("move")(clause_move_cmd)
    note_app.command("add")(meeting.note_cmd)
    note_app.command("set")(note_set_cmd)
    note_app.command("remove")(note_remove_cmd)
    decision_app.command("set")(decision_set_cmd)
    decision_app.command("remove")(decision_remove_cmd)
    attendee_app.command("remove")(attendee_remove_cmd)
    meeting.app.add_typer(note_app, name="note")
    meeting.app.add_typer(decision_app, name="decision")
    meeting.app.add_typer(attendee_app, name="attendee")
    meeting.app.command("cancel")(cancel_cmd)
    meeting.app.command("move")(move_cmd)
    meeting.action_app.command("set")(action_set_cmd)
    meeting.action_app.command("reopen")(action_reopen_cmd)
    followup.obligation_app.command("undo")(obligation_undo_cmd)
