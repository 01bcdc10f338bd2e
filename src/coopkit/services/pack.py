"""Many documents in one process: the meeting folder (`coop meeting pack`) and `coop render --all`.

Everything renders in this one process from one load of the repository; PDFs come from one
LibreOffice call for all files.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from coopkit.errors import T, UsageError
from coopkit.i18n import N_, gettext, pgettext
from coopkit.model.minutes import Minutes
from coopkit.model.repo import RepoData
from coopkit.queries.context import Context
from coopkit.queries.load import ProgressFn, Snapshot, snapshot
from coopkit.render.dates import long_date, overdue_words
from coopkit.render.package import ZIP_TIME, DocumentInfo
from coopkit.services.outputs import check_output, write_output
from coopkit.store import layout

NAMES: dict[str, str] = {
    "invitation": N_("01_Einladung"),
    "agreement": N_("02_Vereinbarung_{id}"),
    "actions": N_("03_Offene_Aufgaben"),
    "checklist": N_("04_Checkliste_{id}"),
    "minutes": N_("05_Niederschrift_{id}"),
    "all_agreement": N_("Vereinbarung_{id}"),
    "all_minutes": N_("Niederschrift_{id}"),
    "actions_title": N_("Offene Aufgaben"),
}
"""File names inside a meeting pack (German msgids; their English is in the catalog)."""


@dataclass(frozen=True)
class PackResult:
    """What a batch wrote: the files (names as in the folder or archive) and where."""

    target: Path
    files: list[str]


StepFn = Callable[[T], None]
"""Told when a batch starts its next stage (rendering, converting), for progress on a terminal."""

RENDERING = T("Dokumente erzeugen", "rendering documents")
WRITING = T("Dateien schreiben", "writing files")


def _converting(n: int) -> T:
    return T(
        "PDF mit LibreOffice erzeugen ({n} Dokumente)",
        "converting to PDF with LibreOffice ({n} documents)",
        n=n,
    )


def _names(lang: str) -> dict[str, str]:
    return {key: gettext(name, lang) for key, name in NAMES.items()}


def _render_jobs(
    jobs: list[tuple[str, Callable[[], bytes]]],
    progress: ProgressFn | None,
    step: StepFn | None,
) -> dict[str, bytes]:
    """Render each (file name, render) job in order, counting them for progress."""
    if step is not None:
        step(RENDERING)
    files: dict[str, bytes] = {}
    for n, (name, render) in enumerate(jobs):
        if progress is not None:
            progress(n, len(jobs))
        files[name] = render()
    if progress is not None:
        progress(len(jobs), len(jobs))
    return files


def last_minutes(data: RepoData, minutes: Minutes) -> Minutes | None:
    """Return the latest earlier meeting (not a draft) sharing an agreement with `minutes`."""
    wanted = set(minutes.agreements)
    earlier = [
        m.value
        for m in data.minutes.values()
        if m.value.date < minutes.date
        and m.value.held
        and (not wanted or wanted & set(m.value.agreements))
    ]
    return max(earlier, key=lambda m: (m.date, m.id)) if earlier else None


def open_actions_context(snap: Snapshot, minutes: Minutes) -> dict[str, Any]:
    """Return a checklist-template context holding the open actions of the meeting's partners."""
    from coopkit.queries.due import open_items
    from coopkit.queries.meetings import meeting_partners
    from coopkit.queries.names import partner_name, person_name
    from coopkit.services.checklist import BOX, checklist_context

    data, lang = snap.data, snap.lang
    base = checklist_context(snap, meeting=minutes.id)
    wanted = meeting_partners(data, minutes)
    groups: dict[str, list[dict[str, Any]]] = {}
    actions = [i for i in open_items(snap, date.max) if i.kind == "action"]
    for item in sorted(actions, key=lambda i: (i.due, i.key)):
        if item.partner not in wanted:
            continue
        ref = f"{item.partner}/{item.person}" if item.person else item.partner
        late = ""
        if item.overdue:
            late = overdue_words(item.days_overdue, lang)
        groups.setdefault(item.partner, []).append(
            {
                "box": BOX,
                "due": long_date(item.due, lang),
                "due_iso": item.due.isoformat(),
                "what": item.what,
                "source": item.source,
                "who": person_name(data, ref, with_org=False) if item.person else "",
                "kind": item.kind,
                "overdue": item.overdue,
                "late": late,
            }
        )
    partners = []
    for partner_id in sorted(groups):
        partners.append(
            {
                "id": partner_id,
                "name": partner_name(data, partner_id),
                "entries": groups[partner_id],
            }
        )
    return {**base, "title": _names(lang)["actions_title"], "partners": partners}


