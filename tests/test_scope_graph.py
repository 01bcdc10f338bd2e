"""The reference graph behind a write's scoped check: kept up to date by blob, equal to a fresh
build after any edit, and the scoped check reads only what a change can affect while wording
every problem as the full check does."""

from __future__ import annotations

import contextlib
import os
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MakeRepo, git
from coopkit.errors import Problem, ProblemsFound
from coopkit.index import state as state_db
from coopkit.index.cache import ParseCacheDB
from coopkit.queries.context import Context
from coopkit.queries.scope import (
    _broken_keys,
    _Graph,
    _rows,
    check_change,
    recheck,
    record_keys,
)
from coopkit.queries.state import resolve_changes, scan, tree_changes
from coopkit.services.repository import commit_changes
from coopkit.store import layout
from coopkit.store.files import WorkTree, parse_file
from test_incremental import _edit, _fresh_problems, _key, _records, changes, example_copy


def _graph_rows(root: Path) -> list[tuple[str, str, str]]:
    """Return the graph as stored after bringing it up to date with the working tree."""
    with state_db.StateDB(root) as db, ParseCacheDB(root) as cache:
        _Graph(scan(root, db), db, cache)
        db_rows = db.graph_rows_of(scan(root, db).blobs)
    return sorted(db_rows)


def _fresh_rows(root: Path) -> list[tuple[str, str, str]]:
    """Return the graph a fresh reading of every record gives (no state file, no cache)."""
    rows = []
    tree = WorkTree(root)
    for path in tree.paths():
        kind = layout.kind_of(path)
        if kind is None:
            continue
        located, _ = parse_file(tree, path)
        if located is not None:
            defines, mentions = record_keys(kind, located.value)
            entry = (defines, mentions, False)
        else:
            entry = _broken_keys(path)
        rows += [(key, path, role) for key, role in _rows(path, entry)]
    return sorted(rows)


def _new_problems(
    before: list[Problem], after: list[Problem], change: dict[str, bytes | None]
) -> list[tuple[tuple[str, int, int, str], str]]:
    seen = {_key(p) for p in before}
    return sorted(
        (_key(p), p.message.format("de"))
        for p in after
        if _key(p) not in seen or p.source.path in change
    )


def _assert_scoped_equals_full(root: Path, change: dict[str, bytes | None]) -> None:
    full = _new_problems(_fresh_problems(root), _fresh_problems(root, change), change)
    before, after, scope = check_change(root, change)
    assert _new_problems(before.problems, after.problems, change) == full
    assert set(change) <= scope.checked


EDITS = ["hand", "garble", "delete", "rename", "new", "write", "commit", "amend", "branch", "reset"]


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 10**6)), max_size=4),
    data=st.data(),
)
def test_the_graph_follows_every_edit_and_the_scoped_check_stays_exact(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    steps: list[tuple[str, int]],
    data: st.DataObject,
) -> None:
    monkeypatch.setattr(state_db, "RACY_SECONDS", 0.0)
    root = example_copy(tmp_path_factory.mktemp("graph") / "repo")
    clock = iter(range(10**6))

    def stamp(path: Path) -> None:
        moment = 1_500_000_000_000_000_000 + next(clock) * 1_000_000_000
        os.utime(path, ns=(moment, moment))

    assert _graph_rows(root) == _fresh_rows(root)
    for edit, seed in steps:
        records = _records(root)
        path = root / records[seed % len(records)]
        if edit == "hand":
            path.write_text(path.read_text(encoding="utf-8").replace("myk", "neu", 1))
            stamp(path)
        elif edit == "garble":
            path.write_text(path.read_text(encoding="utf-8").replace(":", "", 1))
            stamp(path)
        elif edit in ("delete", "rename", "new", "branch", "reset"):
            _edit(root, edit, seed, stamp)  # as the facts test does them
        elif edit == "write":
            # A write through coop: its check leaves the graph as the commit leaves the tree.
            with contextlib.suppress(ProblemsFound):
                commit_changes(
                    Context(root=root, today=date(2014, 2, 7), author_text="T <t@example.org>"),
                    {f"partners/w{seed}.yaml": f"id: w{seed}\nname: W {seed}\n".encode()},
                    "Partner",
                )
        elif edit == "amend":
            git(root, "add", "-A")
            git(root, "commit", "-q", "--amend", "--allow-empty", "-m", "amended")
        else:
            git(root, "add", "-A")
            git(root, "commit", "-q", "--allow-empty", "-m", "step")
        _assert_scoped_equals_full(root, data.draw(changes(root)))
        assert _graph_rows(root) == _fresh_rows(root)


def _partner(pid: str) -> str:
    return f"id: {pid}\nname: Partner {pid}\ncontacts:\n  - id: chef\n    name: Chef {pid}\n"


@pytest.fixture
def many(make_repo: MakeRepo) -> Path:
    """A repository with twelve partners (more than a "known: …" list shows) and two agreements."""
    files: dict[str, str | bytes] = {
        f"partners/p{n:02d}.yaml": _partner(f"p{n:02d}") for n in range(12)
    }
    for name, parties in (("a1", ["p00", "p01"]), ("a2", ["p02", "p03"])):
        files[f"agreements/{name}/agreement.md"] = (
            f"---\nid: {name}\ntitle: Vereinbarung {name}\nparties: [{', '.join(parties)}]\n"
            "valid_from: 2014-01-01\n---\n\n## § 1 Ziel\n\nText.\n"
        )
    return make_repo(files)


