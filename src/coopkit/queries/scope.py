"""Checking a change against the records it can affect, found through a reference graph.

Each record defines keys (`partner:ID`, `agreement:ID`, `minutes:ID`, `action:MEETING#N`) and
mentions keys (the partners, agreements, meetings and actions it names). A change can make a
problem appear only in a record it touches or in a record that mentions or shares a key the
change defines (before or after); such a record's checks need what it mentions. The graph is
kept inverted in .coop/state.sqlite (key -> paths) and updated only for paths whose blob
changed since the last write, so finding the scope costs a few lookups by key.

Only coop.toml and the records in scope (and those they mention) are read. What the checks need
from every partner and agreement is their ids (for "known: …" lists and unknown references);
those come from the graph, so problems found in the scope read exactly as `coop check` words
them. `coop check` itself always checks everything.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coopkit.errors import Problem, Source, sorted_problems
from coopkit.index.cache import ParseCacheDB
from coopkit.index.stamp import program_stamp
from coopkit.index.state import StateDB
from coopkit.model.base import split_person
from coopkit.model.checks import check_repository
from coopkit.model.repo import RepoData
from coopkit.queries.load import Loaded
from coopkit.queries.state import (
    SPECIAL,
    UNKNOWN,
    Tree,
    TreeState,
    blob_id,
    scan,
    tree_changes,
)
from coopkit.store import layout
from coopkit.store.files import Memo, ParseCache, load_repository, parse_file
from coopkit.store.regular import FileRefused, entry_refusal, read_regular
from coopkit.store.text import MAX_FILE_BYTES

Keys = tuple[frozenset[str], frozenset[str]]
"""(keys a record defines, keys it mentions)."""

Entry = tuple[frozenset[str], frozenset[str], bool]
"""(keys a path defines, keys it mentions, whether it is a record that failed to load)."""

NOTHING: Entry = (frozenset(), frozenset(), False)

DEFINES, BROKEN, MENTIONS = "d", "b", "m"
"""Roles of a key in the graph: defined by a record, by a broken record, mentioned."""

KNOWN = ("partner", "agreement")
"""Kinds whose ids the checks list ("known: …") and look up without reading the records."""


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
    elif kind in ("signoff", "termination", "withdrawal"):
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
        for top in value.tops:
            if top.carried:
                mentions.add(f"minutes:{top.carried.rpartition('#')[0]}")
    elif kind == "action":
        defines.add(f"action:{value.action}")
        mentions.add(f"minutes:{value.action.partition('#')[0]}")
        person(value.by)
    elif kind == "config":
        person(value.controller)
    mentions.discard("partner:")
    return frozenset(defines), frozenset(mentions)


def keys_text(entry: Entry) -> str:
    """Return keys as stored: defined keys, a tab, mentioned keys (ids hold no blanks).

    A record that failed to load ends in a tab and `!`.
    """
    text = " ".join(sorted(entry[0])) + "\t" + " ".join(sorted(entry[1]))
    return text + "\t!" if entry[2] else text


def keys_of_text(text: str) -> Entry:
    """Return keys from their stored text."""
    defines, _, rest = text.partition("\t")
    mentions, _, broken = rest.partition("\t")
    return frozenset(defines.split()), frozenset(mentions.split()), broken == "!"


def _broken_keys(path: str) -> Entry:
    """Return what a record that does not parse defines: the id its path names (as the loader)."""
    kind = layout.kind_of(path)
    parts = path.split("/")
    name = parts[-1].rsplit(".", 1)[0]
    if kind == "partner":
        return frozenset({f"partner:{name}"}), frozenset(), True
    if kind == "agreement":
        return frozenset({f"agreement:{parts[1]}"}), frozenset(), True
    if kind == "minutes":
        return frozenset({f"minutes:{name}"}), frozenset(), True
    return NOTHING


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
        if self.state.head:
            # Known for the paths git named as changed; any other is read (listing every blob
            # id from git's index costs more than reading the few files a scope holds).
            blob = self.state.delta.get(path)
            return None if blob in (None, SPECIAL) else blob
        return self.base.digest(path)  # type: ignore[attr-defined, no-any-return]


@dataclass
class Scope:
    """The records a change can affect, and what their checks read before and after it."""

    checked: set[str]
    read_before: set[str]
    read_after: set[str]
    known_before: dict[str, frozenset[str]] = field(default_factory=dict)
    """Ids of every partner and agreement before the change ("partner"/"agreement" -> ids)."""
    known_after: dict[str, frozenset[str]] = field(default_factory=dict)
    """The same after the change."""


def _rows(path: str, entry: Entry) -> list[tuple[str, str]]:
    """Return a path's (key, role) rows in the graph."""
    role = BROKEN if entry[2] else DEFINES
    return [(key, role) for key in entry[0]] + [(key, MENTIONS) for key in entry[1]]


