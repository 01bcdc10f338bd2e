"""Benchmark of `coop privacy erase` on the worked example, against git-filter-repo alone.

Usage: python bench/erase.py [--repeat N] [--json]

The example repository (`coop demo`, its whole history) gets a pinned coordinator key. Each round
copies it and erases one contact (every name, e-mail and phone it ever had) from every commit:
once with `coop privacy erase` (rewrite, `coop check` and every sign-off before and after, the
signed record, taking the new history over, dropping the old objects, proving none is left),
once with git-filter-repo alone replacing the same texts into a new repository. The ratio says
what coop's checks and bookkeeping cost on top of the rewrite itself. Times include the
interpreter start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TODAY = "2014-04-30"
AUTHOR = "Gisela Bernert <bernert@kreis-myk.example>"
CONTACT = "awo-rheinland/becker"
TEXTS = ("Andrea Becker", "andrea.becker@awo-rheinland.example", "0261 30006-41")
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@e",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@e",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}
COOP = (sys.executable, "-m", "coopkit.cli")


def run(*args: str | Path, cwd: Path | None = None) -> None:
    subprocess.run([str(a) for a in args], cwd=cwd, check=True, env=ENV, capture_output=True)


def coop(root: Path, *args: str | Path) -> None:
    run(*COOP, "-C", root, "--today", TODAY, "--author", AUTHOR, *args)


def setup(base: Path) -> tuple[Path, Path, int]:
    """Return the prepared example, the coordinator key and the number of commits."""
    repo = base / "example"
    run(*COOP, "--today", TODAY, "--author", AUTHOR, "demo", repo)
    key = base / "coordinator"
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
    coop(repo, "trust", "pin", f"{key}.pub")
    commits = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"], cwd=repo, env=ENV, capture_output=True, text=True
    ).stdout
    return repo, key, int(commits)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    coop_s: list[float] = []
    bare_s: list[float] = []
    with tempfile.TemporaryDirectory(prefix="coop-bench-erase-") as tmp:
        base = Path(tmp)
        repo, key, commits = setup(base)
        exprs = base / "expressions.txt"
        exprs.write_text("".join(f"{t}==>(gelöscht)\n" for t in TEXTS), encoding="utf-8")
        for n in range(options.repeat):
            copy = base / f"copy{n}"
            shutil.copytree(repo, copy, symlinks=True)
            start = time.perf_counter()
            coop(
                copy,
                "--ssh-key",
                key,
                "privacy",
                "erase",
                "--contact",
                CONTACT,
                "--reason",
                "Ausgeschieden",
                "--break-signoffs",
            )
            coop_s.append(time.perf_counter() - start)
            target = base / f"bare{n}.git"
            start = time.perf_counter()
            target.mkdir()
            run("git", "init", "-q", "--bare", cwd=target)
            run(
                sys.executable,
                "-c",
                "import git_filter_repo as f; f.main()",
                "--source",
                repo / ".git",
                "--target",
                target,
                "--force",
                "--quiet",
                "--replace-text",
                exprs,
                cwd=base,
            )
            bare_s.append(time.perf_counter() - start)
    summary = {
        "commits in the example": commits,
        "coop privacy erase, one contact (s)": round(statistics.median(coop_s), 3),
        "git-filter-repo alone, same texts (s)": round(statistics.median(bare_s), 3),
        "ratio coop / git-filter-repo": round(
            statistics.median(coop_s) / statistics.median(bare_s), 2
        ),
    }
    if options.json:
        print(json.dumps(summary))
        return
    for name, value in summary.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
