"""Three-way merge of one record (YAML or Markdown with front matter) field by field.

Used as git merge driver for coop's records: two people noting in the same meeting under
different TOPs, or changing different fields of one record, merge cleanly. Both sides changing
the same field (the same TOP's notes, the same date) stay a conflict.
"""

from __future__ import annotations

from typing import Any

from coopkit.store.codec import join_front_matter, split_front_matter
from coopkit.store.yamlio import dump_yaml, load_yaml, to_plain

_MISSING = object()


class MergeConflict(Exception):
    """Both sides changed the same field differently."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


def _plain(node: Any) -> Any:
    return _MISSING if node is _MISSING else to_plain(node)


def _merge(base: Any, ours: Any, theirs: Any, where: str) -> Any:
    pb, po, pt = _plain(base), _plain(ours), _plain(theirs)
    if po == pt:
        return ours
    if po == pb:
        return theirs
    if pt == pb:
        return ours
    if isinstance(ours, dict) and isinstance(theirs, dict):
        base_map = base if isinstance(base, dict) else {}
        for key in list(theirs.keys()):
            merged = _merge(
                base_map.get(key, _MISSING),
                ours.get(key, _MISSING),
                theirs[key],
                f"{where}.{key}" if where else str(key),
            )
            if merged is _MISSING:
                ours.pop(key, None)
            else:
                ours[key] = merged
        for key in list(ours.keys()):
            if key not in theirs:
                merged = _merge(
                    base_map.get(key, _MISSING),
                    ours[key],
                    _MISSING,
                    f"{where}.{key}" if where else str(key),
                )
                if merged is _MISSING:
                    del ours[key]
        return ours
    if isinstance(ours, list) and isinstance(theirs, list):
        base_list = base if isinstance(base, list) else []
        if all(isinstance(x, dict) for x in [*ours, *theirs]):
            # Items by position (TOPs, actions): each one merges on its own.
            for i in range(max(len(ours), len(theirs))):
                b = base_list[i] if i < len(base_list) else _MISSING
                o = ours[i] if i < len(ours) else _MISSING
                t = theirs[i] if i < len(theirs) else _MISSING
                merged = _merge(b, o, t, f"{where}[{i + 1}]")
                if merged is _MISSING:
                    raise MergeConflict(f"{where}[{i + 1}]")
                if i < len(ours):
                    ours[i] = merged
                else:
                    ours.append(merged)
            return ours
        plain_base = [to_plain(x) for x in base_list]
        kept = [x for x in ours if to_plain(x) in plain_base]
        if [to_plain(x) for x in kept] == [
            to_plain(x) for x in theirs if to_plain(x) in plain_base
        ]:
            # Both sides only added entries (attendance, topics): keep all, ours first.
            seen = [to_plain(x) for x in ours]
            for item in theirs:
                if to_plain(item) not in seen:
                    ours.append(item)
                    seen.append(to_plain(item))
            return ours
    raise MergeConflict(where or "(document)")


def _merge_yaml(base: str, ours: str, theirs: str, path: str, offset: int = 0) -> str:
    nodes = []
    for text in (base, ours, theirs):
        node, problems = load_yaml(text, path, line_offset=offset)
        if problems:
            raise MergeConflict("(syntax)")
        nodes.append(node if node is not None else {})
    merged = _merge(nodes[0], nodes[1], nodes[2], "")
    return dump_yaml(merged)


def merge_record(base: str, ours: str, theirs: str, path: str) -> str:
    """Return the three-way merge of a record's texts; MergeConflict when fields collide."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    if not path.endswith(".md"):
        return _merge_yaml(base, ours, theirs, path)
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
        raise MergeConflict("(Markdown)")
    front = _merge_yaml(parts[0][0], parts[1][0], parts[2][0], path, 1)
    return join_front_matter(front, body)


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
