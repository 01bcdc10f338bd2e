"""`coop init`: a new, empty coop repository with its first commit."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from coopkit.errors import ConfigError, RepositoryError, T
from coopkit.queries.context import Context
from coopkit.store import layout
from coopkit.store.atomic import write_atomic
from coopkit.store.git import (
    Author,
    GitRepo,
    is_repository,
    outside_config_author,
    parse_author,
)
from coopkit.store.regular import FileRefused, read_regular
from coopkit.store.text import MAX_FILE_BYTES

GITIGNORE = ".coop/\n"
# A temporary file of an atomic write that was interrupted (see store.atomic).
_HALF_WRITTEN = re.compile(r"\..+\.[a-z0-9_]+\.tmp")


def config_text(name: str, locale: str = "de") -> str:
    """Return a commented coop.toml for a new repository, commented in its own language."""
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    if locale == "en":
        return f"""# coopkit repository: settings
name = "{quoted}"
# language of documents and messages: "de" or "en"
locale = "{locale}"
# partner id of the data-protection controller (optional)
# controller = "county"

[signing]
# true: every approval must be signed with a registered SSH key
require_ssh = false

[schedule]
# due dates of open-ended obligations are computed this many years beyond today
horizon_years = 3
"""
    return f"""# coopkit-Repository: Einstellungen
name = "{quoted}"
# Sprache der Dokumente und Meldungen: "de" oder "en"
locale = "{locale}"
# Partner-ID der datenschutzrechtlich verantwortlichen Stelle (optional)
# controller = "kreis"

[signing]
# true: jede Freigabe muss mit einem registrierten SSH-Schlüssel signiert sein
require_ssh = false

[schedule]
# so viele Jahre über heute hinaus werden Termine unbefristeter Pflichten berechnet
horizon_years = 3
"""


@dataclass(frozen=True)
class InitResult:
    """The new repository."""

    root: Path
    commit: str
    paths: list[str]


def _skeleton_names() -> set[str]:
    """Return the relative paths `coop init` writes (a leftover of only these may be resumed)."""
    names = {layout.CONFIG, ".gitignore", *(f"{folder}/.gitkeep" for folder in layout.RECORD_DIRS)}
    templates = layout.default_templates()
    if templates.is_dir():
        names |= {
            f"{layout.TEMPLATES}/{source.name}"
            for source in templates.iterdir()
            if source.is_file() and not source.name.startswith(".")
        }
    return names


def _files_below(target: Path) -> list[str]:
    found = []
    for path in target.rglob("*"):
        rel = path.relative_to(target)
        if rel.parts[0] == ".git" or _HALF_WRITTEN.fullmatch(path.name):
            continue
        if path.is_file() or path.is_symlink():
            found.append(rel.as_posix())
    return sorted(found)


def _author(ctx: Context, target: Path, has_repo: bool) -> Author:
    if ctx.author_text:
        return ctx.author()
    found: Author | None = None
    if has_repo:
        with GitRepo(target) as repo:
            found = repo.config_author()
    else:
        found = outside_config_author()
    if found is None:
        raise ConfigError(
            T(
                'wer legt das Repository an? Bitte --author "Name <mail>" angeben, COOP_AUTHOR '
                "setzen oder git config --global user.name/user.email einrichten; es wurde "
                "nichts angelegt",
                'who creates the repository? Pass --author "Name <mail>", set COOP_AUTHOR or '
                "configure git config --global user.name/user.email; nothing was created",
            )
        )
    # Checked here so that git's own refusal never happens after files were written.
    return parse_author(str(found))


def _check_target(target: Path) -> tuple[bool, bool]:
    """Refuse a target coop init must not touch; return (directory exists, is a git repository)."""
    if target.exists() and not target.is_dir():
        raise RepositoryError(
            T(
                "{p} ist eine Datei, kein Verzeichnis",
                "{p} is a file, not a directory",
                p=str(target),
            )
        )
    if not target.exists():
        parent = next((p for p in target.parents if p.exists()), None)
        if parent is None or not os.access(parent, os.W_OK | os.X_OK):
            raise RepositoryError(
                T(
                    "{p} kann nicht angelegt werden: keine Schreibrechte in {d}",
                    "cannot create {p}: no write permission in {d}",
                    p=str(target),
                    d=str(parent),
                )
            )
        return False, False
    has_repo = is_repository(target)
    files = _files_below(target)
    if has_repo:
        with GitRepo(target) as repo:
            committed = repo.head() is not None
            dirty = repo.status_paths()
        if committed and (target / layout.CONFIG).exists():
            raise RepositoryError(
                T(
                    "{p} ist schon ein coop-Repository (coop.toml vorhanden)",
                    "{p} is already a coop repository (coop.toml exists)",
                    p=str(target),
                )
            )
        leftover = not committed and set(files) <= _skeleton_names()
        if dirty and not leftover:
            raise RepositoryError(
                T(
                    "{p} hat nicht übernommene Änderungen ({f}); bitte erst committen oder "
                    "verwerfen, dann coop init erneut aufrufen",
                    "{p} has uncommitted changes ({f}); commit or discard them first, then run "
                    "coop init again",
                    p=str(target),
                    f=", ".join(dirty[:5]) + (" …" if len(dirty) > 5 else ""),
                )
            )
    elif files and not set(files) <= _skeleton_names():
        raise RepositoryError(
            T(
                "{p} ist nicht leer ({f}); coop init braucht ein leeres Verzeichnis oder ein "
                "git-Repository ohne offene Änderungen",
                "{p} is not empty ({f}); coop init needs an empty directory or a git "
                "repository without uncommitted changes",
                p=str(target),
                f=", ".join(files[:5]) + (" …" if len(files) > 5 else ""),
            )
        )
    if not os.access(target, os.W_OK | os.X_OK):
        raise RepositoryError(
            T("keine Schreibrechte in {p}", "no write permission in {p}", p=str(target))
        )
    return True, has_repo


class _Undo:
    """What init created, so that a failure can take all of it back."""

    def __init__(self) -> None:
        self.dirs: list[Path] = []
        self.files: list[Path] = []
        self.restore: dict[Path, bytes] = {}

    def mkdir(self, path: Path) -> None:
        if not path.exists():
            path.mkdir()
            self.dirs.append(path)

    def write(self, path: Path, data: bytes) -> None:
        if path.exists():
            self.restore.setdefault(path, path.read_bytes())
        else:
            self.files.append(path)
        write_atomic(path, data)

    def rollback(self) -> None:
        for path, data in self.restore.items():
            path.write_bytes(data)
        for path in reversed(self.files):
            path.unlink(missing_ok=True)
        for directory in reversed(self.dirs):
            shutil.rmtree(directory, ignore_errors=True)


def _unstage(target: Path, paths: list[str]) -> None:
    """Take back what a failed commit left staged in an existing repository's index."""
    try:
        with GitRepo(target) as repo:
            if repo.head() is None:
                repo.run("rm", "--cached", "--quiet", "--ignore-unmatch", "-r", "--", *paths)
            else:
                repo.run("reset", "--quiet", "--", *paths)
    except RepositoryError:
        pass


