"""Three-way merge of one record (YAML or Markdown with front matter), field by field.

Used as git merge driver for coop's records and to settle `coop sync --keep`. Changes to
different fields merge; list items added on both sides (contacts, attendees, TOPs, decisions,
actions, obligations) are all kept, an item removed on one side goes; a Markdown body merges by
`## ` section. A conflict is only the same field (the same list item's same field, the same
section) changed on both sides to different values; `prefer` settles exactly those and keeps
every other change of both sides.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ruamel.yaml.comments import CommentedMap

from coopkit.store.codec import join_front_matter, split_front_matter
from coopkit.store.yamlio import dump_yaml, load_yaml, to_plain

Side = Literal["ours", "theirs"]
"""A side in git's merge-driver terms: `ours` is %A (while rebasing: the branch rebased onto)."""

_MISSING: Any = object()

# List items are matched by a name where they have one, so an item changed on one side and
# another added on the other side stay two items. Lists not named here match by `id` when every
# item has one (contacts, actions, obligations), else by value (attendees, decisions).
_ITEM_KEYS = {"keys": "key", "guests": "name"}
_HEADING = "## "


class MergeConflict(Exception):
    """Both sides changed the same field differently."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


@dataclass
class Merged:
    """A merged text and the places where both sides disagreed and `prefer` decided."""

    text: str
    settled: list[str] = field(default_factory=list)


def _plain(node: Any) -> Any:
    return _MISSING if node is _MISSING else to_plain(node)


def _join(where: str, key: object) -> str:
    return f"{where}.{key}" if where else str(key)


def _field_name(where: str) -> str:
    return where.rsplit(".", 1)[-1]


def _value_key(node: Any) -> str:
    return json.dumps(to_plain(node), sort_keys=True, ensure_ascii=False, default=str)


def _numbered(keys: Sequence[Hashable]) -> list[Hashable]:
    """Number repeated keys (a value listed twice is two items)."""
    seen: dict[Hashable, int] = {}
    result: list[Hashable] = []
    for key in keys:
        seen[key] = seen.get(key, 0) + 1
        result.append((key, seen[key]))
    return result


def _top_ids(base: list[Any], side: list[Any]) -> list[Hashable]:
    """Match a side's TOPs to the base's: by title, else a renamed TOP keeps its position."""
    titles = [to_plain(t).get("title") if isinstance(t, dict) else None for t in base]
    free = set(range(len(base)))
    ids: list[Hashable | None] = [None] * len(side)
    for j, item in enumerate(side):
        title = to_plain(item).get("title") if isinstance(item, dict) else None
        same = [i for i in sorted(free) if titles[i] == title]
        if same:
            i = j if j in same else same[0]
            ids[j] = ("top", i)
            free.discard(i)
    for j in range(len(side)):
        if ids[j] is None and j in free:
            ids[j] = ("top", j)
            free.discard(j)
    fresh = _numbered(
        [_value_key(item.get("title") if isinstance(item, dict) else item) for item in side]
    )
    return [ident if ident is not None else ("new", fresh[j]) for j, ident in enumerate(ids)]


def _identities(
    name: str, base: list[Any], ours: list[Any], theirs: list[Any]
) -> tuple[list[Hashable], list[Hashable], list[Hashable]]:
    items = [*base, *ours, *theirs]
    if name == "tops" and all(isinstance(x, dict) for x in items):
        return [("top", i) for i in range(len(base))], _top_ids(base, ours), _top_ids(base, theirs)
    key = _ITEM_KEYS.get(name, "id")
    if items and all(isinstance(x, dict) and key in x for x in items):

        def ids(side: list[Any]) -> list[Hashable]:
            return _numbered([("key", _value_key(x[key])) for x in side])

    else:

        def ids(side: list[Any]) -> list[Hashable]:
            return _numbered([("value", _value_key(x)) for x in side])

    return ids(base), ids(ours), ids(theirs)


def _label(ident: Hashable, name: str, io: list[Hashable], it: list[Hashable]) -> str:
    """Name a list item in messages: its key, or a TOP's number."""
    if name == "tops" or not isinstance(ident, tuple):
        side = io if ident in io else it
        return str(side.index(ident) + 1)
    (_kind, raw), _n = ident
    text = json.loads(str(raw))
    return str(text) if not isinstance(text, dict | list) else str(_n)


