"""Tracked changes (w:ins / w:del) between two renderings of the same Word template.

Both states of a document are rendered through the same template; this module compares the
two bodies block by block — paragraphs, tables, rows, cells — and writes the newer document
with every difference marked as a tracked change, in its own layout. Paragraphs are compared
as tokens (words, whitespace, punctuation, tabs and breaks, each with its run formatting) plus
one paragraph-mark token carrying the paragraph properties; tables are matched by their
header row, rows by their text, cells one by one.

Accepting every change gives exactly the newer rendering, rejecting every change the older
one: inserted and deleted paragraph marks sit on the paragraph (`w:pPr/w:rPr/w:ins|w:del`);
the last paragraph of a cell or before a table keeps its mark and records a change of its
properties (`w:pPrChange`); whole rows are marked in `w:trPr`.

Attribution: the caller passes every intermediate rendering (one per commit) with the change
that produced it. Each token the newer text has and the older lacks is attributed to the
change that inserted it (and after which it survived to the end); each token the older text
has and the newer lacks to the change where it disappeared. Where the chain and the direct
comparison disagree, a token takes the change of its nearest attributed neighbour, else the
last change: the shown changes always come from the direct comparison, the chain only names
who made them.
"""

from __future__ import annotations

import copy
import difflib
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from coopkit.errors import InternalError, T
from coopkit.render.package import DocumentInfo, finish_docx, lang_tag
from coopkit.render.tables import set_row_flag

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
MARK = "\x00"
STRUCT = "\x03"
_RPR_ORDER = (
    "ins del moveFrom moveTo rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline "
    "shadow emboss imprint noProof snapToGrid vanish webHidden color spacing w kern position sz "
    "szCs highlight u effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout "
    "specVanish oMath"
).split()

Opcode = tuple[str, int, int, int, int]


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def _local(element: etree._Element) -> str:
    return str(etree.QName(element).localname)


