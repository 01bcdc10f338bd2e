"""Tables that hold on paper: rows never split across pages, header rows repeat."""

from __future__ import annotations

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TRPR_ORDER = (
    "cnfStyle",
    "divId",
    "gridBefore",
    "gridAfter",
    "wBefore",
    "wAfter",
    "cantSplit",
    "trHeight",
    "tblHeader",
    "tblCellSpacing",
    "jc",
    "hidden",
    "ins",
    "del",
    "trPrChange",
)


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def set_row_flag(tr: etree._Element, flag: str, element: etree._Element | None = None) -> None:
    """Add `w:<flag>` (empty, or `element`) to a row's properties in schema order (once)."""
    trpr = tr.find(_w("trPr"))
    if trpr is None:
        trpr = etree.Element(_w("trPr"))
        anchor = tr.find(_w("tblPrEx"))
        if anchor is not None:
            anchor.addnext(trpr)
        else:
            tr.insert(0, trpr)
    if trpr.find(_w(flag)) is not None:
        return
    if element is None:
        element = etree.Element(_w(flag))
    rank = _TRPR_ORDER.index(flag)
    for child in trpr:
        name = etree.QName(child).localname
        if name in _TRPR_ORDER and _TRPR_ORDER.index(name) > rank:
            child.addprevious(element)
            return
    trpr.append(element)


def hold_rows(tbl: etree._Element, header_rows: int = 0) -> None:
    """Keep every row of a table on one page; repeat the first `header_rows` on each page."""
    for index, tr in enumerate(tbl.findall(_w("tr"))):
        set_row_flag(tr, "cantSplit")
        if index < header_rows:
            set_row_flag(tr, "tblHeader")
