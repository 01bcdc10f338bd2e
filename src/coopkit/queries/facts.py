"""The everyday views from derived facts kept per agreement and per meeting.

`status`, `due`, `obligation list` and `agreement show` need, beyond partners and the
configuration, only each agreement's version timeline and its open occurrences, each meeting's
place in the overview and its actions, and the number of problems. These are kept in
.coop/facts.sqlite:

- one piece per agreement: its timeline and open occurrences up to the end of the year's horizon,
  keyed by the blob ids of the files in its folder, its version tags, coop.toml and the program;
- one piece per meeting: its overview row and actions, keyed by the blob id of its minutes
  (and by HEAD while the file differs from it);
- the problems `coop check` prints (`check.repository_problems`), in four parts: those of the
  loaded records (after a change only the records the change can affect are checked again, see
  `queries.scope`), each agreement folder's history problems (kept in its piece), each approved
  minutes file's (kept in its piece), and the key registry's (kept with the base, keyed by
  coop.toml, the partners and the key records). Problems are kept as their place and a short
  hash of place and wording, so that two equal problems count once, as `coop check` lists them.

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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, is_dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import BaseModel

from coopkit.errors import Problem
from coopkit.index.cache import ParseCacheDB
from coopkit.index.facts import FactsDB
from coopkit.index.stamp import program_stamp
from coopkit.model.base import Located
from coopkit.model.repo import RepoData
from coopkit.queries.context import Context
from coopkit.queries.load import ProgressFn, Snapshot, _Counted, load
from coopkit.queries.state import (
    SPECIAL,
    Tree,
    TreeState,
    resolve_changes,
    tree_changes,
)
from coopkit.schedule import horizon_end
from coopkit.schedule.workdays import calendar_stamp
from coopkit.store import layout
from coopkit.store.files import FileSource, ParseCache, load_repository

if TYPE_CHECKING:
    from coopkit.queries.actions import ActionRow, MeetingActions
    from coopkit.queries.due import Occurrence
    from coopkit.queries.overview import MinutesStatus
    from coopkit.queries.versions import Timeline
    from coopkit.schedule.workdays import Shift

KeptShift = tuple[int, tuple[tuple[int, str, str, bool], ...]]
"""A moved due date as kept: the nominal day (ordinal) and the days off passed over."""

OpenRow = tuple[str, str, str, int, str, list[str], "int | None", "KeptShift | None"]
"""An open occurrence as kept: version, obligation, partner, due day (ordinal), what, to, §,
and where the due day was moved from."""

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
        "withdrawals",
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
        problems: Callable[[], int],
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
        self._history = None
        self._roots = None
        self._owed = owed
        self._horizon = horizon
        self._read_meetings = meetings
        self._meetings: list[tuple[MinutesStatus, MeetingActions]] | None = None
        self._count_problems = problems
        self._problem_count: int | None = None
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
        """Return the number of problems `coop check` prints (counted from the store)."""
        if self._problem_count is None:
            self._problem_count = self._count_problems()
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
                agreement_id,
                v,
                ob,
                p,
                date.fromordinal(d),
                what,
                list(to),
                clause,
                "open",
                False,
                None,
                None if moved is None else _shift(moved, d),
            )
            for v, ob, p, d, what, to, clause, moved in rows
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
    """Some paths of a scanned working tree with their blob ids, as a file source for the loader."""

    def __init__(self, state: TreeState, blobs: Mapping[str, str]) -> None:
        self.base = state.source()
        self._blobs = blobs

    def paths(self) -> Iterator[str]:
        yield from sorted(self._blobs)

    def read(self, path: str) -> bytes | None:
        return self.base.read(path)

    def digest(self, path: str) -> str | None:
        return self._blobs.get(path)


_LIGHT = frozenset({"config", "partner", "action", "key", "key-revocation"})
_TRUST = frozenset({"key", "key-revocation"})


def _trust_files(light: Mapping[str, str]) -> dict[str, str]:
    """Return coop.toml and the key records of the light records: what every verdict reads."""
    return {p: b for p, b in light.items() if p == layout.CONFIG or layout.kind_of(p) in _TRUST}


def _uncommitted(tree: Tree) -> set[str]:
    """Return the paths a tree has apart from its HEAD commit (every path without a commit)."""
    # Without a commit the tree lists every path: none is committed. Taken as committed, a
    # piece derived before the first commit would keep its key (and its verdicts) after it.
    return set(tree[1])


def _trust_key(light: Mapping[str, str], tree: Tree) -> str:
    """Return one id for the key records, their blobs and whether each is committed."""
    dirty = _uncommitted(tree)
    return repr(
        sorted((p, b, p in dirty) for p, b in _trust_files(light).items() if p != layout.CONFIG)
    )


_FOLDER = frozenset({"agreement", "signoff", "fulfilment", "termination", "withdrawal"})


def _unit_of(path: str) -> str | None:
    """Return the unit a record path belongs to: "agreement:F", "minutes:ID", "light" or None."""
    if path.startswith("minutes/") and path.endswith(".md") and path.count("/") == 1:
        # `layout.kind_of` says "minutes" for exactly these; 20,000 of them at Land scale.
        return f"minutes:{path[len('minutes/') : -len('.md')]}"
    kind = layout.kind_of(path)
    if kind in _LIGHT:
        return "light"
    if kind in _FOLDER:
        return f"agreement:{path.split('/')[1]}"
    return None


def _group(blobs: Mapping[str, str]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Return (light record path -> blob id, unit -> its files' blob ids); links left out."""
    light: dict[str, str] = {}
    units: dict[str, dict[str, str]] = {}
    for path, blob in blobs.items():
        if blob == SPECIAL:
            continue
        unit = _unit_of(path)
        if unit == "light":
            light[path] = blob
        elif unit is not None:
            units.setdefault(unit, {})[path] = blob
    return light, units