def _canon(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return str(etree.tostring(element, encoding="unicode"))


@dataclass(frozen=True)
class Change:
    """Who made a change and when (the commit that made it)."""

    author: str
    date: datetime

    def stamp(self) -> str:
        """Return the date as Word wants it: `2014-03-10T12:00:00Z`."""
        moment = self.date if self.date.tzinfo else self.date.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Tok:
    """One token of a paragraph: text, an element inside a run, or the paragraph mark."""

    key: str
    kind: str
    """"text", "elem" (tab, break, drawing inside a run), "para" (bookmark, field) or "mark"."""
    text: str = ""
    rpr: etree._Element | None = None
    element: etree._Element | None = None
    index: int = -1


@dataclass
class Para:
    """A paragraph: its tokens, the last being the mark (which holds the properties)."""

    tokens: list[Tok]

    @property
    def key(self) -> tuple[str, ...]:
        """Return the keys of all tokens (what decides equality)."""
        return tuple(t.key for t in self.tokens)


@dataclass
class Cell:
    """A table cell: its properties and its paragraphs and tables."""

    element: etree._Element
    items: list[Item]


@dataclass
class Row:
    """A table row: the row element (for its properties) and its cells."""

    element: etree._Element
    cells: list[Cell]
    index: int = -1

    @property
    def key(self) -> tuple[object, ...]:
        """Return the texts of the row, cell by cell."""
        return tuple(tuple(_item_key(i) for i in c.items) for c in self.cells)


@dataclass
class Table:
    """A table: the element (for its properties and grid) and its rows."""

    element: etree._Element
    rows: list[Row]
    index: int = -1

    @property
    def signature(self) -> tuple[object, ...]:
        """Return what identifies a table across versions: its width and its first row."""
        first = self.rows[0].key if self.rows else ()
        return (max((len(r.cells) for r in self.rows), default=0), first)


Item = Para | Table


def _item_key(item: Item) -> object:
    if isinstance(item, Para):
        return item.key
    return ("table", tuple(r.key for r in item.rows))


# --- reading a body ---------------------------------------------------------------------------


def _paragraph(p: etree._Element) -> Para:
    tokens: list[Tok] = []
    for child in p:
        name = _local(child)
        if name == "pPr":
            continue
        if name != "r":
            if name in ("bookmarkStart", "bookmarkEnd", "proofErr", "lastRenderedPageBreak"):
                continue
            tokens.append(Tok("\x01" + _canon(child), "para", element=child))
            continue
        rpr = child.find(_w("rPr"))
        style = _canon(rpr)
        for part in child:
            part_name = _local(part)
            if part_name == "rPr":
                continue
            if part_name == "t":
                for word in _TOKEN.findall(part.text or ""):
                    tokens.append(Tok(word + "\x02" + style, "text", word, rpr))
            elif part_name != "lastRenderedPageBreak":
                tokens.append(Tok("\x01" + _canon(part) + style, "elem", rpr=rpr, element=part))
    ppr = p.find(_w("pPr"))
    tokens.append(Tok(MARK + _ppr_key(ppr), "mark", element=ppr))
    return Para(tokens)


def _ppr_key(ppr: etree._Element | None) -> str:
    if ppr is None:
        return ""
    clean = copy.deepcopy(ppr)
    for child in list(clean):
        if _local(child) in ("rPr", "pPrChange", "sectPr"):
            clean.remove(child)
    return _canon(clean)


def _table(tbl: etree._Element) -> Table:
    rows = []
    for tr in tbl.findall(_w("tr")):
        cells = [Cell(tc, _items(tc)) for tc in tr.findall(_w("tc"))]
        rows.append(Row(tr, cells))
    return Table(tbl, rows)


def _items(container: etree._Element) -> list[Item]:
    items: list[Item] = []
    for child in container:
        name = _local(child)
        if name == "p":
            items.append(_paragraph(child))
        elif name == "tbl":
            items.append(_table(child))
    return items


def _number(items: list[Item], flat: list[str]) -> None:
    """Give every token, row and table its index in the flat token list of the document."""
    for item in items:
        if isinstance(item, Para):
            for token in item.tokens:
                token.index = len(flat)
                flat.append(token.key)
            continue
        item.index = len(flat)
        flat.append(STRUCT + "tbl")
        for row in item.rows:
            row.index = len(flat)
            flat.append(STRUCT + "tr")
            for cell in row.cells:
                flat.append(STRUCT + "tc")
                _number(cell.items, flat)
                flat.append(STRUCT + "/tc")
            flat.append(STRUCT + "/tr")
        flat.append(STRUCT + "/tbl")


@dataclass
class Document:
    """A rendered .docx: its package bytes, the parsed document.xml and the body's items."""

    data: bytes
    root: etree._Element
    items: list[Item]
    flat: list[str] = field(default_factory=list)


def read_document(data: bytes) -> Document:
    """Parse the body of a rendered .docx into paragraphs and tables."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"), _PARSER)
    body = root.find(_w("body"))
    if body is None:
        raise InternalError(T("Word-Dokument ohne Inhalt", "Word document without a body"))
    document = Document(data, root, _items(body))
    _number(document.items, document.flat)
    return document


# --- comparing token lists ----------------------------------------------------------------------


def _units(keys: Sequence[str]) -> list[tuple[int, int]]:
    """Split a flat key list into units: paragraphs (ending in a mark) and structure tokens."""
    spans = []
    start = 0
    for index, key in enumerate(keys):
        if key.startswith((MARK, STRUCT)):
            spans.append((start, index + 1))
            start = index + 1
    if start < len(keys):
        spans.append((start, len(keys)))
    return spans


def diff_keys(old: Sequence[str], new: Sequence[str]) -> list[Opcode]:
    """Return opcodes over two key lists: units (paragraphs) first, then tokens in changes."""
    old_units, new_units = _units(old), _units(new)
    matcher = difflib.SequenceMatcher(
        None,
        [tuple(old[a:b]) for a, b in old_units],
        [tuple(new[a:b]) for a, b in new_units],
        autojunk=False,
    )
    old_at = [a for a, _ in old_units] + [len(old)]
    new_at = [a for a, _ in new_units] + [len(new)]
    result: list[Opcode] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        a1, a2, b1, b2 = old_at[i1], old_at[i2], new_at[j1], new_at[j2]
        if tag != "replace":
            result.append((tag, a1, a2, b1, b2))
            continue
        words = difflib.SequenceMatcher(None, old[a1:a2], new[b1:b2], autojunk=False)
        result += [
            (wtag, a1 + w1, a1 + w2, b1 + v1, b1 + v2)
            for wtag, w1, w2, v1, v2 in words.get_opcodes()
        ]
    return _fold_spaces(result, old)


def _fold_spaces(opcodes: Sequence[Opcode], old: Sequence[str]) -> list[Opcode]:
    """Join changes separated only by whitespace, so "Die Caritas" reads as one change."""
    marked = list(opcodes)
    for index in range(1, len(marked) - 1):
        tag, i1, i2, j1, j2 = marked[index]
        if (
            tag == "equal"
            and marked[index - 1][0] != "equal"
            and marked[index + 1][0] != "equal"
            and all(
                not k.split("\x02")[0].strip() and k[0] not in (MARK, STRUCT, "\x01")
                for k in old[i1:i2]
            )
        ):
            marked[index] = ("replace", i1, i2, j1, j2)
    result: list[Opcode] = []
    for tag, i1, i2, j1, j2 in marked:
        if tag != "equal" and result and result[-1][0] != "equal":
            _, p1, _, q1, _ = result[-1]
            i1, j1 = p1, q1
            result.pop()
        if tag != "equal":
            tag = "replace" if i2 > i1 and j2 > j1 else ("delete" if i2 > i1 else "insert")
        result.append((tag, i1, i2, j1, j2))
    return result


@dataclass(frozen=True)
class Attribution:
    """Which change inserted each token of the newest state and deleted each of the oldest."""

    inserted: dict[int, int]
    deleted: dict[int, int]
    last: int

    def who_inserted(self, index: int) -> int | None:
        """Return the change that inserted the token at `index` of the newest state."""
        return self.inserted.get(index)

    def who_deleted(self, index: int) -> int | None:
        """Return the change that deleted the token at `index` of the oldest state."""
        return self.deleted.get(index)


def attribute(states: Sequence[Sequence[str]]) -> Attribution:
    """Follow every token along the chain of states; see the module docstring for the rule."""
    if len(states) < 2:
        raise InternalError(T("Redline braucht zwei Stände", "a redline needs two states"))
    origin: list[int | None] = list(range(len(states[0])))
    added: list[int | None] = [None] * len(origin)
    deleted_at: dict[int, int] = {}
    for change, (before, after) in enumerate(zip(states, states[1:], strict=False)):
        new_origin: list[int | None] = []
        new_added: list[int | None] = []
        for tag, i1, i2, j1, j2 in diff_keys(before, after):
            if tag == "equal":
                new_origin += origin[i1:i2]
                new_added += added[i1:i2]
                continue
            for source in origin[i1:i2]:
                if source is not None:
                    deleted_at.setdefault(source, change)
            new_origin += [None] * (j2 - j1)
            new_added += [change] * (j2 - j1)
        origin, added = new_origin, new_added
    inserted = {index: change for index, change in enumerate(added) if change is not None}
    return Attribution(inserted, deleted_at, len(states) - 2)


# --- writing the merged body ----------------------------------------------------------------------


class _Writer:
    """Builds tracked-change elements with unique ids and the change that made them."""

    def __init__(self, changes: Sequence[Change], attribution: Attribution, lang: str) -> None:
        self.changes = changes
        self.attribution = attribution
        self.lang = lang_tag(lang)
        self.next_id = 1
        self.recent = attribution.last

    def change_of(self, kind: str, token_index: int) -> int:
        """Return the change for an inserted/deleted token (its neighbour's when unknown)."""
        found = (
            self.attribution.who_inserted(token_index)
            if kind == "ins"
            else self.attribution.who_deleted(token_index)
        )
        if found is not None:
            self.recent = found
        return self.recent

    def mark(self, kind: str, change: int) -> etree._Element:
        """Return an empty `w:ins`/`w:del`/`w:pPrChange` element for a change."""
        element = etree.Element(_w(kind))
        who = self.changes[change]
        element.set(_w("id"), str(self.next_id))
        element.set(_w("author"), who.author)
        element.set(_w("date"), who.stamp())
        self.next_id += 1
        return element

    def run(self, rpr: etree._Element | None, deleted: bool) -> etree._Element:
        """Return a new run with a copy of the formatting and the document language."""
        run = etree.Element(_w("r"))
        props = copy.deepcopy(rpr) if rpr is not None else etree.Element(_w("rPr"))
        if props.find(_w("lang")) is None:
            lang = etree.Element(_w("lang"))
            lang.set(_w("val"), self.lang)
            _insert_ordered(props, lang, _RPR_ORDER)
        run.append(props)
        del deleted
        return run


def _insert_ordered(parent: etree._Element, element: etree._Element, order: list[str]) -> None:
    rank = order.index(_local(element))
    for child in parent:
        name = _local(child)
        if name in order and order.index(name) > rank:
            child.addprevious(element)
            return
    parent.append(element)


def _set_mark(ppr: etree._Element, element: etree._Element) -> None:
    """Put `w:ins`/`w:del` on the paragraph mark (first in `w:pPr/w:rPr`)."""
    rpr = ppr.find(_w("rPr"))
    if rpr is None:
        rpr = etree.Element(_w("rPr"))
        anchor = next((c for c in ppr if _local(c) in ("sectPr", "pPrChange")), None)
        if anchor is not None:
            anchor.addprevious(rpr)
        else:
            ppr.append(rpr)
    rpr.insert(0, element)


def _emit_tokens(p: etree._Element, tokens: Sequence[tuple[Tok, str]], writer: _Writer) -> None:
    """Append runs for (token, "equal" | "ins" | "del") to paragraph `p`, grouping neighbours."""
    current: etree._Element | None = None
    current_sig: tuple[str, str, int] | None = None
    text_element: etree._Element | None = None
    for token, kind in tokens:
        if token.kind == "para":
            if kind != "del" and token.element is not None:
                p.append(copy.deepcopy(token.element))
            current, current_sig, text_element = None, None, None
            continue
        change = writer.change_of(kind, token.index) if kind != "equal" else -1
        sig = (kind, _canon(token.rpr), change)
        if current is None or sig != current_sig or token.kind == "elem":
            run = writer.run(token.rpr, kind == "del")
            if kind == "equal":
                p.append(run)
            else:
                wrapper = writer.mark(kind, change)
                wrapper.append(run)
                p.append(wrapper)
            current, current_sig, text_element = run, sig, None
        if token.kind == "elem":
            if token.element is not None:
                current.append(copy.deepcopy(token.element))
            current, current_sig = None, None
            continue
        if text_element is None:
            text_element = etree.SubElement(current, _w("delText" if kind == "del" else "t"))
            text_element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            text_element.text = ""
        text_element.text = (text_element.text or "") + token.text


def _new_paragraph(mark: Tok) -> tuple[etree._Element, etree._Element]:
    p = etree.Element(_w("p"))
    ppr = copy.deepcopy(mark.element) if mark.element is not None else etree.Element(_w("pPr"))
    for child in list(ppr):
        if _local(child) == "pPrChange":
            ppr.remove(child)
    p.append(ppr)
    return p, ppr


def _paragraph_stream(
    stream: Sequence[tuple[Tok, str]], writer: _Writer, final: tuple[Tok, Tok] | None
) -> list[etree._Element]:
    """Turn a token stream with marks into paragraphs; `final` = (old, new) last marks kept."""
    out: list[etree._Element] = []
    pending: list[tuple[Tok, str]] = []
    for token, kind in stream:
        if token.kind != "mark":
            pending.append((token, kind))
            continue
        p, ppr = _new_paragraph(token)
        if kind != "equal":
            _set_mark(ppr, writer.mark(kind, writer.change_of(kind, token.index)))
        _emit_tokens(p, pending, writer)
        _drop_empty(ppr)
        out.append(p)
        pending = []
    if final is not None:
        old_mark, new_mark = final
        p, ppr = _new_paragraph(new_mark)
        if old_mark.key != new_mark.key:
            change = writer.mark("pPrChange", writer.recent)
            old_ppr = etree.SubElement(change, _w("pPr"))
            if old_mark.element is not None:
                for child in old_mark.element:
                    if _local(child) not in ("rPr", "sectPr", "pPrChange"):
                        old_ppr.append(copy.deepcopy(child))
            ppr.append(change)
        _emit_tokens(p, pending, writer)
        _drop_empty(ppr)
        out.append(p)
    elif pending:
        p = etree.Element(_w("p"))
        _emit_tokens(p, pending, writer)
        out.append(p)
    return out


def _drop_empty(ppr: etree._Element) -> None:
    if len(ppr) == 0 and not ppr.attrib:
        parent = ppr.getparent()
        if parent is not None:
            parent.remove(ppr)


def _whole(item: Item, kind: str, writer: _Writer) -> list[etree._Element]:
    """Return an item entirely inserted or deleted."""
    if isinstance(item, Para):
        return _paragraph_stream([(t, kind) for t in item.tokens], writer, None)
    table = copy.deepcopy(item.element)
    for tr in table.findall(_w("tr")):
        table.remove(tr)
    for row in item.rows:
        table.append(_whole_row(row, kind, writer))
    return [table]


def _whole_row(row: Row, kind: str, writer: _Writer) -> etree._Element:
    tr = copy.deepcopy(row.element)
    for tc in tr.findall(_w("tc")):
        tr.remove(tc)
    first = next(
        (t.index for c in row.cells for i in c.items if isinstance(i, Para) for t in i.tokens), -1
    )
    set_row_flag(tr, kind, writer.mark(kind, writer.change_of(kind, first)))
    for cell in row.cells:
        tc = _cell_shell(cell)
        for item in cell.items:
            if isinstance(item, Para):
                # The row's own mark covers the cell's paragraph marks.
                stream = [(t, kind if t.kind != "mark" else "equal") for t in item.tokens]
                tc.extend(
                    _paragraph_stream(stream[:-1], writer, (item.tokens[-1], item.tokens[-1]))
                )
            else:
                tc.extend(_whole(item, kind, writer))
        tr.append(tc)
    return tr


def _cell_shell(cell: Cell) -> etree._Element:
    tc = copy.deepcopy(cell.element)
    for child in list(tc):
        if _local(child) != "tcPr":
            tc.remove(child)
    return tc


def merge_items(old: list[Item], new: list[Item], writer: _Writer) -> list[etree._Element]:
    """Return the merged elements of a container (body or cell): new with tracked changes."""
    old_tables = [i for i in old if isinstance(i, Table)]
    new_tables = [i for i in new if isinstance(i, Table)]
    pairs: list[tuple[Table, Table]] = []
    matcher = difflib.SequenceMatcher(
        None, [t.signature for t in old_tables], [t.signature for t in new_tables], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            for a, b in zip(old_tables[i1:i2], new_tables[j1:j2], strict=False):
                if a.signature[0] == b.signature[0]:
                    pairs.append((a, b))
    out: list[etree._Element] = []
    old_at, new_at = 0, 0
    for old_table, new_table in [*pairs, (None, None)]:
        old_end = old.index(old_table) if old_table is not None else len(old)
        new_end = new.index(new_table) if new_table is not None else len(new)
        out += _merge_segment(old[old_at:old_end], new[new_at:new_end], writer)
        if old_table is None or new_table is None:
            break
        out.append(_merge_table(old_table, new_table, writer))
        old_at, new_at = old_end + 1, new_end + 1
    return out


def _merge_segment(old: list[Item], new: list[Item], writer: _Writer) -> list[etree._Element]:
    """Merge a stretch of paragraphs (and unmatched tables) between matched tables."""
    final: tuple[Para, Para] | None = None
    if old and new and isinstance(old[-1], Para) and isinstance(new[-1], Para):
        final = (old[-1], new[-1])
        old, new = old[:-1], new[:-1]
    out: list[etree._Element] = []
    matcher = difflib.SequenceMatcher(
        None, [_item_key(i) for i in old], [_item_key(i) for i in new], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            stream = [(t, "equal") for i in new[j1:j2] if isinstance(i, Para) for t in i.tokens]
            for item in new[j1:j2]:
                if isinstance(item, Para):
                    out += _paragraph_stream([(t, "equal") for t in item.tokens], writer, None)
                else:
                    out.append(copy.deepcopy(item.element))
            del stream
            continue
        region_old, region_new = old[i1:i2], new[j1:j2]
        if all(isinstance(i, Para) for i in region_old + region_new):
            out += _paragraph_stream(_token_diff(region_old, region_new), writer, None)
            continue
        for item, kind in _mixed_order(region_old, region_new):
            out += _whole(item, kind, writer)
    if final is not None:
        old_last, new_last = final
        stream = _token_diff([Para(old_last.tokens[:-1])], [Para(new_last.tokens[:-1])])
        out += _paragraph_stream(stream, writer, (old_last.tokens[-1], new_last.tokens[-1]))
    elif old or new:
        pass
    return out


def _holds(sequence: list[tuple[Item, str]]) -> bool:
    """Return whether each dropped paragraph mark is followed by a paragraph in its view."""
    for dropped in ("del", "ins"):
        view = [(i, k) for i, k in sequence if not (isinstance(i, Table) and k == dropped)]
        view.append((Para([]), "equal"))
        for (item, kind), (following, _) in zip(view, view[1:], strict=False):
            if isinstance(item, Para) and kind == dropped and not isinstance(following, Para):
                return False
    return True


def _mixed_order(old: list[Item], new: list[Item]) -> list[tuple[Item, str]]:
    """Order a changed stretch holding tables so that accepting gives new, rejecting old.

    A deleted paragraph mark joins its paragraph with the next one; that next one must be a
    paragraph in the view where the mark goes (Word cannot join a paragraph with a table).
    """
    deleted = [(i, "del") for i in old]
    inserted = [(i, "ins") for i in new]
    candidates = [deleted + inserted, inserted + deleted]

    def tables_first(items: list[tuple[Item, str]]) -> bool:
        kinds = [isinstance(i, Table) for i, _ in items]
        return kinds == sorted(kinds, reverse=True)

    if tables_first(deleted) and tables_first(inserted):
        candidates.append(
            [x for x in deleted if isinstance(x[0], Table)]
            + [x for x in inserted if isinstance(x[0], Table)]
            + [x for x in deleted if isinstance(x[0], Para)]
            + [x for x in inserted if isinstance(x[0], Para)]
        )
    return next((c for c in candidates if _holds(c)), candidates[0])


def _token_diff(old: Sequence[Item], new: Sequence[Item]) -> list[tuple[Tok, str]]:
    old_tokens = [t for i in old if isinstance(i, Para) for t in i.tokens]
    new_tokens = [t for i in new if isinstance(i, Para) for t in i.tokens]
    stream: list[tuple[Tok, str]] = []
    opcodes = diff_keys([t.key for t in old_tokens], [t.key for t in new_tokens])
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            stream += [(t, "equal") for t in new_tokens[j1:j2]]
            continue
        stream += [(t, "del") for t in old_tokens[i1:i2]]
        stream += [(t, "ins") for t in new_tokens[j1:j2]]
    return stream


def _merge_table(old: Table, new: Table, writer: _Writer) -> etree._Element:
    table = copy.deepcopy(new.element)
    for tr in table.findall(_w("tr")):
        table.remove(tr)
    matcher = difflib.SequenceMatcher(
        None, [r.key for r in old.rows], [r.key for r in new.rows], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for row in new.rows[j1:j2]:
                table.append(_merge_row(row, row, writer, same=True))
            continue
        old_rows, new_rows = old.rows[i1:i2], new.rows[j1:j2]
        paired = 0
        for a, b in zip(old_rows, new_rows, strict=False):
            if len(a.cells) != len(b.cells):
                break
            table.append(_merge_row(a, b, writer))
            paired += 1
        for row in old_rows[paired:]:
            table.append(_whole_row(row, "del", writer))
        for row in new_rows[paired:]:
            table.append(_whole_row(row, "ins", writer))
    return table


def _merge_row(old: Row, new: Row, writer: _Writer, *, same: bool = False) -> etree._Element:
    tr = copy.deepcopy(new.element)
    if same:
        return tr
    for tc in tr.findall(_w("tc")):
        tr.remove(tc)
    for old_cell, new_cell in zip(old.cells, new.cells, strict=True):
        tc = _cell_shell(new_cell)
        tc.extend(merge_items(old_cell.items, new_cell.items, writer))
        if tc.find(_w("p")) is None:
            etree.SubElement(tc, _w("p"))
        tr.append(tc)
    return tr


# --- the whole document ---------------------------------------------------------------------------


def render_redline(states: Sequence[bytes], changes: Sequence[Change], info: DocumentInfo) -> bytes:
    """Return the last rendering with its differences to the first as tracked changes.

    Args:
        states: the first rendering (.docx bytes), every intermediate one, the last one.
        changes: `changes[k]` made `states[k + 1]`; at least one.
        info: the core properties of the result (its language is the document language).
    """
    if len(changes) != len(states) - 1 or not changes:
        raise InternalError(
            T(
                "Redline: {s} Stände, {c} Änderungen",
                "redline: {s} states, {c} changes",
                s=len(states),
                c=len(changes),
            )
        )
    documents = [read_document(data) for data in states]
    attribution = attribute([d.flat for d in documents])
    old, new = documents[0], documents[-1]
    writer = _Writer(changes, attribution, info.lang)
    merged = merge_items(old.items, new.items, writer)
    body = new.root.find(_w("body"))
    assert body is not None
    section = body.find(_w("sectPr"))
    for child in list(body):
        body.remove(child)
    body.extend(merged)
    if section is not None:
        body.append(section)
    xml = etree.tostring(new.root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return finish_docx(_replace_member(new.data, "word/document.xml", xml), info)


def _replace_member(data: bytes, name: str, payload: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, payload if item.filename == name else source.read(item.filename))
    source.close()
    return out.getvalue()
