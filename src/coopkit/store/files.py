"""Reading a whole repository, from the working tree or from a git revision."""

from __future__ import annotations

import gc
import hashlib
import itertools
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from coopkit.errors import Problem, Source, T
from coopkit.model.agreement import Agreement
from coopkit.model.base import Loc, Located
from coopkit.model.config import Config
from coopkit.model.fulfilment import Fulfilment
from coopkit.model.keys import KeyRegistration, KeyRevocation
from coopkit.model.minutes import ActionRecord, Minutes
from coopkit.model.partner import Partner
from coopkit.model.repo import RepoData
from coopkit.model.signoff import SignOff, Withdrawal
from coopkit.model.termination import Termination
from coopkit.store import layout
from coopkit.store.codec import PARSERS
from coopkit.store.git import GitRepo
from coopkit.store.packed import Registry
from coopkit.store.regular import (
    FileRefused,
    entry_refusal,
    read_regular,
    symlink_refused,
    too_large,
)
from coopkit.store.text import MAX_FILE_BYTES, TextFile, decode_text

__all__ = ["FileRefused", "read_regular"]


class FileSource(Protocol):
    """Where repository files come from: the working tree or a revision."""

    def paths(self) -> Iterator[str]:
        """Yield repository-relative paths of candidate record files."""
        ...

    def read(self, path: str) -> bytes | None:
        """Return a file's bytes, or None when it does not exist; FileRefused when refused."""
        ...


@dataclass
class WorkTree:
    """Files as they are on disk, optionally with pending changes laid over them.

    Only regular files are read: a symlink or special file among the records, templates or
    coop.toml is never opened and is reported by `refusals()` instead.
    """

    root: Path
    overlay: Mapping[str, bytes | None] = field(default_factory=dict)
    _refused: dict[str, FileRefused] = field(default_factory=dict)

    def paths(self) -> Iterator[str]:
        """Yield record paths on disk plus overlaid new files, minus overlaid deletions."""
        seen = set()
        self._refused = {}
        refused = entry_refusal(self.root / layout.CONFIG)
        if refused is not None:
            self._refused[layout.CONFIG] = refused
        elif os.path.isfile(os.path.join(self.root, layout.CONFIG)):  # noqa: PTH118, PTH113
            seen.add(layout.CONFIG)
        for top in (*layout.RECORD_DIRS, layout.TEMPLATES):
            found = self._walk(top)
            if top != layout.TEMPLATES:
                seen.update(found)
        seen.update(p for p, data in self.overlay.items() if data is not None)
        seen.difference_update(p for p, data in self.overlay.items() if data is None)
        yield from sorted(seen)

    def _walk(self, top: str) -> list[str]:
        """Return regular files under `top` (no hidden names); note links and special files."""
        found: list[str] = []
        refused = entry_refusal(self.root / top)
        if refused is not None:
            self._refused[top] = refused
            return found
        pending = [top]
        while pending:
            folder = pending.pop()
            # String paths and scandir's cached types: a warm load of many files is mostly this.
            try:
                with os.scandir(os.path.join(self.root, folder)) as entries:  # noqa: PTH118
                    listed = list(entries)
            except OSError:
                continue
            for entry in listed:
                if entry.name.startswith("."):
                    continue
                rel = f"{folder}/{entry.name}"
                if entry.is_symlink():
                    self._refused[rel] = symlink_refused()
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(rel)
                elif entry.is_file(follow_symlinks=False):
                    found.append(rel)
                else:
                    refused = entry_refusal(self.root / rel)
                    if refused is not None:
                        self._refused[rel] = refused
        return found

    def refusals(self) -> list[Problem]:
        """Return a problem for every link or special file `paths()` passed over.

        Also where a pending change would write: a change is never laid over a link, so a
        write refuses it before reading or replacing anything there.
        """
        return [
            Problem(Source(path), refused.reason, refused.code)
            for path, refused in sorted(self._refused.items())
        ]

    def read(self, path: str) -> bytes | None:
        """Return overlaid content, else the regular file on disk.

        Raises:
            FileRefused: the file is a link, a special file or too large.
        """
        if path in self.overlay:
            return self.overlay[path]
        try:
            return read_regular(self.root / path, MAX_FILE_BYTES, root=self.root)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None


