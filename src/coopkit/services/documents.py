"""The agreement as a Word document: the render context, and rendering it from a template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from coopkit.errors import NotFound, ProblemsFound, T
from coopkit.i18n import Msg, _, translate_all
from coopkit.i18n.glossary import AGREEMENT_FIELDS, OBLIGATION_FIELDS
from coopkit.model.agreement import Agreement, Obligation
from coopkit.model.compare import split_paragraphs
from coopkit.model.partner import Partner
from coopkit.model.repo import RepoData
from coopkit.model.signoff import SignOff
from coopkit.queries.context import Context
from coopkit.queries.load import Snapshot, snapshot
from coopkit.queries.lookup import get_agreement, not_found
from coopkit.queries.names import partner_label, partner_labels, partner_name
from coopkit.queries.versions import Timeline, VersionState, ending_text, leaving_text
from coopkit.render.dates import long_date, short_date
from coopkit.render.package import DocumentInfo
from coopkit.schedule.recurrence import describe_frequency
from coopkit.schedule.workdays import rule_words
from coopkit.store import layout

TEMPLATE_NAME = "agreement.docx"

LABELS: dict[str, Msg] = {
    "agreement": _("Kooperationsvereinbarung"),
    "between": _("zwischen"),
    "and": _("und"),
    "represented_by": _("vertreten durch"),
    "coordinator": AGREEMENT_FIELDS["coordinator"],
    "preamble": _("Präambel"),
    "obligations": _("Pflichten aus dieser Vereinbarung"),
    "who": OBLIGATION_FIELDS["by"],
    "what": OBLIGATION_FIELDS["what"],
    "to_whom": OBLIGATION_FIELDS["to"],
    "how_often": OBLIGATION_FIELDS["recurrence"],
    "first_due": OBLIGATION_FIELDS["first_due"],
    "condition": OBLIGATION_FIELDS["condition"],
    "how": OBLIGATION_FIELDS["how"],
    "clause": _("§"),
    "signatures": _("Freigaben"),
    "approved_on": _("freigegeben am"),
    "by": _("von"),
    "pending": _("ausstehend"),
    "version": _("Fassung"),
    "draft": _("Entwurf"),
    "not_for_signature": _("nicht zur Unterschrift"),
    "as_of": _("Stand"),
    "released_on": _("veröffentlicht am"),
    "as_released": _("Angaben der Partner wie zum Zeitpunkt der Veröffentlichung"),
    "content_hash": _("Inhalts-Hash"),
    "valid_from": _("gültig ab"),
    "valid_until": _("bis"),
    "open_ended": _("unbefristet"),
    "in_force": _("in Kraft"),
    "signature_page": _("Unterschriften"),
    "place_date": _("Ort, Datum"),
    "name": _("Name"),
    "function": _("Funktion"),
    "signature": _("Unterschrift"),
    "for_party": _("Für"),
    "signature_intro": _(
        "Die Parteien unterzeichnen die Vereinbarung in der vorstehenden Fassung."
    ),
}


def labels(lang: str) -> dict[str, str]:
    """Return the document labels in `lang` (German when unknown)."""
    return translate_all(LABELS, lang)


def _address(partner: Partner) -> str:
    address = partner.address
    if address is None:
        return ""
    place = " ".join(p for p in (address.postcode, address.city) if p)
    return ", ".join(p for p in (address.street, place) if p)


def _party(data: RepoData, partner_id: str) -> dict[str, Any]:
    partner = data.find_partner(partner_id)
    if partner is None:
        return {
            "id": partner_id,
            "name": partner_id,
            "short": partner_id,
            "address": "",
            "represented_by": "",
            "representative": "",
            "representation": "",
        }
    representation = " ".join(p for p in (partner.represented_by, partner.representative) if p)
    return {
        "id": partner.id,
        "name": partner.name,
        "short": partner.label,
        "address": _address(partner),
        "represented_by": partner.represented_by or "",
        "representative": partner.representative or "",
        "representation": representation,
    }


def _paragraphs(text: str) -> list[dict[str, Any]]:
    return [{"text": p.text, "bullet": p.kind == "bullet"} for p in split_paragraphs(text)]


def obligation_row(data: RepoData, obligation: Obligation, lang: str) -> dict[str, Any]:
    """Return one obligation as plain strings for a table row."""
    words = labels(lang)
    details = [f"{words['how']}: {obligation.how}"] if obligation.how else []
    if obligation.condition:
        details.append(f"{words['condition'].capitalize()}: {obligation.condition}")
    moves = rule_words(obligation.on_holiday, lang)
    if moves:
        # § 193 BGB binds a contract date only where agreed: the document says what was.
        details.append(moves[0].upper() + moves[1:])
    return {
        "details": " · ".join(details),
        "first_due_short": short_date(obligation.first_due, lang),
        "id": obligation.id,
        "clause": str(obligation.clause) if obligation.clause is not None else "",
        "by": partner_labels(data, list(obligation.by)),
        "to": partner_labels(data, list(obligation.to)),
        "what": obligation.what,
        "recurrence": describe_frequency(obligation, lang),
        "first_due": long_date(obligation.first_due, lang),
        "first_due_iso": obligation.first_due.isoformat() if obligation.first_due else "",
        "condition": obligation.condition or "",
        "how": obligation.how or "",
        "on_holiday": moves,
    }


def signature_line(signoff: SignOff | None, lang: str) -> str:
    """Return "freigegeben am … von … (Funktion), Ort", or "ausstehend"."""
    words = labels(lang)
    if signoff is None:
        return words["pending"]
    who = signoff.signatory + (f" ({signoff.function})" if signoff.function else "")
    line = f"{words['approved_on']} {long_date(signoff.date, lang)} {words['by']} {who}"
    return line + (f", {signoff.place}" if signoff.place else "")


def _signature(
    data: RepoData, partner_id: str, signoff: SignOff | None, lang: str, note: str = ""
) -> dict[str, Any]:
    partner = data.find_partner(partner_id)
    name = (signoff.signatory if signoff else None) or (partner.representative if partner else None)
    function = (signoff.function if signoff else None) or (
        partner.represented_by if partner else None
    )
    place_date = (
        ", ".join(p for p in (signoff.place, long_date(signoff.date, lang)) if p) if signoff else ""
    )
    return {
        "name": name or "",
        "function_line": function or "",
        "place_date": place_date,
        "partner_id": partner_id,
        "party": partner_name(data, partner_id),
        "approved": signoff is not None,
        "date": long_date(signoff.date, lang) if signoff else "",
        "date_iso": signoff.date.isoformat() if signoff else "",
        "signatory": signoff.signatory if signoff else "",
        "function": (signoff.function or "") if signoff else "",
        "place": (signoff.place or "") if signoff else "",
        "method": signoff.method if signoff else "",
        "note": note if signoff else "",
        "text": signature_line(signoff, lang) + (f" ({note})" if signoff and note else ""),
    }


def agreement_context(
    data: RepoData,
    agreement: Agreement,
    version: str | None,
    signoffs: list[SignOff],
    lang: str,
    *,
    content_hash: str = "",
    today: date | None = None,
    released: date | None = None,
    notes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Return the render context of an agreement: plain dicts, strings and lists only.

    `notes` says, per partner, what proves an approval that counts without a signature of its
    own ("ohne Signatur, eingetragen von …", see `queries.verdict.Approval.label`).

    Dates come formatted for reading (`valid_from`) and as ISO text (`valid_from_iso`).
    `released` is the day the version was released, given when `data` holds the partners as
    they were at its tag; `status_line` then says so.
    """
    words = labels(lang)
    by_partner = {s.partner: s for s in signoffs}
    signatures = [
        _signature(data, p, by_partner.get(p), lang, (notes or {}).get(p, ""))
        for p in agreement.parties
    ]
    if agreement.valid_until:
        term = (
            f"{words['valid_from']} {long_date(agreement.valid_from, lang)} "
            f"{words['valid_until']} {long_date(agreement.valid_until, lang)}"
        )
    elif agreement.valid_from:
        term = (
            f"{words['valid_from']} {long_date(agreement.valid_from, lang)}, {words['open_ended']}"
        )
    else:
        term = ""
    version_label = (
        f"{words['version']} {version}"
        if version
        else f"{words['draft']} ({long_date(today, lang)})"
        if today
        else words["draft"]
    )
    return {
        "status_line": status_line(version, lang, today=today, released=released),
        "draft": not version,
        "released": long_date(released, lang),
        "released_iso": released.isoformat() if released else "",
        "name": data.config.value.name if data.config else "",
        "labels": words,
        "id": agreement.id,
        "title": agreement.title,
        "version": version or "",
        "version_label": version_label,
        "content_hash": content_hash,
        "today": long_date(today, lang),
        "today_iso": today.isoformat() if today else "",
        "valid_from": long_date(agreement.valid_from, lang),
        "valid_from_iso": agreement.valid_from.isoformat() if agreement.valid_from else "",
        "valid_until": long_date(agreement.valid_until, lang),
        "valid_until_iso": agreement.valid_until.isoformat() if agreement.valid_until else "",
        "term": term,
        "coordinator": partner_label(data, agreement.coordinator) if agreement.coordinator else "",
        "parties": [_party(data, p) for p in agreement.parties],
        "preamble": _paragraphs(agreement.preamble),
        "clauses": [
            {
                "number": c.number,
                "title": c.title,
                "heading": f"§ {c.number} {c.title}",
                "paragraphs": _paragraphs(c.text),
            }
            for c in agreement.clauses
        ],
        "obligations": [obligation_row(data, o, lang) for o in agreement.obligations],
        "signatures": signatures,
        "in_force": bool(signatures) and all(s["approved"] for s in signatures),
    }


