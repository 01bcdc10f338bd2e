"""The everyday views from derived facts kept per agreement and per meeting.

`status`, `due` and `obligation list` need, beyond partners and the configuration, only each
agreement's version timeline and its owed occurrences, each meeting's place in the overview and
its actions, and the number of problems. These are kept in .coop/facts.sqlite:

- one piece per agreement: its timeline and occurrences up to the end of the year's horizon,
  keyed by the blob ids of the files in its folder, its version tags, coop.toml and the program;
- one piece per meeting: its overview row and actions, keyed by the blob id of its minutes;
- the problems of the last state; after a change only the records the change can affect (see
  `queries.scope`) are checked again.

A change re-derives only the pieces whose key changed, with the same functions a full reading
uses (`owed_occurrences`, `meeting_actions`, `build_timelines`), so both readings agree. A view
that asks for anything else (`snap.data.minutes`, far horizons, the problems' wording) raises
`NeedsRecords`, and the caller answers from a full reading instead. A repository whose records
stand where their ids do not say (an agreement in another's folder, a partner file named after
another id) is always read in full.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn

from coopkit.errors import Problem, sorted_problems
from coopkit.index.cache import ParseCacheDB
from coopkit.index.facts import FactsDB
from coopkit.model.base import Located
from coopkit.model.repo import RepoData
from coopkit.queries.context import Context
from coopkit.queries.load import Loaded, ProgressFn, Snapshot, _Counted, load
from coopkit.queries.state import SPECIAL, TreeState, code_stamp
from coopkit.schedule import horizon_end
from coopkit.store import layout
from coopkit.store.files import FileSource, ParseCache, load_repository

if TYPE_CHECKING:
    from coopkit.queries.actions import ActionRow, MeetingActions
    from coopkit.queries.due import Occurrence
    from coopkit.queries.overview import MinutesStatus
    from coopkit.queries.versions import Timeline

BATCH = 200
"""Agreements derived together: their version tags are read with one git call."""


class NeedsRecords(Exception):  # noqa: N818 - a signal, not an error
    """A view asked for more than the derived facts hold; answer from a full reading."""


def _refuse(what: str) -> NoReturn:
    raise NeedsRecords(what)


_NOT_KEPT = frozenset(
    {
        "minutes",
        "signoffs",
        "fulfilments",
        "terminations",
        "key_registrations",
        "key_revocations",
    }
)


class _Kept(RepoData):
    """Partners, configuration, closing records and agreement texts; the rest is not kept."""

    def __getattribute__(self, name: str) -> Any:
        if name in _NOT_KEPT:
            _refuse(name)
        return super().__getattribute__(name)


class _Facts(pickle.Unpickler):
    """Unpickle only plain values, dates and this program's records and derived facts."""

    def find_class(self, module: str, name: str) -> Any:
        found = super().find_class(module, name)
        if (module, name) in {
            ("datetime", "date"),
            ("datetime", "datetime"),
            ("datetime", "timezone"),
            ("datetime", "timedelta"),
        }:
            return found
        if module.startswith("coopkit.") and isinstance(found, type):
            return found
        raise pickle.UnpicklingError(f"{module}.{name} is not a derived fact")


def _loads(value: bytes) -> Any:
    return _Facts(io.BytesIO(value)).load()