class _Lookup:
    """The parse cache for looking up only: a write's check stores nothing it parsed.

    Parsing the new content of a change (or a record not yet cached) is kept in the process;
    storing it is left to the next reading command, which stores what it parses anyway.
    """

    def __init__(self, cache: ParseCache) -> None:
        self.cache = cache

    def get(self, kind: str, digest: str) -> bytes | None:
        return self.cache.get(kind, digest)

    def get_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], bytes]:
        return self.cache.get_many(keys)

    def put(self, kind: str, digest: str, entry: bytes) -> None:
        """Store nothing."""


def _on_disk(root: Path, path: str) -> tuple[str | None, bytes | None]:
    """Return (blob id or SPECIAL or None, bytes) of a file as the scan would find it."""
    try:
        data = read_regular(root / path, MAX_FILE_BYTES, root=root)
    except (FileNotFoundError, NotADirectoryError):
        return None, None
    except (FileRefused, OSError):
        return SPECIAL, None
    return blob_id(data), data


def _stamp() -> str:
    return program_stamp()[:12] + ":"


class _Graph:
    """The reference graph of the scanned tree in .coop/state.sqlite, brought up to date.

    The graph remembers the tree it stands for as HEAD plus the paths that differed. Paths that
    changed since (between the two commits, as git says, or in either working tree) and whose
    blob id differs are parsed again (through the parse cache; keys already taken from an equal
    blob are reused), and only their rows change. After the check, the graph takes the change's
    own paths as they will be once committed, so the next write finds it up to date; should
    the change not be committed, the next write sees those blob ids differ and takes them again.
    """

    def __init__(
        self, state: TreeState, db: StateDB, cache: ParseCache, memo: Memo | None = None
    ) -> None:
        self.state = state
        self.memo = memo
        """Parse results to share with the loads of the same check (by path and blob id)."""
        self.db = db
        self.cache = cache
        self.stamp = _stamp()
        """Keys depend on the program that found them."""
        self._refs: dict[str, str] | None = None
        self._new_refs: dict[str, str] = {}
        self._defined: dict[str, list[tuple[str, str]]] = {}
        self._entries: dict[tuple[str, str], Entry] = {}
        self._tree_source: _Overlay | None = None
        self.tree = state.tree
        self._update()

    def _update(self) -> None:
        """Bring the stored graph up to date with the scanned tree."""
        stored = self.db.graph_state(self.stamp)
        head, delta = self.tree
        if stored == self.tree:
            return
        changed = self._changed(stored) if stored is not None else None
        if changed is None:
            self._build()
            return
        rows: dict[str, list[tuple[str, str]]] = {}
        if len(changed) > 50:
            self._refs = self.db.refs(self.stamp)
        for path, (blob, data) in changed.items():
            rows[path] = (
                [] if blob is None else _rows(path, self.entry(path, blob, data, self.cache))
            )
        self.db.update_graph(self.stamp, self.tree, rows, fresh=False, refs=self._new_refs.items())
        self._new_refs.clear()

    def _changed(self, stored: Tree) -> dict[str, tuple[str | None, bytes | None]] | None:
        """Return path -> (blob id now, bytes if read) of paths whose blob differs from `stored`.

        None when the stored tree cannot be compared (no commit on one side, or its commit is
        gone): then the graph is built again.
        """
        found = tree_changes(self.state.root, stored, self.tree)
        if found is None:
            return None
        changed: dict[str, tuple[str | None, bytes | None]] = {}
        for path, (before, now) in found.items():
            if layout.kind_of(path) is None:
                continue
            data = None
            if now == UNKNOWN:
                # As committed, and so as on disk: read it to know its blob id.
                now, data = _on_disk(self.state.root, path)
            if before == UNKNOWN or before != now:
                changed[path] = (now, data)
        return changed

    def _build(self) -> None:
        """Build the graph from every path of the scanned tree."""
        self._refs = self.db.refs(self.stamp)
        rows = {
            path: _rows(path, self.entry(path, blob, cache=self.cache))
            for path, blob in self.state.blobs.items()
        }
        self.db.update_graph(self.stamp, self.tree, rows, fresh=True, refs=self._new_refs.items())
        self._new_refs.clear()

    def entry(
        self, path: str, blob: str, data: bytes | None = None, cache: ParseCache | None = None
    ) -> Entry:
        """Return the keys of the record at `path` with this blob id (`data`: its bytes if new)."""
        kind = layout.kind_of(path)
        if kind is None or blob == SPECIAL:
            return NOTHING
        ref = f"{self.stamp}{kind}:{blob}"
        text = self._new_refs.get(ref)
        if text is None:
            text = self._refs.get(ref) if self._refs is not None else self._ref(ref)
        if text is None:
            if data is not None:
                source = _Overlay(self.state, {path: data}, [path])
            else:
                if self._tree_source is None:
                    self._tree_source = _Overlay(self.state, {}, [])
                source = self._tree_source
            located, _ = parse_file(source, path, cache or _Lookup(self.cache), self.memo)
            if located is not None:
                found = record_keys(kind, located.value)
                entry: Entry = (found[0], found[1], False)
            else:
                entry = _broken_keys(path)
            text = keys_text(entry)
            self._new_refs[ref] = text
        return keys_of_text(text)

    def _ref(self, ref: str) -> str | None:
        return self.db.refs(ref).get(ref)

    def known_entry(self, path: str, blob: str) -> Entry | None:
        """Return the stored keys of a record with this blob id (None: never taken)."""
        kind = layout.kind_of(path)
        if kind is None or blob == SPECIAL:
            return NOTHING
        ref = f"{self.stamp}{kind}:{blob}"
        text = self._new_refs.get(ref) or self._ref(ref)
        return None if text is None else keys_of_text(text)

    def entry_of(self, path: str, data: bytes | None) -> Entry | None:
        """Return the keys of new content at `path` (None: the path is deleted)."""
        if data is None:
            return None
        blob = blob_id(data)
        if (path, blob) not in self._entries:
            self._entries[(path, blob)] = self.entry(path, blob, data)
        return self._entries[(path, blob)]

    def has(self, path: str) -> bool:
        """Return whether the scanned tree has a file (or link, or special file) at `path`."""
        head, delta = self.tree
        if path in delta:
            return delta[path] is not None
        # Not named by the scan: as committed, so on disk exactly when in HEAD (the scan never
        # names hidden files: they are no records).
        hidden = any(part.startswith(".") for part in path.split("/"))
        return bool(head) and not hidden and os.path.lexists(self.state.root / path)

    def stored(self, paths: Iterable[str]) -> dict[str, Entry]:
        """Return the keys of paths of the scanned tree, as the graph holds them."""
        rows: dict[str, list[tuple[str, str]]] = {}
        for key, path, role in self.db.graph_rows_of(paths):
            rows.setdefault(path, []).append((key, role))
        return {
            path: (
                frozenset(k for k, role in found if role != MENTIONS),
                frozenset(k for k, role in found if role == MENTIONS),
                any(role == BROKEN for _, role in found),
            )
            for path, found in rows.items()
        }

    def defined(self, prefix: str) -> list[tuple[str, str]]:
        """Return (key, path) of every key starting with `prefix` that a record defines."""
        if prefix not in self._defined:
            self._defined[prefix] = self.db.graph_defined(prefix)
        return self._defined[prefix]

    def save(self, changes: Mapping[str, bytes | None]) -> None:
        """Store the change's paths as they will be once committed (one transaction)."""
        if not changes:
            return
        head, delta = self.tree
        delta = dict(delta)
        rows: dict[str, list[tuple[str, str]]] = {}
        for path, data in changes.items():
            entry = self.entry_of(path, data)
            delta[path] = None if data is None else blob_id(data)
            rows[path] = [] if entry is None else _rows(path, entry)
        # The keys of the new content too: a later recheck from this tree looks them up.
        self.db.update_graph(
            self.stamp, (head, delta), rows, fresh=False, refs=self._new_refs.items()
        )