def test_unknown_references_list_every_known_id_as_the_full_check_does(many: Path) -> None:
    minutes = (
        "---\nid: 2014-02-05-treffen\ntitle: Treffen\ndate: 2014-02-05\nagreements: [a9]\n"
        "distribution: [p00, p99]\nattendance:\n  present: [p01/chef, p02/nobody]\n---\n"
    )
    change: dict[str, bytes | None] = {
        "minutes/2014-02-05-treffen.md": minutes.encode(),
        "partners/p05.yaml": None,
    }
    _assert_scoped_equals_full(many, change)
    _, after, _ = check_change(many, change)
    words = [p.message.format("en") for p in after.problems]
    assert (
        'unknown partner "p99"; known: caritas, jobcenter, kreis, p00, p01, p02, p03, p04, …'
        in words
    )
    assert 'unknown agreement "a9"; known: a1, a2, koop' in words
    assert 'unknown person "nobody" at p02; known: chef' in words


def test_a_write_check_reads_only_what_the_change_can_affect(many: Path) -> None:
    new_partner: dict[str, bytes | None] = {"partners/neu.yaml": _partner("neu").encode()}
    _, _, scope = check_change(many, new_partner)
    assert scope.checked == {"partners/neu.yaml"}
    assert scope.read_before == {layout.CONFIG}
    assert scope.read_after == {layout.CONFIG, "partners/neu.yaml"}
    path = "agreements/a1/agreement.md"
    text = (many / path).read_text(encoding="utf-8").replace("## § 1 Ziel", "## § 1 Zweck")
    _, _, scope = check_change(many, {path: text.encode()})
    # The agreement, its sign-offs (they mention it) and its two parties; no other record.
    signoffs = {f"agreements/a1/signoffs/v1/{p}.yaml" for p in ("p00", "p01")}
    assert scope.checked == {path, *signoffs}
    assert scope.read_after == {
        layout.CONFIG,
        path,
        *signoffs,
        "partners/p00.yaml",
        "partners/p01.yaml",
    }
    assert {f"p{n:02d}" for n in range(12)} <= scope.known_after["partner"]


def test_a_read_only_state_file_still_gives_the_exact_scope(many: Path) -> None:
    check_change(many, {"partners/neu.yaml": b"id: neu\nname: Neu\n"})
    state = many / ".coop" / state_db.STATE_FILE
    for suffix in ("-wal", "-shm"):
        Path(f"{state}{suffix}").unlink(missing_ok=True)
    state.chmod(0o444)
    try:
        change: dict[str, bytes | None] = {"partners/p00.yaml": None}
        _assert_scoped_equals_full(many, change)
        _, after, _ = check_change(many, change)
        assert any(p.code == "unknown-partner" for p in after.problems)
    finally:
        state.chmod(0o644)


def test_a_contact_address_of_a_partner_out_of_scope_is_not_client_data(
    make_repo: MakeRepo,
) -> None:
    root = make_repo(
        {
            "partners/fern.yaml": "id: fern\nname: Fern\ncontacts:\n"
            "  - id: anna\n    name: Anna Fern\n    email: anna@fern.example\n"
        }
    )
    ctx = Context(root=root, today=date(2014, 2, 7), author_text="Test <t@example.org>")

    def minutes(day: str, mail: str) -> dict[str, bytes | None]:
        text = (
            f"---\nid: {day}-treffen\ntitle: Treffen\ndate: {day}\ntops:\n"
            f"  - title: Bericht\n    notes: Rückfragen an {mail}.\n---\n"
        )
        return {f"minutes/{day}-treffen.md": text.encode()}

    # The minutes mention no partner: fern is not in the scope, yet its contact is registered.
    commit_changes(ctx, minutes("2014-02-05", "anna@fern.example"), "Protokoll")
    with pytest.raises(ProblemsFound) as found:
        commit_changes(ctx, minutes("2014-02-06", "x.privat@mail.example"), "Protokoll")
    assert [p.code for p in found.value.problems] == ["privacy"]


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_recheck_after_edits_on_disk_finds_what_the_full_check_finds(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    root = example_copy(tmp_path_factory.mktemp("recheck") / "repo")
    old = scan(root)
    old_blobs, old_tree = dict(old.blobs), old.tree
    old_problems = _fresh_problems(root)
    _graph_rows(root)  # the graph, and with it the keys of every record as it was
    for path, content in data.draw(changes(root)).items():
        target = root / path
        if content is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(content)
    new = scan(root)
    changed = resolve_changes(root, new.head, tree_changes(root, old_tree, new.tree) or {})
    # What changed, as found from the two trees, is what the two blob maps say.
    assert changed == {
        p: (old_blobs.get(p), new.blobs.get(p))
        for p in old_blobs.keys() | new.blobs.keys()
        if old_blobs.get(p) != new.blobs.get(p)
    }
    with ParseCacheDB(root) as cache:
        found = recheck(new, changed, cache)
    assert found is not None
    after, checked = found
    rechecked = [p for p in old_problems if p.source.path not in checked]
    rechecked += [p for p in after.problems if p.source.path in checked]

    # By place and kind: a kept problem's "known: …" list may name what the change added.
    assert {_key(p) for p in rechecked} == {_key(p) for p in _fresh_problems(root)}
