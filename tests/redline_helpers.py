"""Accept or reject every tracked change of a .docx, the way Word does, from the XML itself."""

from __future__ import annotations

import copy
import io
import zipfile
from typing import Any

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _q(tag: str) -> str:
    return f"{{{W}}}{tag}"


def _body(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    body = root.find(_q("body"))
    assert body is not None
    return body


def _unwrap(element: etree._Element) -> None:
    parent = element.getparent()
    index = parent.index(element)
    for child in list(element):
        parent.insert(index, child)
        index += 1
    parent.remove(element)


def _resolve(body: etree._Element, accept: bool) -> None:
    dropped, kept = ("del", "ins") if accept else ("ins", "del")
    # Rows first: a row marked as dropped goes with everything in it.
    for tr in list(body.iter(_q("tr"))):
        if tr.find(f"{_q('trPr')}/{_q(dropped)}") is not None:
            tr.getparent().remove(tr)
    for tbl in list(body.iter(_q("tbl"))):
        if tbl.find(_q("tr")) is None:
            tbl.getparent().remove(tbl)
    for ppr in list(body.iter(_q("pPr"))):
        change = ppr.find(_q("pPrChange"))
        if change is None:
            continue
        ppr.remove(change)
        if not accept:
            for child in list(ppr):
                if etree.QName(child).localname not in ("rPr", "sectPr"):
                    ppr.remove(child)
            old = change.find(_q("pPr"))
            for child in reversed(list(old if old is not None else [])):
                ppr.insert(0, child)
    for element in list(body.iter(_q(dropped))):
        parent = element.getparent()
        if etree.QName(parent).localname in ("p", "hyperlink"):
            parent.remove(element)
    for element in list(body.iter(_q(kept))):
        if etree.QName(element.getparent()).localname in ("p", "hyperlink"):
            _unwrap(element)
    if not accept:
        for text in list(body.iter(_q("delText"))):
            text.tag = _q("t")
    # Paragraph marks: a dropped mark joins the paragraph with the next one (its mark holds).
    for p in list(body.iter(_q("p"))):
        mark = p.find(f"{_q('pPr')}/{_q('rPr')}/{_q(dropped)}")
        if mark is None:
            continue
        following = p.getnext()
        if following is None or etree.QName(following).localname != "p":
            continue
        target_ppr = following.find(_q("pPr"))
        anchor = 0 if target_ppr is None else 1
        for child in reversed([c for c in p if etree.QName(c).localname != "pPr"]):
            following.insert(anchor, child)
        p.getparent().remove(p)
    for rpr in body.iter(_q("rPr")):
        for kind in ("ins", "del"):
            for element in rpr.findall(_q(kind)):
                rpr.remove(element)


def _ppr(p: etree._Element) -> str:
    ppr = p.find(_q("pPr"))
    if ppr is None:
        return ""
    clean = copy.deepcopy(ppr)
    for child in list(clean):
        if etree.QName(child).localname in ("rPr", "sectPr", "pPrChange"):
            clean.remove(child)
    if len(clean) == 0:
        return ""
    return etree.tostring(clean, encoding="unicode")


def _model(container: etree._Element) -> list[Any]:
    items: list[Any] = []
    for child in container:
        name = etree.QName(child).localname
        if name == "p":
            text = "".join(t.text or "" for t in child.iter(_q("t")))
            breaks = len(list(child.iter(_q("br"))))
            items.append(("p", _ppr(child), text, breaks))
        elif name == "tbl":
            rows = [[_model(tc) for tc in tr.findall(_q("tc"))] for tr in child.findall(_q("tr"))]
            items.append(("tbl", rows))
    return items


def body_model(data: bytes) -> list[Any]:
    """Return paragraphs (properties, text) and tables (cell by cell) of a document's body."""
    return _model(_body(data))


def resolve_model(data: bytes, accept: bool) -> list[Any]:
    """Return the body model after accepting (or rejecting) every tracked change."""
    body = copy.deepcopy(_body(data))
    _resolve(body, accept)
    return _model(body)


def paragraphs(model: list[Any]) -> list[str]:
    """Return the texts of all paragraphs of a model, cells included, in order."""
    out: list[str] = []
    for item in model:
        if item[0] == "p":
            out.append(item[2])
        else:
            for row in item[1]:
                for cell in row:
                    out += paragraphs(cell)
    return out


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
