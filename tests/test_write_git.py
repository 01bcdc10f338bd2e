"""A write runs few git processes, and leaves index and HEAD as `git commit` would."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MakeRepo, git
from coopkit.services.repository import commit_changes
from test_hardening_git import change, context, git_wrapper

SCAN = {"for-each-ref", "status", "ls-files"}
"""What reading the working tree asks git (the scan; not part of the write path)."""


def test_a_write_asks_git_eight_times_besides_the_scan(
    make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo()
    ctx = context(root)
    commit_changes(ctx, change(root), "Change two partners")
    log = tmp_path / "git-calls"
    monkeypatch.setenv(
        "PATH",
        git_wrapper(
            tmp_path,
            f'for a in "$@"; do case "$a" in -*|*=*) ;; *) echo "$a" >> "{log}"; break;; esac; done',
        ),
    )

    def calls_of_a_write(path: str) -> list[str]:
        """Return the git subcommands a write ran, in the order they started."""
        log.write_text("")
        commit_changes(ctx, {path: b"id: " + path[9:-5].encode() + b"\nname: Neu\n"}, "New")
        return [c for c in log.read_text().split() if c not in SCAN]

    # HEAD and the committed blobs (one cat-file); the repository's state (rev-parse); the new
    # blob (hash-object), the trees along its path (cat-file) and the new trees (hash-object),
    # commit-tree; reset of the user's index and the compare-and-swap update-ref. (With hooks:
    # a private index.) The reference graph stands for the last coop commit already.
    written = [
        "rev-parse",
        "hash-object",
        "cat-file",
        "hash-object",
        "commit-tree",
        "reset",
        "update-ref",
    ]
    # Only the end of a write runs one git after the other: the new trees are hashed once all
    # the reads before have answered, then commit-tree, reset and update-ref each wait for the
    # one before. The calls before that run at once (the new blob is hashed while the trees
    # along its path are read) and may start in any order: what counts is which and how many.
    tail = ["hash-object", "commit-tree", "reset", "update-ref"]

    def check(calls: list[str], expected: list[str]) -> None:
        assert Counter(calls) == Counter(expected), calls
        assert calls[-len(tail) :] == tail, calls

    check(calls_of_a_write("partners/neu.yaml"), ["cat-file", *written])
    assert git(root, "status", "--porcelain") == ""
    # After a commit made with git itself, the graph asks what it changed (diff-tree).
    (root / "partners" / "hand.yaml").write_text("id: hand\nname: Von Hand\n")
    git(root, "add", "partners/hand.yaml")
    git(root, "commit", "-q", "-m", "By hand")
    check(calls_of_a_write("partners/neu2.yaml"), ["cat-file", "diff-tree", *written])
    check(calls_of_a_write("partners/neu3.yaml"), ["cat-file", *written])
    assert git(root, "status", "--porcelain") == ""


def test_a_killed_commits_private_folder_is_removed_by_a_later_commit(
    make_repo: MakeRepo,
) -> None:
    import os
    import time

    root = make_repo()
    git_dir = root / ".git"
    hours_ago = time.time() - 2 * 3600

    def leftover(name: str, *, old: bool) -> Path:
        folder = git_dir / name
        folder.mkdir()
        (folder / "index").write_bytes(b"DIRC")
        if old:
            os.utime(folder, (hours_ago, hours_ago))
        return folder

    killed = leftover("coop-commit-999999999-a1", old=True)  # no such process
    young = leftover("coop-commit-999999998-b2", old=False)  # may still be committing
    alive = leftover(f"coop-commit-{os.getpid()}-c3", old=True)  # its process runs
    commit_changes(context(root), {"partners/neu.yaml": b"id: neu\nname: Neu\n"}, "New partner")
    left = {p.name for p in git_dir.iterdir() if p.name.startswith("coop-commit-")}
    assert left == {young.name, alive.name}
    assert not killed.exists()
    assert git(root, "status", "--porcelain") == ""


POOL = [
    "a.yaml",
    "d/b.yaml",
    "d/e/c.yaml",
    "d/e/f/g.yaml",
    "x/y.yaml",
    "new/deep/n.yaml",
    "d/e.yaml",
]
"""Paths of the tree-building property test: nested and new folders, and "d/e.yaml", which git
sorts before the folder "d/e" (a folder sorts as "e/")."""


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_tree_of_a_change_is_what_git_add_and_write_tree_give(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    import os

    from coopkit.store.git import GitRepo

    root = tmp_path_factory.mktemp("tree")
    git(root, "init", "-q")
    (root / ".gitattributes").write_text("*.yaml text eol=lf\n")
    for path in POOL[:5]:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(f"id: {path}\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    head = git(root, "rev-parse", "HEAD").strip()
    changed: list[str] = []
    for path in data.draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=5, unique=True)):
        target = root / path
        action = data.draw(st.sampled_from(["write", "crlf", "exec", "delete"]))
        if action == "delete":
            if not target.exists():
                continue
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            end = "\r\n" if action == "crlf" else "\n"
            target.write_bytes(f"id: {path}{end}note: {action}{end}".encode())
            if action == "exec":
                target.chmod(0o755)
        changed.append(path)
    if not changed:
        return
    with GitRepo(root) as repo:
        folder = root / ".git" / "t"
        folder.mkdir()
        built = repo._tree_of_change(head, changed, folder)
    env = {**os.environ, "GIT_INDEX_FILE": str(root / ".git" / "private-index")}
    import subprocess

    def run(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
        ).stdout.strip()

    run("read-tree", head)
    run("add", "--all", "--", *changed)
    if built is None:
        # An executable bit: git decides by core.filemode, in a private index.
        assert any(os.access(root / p, os.X_OK) for p in changed if (root / p).exists())
        return
    assert built == run("write-tree")
    assert git(root, "fsck", "--strict", "--no-dangling") == ""
