"""The archive hand-over as files: xdomea messages (0501, 0503), a checksum list, a table document.

The messages follow xdomea 3.0.0 (namespace `urn:xoev-de:xdomea:schema:3.0.0`) as far as
docs/archiv.md establishes it; the XML is written in a fixed order with fixed formatting, so
the same records give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from lxml import etree

from coopkit.render.package import ZIP_TIME, DocumentInfo

XDOMEA_NS = "urn:xoev-de:xdomea:schema:3.0.0"
XDOMEA_VERSION = "3.0.0"
MESSAGE_LIST = "urn:xoev-de:xdomea:codeliste:nachrichtentyp"
APPRAISAL_LIST = "urn:xoev-de:xdomea:codeliste:aussonderungsart"
FORMAT_LIST = "urn:xoev-de:xdomea:codeliste:dateiformat"
OFFER_MESSAGE = "Aussonderung.Anbieteverzeichnis.0501"
APPRAISAL_MESSAGE = "Aussonderung.Bewertungsverzeichnis.0502"
HANDOVER_MESSAGE = "Aussonderung.Aussonderung.0503"
MANIFEST = "SHA256SUMS"
"""The checksum list: `sha256sum -c SHA256SUMS` checks a package."""


def message_name(process_id: str, message: str) -> str:
    """Return the file name of a message: `<ProzessID>_<message>.xml`, as archives expect it."""
    return f"{process_id}_{message}.xml"


@dataclass(frozen=True)
class Party:
    """Sender or recipient of a message: an institution, optionally with its authority code."""

    name: str
    code: str | None = None


@dataclass(frozen=True)
class Doc:
    """A document of an item: a primary file (PDF/A) with its metadata."""

    uuid: str
    title: str
    file: str
    """The file name in the package."""
    source: str
    """Where it came from in the repository (DateinameOriginal)."""
    day: date | None = None
    author: str = ""


@dataclass(frozen=True)
class Part:
    """A Vorgang of an Akte: one version of an agreement, or the evaluation reports."""

    uuid: str
    title: str
    key: str
    begin: date | None
    end: date | None
    docs: list[Doc] = field(default_factory=list)


@dataclass(frozen=True)
class Entry:
    """A Schriftgutobjekt: an agreement's Akte (with Vorgänge) or one meeting's Vorgang."""

    uuid: str
    kind: str
    """"Akte" or "Vorgang"."""
    title: str
    key: str
    begin: date | None
    end: date | None
    appraisal: str
    """B (to be appraised) in an offer, A (archive) in a hand-over."""
    parts: list[Part] = field(default_factory=list)
    docs: list[Doc] = field(default_factory=list)


@dataclass(frozen=True)
class Message:
    """One xdomea message of the hand-over."""

    name: str
    code: str
    process_id: str
    created: str
    sender: Party
    recipient: Party
    entries: list[Entry]
    system_version: str


def _x(tag: str) -> str:
    return f"{{{XDOMEA_NS}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    node = etree.SubElement(parent, _x(tag))
    if text is not None:
        node.text = text
    return node


def _code(parent: etree._Element, tag: str, value: str, uri: str, version: str) -> None:
    node = _sub(parent, tag)
    node.set("listURI", uri)
    node.set("listVersionID", version)
    # Code values of XÖV code types are unqualified child elements.
    etree.SubElement(node, "code").text = value


def _party(parent: etree._Element, tag: str, party: Party) -> None:
    node = _sub(parent, tag)
    if party.code:
        known = _sub(node, "Behoerdenkennung")
        etree.SubElement(_sub(known, "Behoerdenschluessel"), "code").text = party.code
    _sub(_sub(node, "Institution"), "Name", party.name)


def _period(parent: etree._Element, begin: date | None, end: date | None) -> None:
    if begin is None and end is None:
        return
    node = _sub(parent, "Laufzeit")
    if begin is not None:
        _sub(node, "Beginn", begin.isoformat())
    if end is not None:
        _sub(node, "Ende", end.isoformat())


def _identified(
    parent: etree._Element, tag: str, uuid: str, title: str, key: str
) -> etree._Element:
    node = _sub(parent, tag)
    _sub(_sub(node, "Identifikation"), "ID", uuid)
    general = _sub(node, "AllgemeineMetadaten")
    _sub(general, "Betreff", title)
    _sub(general, "Kennzeichen", key)
    return node


def _document(parent: etree._Element, doc: Doc, primaries: bool) -> None:
    node = _identified(parent, "Dokument", doc.uuid, doc.title, doc.source)
    if doc.day is not None:
        _sub(node, "DatumDesSchreibens", doc.day.isoformat())
    if not primaries:
        return
    version = _sub(node, "Version")
    _sub(version, "Nummer", "1")
    fmt = _sub(version, "Format")
    _code(fmt, "Name", "pdf", FORMAT_LIST, "2.0")
    _sub(fmt, "Version", "PDF/A-2b")
    primary = _sub(fmt, "Primaerdokument")
    _sub(primary, "Dateiname", doc.file)
    _sub(primary, "DateinameOriginal", doc.source)
    if doc.author:
        _sub(primary, "Ersteller", doc.author)


def _appraisal(parent: etree._Element, code: str) -> None:
    archival = _sub(parent, "ArchivspezifischeMetadaten")
    outer = _sub(archival, "Aussonderungsart")
    _code(outer, "Aussonderungsart", code, APPRAISAL_LIST, "1.0")


def render_message(message: Message, *, primaries: bool) -> bytes:
    """Return an xdomea message (0501 without, 0503 with primary documents) as UTF-8 XML."""
    root = etree.Element(_x(message.name), nsmap={"xdomea": XDOMEA_NS})
    head = _sub(root, "Kopf")
    _sub(head, "ProzessID", message.process_id)
    _code(head, "Nachrichtentyp", message.code, MESSAGE_LIST, "1.0")
    _sub(head, "Erstellungszeitpunkt", message.created)
    _party(head, "Absender", message.sender)
    _party(head, "Empfaenger", message.recipient)
    system = _sub(head, "SendendesSystem")
    _sub(system, "Produktname", "coopkit")
    _sub(system, "Version", message.system_version)
    if message.code == "0503":
        _sub(head, "Importbestaetigung", "true")
        _sub(head, "RueckmeldungArchivkennung", "true")
    _sub(head, "Empfangsbestaetigung", "true")
    for entry in message.entries:
        holder = _sub(root, "Schriftgutobjekt")
        node = _identified(holder, entry.kind, entry.uuid, entry.title, entry.key)
        _appraisal(node, entry.appraisal)
        _period(node, entry.begin, entry.end)
        if entry.kind == "Akte":
            content = _sub(node, "Akteninhalt")
            for part in entry.parts:
                inner = _identified(content, "Vorgang", part.uuid, part.title, part.key)
                _appraisal(inner, entry.appraisal)
                _period(inner, part.begin, part.end)
                for doc in part.docs:
                    _document(inner, doc, primaries)
        else:
            for doc in entry.docs:
                _document(node, doc, primaries)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of bytes as 64 hex digits."""
    return hashlib.sha256(data).hexdigest()