def _apply(files: dict[str, str], path: str, blob: str | None) -> None:
    """Set a path's blob id in a unit's files (links and deleted files are left out)."""
    if blob is None or blob == SPECIAL:
        files.pop(path, None)
    else:
        files[path] = blob


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
    digest = hashlib.sha256(program_stamp().encode())
    for part in parts:
        digest.update(f"{part}\n".encode())
    return digest.hexdigest()


def _regular_light(data: RepoData, light: Iterable[str]) -> bool:
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
        records: list[Located[Any]] = [*data.signoffs, *data.terminations, *data.withdrawals]
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


def _kept_shift(shift: Shift | None) -> KeptShift | None:
    """Return a moved due date as plain values."""
    if shift is None:
        return None
    days = tuple((d.day.toordinal(), d.de, d.en, d.holiday) for d in shift.days)
    return shift.nominal.toordinal(), days


def _shift(kept: KeptShift, due: int) -> Shift:
    """Return a kept moved due date."""
    from coopkit.schedule.workdays import DayOff, Shift

    nominal, days = kept
    return Shift(
        date.fromordinal(nominal),
        date.fromordinal(due),
        tuple(DayOff(date.fromordinal(d), de, en, h) for d, de, en, h in days),
    )


def _agreement_piece(found: _ByFolder, snap: Snapshot, folder: str, end: date) -> Any:
    """Return what an agreement folder contributes, or None where its records stand elsewhere."""
    if folder in found.irregular:
        return None
    if folder not in found.agreements:
        path = layout.agreement_path(folder)
        return ("broken", path) if found.broken.get(path) == "agreement" else ("none",)
    rows = [
        (
            o.version,
            o.obligation,
            o.partner,
            o.due.toordinal(),
            o.what,
            o.to,
            o.clause,
            _kept_shift(o.shift),
        )
        for o in snap.owed_open(folder, end)
    ]
    return ("ok", _dumps(snap.timelines()[folder]), rows)


Placed = list[tuple[str, bytes]]
"""Problems as kept: (path, `_problem_key`), each once."""


def _problem_key(problem: Problem) -> bytes:
    """Return a short hash of what `sorted_problems` tells problems apart by: place and wording."""
    where = problem.source
    text = f"{where.path}\0{where.line}\0{where.col}\0{problem.message.format('de')}"
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def _placed(problems: Iterable[Problem]) -> Placed:
    """Return problems as kept, each once."""
    return sorted({(p.source.path, _problem_key(p)) for p in problems})


def _by_unit(problems: Iterable[Problem], units: Iterable[str]) -> dict[str, Placed] | None:
    """Return unit -> the problems in its files; None where one stands outside `units`."""
    found: dict[str, list[Problem]] = {unit: [] for unit in units}
    for problem in problems:
        unit = _unit_of(problem.source.path)
        if unit not in found:
            return None
        found[unit].append(problem)
    return {unit: _placed(held) for unit, held in found.items()}


def _read_placed(value: bytes) -> Placed | None:
    """Return kept problems from their stored form, or None where it is damaged."""
    try:
        found = marshal.loads(value)
    except (ValueError, EOFError, TypeError):
        return None
    return _valid_placed(found)