def status_line(
    version: str | None, lang: str, *, today: date | None = None, released: date | None = None
) -> str:
    """Return the document's first line: which version it is, or that it is a draft.

    "Fassung v1, veröffentlicht am 15. November 2012; Angaben der Partner wie zum Zeitpunkt der
    Veröffentlichung", or "Entwurf – nicht zur Unterschrift (Stand: 7. Februar 2014)".
    """
    words = labels(lang)
    if not version:
        line = f"{words['draft']} – {words['not_for_signature']}"
        return f"{line} ({words['as_of']}: {long_date(today, lang)})" if today else line
    line = f"{words['version']} {version}"
    if released is None:
        return line
    return f"{line}, {words['released_on']} {long_date(released, lang)}; {words['as_released']}"


def ending_term(
    data: RepoData, agreement: Agreement, timeline: Timeline, lang: str, today: date
) -> str | None:
    """Return the term when a notice ends the agreement or a party leaves (None: neither).

    "gültig ab 1. Dezember 2012, endet zum 10. August 2013 (Kündigung durch Caritas vom …)";
    never "unbefristet" then.
    """
    words = labels(lang)
    leavings = [x for x in timeline.leavings if x.partner in agreement.parties]
    ending = timeline.ending if timeline.ending and timeline.ending.effective else None
    if ending is None and not leavings:
        return None

    def name(partner_id: str) -> str:
        return partner_label(data, partner_id)

    parts = []
    if agreement.valid_from:
        parts.append(f"{words['valid_from']} {long_date(agreement.valid_from, lang)}")
    if ending is not None:
        parts.append(ending_text(ending, today, name).format(lang))
    elif agreement.valid_until:
        parts.append(f"{words['valid_until']} {long_date(agreement.valid_until, lang)}")
    lines = [", ".join(parts)] if parts else []
    lines += [leaving_text(x, today, name).format(lang) for x in leavings]
    return "; ".join(lines)