def checklist_bytes(ctx: Context, context: dict[str, Any]) -> bytes:
    """Render a checklist context through the checklist template, with its properties."""
    from coopkit.render.docx import render_docx
    from coopkit.services.documents import document_author

    author = document_author(ctx)

    info = DocumentInfo(
        title=f"{context['title']}: {context['meeting_title'] or context['period']}",
        subject=context["period"],
        author=author,
        created=ctx.today,
        modified=ctx.today,
        lang=ctx.lang,
    )
    template = layout.resolve_template(ctx.root, "checklist.docx")
    return render_docx(template, context, ctx.lang, info=info)


def meeting_pack_files(
    ctx: Context,
    snap: Snapshot,
    minutes: Minutes,
    progress: ProgressFn | None = None,
    step: StepFn | None = None,
) -> dict[str, bytes]:
    """Return the documents of a meeting folder by file name (without PDFs)."""
    from coopkit.services.checklist import checklist_context
    from coopkit.services.documents import agreement_bytes, prepare_agreement
    from coopkit.services.meeting_docs import invited_partners, meeting_document

    data = snap.data
    names = _names(ctx.lang)

    def agreement_doc(agreement_id: str) -> bytes:
        return agreement_bytes(ctx, prepare_agreement(ctx, data, agreement_id))

    def checklist_doc(partner_id: str) -> bytes:
        context = checklist_context(snap, partner=partner_id, meeting=minutes.id)
        return checklist_bytes(ctx, context)

    def minutes_doc(earlier: Minutes) -> bytes:
        return meeting_document(ctx, data, earlier).data

    jobs: list[tuple[str, Callable[[], bytes]]] = [
        (
            names["invitation"] + ".docx",
            lambda: meeting_document(ctx, data, minutes, invitation=True, snap=snap).data,
        )
    ]
    for agreement_id in minutes.agreements:
        jobs.append(
            (
                names["agreement"].format(id=agreement_id) + ".docx",
                partial(agreement_doc, agreement_id),
            )
        )
    jobs.append(
        (
            names["actions"] + ".docx",
            lambda: checklist_bytes(ctx, open_actions_context(snap, minutes)),
        )
    )
    for partner_id in invited_partners(data, minutes):
        if data.find_partner(partner_id) is None:
            continue
        jobs.append(
            (
                names["checklist"].format(id=partner_id) + ".docx",
                partial(checklist_doc, partner_id),
            )
        )
    previous = last_minutes(data, minutes)
    if previous is not None:
        jobs.append(
            (
                names["minutes"].format(id=previous.date.isoformat()) + ".docx",
                partial(minutes_doc, previous),
            )
        )
    return _render_jobs(jobs, progress, step)


def _with_pdfs(files: dict[str, bytes], step: StepFn | None = None) -> dict[str, bytes]:
    from coopkit.render.pdf import convert_many

    if step is not None:
        step(_converting(len(files)))
    with tempfile.TemporaryDirectory(prefix="coop-pack-") as folder:
        paths = []
        for name, payload in files.items():
            path = Path(folder) / name
            path.write_bytes(payload)
            paths.append(path)
        pdfs = convert_many(paths, "pdf")
        result = dict(files)
        for pdf in pdfs:
            result[pdf.name] = pdf.read_bytes()
    return result


