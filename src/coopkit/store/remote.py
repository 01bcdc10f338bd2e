"""Remotes: fetch, rebase onto, push; the git side of `coop sync`.

What another clone pushed is data, not instructions: branches are fetched without tags (a moved
tag would otherwise fail the fetch or clobber ours), tags are compared by name, and how records
merge is set in the clone's own `info/attributes`, which git ranks above any tracked
`.gitattributes`.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from coopkit.errors import RepositoryError, T, UsageError
from coopkit.store.atomic import write_atomic
from coopkit.store.git import Author, Commit, GitRepo

ATTRIBUTES = ".gitattributes"
DRIVER = "coop"
ATTRIBUTE_LINES = (
    "minutes/*.md merge=coop",
    "partners/*.yaml merge=coop",
    "agreements/**/*.yaml merge=coop",
)
INFO_ATTRIBUTE_LINES = (
    # Any tracked `merge=union` (or another built-in) is overruled: plain text merges elsewhere.
    "* merge",
    "partners/*.yaml merge=coop",
    "agreements/*/agreement.md merge=coop",
    "agreements/**/*.yaml merge=coop",
    "minutes/*.md merge=coop",
    "actions/*.yaml merge=coop",
    "keys/*/*.yaml merge=coop",
)
"""coop's merge settings for every record path, in `$GIT_DIR/info/attributes`."""
_BEGIN = "# coop: Zusammenführung der Datensätze (von coop geschrieben, vor .gitattributes)"
_END = "# coop: Ende"
SEEN_PREFIX = "refs/coop/seen"
"""Where sync keeps the remote branch's tip as this clone last saw it: refs/coop/seen/R/B."""
COOP_DIR = ".coop"
_REMOTE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def driver_command() -> str:
    """Return the merge-driver command line git runs (this Python, so any install works)."""
    return f"{shlex.quote(sys.executable)} -m coopkit.cli merge-driver %O %A %B %P"


def driver_options() -> list[str]:
    """Return `-c` options that define coop's merge driver for one git call."""
    return [
        "-c",
        f"merge.{DRIVER}.name=coop: Datensätze feldweise zusammenführen",
        "-c",
        f"merge.{DRIVER}.driver={driver_command()}",
    ]


def attributes_text(existing: str) -> str:
    """Return .gitattributes with coop's merge lines added (existing lines kept)."""
    lines = existing.splitlines()
    for line in ATTRIBUTE_LINES:
        if line not in lines:
            lines.append(line)
    return "\n".join(lines) + "\n"


def info_attributes_text(existing: str) -> str:
    """Return `info/attributes` with coop's block (re)written at its end, other lines kept."""
    kept: list[str] = []
    inside = False
    for line in existing.splitlines():
        if line == _BEGIN:
            inside = True
        elif line == _END and inside:
            inside = False
        elif not inside:
            kept.append(line)
    # Last in the file: a later line for the same path would win.
    return "\n".join([*kept, _BEGIN, *INFO_ATTRIBUTE_LINES, _END]) + "\n"


def install_attributes(repo: GitRepo) -> None:
    """Write coop's merge settings to the clone's `info/attributes` (outranks `.gitattributes`)."""
    path = Path(
        str(repo.run("rev-parse", "--path-format=absolute", "--git-path", "info/attributes"))
    )
    try:
        existing = path.read_text("utf-8")
    except FileNotFoundError:
        existing = ""
    wanted = info_attributes_text(existing)
    if wanted != existing:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, wanted.encode("utf-8"))


def local_path(url: str, root: Path) -> Path | None:
    """Return the folder a remote URL names on this machine, or None (ssh, https, …)."""
    if url.startswith("file://"):
        return Path(url.removeprefix("file://"))
    if "://" in url or ":" in url.split("/", 1)[0]:
        return None
    return (root / url) if not Path(url).is_absolute() else Path(url)


@dataclass(frozen=True)
class TagClash:
    """A tag both sides have, pointing at different things (commits peeled)."""

    name: str
    ours: str
    theirs: str


@dataclass(frozen=True)
class Conflict:
    """One file both sides changed: its text at the merge base, on the remote and locally."""

    path: str
    base: str | None
    remote: str | None
    local: str | None