def commit_message(name: str, lang: str) -> str:
    """Return the message of the skeleton commit, in the repository's language."""
    if lang == "en":
        return f'Create coop repository "{name}"'
    return f"coop-Repository „{name}“ angelegt"


def init(ctx: Context, target: Path, name: str | None = None) -> InitResult:
    """Create coop.toml, the record folders, default templates and .gitignore in one commit.

    Identity and target are checked before anything is written; on any failure everything
    created is removed again (also a new `.git`), so the command can simply be run again. A
    leftover of an interrupted init (only files init writes, nothing committed) is completed.
    """
    target = target.resolve()
    exists, has_repo = _check_target(target)
    author = _author(ctx, target, has_repo)
    title = name or target.name
    undo = _Undo()
    written: list[str] = []
    try:
        if not exists:
            missing = [p for p in (target, *target.parents) if not p.exists()]
            for directory in reversed(missing):
                undo.mkdir(directory)
        if not has_repo:
            undo.dirs.append(target / ".git")
            GitRepo.init(target)
        written += [layout.CONFIG, ".gitignore"]
        undo.write(target / layout.CONFIG, config_text(title, ctx.lang).encode())
        ignore = target / ".gitignore"
        try:
            existing = read_regular(ignore, MAX_FILE_BYTES).decode("utf-8", errors="replace")
        except FileNotFoundError:
            existing = ""
        except FileRefused as err:
            raise RepositoryError(T(".gitignore: {e}", ".gitignore: {e}", e=err.reason)) from err
        if ".coop/" not in existing.split():
            separator = "\n" if existing and not existing.endswith("\n") else ""
            undo.write(ignore, (existing + separator + GITIGNORE).encode())
        for folder in layout.RECORD_DIRS:
            undo.mkdir(target / folder)
            keep = target / folder / ".gitkeep"
            if not keep.exists():
                undo.write(keep, b"")
            written.append(f"{folder}/.gitkeep")
        templates = layout.default_templates()
        if templates.is_dir():
            undo.mkdir(target / layout.TEMPLATES)
            for source in sorted(templates.iterdir()):
                if source.is_file() and not source.name.startswith("."):
                    dest = target / layout.TEMPLATES / source.name
                    undo.write(dest, source.read_bytes())
                    written.append(f"{layout.TEMPLATES}/{source.name}")
        with GitRepo(target) as repo:
            commit = repo.commit_paths(written, commit_message(title, ctx.lang), author)
    except BaseException:
        undo.rollback()
        if has_repo:
            _unstage(target, written)
        raise
    return InitResult(target, commit, written)
