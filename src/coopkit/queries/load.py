"""Loading a repository for a question: records, their problems, derived facts on demand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from coopkit.errors import Problem, sorted_problems
from coopkit.index.cache import ParseCacheDB
from coopkit.model.checks import check_repository
from coopkit.model.repo import RepoData
from coopkit.queries.context import Context
from coopkit.queries.state import SPECIAL
from coopkit.store.files import (
    FileSource,
    Memo,
    ParseCache,
    Revision,
    WorkTree,
    load_repository,
)
from coopkit.store.git import GitRepo

if TYPE_CHECKING:
    from coopkit.queries.actions import ActionRow
    from coopkit.queries.due import FulfilmentIndex, Occurrence
    from coopkit.queries.entries import History
    from coopkit.queries.overview import MinutesStatus
    from coopkit.queries.state import TreeState
    from coopkit.queries.trust import Roots
    from coopkit.queries.versions import Timeline
    from coopkit.schedule.workdays import Workdays


@dataclass(frozen=True)
class Loaded:
    """A repository's records and every problem found in them."""

    data: RepoData
    problems: list[Problem]


def load(source: FileSource, cache: ParseCache | None = None, memo: Memo | None = None) -> Loaded:
    """Parse all records (through the parse caches when given) and run every rule over them."""
    data, problems = load_repository(source, cache, memo)
    problems = problems + check_repository(data)
    return Loaded(data, sorted_problems(problems, data.broken_paths))


@dataclass
class Snapshot:
    """One reading of a repository: records, problems, and the facts derived from them.

    Every view asks the snapshot (and the query modules that take it), so two views of one
    reading cannot disagree. Derived facts are computed on first use and kept.
    """

    ctx: Context
    data: RepoData
    problems: list[Problem]
    rev: str | None = None
    """The git revision the records were read from; None for the working tree."""
    state: TreeState | None = field(default=None, repr=False)
    """The scanned working tree the records were read from, where it was scanned."""
    _timelines: dict[str, Timeline] | None = field(default=None, repr=False)
    _fulfilments: FulfilmentIndex | None = field(default=None, repr=False)
    _action_rows: dict[bool, list[ActionRow]] = field(default_factory=dict, repr=False)
    _history: History | None = field(default=None, repr=False)
    _roots: Roots | None = field(default=None, repr=False)

    @property
    def today(self) -> date:
        """Return the day the questions are asked for."""
        return self.ctx.today

    @property
    def lang(self) -> str:
        """Return the language of the answers."""
        return self.ctx.lang

    @cached_property
    def locale(self) -> str:
        """Return the repository's own language (coop.toml), for what is written into it."""
        return self.data.config.value.locale if self.data.config else "de"

    @cached_property
    def workdays(self) -> Workdays:
        """Return the working days coop.toml sets (`land`, `[holidays]`), kept per reading."""
        from coopkit.schedule.workdays import Workdays

        return Workdays.of(self.data.config.value if self.data.config else None)

    def history(self) -> History:
        """Return when the records entered the history (read from git on demand, kept)."""
        if self._history is None:
            from coopkit.queries.entries import History

            dirty = None
            if self.rev is None and self.state is not None and self.state.head:
                dirty = frozenset(self.state.delta)
            self._history = History(self.ctx.root, self.rev, dirty)
        return self._history

    def roots(self) -> Roots:
        """Return the pinned coordinator keys that count (see `trust.effective_roots`), kept."""
        if self._roots is None:
            from coopkit.queries.trust import effective_roots

            self._roots = effective_roots(self)
        return self._roots

    def timelines(self) -> dict[str, Timeline]:
        """Return the version timeline of every agreement (read from git once)."""
        if self._timelines is None:
            from coopkit.queries.versions import build_timelines

            self._timelines = build_timelines(self)
        return self._timelines

    def timeline(self, agreement_id: str) -> Timeline:
        """Return the version timeline of one agreement (it must exist)."""
        from coopkit.queries.lookup import get_agreement

        get_agreement(self, agreement_id)
        return self.timelines()[agreement_id]

    # The facts below are what the everyday views (status, due, obligation list) need beyond
    # partners and the configuration; `queries.facts` serves them from its store instead.

    def problem_count(self) -> int:
        """Return the number of problems `coop check` prints (see `check.repository_problems`)."""
        from coopkit.queries.check import repository_problems

        return len(repository_problems(self))

    def owed(self, agreement_id: str, end: date) -> list[Occurrence]:
        """Return an agreement's occurrences up to `end`, not yet dated (see `due.as_of`)."""
        from coopkit.queries.due import fulfilment_index, owed_occurrences

        if self._fulfilments is None:
            self._fulfilments = fulfilment_index(self)
        return owed_occurrences(
            self.timelines()[agreement_id],
            self._fulfilments.get(agreement_id, {}),
            end,
            self.workdays,
        )

    def owed_open(self, agreement_id: str, end: date) -> list[Occurrence]:
        """Return the occurrences of `owed` no fulfilment record answers."""
        return [o for o in self.owed(agreement_id, end) if o.fulfilment is None]

    def meeting_rows(self) -> list[MinutesStatus]:
        """Return every meeting as the overview lists it (in no particular order)."""
        from coopkit.queries.overview import minutes_status

        return [minutes_status(m.value) for m in self.data.minutes.values()]

    def action_rows(self, *, open_only: bool = False) -> list[ActionRow]:
        """Return the actions of every meeting with their state as of today."""
        if open_only not in self._action_rows:
            self._action_rows[open_only] = self._rows(open_only)
        return list(self._action_rows[open_only])

    def _rows(self, open_only: bool) -> list[ActionRow]:
        from coopkit.queries.actions import action_rows

        return action_rows(self.data, self.today, open_only=open_only)


