"""Accept or reject every tracked change of a .docx, the way Word does, from the XML itself."""

from __future__ import annotations

import io
import zipfile

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _q(tag: str) -> str:
    return f"{{{W}}}{tag}"


def _inside(element: etree._Element, tag: str, stop: etree._Element) -> bool:
    parent = element.getparent()
    while parent is not None and parent is not stop:
        if parent.tag == _q(tag):
            return True
        parent = parent.getparent()
    return False


def resolve(data: bytes, accept: bool) -> list[tuple[str, str]]:
    """Return (style id, text) per paragraph after accepting (or rejecting) every change.

    Accepting keeps inserted text and drops deleted text; a deleted paragraph mark joins the
    paragraph with the next one. Rejecting does the opposite. Trailing empty paragraphs go.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    body = root.find(_q("body"))
    assert body is not None
    dropped, kept_text = ("del", "t") if accept else ("ins", "delText")
    result: list[tuple[str, str]] = []
    pending = ""
    for para in body.iter(_q("p")):
        text = pending
        for element in para.iter(_q("t"), _q("delText")):
            tag = etree.QName(element).localname
            if _inside(element, dropped, para):
                continue
            if tag == "t" or (tag == kept_text):
                text += element.text or ""
        mark = para.find(f"{_q('pPr')}/{_q('rPr')}")
        mark_kind = None
        if mark is not None:
            for kind in ("ins", "del"):
                if mark.find(_q(kind)) is not None:
                    mark_kind = kind
        if mark_kind == dropped:
            pending = text
            continue
        pending = ""
        style = para.find(f"{_q('pPr')}/{_q('pStyle')}")
        result.append((style.get(_q("val")) if style is not None else "Normal", text))
    if pending:
        result.append(("Normal", pending))
    while result and not result[-1][1]:
        result.pop()
    return result


def changes(data: bytes) -> list[tuple[str, str, str, str]]:
    """Return (ins|del, author, date, text) of every tracked change, in document order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    found = []
    for element in root.iter(_q("ins"), _q("del")):
        text = "".join(t.text or "" for t in element.iter(_q("t"), _q("delText")))
        found.append(
            (
                etree.QName(element).localname,
                element.get(_q("author")),
                element.get(_q("date")),
                text,
            )
        )
    return found


def style_id(name: str) -> str:
    """Return the style id Word uses for a style name ("Heading 1" -> "Heading1")."""
    return name.replace(" ", "")
