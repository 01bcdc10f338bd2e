"""Rewriting history to erase data, with git-filter-repo, and proving afterwards what is left.

The rewrite itself is git-filter-repo's (a maintained tool; coop writes no rewrite of its own).
It reads the user's repository and writes the new history into a separate, new repository, so
the user's repository is untouched until the caller takes the result over.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from coopkit.errors import RepositoryError, T
from coopkit.store.git import GIT_ENV, GitRepo

_NULL = "0" * 40


@dataclass(frozen=True)
class Rewritten:
    """What git-filter-repo made: old commit -> new commit, and the refs it wrote."""

    commits: dict[str, str]
    refs: dict[str, str]
    """ref name -> the object it names in the new repository."""


def _python_bytes(values: Iterable[str]) -> str:
    return repr(sorted({v.encode("utf-8") for v in values}, key=len, reverse=True))


def _identity_callback(texts: list[str], replacement: str, name: str) -> str:
    """Return a filter-repo callback body that replaces the texts inside a name or e-mail."""
    return (
        f"for old in {_python_bytes(texts)}:\n"
        f"    {name} = {name}.replace(old, {replacement.encode('utf-8')!r})\n"
        f"return {name}\n"
    )


def expressions(texts: list[str], replacement: str) -> str:
    """Return a filter-repo expressions file: each text (longest first) -> the replacement."""
    lines = []
    for text in sorted(set(texts), key=lambda t: (-len(t), t)):
        lines.append(f"regex:{re.escape(text)}==>{replacement}")
    return "".join(line + "\n" for line in lines)


def filter_repo(
    source: Path, target: Path, texts: list[str], paths: list[str], replacement: str
) -> Rewritten:
    """Write `source`'s history into the new bare repository `target` without texts and paths.

    Every ref is rewritten (branches, tags, remote-tracking refs); no commit is dropped, so each
    old commit has exactly one new one. Commit signatures do not survive a rewrite; the caller
    records who signed what.
    """
    target.mkdir(parents=True)
    git(target, "init", "--quiet", "--bare")
    work = target.parent
    exprs = work / "expressions.txt"
    exprs.write_text(expressions(texts, replacement), encoding="utf-8")
    args = [
        "--source",
        str(source),
        "--target",
        str(target),
        "--force",
        "--quiet",
        "--prune-empty",
        "never",
        "--prune-degenerate",
        "never",
    ]
    if texts:
        args += ["--replace-text", str(exprs), "--replace-message", str(exprs)]
        args += ["--name-callback", _identity_callback(texts, replacement, "name")]
        args += ["--email-callback", _identity_callback(texts, replacement, "email")]
    if paths:
        args += ["--invert-paths"]
        for path in paths:
            args += ["--path", path]
    run = subprocess.run(
        [sys.executable, "-c", "import git_filter_repo as f; f.main()", *args],
        cwd=work,
        env={**os.environ, **GIT_ENV},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    if run.returncode != 0:
        raise RepositoryError(
            T(
                "git-filter-repo fehlgeschlagen: {e}",
                "git-filter-repo failed: {e}",
                e=(run.stderr or run.stdout).decode("utf-8", "replace").strip()[-2000:],
            )
        )
    meta = target / "filter-repo"
    commits = {}
    for line in (meta / "commit-map").read_text(encoding="ascii").splitlines()[1:]:
        old, _, new = line.partition(" ")
        if old and new.strip() and new.strip() != _NULL:
            commits[old] = new.strip()
    refs = {}
    for line in git(target, "for-each-ref", "--format=%(objectname) %(refname)").splitlines():
        sha, _, ref = line.partition(" ")
        refs[ref] = sha
    # The filter's own notes hold ids only, but nothing of the rewrite stays behind.
    shutil.rmtree(meta, ignore_errors=True)
    return Rewritten(commits, refs)


def git(root: Path, *args: str, stdin: bytes | None = None) -> str:
    """Run git in `root`; return its output; raise a repository error when it fails."""
    run = subprocess.run(
        ["git", *args],
        cwd=root,
        env={**os.environ, **GIT_ENV},
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    if run.returncode != 0:
        raise RepositoryError(
            T(
                "git {c} fehlgeschlagen: {e}",
                "git {c} failed: {e}",
                c=args[0] if args else "",
                e=run.stderr.decode("utf-8", "replace").strip(),
            )
        )
    return run.stdout.decode("utf-8", "replace")


def signatures(root: Path, allowed_file: Path) -> dict[str, str]:
    """Return commit -> fingerprint of its good SSH signature, over every ref."""
    out = git(
        root,
        "-c",
        f"gpg.ssh.allowedSignersFile={allowed_file}",
        "log",
        "--all",
        "--format=%H %G? %GF",
    )
    found = {}
    for line in out.splitlines():
        parts = line.split(" ")
        if len(parts) == 3 and parts[1] in ("G", "U") and parts[2]:
            found[parts[0]] = parts[2]
    return found


def tree_changes(root: Path, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], list[Change]]:
    """Return for each (old, new) commit pair the files that differ between their trees."""
    if not pairs:
        return {}
    request = "".join(f"{new} {old}\n" for old, new in pairs).encode("ascii")
    out = git(root, "diff-tree", "--stdin", "-r", "--no-renames", "-z", stdin=request)
    result: dict[tuple[str, str], list[Change]] = {}
    by_new = {new: (old, new) for old, new in pairs}
    current: tuple[str, str] | None = None
    fields = iter(out.split("\0"))
    for item in fields:
        if not item:
            continue
        if item.startswith(":"):
            meta = item[1:].split(" ")
            path = next(fields, "")
            if current is not None and len(meta) >= 5:
                result[current].append(Change(path, meta[2], meta[3], meta[4]))
            continue
        head = item.strip().split(" ")[0]
        current = by_new.get(head)
        if current is not None:
            result.setdefault(current, [])
    for pair in pairs:
        result.setdefault(pair, [])
    return result


@dataclass(frozen=True)
class Change:
    """One file that differs between an old commit's tree and its rewritten tree."""

    path: str
    old_blob: str
    new_blob: str
    status: str