ProgressFn = Callable[[int, int], None]
"""Told (done, total) now and then during long work; the command line draws it."""


class _Counted:
    """A file source that reports how far the loader got through its paths."""

    def __init__(self, source: FileSource, progress: ProgressFn) -> None:
        self.source = source
        self.progress = progress

    def paths(self) -> Iterator[str]:
        paths = list(self.source.paths())
        for n, path in enumerate(paths):
            if n % 250 == 0:
                self.progress(n, len(paths))
            yield path
        self.progress(len(paths), len(paths))

    def read(self, path: str) -> bytes | None:
        return self.source.read(path)

    def digest(self, path: str) -> str | None:
        known = getattr(self.source, "digest", None)
        return None if known is None else known(path)

    def refusals(self) -> list[Problem]:
        found = getattr(self.source, "refusals", None)
        return [] if found is None else list(found())


def load_worktree(ctx: Context, progress: ProgressFn | None = None) -> Loaded:
    """Load the repository as it is on disk (unchanged files found by their stat, not read)."""
    from coopkit.queries.state import scan

    return load_state(scan(ctx.root), progress)


class _HandedOver:
    """A scanned tree whose bytes read during the scan go to the loader and are let go there.

    A first load reads every file in the scan; holding all of them until the load ends would
    double what the load needs. A second read of a file (for positions of a problem) goes to
    the disk, checked against the scanned blob id.
    """

    def __init__(self, state: TreeState) -> None:
        self.contents = state.contents
        self.blobs = state.blobs
        self.source = WorkTree(state.root)

    def paths(self) -> Iterator[str]:
        return self.source.paths()

    def read(self, path: str) -> bytes | None:
        data = self.contents.pop(path, None)
        return data if data is not None else self.source.read(path)

    def digest(self, path: str) -> str | None:
        blob = self.blobs.get(path)
        return None if blob is None or blob == SPECIAL else blob

    def refusals(self) -> list[Problem]:
        return self.source.refusals()


def load_state(state: TreeState, progress: ProgressFn | None = None) -> Loaded:
    """Load the records of a scanned working tree through the parse cache.

    The bytes the scan read are handed over to the loader: `state.contents` is empty afterwards.
    """
    source: FileSource = _HandedOver(state)
    if progress is not None:
        source = _Counted(source, progress)
    with ParseCacheDB(state.root) as cache:
        return load(source, cache)


def snapshot_of_state(
    ctx: Context, state: TreeState, progress: ProgressFn | None = None
) -> Snapshot:
    """Read a scanned working tree for answering questions about it."""
    loaded = load_state(state, progress)
    return Snapshot(ctx, loaded.data, loaded.problems, state=state)


def load_revision(ctx: Context, rev: str) -> Loaded:
    """Load the repository as it was at a git revision."""
    with GitRepo(ctx.root) as repo, ParseCacheDB(ctx.root) as cache:
        commit = repo.resolve(rev)
        return load(Revision(repo, commit), cache)


def snapshot(ctx: Context, rev: str | None = None, progress: ProgressFn | None = None) -> Snapshot:
    """Read the working tree (or a revision) for answering questions about it."""
    loaded = load_worktree(ctx, progress) if rev is None else load_revision(ctx, rev)
    return Snapshot(ctx, loaded.data, loaded.problems, rev)


def snapshot_of(ctx: Context, loaded: Loaded) -> Snapshot:
    """Wrap records that were already read (e.g. under a write's lock) as a snapshot."""
    return Snapshot(ctx, loaded.data, loaded.problems)
