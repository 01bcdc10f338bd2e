"""`coop report`: the yearly evaluation of one agreement, as numbers, tables and a chart."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from coopkit.errors import T, UsageError
from coopkit.i18n import C_, Msg, _, gettext, pgettext, translate_all
from coopkit.model.agreement import Agreement
from coopkit.model.base import split_person
from coopkit.model.repo import RepoData
from coopkit.queries.actions import action_rows
from coopkit.queries.context import Context
from coopkit.queries.due import agreement_occurrences
from coopkit.queries.load import Snapshot, snapshot
from coopkit.queries.lookup import get_agreement
from coopkit.queries.names import partner_label
from coopkit.queries.period import period
from coopkit.queries.versions import Ending, Leaving, ending_text, leaving_text
from coopkit.render.dates import long_date, short_date
from coopkit.services.outputs import write_output
from coopkit.store import layout
from coopkit.store.git import GitRepo

DOCX_TEMPLATE = "report.docx"
MD_TEMPLATE = "report.md.j2"
COUNTED = ("fulfilled", "partly", "missed", "waived", "open")


@dataclass
class PartnerFulfilment:
    """Obligation occurrences of one partner due in the period, by outcome."""

    partner: str
    name: str
    fulfilled: int = 0
    partly: int = 0
    missed: int = 0
    waived: int = 0
    open: int = 0

    @property
    def total(self) -> int:
        """Return all occurrences due in the period."""
        return self.fulfilled + self.partly + self.missed + self.waived + self.open


@dataclass(frozen=True)
class FulfilmentNote:
    """A fulfilment recorded as partly, missed or waived, with its note."""

    partner: str
    obligation: str
    due: date
    status: str
    note: str
    moved: str | None = None
    """Why and where the due date moved off a non-working day; None where it did not."""


@dataclass(frozen=True)
class MeetingRow:
    """A meeting held in the period and who came."""

    id: str
    date: date
    title: str
    status: str
    partners_present: list[str]
    people_present: int


@dataclass(frozen=True)
class Attendance:
    """How many of the period's meetings a partner attended."""

    partner: str
    name: str
    attended: int
    invited: int


@dataclass(frozen=True)
class Decision:
    """A decision taken in a meeting of the period."""

    meeting: str
    date: date
    top: int
    text: str


@dataclass(frozen=True)
class ActionRow:
    """An action item of the period: when opened, whether and when closed, its age."""

    key: str
    partner: str
    what: str
    opened: date
    due: date
    closed: date | None
    status: str
    """"done", "dropped", "open" or "overdue" at the end of the period."""
    age_days: int


@dataclass(frozen=True)
class ActionSummary:
    """Counts and ages of the period's action items."""

    opened: int
    closed: int
    open: int
    overdue: int
    average_days_to_close: float | None
    oldest_open_days: int | None


@dataclass(frozen=True)
class Revision:
    """A commit, released version or sign-off in the period."""

    kind: str
    """"commit", "version" or "signoff"."""
    date: date
    text: str
    who: str


@dataclass
class Report:
    """The evaluation of one agreement over a period."""

    agreement: str
    title: str
    start: date
    end: date
    today: date
    obligations: list[PartnerFulfilment] = field(default_factory=list)
    notes: list[FulfilmentNote] = field(default_factory=list)
    meetings: list[MeetingRow] = field(default_factory=list)
    attendance: list[Attendance] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)
    action_summary: ActionSummary | None = None
    revisions: list[Revision] = field(default_factory=list)
    ending: Ending | None = None
    """The agreement's end by notice or mutual consent, when declared or taking effect in time."""
    leavings: list[Leaving] = field(default_factory=list)
    """Parties leaving by notice, declared by the period's end and not gone before its start."""

    def as_json(self) -> dict[str, Any]:
        """Return the report as plain data (dates stay dates)."""
        data = asdict(self)
        for row, item in zip(data["obligations"], self.obligations, strict=True):
            row["total"] = item.total
        return data


def _name(data: RepoData, partner_id: str) -> str:
    return partner_label(data, partner_id)