def _dumps(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class FactsSnapshot(Snapshot):
    """A snapshot whose timelines, occurrences, meetings and problem count come from the store."""

    def __init__(
        self,
        ctx: Context,
        data: _Kept,
        timelines: dict[str, Timeline],
        owed: dict[str, list[Occurrence]],
        horizon: date,
        meetings: list[tuple[MinutesStatus, MeetingActions]],
        problems: int,
    ) -> None:
        self.ctx = ctx
        self.data = data
        self.rev = None
        self._timelines = timelines
        self._fulfilments = None
        self._owed = owed
        self._horizon = horizon
        self._meetings = meetings
        self._problem_count = problems

    @property
    def problems(self) -> list[Problem]:  # type: ignore[override]
        """The problems' wording is not kept (only their number): read everything."""
        _refuse("problems")

    def problem_count(self) -> int:
        """Return the number of problems the records have."""
        return self._problem_count

    def owed(self, agreement_id: str, end: date) -> list[Occurrence]:
        """Return the kept occurrences of an agreement (they reach `end`)."""
        if end > self._horizon:
            _refuse("occurrences beyond the kept horizon")
        return self._owed[agreement_id]

    def meeting_rows(self) -> list[MinutesStatus]:
        """Return every meeting as the overview lists it."""
        return [row for row, _ in self._meetings]

    def action_rows(self, *, open_only: bool = False) -> list[ActionRow]:
        """Return the actions of every meeting with their state as of today."""
        from coopkit.queries.actions import rows_of

        stated = sorted((actions for _, actions in self._meetings), key=lambda m: (m[1], m[0]))
        return rows_of(self.data, stated, self.today, open_only=open_only)


# --------------------------------------------------------------------------- the units


class _Paths:
    """Some paths of a scanned working tree, as a file source for the loader."""

    def __init__(self, state: TreeState, paths: list[str]) -> None:
        self.base = state.source()
        self._paths = sorted(paths)

    def paths(self) -> Iterator[str]:
        yield from self._paths

    def read(self, path: str) -> bytes | None:
        return self.base.read(path)

    def digest(self, path: str) -> str | None:
        return self.base.digest(path)  # type: ignore[attr-defined, no-any-return]


def _group(state: TreeState) -> tuple[list[str], dict[str, list[str]], dict[str, str]]:
    """Return (light record paths, agreement folder -> its files, meeting id -> minutes path)."""
    light: list[str] = []
    folders: dict[str, list[str]] = {}
    meetings: dict[str, str] = {}
    for path, blob in state.blobs.items():
        if blob == SPECIAL:
            continue
        kind = layout.kind_of(path)
        if kind in ("config", "partner", "action"):
            light.append(path)
        elif kind in ("agreement", "signoff", "fulfilment", "termination"):
            folders.setdefault(path.split("/")[1], []).append(path)
        elif kind == "minutes":
            meetings[path[len("minutes/") : -len(".md")]] = path
    return light, folders, meetings


def _tags_by_agreement(tags: str) -> dict[str, list[str]]:
    """Return agreement id -> the lines of its version tags (name and object id)."""
    from coopkit.queries.versions import VERSION_SEP, version_number

    found: dict[str, list[str]] = {}
    for line in tags.splitlines():
        name = line.split(" ", 1)[0].removeprefix("refs/tags/")
        agreement_id, sep, version = name.rpartition(VERSION_SEP)
        if sep and version_number(version) is not None:
            found.setdefault(agreement_id, []).append(line)
    return found


def _key(*parts: object) -> str:
    digest = hashlib.sha256(code_stamp().encode())
    for part in parts:
        digest.update(f"{part}\n".encode())
    return digest.hexdigest()


def _regular_light(data: RepoData, light: list[str]) -> bool:
    """Return whether every partner file holds the partner its name says (else read all)."""
    files = [p for p in light if layout.kind_of(p) == "partner"]
    broken = data.broken.get("partner", {})
    if len(data.partners) + len(broken) != len(files):
        return False
    return all(located.path == layout.partner_path(pid) for pid, located in data.partners.items())


class _ByFolder:
    """A reading's records by the folder or file they stand in, to tell what each unit holds."""

    def __init__(self, data: RepoData) -> None:
        self.agreements: dict[str, list[Located[Any]]] = {}
        self.minutes: dict[str, Located[Any]] = {}
        self.irregular: set[str] = set()
        """Folders or meeting ids whose records name another agreement or meeting."""
        for located in data.agreements.values():
            folder = located.path.split("/")[1]
            self.agreements.setdefault(folder, []).append(located)
            if located.value.id != folder:
                self.irregular.add(folder)
        records: list[Located[Any]] = [*data.signoffs, *data.terminations]
        for record in records:
            folder = record.path.split("/")[1]
            if record.value.agreement != folder:
                self.irregular.add(folder)
        for held in data.minutes.values():
            meeting = held.path[len("minutes/") : -len(".md")]
            self.minutes[meeting] = held
            if held.value.id != meeting:
                self.irregular.add(f"minutes:{meeting}")
        self.broken = {path: kind for kind, by_id in data.broken.items() for path in by_id.values()}


def _agreement_piece(found: _ByFolder, snap: Snapshot, folder: str, end: date) -> Any:
    """Return what an agreement folder contributes, or None where its records stand elsewhere."""
    if folder in found.irregular:
        return None
    if folder not in found.agreements:
        path = layout.agreement_path(folder)
        return ("broken", path) if found.broken.get(path) == "agreement" else ("none",)
    return ("ok", snap.timelines()[folder], snap.owed(folder, end))


def _minutes_piece(found: _ByFolder, meeting: str) -> Any:
    """Return what a minutes file contributes, or None where it holds another meeting."""
    from coopkit.queries.actions import meeting_actions
    from coopkit.queries.overview import minutes_status

    if f"minutes:{meeting}" in found.irregular:
        return None
    located = found.minutes.get(meeting)
    if located is None:
        path = layout.minutes_path(meeting)
        return ("broken", path) if found.broken.get(path) == "meeting" else ("none",)
    return ("ok", minutes_status(located.value), meeting_actions(located.value))


# --------------------------------------------------------------------------- problems


def _problems(
    ctx: Context,
    state: TreeState,
    db: FactsDB,
    cache: ParseCache,
    progress: ProgressFn | None,
) -> tuple[list[Problem], Loaded | None]:
    """Return the problems of the working tree, and the full reading where one was needed.

    After a change only the records the change can affect are checked again; the rest keep
    the problems found before (their number is exact; their wording may name ids of the
    previous state, so only the number is served).
    """
    blobs = state.blobs
    stored = db.get("problems")
    if stored is not None:
        try:
            stamp, old_blobs, old_problems = _loads(stored)
        except Exception:  # noqa: BLE001 - damaged: check everything again
            stamp = None
        if stamp == code_stamp():
            if old_blobs == blobs:
                return old_problems, None
            problems = _rechecked(ctx, state, old_blobs, old_problems, cache)
            if problems is not None:
                db.put("problems", _dumps((code_stamp(), blobs, problems)))
                return problems, None
    source: FileSource = state.source()
    if progress is not None:
        source = _Counted(source, progress)
    loaded = load(source, cache)
    db.put("problems", _dumps((code_stamp(), blobs, loaded.problems)))
    from coopkit.index.state import StateDB
    from coopkit.queries.scope import remember_keys

    with StateDB(ctx.root) as sdb:
        remember_keys(sdb, state, loaded.data)
    return loaded.problems, loaded


def _rechecked(
    ctx: Context,
    state: TreeState,
    old_blobs: dict[str, str],
    old_problems: list[Problem],
    cache: ParseCache,
) -> list[Problem] | None:
    """Return the problems after the change from `old_blobs`, checking only its scope."""
    from coopkit.index.state import StateDB
    from coopkit.queries.scope import _Graph, _Overlay, find_scope

    blobs = state.blobs
    changed = {p for p in old_blobs.keys() | blobs.keys() if old_blobs.get(p) != blobs.get(p)}
    source = state.source()
    changes: dict[str, bytes | None] = {}
    for path in changed:
        blob = blobs.get(path)
        if blob is None or blob == SPECIAL:
            changes[path] = None
            continue
        try:
            changes[path] = source.read(path)
        except OSError:
            return None
    before = TreeState(ctx.root, dict(old_blobs), {}, state.tags)
    with StateDB(ctx.root) as sdb:
        graph = _Graph(before, sdb, cache)  # type: ignore[arg-type]
        # The keys of the records as they were are stored by blob id; a missing one cannot be
        # read back from disk (the file changed): check everything instead.
        for path in changed:
            blob = old_blobs.get(path)
            if blob not in (None, SPECIAL) and layout.kind_of(path) is not None:
                if f"{graph.stamp}{layout.kind_of(path)}:{blob}" not in graph.stored:
                    return None
        scope = find_scope(before, changes, graph)
        graph.save()
    after = load(_Overlay(before, changes, scope.read_after), cache)
    kept = [p for p in old_problems if p.source.path not in scope.checked]
    found = [p for p in after.problems if p.source.path in scope.checked]
    # Only their number is served: their order does not matter, duplicates are dropped.
    return sorted_problems(kept + found)


# --------------------------------------------------------------------------- the snapshot


def facts_snapshot(
    ctx: Context, state: TreeState, progress: ProgressFn | None = None
) -> FactsSnapshot | None:
    """Return a snapshot served from the derived facts, updating only what changed.

    None where the repository must be read in full (records standing under other ids).
    """
    from coopkit.queries.due import DEFAULT_HORIZON_YEARS

    light, folders, meeting_paths = _group(state)
    with FactsDB(ctx.root) as db, ParseCacheDB(ctx.root) as cache:
        problems, full = _problems(ctx, state, db, cache, progress)
        if full is not None:
            kept = _Kept(config=full.data.config, partners=full.data.partners)
            kept.action_records = full.data.action_records
            kept.broken = {k: v for k, v in full.data.broken.items() if k == "partner"}
        else:
            data, _ = load_repository(_Paths(state, light), cache)
            kept = _Kept(config=data.config, partners=data.partners)
            kept.action_records = data.action_records
            kept.broken = {k: v for k, v in data.broken.items() if k == "partner"}
        if not _regular_light(kept, light):
            return None
        config = kept.config
        years = config.value.schedule.horizon_years if config else DEFAULT_HORIZON_YEARS
        horizon = horizon_end(date(ctx.today.year, 12, 31), years)
        config_blob = state.blobs.get(layout.CONFIG, "")
        tags = _tags_by_agreement(state.tags)
        keys: dict[str, str] = {}
        for folder, paths in folders.items():
            files = sorted((p, state.blobs[p]) for p in paths)
            keys[f"agreement:{folder}"] = _key(horizon, config_blob, files, tags.get(folder, []))
        for meeting, path in meeting_paths.items():
            keys[f"minutes:{meeting}"] = _key(path, state.blobs[path])
        stored = db.pieces()
        pieces: dict[str, Any] = {}
        for unit, key in keys.items():
            known = stored.get(unit)
            if known is not None and known[0] == key:
                try:
                    pieces[unit] = _loads(known[1])
                except Exception:  # noqa: BLE001 - damaged: derive it again
                    pass
        todo_folders = sorted(f for f in folders if f"agreement:{f}" not in pieces)
        todo_meetings = sorted(m for m in meeting_paths if f"minutes:{m}" not in pieces)
        new: dict[str, Any] = {}
        if full is not None:
            snap = Snapshot(ctx, full.data, full.problems)
            found = _ByFolder(full.data)
            for folder in todo_folders:
                new[f"agreement:{folder}"] = _agreement_piece(found, snap, folder, horizon)
            for meeting in todo_meetings:
                new[f"minutes:{meeting}"] = _minutes_piece(found, meeting)
        else:
            for start in range(0, len(todo_folders), BATCH):
                batch = todo_folders[start : start + BATCH]
                part, _ = load_repository(
                    _Paths(state, [p for f in batch for p in folders[f]]), cache
                )
                snap, found = Snapshot(ctx, part, []), _ByFolder(part)
                for folder in batch:
                    new[f"agreement:{folder}"] = _agreement_piece(found, snap, folder, horizon)
            for start in range(0, len(todo_meetings), BATCH * 10):
                batch = todo_meetings[start : start + BATCH * 10]
                part, _ = load_repository(_Paths(state, [meeting_paths[m] for m in batch]), cache)
                found = _ByFolder(part)
                for meeting in batch:
                    new[f"minutes:{meeting}"] = _minutes_piece(found, meeting)
        if any(piece is None for piece in new.values()):
            return None
        db.put_pieces(
            [(unit, keys[unit], _dumps(piece)) for unit, piece in new.items()],
            [unit for unit in stored if unit not in keys],
        )
        pieces.update(new)
    return _assemble(ctx, kept, pieces, horizon, problems)


def _assemble(
    ctx: Context, kept: _Kept, pieces: dict[str, Any], horizon: date, problems: list[Problem]
) -> FactsSnapshot:
    timelines: dict[str, Timeline] = {}
    owed: dict[str, list[Occurrence]] = {}
    meetings: list[tuple[MinutesStatus, MeetingActions]] = []
    agreements: dict[str, Located[Any]] = {}
    for unit in sorted(pieces):
        kind, _, record_id = unit.partition(":")
        piece = pieces[unit]
        if piece[0] == "broken":
            kept.broken.setdefault("agreement" if kind == "agreement" else "meeting", {})[
                record_id
            ] = piece[1]
        elif piece[0] == "ok" and kind == "agreement":
            timelines[record_id] = piece[1]
            owed[record_id] = piece[2]
            agreements[record_id] = Located(piece[1].working, layout.agreement_path(record_id))
        elif piece[0] == "ok":
            meetings.append((piece[1], piece[2]))
    kept.agreements = agreements
    return FactsSnapshot(ctx, kept, timelines, owed, horizon, meetings, len(problems))