class _Merger:
    """One three-way merge; `prefer` decides conflicts instead of raising."""

    def __init__(self, prefer: Side | None) -> None:
        self.prefer = prefer
        self.settled: list[str] = []

    def clash(self, where: str, ours: Any, theirs: Any) -> Any:
        where = where or "(document)"
        if self.prefer is None:
            raise MergeConflict(where)
        self.settled.append(where)
        return ours if self.prefer == "ours" else theirs

    def value(self, base: Any, ours: Any, theirs: Any, where: str) -> Any:
        pb, po, pt = _plain(base), _plain(ours), _plain(theirs)
        if po == pt:
            return ours
        if po == pb:
            return theirs
        if pt == pb:
            return ours
        if isinstance(ours, dict) and isinstance(theirs, dict):
            return self.mapping(base if isinstance(base, dict) else {}, ours, theirs, where)
        if isinstance(ours, list) and isinstance(theirs, list):
            return self.sequence(base if isinstance(base, list) else [], ours, theirs, where)
        return self.clash(where, ours, theirs)

    def mapping(self, base: Any, ours: Any, theirs: Any, where: str) -> Any:
        own = list(ours.keys())
        for key in own:
            merged = self.value(
                base.get(key, _MISSING), ours[key], theirs.get(key, _MISSING), _join(where, key)
            )
            if merged is _MISSING:
                del ours[key]
            elif merged is not ours[key]:
                ours[key] = merged
                if merged is theirs.get(key) and hasattr(theirs, "ca") and key in theirs.ca.items:
                    # The line as the other side wrote it, its comment where it put it.
                    ours.ca.items[key] = theirs.ca.items[key]
        previous: Any = None
        for key in theirs:
            if key in own:
                previous = key if key in ours else previous
                continue
            merged = self.value(base.get(key, _MISSING), _MISSING, theirs[key], _join(where, key))
            if merged is _MISSING:
                continue
            # A key only the other side added goes where that side put it.
            keys = list(ours.keys())
            position = keys.index(previous) + 1 if previous in keys else 0
            while (
                position < len(keys) and keys[position] not in base and keys[position] not in theirs
            ):
                position += 1  # keys both sides added: ours first
            if hasattr(ours, "insert"):
                ours.insert(position, key, merged)
            else:
                ours[key] = merged
            previous = key
        return ours

    def items(
        self,
        ids: tuple[list[Hashable], list[Hashable], list[Hashable]],
        nodes: tuple[Sequence[Any], Sequence[Any], Sequence[Any]],
        where: str,
        label: Callable[[Hashable], str],
        merge: Callable[[Any, Any, Any, str], Any],
    ) -> tuple[list[Hashable], dict[Hashable, Any]]:
        """Merge matched items one by one; return the merged order and items."""
        ib, io, it = ids
        bmap, omap, tmap = (dict(zip(i, n, strict=True)) for i, n in zip(ids, nodes, strict=True))
        merged: dict[Hashable, Any] = {}
        for ident in dict.fromkeys([*io, *it, *ib]):
            node = merge(
                bmap.get(ident, _MISSING),
                omap.get(ident, _MISSING),
                tmap.get(ident, _MISSING),
                label(ident),
            )
            if node is not _MISSING:
                merged[ident] = node
        return self.order(ib, io, it, merged, where), merged

    def order(
        self,
        ib: list[Hashable],
        io: list[Hashable],
        it: list[Hashable],
        merged: dict[Hashable, Any],
        where: str,
    ) -> list[Hashable]:
        """Return the merged order: a side's reordering wins, additions sit where they were."""
        common = set(io) & set(it) & set(ib)
        ob, oo, ot = ([i for i in side if i in common] for side in (ib, io, it))
        skeleton, other, other_is_theirs = io, it, True
        if oo != ot and ot != ob:
            if oo == ob:
                skeleton, other, other_is_theirs = it, io, False
            elif self.clash(f"{where or '(document)'} (Reihenfolge / order)", io, it) is it:
                skeleton, other, other_is_theirs = it, io, False
        result = [i for i in skeleton if i in merged]
        placed = set(result)
        known = set(ib) | set(it)
        for index, ident in enumerate(other):
            if ident in placed or ident not in merged:
                continue
            before = [i for i in other[:index] if i in placed]
            position = result.index(before[-1]) + 1 if before else 0
            if other_is_theirs:
                # Items both sides added: ours first.
                while position < len(result) and result[position] not in known:
                    position += 1
            result.insert(position, ident)
            placed.add(ident)
        return result

    def sequence(self, base: Any, ours: Any, theirs: Any, where: str) -> Any:
        name = _field_name(where)
        ids = _identities(name, list(base), list(ours), list(theirs))
        order, merged = self.items(
            ids,
            (base, ours, theirs),
            where,
            lambda ident: f"{where}[{_label(ident, name, ids[1], ids[2])}]",
            self.value,
        )
        current = [i for i in ids[1] if i in merged]
        if current == [i for i in order if i in set(ids[1])]:
            # Ours keeps its order: delete, replace and insert in place, so comments stay put.
            for index in reversed(range(len(ids[1]))):
                if ids[1][index] not in merged:
                    del ours[index]
            for position, ident in enumerate(order):
                if position < len(current) and current[position] == ident:
                    if merged[ident] is not ours[position]:
                        ours[position] = merged[ident]
                else:
                    ours.insert(position, merged[ident])
                    current.insert(position, ident)
            return ours
        del ours[:]
        for ident in order:
            ours.append(merged[ident])
        return ours


