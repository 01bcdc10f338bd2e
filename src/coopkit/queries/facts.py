"""The everyday views from derived facts kept per agreement and per meeting.

`status`, `due`, `obligation list` and `agreement show` need, beyond partners and the
configuration, only each agreement's version timeline and its open occurrences, each meeting's
place in the overview and its actions, and the number of problems. These are kept in
.coop/facts.sqlite:

- one piece per agreement: its timeline and open occurrences up to the end of the year's horizon,
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

import gc
import hashlib
import io
import marshal
import pickle
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, is_dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import BaseModel

from coopkit.errors import Problem, sorted_problems
from coopkit.index.cache import ParseCacheDB
from coopkit.index.facts import FactsDB
from coopkit.model.base import Located
from coopkit.model.repo import RepoData
from coopkit.queries.context import Context
from coopkit.queries.load import ProgressFn, Snapshot, _Counted, load
from coopkit.queries.state import SPECIAL, TreeState, code_stamp
from coopkit.schedule import horizon_end
from coopkit.store import layout
from coopkit.store.files import FileSource, ParseCache, load_repository

if TYPE_CHECKING:
    from coopkit.queries.actions import ActionRow, MeetingActions
    from coopkit.queries.due import Occurrence
    from coopkit.queries.overview import MinutesStatus
    from coopkit.queries.versions import Timeline

OpenRow = tuple[str, str, str, int, str, list[str], "int | None"]
"""An open occurrence as kept: version, obligation, partner, due day (ordinal), what, to, §."""

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
        if (
            module.startswith("coopkit.")
            and isinstance(found, type)
            and (is_dataclass(found) or issubclass(found, BaseModel))
        ):
            return found
        raise pickle.UnpicklingError(f"{module}.{name} is not a derived fact")


def _loads(value: bytes) -> Any:
    """Return a stored value: plain values marshalled, records by restricted pickle."""
    if value[:1] == b"M":
        return marshal.loads(value[1:])
    if value[:1] != b"P":
        raise ValueError("not a stored piece")
    return _Facts(io.BytesIO(value[1:])).load()


def _dumps(value: Any, *, plain: bool = False) -> bytes:
    if plain:
        return b"M" + marshal.dumps(value)
    return b"P" + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class _Agreements(dict[str, Located[Any]]):
    """Agreement id -> its working text, decoded from the store only when it is read."""

    def __init__(self, snap: FactsSnapshot, ids: Iterable[str]) -> None:
        super().__init__()
        self.snap = snap
        self.ids = sorted(ids)
        for agreement_id in self.ids:
            super().__setitem__(agreement_id, _PENDING)

    def __getitem__(self, agreement_id: str) -> Located[Any]:
        found = super().__getitem__(agreement_id)
        if found is _PENDING:
            working = self.snap.timeline_of(agreement_id).working
            found = Located(working, layout.agreement_path(agreement_id))
            super().__setitem__(agreement_id, found)
        return found

    def get(self, agreement_id: str, default: Any = None) -> Any:
        return self[agreement_id] if agreement_id in self else default

    def values(self) -> list[Located[Any]]:  # type: ignore[override]
        return [self[k] for k in self.ids]

    def items(self) -> list[tuple[str, Located[Any]]]:  # type: ignore[override]
        return [(k, self[k]) for k in self.ids]


_PENDING: Any = Located(None, "")


class FactsSnapshot(Snapshot):
    """A snapshot whose timelines, occurrences, meetings and problem count come from the store."""

    def __init__(
        self,
        ctx: Context,
        data: _Kept,
        timelines: dict[str, bytes],
        owed: dict[str, list[OpenRow]],
        horizon: date,
        meetings: Callable[[], list[tuple[MinutesStatus, MeetingActions]]],
        problems: int,
        state: TreeState,
    ) -> None:
        self.ctx = ctx
        self.data = data
        self.rev = None
        self.state = state
        self._texts = timelines
        self._decoded: dict[str, Timeline] = {}
        self._timelines = None
        self._fulfilments = None
        self._action_rows = {}
        self._owed = owed
        self._horizon = horizon
        self._read_meetings = meetings
        self._meetings: list[tuple[MinutesStatus, MeetingActions]] | None = None
        self._problem_count = problems
        data.agreements = _Agreements(self, timelines)

    def timelines(self) -> dict[str, Timeline]:
        """Return the version timeline of every agreement (decoded from the store)."""
        if self._timelines is None:
            self._timelines = {aid: self.timeline_of(aid) for aid in sorted(self._texts)}
        return self._timelines

    def timeline(self, agreement_id: str) -> Timeline:
        """Return the version timeline of one agreement (it must exist)."""
        from coopkit.queries.lookup import check_agreement

        check_agreement(self, agreement_id)
        return self.timeline_of(agreement_id)

    def timeline_of(self, agreement_id: str) -> Timeline:
        """Return a kept timeline, decoded on first use."""
        found = self._decoded.get(agreement_id)
        if found is None:
            found = self._decoded[agreement_id] = _loads(self._texts[agreement_id])
        return found

    def meetings(self) -> list[tuple[MinutesStatus, MeetingActions]]:
        """Return every meeting's overview row and actions (read from the store on first use)."""
        if self._meetings is None:
            self._meetings = self._read_meetings()
        return self._meetings

    @property
    def problems(self) -> list[Problem]:  # type: ignore[override]
        """The problems' wording is not kept (only their number): read everything."""
        _refuse("problems")

    def problem_count(self) -> int:
        """Return the number of problems the records have."""
        return self._problem_count

    def owed(self, agreement_id: str, end: date) -> list[Occurrence]:
        """Fulfilled occurrences are not kept: read everything."""
        _refuse("fulfilled occurrences")

    def owed_open(self, agreement_id: str, end: date) -> list[Occurrence]:
        """Return the kept open occurrences of an agreement up to `end`."""
        from coopkit.queries.due import Occurrence

        if end > self._horizon:
            _refuse("occurrences beyond the kept horizon")
        rows = self._owed[agreement_id]
        last = end.toordinal()
        return [
            Occurrence(
                agreement_id, v, ob, p, date.fromordinal(d), what, list(to), clause, "open", False
            )
            for v, ob, p, d, what, to, clause in rows
            if d <= last
        ]

    def meeting_rows(self) -> list[MinutesStatus]:
        """Return every meeting as the overview lists it."""
        return [row for row, _ in self.meetings()]

    def _rows(self, open_only: bool) -> list[ActionRow]:
        from coopkit.queries.actions import rows_of

        stated = sorted((actions for _, actions in self.meetings()), key=lambda m: (m[1], m[0]))
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
    blobs = state.blobs
    for path, blob in blobs.items():
        if blob == SPECIAL:
            continue
        if path.startswith("minutes/") and path.endswith(".md") and path.count("/") == 1:
            # `layout.kind_of` says "minutes" for exactly these; 20,000 of them at Land scale.
            meetings[path[len("minutes/") : -len(".md")]] = path
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
    rows = [
        (o.version, o.obligation, o.partner, o.due.toordinal(), o.what, o.to, o.clause)
        for o in snap.owed_open(folder, end)
    ]
    return ("ok", _dumps(snap.timelines()[folder]), rows)


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
    row = minutes_status(located.value)
    return ("ok", (row.id, row.date, row.title, row.status), meeting_actions(located.value))


