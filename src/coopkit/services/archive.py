"""The archive hand-over: offer (xdomea 0501), the archive's answer (0502), hand-over (0503).

Each step is one commit of one record under `archive/<offer-id>/`; offer and hand-over also
write a package (a folder or a .zip): the xdomea message, the primaries as PDF/A (every version
of a closed agreement, its sign-offs with their verdict, its evaluation reports; approved
minutes) and a SHA-256 list. The package is written only once the record passed every check,
and removed again when the commit fails: either both exist or neither.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from coopkit.errors import NotFound, Problem, ProblemsFound, Source, T, UsageError
from coopkit.i18n import N_, gettext
from coopkit.model.archive import (
    Answer,
    AnsweredItem,
    Decision,
    HandedOverFile,
    HandedOverItem,
    Handover,
    Offer,
    OfferedItem,
    item_digest,
    item_uuid,
)
from coopkit.queries.archive import (
    Archivable,
    ArchiveRecords,
    answer_path,
    archivable,
    handover_path,
    item_states,
    load_archive,
    offer_path,
)
from coopkit.queries.context import Context
from coopkit.queries.load import Snapshot
from coopkit.queries.verdict import Verdict
from coopkit.render.archive import (
    HANDOVER_MESSAGE,
    MANIFEST,
    OFFER_MESSAGE,
    Doc,
    Entry,
    Message,
    Part,
    Party,
    message_name,
    render_manifest,
    render_message,
    render_zip,
    sha256_hex,
)
from coopkit.services.outputs import check_output, write_output
from coopkit.services.repository import CommitResult, Transaction, build_record, writing
from coopkit.store.codec import dump_record
from coopkit.store.git import GitRepo

StepFn = Callable[[T], None]

NAMES: dict[str, str] = {
    "version": N_("Vereinbarung_{id}_{v}"),
    "signoffs": N_("Freigaben_{id}_{v}"),
    "report": N_("Bericht_{id}_{y}"),
    "minutes": N_("Niederschrift_{id}"),
}
"""File names of the primaries (German msgids; their English is in the catalog)."""


@dataclass(frozen=True)
class OfferResult:
    """What `coop archive offer` did: the record, the package and the commit."""

    offer: Offer
    target: Path
    files: list[str]
    commit: CommitResult


@dataclass(frozen=True)
class AnswerResult:
    """What `coop archive answer` recorded."""

    answer: Answer
    commit: CommitResult


@dataclass(frozen=True)
class HandoverResult:
    """What `coop archive handover` did."""

    handover: Handover
    target: Path
    files: list[str]
    commit: CommitResult


def _refuse_problems(records: ArchiveRecords) -> None:
    if records.problems:
        raise ProblemsFound(
            records.problems,
            T(
                "die Archiv-Datensätze sind fehlerhaft; erst berichtigen, nichts wurde geschrieben",
                "the archive records have problems; fix them first, nothing was written",
            ),
        )


def _check_target(ctx: Context, target: Path) -> None:
    """Refuse a package target before any work: a protected place, a non-empty folder."""
    check_output(ctx, target if target.suffix.lower() == ".zip" else target / MANIFEST)
    real = Path(os.path.realpath(ctx.root))
    where = Path(os.path.realpath(target))
    if where == real / "archive" or (real / "archive") in where.parents:
        raise UsageError(
            T(
                "Ausgabe {p} läge im Ordner „archive/“ des Repositorys; bitte einen anderen Ort "
                "wählen (-o)",
                'output {p} would lie in the repository folder "archive/"; choose another place '
                "(-o)",
                p=str(target),
            )
        )
    if target.suffix.lower() == ".zip":
        return
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(
            T(
                "Ausgabe {p} gibt es schon und ist nicht leer; bitte einen neuen Ordner oder "
                "eine .zip-Datei angeben",
                "output {p} exists and is not empty; give a new folder or a .zip file",
                p=str(target),
            )
        )


def publish(ctx: Context, files: dict[str, bytes], target: Path) -> Path:
    """Write a package as a .zip (atomically) or as a new folder (filled aside, then renamed)."""
    _check_target(ctx, target)
    if target.suffix.lower() == ".zip":
        return write_output(ctx, target, render_zip(files))
    for name in files:
        check_output(ctx, target / name)
    parent = target.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".coop-archive-", dir=parent))
    try:
        for name in sorted(files):
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(files[name])
        staging.chmod(0o755)
        if target.exists():
            target.rmdir()
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _unpublish(target: Path) -> None:
    if target.is_dir():
        shutil.rmtree(target, ignore_errors=True)
    else:
        target.unlink(missing_ok=True)


def _names(lang: str) -> dict[str, str]:
    return {key: gettext(name, lang) for key, name in NAMES.items()}


def _sender(snap: Snapshot) -> Party:
    config = snap.data.config.value if snap.data.config else None
    name = (config.letterhead.authority if config else None) or (config.name if config else "")
    if config and not config.letterhead.authority and config.controller:
        partner = snap.data.find_partner(config.controller)
        name = partner.name if partner else name
    return Party(name, config.archive.agency_code if config else None)


def _recipient(snap: Snapshot) -> Party:
    config = snap.data.config.value if snap.data.config else None
    if config is None or not config.archive.name:
        from coopkit.errors import ConfigError

        raise ConfigError(
            T(
                "welchem Archiv wird angeboten? Bitte in coop.toml eintragen: "
                '[archive] name = "Landeshauptarchiv Koblenz"',
                'which archive is it offered to? Set in coop.toml: [archive] name = "…"',
            )
        )
    return Party(config.archive.name, config.archive.code)


def _verdict_rows(
    snap: Snapshot, verdicts: dict[str, Verdict], agreement_id: str, version: str
) -> list[list[str]]:
    """Return one row per sign-off of a version with the one verdict on it."""
    from coopkit.queries.names import partner_name
    from coopkit.render.dates import long_date

    lang = snap.lang
    located = {s.path: s.value for s in snap.data.signoffs}
    rows = []
    for path, verdict in sorted(verdicts.items()):
        if verdict.agreement != agreement_id or verdict.version != version:
            continue
        signoff = located[path]
        approval = verdict.approval
        if verdict.counts:
            label = approval.label() if approval else None
            outcome = gettext("zählt", lang) + (f" ({label.format(lang)})" if label else "")
        else:
            outcome = (
                gettext("zählt nicht", lang)
                + ": "
                + "; ".join(message.format(lang) for _, message in verdict.reasons)
            )
        key = approval.fingerprint if approval and approval.fingerprint else "—"
        rows.append(
            [
                partner_name(snap.data, signoff.partner),
                signoff.signatory + (f" ({signoff.function})" if signoff.function else ""),
                long_date(signoff.date, lang),
                signoff.method,
                key,
                outcome,
                path,
            ]
        )
    return rows


def _signoff_doc(
    snap: Snapshot,
    verdicts: dict[str, Verdict],
    agreement_id: str,
    title: str,
    version: str,
    digest: str,
) -> bytes:
    from coopkit.render.archive import render_table_docx
    from coopkit.render.package import DocumentInfo

    lang = snap.lang
    heading = gettext("Freigaben und ihre Prüfung", lang) + f": {title}, {version}"
    lines = [
        gettext("Inhalts-Hash der Fassung", lang) + f": {digest or '—'}",
        gettext("Geprüft am", lang) + f": {snap.today.isoformat()}",
    ]
    headers = [
        gettext("Partei", lang),
        gettext("Unterzeichnende", lang),
        gettext("Datum", lang),
        gettext("Art", lang),
        gettext("Schlüssel", lang),
        gettext("Ergebnis", lang),
        gettext("Datensatz", lang),
    ]
    info = DocumentInfo(
        title=heading,
        subject=agreement_id,
        created=snap.today,
        modified=snap.today,
        lang=lang,
        keywords=agreement_id,
    )
    return render_table_docx(
        info, heading, lines, headers, _verdict_rows(snap, verdicts, agreement_id, version)
    )


@dataclass
class _Plan:
    """Documents to render (file name without suffix -> render) and the entries they fill."""

    jobs: dict[str, Callable[[], bytes]]
    entries: list[Entry]
    snap: Snapshot
    _verdicts: dict[str, Verdict] | None = None

    def verdicts(self) -> dict[str, Verdict]:
        """Return the verdict on every sign-off (`queries.verdict`), computed once per batch."""
        if self._verdicts is None:
            from coopkit.queries.verdict import signoff_verdicts

            self._verdicts = signoff_verdicts(self.snap)
        return self._verdicts


def _agreement_entry(
    ctx: Context, snap: Snapshot, item: OfferedItem, appraisal: str, plan: _Plan, tmp: Path
) -> None:
    from coopkit.services.documents import agreement_bytes, prepare_agreement

    agreement_id = item.item.split("/", 1)[1]
    names = _names(ctx.lang)
    timeline = snap.timeline(agreement_id)
    parts = []
    for version in timeline.versions:
        base = names["version"].format(id=agreement_id, v=version.version)
        signoffs = names["signoffs"].format(id=agreement_id, v=version.version)

        def agreement_doc(v: str = version.version) -> bytes:
            return agreement_bytes(ctx, prepare_agreement(ctx, snap.data, agreement_id, v))

        def signoff_doc(v: str = version.version, h: str = version.content_hash or "") -> bytes:
            return _signoff_doc(snap, plan.verdicts(), agreement_id, timeline.working.title, v, h)

        plan.jobs[base] = agreement_doc
        plan.jobs[signoffs] = signoff_doc
        source = f"agreements/{agreement_id}/agreement.md@{version.tag}"
        docs = [
            Doc(
                item_uuid(item.item, item.commit, f"{version.version}/text"),
                f"{timeline.working.title} ({version.version})",
                base + ".pdf",
                source,
                version.released,
            ),
            Doc(
                item_uuid(item.item, item.commit, f"{version.version}/signoffs"),
                gettext("Freigaben und ihre Prüfung", ctx.lang) + f" ({version.version})",
                signoffs + ".pdf",
                f"agreements/{agreement_id}/signoffs/{version.version}/",
                version.approved_on,
            ),
        ]
        parts.append(
            Part(
                item_uuid(item.item, item.commit, version.version),
                f"{timeline.working.title}: {gettext('Fassung', ctx.lang)} {version.version}",
                f"{item.item}/{version.version}",
                version.in_force_from if version.ever_in_force else None,
                version.in_force_until if version.ever_in_force else None,
                docs,
            )
        )
    years = sorted(
        int(p.rsplit("/", 1)[1].removesuffix(".md")) for p in item.paths if "/evaluation/" in p
    )
    reports = []
    for year in years:
        name = names["report"].format(id=agreement_id, y=year)

        def report_doc(y: int = year, n: str = name) -> bytes:
            from coopkit.services.report import make_report

            written = make_report(ctx, agreement_id, year=y, output=tmp / f"{n}.docx").path
            assert written is not None
            return written.read_bytes()

        plan.jobs[name] = report_doc
        reports.append(
            Doc(
                item_uuid(item.item, item.commit, f"report/{year}"),
                gettext("Evaluationsbericht", ctx.lang) + f" {year}",
                name + ".pdf",
                f"agreements/{agreement_id}/evaluation/{year}.md",
                date(year, 12, 31),
            )
        )
    if reports:
        parts.append(
            Part(
                item_uuid(item.item, item.commit, "reports"),
                gettext("Evaluationsberichte", ctx.lang),
                f"{item.item}/evaluation",
                date(years[0], 1, 1),
                date(years[-1], 12, 31),
                reports,
            )
        )
    plan.entries.append(
        Entry(item.uuid, "Akte", item.title, item.item, item.begin, item.end, appraisal, parts)
    )


def _minutes_entry(
    ctx: Context, snap: Snapshot, item: OfferedItem, appraisal: str, plan: _Plan
) -> None:
    from coopkit.services.meeting_docs import meeting_document

    minutes_id = item.item.split("/", 1)[1]
    name = _names(ctx.lang)["minutes"].format(id=minutes_id)
    minutes = snap.data.minutes[minutes_id].value
    plan.jobs[name] = lambda: meeting_document(ctx, snap.data, minutes).data
    doc = Doc(
        item_uuid(item.item, item.commit, "minutes"),
        item.title,
        name + ".pdf",
        item.paths[0],
        minutes.date,
    )
    plan.entries.append(
        Entry(
            item.uuid, "Vorgang", item.title, item.item, item.begin, item.end, appraisal, [], [doc]
        )
    )


def _rendering(n: int) -> T:
    return T(
        "Dokumente erzeugen und mit LibreOffice in PDF/A umwandeln ({n} Dokumente)",
        "rendering documents and converting them to PDF/A with LibreOffice ({n} documents)",
        n=n,
    )


def _primaries(
    ctx: Context, snap: Snapshot, items: Sequence[OfferedItem], appraisal: str, step: StepFn | None
) -> tuple[dict[str, bytes], list[Entry]]:
    """Render every document of the items as PDF/A (one LibreOffice run) and their entries."""
    from coopkit.render.pdf import convert_many

    with tempfile.TemporaryDirectory(prefix="coop-archive-") as folder:
        tmp = Path(folder)
        plan = _Plan({}, [], snap)
        for item in items:
            if item.kind == "agreement":
                _agreement_entry(ctx, snap, item, appraisal, plan, tmp)
            else:
                _minutes_entry(ctx, snap, item, appraisal, plan)
        if step is not None:
            step(_rendering(len(plan.jobs)))
        out = tmp / "docs"
        out.mkdir()
        sources = []
        for name, render in plan.jobs.items():
            path = out / f"{name}.docx"
            path.write_bytes(render())
            sources.append(path)
        pdfs = convert_many(sources, "pdf")
        files = {pdf.name: pdf.read_bytes() for pdf in pdfs}
    return files, plan.entries


def _message(
    snap: Snapshot, name: str, code: str, process_id: str, day: date, entries: list[Entry]
) -> Message:
    from coopkit import __version__

    return Message(
        name,
        code,
        process_id,
        f"{day.isoformat()}T00:00:00",
        _sender(snap),
        _recipient(snap),
        entries,
        __version__,
    )


def _item_files(item: Archivable, tree: dict[str, str]) -> list[str]:
    return sorted(p for p in tree if item.holds(p))


def _dirty(ctx: Context, items: Sequence[tuple[str, Sequence[str], str]]) -> None:
    """Refuse items with uncommitted changes: what is offered must be what git holds."""
    with GitRepo(ctx.root) as repo:
        dirty = set(repo.status_paths())
    found = sorted(
        {
            key
            for key, paths, prefix in items
            if dirty & set(paths) or any(d.startswith(prefix) for d in dirty)
        }
    )
    if found:
        raise UsageError(
            T(
                "nicht übernommene Änderungen an {i}; erst committen (coop commit) oder "
                "verwerfen, dann erneut",
                "uncommitted changes to {i}; commit (coop commit) or discard them first",
                i=", ".join(found),
            )
        )


def _offer_id(ctx: Context, records: ArchiveRecords) -> str:
    """Return the next free offer id: today's date and a number (never a bare date in YAML)."""
    folder = ctx.root / "archive"
    taken = set(records.offers) | ({p.name for p in folder.iterdir()} if folder.is_dir() else set())
    n = 1
    while f"{ctx.today.isoformat()}-{n}" in taken:
        n += 1
    return f"{ctx.today.isoformat()}-{n}"


