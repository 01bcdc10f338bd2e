"""Records read back from the parse cache equal a fresh parse; bad entries are parsed again."""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from conftest import Cli, MakeRepo
from coopkit.index.cache import ParseCacheDB
from coopkit.store import codec
from coopkit.store.files import blob_digest, parse_file
from test_roundtrip import (
    SETTINGS,
    action_records,
    agreements,
    fulfilments,
    key_registrations,
    key_revocations,
    minutes,
    partners,
    signoffs,
)

PATHS = {
    "partner": "partners/x.yaml",
    "agreement": "agreements/x/agreement.md",
    "signoff": "agreements/x/signoffs/v1/x.yaml",
    "key": f"keys/x/{'A' * 43}.yaml",
    "key-revocation": f"keys/x/{'A' * 43}.revoked.yaml",
    "fulfilment": "agreements/x/fulfilment/2014-01-01-o-x.yaml",
    "minutes": "minutes/2014-01-01-x.md",
    "action": "actions/x-1.yaml",
}


class Files:
    """An in-memory file source."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def paths(self) -> list[str]:
        return sorted(self.files)

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)


class MemoryCache:
    """A parse cache in a dict, to look at and tamper with its entries."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], bytes] = {}

    def get(self, kind: str, digest: str) -> bytes | None:
        return self.entries.get((kind, digest))

    def get_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], bytes]:
        return {k: self.entries[k] for k in keys if k in self.entries}

    def put(self, kind: str, digest: str, entry: bytes) -> None:
        self.entries[(kind, digest)] = entry


def same_shape(a: Any, b: Any) -> None:
    """Assert equal values of the very same classes and fields-sets, all the way down."""
    assert type(a) is type(b)
    if isinstance(a, BaseModel):
        assert a == b
        assert a.model_fields_set == b.model_fields_set
        assert a.__pydantic_extra__ == b.__pydantic_extra__
        assert a.__pydantic_private__ == b.__pydantic_private__
        for name in type(a).model_fields:
            same_shape(getattr(a, name), getattr(b, name))
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            same_shape(x, y)
    else:
        assert a == b


def through_cache(path: str, text: str) -> tuple[Any, Any, MemoryCache]:
    """Parse a file fresh, then again from the cache; return both results and the cache."""
    source = Files({path: text.encode()})
    cache = MemoryCache()
    fresh = parse_file(source, path)
    stored = parse_file(source, path, cache)
    assert len(cache.entries) == 1
    cached = parse_file(source, path, cache)
    for result in (stored, cached):
        assert [p.format("de") for p in result[1]] == [p.format("de") for p in fresh[1]]
        assert [p.format("en") for p in result[1]] == [p.format("en") for p in fresh[1]]
    assert fresh[0] is not None
    same_shape(stored[0].value, fresh[0].value)
    same_shape(cached[0].value, fresh[0].value)
    return fresh, cached, cache


@SETTINGS
@given(
    st.one_of(
        partners.map(lambda r: ("partner", codec.dump_record(r))),
        agreements().map(lambda r: ("agreement", codec.dump_agreement(r))),
        signoffs.map(lambda r: ("signoff", codec.dump_record(r))),
        key_registrations.map(lambda r: ("key", codec.dump_record(r))),
        key_revocations.map(lambda r: ("key-revocation", codec.dump_record(r))),
        fulfilments.map(lambda r: ("fulfilment", codec.dump_record(r))),
        minutes().map(lambda r: ("minutes", codec.dump_minutes(r))),
        action_records.map(lambda r: ("action", codec.dump_record(r))),
    )
)
def test_random_records_read_back_from_the_cache_equal_a_fresh_parse(
    kind_text: tuple[str, str],
) -> None:
    kind, text = kind_text
    fresh, cached, _ = through_cache(PATHS[kind], text)
    assert cached[0].value == fresh[0].value
    assert cached[0].value.model_dump() == fresh[0].value.model_dump()


MINUTES = """\
---
id: 2014-01-01-x
title: Treffen
date: 2014-01-01
attendance:
  present: [caritas-ko]
tops:
  - title: Bericht
    actions:
      - id: 1
        who: caritas-ko
        what: Nachfassen
        due: 2014-02-01
---
"""


def test_problems_and_positions_survive_the_cache() -> None:
    path = PATHS["minutes"]
    text = MINUTES.replace("date: 2014-01-01", "date: 2014-01-01\nplace: [1, 2]")
    source = Files({path: text.encode()})
    cache = MemoryCache()
    fresh = parse_file(source, path)
    parse_file(source, path, cache)
    cached = parse_file(source, path, cache)
    assert fresh[0] is None and cached[0] is None
    assert [p.format("de") for p in cached[1]] == [p.format("de") for p in fresh[1]]
    assert [p.code for p in cached[1]] == [p.code for p in fresh[1]]
    assert cached[1] and cached[1][0].source.line == 5

    plain = parse_file(Files({path: MINUTES.encode()}), path)
    stored = parse_file(Files({path: MINUTES.encode()}), path, cache)
    again = parse_file(Files({path: MINUTES.encode()}), path, cache)
    where = ("tops", 0, "actions", 0, "due")
    assert plain[0].at(*where) == stored[0].at(*where) == again[0].at(*where)
    assert str(again[0].at(*where)) == f"{path}:13:14"
    assert dict(again[0].spans) == dict(plain[0].spans)


