"""`coop agreement`: draft, change, compare, release, approve and render agreements."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from coopkit.cli.boundary import command
from coopkit.cli.correcting import CommitDateOption
from coopkit.cli.correcting import done as done_correction
from coopkit.cli.output import print_json, say, table
from coopkit.cli.state import DayKind, get_state, parse_bounded_day, parse_day
from coopkit.errors import ExitCode, T, UsageError
from coopkit.i18n import C_, Msg, _, gettext, pgettext
from coopkit.i18n.glossary import AGREEMENT_FIELDS, OBLIGATION_FIELDS

if TYPE_CHECKING:
    from coopkit.model.compare import AgreementDiff
    from coopkit.queries.load import Snapshot
    from coopkit.queries.versions import Lifecycle, Timeline
    from coopkit.services.diff import DiffResult

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False)
clause_app = typer.Typer(no_args_is_help=True)

DateOption = Annotated[
    str | None, typer.Option("--date", metavar="DATUM", help="Datum des Commits.")
]
AgreementId = Annotated[str, typer.Argument(metavar="ID", help="ID der Vereinbarung.")]
MessageOption = Annotated[
    str | None,
    typer.Option(
        "-m",
        "--message",
        metavar="TEXT",
        help="Eigene Worte zum Commit (nach der erzeugten Zeile, die nennt, was sich ändert).",
    ),
]


@app.callback()
def group() -> None:
    """Vereinbarungen: entwerfen, ändern, vergleichen, veröffentlichen, freigeben, ausgeben."""


@clause_app.callback()
def clause_group() -> None:
    """Paragraphen einer Vereinbarung."""


def _done(ctx: typer.Context, de: str, en: str, payload: dict[str, Any], **params: Any) -> None:
    state = get_state(ctx)
    if state.json:
        print_json({"ok": True, **payload})
    else:
        say(T(de, en, **params), state.language())


@app.command("new")
@command
def new_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    title: Annotated[str, typer.Option("--title", help="Titel der Vereinbarung.", metavar="TITEL")],
    party: Annotated[
        list[str], typer.Option("--party", metavar="PARTNER", help="Partei (mindestens zwei).")
    ],
    coordinator: Annotated[
        str | None, typer.Option("--coordinator", metavar="PARTNER", help="Koordinierende Partei.")
    ] = None,
    date: DateOption = None,
) -> None:
    """Eine neue Vereinbarung mit den üblichen Abschnitten als Entwurf anlegen (ein Commit).

    Beispiel: coop agreement new myk-awo --title "Kooperation" --party kv-myk --party awo
    """
    from coopkit.services.agreements import new_agreement

    service_ctx = get_state(ctx).context()
    result = new_agreement(
        service_ctx,
        agreement_id,
        title,
        party,
        coordinator=coordinator,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
    )
    _done(
        ctx,
        "Vereinbarung angelegt: {p} – jetzt mit „coop agreement edit {a}“ ausfüllen",
        'agreement created: {p} – fill it in with "coop agreement edit {a}"',
        {"path": result.path, "commit": result.commit.commit},
        p=result.path,
        a=agreement_id,
    )


@app.command("list")
@command
def list_cmd(ctx: typer.Context) -> None:
    """Alle Vereinbarungen mit Parteien, letzter Version und Stand auflisten.

    Beispiel: coop agreement list
    """
    from coopkit.queries.load import snapshot

    state = get_state(ctx)
    service_ctx = state.context()
    snap = snapshot(service_ctx)
    lang = service_ctx.lang
    timelines = snap.timelines()
    if state.json:
        print_json(
            {
                "ok": True,
                "agreements": [
                    _timeline_json(t, t.lifecycle(snap.today), lang) for t in timelines.values()
                ],
            }
        )
        return
    rows = []
    for t in timelines.values():
        title = t.working.title
        rows.append(
            [
                t.agreement_id,
                title if len(title) <= 50 else title[:49] + "…",
                ", ".join(t.working.parties),
                t.latest.version if t.latest else "—",
                _state_label(t, t.lifecycle(snap.today), lang),
            ]
        )
    headers = [
        "ID",
        pgettext("column", "Titel", lang),
        pgettext("column", "Parteien", lang),
        gettext("Version", lang),
        pgettext("column", "Stand", lang),
    ]
    say(table(headers, rows))


def _state_label(t: Timeline, lifecycle: Lifecycle, lang: str) -> str:
    label = lifecycle.label(lang)
    if t.changed_since_release:
        label += gettext(", Arbeitstext geändert", lang)
    return label


def _timeline_json(t: Timeline, lifecycle: Lifecycle, lang: str) -> dict[str, Any]:
    return {
        "id": t.agreement_id,
        "title": t.working.title,
        "parties": t.working.parties,
        "content_hash": t.working_hash,
        "latest_version": t.latest.version if t.latest else None,
        "changed_since_release": t.changed_since_release,
        "state": lifecycle.state,
        "state_text": lifecycle.label(lang),
        "in_force": lifecycle.in_force,
        "in_force_version": lifecycle.version if lifecycle.in_force else None,
        "in_force_since": lifecycle.since if lifecycle.in_force else None,
        "in_force_until": lifecycle.until if lifecycle.in_force else None,
        "pending_version": lifecycle.pending,
        "missing": lifecycle.missing,
        "ending": lifecycle.ending,
        "leavings": lifecycle.leavings,
        "versions": [
            {
                "version": v.version,
                "tag": v.tag,
                "released": v.released_at,
                "tagger": v.tagger,
                "content_hash": v.content_hash,
                "parties": v.parties,
                "approvals": [
                    {**{k: getattr(a, k) for k in a.__dataclass_fields__}, "counts": a.counts}
                    for a in v.approvals
                ],
                "withdrawn": [
                    {**{k: getattr(w, k) for k in w.__dataclass_fields__}, "holds": w.holds}
                    for w in v.withdrawn
                ],
                "missing": v.missing,
                "complete": v.complete,
                "in_force_from": v.in_force_from if v.ever_in_force else None,
                "in_force_until": v.in_force_until if v.ever_in_force else None,
            }
            for v in t.versions
        ],
    }


def _period(value: str | None, lang: str) -> str | None:
    from coopkit.model.base import parse_duration
    from coopkit.render.dates import period_words

    return period_words(parse_duration(value), lang) if value else None


@app.command("show")
@command
def show_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    version: Annotated[
        str | None, typer.Option("--version", metavar="vN", help="Eine veröffentlichte Version.")
    ] = None,
) -> None:
    """Eine Vereinbarung zeigen: Stand, Parteien, Paragraphen, Pflichten, Versionen und Freigaben.

    Beispiel: coop agreement show myk-caritas-ko --version v1
    """
    from coopkit.cli.pages import show_page

    state = get_state(ctx)
    service_ctx = state.context()
    show_page(
        service_ctx,
        "agreement show",
        (agreement_id, version, state.json),
        lambda snap: _show(snap, agreement_id, version, service_ctx.lang, json_output=state.json),
        quiet=state.json,
        facts=True,
    )


def _show(
    snap: Snapshot, agreement_id: str, version: str | None, lang: str, *, json_output: bool
) -> None:
    from coopkit.queries.due import ending_notes
    from coopkit.queries.lookup import get_agreement, not_found
    from coopkit.queries.names import partner_name
    from coopkit.render.dates import long_date
    from coopkit.schedule.recurrence import describe_frequency
    from coopkit.services.signoffs import METHOD_LABELS

    data = snap.data
    agreement = get_agreement(snap, agreement_id)
    timeline = snap.timeline(agreement_id)
    lifecycle = timeline.lifecycle(snap.today)
    if version is not None:
        found = timeline.get(version)
        if found is None:
            raise not_found(
                "version", version, [v.version for v in timeline.versions], where=agreement_id
            )
        if found.text is not None:
            agreement = found.text
    if json_output:
        print_json(
            {
                "ok": True,
                **_timeline_json(timeline, lifecycle, lang),
                "shown_version": version,
                "agreement": agreement,
            }
        )
        return
    say(f"{agreement.title} ({agreement.id})" + (f" – {version}" if version else ""))
    say("")
    say((gettext("Stand:", lang) + " ") + _state_label(timeline, lifecycle, lang))
    say("")
    say(gettext("Parteien", lang))
    for pid in agreement.parties:
        partner = data.find_partner(pid)
        rep = (
            ", " + _("vertreten durch {who}", who=partner.represented_by).format(lang)
            if (partner and partner.represented_by)
            else ""
        )
        mark = (" " + gettext("(Koordination)", lang)) if pid == agreement.coordinator else ""
        say(f"  {pid}: {partner_name(data, pid)}{rep}{mark}")
    facts = [
        (gettext("gültig ab", lang), long_date(agreement.valid_from, lang)),
        (gettext("gültig bis", lang), long_date(agreement.valid_until, lang)),
        (gettext("Überprüfung alle", lang), _period(agreement.review_cycle, lang)),
        (pgettext("column", "Kündigungsfrist", lang), _period(agreement.notice_period, lang)),
    ]
    for label, value in facts:
        if value:
            say(f"{label}: {value}")
    say("")
    say(gettext("Paragraphen", lang))
    for clause in agreement.clauses:
        say(f"  § {clause.number} {clause.title}")
    if agreement.obligations:
        say("")
        say(gettext("Pflichten", lang))
        rows = [
            [
                o.id,
                f"§ {o.clause}" if o.clause else "",
                ", ".join(o.by),
                ", ".join(o.to),
                describe_frequency(o, lang),
                o.first_due or "",
                o.what,
            ]
            for o in agreement.obligations
        ]
        say(
            table(
                [
                    "ID",
                    "§",
                    gettext("wer", lang),
                    gettext("an", lang),
                    gettext("wie oft", lang),
                    gettext("erstmals", lang),
                    gettext("was", lang),
                ],
                rows,
            )
        )
    say("")
    say(gettext("Versionen und Freigaben", lang))
    if not timeline.versions:
        say("  " + (gettext("noch keine Version veröffentlicht", lang)))
    for v in timeline.versions:
        span = ""
        if v.ever_in_force:
            since = long_date(v.in_force_from, lang)
            span = "; " + _("in Kraft ab {day}", day=since).format(lang)
            if v.in_force_until:
                span += " " + _("bis {day}", day=long_date(v.in_force_until, lang)).format(lang)
        say(f"  {v.version} ({v.released.isoformat()}, {v.tagger}{span})")
        for a in v.approvals:
            method = METHOD_LABELS[a.method].format(lang)
            extra = ", SSH" if a.ssh_signed else ""
            marked = a.label()
            if marked is not None:
                extra += f", {marked.format(lang)}"
            bad = ""
            if not a.matches_version:
                bad = " " + gettext("– HASH PASST NICHT", lang)
            elif not a.counts:
                bad = " " + gettext("– ZÄHLT NICHT", lang)
            who = ", ".join(x for x in (a.signatory, a.function) if x)
            say(f"    {a.partner}: {method}{extra} – {who}, {a.date.isoformat()}{bad}")
            for _code, reason in a.reasons:
                say(f"      {reason.format(lang)}")
        for w in v.withdrawn:
            say(
                T(
                    "    {p}: Freigabe am {d} zurückgezogen von {b}: {r}{x}",
                    "    {p}: approval withdrawn on {d} by {b}: {r}{x}",
                    p=w.partner,
                    d=w.date.isoformat(),
                    b=w.withdrawn_by,
                    r=w.reason,
                    x="" if w.holds else T(" – RÜCKZUG GILT NICHT", " – WITHDRAWAL DOES NOT HOLD"),
                ),
                lang,
            )
        if v.missing:
            say(("    " + gettext("ausstehend:", lang) + " ") + ", ".join(v.missing))
    for ending in timeline.pending_endings:
        say(
            T(
                "Aufhebung im Einvernehmen vorgeschlagen; es fehlt die Zustimmung von {m}",
                "ending by mutual consent proposed; consent missing from {m}",
                m=", ".join(ending.missing),
            ),
            lang,
        )
    endings = ending_notes(snap, agreement_id, prefix=False)
    if endings:
        say("")
        say(gettext("Kündigungen", lang))
        for note in endings:
            say(f"  {note}")
    if timeline.changed_since_release:
        say("")
        say(
            T(
                "Der Arbeitstext wurde seit {v} geändert.",
                "The working text changed since {v}.",
                v=timeline.latest.version if timeline.latest else "",
            ),
            lang,
        )


def _editor() -> list[str]:
    value = os.environ.get("EDITOR") or os.environ.get("VISUAL") or "vi"
    return shlex.split(value)


@app.command("edit")
@command
def edit_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    resume: Annotated[
        bool, typer.Option("--resume", help="Den zuletzt abgelehnten Bearbeitungsstand öffnen.")
    ] = False,
    discard: Annotated[
        bool, typer.Option("--discard", help="Den abgelehnten Bearbeitungsstand verwerfen.")
    ] = False,
    date: DateOption = None,
    message: MessageOption = None,
) -> None:
    """Die Vereinbarung im Editor ($EDITOR) bearbeiten; nur ein gültiges Ergebnis wird übernommen.

    Ist das Ergebnis ungültig, wird nichts übernommen: die Probleme erscheinen als
    PFAD:ZEILE:SPALTE, der Stand bleibt in .coop/edits/ID.md und lässt sich mit --resume
    wieder öffnen.

    Beispiel: EDITOR=nano coop agreement edit myk-caritas-ko
    """
    from coopkit.services.agreements import begin_edit, discard_edit, finish_edit

    state = get_state(ctx)
    service_ctx = state.context()
    if discard:
        dropped = discard_edit(service_ctx, agreement_id)
        _done(
            ctx,
            "Bearbeitungsstand verworfen" if dropped else "kein Bearbeitungsstand vorhanden",
            "kept edit dropped" if dropped else "no kept edit",
            {"dropped": dropped},
        )
        return
    path = begin_edit(service_ctx, agreement_id, resume=resume)
    try:
        finished = subprocess.run([*_editor(), str(path)], check=False)
    except OSError as err:
        raise UsageError(
            T(
                "Editor „{e}“ lässt sich nicht starten: {m}",
                'cannot start editor "{e}": {m}',
                e=" ".join(_editor()),
                m=str(err),
            ),
            hint=T("EDITOR setzen, z. B. EDITOR=nano", "set EDITOR, e.g. EDITOR=nano"),
        ) from err
    if finished.returncode != 0:
        raise UsageError(
            T(
                "Editor endete mit Code {c}; nichts übernommen, Stand bleibt in {p}",
                "editor exited with code {c}; nothing committed, the edit is kept in {p}",
                c=finished.returncode,
                p=str(path),
            )
        )
    result = finish_edit(
        service_ctx,
        agreement_id,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
        note=message,
    )
    if result.commit is None:
        _done(ctx, "keine Änderung", "no change", {"changed": False})
    else:
        _done(
            ctx,
            "Änderung übernommen ({c})",
            "change committed ({c})",
            {"changed": True, "commit": result.commit.commit},
            c=result.commit.commit[:10],
        )


@app.command("set")
@command
def set_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    field: Annotated[str, typer.Argument(metavar="FELD", help="z. B. title, valid_from.")],
    value: Annotated[str, typer.Argument(metavar="WERT", help="Neuer Wert; leer entfernt ihn.")],
    date: DateOption = None,
    message: MessageOption = None,
) -> None:
    """Ein Feld der Vereinbarung setzen; ein Commit.

    Felder: title, parties, coordinator, valid_from, valid_until, review_cycle, notice_period,
    on_notice (party-leaves oder ends), preamble. Den Stand (Entwurf, zur Freigabe, in Kraft,
    gekündigt) setzt niemand von Hand: er ergibt sich aus Fassungen, Freigaben und Kündigungen.

    Daten auch deutsch: valid_from 1.1.2013.

    Beispiel: coop agreement set myk-awo valid_from 2013-01-01
    """
    from coopkit.services.agreements import set_field

    if field in ("valid_from", "valid_until"):
        # A German date (31.12.2026) is written as ISO; anything else goes to the schema check.
        day = None
        with contextlib.suppress(UsageError):
            day = parse_day(value, field) if value.strip() else None
        if day is not None:
            value = get_state(ctx).bound(day, field, DayKind.PLANNED).isoformat()
    service_ctx = get_state(ctx).context()
    result = set_field(
        service_ctx,
        agreement_id,
        field,
        value,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
        note=message,
    )
    _done(ctx, "{f} gesetzt", "{f} set", {"commit": result.commit.commit}, f=field)


@clause_app.command("add")
@command
def clause_add_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="Text des Paragraphen (Markdown).")],
    title: Annotated[
        str, typer.Option("--title", help="Überschrift des Paragraphen.", metavar="TITEL")
    ],
    date: DateOption = None,
    message: MessageOption = None,
) -> None:
    """Einen Paragraphen am Ende anfügen (§ n+1); ein Commit.

    Beispiel: coop agreement clause add myk-awo --title "Inkrafttreten" "Diese Vereinbarung …"
    """
    from coopkit.services.agreements import add_clause

    service_ctx = get_state(ctx).context()
    result = add_clause(
        service_ctx,
        agreement_id,
        title,
        text,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
        note=message,
    )
    number = result.agreement.clauses[-1].number
    _done(
        ctx,
        "§ {n} angefügt",
        "§ {n} added",
        {"commit": result.commit.commit, "clause": number},
        n=number,
    )


@app.command("release")
@command
def release_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    version: Annotated[
        str | None,
        typer.Option("--version", metavar="vN", help="Versionsname (sonst der nächste)."),
    ] = None,
    message: Annotated[str | None, typer.Option("-m", "--message", help="Beschreibung.")] = None,
    date: DateOption = None,
) -> None:
    """Den übernommenen Stand als Version (v1, v2, …) veröffentlichen: ein git-Tag.

    Abgelehnt, solange „coop check“ Probleme meldet oder wenn sich seit der letzten Version
    nichts geändert hat.

    Beispiel: coop agreement release myk-caritas-ko -m "Fassung zur Unterzeichnung"
    """
    from coopkit.services.signoffs import release

    service_ctx = get_state(ctx).context()
    result = release(
        service_ctx,
        agreement_id,
        version,
        message,
        get_state(ctx).day(date, "--date", DayKind.RECORDED),
    )
    _done(
        ctx,
        "{a} {v} veröffentlicht (Tag {t}, {h})",
        "{a} {v} released (tag {t}, {h})",
        {
            "version": result.version,
            "tag": result.tag,
            "commit": result.commit,
            "content_hash": result.content_hash,
        },
        a=agreement_id,
        v=result.version,
        t=result.tag,
        h=result.content_hash[:19],
    )


@app.command("sign")
@command
def sign_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    partner: Annotated[
        str, typer.Option("--partner", help="Freigebende Partei.", metavar="PARTNER")
    ],
    signatory: Annotated[
        str | None, typer.Option("--signatory", metavar="NAME", help="Wer freigibt.")
    ] = None,
    function: Annotated[str | None, typer.Option("--function", help="Funktion.")] = None,
    place: Annotated[str | None, typer.Option("--place", metavar="ORT", help="Ort.")] = None,
    date: Annotated[
        str | None,
        typer.Option("--date", metavar="DATUM", help="Datum der Freigabe (und des Commits)."),
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", metavar="vN", help="Version (sonst die neueste).")
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="internal, wet-ink oder qes.", metavar="METHODE")
    ] = "internal",
    evidence: Annotated[
        Path | None,
        typer.Option(
            "--evidence",
            metavar="DATEI",
            help="Nachweis (Scan, QES-PDF): nur sein SHA-256 wird gespeichert.",
        ),
    ] = None,
    ssh_key: Annotated[
        Path | None,
        typer.Option(
            "--ssh-key",
            metavar="SCHLÜSSEL",
            help="Privater SSH-Schlüssel zum Signieren des Eintrags.",
        ),
    ] = None,
    imported: Annotated[
        Path | None,
        typer.Option(
            "--import",
            metavar="DATEI",
            help="Signatur einer Freigabe-Anfrage (coop agreement sign-request), mit ssh-keygen "
            "gemacht; die Anfrage liegt daneben (ohne .sig) oder wird mit --request genannt.",
        ),
    ] = None,
    request: Annotated[
        Path | None,
        typer.Option("--request", metavar="DATEI", help="Die Anfrage zu --import."),
    ] = None,
) -> None:
    """Die Freigabe einer veröffentlichten Version durch eine Partei eintragen (ein Commit).

    Der Eintrag ist an den Inhalts-Hash der Version gebunden. coopkit nennt das „freigegeben“,
    nicht „rechtsgültig unterschrieben“: Unterschrift oder qualifizierte Signatur bleiben
    außerhalb und werden über --evidence per Hash referenziert.

    Beispiel: coop agreement sign myk-awo --partner kv-myk --signatory "Dr. Alexander Saftig"
    --function Landrat --place Koblenz
    """
    from coopkit.services.signoffs import METHOD_LABELS, sign

    service_ctx = get_state(ctx).context()
    if imported is None and not signatory:
        raise UsageError(T("--signatory fehlt", "--signatory is missing"))
    result = sign(
        service_ctx,
        agreement_id,
        partner,
        signatory or "",
        function=function,
        place=place,
        when=parse_bounded_day(date, "--date", DayKind.RECORDED, service_ctx.today),
        version=version,
        method=method,
        evidence=evidence,
        ssh_key=ssh_key,
        imported=imported,
        request=request,
    )
    so = result.signoff
    _done(
        ctx,
        "{a} {v}: {p} – {m}{s} ({f})",
        "{a} {v}: {p} – {m}{s} ({f})",
        {"path": result.path, "commit": result.commit.commit, "signoff": so},
        a=agreement_id,
        v=so.version,
        p=partner,
        m=METHOD_LABELS[so.method],
        s=", SSH" if so.signature else "",
        f=result.path,
    )


@app.command("withdraw")
@command
def withdraw_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    partner: Annotated[
        str, typer.Option("--partner", help="Partei, deren Freigabe zurückgezogen wird.")
    ],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Warum die Freigabe zurückgeht.")
    ],
    version: Annotated[
        str | None,
        typer.Option("--version", metavar="vN", help="Version (sonst die neueste freigegebene)."),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", metavar="NAME", help="Wer zurückzieht (sonst der Autor).")
    ] = None,
    date: Annotated[
        str | None,
        typer.Option("--date", metavar="DATUM", help="Datum des Rückzugs (und des Commits)."),
    ] = None,
    ssh_key: Annotated[
        Path | None,
        typer.Option(
            "--ssh-key",
            metavar="SCHLÜSSEL",
            help="Schlüssel des Partners oder gepinnter Koordinationsschlüssel.",
        ),
    ] = None,
) -> None:
    """Eine falsche Freigabe zurückziehen (ein eigener Eintrag, ein Commit).

    Der Rückzug bewahrt die Freigabe, wie sie war, unter agreements/ID/withdrawals/; danach
    wartet die Version wieder auf diese Partei, und sie kann neu freigeben. Mit gepinnten
    Koordinationsschlüsseln signiert der Partner mit seinem Schlüssel oder die Koordination
    mit ihrem.

    Beispiel: coop agreement withdraw myk-awo --partner jobcenter --reason "nicht von uns"
    --ssh-key ~/.ssh/koordination
    """
    from coopkit.services.signoffs import withdraw

    service_ctx = get_state(ctx).context()
    result = withdraw(
        service_ctx,
        agreement_id,
        partner,
        reason,
        version=version,
        withdrawn_by=by,
        ssh_key=ssh_key,
        when=parse_bounded_day(date, "--date", DayKind.RECORDED, service_ctx.today),
    )
    w = result.withdrawal
    _done(
        ctx,
        "{a} {v}: Freigabe von {p} zurückgezogen ({f})",
        "{a} {v}: approval by {p} withdrawn ({f})",
        {"path": result.path, "signoff": result.signoff_path, "commit": result.commit.commit},
        a=agreement_id,
        v=w.version,
        p=partner,
        f=result.path,
    )


@app.command("verify")
@command
def verify_cmd(
    ctx: typer.Context,
    agreement_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="Nur diese Vereinbarung.")
    ] = None,
    all_agreements: Annotated[
        bool, typer.Option("--all", help="Alle Vereinbarungen (wie ohne ID; für CI).")
    ] = False,
    history: Annotated[
        bool,
        typer.Option(
            "--history",
            help="Statt der Einträge die Geschichte prüfen: jeder Commit an Freigaben oder "
            "Schlüsseln eines Partners ist von einem seiner Schlüssel oder der Koordination "
            "signiert ([signing] sign_commits).",
        ),
    ] = False,
) -> None:
    """Alle Freigaben prüfen: Inhalts-Hash, Daten, unveränderter Eintrag, SSH-Signatur und Kette.

    Je Freigabe: welcher Schlüssel signiert hat, wer ihn registriert hat und in wessen Auftrag,
    bis zum gepinnten Koordinationsschlüssel. Exit-Code 0, wenn alle gelten; sonst 1 und je
    Fehler eine Zeile PFAD: Grund.

    Beispiel: coop agreement verify myk-caritas-ko
    """
    from coopkit.services.signoffs import METHOD_LABELS, verify

    state = get_state(ctx)
    service_ctx = state.context()
    lang = service_ctx.lang
    if all_agreements and agreement_id:
        raise UsageError(T("--all oder ID, nicht beides", "--all or ID, not both"))
    if history:
        _verify_history(state, service_ctx)
        return
    report = verify(service_ctx, agreement_id)
    if state.json:
        print_json(
            {
                "ok": report.ok,
                "records": [
                    {
                        "path": i.path,
                        "agreement": i.agreement,
                        "version": i.version,
                        "partner": i.partner,
                        "method": i.method,
                        "ssh_signed": i.ssh_signed,
                        "fingerprint": i.fingerprint,
                        "chain": [c.format(lang) for c in i.chain],
                        "evidence": i.evidence,
                        "ok": i.ok,
                        "label": i.label.format(lang) if i.label else None,
                        "reasons": [r.format(lang) for r in i.reasons],
                    }
                    for i in report.items
                ],
            }
        )
    else:
        for item in report.items:
            if item.ok:
                label = METHOD_LABELS[item.method].format(lang) if item.method else ""
                ssh_text = (gettext(", SSH-Signatur gültig", lang)) if (item.ssh_signed) else ""
                marked = f" ({item.label.format(lang)})" if item.label else ""
                say(f"{item.path}: ok – {label}{ssh_text}{marked}")
            for reason in item.reasons:
                say(f"{item.path}: {reason.format(lang)}")
            if item.fingerprint:
                say("  " + _("signiert mit {key}", key=item.fingerprint).format(lang))
            for link in item.chain:
                say(f"  ← {link.format(lang)}")
            if item.evidence:
                shown = T("Nachweis (außerhalb, per Hash)", "evidence (kept outside, by hash)")
                say(f"  {shown.format(lang)}: {item.evidence}")
        say(
            T(
                "{n} Freigabe(n) geprüft, {f} mit Fehlern",
                "{n} approval(s) checked, {f} failed",
                n=len(report.items),
                f=len(report.failures),
            ),
            lang,
        )
    if not report.ok:
        raise typer.Exit(int(ExitCode.PROBLEMS))


def _verify_history(state: Any, service_ctx: Any) -> None:
    from coopkit.services.signoffs import verify_history

    lang = service_ctx.lang
    result = verify_history(service_ctx)
    if state.json:
        print_json(
            {
                "ok": result.ok,
                "enabled": result.enabled,
                "since": result.since,
                "older": result.older,
                "commits": [
                    {
                        "commit": i.commit,
                        "subject": i.subject,
                        "partners": list(i.partners),
                        "fingerprint": i.fingerprint,
                        "reasons": [r.format(lang) for r in i.reasons],
                    }
                    for i in result.items
                ],
            }
        )
    else:
        if not result.enabled:
            say(
                T(
                    "signierte Geschichte ist aus ([signing] sign_commits = false); nichts geprüft",
                    "signed history is off ([signing] sign_commits = false); nothing checked",
                ),
                lang,
            )
        if result.older:
            say(
                T(
                    "{n} ältere Commit(s) mit Freigaben oder Schlüsseln vor dem Einschalten "
                    "({s}): ohne Signaturprüfung",
                    "{n} older commit(s) with approvals or keys before the switch ({s}): not "
                    "checked for signatures",
                    n=result.older,
                    s=(result.since or "")[:12],
                ),
                lang,
            )
        for item in result.items:
            head = f"{item.commit[:12]} {item.subject} ({', '.join(item.partners)})"
            if not item.reasons:
                say(f"{head}: ok – {item.fingerprint}")
            for reason in item.reasons:
                say(f"{head}: {reason.format(lang)}")
        say(
            T(
                "{n} Commit(s) geprüft, {f} mit Fehlern",
                "{n} commit(s) checked, {f} failed",
                n=len(result.items),
                f=len([i for i in result.items if i.reasons]),
            ),
            lang,
        )
    if not result.ok:
        raise typer.Exit(int(ExitCode.PROBLEMS))


@app.command("sign-request")
@command
def sign_request_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    partner: Annotated[str, typer.Option("--partner", help="Freigebende Partei.")],
    signatory: Annotated[str, typer.Option("--signatory", metavar="NAME", help="Wer freigibt.")],
    function: Annotated[str | None, typer.Option("--function", help="Funktion.")] = None,
    place: Annotated[str | None, typer.Option("--place", metavar="ORT", help="Ort.")] = None,
    date: Annotated[
        str | None, typer.Option("--date", metavar="DATUM", help="Datum der Freigabe.")
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", metavar="vN", help="Version (sonst die neueste).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="DATEI", help="Anfrage in diese Datei schreiben."),
    ] = None,
) -> None:
    """Eine Freigabe-Anfrage für einen Partner ohne coopkit schreiben (eine kleine Textdatei).

    Der Partner signiert sie mit ssh-keygen -Y sign und schickt die .sig-Datei zurück;
    coop agreement sign ID --partner P --import DATEI.sig trägt die Freigabe ein.

    Beispiel: coop agreement sign-request myk-caritas-ko --partner caritas-ko --signatory
    "Dr. Maria Neumann" --function Vorstand
    """
    from coopkit.services.signoffs import sign_request

    state = get_state(ctx)
    service_ctx = state.context()
    result = sign_request(
        service_ctx,
        agreement_id,
        partner,
        signatory,
        function=function,
        place=place,
        when=parse_bounded_day(date, "--date", DayKind.RECORDED, service_ctx.today),
        version=version,
        output=output,
    )
    command_line = (
        f"ssh-keygen -Y sign -f SCHLÜSSEL -n coopkit-signoff {shlex.quote(str(result.path))}"
    )
    if state.json:
        print_json({"ok": True, "path": result.path, "command": command_line})
        return
    say(
        T(
            "Anfrage geschrieben: {p}\nDer Partner signiert sie unverändert mit:\n  {c}\n"
            "und schickt {p}.sig zurück; dann: coop agreement sign {a} --partner {x} --import "
            "{p}.sig",
            "request written: {p}\nthe partner signs it unchanged with:\n  {c}\n"
            "and sends back {p}.sig; then: coop agreement sign {a} --partner {x} --import {p}.sig",
            p=str(result.path),
            c=command_line,
            a=agreement_id,
            x=partner,
        ),
        service_ctx.lang,
    )


@app.command("terminate")
@command
def terminate_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    by: Annotated[str, typer.Option("--by", metavar="PARTNER", help="Kündigende Partei.")],
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="DATUM",
            help="Datum der Erklärung (Standard: heute); auch Datum des Commits.",
        ),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Grund (optional).")] = None,
    effective: Annotated[
        str | None,
        typer.Option(
            "--effective",
            metavar="DATUM",
            help="Letzter Tag der Geltung (Standard: Datum + Kündigungsfrist).",
        ),
    ] = None,
    mutual: Annotated[
        bool,
        typer.Option(
            "--mutual",
            help="Aufhebung im Einvernehmen: wirksam, sobald alle Parteien dasselbe --effective "
            "eingetragen haben.",
        ),
    ] = False,
    signatory: Annotated[
        str | None, typer.Option("--signatory", metavar="NAME", help="Wer erklärt.")
    ] = None,
) -> None:
    """Eine Vereinbarung kündigen (oder einer Aufhebung im Einvernehmen zustimmen); ein Commit.

    Eine Kündigung wirkt nach der Kündigungsfrist der an diesem Tag geltenden Fassung. Was sie
    bewirkt, sagt „on_notice“ der Vereinbarung: „party-leaves“ (Standard ab drei Parteien) – die
    Partei scheidet aus, schuldet danach nichts mehr, die übrigen bleiben gebunden; „ends“
    (Standard bei zwei Parteien, oder wenn weniger als zwei blieben) – die Vereinbarung endet,
    danach wird nichts mehr fällig.

    Beispiel: coop agreement terminate myk-awo --by awo-rheinland --date 2014-09-30
    --reason "Umstrukturierung"
    """
    from coopkit.render.dates import long_date
    from coopkit.services.lifecycle import terminate

    service_ctx = get_state(ctx).context()
    result = terminate(
        service_ctx,
        agreement_id,
        by,
        day=parse_bounded_day(date, "--date", DayKind.RECORDED, service_ctx.today),
        reason=reason,
        effective=parse_bounded_day(effective, "--effective", DayKind.PLANNED, service_ctx.today),
        mutual=mutual,
        signatory=signatory,
    )
    last = result.record.effective or result.earliest
    if result.leaves:
        _done(
            ctx,
            "{a}: Kündigung von {p} eingetragen; {p} scheidet zum {e} aus, die übrigen Parteien "
            "bleiben gebunden ({f})",
            "{a}: notice by {p} recorded; {p} leaves as of {e}, the other parties remain bound "
            "({f})",
            {
                "path": result.path,
                "commit": result.commit.commit,
                "effective": last,
                "leaves": True,
            },
            a=agreement_id,
            p=by,
            e=long_date(last, service_ctx.lang),
            f=result.path,
        )
        return
    _done(
        ctx,
        "{a}: {k} von {p} eingetragen, wirksam zum {e} ({f})",
        "{a}: {k_en} by {p} recorded, effective as of {e} ({f})",
        {"path": result.path, "commit": result.commit.commit, "effective": last, "leaves": False},
        a=agreement_id,
        k="Zustimmung zur Aufhebung" if mutual else "Kündigung",
        k_en="consent to ending" if mutual else "notice",
        p=by,
        e=long_date(last, service_ctx.lang),
        f=result.path,
    )


@app.command("log")
@command
def log_cmd(ctx: typer.Context, agreement_id: AgreementId) -> None:
    """Wer hat wann was an der Vereinbarung geändert, mit Versionen und Freigaben.

    Beispiel: coop agreement log myk-caritas-ko
    """
    from coopkit.cli.history import print_log
    from coopkit.queries.history import agreement_log

    state = get_state(ctx)
    service_ctx = state.context()
    print_log(agreement_log(service_ctx, agreement_id), state.json, service_ctx.lang)


# --------------------------------------------------------------------------- documents


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


_CHANGE_WORDS = {
    "added": C_("change", "neu"),
    "removed": C_("change", "entfällt"),
    "changed": C_("change", "geändert"),
}


def _change_text(kind: str, lang: str) -> str:
    return _CHANGE_WORDS[kind].format(lang)


_FIELD_LABELS: dict[str, Msg] = {**AGREEMENT_FIELDS, **OBLIGATION_FIELDS, "status": _("Status")}
"""The label of each field a diff names: the glossary's terms."""


