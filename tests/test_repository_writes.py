"""Writes: one commit of exactly the written paths, or nothing; concurrent writers never interleave."""

from __future__ import annotations

import multiprocessing
from datetime import date
from pathlib import Path

import pytest

from conftest import AUTHOR, Budget, MakeRepo, git, tree_state
from coopkit.errors import ProblemsFound, RepositoryBusy
from coopkit.queries.context import Context
from coopkit.services.repository import commit_changes
from coopkit.store.lock import repository_lock


def context(root: Path, **kw: object) -> Context:
    return Context(root=root, today=date(2014, 2, 7), author_text=AUTHOR, **kw)  # type: ignore[arg-type]


def test_commit_changes_commits_exactly_the_written_paths(make_repo: MakeRepo) -> None:
    root = make_repo()
    (root / "notes.txt").write_text("unrelated, uncommitted\n")
    result = commit_changes(
        context(root),
        {"partners/awo.yaml": b"id: awo\nname: AWO\n"},
        "Add partner awo",
        when=date(2013, 1, 15),
    )
    assert result.paths == ["partners/awo.yaml"]
    shown = git(root, "show", "--name-only", "--format=%an <%ae>|%ad|%s", "--date=short", "HEAD")
    assert shown.splitlines()[:3] == [
        f"{AUTHOR}|2013-01-15|Add partner awo",
        "",
        "partners/awo.yaml",
    ]
    assert "?? notes.txt" in git(root, "status", "--porcelain")


def test_commit_changes_refuses_a_change_that_adds_problems(make_repo: MakeRepo) -> None:
    root = make_repo()
    before = tree_state(root)
    with pytest.raises(ProblemsFound) as info:
        commit_changes(context(root), {"partners/awo.yaml": b"id: awo\n"}, "Add partner awo")
    assert [p.format() for p in info.value.problems] == [
        "partners/awo.yaml:1:1: Pflichtfeld „name“ fehlt"
    ]
    assert tree_state(root) == before
    assert not (root / "partners/awo.yaml").exists()


def test_commit_failure_restores_the_files(make_repo: MakeRepo) -> None:
    root = make_repo()
    original = (root / "partners/kreis.yaml").read_bytes()
    (root / ".git/index.lock").write_text("")  # a git killed earlier
    with pytest.raises(Exception, match="git"):
        commit_changes(
            context(root),
            {
                "partners/kreis.yaml": original + b"web: kreis.example\n",
                "partners/awo.yaml": b"id: awo\nname: A\n",
            },
            "Change two partners",
        )
    assert (root / ".git/index.lock").exists(), "a lock coop did not create stays"
    (root / ".git/index.lock").unlink()
    assert (root / "partners/kreis.yaml").read_bytes() == original
    assert not (root / "partners/awo.yaml").exists()
    assert git(root, "status", "--porcelain") == ""


def test_second_writer_is_told_repository_busy(make_repo: MakeRepo) -> None:
    root = make_repo()
    before = tree_state(root)
    with repository_lock(root), pytest.raises(RepositoryBusy):
        commit_changes(
            context(root, lock_wait=0.2), {"partners/awo.yaml": b"id: awo\nname: A\n"}, "x"
        )
    assert tree_state(root) == before


def _writer(root: str, name: str, barrier: multiprocessing.synchronize.Barrier, wait: float) -> str:
    ctx = context(Path(root), lock_wait=wait)
    barrier.wait(timeout=wait)
    try:
        commit_changes(
            ctx,
            {f"partners/{name}.yaml": f"id: {name}\nname: {name}\n".encode()},
            f"Add partner {name}",
        )
    except RepositoryBusy:
        return "busy"
    return "ok"


@pytest.mark.timing
def test_concurrent_writers_both_land_or_one_is_busy(make_repo: MakeRepo, budget: Budget) -> None:
    root = make_repo()
    names = ["p1", "p2", "p3", "p4"]
    # Each writer waits for the lock as long as all of them together may take on this machine.
    wait = budget.seconds(len(names))
    with multiprocessing.get_context("fork").Manager() as manager:
        barrier = manager.Barrier(len(names))
        with multiprocessing.get_context("fork").Pool(len(names)) as pool:
            pending = pool.starmap_async(_writer, [(str(root), n, barrier, wait) for n in names])
            try:
                results = pending.get(timeout=2 * wait)
            except multiprocessing.TimeoutError:
                budget.fail("four concurrent writers", 2 * len(names))
                raise
    landed = [n for n, r in zip(names, results, strict=True) if r == "ok"]
    assert set(results) <= {"ok", "busy"}
    log = git(root, "log", "--format=%s").splitlines()
    assert sorted(s for s in log if s.startswith("Add partner")) == sorted(
        f"Add partner {n}" for n in landed
    )
    for name in landed:
        files = git(root, "show", "--name-only", "--format=", f":/Add partner {name}").split()
        assert files == [f"partners/{name}.yaml"]
    assert git(root, "status", "--porcelain") == ""
    assert landed, "with a lock wait as long as all writers together, every writer should land"


def test_load_revision_reads_the_repository_as_it_was(make_repo: MakeRepo) -> None:
    from coopkit.queries.load import load_revision, load_worktree

    root = make_repo()
    first = git(root, "rev-parse", "HEAD").strip()
    commit_changes(context(root), {"partners/awo.yaml": b"id: awo\nname: AWO\n"}, "Add awo")
    assert "awo" in load_worktree(context(root)).data.partners
    then = load_revision(context(root), first)
    assert sorted(then.data.partners) == ["caritas", "jobcenter", "kreis"]
    assert then.problems == []