def document_author(ctx: Context, fallback: str = "") -> str:
    """Return the acting person's name for a document's properties, else `fallback`."""
    from coopkit.errors import ConfigError

    try:
        return ctx.author().name
    except ConfigError:
        return fallback


def agreement_info(
    agreement: Agreement, version: str | None, lang: str, author: str, when: date | None
) -> DocumentInfo:
    """Return the core properties of a rendered agreement."""
    words = labels(lang)
    shown = f"{words['version']} {version}" if version else words["draft"]
    return DocumentInfo(
        title=agreement.title,
        subject=f"{words['agreement']} · {shown}",
        author=author,
        created=when,
        modified=when,
        lang=lang,
        keywords=agreement.id,
    )


def sample_agreement_context(lang: str) -> dict[str, Any]:
    """Return a small but complete context, for trying a template without a repository."""
    from coopkit.model.base import Located
    from coopkit.model.config import Config

    data = RepoData(config=Located(Config(name="Beispielverbund"), "coop.toml"))
    for partner in (
        Partner(
            id="kreis",
            name="Kreisverwaltung Beispiel",
            represented_by="Landrat",
            representative="Dr. Muster",
        ),
        Partner(id="verein", name="Müller & Söhne <Beratung> e. V.", short="Verein"),
    ):
        data.partners[partner.id] = Located(partner, f"partners/{partner.id}.yaml")
    agreement = Agreement(
        id="beispiel",
        title="Kooperationsvereinbarung „Beispiel“",
        parties=["kreis", "verein"],
        coordinator="kreis",
        valid_from=date(2013, 1, 1),
        preamble="Die Partner arbeiten zusammen.\n\n- erstens\n- zweitens",
        clauses=[{"number": 1, "title": "Ziele", "text": "(1) Ziel & Zweck."}],
        obligations=[
            {
                "id": "info",
                "clause": 1,
                "by": "verein",
                "to": "kreis",
                "what": "Informieren",
                "every": "P3M",
                "first_due": "2013-03-31",
                "condition": "nur mit Einwilligung",
            },
        ],
    )
    signoff = SignOff(
        agreement="beispiel",
        version="v1",
        partner="kreis",
        signatory="Dr. Muster",
        function="Landrat",
        place="Musterstadt",
        date=date(2013, 1, 15),
        content_hash="sha256:0",
    )
    return agreement_context(
        data,
        agreement,
        "v1",
        [signoff],
        lang,
        content_hash="sha256:0",
        today=date(2013, 1, 15),
        released=date(2013, 1, 10),
    )