def build_report(
    snap: Snapshot,
    agreement_id: str,
    start: date,
    end: date,
    history: list[Revision] | None = None,
) -> Report:
    """Count what happened under an agreement between start and end (inclusive)."""
    data, today = snap.data, snap.today
    agreement = get_agreement(snap, agreement_id)
    report = Report(agreement_id, agreement.title, start, end, today)
    # Occurrences are computed up to the period's end; "open" means no record (yet).
    occurrences = [
        o for o in agreement_occurrences(snap, agreement_id, until=end) if start <= o.due <= end
    ]
    by_partner = {p: PartnerFulfilment(p, _name(data, p)) for p in agreement.parties}
    for occ in occurrences:
        row = by_partner.setdefault(
            occ.partner, PartnerFulfilment(occ.partner, _name(data, occ.partner))
        )
        setattr(row, occ.status, getattr(row, occ.status) + 1)
        record = occ.fulfilment
        if record is not None and record.status != "fulfilled":
            report.notes.append(
                FulfilmentNote(
                    occ.partner,
                    occ.obligation,
                    occ.due,
                    record.status,
                    record.note or "",
                    occ.moved(snap.lang),
                )
            )
    report.obligations = [r for r in by_partner.values() if r.total]
    minutes = sorted(
        (
            m.value
            for m in data.minutes.values()
            if agreement_id in m.value.agreements and start <= m.value.date <= end and m.value.held
        ),
        key=lambda m: m.date,
    )
    attended = {p: 0 for p in agreement.parties}
    states = {
        r.key: r for r in action_rows(data, today, meetings=[m.id for m in minutes], as_of=end)
    }
    for meeting in minutes:
        present = sorted({split_person(p)[0] for p in meeting.attendance.present})
        report.meetings.append(
            MeetingRow(
                meeting.id,
                meeting.date,
                meeting.title,
                meeting.status,
                present,
                len(meeting.attendance.present),
            )
        )
        for partner in present:
            if partner in attended:
                attended[partner] += 1
        for top_number, top in enumerate(meeting.tops, start=1):
            report.decisions += [
                Decision(meeting.id, meeting.date, top_number, text) for text in top.decisions
            ]
        for _top, action in meeting.all_actions():
            state = states[meeting.action_key(action)]
            status: str
            if not state.is_open and state.closed is not None:
                status, age = state.status, (state.closed - meeting.date).days
            else:
                status = "overdue" if action.due < end else "open"
                age = (min(end, today) - meeting.date).days
            report.actions.append(
                ActionRow(
                    state.key,
                    state.partner,
                    action.what,
                    meeting.date,
                    action.due,
                    state.closed if not state.is_open else None,
                    status,
                    age,
                )
            )
    report.attendance = [
        Attendance(p, _name(data, p), attended[p], len(minutes)) for p in agreement.parties
    ]
    closed_ages = [a.age_days for a in report.actions if a.status in ("done", "dropped")]
    open_ages = [a.age_days for a in report.actions if a.status in ("open", "overdue")]
    report.action_summary = ActionSummary(
        opened=len(report.actions),
        closed=len(closed_ages),
        open=len(open_ages),
        overdue=len([a for a in report.actions if a.status == "overdue"]),
        average_days_to_close=round(sum(closed_ages) / len(closed_ages), 1)
        if closed_ages
        else None,
        oldest_open_days=max(open_ages) if open_ages else None,
    )
    revisions = list(history or [])
    timeline = snap.timeline(agreement_id)
    lang = snap.lang
    for version in timeline.versions:
        for approval in version.approvals:
            if not start <= approval.date <= end:
                continue
            # The verdict on each approval (see queries.verdict), as every other view says it.
            label = approval.label()
            note = (
                f" ({label.format(lang)})"
                if approval.counts and label is not None
                else ""
                if approval.counts
                else T(
                    " (zählt nicht: {r})", " (does not count: {r})", r=approval.reasons[0][1]
                ).format(lang)
            )
            revisions.append(
                Revision(
                    "signoff",
                    approval.date,
                    f"{version.version}: {_name(data, approval.partner)}{note}",
                    approval.signatory,
                )
            )
    report.revisions = sorted(revisions, key=lambda r: (r.date, r.kind, r.text))
    ending = timeline.ending
    if ending is not None and ending.effective is not None:
        report.ending = ending if ending.declared <= end and ending.effective >= start else None
    report.leavings = [x for x in timeline.leavings if x.declared <= end and x.effective >= start]
    return report