# --------------------------------------------------------------------------- problems


def _problems(
    ctx: Context,
    state: TreeState,
    db: FactsDB,
    cache: ParseCache,
    progress: ProgressFn | None,
) -> list[Problem]:
    """Return the problems of the working tree.

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
                return list(old_problems)
            problems = _rechecked(ctx, state, old_blobs, old_problems, cache)
            if problems is not None:
                db.put("problems", _dumps((code_stamp(), blobs, problems)))
                return problems
    source: FileSource = state.source()
    if progress is not None:
        source = _Counted(source, progress)
    loaded = load(source, cache)
    db.put("problems", _dumps((code_stamp(), blobs, loaded.problems)))
    from coopkit.index.state import StateDB
    from coopkit.queries.scope import remember_keys

    with StateDB(ctx.root) as sdb:
        remember_keys(sdb, state, loaded.data)
    problems = loaded.problems
    # The records of the full reading are not needed again: free them (and the parser's
    # cycles among them) before the pieces are derived.
    del loaded
    gc.unfreeze()
    gc.collect()
    return problems


def _rechecked(
    ctx: Context,
    state: TreeState,
    old_blobs: dict[str, str],
    old_problems: list[Problem],
    cache: ParseCache,
) -> list[Problem] | None:
    """Return the problems after the change from `old_blobs`, checking only its scope."""
    from coopkit.queries.scope import recheck

    found = recheck(state, old_blobs, cache)
    if found is None:
        return None
    after, checked = found
    kept = [p for p in old_problems if p.source.path not in checked]
    new = [p for p in after.problems if p.source.path in checked]
    # Only their number is served: their order does not matter, duplicates are dropped.
    return sorted_problems(kept + new)


# --------------------------------------------------------------------------- the snapshot


@dataclass
class Update:
    """What `update` found: the keys of every unit, the pieces it derived, the problems."""

    ctx: Context
    light: list[str]
    """The paths of coop.toml, the partners and the closing records (read for every view)."""
    keys: dict[str, str]
    new: dict[str, Any]
    broken: dict[str, str]
    """Unit -> the path of its file where that failed to load."""
    horizon: date
    problems: int
    state: TreeState

    def pieces(self, prefix: str) -> dict[str, Any] | None:
        """Return the pieces of the units starting with `prefix` (None if replaced meanwhile)."""
        pieces = {u: p for u, p in self.new.items() if u.startswith(prefix)}
        with FactsDB(self.ctx.root) as db:
            for unit, key, value in db.values(prefix):
                if unit in pieces or unit not in self.keys:
                    continue
                if key != self.keys[unit]:
                    return None
                try:
                    pieces[unit] = _loads(value)
                except Exception:  # noqa: BLE001 - damaged: read everything this time
                    return None
        if len(pieces) != sum(u.startswith(prefix) for u in self.keys):
            return None
        return pieces

    def snapshot(self) -> FactsSnapshot | None:
        """Return the snapshot of all pieces; meetings are read when a view asks for them."""
        from coopkit.queries.overview import MinutesStatus

        agreements = self.pieces("agreement:")
        if agreements is None:
            return None
        with ParseCacheDB(self.ctx.root) as cache:
            source = load_repository(_Paths(self.state, self.light), cache)[0]
        kept = _Kept(config=source.config, partners=source.partners)
        kept.action_records = source.action_records
        kept.broken = {k: v for k, v in source.broken.items() if k == "partner"}
        if not _regular_light(kept, self.light):
            return None
        for unit, path in self.broken.items():
            kind, _, record_id = unit.partition(":")
            kept.broken.setdefault("agreement" if kind == "agreement" else "meeting", {})[
                record_id
            ] = path
        texts: dict[str, bytes] = {}
        owed: dict[str, list[OpenRow]] = {}
        for unit in sorted(agreements):
            piece = agreements[unit]
            if piece[0] == "ok":
                record_id = unit.partition(":")[2]
                texts[record_id] = piece[1]
                owed[record_id] = piece[2]

        def meetings() -> list[tuple[MinutesStatus, MeetingActions]]:
            pieces = self.pieces("minutes:")
            if pieces is None:
                _refuse("meetings replaced meanwhile")
            return [
                (MinutesStatus(*piece[1]), piece[2])
                for _, piece in sorted(pieces.items())
                if piece[0] == "ok"
            ]

        return FactsSnapshot(
            self.ctx, kept, texts, owed, self.horizon, meetings, self.problems, self.state
        )


def facts_snapshot(
    ctx: Context, state: TreeState, progress: ProgressFn | None = None
) -> FactsSnapshot | None:
    """Return a snapshot served from the derived facts, updating only what changed.

    None where the repository must be read in full (records standing under other ids).
    """
    found = update(ctx, state, progress)
    return found.snapshot() if found is not None else None


def update(ctx: Context, state: TreeState, progress: ProgressFn | None = None) -> Update | None:
    """Bring the derived facts up to date with the working tree; derive only changed units.

    None where the repository must be read in full (records standing under other ids).
    """
    from coopkit.queries.due import DEFAULT_HORIZON_YEARS

    light, folders, meeting_paths = _group(state)
    with FactsDB(ctx.root) as db, ParseCacheDB(ctx.root) as cache:
        problems = _problems(ctx, state, db, cache, progress)
        configs = [p for p in light if p == layout.CONFIG]
        config = load_repository(_Paths(state, configs), cache)[0].config
        years = config.value.schedule.horizon_years if config else DEFAULT_HORIZON_YEARS
        horizon = horizon_end(date(ctx.today.year, 12, 31), years)
        blobs = state.blobs
        config_blob = blobs.get(layout.CONFIG, "")
        tags = _tags_by_agreement(state.tags)
        keys: dict[str, str] = {}
        for folder, paths in folders.items():
            files = sorted((p, blobs[p]) for p in paths)
            keys[f"agreement:{folder}"] = _key(horizon, config_blob, files, tags.get(folder, []))
        stamp = code_stamp()
        for meeting, path in meeting_paths.items():
            keys[f"minutes:{meeting}"] = f"{stamp}:{blobs[path]}"
        stored = db.keys()
        todo = {u for u, key in keys.items() if stored.get(u, ("", ""))[0] != key}
        todo_folders = sorted(f for f in folders if f"agreement:{f}" in todo)
        todo_meetings = sorted(m for m in meeting_paths if f"minutes:{m}" in todo)
        new: dict[str, Any] = {}
        # Units are read a batch at a time (a first build holds no more than one batch).
        for start in range(0, len(todo_folders), BATCH):
            batch = todo_folders[start : start + BATCH]
            part, _ = load_repository(_Paths(state, [p for f in batch for p in folders[f]]), cache)
            snap, records = Snapshot(ctx, part, []), _ByFolder(part)
            for folder in batch:
                new[f"agreement:{folder}"] = _agreement_piece(records, snap, folder, horizon)
            if progress is not None:
                progress(start + len(batch), len(todo_folders) + len(todo_meetings))
        for start in range(0, len(todo_meetings), BATCH * 10):
            batch = todo_meetings[start : start + BATCH * 10]
            part, _ = load_repository(_Paths(state, [meeting_paths[m] for m in batch]), cache)
            records = _ByFolder(part)
            for meeting in batch:
                new[f"minutes:{meeting}"] = _minutes_piece(records, meeting)
            if progress is not None:
                done = len(todo_folders) + start + len(batch)
                progress(done, len(todo_folders) + len(todo_meetings))
        if any(piece is None for piece in new.values()):
            return None
        db.put_pieces(
            [
                (unit, keys[unit], _note(piece), _dumps(piece, plain=True))
                for unit, piece in new.items()
            ],
            [unit for unit in stored if unit not in keys],
        )
    broken = {u: note for u, (_, note) in stored.items() if note and u in keys and u not in new}
    broken.update({u: _note(piece) for u, piece in new.items() if _note(piece)})
    return Update(ctx, light, keys, new, broken, horizon, len(problems), state)


def _note(piece: Any) -> str:
    """Return the path of a unit's file that failed to load, else ""."""
    return str(piece[1]) if piece[0] == "broken" else ""
