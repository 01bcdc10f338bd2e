"""A write runs few git processes, and leaves index and HEAD as `git commit` would."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MakeRepo, git
from coopkit.services.repository import commit_changes
from test_hardening_git import change, context, git_wrapper

SCAN = {"for-each-ref", "status", "ls-files"}
"""What reading the working tree asks git (not part of building the commit)."""


def test_a_commit_asks_git_eight_times_at_most(
    make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo()
    log = tmp_path / "git-calls"
    monkeypatch.setenv(
        "PATH",
        git_wrapper(
            tmp_path,
            f'for a in "$@"; do case "$a" in -*|*=*) ;; *) echo "$a" >> "{log}"; break;; esac; done',
        ),
    )
    commit_changes(context(root), change(root), "Change two partners")
    calls = [c for c in log.read_text().split() if c not in SCAN]
    # HEAD and the committed blobs (one cat-file), the repository's state (rev-parse), then
    # read-tree, add, write-tree, commit-tree into a private index, reset of the user's index
    # and the compare-and-swap update-ref.
    assert calls == [
        "cat-file",
        "rev-parse",
        "read-tree",
        "add",
        "write-tree",
        "commit-tree",
        "reset",
        "update-ref",
    ]
    assert git(root, "status", "--porcelain") == ""
