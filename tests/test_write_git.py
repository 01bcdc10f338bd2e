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