_HISTORY_FIELDS: dict[str, Msg] = {
    "title": C_("column", "Titel"),
    "parties": C_("column", "Parteien"),
    "coordinator": _("Koordination"),
    "valid_from": _("Beginn der Laufzeit"),
    "valid_until": _("Ende der Laufzeit"),
    "review_cycle": _("Überprüfung"),
    "notice_period": C_("column", "Kündigungsfrist"),
    "on_notice": _("Wirkung einer Kündigung"),
}
"""An agreement's fields as the history names a change of them."""

_CHANGE_WORDS: dict[str, Msg] = {
    "added": _("{what} neu"),
    "removed": _("{what} entfällt"),
    "changed": _("{what} geändert"),
}
"""What happened to a clause or an obligation, as a phrase around its name."""


def describe_change(old: Agreement | None, new: Agreement, lang: str) -> str:
    """Return what a commit changed in an agreement, in words ("§ 4 geändert; Pflicht … neu")."""
    from coopkit.model.compare import compare_agreements

    if old is None:
        return gettext("Vereinbarung angelegt", lang)
    diff = compare_agreements(old, new)
    parts = []
    for change in diff.metadata:
        label = _HISTORY_FIELDS.get(change.field)
        name = label.format(lang) if label is not None else change.field
        parts.append(_("{field} geändert", field=name).format(lang))
    if diff.preamble:
        parts.append(gettext("Präambel geändert", lang))
    for clause in diff.clauses:
        parts.append(_CHANGE_WORDS[clause.kind].format(lang, what=clause.heading))
    for obligation in diff.obligations:
        what = _("Pflicht „{what}“", what=obligation.what)
        parts.append(_CHANGE_WORDS[obligation.kind].format(lang, what=what))
    if not parts:
        return gettext("Formatierung oder Kommentare", lang)
    return "; ".join(parts)


def repository_history(snap: Snapshot, agreement_id: str, start: date, end: date) -> list[Revision]:
    """Return the changes to the agreement text and its version tags within the period.

    Each change is described from the text itself (what the commit changed), in the
    repository's language, not by the commit message.
    """
    from coopkit.errors import CoopError
    from coopkit.services.documents import parse_agreement_bytes

    ctx = snap.ctx
    path = layout.agreement_path(agreement_id)
    result = []
    with GitRepo(ctx.root) as repo:
        commits = repo.log([path])
        for index, commit in enumerate(commits):
            day = commit.date.date()
            if not start <= day <= end:
                continue
            try:
                raw = repo.read_blob(commit.sha, path)
                new = parse_agreement_bytes(agreement_id, raw) if raw is not None else None
                before = commits[index + 1].sha if index + 1 < len(commits) else None
                raw_old = repo.read_blob(before, path) if before else None
                old = parse_agreement_bytes(agreement_id, raw_old) if raw_old else None
                text = describe_change(old, new, ctx.lang) if new is not None else commit.subject
            except CoopError:
                text = commit.subject
            result.append(Revision("commit", day, text, commit.author))
    # Versions as the timeline knows them (numbered tags only, in number order).
    for version in snap.timeline(agreement_id).versions:
        if start <= version.released <= end:
            result.append(Revision("version", version.released, version.version, version.tagger))
    return result


def read_assessment(ctx: Context, agreement_id: str, year: int) -> str:
    """Return the written assessment of a year (agreements/<id>/evaluation/<year>.md), or ""."""
    from coopkit.errors import ProblemsFound
    from coopkit.store.files import WorkTree, read_text

    path = layout.evaluation_path(agreement_id, year)
    if not (ctx.root / path).is_file():
        return ""
    textfile, problems = read_text(WorkTree(ctx.root), path)
    if textfile is None:
        raise ProblemsFound(problems)
    return textfile.text