@dataclass
class Revision:
    """Files as they were at a git revision."""

    git: GitRepo
    rev: str
    _files: dict[str, tuple[str, str, int]] | None = None

    def _entries(self) -> dict[str, tuple[str, str, int]]:
        if self._files is None:
            self._files = self.git.list_entries(self.rev)
        return self._files

    def paths(self) -> Iterator[str]:
        """Yield every path at the revision."""
        yield from sorted(self._entries())

    def refusals(self) -> list[Problem]:
        """Return a problem for every symlink the revision holds among the records."""
        return [
            Problem(Source(path), symlink_refused().reason, "symlink")
            for path, (mode, _, _) in sorted(self._entries().items())
            if mode == _GIT_LINK
            and (
                path == layout.CONFIG
                or path.split("/")[0] in (*layout.RECORD_DIRS, layout.TEMPLATES)
            )
        ]

    def read(self, path: str) -> bytes | None:
        """Return a file's bytes at the revision.

        Raises:
            FileRefused: the entry is a symlink or larger than allowed.
        """
        entry = self._entries().get(path)
        if entry is not None:
            mode, _, size = entry
            if mode == _GIT_LINK:
                raise symlink_refused()
            if size > MAX_FILE_BYTES:
                raise too_large(size, MAX_FILE_BYTES)
        return self.git.read_blob(self.rev, path)


_GIT_LINK = "120000"


def read_text(source: FileSource, path: str) -> tuple[TextFile | None, list[Problem]]:
    """Read and decode one file from a source."""
    try:
        data = source.read(path)
    except FileRefused as err:
        return None, [Problem(Source(path), err.reason, err.code)]
    if data is None:
        return None, [Problem(Source(path), T("Datei fehlt", "file is missing"), "missing-file")]
    return decode_text(path, data)


MODELS: dict[str, type[BaseModel]] = {
    "config": Config,
    "partner": Partner,
    "agreement": Agreement,
    "signoff": SignOff,
    "key": KeyRegistration,
    "key-revocation": KeyRevocation,
    "fulfilment": Fulfilment,
    "minutes": Minutes,
    "action": ActionRecord,
    "termination": Termination,
    "withdrawal": Withdrawal,
}


def blob_digest(data: bytes) -> str:
    """Return git's blob id of the bytes, so working-tree files and revisions share cache keys."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


class ParseCache(Protocol):
    """Parse results as bytes (see `store.packed`), keyed by record kind and blob id."""

    def get(self, kind: str, digest: str) -> bytes | None:
        """Return a stored parse result, or None."""
        ...

    def get_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], bytes]:
        """Return the stored parse results among `keys` (kind, blob id)."""
        ...

    def put(self, kind: str, digest: str, entry: bytes) -> None:
        """Store a parse result."""
        ...


@cache
def _registry() -> Registry:
    return Registry(MODELS)


def _parse_bytes(kind: str, path: str, raw: bytes) -> tuple[Any, list[Problem]]:
    textfile, problems = decode_text(path, raw)
    if textfile is None:
        return None, problems
    return PARSERS[kind](textfile)


class _LazyFileSpans(Mapping[Loc, tuple[int, int]]):
    """Positions of a record, found by parsing again only when a problem needs them.

    From the bytes at hand when the source gave no blob id, else from the source while the file
    still has the blob id it had when it was loaded (otherwise no positions: line 1).
    """

    __slots__ = ("_data", "_digest", "_kind", "_path", "_source", "_spans")

    def __init__(
        self, source: FileSource, kind: str, path: str, digest: str, data: bytes | None
    ) -> None:
        self._source: FileSource | None = source
        self._kind = kind
        self._path = path
        self._digest = digest
        self._data = data
        self._spans: Mapping[Loc, tuple[int, int]] | None = None

    def _get(self) -> Mapping[Loc, tuple[int, int]]:
        if self._spans is None:
            raw = self._data
            if raw is None and self._source is not None:
                try:
                    raw = self._source.read(self._path)
                except FileRefused:
                    raw = None
                if raw is not None and blob_digest(raw) != self._digest:
                    raw = None  # changed since: its positions would point into other text
            located = None if raw is None else _parse_bytes(self._kind, self._path, raw)[0]
            self._spans = located.spans if located is not None else {}
            self._source = self._data = None
        return self._spans

    def __getitem__(self, key: Loc) -> tuple[int, int]:
        return self._get()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._get()

    def __iter__(self) -> Iterator[Loc]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


Memo = dict[tuple[str, str], tuple[Any, list[Problem]]]
"""Parse results of this process keyed by (path, blob id): a second load reuses the objects."""


_BATCH = 500
"""Cache entries looked up per query."""
_PARSES_PER_COLLECTION = 100
_FREEZE_FROM = 5_000
"""Records from which a load's objects are frozen for the garbage collector."""
_parses = itertools.count(1)