def _merge_yaml(
    merger: _Merger, base: str, ours: str, theirs: str, path: str, offset: int = 0
) -> str:
    nodes = []
    for text in (base, ours, theirs):
        node, problems = load_yaml(text, path, line_offset=offset)
        if problems:
            raise MergeConflict("(syntax)")
        nodes.append(node if node is not None else CommentedMap())
    merged = merger.value(nodes[0], nodes[1], nodes[2], "")
    if merged is _MISSING:
        return ""
    return dump_yaml(merged)


def _sections(body: str) -> tuple[str, list[str]]:
    """Split a Markdown body into the text before the first `## ` heading and its sections."""
    preamble: list[str] = []
    sections: list[list[str]] = []
    for line in body.splitlines(keepends=True):
        if line.startswith(_HEADING):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
        else:
            preamble.append(line)
    return "".join(preamble), ["".join(s) for s in sections]


def _split_trail(text: str) -> tuple[str, str]:
    core = text.rstrip("\n")
    return core, text[len(core) :]


def _merge_body(merger: _Merger, base: str, ours: str, theirs: str) -> str:
    """Merge Markdown bodies by `## ` section: one section changed on both sides conflicts."""
    parts = [_sections(text) for text in (base, ours, theirs)]
    heads = [_numbered([s.split("\n", 1)[0].rstrip() for s in sections]) for _, sections in parts]
    split = [[_split_trail(s) for s in sections] for _, sections in parts]
    trails: dict[Hashable, str] = {}
    for side in (2, 1):
        trails.update(zip(heads[side], (t for _, t in split[side]), strict=True))
    intro = [_split_trail(p) for p, _ in parts]

    def merge_text(b: Any, o: Any, t: Any, where: str) -> Any:
        if o == t:
            return o
        if o == b:
            return t
        if t == b:
            return o
        return merger.clash(where, o, t)

    preamble = merge_text(
        intro[0][0], intro[1][0], intro[2][0], "(Markdown) Einleitung / introduction"
    )
    ids = (heads[0], heads[1], heads[2])
    order, merged = merger.items(
        ids,
        tuple([c for c, _ in side] for side in split),  # type: ignore[arg-type]
        "(Markdown)",
        lambda ident: f"(Markdown) {ident[0]}",  # type: ignore[index]
        merge_text,
    )
    # The file ends as ours does; a blank line separates sections where none was written.
    lasts = [side[-1][1] if side else intro[i][1] for i, side in enumerate(split)]
    ending = lasts[1] or lasts[2]
    if not order:
        return str(preamble) + ending
    lead = intro[1][1] if intro[1][0] or not intro[2][0] else intro[2][1]
    pieces = [preamble + (lead or ("\n\n" if preamble else ""))]
    for n, ident in enumerate(order):
        last = n == len(order) - 1
        trail = trails.get(ident, "")
        pieces.append(merged[ident] + (ending if last else trail if len(trail) > 1 else "\n\n"))
    return "".join(pieces)