def _valid_placed(found: Any) -> Placed | None:
    """Return `found` if it is kept problems, else None."""
    if not isinstance(found, list) or not all(
        isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], bytes)
        for item in found
    ):
        return None
    return found


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


# --------------------------------------------------------------------------- the base


Changes = dict[str, tuple["str | None", "str | None"]]
"""path -> (blob id before, blob id now) of every path that changed."""


@dataclass
class _Base:
    """The tree the stored pieces stand for, and what every view reads besides them."""

    stamp: str
    tree: Tree
    tags: str
    horizon: int
    """The kept horizon, as a day ordinal."""
    light: dict[str, str]
    """coop.toml, partners and actions: path -> blob id."""
    problems: dict[str, list[bytes]]
    """The loaded records' problems per file (`_problem_key` of each)."""
    registry_key: str = ""
    """The key of what the registry's problems were found from."""
    registry: Placed = field(default_factory=list)
    """The key registry's problems."""

    def dumps(self) -> bytes:
        kept = (self.problems, self.registry_key, self.registry)
        return marshal.dumps((self.stamp, self.tree, self.tags, self.horizon, self.light, kept))

    @staticmethod
    def loads(value: bytes | None) -> _Base | None:
        """Return a stored base of this program, or None (absent, damaged, another program)."""
        if value is None:
            return None
        try:
            stamp, tree, tags, horizon, light, kept = marshal.loads(value)
            problems, registry_key, registry = kept
            base = _Base(stamp, (tree[0], tree[1]), tags, horizon, light, problems)
        except Exception:  # noqa: BLE001 - damaged or foreign: build again
            return None
        placed = _valid_placed(registry)
        if placed is None or not isinstance(registry_key, str):
            return None
        base.registry_key, base.registry = registry_key, placed
        if stamp != program_stamp() or not all(
            isinstance(x, t)
            for x, t in (
                (base.tree[0], str),
                (base.tree[1], dict),
                (tags, str),
                (horizon, int),
                (light, dict),
                (problems, dict),
            )
        ):
            return None
        # Only text where text belongs: a foreign or damaged base is built again.
        if (
            not all(
                isinstance(k, str) and (v is None or isinstance(v, str))
                for k, v in base.tree[1].items()
            )
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in light.items())
            or not all(
                isinstance(k, str) and isinstance(v, list) and all(isinstance(b, bytes) for b in v)
                for k, v in problems.items()
            )
        ):
            return None
        return base


def _changes(root: Path, base: _Base | None, state: TreeState) -> Changes | None:
    """Return what changed since the base, or None where that cannot be told."""
    if base is None:
        return None
    found = tree_changes(root, base.tree, state.tree)
    return None if found is None else resolve_changes(root, state.head, found)


def _file_problems(
    ctx: Context,
    state: TreeState,
    base: _Base | None,
    changes: Changes | None,
    cache: ParseCache,
    progress: ProgressFn | None,
) -> dict[str, list[bytes]]:
    """Return the loaded records' problems per file of the working tree (as kept).

    After a change only the records the change can affect are checked again (see
    `queries.scope`); the others keep the problems found before.
    """
    if base is not None and changes is not None:
        if not changes:
            return base.problems
        from coopkit.queries.scope import recheck

        found = recheck(state, changes, cache)
        if found is not None:
            after, checked = found
            counts = {p: n for p, n in base.problems.items() if p not in checked}
            counts.update(_per_file(p for p in after.problems if p.source.path in checked))
            return counts
    source: FileSource = state.source()
    if progress is not None:
        source = _Counted(source, progress)
    loaded = load(source, cache)
    from coopkit.index.state import StateDB
    from coopkit.queries.scope import remember_keys

    with StateDB(ctx.root) as sdb:
        remember_keys(sdb, state, loaded.data)
    counts = _per_file(loaded.problems)
    # The records of the full reading are not needed again: free them (and the parser's
    # cycles among them) before the pieces are derived.
    del loaded
    gc.unfreeze()
    gc.collect()
    return counts


def _per_file(problems: Iterable[Problem]) -> dict[str, list[bytes]]:
    """Return the problems per file, as kept."""
    found: dict[str, list[bytes]] = {}
    for problem in problems:
        found.setdefault(problem.source.path, []).append(_problem_key(problem))
    return found


_REGISTRY = frozenset({"partner", "key", "key-revocation"})