class _Side:
    """The graph as it is before or after the change: stored rows with some paths laid over."""

    def __init__(self, graph: _Graph, over: Mapping[str, Entry | None]) -> None:
        self.graph = graph
        self.over = over
        """Paths whose keys on this side differ from the tree (None: absent on this side)."""

    def exists(self, path: str) -> bool:
        if path in self.over:
            return self.over[path] is not None
        return self.graph.has(path)

    def with_keys(self, keys: set[str], roles: str) -> set[str]:
        """Return the paths on this side having one of `keys` in one of `roles`."""
        found = {
            path
            for _, path, role in self.graph.db.graph_rows(keys)
            if role in roles and path not in self.over
        }
        for path, entry in self.over.items():
            if entry is None:
                continue
            if (DEFINES in roles or BROKEN in roles) and keys & entry[0]:
                found.add(path)
            if MENTIONS in roles and keys & entry[1]:
                found.add(path)
        return found

    def entries(self, paths: Iterable[str]) -> dict[str, Entry]:
        """Return the keys of the given paths on this side (absent paths left out)."""
        wanted = [p for p in paths if self.exists(p)]
        stored = self.graph.stored(p for p in wanted if p not in self.over)
        result = {}
        for path in wanted:
            entry = self.over.get(path) if path in self.over else stored.get(path, NOTHING)
            assert entry is not None
            result[path] = entry
        return result

    def known(self) -> dict[str, frozenset[str]]:
        """Return the ids of every partner and agreement that loads, on this side."""
        result = {}
        for kind in KNOWN:
            prefix = kind + ":"
            ids = {
                key[len(prefix) :]
                for key, path in self.graph.defined(prefix)
                if path not in self.over
            }
            for entry in self.over.values():
                if entry is not None and not entry[2]:
                    ids.update(k[len(prefix) :] for k in entry[0] if k.startswith(prefix))
            result[kind] = frozenset(ids)
        return result


