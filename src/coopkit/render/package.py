"""The finishing pass over every .docx coopkit writes: language, core properties, fixed bytes.

Word templates (python-docx's default among them) declare `en-US` in styles.xml and in
`themeFontLang`; Word then spell-checks and hyphenates German as English. The core properties
of python-docx's template say creator "python-docx", created 2013, and carry a thumbnail of an
unrelated document. This pass sets the document language everywhere, writes the core
properties from the record, drops the thumbnail and stores every zip member with a fixed time
stamp, so the same input gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from xml.sax.saxutils import escape

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
THUMBNAIL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
DROPPED = {THUMBNAIL, STYLES_WITH_EFFECTS}
"""Parts nobody needs: a picture of another document, and Word 2010's copy of the styles."""
_LANG_VAL = re.compile(rb'(<w:lang\b[^>]*?\bw:val=")([^"]*)(")')
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
LANG_TAGS = {"de": "de-DE", "en": "en-GB"}
_LANG_PARTS = ("word/document.xml", "word/styles.xml", "word/stylesWithEffects.xml")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def lang_tag(lang: str) -> str:
    """Return the BCP 47 tag Word uses for a coopkit language ("de" -> "de-DE")."""
    return LANG_TAGS.get(lang, "de-DE")


@dataclass(frozen=True)
class DocumentInfo:
    """What the core properties of a document say: title, subject, author, dates."""

    title: str
    subject: str = ""
    author: str = ""
    created: date | datetime | None = None
    modified: date | datetime | None = None
    lang: str = "de"
    keywords: str = ""


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def _stamp(value: date | datetime | None) -> str:
    if value is None:
        value = date(1980, 1, 1)
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0, 0), tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def core_xml(info: DocumentInfo) -> bytes:
    """Return docProps/core.xml for `info`."""
    created = _stamp(info.created)
    modified = _stamp(info.modified or info.created)
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(info.title)}</dc:title>"
        f"<dc:subject>{escape(info.subject)}</dc:subject>"
        f"<dc:creator>{escape(info.author)}</dc:creator>"
        f"<cp:keywords>{escape(info.keywords)}</cp:keywords>"
        f"<dc:language>{lang_tag(info.lang)}</dc:language>"
        f"<cp:lastModifiedBy>{escape(info.author)}</cp:lastModifiedBy>"
        "<cp:revision>1</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{modified}</dcterms:modified>'
        "</cp:coreProperties>"
    ).encode()


def set_languages(root: etree._Element, tag: str, *, defaults: bool = False) -> None:
    """Point every `w:lang` of a part at `tag`; with `defaults`, also the document defaults."""
    for element in root.iter(_w("lang")):
        element.set(_w("val"), tag)
        if element.get(_w("eastAsia")) is not None:
            element.set(_w("eastAsia"), tag)
    if not defaults:
        return
    doc_defaults = root.find(_w("docDefaults"))
    if doc_defaults is None:
        return
    rpr_default = doc_defaults.find(_w("rPrDefault"))
    if rpr_default is None:
        rpr_default = etree.Element(_w("rPrDefault"))
        doc_defaults.insert(0, rpr_default)
    rpr = rpr_default.find(_w("rPr"))
    if rpr is None:
        rpr = etree.SubElement(rpr_default, _w("rPr"))
    if rpr.find(_w("lang")) is None:
        lang = etree.Element(_w("lang"))
        lang.set(_w("val"), tag)
        lang.set(_w("eastAsia"), tag)
        lang.set(_w("bidi"), "ar-SA")
        # w:lang comes late in CT_RPr; only w:eastAsianLayout, w:specVanish, w:oMath follow it.
        late = [
            child
            for child in rpr
            if etree.QName(child).localname in ("eastAsianLayout", "specVanish", "oMath")
        ]
        if late:
            late[0].addprevious(lang)
        else:
            rpr.append(lang)


def _settings(root: etree._Element, tag: str) -> None:
    for element in root.iter(_w("themeFontLang")):
        element.set(_w("val"), tag)


def _app(data: bytes) -> bytes:
    text = data.decode("utf-8")
    start, end = text.find("<Application>"), text.find("</Application>")
    if start >= 0 and end > start:
        text = text[: start + len("<Application>")] + "coopkit" + text[end:]
    return text.encode("utf-8")


def _drop_parts(rels: bytes, types: bytes, base: str) -> tuple[bytes, bytes, set[str]]:
    """Remove relationships of the DROPPED types; return the new parts and the dropped names."""
    root = etree.fromstring(rels, _PARSER)
    dropped: set[str] = set()
    for rel in list(root):
        if rel.get("Type") in DROPPED:
            target = rel.get("Target") or ""
            dropped.add(target.lstrip("/") if target.startswith("/") else base + target)
            root.remove(rel)
    if not dropped:
        return rels, types, dropped
    ct = etree.fromstring(types, _PARSER)
    for override in list(ct):
        if (override.get("PartName") or "").lstrip("/") in dropped:
            ct.remove(override)
    return _xml(root), _xml(ct), dropped


def _default_lang(styles: bytes) -> bool:
    start = styles.find(b"<w:rPrDefault>")
    end = styles.find(b"</w:rPrDefault>", start)
    return start >= 0 and b"<w:lang " in styles[start:end]


def _xml(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def finish_docx(data: bytes, info: DocumentInfo) -> bytes:
    """Return the .docx with language, core properties and fixed zip time stamps set."""
    tag = lang_tag(info.lang)
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {item.filename: source.read(item.filename) for item in source.infolist()}
    order = [item.filename for item in source.infolist()]
    source.close()
    dropped: set[str] = set()
    for rels_name, base in (("_rels/.rels", ""), ("word/_rels/document.xml.rels", "word/")):
        if rels_name in members and "[Content_Types].xml" in members:
            rels, types, gone = _drop_parts(
                members[rels_name], members["[Content_Types].xml"], base
            )
            members[rels_name], members["[Content_Types].xml"] = rels, types
            dropped |= gone
    for name in list(members):
        if name in dropped:
            continue
        if name in _LANG_PARTS or (
            name.startswith(("word/header", "word/footer")) and name.endswith(".xml")
        ):
            members[name] = _LANG_VAL.sub(
                lambda m: m.group(1) + tag.encode() + m.group(3), members[name]
            )
            if name.startswith("word/styles") and not _default_lang(members[name]):
                root = etree.fromstring(members[name], _PARSER)
                set_languages(root, tag, defaults=True)
                members[name] = _xml(root)
        elif name == "word/settings.xml":
            root = etree.fromstring(members[name], _PARSER)
            _settings(root, tag)
            members[name] = _xml(root)
    if "docProps/core.xml" in members:
        members["docProps/core.xml"] = core_xml(info)
    if "docProps/app.xml" in members:
        members["docProps/app.xml"] = _app(members["docProps/app.xml"])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in order:
            if name in dropped:
                continue
            item = zipfile.ZipInfo(name, ZIP_TIME)
            item.compress_type = zipfile.ZIP_DEFLATED
            item.external_attr = 0o644 << 16
            target.writestr(item, members[name], compresslevel=1)
    return out.getvalue()
