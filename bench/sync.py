"""Benchmark of `coop sync` on the worked example: one commit each way, integrated by rebase.

Usage: python bench/sync.py [--repeat N] [--json]

Two clones of a bare remote. Per round, clone A adds a contact and syncs (fast path: push), clone
B adds another contact to a different partner and syncs (fetch, rebase with the field-wise merge
driver, `coop check` before and after, push), then A syncs again (fast-forward). Times include
the interpreter start and git talking to a bare repository on the same disk.
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

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2014-04-30"
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@e",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@e",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def run(*args: str | Path, cwd: Path | None = None) -> None:
    subprocess.run([str(a) for a in args], cwd=cwd, check=True, env=ENV, capture_output=True)


def coop(root: Path, author: str, *args: str | Path) -> float:
    start = time.perf_counter()
    cli = (sys.executable, "-m", "coopkit.cli")
    run(*cli, "-C", root, "--today", TODAY, "--author", author, *args)
    return time.perf_counter() - start


def setup(base: Path) -> tuple[Path, Path]:
    a = base / "a"
    a.mkdir()
    for name in ("coop.toml", "partners", "agreements", "minutes", "actions", "templates"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, a / name)
    run("git", "init", "-q", "-b", "main", cwd=a)
    run("git", "add", "-A", cwd=a)
    run("git", "commit", "-qm", "example", cwd=a)
    run("git", "init", "-q", "--bare", "-b", "main", base / "remote.git")
    coop(a, "A <a@e>", "remote", "add", "origin", base / "remote.git")
    coop(a, "A <a@e>", "sync")
    run("git", "clone", "-q", base / "remote.git", base / "b")
    return a, base / "b"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    results: dict[str, list[float]] = {"push": [], "rebase": [], "fast-forward": []}
    with tempfile.TemporaryDirectory(prefix="coop-bench-sync-") as tmp:
        a, b = setup(Path(tmp))
        for n in range(options.repeat):
            coop(a, "A <a@e>", "partner", "contact", "add", "kv-myk", "--name", f"Anna Eins{n}")
            results["push"].append(coop(a, "A <a@e>", "sync"))
            coop(b, "B <b@e>", "partner", "contact", "add", "caritas-ko", "--name", f"Bea Zwei{n}")
            results["rebase"].append(coop(b, "B <b@e>", "sync"))
            results["fast-forward"].append(coop(a, "A <a@e>", "sync"))
    summary = {k: round(statistics.median(v), 3) for k, v in results.items()}
    if options.json:
        print(json.dumps(summary))
        return
    for name, seconds in summary.items():
        print(f"coop sync ({name}): {seconds:.2f} s")


if __name__ == "__main__":
    main()