REPORT_LABELS: dict[str, Msg] = {
    "title": _("Evaluationsbericht"),
    "period": _("Zeitraum"),
    "as_of": _("Stand"),
    "obligations": _("Pflichten je Partner"),
    "partner": _("Partner"),
    "fulfilled": _("erfüllt"),
    "partly": _("teilweise"),
    "missed": _("versäumt"),
    "waived": _("erlassen"),
    "open": _("offen"),
    "total": _("fällig"),
    "rate": _("erfüllt in %"),
    "notes": _("Vermerke zu Pflichten"),
    "due": _("fällig"),
    "status": C_("report.status", "Stand"),
    "note": _("Vermerk"),
    "meetings": _("Sitzungen"),
    "date": C_("date", "Datum"),
    "meeting": _("Sitzung"),
    "present": _("anwesende Partner"),
    "attendance": _("Teilnahme je Partner"),
    "attended": _("teilgenommen"),
    "of": C_("of", "von"),
    "decisions": _("Beschlüsse"),
    "actions": C_("actions", "Aufgaben"),
    "opened": _("eröffnet"),
    "closed": _("erledigt"),
    "done": C_("done", "erledigt"),
    "dropped": _("verworfen"),
    "overdue": _("überfällig"),
    "age": _("Alter (Tage)"),
    "what": C_("what", "Was"),
    "who": C_("who", "Wer"),
    "revisions": _("Änderungen, Fassungen und Freigaben"),
    "kind": _("Art"),
    "text": C_("text", "Was"),
    "none": _("keine"),
    "avg_close": _("durchschnittliche Erledigungsdauer (Tage)"),
    "oldest_open": _("älteste offene Aufgabe (Tage)"),
    "chart": _("Grafik"),
    "summary": _("Zusammenfassung"),
    "assessment": _("Bewertung"),
}


def report_labels(lang: str) -> dict[str, str]:
    """Return the fixed texts of the report in `lang`."""
    return translate_all(REPORT_LABELS, lang)


def _status_word(status: str, labels: dict[str, str]) -> str:
    return labels.get(status, status)


def ending_sentences(data: RepoData, report: Report, lang: str) -> list[str]:
    """Return who leaves and how the agreement ends, one sentence each, with dates."""

    def name(partner_id: str) -> str:
        return _name(data, partner_id)

    sentences = [leaving_text(x, report.today, name).format(lang) + "." for x in report.leavings]
    if report.ending is not None:
        ends = T(
            "Die Vereinbarung {w}.",
            "The agreement {w}.",
            w=ending_text(report.ending, report.today, name),
        )
        sentences.append(ends.format(lang))
    return sentences


def summary_text(report: Report, lang: str) -> str:
    """Return one sentence that sums up the period."""
    total = sum(r.total for r in report.obligations)
    met = sum(r.fulfilled for r in report.obligations)
    partly = sum(r.partly for r in report.obligations)
    missed = sum(r.missed for r in report.obligations)
    meetings = len(report.meetings)
    sentence = (
        _(
            "Von {total} Fälligkeiten im Zeitraum wurden {met} erfüllt, {partly} teilweise "
            "erfüllt und {missed} versäumt; es fand eine Sitzung statt."
        )
        if meetings == 1
        else _(
            "Von {total} Fälligkeiten im Zeitraum wurden {met} erfüllt, {partly} teilweise "
            "erfüllt und {missed} versäumt; es fanden {meetings} Sitzungen statt."
        )
    )
    return sentence.format(
        lang, total=total, met=met, partly=partly, missed=missed, meetings=meetings
    )


def _obligation_what(data: RepoData, agreement_id: str, obligation_id: str) -> str:
    found = data.agreements.get(agreement_id)
    for obligation in found.value.obligations if found else []:
        if obligation.id == obligation_id:
            return obligation.what
    return obligation_id