def write_bundle(
    ctx: Context,
    files: dict[str, bytes],
    target: Path,
    progress: ProgressFn | None = None,
    step: StepFn | None = None,
) -> PackResult:
    """Write files into a folder, or into a zip archive when `target` ends in .zip."""
    names = sorted(files)
    if step is not None:
        step(WRITING)
    # Every file's place is accepted before the first is written (or its folder created).
    for name in [] if target.suffix.lower() == ".zip" else names:
        check_output(ctx, target / name)
    if target.suffix.lower() == ".zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in names:
                item = zipfile.ZipInfo(name, ZIP_TIME)
                item.compress_type = zipfile.ZIP_DEFLATED
                item.external_attr = 0o644 << 16
                archive.writestr(item, files[name])
        write_output(ctx, target, buffer.getvalue())
        return PackResult(target, names)
    for n, name in enumerate(names):
        if progress is not None:
            progress(n, len(names))
        write_output(ctx, target / name, files[name])
    if progress is not None:
        progress(len(names), len(names))
    return PackResult(target, names)


def meeting_pack(
    ctx: Context,
    meeting_id: str,
    output: Path | None = None,
    *,
    pdf: bool = False,
    progress: ProgressFn | None = None,
    step: StepFn | None = None,
) -> PackResult:
    """Write the meeting folder: invitation, agreements, open actions, checklists, last minutes.

    `progress` counts the records read, then the documents rendered; `step` is told when
    rendering and the LibreOffice conversion start.
    """
    from coopkit.queries.lookup import get_minutes

    loaded = snapshot(ctx, progress=progress)
    minutes = get_minutes(loaded, meeting_id).value
    if minutes.cancelled:
        raise UsageError(
            T(
                "die Sitzung {m} ist abgesagt; es gibt keine Sitzungsunterlagen",
                "the meeting {m} is cancelled; there are no meeting documents",
                m=minutes.id,
            ),
            hint=T(
                "die Absage: coop meeting render {m} --invitation",
                "the cancellation letter: coop meeting render {m} --invitation",
                m=minutes.id,
            ),
        )
    files = meeting_pack_files(ctx, loaded, minutes, progress, step)
    if pdf:
        files = _with_pdfs(files, step)
    suffix = pgettext("file name", "unterlagen", ctx.lang)
    target = output or Path(f"{minutes.id}-{suffix}")
    return write_bundle(ctx, files, target, progress, step)


def render_all(
    ctx: Context,
    output: Path,
    *,
    year: int | None = None,
    pdf: bool = False,
    progress: ProgressFn | None = None,
    step: StepFn | None = None,
) -> PackResult:
    """Render every agreement and the minutes (of `year`, else all) in one process.

    A cancelled meeting has no minutes and is left out.

    `progress` counts the records read, then the documents rendered; `step` is told when
    rendering and the LibreOffice conversion start.
    """
    from coopkit.services.documents import agreement_bytes, prepare_agreement
    from coopkit.services.meeting_docs import meeting_document

    names = _names(ctx.lang)
    snap = snapshot(ctx, progress=progress)
    data = snap.data

    def agreement_doc(agreement_id: str) -> bytes:
        return agreement_bytes(ctx, prepare_agreement(ctx, data, agreement_id))

    def minutes_doc(minutes: Minutes) -> bytes:
        return meeting_document(ctx, data, minutes, snap=snap).data

    jobs: list[tuple[str, Callable[[], bytes]]] = []
    for agreement_id in sorted(data.agreements):
        jobs.append(
            (
                names["all_agreement"].format(id=agreement_id) + ".docx",
                partial(agreement_doc, agreement_id),
            )
        )
    for minutes_id in sorted(data.minutes):
        minutes = data.minutes[minutes_id].value
        if minutes.cancelled or (year is not None and minutes.date.year != year):
            continue
        jobs.append(
            (
                names["all_minutes"].format(id=minutes_id) + ".docx",
                partial(minutes_doc, minutes),
            )
        )
    files = _render_jobs(jobs, progress, step)
    if pdf:
        files = _with_pdfs(files, step)
    return write_bundle(ctx, files, output, progress, step)
