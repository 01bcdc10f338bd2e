"""`coop search`: full-text search over every record, served by the derived index."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coopkit.errors import T, UsageError
from coopkit.index.search import (
    Hit,
    RefreshStats,
    SearchDoc,
    fts_query,
    query_words,
    refresh_changes,
    search,
)
from coopkit.model.agreement import Agreement
from coopkit.model.fulfilment import Fulfilment
from coopkit.model.minutes import ActionRecord, Minutes
from coopkit.model.names import fold_positions
from coopkit.model.partner import Partner
from coopkit.model.signoff import SignOff
from coopkit.queries.context import Context
from coopkit.store import layout
from coopkit.store.files import WorkTree
from coopkit.store.regular import FileRefused

if TYPE_CHECKING:
    from coopkit.queries.state import TreeState

KINDS = ("partner", "agreement", "signoff", "fulfilment", "minutes", "action")


@dataclass(frozen=True)
class SearchResult:
    """A hit with the line where the searched words stand and a snippet of that line."""

    path: str
    line: int
    kind: str
    record_id: str
    title: str
    day: str | None
    snippet: str


def _lines(*parts: Any) -> str:
    return "\n".join(str(p) for p in parts if p)


def describe(value: Any) -> tuple[str, str, str, str | None]:
    """Return (record id, title, searchable text, ISO day) of a record."""
    if isinstance(value, Partner):
        address = value.address
        body = _lines(
            value.name,
            value.short,
            value.represented_by,
            value.representative,
            address.street if address else None,
            address.city if address else None,
            *(_lines(c.name, c.function, " ".join(c.topics)) for c in value.contacts),
        )
        return value.id, value.name, body, None
    if isinstance(value, Agreement):
        body = _lines(
            value.title,
            value.preamble,
            *(f"§ {c.number} {c.title}\n{c.text}" for c in value.clauses),
            *(_lines(o.id, o.what, o.how, o.condition) for o in value.obligations),
        )
        return (
            value.id,
            value.title,
            body,
            value.valid_from.isoformat() if value.valid_from else None,
        )
    if isinstance(value, Minutes):
        body = _lines(
            value.title,
            value.place,
            *(_lines(g.name, g.org, g.function) for g in value.attendance.guests),
            *(
                _lines(top.title, top.notes, *top.decisions, *(a.what for a in top.actions))
                for top in value.tops
            ),
            value.remarks,
        )
        return value.id, value.title, body, value.date.isoformat()
    if isinstance(value, SignOff):
        key = f"{value.agreement}/{value.version}/{value.partner}"
        title = f"{value.agreement} {value.version}: {value.partner}"
        return (
            key,
            title,
            _lines(value.signatory, value.function, value.place),
            value.date.isoformat(),
        )
    if isinstance(value, Fulfilment):
        key = f"{value.obligation}/{value.partner}/{value.due.isoformat()}"
        return (
            key,
            f"{value.obligation} ({value.partner})",
            _lines(value.note),
            value.date.isoformat(),
        )
    if isinstance(value, ActionRecord):
        return value.action, value.action, _lines(value.note), value.date.isoformat()
    raise TypeError(type(value).__name__)


SNIPPET_WIDTH = 100


def locate(text: str, user_text: str) -> tuple[int, str]:
    """Return the line where the searched words stand, and a snippet of that line.

    Lines are compared folded (`strasse` finds `Straße`); the line with the most of the words
    wins, the first such line on a tie. The found words are marked `[so]` in the snippet.
    Without any, line 1 and an empty snippet.
    """
    words = query_words(user_text)
    patterns = [re.compile(r"(?<!\w)" + re.escape(word)) for word in words]
    best: tuple[int, int, list[int], str] | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        folded, positions = fold_positions(line)
        starts = sorted({positions[m.start()] for p in patterns for m in p.finditer(folded)})
        hits = sum(1 for p in patterns if p.search(folded))
        if hits and (best is None or hits > best[0]):
            best = (hits, number, starts, line)
            if hits == len(patterns):
                break
    if best is None:
        return 1, ""
    _, number, starts, line = best
    return number, _snippet(line, starts)


_WORD_END = re.compile(r"[\w.\-/@#]*")


def _snippet(line: str, starts: list[int]) -> str:
    marked, last = [], 0
    for start in starts:
        if start < last:
            continue
        end = _WORD_END.match(line, start).end()  # type: ignore[union-attr]
        while end > start + 1 and line[end - 1] in ".-/@#":
            end -= 1
        marked += [line[last:start], "[", line[start:end], "]"]
        last = end
    text = " ".join(("".join(marked) + line[last:]).split())
    if len(text) <= SNIPPET_WIDTH:
        return text
    # Keep the first found word near the front; cut at word boundaries and mark the cuts.
    first = text.find("[")
    begin = max(0, first - SNIPPET_WIDTH // 4)
    if begin:
        begin = text.find(" ", begin, first) + 1 or begin
    piece = text[begin : begin + SNIPPET_WIDTH]
    if begin + SNIPPET_WIDTH < len(text):
        piece = piece.rsplit(" ", 1)[0] + " …"
    return ("… " if begin else "") + piece


def update_index(ctx: Context) -> RefreshStats:
    """Refresh the search index from the working tree (only files whose blob id changed)."""
    from coopkit.queries.state import scan

    return _refresh(ctx, scan(ctx.root))


def _refresh(ctx: Context, state: TreeState) -> RefreshStats:
    """Index the record files of a scanned tree whose blob id the index does not have yet."""
    from coopkit.index.cache import ParseCacheDB
    from coopkit.queries.state import SPECIAL
    from coopkit.store.files import parse_file

    wanted = {
        path: blob
        for path, blob in state.blobs.items()
        if blob != SPECIAL and layout.kind_of(path) in KINDS
    }
    source = state.source()

    def build(paths: list[str]) -> list[SearchDoc]:
        docs = []
        with ParseCacheDB(ctx.root) as cache:
            for path in paths:
                located, _ = parse_file(source, path, cache)
                if located is None:
                    continue  # a file that does not load is not searchable (check names it)
                record_id, title, body, day = describe(located.value)
                kind = layout.kind_of(path) or "?"
                docs.append(SearchDoc(path, wanted[path], kind, record_id, title, body, day))
        return docs

    return refresh_changes(ctx.root, wanted, build)


def find(
    ctx: Context,
    user_text: str,
    kind: str | None = None,
    limit: int = 20,
    state: TreeState | None = None,
) -> list[SearchResult]:
    """Search every record for all words of `user_text`; best matches first.

    The index is first brought up to date with the working tree (`state`, when it was scanned
    already): only files whose blob id changed are read.
    """
    from coopkit.queries.state import scan

    if kind is not None and kind not in KINDS:
        raise UsageError(
            T(
                "unbekannte Art „{k}“; möglich: {a}",
                'unknown kind "{k}"; possible: {a}',
                k=kind,
                a=", ".join(KINDS),
            )
        )
    if not fts_query(user_text):
        raise UsageError(T("Suchtext ohne Wörter", "search text has no words"))
    _refresh(ctx, state if state is not None else scan(ctx.root))
    hits: list[Hit] = search(ctx.root, user_text, kind, limit)
    source = WorkTree(ctx.root)
    results = []
    for hit in hits:
        try:
            raw = source.read(hit.path) or b""
        except FileRefused:
            raw = b""
        line, snippet = locate(raw.decode("utf-8", errors="replace"), user_text)
        results.append(
            SearchResult(
                hit.path, line, hit.kind, hit.record_id, hit.title, hit.day, snippet or hit.title
            )
        )
    return results