def render_manifest(files: Mapping[str, bytes]) -> bytes:
    """Return the checksum list of a package in `sha256sum` format, sorted by name."""
    lines = [f"{sha256_hex(files[name])}  {name}\n" for name in sorted(files)]
    return "".join(lines).encode("utf-8")


def render_zip(files: Mapping[str, bytes]) -> bytes:
    """Return a zip of the files: sorted, with fixed time stamps and modes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            item = zipfile.ZipInfo(name, ZIP_TIME)
            item.compress_type = zipfile.ZIP_DEFLATED
            item.external_attr = 0o644 << 16
            archive.writestr(item, files[name])
    return buffer.getvalue()


def render_table_docx(
    info: DocumentInfo,
    heading: str,
    lines: Sequence[str],
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
) -> bytes:
    """Return a Word document with a heading, some lines and one table (landscape)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    from coopkit.render.package import finish_docx
    from coopkit.render.tables import W, hold_rows

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    document.add_heading(heading, level=1)
    for line in lines:
        document.add_paragraph(line)
    table = document.add_table(rows=len(rows) + 1, cols=len(headers))
    table.style = "Table Grid"
    for r, values in enumerate([list(headers), *[list(row) for row in rows]]):
        for c, value in enumerate(values):
            run = table.cell(r, c).paragraphs[0].add_run(value)
            run.bold = r == 0
            run.font.size = Pt(8)
    hold_rows(document.element.body.findall(f"{{{W}}}tbl")[-1], header_rows=1)
    out = io.BytesIO()
    document.save(out)
    return finish_docx(out.getvalue(), info)