def objects_holding(root: Path, needles: list[bytes]) -> Iterator[tuple[str, str, bytes]]:
    """Yield (object id, type, needle) for every object in the repository that holds a needle.

    Every object counts, reachable or not, loose or packed: what `git cat-file
    --batch-all-objects` lists.
    """
    process = subprocess.Popen(
        ["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"],
        cwd=root,
        env={**os.environ, **GIT_ENV},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    try:
        while True:
            header = process.stdout.readline()
            if not header:
                break
            parts = header.split()
            if len(parts) != 3:
                continue
            size = int(parts[2])
            data = process.stdout.read(size + 1)[:size]
            for needle in needles:
                if needle in data:
                    yield parts[0].decode("ascii"), parts[1].decode("ascii"), needle
    finally:
        process.stdout.close()
        if process.poll() is None:
            process.kill()
        process.wait()


def count_objects(root: Path) -> int:
    """Return how many objects the repository holds (reachable or not)."""
    out = git(root, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
    return len(out.split())


def forget_old(repo: GitRepo) -> None:
    """Drop every reflog and unreachable object, so rewritten history is gone from this clone."""
    git_dir = Path(str(repo.run("rev-parse", "--absolute-git-dir")))
    for name in ("ORIG_HEAD", "FETCH_HEAD", "AUTO_MERGE"):
        (git_dir / name).unlink(missing_ok=True)
    repo.run("reflog", "expire", "--expire=now", "--expire-unreachable=now", "--all")
    repo.run("-c", "gc.reflogExpire=now", "gc", "--quiet", "--prune=now")


def clear_caches(root: Path, keep: str) -> None:
    """Drop coop's own caches under .coop/ (they may hold erased texts), all but `keep`."""
    folder = root / ".coop"
    if not folder.is_dir() or folder.is_symlink():
        return
    for entry in folder.iterdir():
        if entry.name == keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def forget_old_bare(path: Path) -> None:
    """Housekeeping on a bare repository on this machine: drop reflogs and unreachable objects."""
    git(path, "reflog", "expire", "--expire=now", "--expire-unreachable=now", "--all")
    git(path, "gc", "--quiet", "--prune=now")


def existing_commits(root: Path, shas: Iterable[str]) -> list[str]:
    """Return those of `shas` that exist here as commits."""
    wanted = sorted(set(shas))
    if not wanted:
        return []
    out = git(
        root,
        "cat-file",
        "--batch-check=%(objectname) %(objecttype)",
        stdin="".join(s + "\n" for s in wanted).encode("ascii"),
    )
    return [line.split(" ")[0] for line in out.splitlines() if line.endswith(" commit")]


def ancestors_among(root: Path, rev: str, shas: Iterable[str]) -> list[str]:
    """Return those of `shas` (existing commits) contained in `rev`'s history."""
    present = existing_commits(root, shas)
    if not present:
        return []
    reachable = set(git(root, "rev-list", rev, "--").split())
    return [sha for sha in present if sha in reachable]