def assessment_paragraphs(text: str) -> list[dict[str, Any]]:
    """Split the written assessment (Markdown) into headings, bullets and paragraphs."""
    result: list[dict[str, Any]] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            result.append({"text": " ".join(current), "bullet": False, "heading": False})
            current.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#"):
            flush()
            result.append({"text": line.lstrip("#").strip(), "bullet": False, "heading": True})
        elif line.startswith(("- ", "* ")):
            flush()
            result.append({"text": line[2:].strip(), "bullet": True, "heading": False})
        else:
            current.append(line)
    flush()
    return result


def report_context(
    data: RepoData, report: Report, lang: str, assessment: str = ""
) -> dict[str, Any]:
    """Return the render context of the report templates (strings ready to print)."""
    labels = report_labels(lang)
    endings = ending_sentences(data, report, lang)
    kinds = {
        "commit": gettext("Änderung", lang),
        "version": pgettext("column", "Fassung", lang),
        "signoff": gettext("Freigabe", lang),
    }
    summary = report.action_summary
    return {
        "name": data.config.value.name if data.config else "",
        "labels": labels,
        "agreement_id": report.agreement,
        "title": report.title,
        "assessment": assessment_paragraphs(assessment),
        "assessment_text": assessment.strip(),
        "start": long_date(report.start, lang),
        "end": long_date(report.end, lang),
        "today": long_date(report.today, lang),
        "summary": " ".join([summary_text(report, lang), *endings]),
        "endings": endings,
        "obligations": [
            {
                "name": r.name,
                "fulfilled": r.fulfilled,
                "partly": r.partly,
                "missed": r.missed,
                "waived": r.waived,
                "open": r.open,
                "total": r.total,
                "rate": f"{round(100 * r.fulfilled / r.total)} %" if r.total else "—",
            }
            for r in report.obligations
        ],
        "notes": [
            {
                "name": _name(data, n.partner),
                "obligation": n.obligation,
                "what": _obligation_what(data, report.agreement, n.obligation),
                "due": short_date(n.due, lang)
                + (f" ({_('verschoben: {v}', v=n.moved).format(lang)})" if n.moved else ""),
                "status": _status_word(n.status, labels),
                "note": n.note,
            }
            for n in report.notes
        ],
        "meetings": [
            {
                "date": short_date(m.date, lang),
                "title": m.title,
                "present": ", ".join(_name(data, p) for p in m.partners_present),
                "people": (
                    gettext("{n} Person", lang)
                    if m.people_present == 1
                    else gettext("{n} Personen", lang)
                ).format(n=m.people_present),
            }
            for m in report.meetings
        ],
        "attendance": [
            {"name": a.name, "attended": a.attended, "invited": a.invited}
            for a in report.attendance
        ],
        "decisions": [
            {"date": short_date(d.date, lang), "top": d.top, "text": d.text}
            for d in report.decisions
        ],
        "actions": [
            {
                "opened": short_date(a.opened, lang),
                "who": _name(data, a.partner),
                "what": a.what,
                "due": short_date(a.due, lang),
                "status": _status_word(a.status, labels),
                "closed": short_date(a.closed, lang) if a.closed else "",
                "age": a.age_days,
            }
            for a in report.actions
        ],
        "action_summary": {
            "opened": summary.opened if summary else 0,
            "closed": summary.closed if summary else 0,
            "open": summary.open if summary else 0,
            "overdue": summary.overdue if summary else 0,
            "avg_close": (
                str(summary.average_days_to_close).replace(".", ",")
                if summary and summary.average_days_to_close is not None
                else "—"
            ),
            "oldest_open": str(summary.oldest_open_days)
            if summary and summary.oldest_open_days is not None
            else "—",
        },
        "revisions": [
            {
                "date": short_date(r.date, lang),
                "kind": kinds.get(r.kind, r.kind),
                "text": r.text,
                "who": r.who,
            }
            for r in report.revisions
        ],
    }


