"""A write runs few git processes, and leaves index and HEAD as `git commit` would."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MakeRepo, git
from coopkit.services.repository import commit_changes
from test_hardening_git import change, context, git_wrapper

SCAN = {"for-each-ref", "status", "ls-files"}
"""What reading the working tree asks git (the scan; not part of the write path)."""


def test_a_write_asks_git_nine_times_besides_the_scan(
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
    new = {"partners/neu.yaml": b"id: neu\nname: Neu\n"}
    commit_changes(ctx, new, "New partner")
    calls = [c for c in log.read_text().split() if c not in SCAN]
    # HEAD and the committed blobs (one cat-file); what changed since the graph's commit
    # (diff-tree); the repository's state (rev-parse); read-tree, add, write-tree, commit-tree
    # into a private index; reset of the user's index and the compare-and-swap update-ref.
    assert calls == [
        "cat-file",
        "diff-tree",
        "rev-parse",
        "read-tree",
        "add",
        "write-tree",
        "commit-tree",
        "reset",
        "update-ref",
    ]
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
