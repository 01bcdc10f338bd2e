"""The incremental state answers exactly like a fresh computation; a scoped write check misses
nothing the full check finds for the records a change touches; broken state files are rebuilt."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Cli, MakeRepo, approve_v1, git
from coopkit.cli.output import _default
from coopkit.errors import Problem
from coopkit.index import state as state_db
from coopkit.queries.answers import remember
from coopkit.queries.context import Context
from coopkit.queries.due import due_list, obligation_rows
from coopkit.queries.facts import facts_snapshot, update
from coopkit.queries.load import Snapshot, load, load_worktree, snapshot
from coopkit.queries.overview import status
from coopkit.queries.scope import check_change
from coopkit.queries.state import SPECIAL, _stat_scan, blob_id, scan
from coopkit.store import layout
from coopkit.store.files import WorkTree

TODAY = date(2014, 2, 7)


def example_copy(target: Path) -> Path:
    """Copy the worked example (with its history of versions) into a fresh repository."""
    source = layout.example_root()
    target.mkdir(parents=True)
    for name in ("coop.toml", "partners", "agreements", "minutes", "actions"):
        path = source / name
        if path.is_dir():
            shutil.copytree(path, target / name)
        elif path.exists():
            shutil.copy(path, target / name)
    (target / ".gitignore").write_text(".coop/\n")
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "example", "--date", "2010-01-01T12:00:00+00:00")
    approve_v1(target, sorted(p for p in _records(target) if p.endswith("/agreement.md")))
    return target


def _key(p: Problem) -> tuple[str, int, int, str]:
    return (p.source.path, p.source.line, p.source.col, p.code)


def _dump(value: object) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False, sort_keys=True)


def _fresh_problems(root: Path, overlay: dict[str, bytes | None] | None = None) -> list[Problem]:
    return load(WorkTree(root, overlay=overlay or {})).problems


# --------------------------------------------------------------------------- scoped write check


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return example_copy(tmp_path_factory.mktemp("scope") / "repo")


def _records(root: Path) -> list[str]:
    return sorted(p for p in WorkTree(root).paths() if layout.kind_of(p))


@st.composite
def changes(draw: st.DrawFn, root: Path) -> dict[str, bytes | None]:
    """A random change of one to three records: deletions, id swaps, renames, new records."""
    records = _records(root)
    partners = [p.split("/")[1].removesuffix(".yaml") for p in records if p.startswith("partners/")]
    result: dict[str, bytes | None] = {}
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(records))
        text = (root / path).read_text(encoding="utf-8")
        action = draw(st.sampled_from(["delete", "swap", "rename", "copy", "garble", "new"]))
        if action == "delete":
            result[path] = None
        elif action == "swap":
            old, new = draw(st.sampled_from(partners)), draw(st.sampled_from([*partners, "neu"]))
            result[path] = text.replace(old, new).encode()
        elif action == "rename":
            result[path] = None
            result[path.replace(".", "-x.", 1) if "/" in path else path] = text.encode()
        elif action == "copy":
            result[path.replace(".yaml", "-2.yaml").replace(".md", "-2.md")] = text.encode()
        elif action == "garble":
            result[path] = text.replace(":", "", 1).encode()
        else:
            who = draw(st.sampled_from([*partners, "unbekannt"]))
            meeting = draw(st.sampled_from([p for p in records if p.startswith("minutes/")]))
            key = meeting.split("/")[1].removesuffix(".md") + "#" + str(draw(st.integers(1, 4)))
            result[f"actions/{key.replace('#', '-')}.yaml"] = (
                f"action: {key}\nstatus: done\ndate: 2014-01-01\nby: {who}\n".encode()
            )
    return result


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_scoped_check_finds_every_new_problem_of_the_full_check(
    example: Path, data: st.DataObject
) -> None:
    change = data.draw(changes(example))
    full_before = {_key(p) for p in _fresh_problems(example)}
    full_after = _fresh_problems(example, change)
    full_new = sorted(
        (_key(p), p.message.format("de"))
        for p in full_after
        if _key(p) not in full_before or p.source.path in change
    )
    before, after, scope = check_change(example, change)
    scoped_before = {_key(p) for p in before.problems}
    scoped_new = sorted(
        (_key(p), p.message.format("de"))
        for p in after.problems
        if _key(p) not in scoped_before or p.source.path in change
    )
    assert scoped_new == full_new
    assert set(change) <= scope.checked


# --------------------------------------------------------------------------- incremental state


def _views(snap: Snapshot) -> str:
    return _dump(
        {
            "status": status(snap),
            "due": due_list(snap, within_days=60),
            "problems": [p.format("de") for p in snap.problems],
        }
    )


def _fresh_views(root: Path) -> str:
    loaded = load(WorkTree(root))
    return _views(Snapshot(Context(root=root, today=TODAY), loaded.data, loaded.problems))


EDITS = [
    "hand",
    "delete",
    "rename",
    "new",
    "branch",
    "reset",
    "commit",
    "same-size",
    "restore",
    "switch",
    "amend",
]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 10**6)), max_size=6))
def test_incremental_state_answers_like_a_fresh_build(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    steps: list[tuple[str, int]],
) -> None:
    # Trust stats at once (no racy window), with a distinct mtime per write, so that the fast
    # path is taken wherever it can be.
    monkeypatch.setattr(state_db, "RACY_SECONDS", 0.0)
    root = example_copy(tmp_path_factory.mktemp("inc") / "repo")
    ctx = Context(root=root, today=TODAY)
    clock = iter(range(10**6))

    def stamp(path: Path) -> None:
        moment = 1_500_000_000_000_000_000 + next(clock) * 1_000_000_000
        os.utime(path, ns=(moment, moment))

    def remembered() -> str:
        return remember(ctx, "test views", (), _views)

    assert remembered() == _fresh_views(root)
    for edit, seed in steps:
        _edit(root, edit, seed, stamp)
        assert remembered() == _fresh_views(root)
        assert _dump(load_worktree(ctx).problems) == _dump(load(WorkTree(root)).problems)


def _edit(root: Path, edit: str, seed: int, stamp: Callable[[Path], None]) -> None:
    """Change the repository as a user might: by hand, with git, or as coop does."""
    records = _records(root)
    path = root / records[seed % len(records)]
    if edit == "hand":
        path.write_text(path.read_text(encoding="utf-8") + "\n# bearbeitet\n")
        stamp(path)
    elif edit == "same-size":
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("a", "e", 1) if "a" in text else text)
        stamp(path)
    elif edit == "delete":
        path.unlink()
    elif edit == "rename":
        path.rename(path.with_name("x-" + path.name))
    elif edit == "new":
        target = root / "partners" / f"neu{seed}.yaml"
        target.write_text(f"id: neu{seed}\nname: Neu {seed}\n")
        stamp(target)
    elif edit == "branch":
        git(root, "checkout", "-q", "-B", f"b{seed}")
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "branch")
        git(root, "checkout", "-q", "-f", "main")
        git(root, "clean", "-q", "-fd", "-e", ".coop")
    elif edit == "restore":
        # One file back as committed, the other changes kept.
        other = records[(seed + 1) % len(records)]
        if git(root, "ls-files", "--", other).strip():
            git(root, "checkout", "-q", "HEAD", "--", other)
    elif edit == "switch":
        # Stay on another branch whose commit changed some records.
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "elsewhere")
        git(root, "checkout", "-q", "-B", f"s{seed}", "HEAD~1")
        git(root, "clean", "-q", "-fd", "-e", ".coop")
    elif edit == "amend":
        # Rewrite HEAD and let git drop the old commit: what the facts stand on is gone.
        git(root, "add", "-A")
        git(root, "commit", "-q", "--amend", "--allow-empty", "-m", "amended")
        git(root, "reflog", "expire", "--expire=now", "--all")
        git(root, "gc", "-q", "--prune=now")
    elif edit == "reset":
        git(root, "reset", "-q", "--hard", "HEAD")
        git(root, "clean", "-q", "-fd", "-e", ".coop")
    elif edit == "fulfil":
        # Record (or re-record) a quarterly report, on its due day or on a wrong one.
        due = ["2013-09-30", "2013-12-31", "2014-03-31", "2014-06-30", "2013-10-01"][seed % 5]
        name = f"{due}-angebote-informieren-caritas-ko.yaml"
        target = root / "agreements" / "myk-caritas-ko" / "fulfilment" / name
        target.write_text(
            f"obligation: angebote-informieren\npartner: caritas-ko\ndue: {due}\n"
            f"date: {due}\nnote: Bericht {seed}\n"
        )
        stamp(target)
    else:
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "step")
        git(root, "tag", "-f", "-a", "-m", "v", f"myk-awo/v{seed + 10}")


def _facts_views(snap: Snapshot) -> str:
    return _dump(
        {
            "status": status(snap),
            "due": due_list(snap, within_days=60),
            "overdue": due_list(snap, overdue_only=True),
            "obligations": obligation_rows(snap),
            "problems": snap.problem_count(),
        }
    )


@settings(
    max_examples=int(os.environ.get("FACTS_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from([*EDITS, "fulfil", "fulfil"]), st.integers(0, 10**6)),
        max_size=6,
    ),
    days=st.lists(st.dates(date(2012, 6, 1), date(2016, 12, 31)), min_size=1, max_size=2),
)
def test_derived_facts_answer_like_a_full_reading(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int]], days: list[date]
) -> None:
    root = example_copy(tmp_path_factory.mktemp("facts") / "repo")
    clock = iter(range(10**6))

    def stamp(path: Path) -> None:
        moment = 1_500_000_000_000_000_000 + next(clock) * 1_000_000_000
        os.utime(path, ns=(moment, moment))

    for edit, seed in [("none", 0), *steps]:
        if edit != "none":
            _edit(root, edit, seed, stamp)
        for day in days:
            ctx = Context(root=root, today=day)
            served = facts_snapshot(ctx, scan(root))
            fresh = snapshot(ctx)
            if served is None:
                # Records under other ids: the views read everything, as they must.
                continue
            assert _facts_views(served) == _facts_views(fresh), (edit, seed, day)


def test_scan_reads_only_changed_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # In git, git's own stat cache says what differs from HEAD: a clean tree reads no file.
    root = example_copy(tmp_path / "repo")
    first = scan(root)
    assert first.contents == {}
    assert first.blobs["partners/kv-myk.yaml"] == (
        git(root, "rev-parse", "HEAD:partners/kv-myk.yaml").strip()
    )
    minutes = root / "minutes" / "2014-02-05-evaluation.md"
    minutes.write_text(minutes.read_text(encoding="utf-8") + "\n")
    new = root / "partners" / "neu.yaml"
    new.write_text("id: neu\nname: Neu\n")
    second = scan(root)
    assert sorted(second.contents) == ["minutes/2014-02-05-evaluation.md", "partners/neu.yaml"]
    assert second.key != first.key
    assert second.blobs == _stat_scan(root).blobs
    # Outside git the stat of each file is compared with the last scan.
    monkeypatch.setattr(state_db, "RACY_SECONDS", 0.0)
    shutil.rmtree(root / ".git")
    plain = scan(root)
    assert len(plain.contents) == len(plain.blobs)
    minutes.write_text(minutes.read_text(encoding="utf-8") + "\n")
    os.utime(minutes, ns=(2_000_000_000_000_000_000,) * 2)
    assert list(scan(root).contents) == ["minutes/2014-02-05-evaluation.md"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_special_file_git_does_not_list_still_changes_the_state(tmp_path: Path) -> None:
    root = example_copy(tmp_path / "repo")
    before = scan(root).key
    os.mkfifo(root / "partners" / "rohr.yaml")
    after = scan(root)
    assert after.key != before
    assert after.blobs["partners/rohr.yaml"] == SPECIAL
    ignored = root / "partners" / "alt.yaml.bak"
    (root / ".gitignore").write_text(".coop/\n*.bak\n")
    ignored.write_text("id: alt\n")
    assert "partners/alt.yaml.bak" in scan(root).contents


def test_a_file_changed_with_its_old_mtime_restored_is_read_again(tmp_path: Path) -> None:
    root = example_copy(tmp_path / "repo")
    scan(root)
    # git compares times in whole seconds: a change within the second git recorded the file,
    # with its mtime put back, is invisible to git itself. In a later second the ctime tells:
    # wait for the file system's clock (a probe file's ctime) to pass that second.
    path = root / "partners" / "kv-myk.yaml"
    recorded = int(path.stat().st_ctime)
    probe = tmp_path / "clock"
    probe.touch()
    while int(probe.stat().st_ctime) <= recorded:
        time.sleep(0.01)
        probe.touch()
    info = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("a", "e", 1))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert (
        scan(root).blobs["partners/kv-myk.yaml"]
        != git(root, "rev-parse", "HEAD:partners/kv-myk.yaml").strip()
    )


# --------------------------------------------------------------------------- damaged state files


Damage = Callable[[Path], None]


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database" * 100)


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _read_only(path: Path) -> None:
    path.chmod(0o444)


def _stale(path: Path) -> None:
    # Another clone's state: same paths, other blobs and stats.
    other = path.parent.parent.parent / "other"
    shutil.copytree(path.parent.parent, other, ignore=shutil.ignore_patterns(".coop"))
    (other / "partners" / "kv-myk.yaml").write_text("id: kv-myk\nname: Anders\n")
    remember(Context(root=other, today=TODAY), "test views", (), _views)
    shutil.copy(other / ".coop" / state_db.STATE_FILE, path)


def _stale_facts(path: Path) -> None:
    # Another clone's facts: same units, other blobs (a partner renamed, a fulfilment added).
    other = path.parent.parent.parent / "other"
    shutil.copytree(path.parent.parent, other, ignore=shutil.ignore_patterns(".coop"))
    (other / "partners" / "kv-myk.yaml").write_text("id: kv-myk\nname: Anders\n")
    facts_snapshot(Context(root=other, today=TODAY), scan(other))
    shutil.copy(other / ".coop" / "facts.sqlite", path)


@pytest.mark.parametrize("damage", [_garbage, _truncate, _read_only, _stale])
def test_damaged_state_files_are_rebuilt_with_the_right_answers(
    tmp_path: Path, damage: Damage
) -> None:
    root = example_copy(tmp_path / "repo")
    ctx = Context(root=root, today=TODAY)
    remember(ctx, "test views", (), _views)
    path = root / ".coop" / state_db.STATE_FILE
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    damage(path)
    assert remember(ctx, "test views", (), _views) == _fresh_views(root)
    assert remember(ctx, "test views", (), _views) == _fresh_views(root)


def test_a_file_written_twice_in_one_clock_tick_is_never_trusted_by_its_stat(
    tmp_path: Path,
) -> None:
    root = example_copy(tmp_path / "repo")
    path = root / "partners" / "kv-myk.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n")
    scan(root)
    with state_db.StateDB(root) as db:
        assert "partners/kv-myk.yaml" not in db.stats()


# --------------------------------------------------------------------------- remembered pages

PAGES = [
    ["status"],
    ["due", "--within", "400d"],
    ["obligation", "list"],
    ["search", "Caritas"],
    ["agreement", "show", "myk-caritas-ko"],
    ["--json", "status"],
    ["--lang", "en", "due"],
]


@pytest.mark.parametrize("args", PAGES, ids=lambda a: " ".join(a))
def test_a_remembered_page_equals_a_fresh_one_and_follows_every_change(
    tmp_path: Path, cli: Cli, args: list[str]
) -> None:
    root = example_copy(tmp_path / "repo")
    first = cli("-C", root, *args)
    again = cli("-C", root, *args)
    assert (again.stdout, again.stderr) == (first.stdout, first.stderr)
    partner = root / "partners" / "caritas-ko.yaml"
    partner.write_text(partner.read_text(encoding="utf-8").replace("Caritas", "Karitas", 1))
    changed = cli("-C", root, *args)
    shutil.rmtree(root / ".coop")
    fresh = cli("-C", root, *args)
    assert (changed.stdout, changed.stderr) == (fresh.stdout, fresh.stderr)


def test_a_remembered_page_repeats_its_warning(tmp_path: Path, cli: Cli) -> None:
    root = example_copy(tmp_path / "repo")
    (root / "partners" / "awo-rheinland.yaml").write_text("id: awo-rheinland\nname: [\n")
    first = cli("-C", root, "status", ok=None)
    again = cli("-C", root, "status", ok=None)
    assert first.stderr
    assert (again.stdout, again.stderr, again.exit_code) == (
        first.stdout,
        first.stderr,
        first.exit_code,
    )


def test_a_stored_answer_that_would_run_code_is_refused_and_computed_again(
    tmp_path: Path,
) -> None:
    import pickle

    root = example_copy(tmp_path / "repo")
    ctx = Context(root=root, today=TODAY)
    expected = remember(ctx, "test views", (), _views)
    with state_db.StateDB(root) as db:
        assert db._db is not None
        db._db.execute("UPDATE answers SET value = ?", (pickle.dumps(os.getcwd),))
        db._db.commit()
    assert remember(ctx, "test views", (), _views) == expected


def test_a_change_re_derives_only_the_units_it_touches(tmp_path: Path) -> None:
    root = example_copy(tmp_path / "repo")
    ctx = Context(root=root, today=TODAY)
    first = update(ctx, scan(root))
    assert first is not None
    assert {u.partition(":")[0] for u in first.new} == {"agreement", "minutes"}
    again = update(ctx, scan(root))
    assert again is not None and again.new == {}

    minutes = root / "minutes" / "2014-02-05-evaluation.md"
    minutes.write_text(minutes.read_text(encoding="utf-8") + "\n")
    changed = update(ctx, scan(root))
    assert changed is not None and set(changed.new) == {"minutes:2014-02-05-evaluation"}

    record = root / "agreements" / "myk-awo" / "fulfilment" / "2013-12-31-x-awo-rheinland.yaml"
    record.write_text("obligation: x\npartner: awo-rheinland\ndue: 2013-12-31\ndate: 2014-01-02\n")
    changed = update(ctx, scan(root))
    assert changed is not None and set(changed.new) == {"agreement:myk-awo"}

    git(root, "tag", "-a", "-m", "v", "myk-caritas-ko/v9")
    changed = update(ctx, scan(root))
    assert changed is not None and set(changed.new) == {"agreement:myk-caritas-ko"}

    config = root / "coop.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n")
    changed = update(ctx, scan(root))
    assert changed is not None
    assert {u for u in changed.new if u.startswith("agreement:")} == {
        f"agreement:{p.name}" for p in (root / "agreements").iterdir()
    }
    assert not any(u.startswith("minutes:") for u in changed.new)


def test_a_reverted_change_is_derived_again(tmp_path: Path) -> None:
    root = example_copy(tmp_path / "repo")
    ctx = Context(root=root, today=TODAY)
    update(ctx, scan(root))
    record = root / "agreements" / "myk-awo" / "fulfilment" / "2013-12-31-x-awo-rheinland.yaml"
    record.write_text("obligation: x\npartner: awo-rheinland\ndue: 2013-12-31\ndate: 2014-01-02\n")
    assert set(update(ctx, scan(root)).new) == {"agreement:myk-awo"}  # type: ignore[union-attr]
    record.unlink()
    # Nothing differs from HEAD any more: the unit of the file that went back is derived again.
    assert set(update(ctx, scan(root)).new) == {"agreement:myk-awo"}  # type: ignore[union-attr]
    served = facts_snapshot(ctx, scan(root))
    assert served is not None and _facts_views(served) == _facts_views(snapshot(ctx))


def test_a_damaged_row_of_unit_files_is_keyed_again_from_the_tree(tmp_path: Path) -> None:
    import sqlite3

    root = example_copy(tmp_path / "repo")
    ctx = Context(root=root, today=TODAY)
    update(ctx, scan(root))
    with sqlite3.connect(root / ".coop" / "facts.sqlite") as db:
        db.execute("UPDATE pieces SET files = ? WHERE unit = 'agreement:myk-awo'", (b"\x00",))
    record = root / "agreements" / "myk-awo" / "fulfilment" / "2013-12-31-x-awo-rheinland.yaml"
    record.write_text("obligation: x\npartner: awo-rheinland\ndue: 2013-12-31\ndate: 2014-01-02\n")
    served = facts_snapshot(ctx, scan(root))
    assert served is not None and _facts_views(served) == _facts_views(snapshot(ctx))


def test_an_update_racing_another_one_starts_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coopkit.index.facts import FactsDB

    root = example_copy(tmp_path / "repo")
    ctx = Context(root=root, today=TODAY)
    update(ctx, scan(root))
    minutes = root / "minutes" / "2014-02-05-evaluation.md"
    fulfilment = root / "agreements" / "myk-caritas-ko" / "fulfilment"
    record = fulfilment / "2013-12-31-angebote-informieren-caritas-ko.yaml"
    committed = record.read_bytes()
    real = FactsDB.write
    raced: list[str | None] = []

    def write(self: FactsDB, expected: str | None, *args: object) -> str | None:
        if not raced:
            raced.append(None)
            # Meanwhile another process sees a fulfilment deleted that is back when this one
            # writes: without the check on the token, its piece would stay.
            record.unlink()
            raced[0] = update(ctx, scan(root)).token  # type: ignore[union-attr]
            record.write_bytes(committed)
        return real(self, expected, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(FactsDB, "write", write)
    minutes.write_text(minutes.read_text(encoding="utf-8") + "\n")
    served = facts_snapshot(ctx, scan(root))
    assert raced and raced[0] is not None
    assert served is not None and _facts_views(served) == _facts_views(snapshot(ctx))
    monkeypatch.undo()
    again = update(ctx, scan(root))
    assert again is not None and again.new == {}


def _odd_base(path: Path) -> None:
    # A base of the right shape holding numbers where blob ids and paths belong.
    import marshal
    import sqlite3

    from coopkit.index.seal import TAG

    with sqlite3.connect(path) as db:
        (value,) = db.execute("SELECT value FROM derived WHERE name = 'base'").fetchone()
        stamp, tree, tags, horizon, light, problems = marshal.loads(value[TAG:])
        light = {k: 7 for k in light}
        tree = (tree[0], {**tree[1], "partners/kv-myk.yaml": 3})
        odd = marshal.dumps((stamp, tree, tags, horizon, light, problems))
        db.execute("UPDATE derived SET value = ? WHERE name = 'base'", (value[:TAG] + odd,))
        db.execute("UPDATE pieces SET files = ?", (marshal.dumps({"a": 1}),))


@pytest.mark.parametrize("damage", [_garbage, _truncate, _read_only, _stale_facts, _odd_base])
def test_damaged_facts_files_are_rebuilt_with_the_right_answers(
    tmp_path: Path, damage: Damage
) -> None:
    root = example_copy(tmp_path / "repo")
    ctx = Context(root=root, today=TODAY)
    assert facts_snapshot(ctx, scan(root)) is not None
    path = root / ".coop" / "facts.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    damage(path)
    for _ in range(2):
        served = facts_snapshot(ctx, scan(root))
        assert served is not None
        assert _facts_views(served) == _facts_views(snapshot(ctx))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_folder_listings_are_reused_until_a_folder_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state_db, "RACY_SECONDS", 0.0)
    root = example_copy(tmp_path / "repo")
    scan(root)
    listed: list[str] = []
    real = os.scandir

    def counting(path: str) -> object:
        listed.append(str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", counting)
    assert scan(root).blobs.get("partners/rohr.yaml") is None
    assert listed == []  # every folder was still as listed before
    os.mkfifo(root / "partners" / "rohr.yaml")
    after = scan(root)
    assert after.blobs["partners/rohr.yaml"] == SPECIAL
    assert listed == [str(root / "partners")]


@pytest.mark.parametrize("flag", ["--assume-unchanged", "--skip-worktree"])
def test_a_record_hidden_by_an_index_flag_is_read_like_a_changed_one(
    make_repo: MakeRepo, cli: Cli, flag: str
) -> None:
    root = make_repo()
    cli("-C", root, "--json", "status")
    git(root, "update-index", flag, "partners/caritas.yaml")
    path = root / "partners/caritas.yaml"
    path.write_text(path.read_text().replace("name: ", "name: Neu ", 1))
    remembered = cli("-C", root, "--json", "partner", "show", "caritas").stdout
    shutil.rmtree(root / ".coop")
    fresh = cli("-C", root, "--json", "partner", "show", "caritas").stdout
    assert remembered == fresh and "Neu " in fresh


def test_replace_refs_do_not_change_what_coop_reads(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    before = cli("-C", root, "--json", "status").stdout
    head = git(root, "rev-parse", "HEAD").strip()
    # A replacement commit whose tree drops every agreement.
    empty = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's empty tree
    git(root, "hash-object", "-t", "tree", "-w", "/dev/null")
    fake = git(root, "commit-tree", empty, "-m", "fake").strip()
    git(root, "replace", head, fake)
    shutil.rmtree(root / ".coop")
    assert cli("-C", root, "--json", "status").stdout == before


def test_replace_refs_do_not_change_a_tagged_version(make_repo: MakeRepo, cli: Cli) -> None:
    # The objects read in one batch (a version's text at its tag) ignore replace refs too.
    root = make_repo()
    git(root, "tag", "-f", "-a", "-m", "v", "koop/v2")
    before = cli("-C", root, "--json", "status").stdout
    empty = git(root, "hash-object", "-t", "tree", "-w", "/dev/null").strip()
    fake = git(root, "commit-tree", empty, "-m", "fake").strip()
    git(root, "replace", "-f", "HEAD", fake)
    shutil.rmtree(root / ".coop")
    assert cli("-C", root, "--json", "status").stdout == before


# --------------------------------------------------------------------------- every remembered page

ANSWERS = [
    ["--json", "status"],
    ["--json", "due"],
    ["--json", "obligation", "list"],
    ["--json", "agreement", "show", "myk-caritas-ko"],
]
"""The remembered pages compared with a fresh computation after every step."""

STEPS = [
    "edit",
    "edit",
    "commit",
    "replace",
    "flag",
    "tag",
    "forget",
    "damage-stat",
    "damage-unit",
    "damage-base",
    "damage-answer",
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return example_copy(tmp_path_factory.mktemp("template") / "repo")


@settings(
    max_examples=int(os.environ.get("ANSWER_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    committed=st.booleans(),
    steps=st.lists(st.tuples(st.sampled_from(STEPS), st.integers(0, 10**6)), max_size=6),
)
def test_every_remembered_answer_equals_a_fresh_one_after_git_features_and_damage(
    template: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
    committed: bool,
    steps: list[tuple[str, int]],
) -> None:
    # Stats are trusted at once (no racy window), each write with its own mtime: the stat
    # scan's rows are used wherever they can be. Without a commit, git names no HEAD and the
    # stat scan answers.
    monkeypatch.setattr(state_db, "RACY_SECONDS", 0.0)
    root = tmp_path_factory.mktemp("answers") / "repo"
    if committed:
        shutil.copytree(template, root, ignore=shutil.ignore_patterns(".coop"))
    else:
        shutil.copytree(template, root, ignore=shutil.ignore_patterns(".coop", ".git"))
        git(root, "init", "-q", "-b", "main")
    clock = iter(range(10**6))
    older: dict[str, str] = {}
    """path -> a blob id it held before (what a stale row would name)."""

    def stamp(path: Path) -> None:
        moment = 1_500_000_000_000_000_000 + next(clock) * 1_000_000_000
        os.utime(path, ns=(moment, moment))

    def answers() -> list[tuple[int, str, str]]:
        return [
            (r.exit_code, r.stdout, r.stderr)
            for r in (cli("-C", root, *args, ok=None) for args in ANSWERS)
        ]

    def fresh() -> list[tuple[int, str, str]]:
        kept = root.parent / "kept"
        (root / ".coop").rename(kept)
        try:
            return answers()
        finally:
            shutil.rmtree(root / ".coop", ignore_errors=True)
            kept.rename(root / ".coop")

    assert answers() == fresh()
    for step, seed in steps:
        before = {p: blob_id((root / p).read_bytes()) for p in _records(root)}
        _step(root, step, seed, stamp, older)
        for path, blob in before.items():
            if (root / path).is_file() and blob_id((root / path).read_bytes()) != blob:
                older[path] = blob
        assert answers() == fresh(), (step, seed)


def _has_head(root: Path) -> bool:
    return _quiet_git(root, "rev-parse", "--verify", "-q", "HEAD")


def _quiet_git(root: Path, *args: str) -> bool:
    import subprocess

    from conftest import git_env

    return (
        subprocess.run(["git", *args], cwd=root, env=git_env(), capture_output=True).returncode == 0
    )


def _step(
    root: Path, step: str, seed: int, stamp: Callable[[Path], None], older: dict[str, str]
) -> None:
    """Take one step: a change by hand or with git, or damage to a stored row."""
    import marshal
    import sqlite3

    from coopkit.index.seal import TAG

    records = _records(root)
    path = records[seed % len(records)]
    coop = root / ".coop"
    if step == "edit":
        _edit(root, ["hand", "same-size", "fulfil", "new", "delete"][seed % 5], seed, stamp)
    elif step == "commit":
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "step")
    elif step == "replace" and _has_head(root):
        # A replacement of HEAD whose tree holds no records: coop reads the commits as made.
        empty = git(root, "hash-object", "-t", "tree", "-w", "/dev/null").strip()
        fake = git(root, "commit-tree", empty, "-m", "fake").strip()
        git(root, "replace", "-f", "HEAD", fake)
    elif step == "flag" and git(root, "ls-files", "--", path).strip():
        flag = "--assume-unchanged" if seed % 2 else "--skip-worktree"
        git(root, "update-index", flag, "--", path)
        _edit(root, "same-size", records.index(path), stamp)
    elif step == "tag" and _has_head(root):
        git(root, "tag", "-f", "-a", "-m", "v", f"myk-caritas-ko/v{seed % 3 + 2}")
    elif step == "forget":
        shutil.rmtree(coop, ignore_errors=True)
    elif step == "damage-stat" and (coop / "state.sqlite").exists():
        # The file's stat as it stands now, with a blob id it held before (or another file's).
        with sqlite3.connect(coop / "state.sqlite") as db:
            row = db.execute("SELECT value FROM files WHERE key = 'stats'").fetchone()
            if row is not None:
                stats = marshal.loads(row[0][TAG:])
                if stats:
                    path = sorted(stats)[seed % len(stats)]
                    other = older.get(path) or stats[sorted(stats)[(seed + 1) % len(stats)]][4]
                    stats[path] = (*stats[path][:4], other)
                    value = row[0][:TAG] + marshal.dumps(stats)
                    db.execute("UPDATE files SET value = ? WHERE key = 'stats'", (value,))
    elif step == "damage-unit" and (coop / "facts.sqlite").exists():
        # A unit's stored file list names a wrong blob for a path that did not change.
        with sqlite3.connect(coop / "facts.sqlite") as db:
            units = db.execute("SELECT unit, files FROM pieces ORDER BY unit").fetchall()
            if units:
                unit, value = units[seed % len(units)]
                files = marshal.loads(value)
                if files:
                    path = sorted(files)[seed % len(files)]
                    files[path] = older.get(path, "0" * 40)
                    db.execute(
                        "UPDATE pieces SET files = ? WHERE unit = ?", (marshal.dumps(files), unit)
                    )
    elif step == "damage-base" and (coop / "facts.sqlite").exists():
        # The stored base says HEAD is another commit (the one before, or none).
        with sqlite3.connect(coop / "facts.sqlite") as db:
            row = db.execute("SELECT value FROM derived WHERE name = 'base'").fetchone()
            if row is not None:
                stamp_, tree, *rest = marshal.loads(row[0][TAG:])
                ok = _quiet_git(root, "rev-parse", "--verify", "-q", "HEAD~1")
                other = git(root, "rev-parse", "HEAD~1").strip() if ok else ""
                value = row[0][:TAG] + marshal.dumps((stamp_, (other, tree[1]), *rest))
                db.execute("UPDATE derived SET value = ? WHERE name = 'base'", (value,))
    elif step == "damage-answer" and (coop / "state.sqlite").exists():
        # Two remembered answers swap their values: each under the other's question.
        with sqlite3.connect(coop / "state.sqlite") as db:
            rows = db.execute("SELECT key, value FROM answers ORDER BY key").fetchall()
            if len(rows) >= 2:
                (a, va), (b, vb) = rows[seed % len(rows)], rows[(seed + 1) % len(rows)]
                db.execute("UPDATE answers SET value = ? WHERE key = ?", (va[:TAG] + vb[TAG:], a))
                db.execute("UPDATE answers SET value = ? WHERE key = ?", (vb[:TAG] + va[TAG:], b))


def test_rows_coop_did_not_write_here_are_derived_again_once(tmp_path: Path) -> None:
    import sqlite3

    root = example_copy(tmp_path / "repo")
    ctx = Context(root=root, today=TODAY)
    assert facts_snapshot(ctx, scan(root)) is not None
    # Every piece row as another .coop/ would hold it: right shape, a tag of another secret.
    with sqlite3.connect(root / ".coop" / "facts.sqlite") as db:
        db.execute("UPDATE pieces SET seal = zeroblob(16), note = 'agreements/x/agreement.md'")
    served = facts_snapshot(ctx, scan(root))
    assert served is None or _facts_views(served) == _facts_views(snapshot(ctx))
    served = facts_snapshot(ctx, scan(root))
    assert served is not None and _facts_views(served) == _facts_views(snapshot(ctx))
    again = update(ctx, scan(root))
    assert again is not None and again.new == {} and again.broken == {}