def report_chart(report: Report, lang: str) -> bytes:
    """Return the stacked bar chart of obligation outcomes per partner (PNG)."""
    from coopkit.render.chart import stacked_bars

    labels = report_labels(lang)
    keys = [k for k in COUNTED if any(getattr(r, k) for r in report.obligations)] or ["open"]
    title = _(
        "Fälligkeiten {start}–{end}",
        start=short_date(report.start, lang),
        end=short_date(report.end, lang),
    ).format(lang)
    return stacked_bars(
        [r.name for r in report.obligations],
        [(k, labels[k], [getattr(r, k) for r in report.obligations]) for k in keys],
        title,
        gettext("Anzahl", lang),
    )


def sample_report_context(lang: str) -> dict[str, Any]:
    """Return a small context for `coop template check`."""
    data = RepoData()
    report = Report(
        "koop", "Kooperationsvereinbarung", date(2013, 1, 1), date(2013, 12, 31), date(2014, 2, 7)
    )
    report.obligations = [PartnerFulfilment("caritas", "Caritas", 3, 1, 0, 0, 0)]
    report.action_summary = ActionSummary(1, 1, 0, 0, 12.0, None)
    context = report_context(
        data, report, lang, "## Ergebnis\n\nDie Zusammenarbeit hat sich bewährt."
    )
    context["chart"] = ""
    return context


@dataclass(frozen=True)
class ReportResult:
    """What `coop report` produced."""

    report: Report
    path: Path | None
    pdf: Path | None
    text: str | None


def make_report(
    ctx: Context,
    agreement_id: str,
    *,
    year: int | None = None,
    start: date | None = None,
    end: date | None = None,
    fmt: str = "docx",
    output: Path | None = None,
    pdf: bool = False,
) -> ReportResult:
    """Build the report and render it as docx (default), md or json."""
    if fmt not in ("docx", "md", "json"):
        raise UsageError(
            T(
                "--format: „{f}“ unbekannt; erlaubt: docx, md, json",
                '--format: unknown "{f}"; allowed: docx, md, json',
                f=fmt,
            )
        )
    if pdf and fmt != "docx":
        raise UsageError(T("--pdf nur mit --format docx", "--pdf only with --format docx"))
    first, last = period(year, start, end, ctx.today)
    snap = snapshot(ctx)
    data = snap.data
    get_agreement(snap, agreement_id)
    history = repository_history(snap, agreement_id, first, last)
    report = build_report(snap, agreement_id, first, last, history)
    if fmt == "json":
        return ReportResult(report, None, None, None)
    context = report_context(data, report, ctx.lang, read_assessment(ctx, agreement_id, last.year))
    if fmt == "md":
        from markupsafe import Markup

        from coopkit.render.markdown import render_markdown

        # The assessment is Markdown the partners wrote: it keeps its headings and lists.
        context["assessment_text"] = Markup(context["assessment_text"])
        text = render_markdown(layout.resolve_template(ctx.root, MD_TEMPLATE), context, ctx.lang)
        if output is None:
            return ReportResult(report, None, None, text)
        return ReportResult(report, write_output(ctx, output, text.encode("utf-8")), None, None)
    from coopkit.render.docx import render_docx
    from coopkit.render.package import DocumentInfo
    from coopkit.services.documents import document_author

    chart = report_chart(report, ctx.lang)
    labels = report_labels(ctx.lang)
    info = DocumentInfo(
        title=f"{labels['title']}: {report.title}",
        subject=f"{labels['period']} {context['start']} – {context['end']}",
        author=document_author(ctx),
        created=ctx.today,
        modified=ctx.today,
        lang=ctx.lang,
        keywords=agreement_id,
    )
    payload = render_docx(
        layout.resolve_template(ctx.root, DOCX_TEMPLATE),
        context,
        ctx.lang,
        images={"chart": chart},
        info=info,
    )
    from coopkit.services.outputs import default_output

    name = f"bericht-{agreement_id}-{first.isoformat()}-{last.isoformat()}.docx"
    target = output or default_output(ctx, name)
    written = write_output(ctx, target, payload)
    converted = None
    if pdf:
        from coopkit.render.pdf import convert

        converted = convert(written, "pdf")
    return ReportResult(report, written, converted, None)