def _field_label(field: str, lang: str) -> str:
    label = _FIELD_LABELS.get(field)
    return label.format(lang) if label is not None else field


def _print_diff(result: DiffResult, lang: str) -> None:
    from coopkit.services.diff import field_words

    diff: AgreementDiff = result.diff
    say(f"--- {result.from_label}")
    say(f"+++ {result.to_label}")
    if diff.empty:
        say(T("keine Unterschiede", "no differences"), lang)
        return
    for change in diff.metadata:
        say(f"{_field_label(change.field, lang)}: {change.old or '—'} → {change.new or '—'}")
    if diff.preamble:
        say("")
        say(gettext("## Präambel", lang))
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
        say(gettext("Pflichten", lang))
        for obligation in diff.obligations:
            sign = {"added": "+", "removed": "-", "changed": "~"}[obligation.kind]
            say(
                f"{sign} {obligation.id} ({_change_text(obligation.kind, lang)}): {obligation.what}"
            )
            for field in obligation.changes:
                label = _field_label(field.field, lang)
                old, new = field_words(result, obligation.id, field, lang)
                say(f"    {label}: {old or '—'} → {new or '—'}")


def _diff_json(result: DiffResult, docx: Path | None) -> dict[str, Any]:
    diff = result.diff
    return {
        "ok": True,
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


# --------------------------------------------------------------------------- clause corrections


ClauseNumber = Annotated[int, typer.Argument(metavar="N", help="Nummer des Paragraphen.", min=1)]


@command
def clause_set_cmd(
    ctx: typer.Context,
    agreement_id: AgreementId,
    number: ClauseNumber,
    text: Annotated[
        str | None, typer.Argument(metavar="[TEXT]", help="Neuer Text (Markdown).")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Neue Überschrift.")] = None,
    date: CommitDateOption = None,
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
    done_correction(
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
    date: CommitDateOption = None,
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
    done_correction(
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
    date: CommitDateOption = None,
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
    done_correction(
        ctx,
        T("§ {n} ist jetzt § {t}", "§ {n} is now § {t}", n=number, t=to),
        {
            "path": result.path,
            "commit": result.commit.commit,
            "renumbered": _renumbered(result.renumbered),
        },
    )


app.command("render")(render_cmd)
app.command("diff")(diff_cmd)
clause_app.command("set")(clause_set_cmd)
clause_app.command("remove")(clause_remove_cmd)
clause_app.command("move")(clause_move_cmd)
app.add_typer(clause_app, name="clause")