class _Marker:
    """Pickles to a call that would create a file: the cache must never make it."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.target),))


def _damaged(entry: bytes, how: str, other: bytes, marker: Path) -> bytes:
    if how == "truncated":
        return entry[: len(entry) // 2]
    if how == "garbage":
        return b"\x00not a pickle\xff" * 3
    if how == "empty":
        return b""
    if how == "foreign class":
        return pickle.dumps((1, _Marker(marker), []))
    if how == "other layout":
        return pickle.dumps((999, None, []))
    if how == "other kind":
        return other
    if how == "wrong shape":
        return pickle.dumps((1, (0, 0, "x"), []))
    if how == "bad mask":
        version, packed, problems = pickle.loads(entry)
        return pickle.dumps((version, (packed[0], -1, *packed[2:]), problems))
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "truncated",
        "garbage",
        "empty",
        "foreign class",
        "other layout",
        "other kind",
        "wrong shape",
        "bad mask",
    ],
)
def test_damaged_or_foreign_cache_entries_are_parsed_again(how: str, tmp_path: Path) -> None:
    path = PATHS["minutes"]
    fresh, _, cache = through_cache(path, MINUTES)
    ((key, entry),) = cache.entries.items()
    partner_cache = MemoryCache()
    parse_file(Files({"partners/x.yaml": b"id: x\nname: X\n"}), "partners/x.yaml", partner_cache)
    (other,) = partner_cache.entries.values()
    marker = tmp_path / "ran"
    cache.entries[key] = _damaged(entry, how, other, marker)

    located, problems = parse_file(Files({path: MINUTES.encode()}), path, cache)

    assert not marker.exists()
    assert not problems
    same_shape(located.value, fresh[0].value)
    assert cache.entries[key] == entry  # stored anew


def test_the_sqlite_cache_batches_lookups_and_survives_reopening(tmp_path: Path) -> None:
    path = PATHS["minutes"]
    source = Files({path: MINUTES.encode()})
    digest = blob_digest(MINUTES.encode())
    with ParseCacheDB(tmp_path) as db:
        assert db.get_many([("minutes", digest)]) == {}
        fresh = parse_file(source, path, db)
    with ParseCacheDB(tmp_path) as db:
        found = db.get_many([("minutes", digest), ("partner", digest), ("minutes", "0" * 40)])
        assert list(found) == [("minutes", digest)]
        cached = parse_file(source, path, db)
    same_shape(cached[0].value, fresh[0].value)


def test_restored_records_are_frozen_like_parsed_ones() -> None:
    _, cached, _ = through_cache(PATHS["minutes"], MINUTES)
    record = cached[0].value
    with pytest.raises(ValueError, match="frozen"):
        record.title = "x"
    copy = record.model_copy(update={"title": "Neu"})
    assert copy.title == "Neu" and record.title == "Treffen"
    assert "title" in copy.model_fields_set
    assert record.date == date(2014, 1, 1)


BAD_REFERENCE = """\
    ---
    id: 2014-01-01-treffen
    title: Treffen
    date: 2014-01-01
    agreements: [koop]
    attendance:
      present: [kreis/bernert, caritas/niemand]
    ---
    """


def test_a_warm_check_names_the_same_places_as_a_cold_one(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"minutes/2014-01-01-treffen.md": BAD_REFERENCE})
    cold = cli("-C", root, "check", ok=False)
    assert "minutes/2014-01-01-treffen.md:7:28: unbekannte Person" in cold.stdout
    assert (root / ".coop/index.sqlite").is_file()
    warm = cli("-C", root, "check", ok=False)
    assert warm.stdout == cold.stdout


def test_positions_of_a_file_changed_after_loading_are_not_taken_from_the_new_text(
    make_repo: MakeRepo,
) -> None:
    from coopkit.queries.context import Context
    from coopkit.queries.load import load_worktree

    root = make_repo({"minutes/2014-01-01-treffen.md": BAD_REFERENCE})
    ctx = Context(root=root, today=date(2014, 2, 7), author_text="T <t@e.org>")
    loaded = load_worktree(ctx)
    path = root / "minutes/2014-01-01-treffen.md"
    path.write_text(path.read_text().replace("title:", "# eins\n# zwei\n# drei\ntitle:"))
    located = loaded.data.minutes["2014-01-01-treffen"]
    assert located.at("attendance", "present", 1).line in (1, 7)
    fresh = load_worktree(ctx).data.minutes["2014-01-01-treffen"]
    assert str(fresh.at("attendance", "present", 1)).endswith(":10:28")


def test_a_write_parses_only_the_files_it_changes(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coopkit.queries.load import load
    from coopkit.services.repository import commit_changes
    from coopkit.store import files
    from coopkit.store.files import WorkTree
    from test_hardening_git import context

    root = make_repo()
    ctx = context(root)
    commit_changes(ctx, {"partners/neu.yaml": b"id: neu\nname: Neu\n"}, "Neu")
    # A reading command stores what it parses (a write leaves that to it).
    with ParseCacheDB(root) as cache:
        load(WorkTree(root), cache)
    parsed: list[str] = []
    real = files._parse_bytes

    def counting(kind: str, path: str, raw: bytes) -> Any:
        parsed.append(path)
        return real(kind, path, raw)

    monkeypatch.setattr(files, "_parse_bytes", counting)
    commit_changes(ctx, {"partners/neu.yaml": b"id: neu\nname: Neu Zwei\n"}, "Neu zwei")
    # The new text once (its keys, then the check); the scope as it was, coop.toml included,
    # comes from the cache.
    assert parsed == ["partners/neu.yaml"]