def _commit_with_package(
    tx: Transaction, message: T, files: dict[str, bytes], target: Path
) -> tuple[CommitResult, Path]:
    written: list[Path] = []

    def ready() -> None:
        written.append(publish(tx.ctx, files, target))

    try:
        result = tx.commit(message, ready=ready)
    except BaseException:
        for path in written:
            _unpublish(path)
        raise
    return result, written[0]


def offer(
    ctx: Context, output: Path, before: date | None = None, step: StepFn | None = None
) -> OfferResult:
    """Offer the closed agreements and approved minutes older than `before` to the archive.

    Items already offered are left out. Writes the package (0501 message, PDF/A primaries,
    SHA256SUMS) and records `archive/<offer-id>/offer.yaml` in one commit.
    """
    day = before or ctx.today
    _check_target(ctx, output)
    with writing(ctx) as tx:
        snap = tx.snapshot()
        records = load_archive(ctx.root)
        _refuse_problems(records)
        offered = {k for per in item_states(records).values() for k in per}
        chosen = [a for a in archivable(snap, day) if a.item not in offered]
        if not chosen:
            raise UsageError(
                T(
                    "nichts anzubieten: keine beendete Vereinbarung und keine genehmigte "
                    "Niederschrift vor {d}, die nicht schon angeboten ist",
                    "nothing to offer: no ended agreement and no approved minutes before {d} "
                    "that is not offered already",
                    d=day.isoformat(),
                )
            )
        recipient = _recipient(snap)
        with GitRepo(ctx.root) as repo:
            head = repo.head()
            if head is None:
                raise UsageError(T("noch kein Commit", "no commit yet"))
            tree = repo.list_files("HEAD")
            plans = [(a, _item_files(a, tree)) for a in chosen]
            _dirty(ctx, [(a.item, paths, a.path) for a, paths in plans])
            items = []
            for item, paths in plans:
                last = repo.log(paths, limit=1)[0].sha
                blobs = repo.read_blobs([f"{head}:{p}" for p in paths])
                content = {p: blobs[f"{head}:{p}"] or b"" for p in paths}
                items.append(
                    OfferedItem(
                        item=item.item,
                        kind=item.kind,
                        title=item.title,
                        uuid=item_uuid(item.item, last),
                        commit=last,
                        paths=paths,
                        sha256=item_digest(content),
                        begin=item.begin,
                        end=item.end,
                    )
                )
        offer_id = _offer_id(ctx, records)
        name = snap.data.config.value.name if snap.data.config else ""
        process_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"coopkit-offer:{name}:{offer_id}:{head}"))
        record = build_record(
            Offer,
            {
                "id": offer_id,
                "process_id": process_id,
                "date": ctx.today,
                "before": day,
                "commit": head,
                "authority": _sender(snap).name,
                "archive": recipient.name,
                "items": items,
            },
            offer_path(offer_id),
        )
        files, entries = _primaries(ctx, snap, items, "B", step)
        message = _message(snap, OFFER_MESSAGE, "0501", process_id, ctx.today, entries)
        files[message_name(process_id, OFFER_MESSAGE)] = render_message(message, primaries=False)
        files[MANIFEST] = render_manifest(files)
        tx.create(offer_path(offer_id), dump_record(record))
        commit, target = _commit_with_package(
            tx,
            T(
                "Archiv: Anbietung {o} an {a} ({n} Objekte)",
                "archive: offer {o} to {a} ({n} items)",
                o=offer_id,
                a=recipient.name,
                n=len(items),
            ),
            files,
            output,
        )
    return OfferResult(record, target, sorted(files), commit)


