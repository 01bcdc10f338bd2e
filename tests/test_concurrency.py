"""Concurrent writers: every write lands whole or says the repository is busy; none is lost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import AUTHOR, Budget, MakeRepo, git

MINUTES = """\
    ---
    id: 2014-02-05-treffen
    title: Treffen
    agreements: [koop]
    date: 2014-02-05
    tops:
      - title: Berichte
    ---
    """
WRITERS = 8
ROUNDS = 3


def _command(root: Path, writer: int, round_: int) -> list[str]:
    base = [sys.executable, "-m", "coopkit.cli", "-C", str(root), "--author", AUTHOR]
    base += ["--today", "2014-02-07"]
    tag = f"w{writer}r{round_}"
    if writer % 3 == 0:
        return [*base, "partner", "contact", "add", "kreis", "--name", f"Kontakt {tag}"]
    if writer % 3 == 1:
        return [*base, "meeting", "note", "2014-02-05-treffen", "--top", "1", f"Notiz {tag}."]
    return [*base, "meeting", "decide", "2014-02-05-treffen", "--top", "1", f"Beschluss {tag}."]


@pytest.mark.slow
@pytest.mark.timing
def test_concurrent_mixed_writes_lose_nothing(make_repo: MakeRepo, budget: Budget) -> None:
    root = make_repo({"minutes/2014-02-05-treffen.md": MINUTES})
    env = {**os.environ, "COOP_LANG": "de"}
    start = int(git(root, "rev-list", "--count", "HEAD"))
    landed: list[str] = []
    for round_ in range(ROUNDS):
        procs = [
            (
                writer,
                subprocess.Popen(
                    _command(root, writer, round_),
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
            for writer in range(WRITERS)
        ]
        for writer, proc in procs:
            tag = f"w{writer}r{round_}"
            # All writers of a round share the machine: allow each its own command's time.
            out, err = budget.communicate(proc, f"writer {tag}", commands=WRITERS)
            if proc.returncode == 0:
                landed.append(tag)
            else:
                assert proc.returncode == 5 and "Repository belegt" in err, (tag, out, err)
    assert landed, "no write landed at all"
    partner = git(root, "show", "HEAD:partners/kreis.yaml")
    minutes = git(root, "show", "HEAD:minutes/2014-02-05-treffen.md")
    for tag in landed:
        assert f" {tag}" in partner or f" {tag}." in minutes, f"change {tag} was lost"
    assert int(git(root, "rev-list", "--count", "HEAD")) - start == len(landed)
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "diff", "--cached", "--name-only") == ""