def find_scope(
    graph: _Graph,
    changed: Iterable[str],
    before_over: Mapping[str, Entry | None],
    after_over: Mapping[str, Entry | None],
) -> Scope:
    """Return the records to check for a change and the records those checks read.

    Args:
        graph: the graph of the scanned tree.
        changed: the paths the change touches.
        before_over: keys of paths that differ from the tree before the change (None: absent).
        after_over: the same after the change.
    """
    changed = set(changed)
    before, after = _Side(graph, before_over), _Side(graph, after_over)
    touched: set[str] = set()
    for side in (before, after):
        for entry in side.entries(changed).values():
            touched |= entry[0]
    checked = set(changed)
    for side in (before, after):
        checked |= side.with_keys(touched, DEFINES + BROKEN + MENTIONS)

    def reads(side: _Side) -> set[str]:
        present = side.entries(checked)
        needed: set[str] = set()
        for entry in present.values():
            needed |= entry[1]
        found = set(present) | side.with_keys(needed, DEFINES + BROKEN)
        if side.exists(layout.CONFIG):
            found.add(layout.CONFIG)
        return found

    return Scope(checked, reads(before), reads(after), before.known(), after.known())


def scope_of_change(
    graph: _Graph,
    changes: Mapping[str, bytes | None],
    base: Mapping[str, bytes | None] | None = None,
) -> Scope:
    """Return the scope of new content for some paths (`base`: their content before it)."""
    before_over = {p: graph.entry_of(p, data) for p, data in (base or {}).items()}
    after_over = {**before_over, **{p: graph.entry_of(p, data) for p, data in changes.items()}}
    return find_scope(graph, changes, before_over, after_over)