def _missing(path: str) -> Problem:
    return Problem(Source(path), T("Datei fehlt", "file is missing"), "missing-file")


def parse_file(
    source: FileSource, path: str, cache: ParseCache | None = None, memo: Memo | None = None
) -> tuple[Any, list[Problem]]:
    """Read, decode and parse one record file by its kind, through the caches when given."""
    return _parse_file(source, path, cache, memo, None)


def _parse_file(
    source: FileSource,
    path: str,
    cache: ParseCache | None,
    memo: Memo | None,
    fetched: Mapping[tuple[str, str], bytes] | None,
) -> tuple[Any, list[Problem]]:
    """Parse one record file; `fetched` holds cache entries already looked up for it, if any."""
    kind = layout.kind_of(path)
    if kind is None:
        return None, []
    # A source that knows the blob id (the scanned working tree) spares reading cached files.
    known = getattr(source, "digest", None)
    wanted = known is not None and (cache is not None or memo is not None)
    digest: str | None = known(path) if wanted and known is not None else None
    data: bytes | None = None
    if digest is None:
        try:
            data = source.read(path)
        except FileRefused as err:
            return None, [Problem(Source(path), err.reason, err.code)]
        if data is None:
            return None, [_missing(path)]

    if cache is None and memo is None:
        assert data is not None
        return _parse_bytes(kind, path, data)
    # `fetched` holds the cache's answer only for files asked for by a blob id known upfront.
    looked_up = fetched is not None and digest is not None
    if digest is None:
        assert data is not None
        digest = blob_digest(data)
    if memo is not None and (path, digest) in memo:
        return memo[(path, digest)]
    registry = _registry()
    if cache is not None:
        if looked_up:
            assert fetched is not None
            entry = fetched.get((kind, digest))
        else:
            entry = cache.get(kind, digest)
        if entry is not None:
            try:
                value, problems = registry.load_entry(kind, path, entry)
            except ValueError:
                pass  # a damaged or foreign entry: parsed again below and stored anew
            else:
                spans = _LazyFileSpans(source, kind, path, digest, data)
                located = None if value is None else Located(value, path, spans)
                return _remember(memo, path, digest, (located, problems))
    raw = data
    if raw is None:
        try:
            raw = source.read(path)
        except FileRefused as err:
            return _remember(
                memo, path, digest, (None, [Problem(Source(path), err.reason, err.code)])
            )
        if raw is None:
            return _remember(memo, path, digest, (None, [_missing(path)]))
    result = _parse_bytes(kind, path, raw)
    if next(_parses) % _PARSES_PER_COLLECTION == 0 and not gc.isenabled():
        gc.collect(0)  # the YAML parser's cycles, while a load keeps the collector off
    if data is None and blob_digest(raw) != digest:
        return result  # changed since the scan (an edit raced us): not stored under the old id
    located, problems = result
    try:
        entry, value = registry.encode(kind, None if located is None else located.value, problems)
    except TypeError:
        return _remember(memo, path, digest, result)  # not storable: the record stays as parsed
    if cache is not None:
        cache.put(kind, digest, entry)
    if located is not None:
        # The compact twin of the record; positions are found again when a problem needs them.
        located = Located(value, path, _LazyFileSpans(source, kind, path, digest, data))
    return _remember(memo, path, digest, (located, problems))


def _remember(
    memo: Memo | None, path: str, digest: str, result: tuple[Any, list[Problem]]
) -> tuple[Any, list[Problem]]:
    if memo is not None:
        memo[(path, digest)] = result
    return result


def _unexpected(path: str) -> Problem | None:
    if layout.EVALUATION.match(path) or layout.SENT.match(path):
        return None
    if path.endswith((".md", ".yaml", ".yml")) and path.split("/")[0] in layout.RECORD_DIRS:
        return Problem(
            Source(path),
            T(
                "Datei an unerwarteter Stelle; sie wird nicht gelesen"
                " (Aufbau siehe docs/grundlagen.md)",
                "file in an unexpected place; it is not read"
                " (see docs/grundlagen.md for the layout)",
            ),
            "unexpected-file",
        )
    return None


