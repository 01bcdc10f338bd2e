"""A Word document with real tracked changes (w:ins / w:del) between two states of a text.

The text is a list of blocks (one paragraph each, with a style). Both states are flattened into
tokens — words, whitespace, punctuation, and one paragraph-mark token per block — and compared
in two steps: blocks first (so unchanged paragraphs stay put), then word by word inside changed
stretches. An inserted or deleted paragraph mark is tracked on the paragraph itself
(`w:pPr/w:rPr/w:ins|w:del`), so accepting every change gives exactly the newer text and
rejecting every change gives exactly the older one.

Attribution rule: the caller passes every intermediate state (one per commit) with the change
that produced it. Each word the newer text has and the older lacks is attributed to the change
that inserted it (and after which it survived to the end); each word the older text has and the
newer lacks is attributed to the change where it disappeared. Where the chain of intermediate
states and the direct comparison disagree (a space aligned differently, text deleted and
restored), a token takes the change of its nearest attributed neighbour in the same run, else
the last change: the shown changes always come from the direct comparison, the chain only
names who made them.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from coopkit.errors import InternalError, T

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
MARK = "\x00"
"""Prefix of a paragraph-mark token; NUL never occurs in repository text (it is refused)."""

Opcode = tuple[str, int, int, int, int]


@dataclass(frozen=True)
class Block:
    """One paragraph: its Word style name and its text."""

    style: str
    text: str


@dataclass(frozen=True)
class Change:
    """Who made a change and when (the commit that made it)."""

    author: str
    date: datetime

    def stamp(self) -> str:
        """Return the date as Word wants it: `2014-03-10T12:00:00Z`."""
        moment = self.date if self.date.tzinfo else self.date.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tokenize(text: str) -> list[str]:
    """Split text into words, runs of whitespace and single punctuation marks."""
    return _TOKEN.findall(text)


def flatten(blocks: Sequence[Block]) -> list[str]:
    """Return the tokens of all blocks, each block followed by its paragraph-mark token."""
    tokens: list[str] = []
    for block in blocks:
        tokens += tokenize(block.text)
        tokens.append(MARK + block.style)
    return tokens


def _block_offsets(blocks: Sequence[Block]) -> list[int]:
    offsets = [0]
    for block in blocks:
        offsets.append(offsets[-1] + len(tokenize(block.text)) + 1)
    return offsets


def diff_tokens(old: Sequence[Block], new: Sequence[Block]) -> list[Opcode]:
    """Return opcodes over the flattened tokens: paragraphs first, then words in changed runs."""
    old_tokens, new_tokens = flatten(old), flatten(new)
    old_at, new_at = _block_offsets(old), _block_offsets(new)
    result: list[Opcode] = []
    blocks = difflib.SequenceMatcher(None, list(old), list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in blocks.get_opcodes():
        a1, a2, b1, b2 = old_at[i1], old_at[i2], new_at[j1], new_at[j2]
        if tag != "replace":
            result.append((tag, a1, a2, b1, b2))
            continue
        words = difflib.SequenceMatcher(None, old_tokens[a1:a2], new_tokens[b1:b2], autojunk=False)
        opcodes: list[Opcode] = [
            (wtag, a1 + w1, a1 + w2, b1 + v1, b1 + v2)
            for wtag, w1, w2, v1, v2 in words.get_opcodes()
        ]
        result += _fold_spaces(opcodes, old_tokens)
    return result


def _fold_spaces(opcodes: Sequence[Opcode], old_tokens: list[str]) -> list[Opcode]:
    """Join changes separated only by whitespace, so "Die Caritas" reads as one change."""
    marked = list(opcodes)
    for index in range(1, len(marked) - 1):
        tag, i1, i2, j1, j2 = marked[index]
        if (
            tag == "equal"
            and marked[index - 1][0] != "equal"
            and marked[index + 1][0] != "equal"
            and all(not t.strip() and not t.startswith(MARK) for t in old_tokens[i1:i2])
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
    """For the direct comparison old → new: which change made each inserted and deleted token."""

    opcodes: list[Opcode]
    inserted: dict[int, int]
    """Token index in the newer text -> index of the change that inserted it."""
    deleted: dict[int, int]
    """Token index in the older text -> index of the change that deleted it."""


def _fill(labels: list[int | None], last: int) -> list[int]:
    """Give unattributed tokens the change of their nearest attributed neighbour in the run."""
    known = [label for label in labels if label is not None]
    if not known:
        return [last] * len(labels)
    result: list[int] = []
    current = known[0]
    for label in labels:
        current = label if label is not None else current
        result.append(current)
    return result


def attribute(states: Sequence[Sequence[Block]]) -> Attribution:
    """Compare the first and last state; attribute each difference along the chain of states.

    `states[k + 1]` is the result of change k. See the module docstring for the rule.
    """
    if len(states) < 2:
        raise InternalError(T("Redline braucht zwei Stände", "a redline needs two states"))
    last = len(states) - 2
    # origin[t]: index of the token in the first state, or None; added[t]: change that added it.
    origin: list[int | None] = list(range(len(flatten(states[0]))))
    added: list[int | None] = [None] * len(origin)
    deleted_at: dict[int, int] = {}
    for change, (before, after) in enumerate(zip(states, states[1:], strict=False)):
        new_origin: list[int | None] = []
        new_added: list[int | None] = []
        for tag, i1, i2, j1, j2 in diff_tokens(before, after):
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
    opcodes = diff_tokens(states[0], states[-1])
    inserted: dict[int, int] = {}
    deleted: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in opcodes:
        if tag in ("insert", "replace"):
            found = _fill([added[j] for j in range(j1, j2)], last)
            inserted.update(zip(range(j1, j2), found, strict=True))
        if tag in ("delete", "replace"):
            found = _fill([deleted_at.get(i) for i in range(i1, i2)], last)
            deleted.update(zip(range(i1, i2), found, strict=True))
    return Attribution(opcodes, inserted, deleted)


Piece = tuple[str, str, int | None]
"""(token, "equal" | "ins" | "del", change index)."""


def merged_paragraphs(states: Sequence[Sequence[Block]]) -> list[tuple[str, list[Piece], Piece]]:
    """Return the redline as paragraphs: (style, pieces of text, the paragraph-mark piece)."""
    attribution = attribute(states)
    old_tokens, new_tokens = flatten(states[0]), flatten(states[-1])
    stream: list[Piece] = []
    for tag, i1, i2, j1, j2 in attribution.opcodes:
        if tag == "equal":
            stream += [(t, "equal", None) for t in new_tokens[j1:j2]]
            continue
        stream += [(old_tokens[i], "del", attribution.deleted[i]) for i in range(i1, i2)]
        stream += [(new_tokens[j], "ins", attribution.inserted[j]) for j in range(j1, j2)]
    paragraphs: list[tuple[str, list[Piece], Piece]] = []
    pieces: list[Piece] = []
    for piece in stream:
        if piece[0].startswith(MARK):
            paragraphs.append((piece[0][len(MARK) :], pieces, piece))
            pieces = []
        else:
            pieces.append(piece)
    if pieces:
        paragraphs.append(("Normal", pieces, ("", "equal", None)))
    return paragraphs


class _Writer:
    """Builds the tracked-change elements with unique ids."""

    def __init__(self, changes: Sequence[Change]) -> None:
        self.changes = changes
        self.next_id = 1

    def mark(self, kind: str, change: int | None) -> object:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        element = OxmlElement(f"w:{kind}")
        who = self.changes[change if change is not None else -1]
        element.set(qn("w:id"), str(self.next_id))
        element.set(qn("w:author"), who.author)
        element.set(qn("w:date"), who.stamp())
        self.next_id += 1
        return element

    @staticmethod
    def run(text: str, deleted: bool) -> object:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        run = OxmlElement("w:r")
        body = OxmlElement("w:delText" if deleted else "w:t")
        body.set(qn("xml:space"), "preserve")
        body.text = text
        run.append(body)
        return run


def _groups(pieces: list[Piece]) -> list[tuple[str, int | None, str]]:
    groups: list[tuple[str, int | None, str]] = []
    for token, kind, change in pieces:
        if groups and groups[-1][0] == kind and groups[-1][1] == change:
            groups[-1] = (kind, change, groups[-1][2] + token)
        else:
            groups.append((kind, change, token))
    return groups


def _set_fonts(document: object) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    section = document.sections[0]  # type: ignore[attr-defined]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin, section.right_margin = Cm(2.5), Cm(2.0)
    styles = document.styles  # type: ignore[attr-defined]
    normal = styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), "Calibri")
    for name in ("Title", "Heading 1", "Heading 2"):
        styles[name].font.name = "Calibri"
        styles[name].font.color.rgb = RGBColor(0, 0, 0)
    styles["Title"].font.size = Pt(16)
    styles["Title"].font.bold = True
    title_ppr = styles["Title"].element.get_or_add_pPr()
    for border in title_ppr.findall(qn("w:pBdr")):
        title_ppr.remove(border)


def render_redline(
    states: Sequence[Sequence[Block]], changes: Sequence[Change], header: str = ""
) -> bytes:
    """Return a .docx of the last state with the differences to the first as tracked changes.

    Args:
        states: the first state, every intermediate state, the last state.
        changes: `changes[k]` made `states[k + 1]`; at least one.
        header: a line for the page header (not part of the tracked text).
    """
    import docx
    from docx.oxml import OxmlElement

    if len(changes) != len(states) - 1 or not changes:
        raise InternalError(
            T(
                "Redline: {s} Stände, {c} Änderungen",
                "redline: {s} states, {c} changes",
                s=len(states),
                c=len(changes),
            )
        )
    document = docx.Document()
    _set_fonts(document)
    if header:
        document.sections[0].header.paragraphs[0].text = header
    writer = _Writer(changes)
    paragraphs = merged_paragraphs(states)
    for style, pieces, (_, mark_kind, mark_change) in paragraphs:
        paragraph = document.add_paragraph(style=style)
        p = paragraph._p
        if mark_kind != "equal":
            properties = p.get_or_add_pPr()
            rpr = OxmlElement("w:rPr")
            rpr.append(writer.mark(mark_kind, mark_change))
            properties.append(rpr)
        for kind, change, text in _groups(pieces):
            run = writer.run(text, kind == "del")
            if kind == "equal":
                p.append(run)
                continue
            wrapper = writer.mark(kind, change)
            wrapper.append(run)  # type: ignore[attr-defined]
            p.append(wrapper)
    if paragraphs and paragraphs[-1][2][1] != "equal":
        # Word cannot remove the document's final paragraph mark; give it an untracked one.
        document.add_paragraph()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
