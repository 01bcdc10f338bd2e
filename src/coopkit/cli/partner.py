"""`coop partner` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coopkit.cli.boundary import command
from coopkit.cli.correcting import CommitDateOption, MessageOption, done
from coopkit.cli.output import print_json, say, table
from coopkit.cli.state import DayKind, get_state
from coopkit.errors import T
from coopkit.i18n import _, gettext, pgettext

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False)
contact_app = typer.Typer(no_args_is_help=True)
key_app = typer.Typer(no_args_is_help=True)


@app.callback()
def group() -> None:
    """Partner: Organisationen, Vertretung, Kontakte, Signaturschlüssel."""


@contact_app.callback()
def contact_group() -> None:
    """Ansprechpartnerinnen und Ansprechpartner eines Partners."""


@key_app.callback()
def key_group() -> None:
    """SSH-Schlüssel, mit denen Zeichnungsberechtigte Freigaben signieren."""


@app.command("add")
@command
def add_cmd(
    ctx: typer.Context,
    partner_id: Annotated[str, typer.Argument(metavar="ID", help="Kurz-ID, z. B. kv-myk.")],
    name: Annotated[
        str, typer.Option("--name", help="Vollständiger Name der Organisation.", metavar="NAME")
    ],
    short: Annotated[str | None, typer.Option("--short", help="Kurzname.")] = None,
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help='Anschrift in einer Zeile: "Straße Nr, PLZ Ort" (Komma darf fehlen).',
            metavar="ANSCHRIFT",
        ),
    ] = None,
    street: Annotated[
        str | None, typer.Option("--street", help="Straße und Hausnummer.", metavar="STRASSE")
    ] = None,
    postcode: Annotated[
        str | None, typer.Option("--postcode", help="Postleitzahl.", metavar="PLZ")
    ] = None,
    city: Annotated[str | None, typer.Option("--city", help="Ort.", metavar="STADT")] = None,
    email: Annotated[
        str | None,
        typer.Option("--email", help="E-Mail-Adresse der Organisation.", metavar="E-MAIL"),
    ] = None,
    phone: Annotated[
        str | None, typer.Option("--phone", help="Telefon der Organisation.", metavar="TELEFON")
    ] = None,
    represented_by: Annotated[
        str | None,
        typer.Option(
            "--represented-by",
            metavar="FUNKTION",
            help="Vertreten durch (Funktion), z. B. Landrat.",
        ),
    ] = None,
    representative: Annotated[
        str | None, typer.Option("--representative", help="Name der vertretenden Person.")
    ] = None,
    date: Annotated[
        str | None, typer.Option("--date", help="Datum des Commits.", metavar="DATUM")
    ] = None,
) -> None:
    """Einen Partner (Organisation) anlegen: partners/ID.yaml, ein Commit.

    Die Anschrift entweder mit --street, --postcode und --city oder in einer Zeile mit
    --address "Bahnhofstraße 9, 56068 Koblenz".

    Beispiel: coop partner add kv-myk --name "Kreisverwaltung Mayen-Koblenz" --short KV
    --street "Bahnhofstraße 9" --postcode 56068 --city Koblenz
    """
    from coopkit.services.partners import add_partner, build_address

    state = get_state(ctx)
    service_ctx = state.context()
    result = add_partner(
        service_ctx,
        partner_id,
        name,
        short=short,
        address=build_address(address, street, postcode, city),
        email=email,
        phone=phone,
        represented_by=represented_by,
        representative=representative,
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
    )
    if state.json:
        print_json(
            {
                "ok": True,
                "path": result.path,
                "commit": result.commit.commit,
                "partner": result.partner,
            }
        )
        return
    say(T("Partner angelegt: {p}", "partner added: {p}", p=result.path), service_ctx.lang)


@app.command("list")
@command
def list_cmd(ctx: typer.Context) -> None:
    """Alle Partner auflisten.

    Beispiel: coop partner list
    """
    from coopkit.queries.load import snapshot
    from coopkit.queries.lookup import broken_warning
    from coopkit.services.partners import list_partners

    state = get_state(ctx)
    service_ctx = state.context()
    snap = snapshot(service_ctx)
    partners = list_partners(snap.data)
    broken = sorted(snap.data.broken.get("partner", {}).items())
    warning = broken_warning(snap)
    if warning is not None:
        say(warning, service_ctx.lang, err=True)
    if state.json:
        print_json(
            {
                "ok": True,
                "partners": [
                    *(p.model_dump(mode="json") for p in partners),
                    *({"id": pid, "broken": path} for pid, path in broken),
                ],
            }
        )
        return
    headers = [
        "ID",
        "Name",
        gettext("vertreten durch", service_ctx.lang),
        gettext("Kontakte", service_ctx.lang),
        gettext("Schlüssel", service_ctx.lang),
    ]
    registered: dict[str, int] = {}
    for located in snap.data.key_registrations:
        registered[located.value.partner] = registered.get(located.value.partner, 0) + 1
    rows: list[list[object]] = [
        [p.id, p.name, p.represented_by or "—", len(p.contacts), registered.get(p.id, 0)]
        for p in partners
    ]
    rows += [
        [pid, _("— (fehlerhaft: {path})", path=path).format(service_ctx.lang), "", "", ""]
        for pid, path in broken
    ]
    rows.sort(key=lambda row: str(row[0]))
    say(table(headers, rows))


@app.command("show")
@command
def show_cmd(
    ctx: typer.Context,
    partner_id: Annotated[str, typer.Argument(metavar="ID", help="ID des Partners.")],
) -> None:
    """Einen Partner mit Anschrift, Vertretung, Kontakten und Schlüsseln zeigen.

    Beispiel: coop partner show caritas-ko
    """
    from coopkit.queries.load import snapshot
    from coopkit.queries.lookup import get_partner

    state = get_state(ctx)
    service_ctx = state.context()
    snap = snapshot(service_ctx)
    partner = get_partner(snap, partner_id)
    registered = []
    if snap.data.key_registrations:
        from coopkit.queries.trust import build_registry

        registered = build_registry(snap).for_partner(partner_id)
    if state.json:
        print_json(
            {
                "ok": True,
                **partner.model_dump(mode="json"),
                "registered_keys": [
                    {
                        "fingerprint": k.fingerprint,
                        "registered_by": k.registered_by,
                        "registered_on": k.registered_on,
                        "confirmed": k.confirmed,
                        "revoked_from": k.revoked_from,
                    }
                    for k in registered
                ],
            }
        )
        return
    say(f"{partner.name} ({partner.id})")
    if partner.short:
        say((gettext("Kurzname:", service_ctx.lang) + " ") + partner.short)
    if partner.address:
        a = partner.address
        place = " ".join(x for x in (a.postcode, a.city) if x)
        say(
            (gettext("Anschrift:", service_ctx.lang) + " ")
            + ", ".join(x for x in (a.street, place) if x)
        )
    if partner.represented_by or partner.representative:
        who = ", ".join(x for x in (partner.represented_by, partner.representative) if x)
        say((gettext("vertreten durch:", service_ctx.lang) + " ") + who)
    for label, value in (
        ("E-Mail", partner.email),
        (pgettext("column", "Telefon", service_ctx.lang), partner.phone),
        ("Web", partner.web),
    ):
        if value:
            say(f"{label}: {value}")
    if partner.contacts:
        say("")
        say(pgettext("heading", "Kontakte", service_ctx.lang))
        say(
            table(
                [
                    "ID",
                    "Name",
                    pgettext("column", "Funktion", service_ctx.lang),
                    "E-Mail",
                    pgettext("column", "Telefon", service_ctx.lang),
                    gettext("Themen", service_ctx.lang),
                ],
                [
                    [
                        c.id,
                        c.name,
                        c.function or "",
                        c.email or "",
                        c.phone or "",
                        ", ".join(c.topics),
                    ]
                    for c in partner.contacts
                ],
            )
        )
    if registered:
        say("")
        say(gettext("Registrierte Signaturschlüssel", service_ctx.lang))
        say(
            table(
                [
                    gettext("Fingerabdruck", service_ctx.lang),
                    gettext("registriert von", service_ctx.lang),
                    gettext("am", service_ctx.lang),
                    gettext("bestätigt", service_ctx.lang),
                    gettext("widerrufen ab", service_ctx.lang),
                ],
                [
                    [
                        k.fingerprint,
                        k.registered_by,
                        k.registered_on,
                        k.confirmed,
                        k.revoked_from or "",
                    ]
                    for k in registered
                ],
            )
        )
    if partner.keys:
        say("")
        say(
            gettext(
                "Signaturschlüssel in der Partnerdatei (zählen nicht; siehe coop check)",
                service_ctx.lang,
            )
        )
        say(
            table(
                [
                    gettext("Typ", service_ctx.lang),
                    pgettext("column", "Schlüssel", service_ctx.lang),
                    gettext("Zeichnungsberechtigt", service_ctx.lang),
                    pgettext("column", "gültig ab", service_ctx.lang),
                    gettext("gültig bis vor", service_ctx.lang),
                ],
                [
                    [
                        k.key.split()[0],
                        k.key.split()[1][-16:],
                        k.signatory or "",
                        k.valid_after or "",
                        k.valid_before or "",
                    ]
                    for k in partner.keys
                ],
            )
        )


@contact_app.command("add")
@command
def contact_add_cmd(
    ctx: typer.Context,
    partner_id: Annotated[str, typer.Argument(metavar="PARTNER", help="ID des Partners.")],
    name: Annotated[str, typer.Option("--name", help="Name der Person.", metavar="NAME")],
    contact_id: Annotated[
        str | None,
        typer.Option("--id", help="Kurz-ID der Person (sonst aus dem Nachnamen).", metavar="ID"),
    ] = None,
    function: Annotated[str | None, typer.Option("--function", help="Funktion.")] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="E-Mail-Adresse.", metavar="E-MAIL")
    ] = None,
    phone: Annotated[
        str | None, typer.Option("--phone", help="Telefon.", metavar="TELEFON")
    ] = None,
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", help="Zuständig für (mehrfach möglich).", metavar="THEMA"),
    ] = None,
    date: Annotated[
        str | None, typer.Option("--date", help="Datum des Commits.", metavar="DATUM")
    ] = None,
) -> None:
    """Eine Ansprechperson bei einem Partner eintragen (ein Commit).

    Beispiel: coop partner contact add caritas-ko --name "Eva Klein" --topic migrationsberatung
    """
    from coopkit.services.partners import add_contact

    state = get_state(ctx)
    service_ctx = state.context()
    result = add_contact(
        service_ctx,
        partner_id,
        name,
        contact_id=contact_id,
        function=function,
        email=email,
        phone=phone,
        topics=topic or [],
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
    )
    added = result.partner.contacts[-1]
    if state.json:
        print_json(
            {"ok": True, "path": result.path, "commit": result.commit.commit, "contact": added}
        )
        return
    say(
        T("Kontakt {c} bei {p} eingetragen", "contact {c} added to {p}", c=added.id, p=partner_id),
        service_ctx.lang,
    )


@key_app.command("add")
@command
def key_add_cmd(
    ctx: typer.Context,
    partner_id: Annotated[str, typer.Argument(metavar="PARTNER", help="ID des Partners.")],
    pubkey_file: Annotated[
        Path, typer.Argument(metavar="SCHLÜSSELDATEI", help="Öffentlicher SSH-Schlüssel (.pub).")
    ],
    confirmed: Annotated[
        str,
        typer.Option(
            "--confirmed",
            metavar="TEXT",
            help="Wie der Fingerabdruck bestätigt wurde, z. B. „per Brief vom 03.02.2026“.",
        ),
    ],
    ssh_key: Annotated[
        Path | None,
        typer.Option(
            "--ssh-key",
            metavar="SCHLÜSSEL",
            help="Privater Schlüssel der registrierenden Person (gepinnter Koordinationsschlüssel "
            "oder ein schon vertrauenswürdiger Schlüssel dieses Partners).",
        ),
    ] = None,
    signatory: Annotated[
        str | None,
        typer.Option("--signatory", metavar="NAME", help="Wer mit dem Schlüssel zeichnet."),
    ] = None,
    valid_after: Annotated[
        str | None,
        typer.Option("--valid-after", metavar="DATUM", help="Gültig ab diesem Tag."),
    ] = None,
    valid_before: Annotated[
        str | None,
        typer.Option("--valid-before", metavar="DATUM", help="Gültig nur vor diesem Tag."),
    ] = None,
    date: Annotated[
        str | None, typer.Option("--date", help="Datum der Registrierung.", metavar="DATUM")
    ] = None,
) -> None:
    """Einen SSH-Schlüssel für einen Partner registrieren: signierter Eintrag unter keys/.

    Der Eintrag zählt nur, wenn ihn ein gepinnter Koordinationsschlüssel (coop.toml [trust])
    oder ein schon vertrauenswürdiger Schlüssel desselben Partners signiert hat.

    Beispiel: coop partner key add caritas-ko caritas.pub --ssh-key ~/.ssh/koordination
    --confirmed "per Brief vom 03.02.2026" --signatory "Dr. Maria Neumann"
    """
    from coopkit.services.keys import register_key
    from coopkit.services.partners import read_key_file

    state = get_state(ctx)
    service_ctx = state.context()
    result = register_key(
        service_ctx,
        partner_id,
        read_key_file(pubkey_file),
        confirmed=confirmed,
        ssh_key=ssh_key,
        signatory=signatory,
        valid_after=get_state(ctx).day(valid_after, "--valid-after", DayKind.PLANNED),
        valid_before=get_state(ctx).day(valid_before, "--valid-before", DayKind.PLANNED),
        when=get_state(ctx).day(date, "--date", DayKind.RECORDED),
    )
    if state.json:
        print_json(
            {
                "ok": True,
                "path": result.path,
                "fingerprint": result.fingerprint,
                "signed_by": result.signer,
                "commit": result.commit.commit,
            }
        )
        return
    say(
        T(
            "Schlüssel {f} für {p} registriert ({x}), signiert mit {s}",
            "key {f} registered for {p} ({x}), signed with {s}",
            f=result.fingerprint,
            p=partner_id,
            x=result.path,
            s=result.signer,
        ),
        service_ctx.lang,
    )


@key_app.command("revoke")
@command
def key_revoke_cmd(
    ctx: typer.Context,
    partner_id: Annotated[str, typer.Argument(metavar="PARTNER", help="ID des Partners.")],
    fingerprint: Annotated[
        str, typer.Argument(metavar="FINGERABDRUCK", help="SHA256:… (coop trust show).")
    ],
    revoked_from: Annotated[
        str,
        typer.Option(
            "--date",
            metavar="DATUM",
            help="Ab diesem Tag zählen Signaturen des Schlüssels nicht mehr.",
        ),
    ],
    reason: Annotated[str | None, typer.Option("--reason", help="Grund.")] = None,
    ssh_key: Annotated[
        Path | None,
        typer.Option(
            "--ssh-key", metavar="SCHLÜSSEL", help="Privater Schlüssel der widerrufenden Person."
        ),
    ] = None,
) -> None:
    """Einen Schlüssel ab einem Tag widerrufen (signierter Eintrag): frühere Signaturen bleiben.

    Beispiel: coop partner key revoke caritas-ko SHA256:abc… --date 2026-03-01 --ssh-key
    ~/.ssh/koordination --reason "Laptop verloren"
    """
    from coopkit.services.keys import revoke_key

    state = get_state(ctx)
    service_ctx = state.context()
    day = get_state(ctx).day(revoked_from, "--date", DayKind.PLANNED)
    assert day is not None
    result = revoke_key(service_ctx, partner_id, fingerprint, day, reason=reason, ssh_key=ssh_key)
    if state.json:
        print_json({"ok": True, "path": result.path, "commit": result.commit.commit})
        return
    say(
        T(
            "Schlüssel {f} von {p} ab {d} widerrufen ({x})",
            "key {f} of {p} revoked from {d} ({x})",
            f=result.fingerprint,
            p=partner_id,
            d=day.isoformat(),
            x=result.path,
        ),
        service_ctx.lang,
    )


# --------------------------------------------------------------------------- corrections


PartnerId = Annotated[str, typer.Argument(metavar="PARTNER", help="ID des Partners.")]
ContactId = Annotated[str, typer.Argument(metavar="KONTAKT", help="ID der Ansprechperson.")]


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
    date: CommitDateOption = None,
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
    done(
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
    date: CommitDateOption = None,
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
    done(
        ctx,
        T("Kontakt {c} bei {p} geändert", "contact {c} at {p} changed", c=contact_id, p=partner_id),
        {"path": result.path, "commit": result.commit.commit},
    )


@command
def contact_remove_cmd(
    ctx: typer.Context,
    partner_id: PartnerId,
    contact_id: ContactId,
    date: CommitDateOption = None,
    message: MessageOption = None,
    left: Annotated[
        str | None,
        typer.Option(
            "--left",
            metavar="DATUM",
            help="Tag des Ausscheidens (Standard: heute); ab ihm läuft die Aufbewahrungsfrist.",
        ),
    ] = None,
    delete: Annotated[
        bool,
        typer.Option(
            "--delete",
            help="Den Kontakt ganz löschen (nur wenn kein Datensatz ihn mehr nennt).",
        ),
    ] = False,
) -> None:
    """Eine ausgeschiedene Ansprechperson austragen: vermerkt „left: DATUM“; ein Commit.

    Der Kontakt bleibt mit seinem Austrittsdatum stehen, damit Niederschriften und Aufgaben,
    die ihn nennen, lesbar bleiben; ab dem Austritt läuft die Aufbewahrungsfrist aus coop.toml
    [retention] (coop privacy due). Mit --delete wird er ganz gelöscht; nennt ihn noch ein
    Datensatz (Sitzungsleitung, Anwesenheit, Aufgaben), wird nichts geändert und jede Stelle
    als PFAD:ZEILE:SPALTE genannt.

    Beispiel: coop partner contact remove caritas-ko klein --left 2014-01-31
    """
    from coopkit.services.partner_edits import remove_contact

    state = get_state(ctx)
    result = remove_contact(
        state.context(),
        partner_id,
        contact_id,
        when=state.day(date, "--date", DayKind.RECORDED),
        note=message,
        delete=delete,
        left=state.day(left, "--left", DayKind.RECORDED),
    )
    if delete:
        text = T(
            "Kontakt {c} bei {p} gelöscht",
            "contact {c} deleted from {p}",
            c=contact_id,
            p=partner_id,
        )
    else:
        text = T(
            "Kontakt {c} bei {p} als ausgeschieden vermerkt",
            "contact {c} of {p} marked as left",
            c=contact_id,
            p=partner_id,
        )
    done(ctx, text, {"path": result.path, "commit": result.commit.commit})


app.command("set")(partner_set_cmd)
contact_app.command("set")(contact_set_cmd)
contact_app.command("remove")(contact_remove_cmd)
app.add_typer(contact_app, name="contact")
app.add_typer(key_app, name="key")