@dataclass(frozen=True)
class AgreementText:
    """An agreement as it stands at one revision, with the bytes it was read from."""

    agreement: Agreement
    raw: bytes
    commit: str | None
    """None for the working text."""


def parse_agreement_bytes(agreement_id: str, raw: bytes) -> Agreement:
    """Parse the bytes of agreements/<id>/agreement.md; problems are raised."""
    from coopkit.store.codec import parse_agreement
    from coopkit.store.text import decode_text

    path = layout.agreement_path(agreement_id)
    textfile, problems = decode_text(path, raw)
    if textfile is None:
        raise ProblemsFound(problems)
    located, problems = parse_agreement(textfile)
    if located is None:
        raise ProblemsFound(problems)
    return located.value


def _not_found(agreement_id: str) -> NotFound:
    return not_found("agreement", agreement_id, [])


def read_agreement(ctx: Context, agreement_id: str, commit: str | None) -> AgreementText:
    """Read an agreement at a commit, or the working text when commit is None."""
    from coopkit.store.git import GitRepo

    path = layout.agreement_path(agreement_id)
    if commit is None:
        target = ctx.root / path
        if not target.is_file():
            raise _not_found(agreement_id)
        raw = target.read_bytes()
    else:
        with GitRepo(ctx.root) as repo:
            found = repo.read_blob(commit, path)
        if found is None:
            raise NotFound(
                T(
                    "Vereinbarung „{a}“ gibt es in {c} nicht",
                    'agreement "{a}" does not exist in {c}',
                    a=agreement_id,
                    c=commit[:10],
                )
            )
        raw = found
    return AgreementText(parse_agreement_bytes(agreement_id, raw), raw, commit)


def get_version(snap: Snapshot, agreement_id: str, version: str) -> VersionState:
    """Return a released version of an agreement; NotFound names the versions that exist."""
    timeline = snap.timeline(agreement_id)
    found = timeline.get(version)
    if found is None:
        raise not_found(
            "version", version, [v.version for v in timeline.versions], where=agreement_id
        )
    return found


@dataclass(frozen=True)
class AgreementRender:
    """What goes into rendering one agreement: the text, the context and the properties."""

    text: AgreementText
    version: str | None
    """The version the text is (None: a working text differing from every version)."""
    context: dict[str, Any]
    info: DocumentInfo


def _commit_day(ctx: Context, agreement_id: str, commit: str) -> date | None:
    from coopkit.store.git import GitRepo

    with GitRepo(ctx.root) as repo:
        found = repo.log([layout.agreement_path(agreement_id)], rev=commit, limit=1)
    return found[0].date.date() if found else None


def as_released(ctx: Context, data: RepoData, version: VersionState) -> RepoData:
    """Return `data` with the partners (and coop.toml) as they were at the version's tag.

    A signed version names the parties as they stood when it was released; a later rename or
    a new representative must not change it. A partner missing there is taken from `data`.
    """
    from dataclasses import replace

    from coopkit.queries.load import load_revision

    then = load_revision(ctx, version.commit).data
    return replace(
        data, config=then.config or data.config, partners={**data.partners, **then.partners}
    )