def merge_texts(base: str, ours: str, theirs: str, path: str, prefer: Side | None = None) -> Merged:
    """Return the three-way merge of a record's texts and where `prefer` decided a conflict.

    Raises:
        MergeConflict: where both sides changed the same thing and `prefer` is None, or a text
            cannot be read (broken YAML or front matter).
    """
    merger = _Merger(prefer)
    if ours == theirs or theirs == base:
        return Merged(ours)
    if ours == base:
        return Merged(theirs)
    if not path.endswith(".md"):
        return Merged(_merge_yaml(merger, base, ours, theirs, path), merger.settled)
    parts = []
    for text in (base, ours, theirs):
        front, body, _, problems = split_front_matter(text, path)
        if problems:
            raise MergeConflict("(front matter)")
        parts.append((front, body))
    bodies = [p[1] for p in parts]
    if bodies[1] == bodies[2] or bodies[2] == bodies[0]:
        body = bodies[1]
    elif bodies[1] == bodies[0]:
        body = bodies[2]
    else:
        body = _merge_body(merger, *bodies)
    front = _merge_yaml(merger, parts[0][0], parts[1][0], parts[2][0], path, 1)
    return Merged(join_front_matter(front, body), merger.settled)


def merge_record(base: str, ours: str, theirs: str, path: str) -> str:
    """Return the three-way merge of a record's texts; MergeConflict when fields collide."""
    return merge_texts(base, ours, theirs, path).text


def conflicting_fields(base: str, ours: str, theirs: str, path: str) -> list[str]:
    """Return the places both sides changed differently (empty when the texts merge)."""
    return merge_texts(base, ours, theirs, path, prefer="ours").settled


def changed_fields(base: str | None, side: str | None, path: str) -> list[str]:
    """Return the top-level fields (and TOPs) one side changed against the base, for messages."""
    if side is None:
        return ["(gelöscht / deleted)"]
    if base is None:
        return ["(neu / new)"]

    def data(text: str) -> Any:
        front = text
        if path.endswith(".md"):
            front, body, _, problems = split_front_matter(text, path)
            if problems:
                return None
        node, problems = load_yaml(front, path)
        return None if problems else to_plain(node)

    old, new = data(base), data(side)
    if not isinstance(old, dict) or not isinstance(new, dict):
        return ["(Text / text)"]
    fields = []
    for key in [*new.keys(), *[k for k in old if k not in new]]:
        if old.get(key) == new.get(key):
            continue
        if key == "tops" and isinstance(old.get(key), list) and isinstance(new.get(key), list):
            before, after = old[key], new[key]
            for i in range(max(len(before), len(after))):
                b = before[i] if i < len(before) else None
                a = after[i] if i < len(after) else None
                if a != b:
                    fields.append(f"TOP {i + 1}")
        else:
            fields.append(str(key))
    if path.endswith(".md"):
        if split_front_matter(base, path)[1] != split_front_matter(side, path)[1]:
            fields.append("(Markdown)")
    return fields or ["(Formatierung / layout)"]