def check_remote_name(name: str) -> None:
    """Refuse remote names git could read as an option or a path."""
    if not _REMOTE_NAME.fullmatch(name):
        raise UsageError(
            T(
                "Name „{n}“: erwartet Buchstaben, Ziffern, „.“, „_“ oder „-“",
                'name "{n}": expected letters, digits, ".", "_" or "-"',
                n=name,
            )
        )


def identity(author: Author) -> dict[str, str]:
    """Return the committer environment for commits git writes while rebasing."""
    return {
        "GIT_COMMITTER_NAME": author.name,
        "GIT_COMMITTER_EMAIL": author.email,
        "GIT_AUTHOR_NAME": author.name,
        "GIT_AUTHOR_EMAIL": author.email,
    }


class Remote:
    """The git operations of one sync, on an open repository."""

    def __init__(self, repo: GitRepo, name: str) -> None:
        check_remote_name(name)
        self.repo = repo
        self.name = name

    def exists(self) -> bool:
        """Return whether the remote is configured."""
        return self.name in str(self.repo.run("remote")).split()

    def add(self, url: str) -> None:
        """Configure the remote."""
        if url.startswith("-") or "\n" in url:
            raise UsageError(T("ungültige Adresse „{u}“", 'invalid URL "{u}"', u=url))
        self.repo.run("remote", "add", "--", self.name, url)

    def branch(self) -> str:
        """Return the current branch; refuse a detached HEAD."""
        name = str(self.repo.run("symbolic-ref", "--quiet", "--short", "HEAD"))
        if not name:
            raise RepositoryError(T("kein Zweig ausgecheckt", "no branch checked out"))
        return name

    def fetch(self) -> None:
        """Fetch the remote's branches (tags are compared and fetched by name: `tags`)."""
        self.repo.run("fetch", "--quiet", "--no-tags", self.name)

    def remote_tags(self) -> dict[str, tuple[str, str]]:
        """Return tag name -> (tag object, commit it points at) on the remote."""
        out = str(self.repo.run("ls-remote", "--tags", "--quiet", self.name))
        objects: dict[str, str] = {}
        peeled: dict[str, str] = {}
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            if not ref.startswith("refs/tags/"):
                continue
            name = ref.removeprefix("refs/tags/")
            if name.endswith("^{}"):
                peeled[name[:-3]] = sha
            else:
                objects[name] = sha
        return {n: (o, peeled.get(n, o)) for n, o in objects.items()}

    def local_tags(self) -> dict[str, tuple[str, str]]:
        """Return tag name -> (tag object, commit it points at) in this clone."""
        out = str(
            self.repo.run(
                "for-each-ref", "--format=%(objectname) %(*objectname) %(refname)", "refs/tags"
            )
        )
        found = {}
        for line in out.splitlines():
            parts = line.split(" ")
            if len(parts) == 3:
                obj, commit, ref = parts
                found[ref.removeprefix("refs/tags/")] = (obj, commit or obj)
        return found

    def tags(self) -> tuple[list[TagClash], list[str]]:
        """Fetch the remote's tags this clone lacks; return clashes and tags only we have."""
        theirs = self.remote_tags()
        ours = self.local_tags()
        clashes = [
            TagClash(name, ours[name][1], target)
            for name, (obj, target) in sorted(theirs.items())
            if name in ours and ours[name][0] != obj
        ]
        wanted = []
        for name in sorted(set(theirs) - set(ours)):
            try:
                self.repo.check_ref_name(name)
            except (RepositoryError, UsageError):
                continue
            wanted.append(f"refs/tags/{name}:refs/tags/{name}")
        if wanted:
            # Without "+": a tag is added, never replaced.
            self.repo.run("fetch", "--quiet", "--no-tags", self.name, *wanted)
        return clashes, sorted(set(ours) - set(theirs))

    def seen(self, branch: str) -> str | None:
        """Return the remote branch's tip as this clone last saw it (before this fetch)."""
        for ref in (f"{SEEN_PREFIX}/{self.name}/{branch}", f"refs/remotes/{self.name}/{branch}"):
            try:
                found = str(self.repo.run("rev-parse", "--verify", "--quiet", ref))
            except RepositoryError:
                continue
            if found:
                return found
        return None

    def remember(self, branch: str, commit: str) -> None:
        """Record the remote branch's tip as seen now."""
        self.repo.run("update-ref", f"{SEEN_PREFIX}/{self.name}/{branch}", commit)

    def is_ancestor(self, old: str, new: str) -> bool:
        """Return whether `old` is contained in `new`'s history."""
        try:
            self.repo.run("merge-base", "--is-ancestor", old, new)
        except RepositoryError:
            return False
        return True

    def log(self, spec: str) -> list[Commit]:
        """Return the commits of a range with the paths each changed, newest first."""
        return self.repo.log(rev=spec)

    def dropped(self, upstream: str | None, seen: str) -> list[Commit]:
        """Return the commits of `seen` that `upstream` lacks, also as a copy (newest first).

        A commit rebased onto the remote (same change, new id) is not missing.
        """
        if upstream is None:
            return self.log(seen)
        out = str(
            self.repo.run(
                "rev-list",
                "--cherry-pick",
                "--right-only",
                "--end-of-options",
                f"{upstream}...{seen}",
            )
        )
        missing = set(out.split())
        return [c for c in self.log(f"{upstream}..{seen}") if c.sha in missing] if missing else []

    def short(self, shas: list[str]) -> dict[str, str]:
        """Return commit -> its abbreviated id as git shows it (unique in this repository)."""
        if not shas:
            return {}
        out = str(
            self.repo.run("log", "--no-walk=unsorted", "--format=%H %h", "--end-of-options", *shas)
        )
        return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)

    def tracked_coop_dir(self, rev: str) -> list[str]:
        """Return what a commit's tree holds under `.coop` (any case: macOS folds it)."""
        out = str(self.repo.run("ls-tree", "-z", "--name-only", "--full-tree", rev))
        tops = [n for n in out.split("\0") if n and n.lower() == COOP_DIR]
        if not tops:
            return []
        out = str(
            self.repo.run("ls-tree", "-r", "-z", "--name-only", "--full-tree", rev, "--", *tops)
        )
        return [p for p in out.split("\0") if p] or tops

    def remote_head(self, branch: str) -> str | None:
        """Return the commit of the remote branch, or None when it does not exist yet."""
        try:
            return (
                str(
                    self.repo.run(
                        "rev-parse", "--verify", "--quiet", f"refs/remotes/{self.name}/{branch}"
                    )
                )
                or None
            )
        except RepositoryError:
            return None

    def commits(self, spec: str) -> list[str]:
        """Return commits of a range, oldest first."""
        out = str(self.repo.run("rev-list", "--reverse", spec, "--"))
        return out.split()

    def rebase(
        self, onto: str, env: dict[str, str], signing: list[str], since: str | None = None
    ) -> list[str]:
        """Rebase the branch onto `onto`; return the conflicted paths (rebase stopped) or [].

        `since`: replay only the commits after it (`--onto`), e.g. after a rewrite was accepted.
        """
        target = ["--onto", onto, since] if since else [onto]
        try:
            self.repo.run(
                *driver_options(),
                *signing,
                "rebase",
                "--quiet",
                "--no-autostash",
                *target,
                env=env,
            )
        except RepositoryError:
            paths = self.conflicted()
            if not paths:
                raise
            return paths
        return []

    def conflicted(self) -> list[str]:
        """Return unmerged paths."""
        out = str(self.repo.run("diff", "--name-only", "--diff-filter=U", "-z"))
        return [p for p in out.split("\0") if p]

    def rebasing(self) -> bool:
        """Return whether a rebase is in progress."""
        git_dir = Path(str(self.repo.run("rev-parse", "--absolute-git-dir")))
        return (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists()

    def abort(self) -> None:
        """Abort a rebase in progress."""
        self.repo.run("rebase", "--abort")

    def take(self, paths: list[str], side: str) -> None:
        """Resolve conflicted paths by one side's whole file; `mine` = the local commit."""
        # While rebasing, "ours" is the branch being rebased onto (the remote).
        flag = "--theirs" if side == "mine" else "--ours"
        for path in paths:
            try:
                self.repo.run("checkout", flag, "--", path)
                self.repo.run("add", "--", path)
            except RepositoryError:
                # One side deleted the file.
                self.repo.run("rm", "--quiet", "--cached", "--ignore-unmatch", "--", path)
                target = self.repo.root / path
                if target.exists():
                    target.unlink()

    def cont(self, env: dict[str, str], signing: list[str]) -> list[str]:
        """Continue a rebase; return the next conflicted paths or []."""
        try:
            self.repo.run(
                *driver_options(),
                *signing,
                "-c",
                "core.editor=true",
                "rebase",
                "--continue",
                env=env,
            )
        except RepositoryError:
            paths = self.conflicted()
            if not paths:
                raise
            return paths
        return []

    def reset(self, commit: str) -> None:
        """Put the branch back where it was (working tree clean)."""
        self.repo.run("reset", "--quiet", "--keep", commit)

    def fast_forward(self, onto: str) -> None:
        """Move the branch forward to `onto`."""
        self.repo.run("merge", "--quiet", "--ff-only", onto)

    def push(self, branch: str, tags: list[str]) -> None:
        """Push the branch and the tags only this clone has (a tag the remote has stays)."""
        self.repo.run("push", "--quiet", self.name, f"HEAD:refs/heads/{branch}")
        if tags:
            self.repo.run("push", "--quiet", self.name, *[f"refs/tags/{t}" for t in tags])

    def dangling_head(self, branch: str) -> bool | None:
        """Return whether the remote's HEAD names no branch while `branch` exists there.

        None: unknown (git could not tell).
        """
        try:
            out = str(self.repo.run("ls-remote", "--symref", self.name, "HEAD", branch))
        except RepositoryError:
            return None
        heads = [line.split("\t", 1)[-1] for line in out.splitlines()]
        return "HEAD" not in heads and f"refs/heads/{branch}" in heads

    def blob(self, rev: str, path: str) -> str | None:
        """Return a file's text at a revision, or None."""
        data = self.repo.read_blob(rev, path)
        return data.decode("utf-8", "replace") if data is not None else None

    def merge_base(self, a: str, b: str) -> str | None:
        """Return the merge base of two commits, or None."""
        try:
            return str(self.repo.run("merge-base", a, b)) or None
        except RepositoryError:
            return None

    def tags_at(self, commits: list[str]) -> dict[str, list[str]]:
        """Return commit -> names of annotated tags pointing at it."""
        wanted = set(commits)
        out = str(
            self.repo.run("for-each-ref", "--format=%(*objectname) %(refname:short)", "refs/tags")
        )
        found: dict[str, list[str]] = {}
        for line in out.splitlines():
            sha, _, name = line.partition(" ")
            if sha in wanted:
                found.setdefault(sha, []).append(name)
        return found

    def move_tag(self, name: str, commit: str) -> None:
        """Re-create an annotated tag at another commit, keeping tagger, date and message."""
        fmt = "%(taggername)\x1f%(taggeremail)\x1f%(taggerdate:iso-strict)\x1f%(contents)"
        out = str(self.repo.run("for-each-ref", f"--format={fmt}", f"refs/tags/{name}"))
        who, mail, when, message = (out.split("\x1f") + ["", "", "", ""])[:4]
        env = {
            "GIT_COMMITTER_NAME": who,
            "GIT_COMMITTER_EMAIL": mail.strip("<>"),
            "GIT_COMMITTER_DATE": when,
        }
        self.repo.run(
            "tag", "--force", "--annotate", "-m", message, "--end-of-options", name, commit, env=env
        )


def fix_bare_head(repo: GitRepo, path: Path, branch: str) -> bool:
    """Point a local bare repository's HEAD at `branch` when it names a missing branch.

    `git init --bare` points HEAD at `master` unless configured; a remote that only has `main`
    then clones with an empty work tree. Returns whether HEAD was changed.
    """

    def git(*args: str) -> str:
        return str(repo.run(f"--git-dir={path}", *args))

    try:
        if git("rev-parse", "--is-bare-repository") != "true":
            return False
        head = git("symbolic-ref", "--quiet", "HEAD")
    except RepositoryError:
        return False
    try:
        git("rev-parse", "--verify", "--quiet", f"{head}^{{commit}}")
        return False
    except RepositoryError:
        pass
    if head == f"refs/heads/{branch}":
        return False
    git("symbolic-ref", "HEAD", f"refs/heads/{branch}")
    return True