def _registry_files(light: Mapping[str, str]) -> dict[str, str]:
    """Return what the key registry's problems read: coop.toml, partners and key records."""
    return {p: b for p, b in light.items() if p == layout.CONFIG or layout.kind_of(p) in _REGISTRY}


def _registry_problems(
    ctx: Context, state: TreeState, cache: ParseCache, files: dict[str, str]
) -> Placed:
    """Return the key registry's problems, read from its records alone (see `_registry_files`).

    Whether a registration or revocation holds also depends on where its record entered the
    history: the key names whether each record is committed; a committed record keeps its
    entry while HEAD only moves on (as for the sign-offs' verdicts in the pieces).
    """
    from coopkit.queries.check import registry_problems

    part, _ = load_repository(_Paths(state, files), cache)
    return _placed(registry_problems(Snapshot(ctx, part, [], state=state)))


# --------------------------------------------------------------------------- the snapshot


@dataclass
class Update:
    """What `update` found: the pieces it derived, the units gone, the problems."""

    ctx: Context
    light: dict[str, str]
    """coop.toml, the partners and the actions (read for every view): path -> blob id."""
    new: dict[str, Any]
    """Unit -> the piece derived now."""
    gone: set[str]
    """Units whose files are all gone."""
    token: str | None
    """The stored pieces this update stands on (the others are `new` or gone)."""
    broken: dict[str, str]
    """Unit -> the path of its file where that failed to load."""
    horizon: date
    problems: dict[str, list[bytes]]
    """The loaded records' problems per file."""
    placed: dict[str, Placed]
    """Unit -> the problems only its history shows, of the units derived now."""
    registry: Placed
    """The key registry's problems."""
    state: TreeState

    def problem_count(self) -> int:
        """Return the number of problems `coop check` prints, from the kept parts.

        Raises:
            NeedsRecords: the pieces were replaced meanwhile, or a stored row is damaged.
        """
        with FactsDB(self.ctx.root) as db:
            stored = db.problems(self.token)
        if stored is None:
            _refuse("problems replaced meanwhile")
        found: dict[str, set[bytes]] = {}
        parts: list[Placed] = [self.registry, *self.placed.values()]
        for unit, value in stored:
            if unit in self.new or unit in self.gone:
                continue
            held = _read_placed(value)
            if held is None:
                _refuse("damaged problems")
            parts.append(held)
        for part in parts:
            for path, key in part:
                found.setdefault(path, set()).add(key)
        # Equal problems count once, as `coop check` lists them (`sorted_problems`).
        total = sum(len(keys) for keys in self.problems.values())
        for path, keys in found.items():
            total += len(keys.difference(self.problems.get(path, ())))
        return total

    def pieces(self, prefix: str) -> dict[str, Any] | None:
        """Return the pieces of the units starting with `prefix` (None if replaced meanwhile)."""
        with FactsDB(self.ctx.root) as db:
            stored = db.values(prefix, self.token)
        if stored is None:
            return None
        pieces: dict[str, Any] = {}
        for unit, value in stored:
            if unit in self.new or unit in self.gone:
                continue
            try:
                pieces[unit] = _loads(value)
            except Exception:  # noqa: BLE001 - damaged: read everything this time
                return None
        pieces.update({u: p for u, p in self.new.items() if u.startswith(prefix)})
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
            self.ctx, kept, texts, owed, self.horizon, meetings, self.problem_count, self.state
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

    What changed is found from the stored base (the tree the pieces stand for) and the scanned
    tree, as HEAD commits and the paths that differ: an unchanged repository of any size costs
    a few lookups. None where the repository must be read in full (records standing under
    other ids), or where other processes kept replacing the facts meanwhile.
    """
    for _ in range(3):
        found = _update(ctx, state, progress)
        if not isinstance(found, _Raced):
            return found
    return None


class _Raced:
    """Another process replaced the facts meanwhile, or a damaged row was seen: start again."""


def _update(ctx: Context, state: TreeState, progress: ProgressFn | None) -> Update | _Raced | None:
    from coopkit.queries.due import DEFAULT_HORIZON_YEARS

    with FactsDB(ctx.root) as db, ParseCacheDB(ctx.root) as cache:
        token, stored_base = db.base()
        base = _Base.loads(stored_base)
        changes = _changes(ctx.root, base, state)
        if base is not None and changes is not None:
            light = dict(base.light)
            for path, (_, blob) in changes.items():
                if _unit_of(path) == "light":
                    _apply(light, path, blob)
            units: dict[str, dict[str, str]] | None = None
        else:
            light, units = _group(state.blobs)
        config_file = {layout.CONFIG: light[layout.CONFIG]} if layout.CONFIG in light else {}
        config = load_repository(_Paths(state, config_file), cache)[0].config
        years = config.value.schedule.horizon_years if config else DEFAULT_HORIZON_YEARS
        horizon = horizon_end(date(ctx.today.year, 12, 31), years)
        tags = _tags_by_agreement(state.tags)
        problems = _file_problems(ctx, state, base, changes, cache, progress)

        trust = _trust_key(light, state.tree)
        dirty = _uncommitted(state.tree)
        registry_files = _registry_files(light)
        registry_key = _key(sorted((p, b, p in dirty) for p, b in registry_files.items()))
        if base is not None and base.registry_key == registry_key:
            registry = base.registry
        else:
            registry = _registry_problems(ctx, state, cache, registry_files)

        def agreement_key(folder: str, files: dict[str, str]) -> str:
            config_blob = config_file.get(layout.CONFIG, "")
            # A sign-off's verdict also depends on whether it is committed and on the keys.
            uncommitted = sorted(p for p in files if p in dirty)
            return _key(
                horizon,
                config_blob,
                # A new release of the holiday data can move a due date.
                calendar_stamp(),
                sorted(files.items()),
                tags.get(folder, []),
                trust,
                uncommitted,
            )

        def unit_key(unit: str, files: dict[str, str]) -> str:
            kind, _, name = unit.partition(":")
            if kind == "agreement":
                return agreement_key(name, files)
            path, blob = next(iter(files.items()))
            # Approved minutes changed since their approval: without a note, whether a file
            # was approved in an earlier commit is read from HEAD's history, which can change
            # under a file that differs from HEAD. A file as HEAD has it was approved there.
            return f"{program_stamp()}:{blob}:{'+' + state.head if path in dirty else ''}"

        found = None
        if (
            base is not None
            and changes is not None
            and units is None
            and base.horizon == horizon.toordinal()
            and base.light.get(layout.CONFIG) == light.get(layout.CONFIG)
            and _trust_key(base.light, base.tree) == trust
        ):
            # A new HEAD can commit a file as it is (or leave one differing from it): the units
            # of every path that differed from either HEAD are keyed again.
            moved = set(base.tree[1]) | set(state.tree[1]) if base.tree[0] != state.head else ()
            found = _rekeyed(db, _touched(changes, base.tags, tags, moved), unit_key)
        if found is None:
            # Every unit keyed from the scanned tree (first build, another horizon or coop.toml,
            # or a damaged row).
            if units is None:
                light, units = _group(state.blobs)
            stored = db.rows(None)
            keys = {unit: unit_key(unit, files) for unit, files in units.items()}
            files_of, gone = units, {u for u in stored if u not in units}
        else:
            keys, files_of, gone, stored = found
        notes, damaged = db.notes()
        if damaged and found is not None:
            # A row coop did not write here may be one no change touched: key every unit.
            db.forget_base()
            return _Raced()
        todo = sorted(u for u, key in keys.items() if u not in stored or stored[u][0] != key)
        derived = _derive(ctx, state, cache, todo, files_of, _trust_files(light), horizon, progress)
        if derived is None:
            return None
        new, placed = derived
        next_base = _Base(
            program_stamp(),
            state.tree,
            state.tags,
            horizon.toordinal(),
            light,
            problems,
            registry_key,
            registry,
        )
        if new or gone or base is None or next_base.dumps() != stored_base:
            rows = [
                (
                    u,
                    keys[u],
                    _note(piece),
                    marshal.dumps(files_of[u]),
                    marshal.dumps(placed[u]) if placed[u] else b"",
                    _dumps(piece, plain=True),
                )
                for u, piece in new.items()
            ]
            written = db.write(token, next_base.dumps(), rows, gone)
            if written is not None:
                token = written
            elif db.raced(token):
                return _Raced()
    broken = {u: note for u, note in notes.items() if u not in gone and u not in new}
    broken.update({u: _note(piece) for u, piece in new.items() if _note(piece)})
    return Update(ctx, light, new, gone, token, broken, horizon, problems, placed, registry, state)


def _touched(
    changes: Changes, old_tags: str, tags: dict[str, list[str]], also: Iterable[str] = ()
) -> dict[str, list[tuple[str, str | None]]]:
    """Return unit -> (path, blob id now) of its changed paths, for every unit touched.

    A unit is touched by a changed path, a changed version tag or a path in `also` (light
    records are no units).
    """
    touched: dict[str, list[tuple[str, str | None]]] = {}
    for path, (_, blob) in changes.items():
        unit = _unit_of(path)
        if unit is not None and unit != "light":
            touched.setdefault(unit, []).append((path, blob))
    for path in also:
        unit = _unit_of(path)
        if unit is not None and unit != "light":
            touched.setdefault(unit, [])
    before = _tags_by_agreement(old_tags)
    for folder in before.keys() | tags.keys():
        if before.get(folder) != tags.get(folder):
            touched.setdefault(f"agreement:{folder}", [])
    return touched


Rekeyed = tuple[
    dict[str, str], dict[str, dict[str, str]], set[str], dict[str, tuple[str, str, bytes]]
]
"""(unit -> key, unit -> its files, units gone, unit -> stored (key, note, files))."""


def _rekeyed(
    db: FactsDB,
    touched: dict[str, list[tuple[str, str | None]]],
    unit_key: Callable[[str, dict[str, str]], str],
) -> Rekeyed | None:
    """Return the keys and files of the touched units, from their stored files and the changes.

    None where a stored row is damaged: then every unit is keyed from the scanned tree.
    """
    stored = db.rows(touched)
    keys: dict[str, str] = {}
    files_of: dict[str, dict[str, str]] = {}
    gone: set[str] = set()
    for unit, changed in touched.items():
        files = _files(stored[unit][2]) if unit in stored else {}
        if files is None:
            return None
        for path, blob in changed:
            _apply(files, path, blob)
        if files:
            keys[unit], files_of[unit] = unit_key(unit, files), files
        elif unit in stored:
            gone.add(unit)
    return keys, files_of, gone, stored


def _derive(
    ctx: Context,
    state: TreeState,
    cache: ParseCacheDB,
    todo: list[str],
    files_of: dict[str, dict[str, str]],
    trust_files: dict[str, str],
    horizon: date,
    progress: ProgressFn | None,
) -> tuple[dict[str, Any], dict[str, Placed]] | None:
    """Return the pieces of `todo` and the problems only each unit's history shows.

    None where a unit's records stand under other ids, or where a unit's problem stands in a
    file of no unit derived with it (then everything is read). Agreements are read with
    coop.toml and the key records, which every sign-off's verdict reads; their problems come
    from `check.agreement_problems`, those of minutes from `check.check_frozen_minutes`, the
    functions `coop check` runs.
    """
    from coopkit.queries.check import agreement_problems, check_frozen_minutes

    folders = [u for u in todo if u.startswith("agreement:")]
    meetings = [u for u in todo if u.startswith("minutes:")]
    new: dict[str, Any] = {}
    placed: dict[str, Placed] = {}
    # Units are read a batch at a time (a first build holds no more than one batch).
    for start in range(0, len(folders), BATCH):
        batch = folders[start : start + BATCH]
        blobs = {p: b for u in batch for p, b in files_of[u].items()}
        part, _ = load_repository(_Paths(state, {**trust_files, **blobs}), cache)
        snap, records = Snapshot(ctx, part, [], state=state), _ByFolder(part)
        for unit in batch:
            new[unit] = _agreement_piece(records, snap, unit.partition(":")[2], horizon)
        if any(new[unit] is None for unit in batch):
            return None
        found = _by_unit(agreement_problems(snap), batch)
        if found is None:
            return None
        placed.update(found)
        if progress is not None:
            progress(start + len(batch), len(todo))
    for start in range(0, len(meetings), BATCH * 10):
        batch = meetings[start : start + BATCH * 10]
        blobs = {p: b for u in batch for p, b in files_of[u].items()}
        part, _ = load_repository(_Paths(state, blobs), cache)
        records = _ByFolder(part)
        for unit in batch:
            new[unit] = _minutes_piece(records, unit.partition(":")[2])
        if any(new[unit] is None for unit in batch):
            return None
        found = _by_unit(check_frozen_minutes(ctx, part, cache), batch)
        if found is None:
            return None
        placed.update(found)
        if progress is not None:
            progress(len(folders) + start + len(batch), len(todo))
    return new, placed


def _files(value: bytes) -> dict[str, str] | None:
    """Return a stored unit's files (path -> blob id), or None where the row is damaged."""
    try:
        files = marshal.loads(value)
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        return None
    return files


def _note(piece: Any) -> str:
    """Return the path of a unit's file that failed to load, else ""."""
    return str(piece[1]) if piece[0] == "broken" else ""