def load_repository(
    source: FileSource, cache: ParseCache | None = None, memo: Memo | None = None
) -> tuple[RepoData, list[Problem]]:
    """Parse every record of a repository; collect all file-level problems."""
    # Tens of thousands of small records make the cyclic collector rescan a growing heap again
    # and again (a warm Land-scale load ran 4x slower per file); records form no cycles. The
    # YAML parser does leave cycles behind, so they are collected after every few files parsed.
    collecting = gc.isenabled()
    gc.collect(1)  # recent garbage (an earlier load's parser cycles), not the whole heap
    gc.disable()
    data: RepoData | None = None
    try:
        data, problems = _load_all(source, cache, memo)
        return data, problems
    finally:
        _registry().forget()
        # What a large load built lives as long as the answer: the collector need not scan it
        # again and again. Small loads (and long-running processes doing many) are left to it.
        if data is not None and _records(data) >= _FREEZE_FROM:
            gc.freeze()
        if collecting:
            gc.enable()


def _records(data: RepoData) -> int:
    """Return how many records a load holds."""
    return (
        len(data.partners)
        + len(data.agreements)
        + len(data.minutes)
        + len(data.signoffs)
        + len(data.fulfilments)
        + len(data.action_records)
    )


def _load_all(
    source: FileSource, cache: ParseCache | None, memo: Memo | None
) -> tuple[RepoData, list[Problem]]:
    data = RepoData()
    problems: list[Problem] = []
    known = getattr(source, "digest", None)
    paths = iter(source.paths())
    while True:
        batch = [(path, layout.kind_of(path)) for path in islice(paths, _BATCH)]
        if not batch:
            break
        fetched: dict[tuple[str, str], bytes] | None = None
        if cache is not None and known is not None:
            keys = []
            for path, kind in batch:
                digest = known(path) if kind is not None else None
                if kind is not None and digest is not None:
                    keys.append((kind, digest))
            fetched = cache.get_many(keys)
        for path, kind in batch:
            if kind is None:
                unexpected = _unexpected(path)
                if unexpected:
                    problems.append(unexpected)
                continue
            located, found = _parse_file(source, path, cache, memo, fetched)
            problems += found
            if located is None:
                _note_broken(data, kind, path, found)
                continue
            _add(data, kind, located, problems)
    # Sources that skip links or special files say so (WorkTree, Revision); others have none.
    refusals = getattr(source, "refusals", None)
    if refusals is not None:
        problems += refusals()
    if data.config is None and not any(p.source.path == layout.CONFIG for p in problems):
        problems.append(
            Problem(
                Source(layout.CONFIG), T("coop.toml fehlt", "coop.toml is missing"), "missing-file"
            )
        )
    return data, problems


def _add(data: RepoData, kind: str, located: Any, problems: list[Problem]) -> None:
    """Put a loaded record where its kind belongs."""
    value = located.value
    if kind == "config":
        data.config = located
    elif kind == "partner":
        _keyed(data.partners, value.id, located, problems)
    elif kind == "agreement":
        _keyed(data.agreements, value.id, located, problems)
    elif kind == "minutes":
        _keyed(data.minutes, value.id, located, problems)
    elif kind in _LISTED:
        getattr(data, _LISTED[kind]).append(located)


_LISTED = {
    "signoff": "signoffs",
    "fulfilment": "fulfilments",
    "action": "action_records",
    "termination": "terminations",
    "withdrawal": "withdrawals",
    "key": "key_registrations",
    "key-revocation": "key_revocations",
}
"""Kinds kept as lists (several records per id), by the list of RepoData that holds them."""


_BROKEN_KINDS = {"partner": "partner", "agreement": "agreement", "minutes": "meeting"}


def _note_broken(data: RepoData, kind: str, path: str, found: list[Problem]) -> None:
    """Remember a record that did not load, under the id its path names."""
    if kind not in _BROKEN_KINDS or not found:
        return
    parts = path.split("/")
    record_id = parts[1] if kind == "agreement" else parts[-1].rsplit(".", 1)[0]
    data.broken.setdefault(_BROKEN_KINDS[kind], {})[record_id] = path


def _keyed(target: dict[str, Any], key: str, located: Any, problems: list[Problem]) -> None:
    if key in target:
        first = target[key]
        problems.append(
            Problem(
                located.at("id"),
                T(
                    "ID „{i}“ doppelt; schon vergeben in {p}",
                    'duplicate id "{i}"; already used in {p}',
                    i=key,
                    p=str(first.at("id")),
                ),
                "duplicate-id",
            )
        )
        return
    target[key] = located


def parse_blob(path: str, raw: bytes) -> tuple[Any, list[Problem]]:
    """Decode and parse the bytes of one record file by the kind its path names (None: no kind)."""
    kind = layout.kind_of(path)
    if kind is None:
        return None, []
    return _parse_bytes(kind, path, raw)
