"""When records entered the history: the commit that made each file what it is now.

Dates typed into a record say nothing about when it was written: a key holder can date an
approval before the revocation of the key. What counts is the order in which records entered
the history. A record entered at the newest commit that made its file what it is (a merge that
made a text of its own counts as that commit); a file that differs from HEAD has not entered
yet. A record entered before another when its commit is a proper ancestor of the other's (or
the other has not entered yet): commits on parallel branches are not before each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from coopkit.store import layout
from coopkit.store.git import GitRepo

_RECORD = "\x1e"
_FIELD = "\x1f"
_LITERAL_PATHS = 50
"""Up to this many files are asked for by name; more, by the pattern of their kind."""
_KIND_SPECS = {
    "signoff": ":(glob)agreements/*/signoffs/**",
    "withdrawal": ":(glob)agreements/*/withdrawals/**",
    "key": ":(glob)keys/**",
    "key-revocation": ":(glob)keys/**",
}


@dataclass(frozen=True)
class Entry:
    """Where a record file entered the history."""

    commit: str | None
    """The commit that made the file what it is; None while it differs from the commit read."""
    day: date | None = None
    """The commit's author date."""
    author: str = ""
    """The commit's author as `Name <mail>`."""
    changed: bool = False
    """Whether that commit changed a file that an earlier commit had added."""


NOT_ENTERED = Entry(None)


@dataclass
class History:
    """The entries of record files and the order of commits, read from git on demand."""

    root: Path
    rev: str | None
    """The revision read (None: HEAD and the working tree)."""
    dirty: frozenset[str] | None = None
    """Paths that differ from HEAD (None: ask git when first needed)."""
    _entries: dict[str, Entry] = field(default_factory=dict)
    _parents: dict[str, tuple[str, ...]] | None = None
    _children: dict[str, list[str]] | None = None
    _ancestors: dict[str, frozenset[str]] = field(default_factory=dict)
    _descendants: dict[str, frozenset[str]] = field(default_factory=dict)

    def entries(self, paths: list[str]) -> dict[str, Entry]:
        """Return the entry of each path (read with one git call for those not known yet)."""
        todo = sorted({p for p in paths if p not in self._entries})
        if todo:
            self._read(todo)
        return {p: self._entries[p] for p in paths}

    def entry(self, path: str) -> Entry:
        """Return the entry of one path."""
        return self.entries([path])[path]

    def _dirty(self, repo: GitRepo) -> frozenset[str]:
        if self.rev is not None:
            return frozenset()
        if self.dirty is None:
            self.dirty = frozenset(repo.status_paths()) if repo.head() is not None else frozenset()
        return self.dirty

    def _read(self, paths: list[str]) -> None:
        found: dict[str, Entry] = {}
        with GitRepo(self.root) as repo:
            if repo.head() is None:
                self._entries.update(dict.fromkeys(paths, NOT_ENTERED))
                return
            dirty = self._dirty(repo)
            wanted = [p for p in paths if p not in dirty]
            if len(wanted) > _LITERAL_PATHS:
                # One walk of the history for the whole kind beats many walks for its files.
                specs = sorted(
                    {_KIND_SPECS.get(layout.kind_of(p) or "") or f":(literal){p}" for p in wanted}
                )
            else:
                specs = [f":(literal){p}" for p in wanted]
            if specs:
                found.update(_newest_changes(repo, self.rev or "HEAD", specs))
        self._entries.update({p: found.get(p, NOT_ENTERED) for p in paths})

    # The two questions differ in which side is the anchor: the few commits of key
    # registrations and revocations. Walking the graph from the anchor (its descendants, its
    # ancestors) once serves every record asked about it.

    def before(self, first: Entry, second: Entry) -> bool:
        """Return whether `first` entered strictly before `second` (`second` the anchor)."""
        if first.commit is None:
            return False
        if second.commit is None:
            return True
        if first.commit == second.commit:
            return False
        return first.commit in self.ancestors(second.commit)

    def by(self, first: Entry, second: Entry) -> bool:
        """Return whether `first` entered no later than `second` (`first` the anchor)."""
        if first.commit == second.commit:
            return True
        if first.commit is None:
            return False
        if second.commit is None:
            return True
        return second.commit in self.descendants(first.commit)

    def ancestors(self, commit: str) -> frozenset[str]:
        """Return every commit reachable from `commit` (itself included)."""
        if commit not in self._ancestors:
            self._ancestors[commit] = _reach(commit, self._graph())
        return self._ancestors[commit]

    def descendants(self, commit: str) -> frozenset[str]:
        """Return every commit of the history read that reaches `commit` (itself included)."""
        if commit not in self._descendants:
            if self._children is None:
                self._children = {}
                for child, parents in self._graph().items():
                    for parent in parents:
                        self._children.setdefault(parent, []).append(child)
            self._descendants[commit] = _reach(commit, self._children)
        return self._descendants[commit]

    def _graph(self) -> dict[str, tuple[str, ...]]:
        if self._parents is None:
            with GitRepo(self.root) as repo:
                out = (
                    str(
                        repo.run(
                            "rev-list",
                            "--parents",
                            "--end-of-options",
                            self.rev or "HEAD",
                            "--",
                        )
                    )
                    if repo.head() is not None
                    else ""
                )
            self._parents = {}
            for line in out.splitlines():
                shas = line.split()
                if shas:
                    self._parents[shas[0]] = tuple(shas[1:])
        return self._parents


def _reach(start: str, edges: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """Return every commit reachable from `start` along `edges` (itself included)."""
    seen = {start}
    todo = [start]
    while todo:
        for following in edges.get(todo.pop(), ()):
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return frozenset(seen)


def _newest_changes(repo: GitRepo, rev: str, specs: list[str]) -> dict[str, Entry]:
    """Return path -> the newest commit that changed it, in topological order."""
    fmt = _RECORD + _FIELD.join(["%H", "%an <%ae>", "%aI"]) + _FIELD
    out = str(
        repo.run(
            "log",
            "--topo-order",
            "--no-renames",
            "--diff-merges=dense-combined",
            f"--format={fmt}",
            "--name-status",
            "--end-of-options",
            rev,
            "--",
            *specs,
        )
    )
    found: dict[str, Entry] = {}
    for record in out.split(_RECORD):
        fields = record.split(_FIELD)
        if len(fields) < 4:
            continue
        sha, author, when, names = fields[:4]
        day = datetime.fromisoformat(when).date()
        for line in names.splitlines():
            status, _, path = line.partition("\t")
            if not path or path in found:
                continue
            if "D" in status:
                found[path] = NOT_ENTERED
                continue
            found[path] = Entry(sha, day, author, changed=set(status) != {"A"})
    return found