def recheck(
    state: TreeState, changes: Mapping[str, tuple[str | None, str | None]], cache: ParseCache
) -> tuple[Loaded, set[str]] | None:
    """Check the records a change to `state` can affect.

    Args:
        state: the tree as it is now.
        changes: path -> (blob id before, blob id now) of every path that changed.
        cache: the parse cache.

    Returns:
        (the records in scope as they are now, with every rule run over them; the paths whose
        problems those are), or None when the earlier keys of a changed record are not stored
        (its old content cannot be read back): then everything has to be checked.
    """
    with StateDB(state.root) as db:
        graph = _Graph(state, db, cache)
        before_over: dict[str, Entry | None] = {}
        for path, (blob, _) in changes.items():
            entry = None if blob is None else graph.known_entry(path, blob)
            if blob is not None and entry is None:
                return None
            before_over[path] = entry
        scope = find_scope(graph, set(changes), before_over, {})
    after = _load(_Overlay(state, {}, scope.read_after), scope.known_after, _Lookup(cache), {})
    return after, scope.checked


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
        memo: Memo = {}
        graph = _Graph(state, db, cache, memo)
        scope = scope_of_change(graph, changes, base)
        graph.save(changes)
        if base:
            state = _with_base(state, base)
        lookup = _Lookup(cache)
        before = _load(_Overlay(state, {}, scope.read_before), scope.known_before, lookup, memo)
        after = _load(_Overlay(state, changes, scope.read_after), scope.known_after, lookup, memo)
    # A broken record's own problems need no lookups: they stay, to be named as the cause –
    # where both sides read it (one read only after the change was broken before it too).
    broken = before.data.broken_paths & after.data.broken_paths
    return (
        _only(before, scope.checked | broken),
        _only(after, scope.checked | broken),
        scope,
    )


def _load(
    source: _Overlay, known: dict[str, frozenset[str]], cache: ParseCache, memo: Memo
) -> Loaded:
    """Parse the records in scope and run every rule over them, with every id known."""
    data, problems = load_repository(source, cache, memo)
    data.known_ids = known
    problems = problems + check_repository(data)
    return Loaded(data, sorted_problems(problems, data.broken_paths))


def graph_committed(root: Path, parent: str | None, commit: str, paths: Iterable[str]) -> bool:
    """After a write's commit: the graph its check left (parent plus the change) is the commit's.

    Saves the next write the `git diff-tree` that would find what the commit changed. Nothing
    happens when the graph stands for another tree (it catches up then, as before).
    """
    if not parent:
        return False
    with StateDB(root) as db:
        return db.advance_graph(_stamp(), parent, commit, paths)


def partners_after(root: Path, changes: Mapping[str, bytes | None]) -> RepoData:
    """Return every partner as the change leaves them (the privacy check's registered contacts)."""
    with StateDB(root) as db, ParseCacheDB(root) as cache:
        state = scan(root, db)
        paths = {p for p in state.blobs if layout.kind_of(p) == "partner"}
        paths |= {p for p, data in changes.items() if data is not None}
        paths -= {p for p, data in changes.items() if data is None}
        paths = {p for p in paths if layout.kind_of(p) == "partner"}
        data, _ = load_repository(_Overlay(state, changes, paths), cache)
    return data


def _with_base(state: TreeState, base: Mapping[str, bytes | None]) -> TreeState:
    contents = dict(state.contents)
    for path, data in base.items():
        if data is None:
            contents.pop(path, None)
        else:
            contents[path] = data
    if state.head:
        delta = dict(state.delta)
        for path, data in base.items():
            delta[path] = None if data is None else blob_id(data)
        return TreeState(state.root, None, contents, state.tags, head=state.head, delta=delta)
    blobs = dict(state.blobs)
    for path, data in base.items():
        if data is None:
            blobs.pop(path, None)
        else:
            blobs[path] = blob_id(data)
    return TreeState(state.root, blobs, contents, state.tags)


def _only(loaded: Loaded, paths: set[str]) -> Loaded:
    return Loaded(loaded.data, [p for p in loaded.problems if p.source.path in paths])


def remember_keys(db: StateDB, state: TreeState, data: RepoData) -> None:
    """Store the keys of every record of a full load, so the next write need not parse them."""
    stamp = program_stamp()[:12] + ":"
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
    located_all += [("withdrawal", x) for x in data.withdrawals]
    for kind, located in located_all:
        blob = state.blobs.get(located.path, SPECIAL)
        ref = f"{stamp}{kind}:{blob}"
        if blob == SPECIAL or ref in known:
            continue
        defines, mentions = record_keys(kind, located.value)
        rows[ref] = keys_text((defines, mentions, False))
    db.put_refs(rows.items(), stamp)