def _get_offer(records: ArchiveRecords, offer_id: str) -> Offer:
    located = records.offers.get(offer_id)
    if located is None:
        raise NotFound(
            T(
                "Anbietung „{o}“ gibt es nicht; vorhanden: {k}",
                'offer "{o}" does not exist; known: {k}',
                o=offer_id,
                k=", ".join(sorted(records.offers)) or "—",
            )
        )
    return located.value


def _resolve(offer_record: Offer, ref: str) -> OfferedItem | None:
    """Find an offered item by its key (agreements/ID), its bare id or its xdomea ID."""
    for item in offer_record.items:
        if ref in (item.item, item.uuid, item.item.split("/", 1)[1]):
            return item
    return None


def read_appraisal(path: Path, data: bytes, offer_record: Offer) -> dict[str, Decision]:
    """Read an xdomea 0502 Bewertungsverzeichnis: item key -> taken (A) / declined (V).

    Problems name the file and line; a code other than A or V, an unknown ID or another
    ProzessID is a problem.
    """
    from lxml import etree

    shown = str(path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        line, col = err.position if err.position else (0, 0)
        raise ProblemsFound(
            [Problem(Source(shown, line, col + 1), T("kein XML: {e}", "not XML: {e}", e=err.msg))]
        ) from err
    problems: list[Problem] = []
    if etree.QName(root).localname != "Aussonderung.Bewertungsverzeichnis.0502":
        raise ProblemsFound(
            [
                Problem(
                    Source(shown, root.sourceline or 1, 1),
                    T(
                        "erwartet Aussonderung.Bewertungsverzeichnis.0502, gefunden {n}",
                        "expected Aussonderung.Bewertungsverzeichnis.0502, found {n}",
                        n=etree.QName(root).localname,
                    ),
                )
            ]
        )

    def local(node: etree._Element, name: str) -> list[etree._Element]:
        return [c for c in node if isinstance(c.tag, str) and etree.QName(c).localname == name]

    for head in local(root, "Kopf"):
        for process in local(head, "ProzessID"):
            if (process.text or "").strip() != offer_record.process_id:
                problems.append(
                    Problem(
                        Source(shown, process.sourceline or 0, 1),
                        T(
                            "ProzessID {p} gehört nicht zur Anbietung {o} ({q})",
                            "process id {p} does not belong to offer {o} ({q})",
                            p=(process.text or "").strip(),
                            o=offer_record.id,
                            q=offer_record.process_id,
                        ),
                    )
                )
    by_uuid = {i.uuid: i for i in offer_record.items}
    decisions: dict[str, Decision] = {}
    for judged in local(root, "BewertetesObjekt"):
        ids = local(judged, "ID")
        ident = (ids[0].text or "").strip() if ids else ""
        codes = [c for c in judged.iter() if isinstance(c.tag, str) and c.tag == "code"]
        code = (codes[0].text or "").strip() if codes else ""
        where = Source(shown, judged.sourceline or 0, 1)
        item = by_uuid.get(ident)
        if item is None:
            problems.append(
                Problem(
                    where,
                    T(
                        "ID {u} ist kein angebotenes Objekt von {o}",
                        "id {u} is not an item offered in {o}",
                        u=ident or "—",
                        o=offer_record.id,
                    ),
                )
            )
            continue
        if code not in ("A", "V"):
            problems.append(
                Problem(
                    where,
                    T(
                        "Aussonderungsart „{c}“ für {i}: erwartet A (archivwürdig) oder V "
                        "(vernichten)",
                        'appraisal "{c}" for {i}: expected A (archive) or V (destroy)',
                        c=code or "—",
                        i=item.item,
                    ),
                )
            )
            continue
        decisions[item.item] = "taken" if code == "A" else "declined"
    if problems:
        raise ProblemsFound(problems)
    return decisions


def record_answer(
    ctx: Context,
    offer_id: str,
    *,
    taken: Sequence[str] = (),
    declined: Sequence[str] = (),
    appraisal: Path | None = None,
    day: date,
    reference: str,
) -> AnswerResult:
    """Record the archive's answer (taken / declined per item, date, reference) as one commit."""
    from coopkit.store.regular import read_regular

    with writing(ctx) as tx:
        records = load_archive(ctx.root)
        _refuse_problems(records)
        offer_record = _get_offer(records, offer_id)
        decisions: dict[str, Decision] = {}
        if appraisal is not None:
            try:
                data = read_regular(appraisal, 16 * 1024 * 1024)
            except OSError as err:
                raise UsageError(
                    T("--file {p}: {e}", "--file {p}: {e}", p=str(appraisal), e=str(err))
                ) from err
            decisions.update(read_appraisal(appraisal, data, offer_record))
        unknown = []
        for refs, decision in ((taken, "taken"), (declined, "declined")):
            for ref in refs:
                item = _resolve(offer_record, ref)
                if item is None:
                    unknown.append(ref)
                    continue
                if decisions.get(item.item, decision) != decision:
                    raise UsageError(
                        T(
                            "{i} ist zugleich übernommen und abgelehnt",
                            "{i} is both taken and declined",
                            i=item.item,
                        )
                    )
                decisions[item.item] = decision  # type: ignore[assignment]
        if unknown:
            raise UsageError(
                T(
                    "nicht in der Anbietung {o}: {u}; angeboten: {k}",
                    "not in offer {o}: {u}; offered: {k}",
                    o=offer_id,
                    u=", ".join(unknown),
                    k=", ".join(i.item for i in offer_record.items),
                )
            )
        if not decisions:
            raise UsageError(
                T(
                    "keine Antwort angegeben: --taken OBJEKT, --declined OBJEKT oder --file "
                    "BEWERTUNG.xml",
                    "no answer given: --taken ITEM, --declined ITEM or --file APPRAISAL.xml",
                )
            )
        states = item_states(records).get(offer_id, {})
        again = sorted(k for k in decisions if states.get(k) and states[k].decision)
        if again:
            raise UsageError(
                T(
                    "schon beantwortet: {i}",
                    "already answered: {i}",
                    i=", ".join(again),
                )
            )
        if day < offer_record.date or day > ctx.today:
            raise UsageError(
                T(
                    "--date {d}: erwartet zwischen der Anbietung ({o}) und heute ({t})",
                    "--date {d}: expected between the offer ({o}) and today ({t})",
                    d=day.isoformat(),
                    o=offer_record.date.isoformat(),
                    t=ctx.today.isoformat(),
                )
            )
        by_key = {i.item: i for i in offer_record.items}
        n = records.next_answer(offer_id)
        path = answer_path(offer_id, n)
        while tx.exists(path):
            n += 1
            path = answer_path(offer_id, n)
        record = build_record(
            Answer,
            {
                "offer": offer_id,
                "process_id": offer_record.process_id,
                "date": day,
                "reference": reference,
                "items": [
                    AnsweredItem(
                        item=k,
                        uuid=by_key[k].uuid,
                        sha256=by_key[k].sha256,
                        decision=decisions[k],
                    )
                    for k in sorted(decisions)
                ],
            },
            path,
        )
        tx.create(path, dump_record(record))
        result = tx.commit(
            T(
                "Archiv: Antwort auf {o} ({t} übernommen, {d} abgelehnt; {r})",
                "archive: answer to {o} ({t} taken, {d} declined; {r})",
                o=offer_id,
                t=sum(1 for v in decisions.values() if v == "taken"),
                d=sum(1 for v in decisions.values() if v == "declined"),
                r=reference,
            )
        )
    return AnswerResult(record, result)


def handover(
    ctx: Context, offer_id: str, output: Path, step: StepFn | None = None
) -> HandoverResult:
    """Hand the items the archive took over (0503 with primaries) and record it.

    Each item must be unchanged since the offer (its SHA-256 over the files as HEAD holds
    them); a changed item has to be offered again.
    """
    _check_target(ctx, output)
    with writing(ctx) as tx:
        records = load_archive(ctx.root)
        _refuse_problems(records)
        offer_record = _get_offer(records, offer_id)
        if offer_id in records.handovers:
            raise UsageError(
                T(
                    "die Anbietung {o} ist schon abgegeben ({d})",
                    "offer {o} is already handed over ({d})",
                    o=offer_id,
                    d=records.handovers[offer_id].value.date.isoformat(),
                )
            )
        states = item_states(records)[offer_id]
        taken = [i for i in offer_record.items if states[i.item].decision == "taken"]
        if not taken:
            raise UsageError(
                T(
                    "das Archiv hat aus {o} nichts übernommen (oder noch nicht geantwortet: "
                    "coop archive answer {o} …)",
                    "the archive took nothing from {o} (or has not answered yet: "
                    "coop archive answer {o} …)",
                    o=offer_id,
                )
            )
        _dirty(ctx, [(i.item, i.paths, i.item + "/") for i in taken])
        changed = []
        with GitRepo(ctx.root) as repo:
            tree = repo.list_files("HEAD")
            for item in taken:
                paths = sorted(
                    p for p in tree if p == item.item + ".md" or p.startswith(item.item + "/")
                )
                blobs = repo.read_blobs([f"HEAD:{p}" for p in paths])
                content = {p: blobs[f"HEAD:{p}"] or b"" for p in paths}
                if not paths or item_digest(content) != item.sha256:
                    changed.append(item.item)
        if changed:
            raise UsageError(
                T(
                    "seit der Anbietung geändert: {i}; abgegeben wird nur, was angeboten wurde "
                    "(neu anbieten: coop archive offer)",
                    "changed since the offer: {i}; only what was offered is handed over "
                    "(offer again: coop archive offer)",
                    i=", ".join(changed),
                )
            )
        snap = tx.snapshot()
        files, entries = _primaries(ctx, snap, taken, "A", step)
        message = _message(
            snap, HANDOVER_MESSAGE, "0503", offer_record.process_id, ctx.today, entries
        )
        files[message_name(offer_record.process_id, HANDOVER_MESSAGE)] = render_message(
            message, primaries=True
        )
        record = build_record(
            Handover,
            {
                "offer": offer_id,
                "process_id": offer_record.process_id,
                "date": ctx.today,
                "items": [HandedOverItem(item=i.item, uuid=i.uuid, sha256=i.sha256) for i in taken],
                "files": [
                    HandedOverFile(name=n, sha256=sha256_hex(files[n])) for n in sorted(files)
                ],
            },
            handover_path(offer_id),
        )
        files[MANIFEST] = render_manifest(files)
        tx.create(handover_path(offer_id), dump_record(record))
        commit, target = _commit_with_package(
            tx,
            T(
                "Archiv: Abgabe {o} an {a} ({n} Objekte)",
                "archive: hand-over {o} to {a} ({n} items)",
                o=offer_id,
                a=offer_record.archive,
                n=len(taken),
            ),
            files,
            output,
        )
    return HandoverResult(record, target, sorted(files), commit)