def prepare_agreement(
    ctx: Context,
    data: RepoData,
    agreement_id: str,
    version: str | None = None,
    *,
    commit: str | None = None,
) -> AgreementRender:
    """Read an agreement (a version, a commit, else the working text) and build its context.

    Without a version the approvals of the latest released version are shown only when the
    text is exactly that version's text; otherwise every party is "ausstehend".
    """
    from coopkit.signing.hashing import content_hash

    snap = snapshot(ctx)
    get_agreement(snap, agreement_id)
    timeline = snap.timeline(agreement_id)
    when: date | None = ctx.today
    shown_state: VersionState | None
    if version is not None:
        shown_state = get_version(snap, agreement_id, version)
        commit = shown_state.commit
        text = read_agreement(ctx, agreement_id, commit)
    else:
        text = read_agreement(ctx, agreement_id, commit)
        latest = timeline.latest
        shown_state = (
            latest
            if latest is not None and latest.content_hash == content_hash(text.agreement)
            else None
        )
    if commit is not None:
        when = _commit_day(ctx, agreement_id, commit) or ctx.today
    digest = content_hash(text.agreement)
    shown = shown_state.version if shown_state else None
    # An approval counts only for the text it is bound to.
    counting = [a for a in shown_state.approvals if a.counts] if shown_state else []
    counted = {a.path for a in counting}
    signoffs = [s.value for s in data.signoffs if s.path in counted]
    notes = {a.partner: label.format(ctx.lang) for a in counting if (label := a.label())}
    state = timeline.lifecycle(ctx.today)
    context = agreement_context(
        as_released(ctx, data, shown_state) if shown_state else data,
        text.agreement,
        shown,
        signoffs,
        ctx.lang,
        content_hash=digest,
        today=ctx.today,
        released=shown_state.released if shown_state else None,
        notes=notes,
    )
    context["in_force"] = bool(shown) and state.in_force and state.version == shown
    context["state"] = state.label(ctx.lang)
    context["term"] = (
        ending_term(data, text.agreement, timeline, ctx.lang, ctx.today) or context["term"]
    )
    fallback = data.find_partner(text.agreement.coordinator or "")
    author = document_author(ctx, fallback.name if fallback else "")
    info = agreement_info(text.agreement, shown, ctx.lang, author, when)
    return AgreementRender(text, shown, context, info)


def state_bytes(
    ctx: Context,
    data: RepoData,
    agreement: Agreement,
    version: VersionState | None,
) -> bytes:
    """Render one state of an agreement (as a released version when given) for a redline.

    The signature blocks show the version's approvals that count (see `queries.verdict`).
    """
    from coopkit.render.docx import render_docx
    from coopkit.signing.hashing import content_hash

    digest = content_hash(agreement)
    counting = [a for a in version.approvals if a.counts] if version is not None else []
    counted = {a.path for a in counting}
    signoffs = [s.value for s in data.signoffs if s.path in counted]
    notes = {a.partner: label.format(ctx.lang) for a in counting if (label := a.label())}
    context = agreement_context(
        data,
        agreement,
        version.version if version is not None else None,
        signoffs,
        ctx.lang,
        content_hash=digest,
        today=ctx.today,
        notes=notes,
    )
    template = layout.resolve_template(ctx.root, TEMPLATE_NAME)
    return render_docx(template, context, ctx.lang)


def agreement_bytes(ctx: Context, prepared: AgreementRender) -> bytes:
    """Render a prepared agreement through the repository's agreement template."""
    from coopkit.render.docx import render_docx

    template = layout.resolve_template(ctx.root, TEMPLATE_NAME)
    return render_docx(template, prepared.context, ctx.lang, info=prepared.info)


def render_agreement(
    ctx: Context,
    agreement_id: str,
    version: str | None = None,
    output: Path | None = None,
    pdf: bool = False,
    *,
    cwd: Path | None = None,
) -> Path:
    """Render an agreement (a released version, else the working text) to .docx (and PDF).

    Returns the written file (the PDF when asked for).
    """
    from coopkit.services.outputs import check_output, default_output, write_output

    data = snapshot(ctx).data
    prepared = prepare_agreement(ctx, data, agreement_id, version)
    name = f"{agreement_id}-{version}.docx" if version else f"{agreement_id}.docx"
    target = output or default_output(ctx, name, cwd)
    check_output(ctx, target)
    document = agreement_bytes(ctx, prepared)
    written = write_output(ctx, target, document)
    if pdf:
        from coopkit.render.pdf import convert

        return convert(written, "pdf")
    return written
