"""Checking a change against the records it can affect, found through a reference graph.

Each record defines keys (`partner:ID`, `agreement:ID`, `minutes:ID`, `action:MEETING#N`) and
mentions keys (the partners, agreements, meetings and actions it names). A change can make a
problem appear only in a record it touches or in a record that mentions or shares a key the
change defines (before or after); such a record's checks need what it mentions. The keys of
each record are kept in .coop/state.sqlite by blob id, so only changed files are parsed.

Every partner, agreement and coop.toml is always read (they are few, and the wording of "known:
…" lists depends on all of them), so problems found in the scope read exactly as `coop check`
words them. `coop check` itself always checks everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coopkit.errors import Problem, Source
from coopkit.index.cache import ParseCacheDB
from coopkit.index.state import StateDB
from coopkit.model.base import split_person
from coopkit.model.repo import RepoData
from coopkit.queries.load import Loaded, load
from coopkit.queries.state import SPECIAL, TreeState, blob_id, code_stamp, scan
from coopkit.store import layout
from coopkit.store.files import Memo, parse_file
from coopkit.store.regular import entry_refusal

Keys = tuple[frozenset[str], frozenset[str]]
"""(keys a record defines, keys it mentions)."""

ALWAYS = ("config", "partner", "agreement")


def record_keys(kind: str, value: Any) -> Keys:
    """Return what a parsed record defines and mentions."""
    defines: set[str] = set()
    mentions: set[str] = set()

    def person(ref: str | None) -> None:
        if ref:
            mentions.add("partner:" + split_person(ref)[0])

    if kind == "partner":
        defines.add(f"partner:{value.id}")
    elif kind == "agreement":
        defines.add(f"agreement:{value.id}")
        for pid in [*value.parties, value.coordinator or ""]:
            person(pid)
        for ob in value.obligations:
            for pid in [*ob.by, *ob.to]:
                person(pid)
    elif kind in ("signoff", "termination"):
        mentions.add(f"agreement:{value.agreement}")
        person(value.partner)
    elif kind == "fulfilment":
        person(value.partner)
    elif kind == "minutes":
        defines.add(f"minutes:{value.id}")
        mentions.update(f"agreement:{a}" for a in value.agreements)
        for ref in [
            *value.distribution,
            value.chair,
            value.minute_taker,
            *value.attendance.present,
            *value.attendance.excused,
        ]:
            person(ref)
        for _, action in value.all_actions():
            person(action.who)
            defines.add(f"action:{value.action_key(action)}")
        if value.approved_in:
            mentions.add(f"minutes:{value.approved_in}")
    elif kind == "action":
        defines.add(f"action:{value.action}")
        mentions.add(f"minutes:{value.action.partition('#')[0]}")
        person(value.by)
    elif kind == "config":
        person(value.controller)
    mentions.discard("partner:")
    return frozenset(defines), frozenset(mentions)


def keys_text(keys: Keys) -> str:
    """Return keys as stored: defined keys, a tab, mentioned keys (ids hold no blanks)."""
    return " ".join(sorted(keys[0])) + "\t" + " ".join(sorted(keys[1]))


def keys_of_text(text: str) -> Keys:
    """Return keys from their stored text."""
    defines, _, mentions = text.partition("\t")
    return frozenset(defines.split()), frozenset(mentions.split())


def _broken_keys(path: str) -> Keys:
    """Return what a record that does not parse defines: the id its path names (as the loader)."""
    kind = layout.kind_of(path)
    parts = path.split("/")
    name = parts[-1].rsplit(".", 1)[0]
    if kind == "partner":
        return frozenset({f"partner:{name}"}), frozenset()
    if kind == "agreement":
        return frozenset({f"agreement:{parts[1]}"}), frozenset()
    if kind == "minutes":
        return frozenset({f"minutes:{name}"}), frozenset()
    return frozenset(), frozenset()


class _Overlay:
    """A chosen set of paths of the scanned tree, with the change laid over it."""

    def __init__(
        self, state: TreeState, changes: Mapping[str, bytes | None], paths: Iterable[str]
    ) -> None:
        self.state = state
        self.changes = changes
        self.base = state.source()
        self._paths = sorted(set(paths))

    def paths(self) -> Iterator[str]:
        yield from self._paths

    def refusals(self) -> list[Problem]:
        """Return a problem where the change would write over a link or a special file."""
        found = []
        for path in sorted(self.changes):
            refused = entry_refusal(self.state.root / path)
            if refused is not None:
                found.append(Problem(Source(path), refused.reason, refused.code))
        return found

    def read(self, path: str) -> bytes | None:
        if path in self.changes:
            return self.changes[path]
        return self.base.read(path)

    def digest(self, path: str) -> str | None:
        if path in self.changes:
            data = self.changes[path]
            return None if data is None else blob_id(data)
        return self.base.digest(path)  # type: ignore[attr-defined, no-any-return]


@dataclass
class Scope:
    """The records a change can affect, and what their checks read before and after it."""

    checked: set[str]
    read_before: set[str]
    read_after: set[str]


class _Graph:
    """Keys of every record by blob id, parsed only for blobs not seen before."""

    def __init__(self, state: TreeState, db: StateDB, cache: ParseCacheDB) -> None:
        self.state = state
        self.db = db
        self.cache = cache
        self.stamp = code_stamp()[:12] + ":"
        """Keys depend on the program that found them."""
        self.stored = db.refs(self.stamp)
        self.new: dict[str, str] = {}
        self.kinds: dict[str, str | None] = {}

    def kind(self, path: str) -> str | None:
        if path not in self.kinds:
            self.kinds[path] = layout.kind_of(path)
        return self.kinds[path]

    def keys(self, path: str, data: bytes | None = None, *, changed: bool = False) -> Keys:
        kind = self.kind(path)
        if kind is None:
            return frozenset(), frozenset()
        if changed:
            if data is None:
                return frozenset(), frozenset()
            blob = blob_id(data)
        else:
            blob = self.state.blobs.get(path, SPECIAL)
        if blob == SPECIAL:
            return frozenset(), frozenset()
        ref = f"{self.stamp}{kind}:{blob}"
        text = self.stored.get(ref) or self.new.get(ref)
        if text is None:
            source = _Overlay(self.state, {path: data} if changed else {}, [path])
            located, _ = parse_file(source, path, self.cache)
            keys = record_keys(kind, located.value) if located is not None else _broken_keys(path)
            text = keys_text(keys)
            self.new[ref] = text
        return keys_of_text(text)

    def save(self) -> None:
        self.db.put_refs(self.new.items(), self.stamp)


def find_scope(state: TreeState, changes: Mapping[str, bytes | None], graph: _Graph) -> Scope:
    """Return the records to check for a change and the records those checks read."""
    before_paths = set(state.blobs)
    after_paths = {p for p in before_paths if p not in changes or changes[p] is not None}
    after_paths |= {p for p, data in changes.items() if data is not None}
    before = {p: graph.keys(p) for p in before_paths}
    after = {
        p: graph.keys(p, changes[p], changed=True) if p in changes else before[p]
        for p in after_paths
    }
    touched: set[str] = set()
    for path in changes:
        for keys in (before.get(path), after.get(path)):
            if keys is not None:
                touched |= keys[0]
    checked = set(changes)
    for side in (before, after):
        checked |= {p for p, (defines, mentions) in side.items() if touched & (defines | mentions)}

    def reads(side: dict[str, Keys]) -> set[str]:
        needed: set[str] = set()
        for path in checked & side.keys():
            needed |= side[path][1]
        return {
            p
            for p, (defines, _) in side.items()
            if p in checked or graph.kind(p) in ALWAYS or needed & defines
        }

    return Scope(checked, reads(before), reads(after))


def check_change(
    root: Path, changes: Mapping[str, bytes | None], base: Mapping[str, bytes | None] | None = None
) -> tuple[Loaded, Loaded, Scope]:
    """Load the scope of a change before and after it, each with every rule run over it.

    Args:
        root: the repository root.
        changes: path -> new bytes (None deletes).
        base: content to treat as the state before the change for some paths (hand edits being
            committed are checked against their last commit).

    Returns:
        (before, after, scope): problems of both are limited to the checked records.
    """
    with StateDB(root) as db, ParseCacheDB(root) as cache:
        state = scan(root, db)
        if base:
            state = _with_base(state, base)
        graph = _Graph(state, db, cache)
        scope = find_scope(state, changes, graph)
        graph.save()
        memo: Memo = {}
        before = load(_Overlay(state, {}, scope.read_before), cache, memo)
        after = load(_Overlay(state, changes, scope.read_after), cache, memo)
    # A broken record's own problems need no lookups: they stay, to be named as the cause.
    return (
        _only(before, scope.checked | before.data.broken_paths),
        _only(after, scope.checked | after.data.broken_paths),
        scope,
    )


def _with_base(state: TreeState, base: Mapping[str, bytes | None]) -> TreeState:
    blobs = dict(state.blobs)
    contents = dict(state.contents)
    for path, data in base.items():
        if data is None:
            blobs.pop(path, None)
            contents.pop(path, None)
        else:
            blobs[path] = blob_id(data)
            contents[path] = data
    return TreeState(state.root, blobs, contents, state.tags)


def _only(loaded: Loaded, paths: set[str]) -> Loaded:
    return Loaded(loaded.data, [p for p in loaded.problems if p.source.path in paths])


def remember_keys(db: StateDB, state: TreeState, data: RepoData) -> None:
    """Store the keys of every record of a full load, so the next write need not parse them."""
    stamp = code_stamp()[:12] + ":"
    known = db.refs(stamp)
    rows: dict[str, str] = {}
    located_all: list[tuple[str, Any]] = []
    if data.config is not None:
        located_all.append(("config", data.config))
    located_all += [("partner", x) for x in data.partners.values()]
    located_all += [("agreement", x) for x in data.agreements.values()]
    located_all += [("signoff", x) for x in data.signoffs]
    located_all += [("fulfilment", x) for x in data.fulfilments]
    located_all += [("minutes", x) for x in data.minutes.values()]
    located_all += [("action", x) for x in data.action_records]
    located_all += [("termination", x) for x in data.terminations]
    for kind, located in located_all:
        blob = state.blobs.get(located.path, SPECIAL)
        ref = f"{stamp}{kind}:{blob}"
        if blob == SPECIAL or ref in known:
            continue
        rows[ref] = keys_text(record_keys(kind, located.value))
    db.put_refs(rows.items(), stamp)
