"""The one stamp every store in `.coop/` is keyed by: the program and what it stands on.

A stored parse result, derived fact, remembered answer, reference key or search row was built by
this program's code with these versions of Python, pydantic, pydantic-core, ruamel.yaml (and its
C loader), babel, python-dateutil and SQLite. Any of them may build a different object from the
same file: a new pydantic coerces or fills a field differently, a new ruamel.yaml reads a scalar
differently, Python's marshal and pickle formats change between versions, babel formats a date
in the answers, dateutil computes the due occurrences kept as facts, and SQLite's FTS5 tokenizer
splits the words of the search index. So the stamp names them all, and a store whose stamp
differs is built again from the files, never read.

Left out, because no stored value depends on them: icalendar (calendars are written as files,
never remembered), docx/docxtpl/jinja2 (documents are rendered anew each time), typer (it parses
the command line; its options are part of each answer's key), SQLAlchemy/SQLModel (they only
carry the search rows; their text is coop's).

The stamp is on the start path of every remembered answer, so it imports nothing new:
`importlib.metadata` alone costs about 25 ms; reading the version from the name of the
distribution's `.dist-info` folder next to the package Python would import costs a listing of
one folder per `sys.path` entry (well under 1 ms in all). Only where that name is not found
(another installer's layout) is `importlib.metadata` asked.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from pathlib import Path

import coopkit

DISTRIBUTIONS = {
    "pydantic": "pydantic",
    "pydantic-core": "pydantic_core",
    "ruamel.yaml": "ruamel",
    "ruamel.yaml.clib": "_ruamel_yaml",
    "babel": "babel",
    "python-dateutil": "dateutil",
}
"""Distributions whose version is part of the stamp, with the name Python imports them by."""

_STAMP: str | None = None


def program_stamp() -> str:
    """Return the stamp of this program and its versions (computed once per process)."""
    global _STAMP
    if _STAMP is None:
        digest = hashlib.sha256()
        for name, version in sorted(versions().items()):
            digest.update(f"{name}={version}\n".encode())
        digest.update(code_fingerprint().encode())
        _STAMP = digest.hexdigest()
    return _STAMP


def versions() -> dict[str, str]:
    """Return every version the stamp names, by name (coopkit, python, sqlite, distributions)."""
    found = {
        "coopkit": coopkit.__version__,
        "python": f"{sys.implementation.name} {'.'.join(map(str, sys.version_info))}",
        "sqlite": sqlite3.sqlite_version,
    }
    folders = [_Folder(entry or ".") for entry in sys.path]
    for distribution, module in DISTRIBUTIONS.items():
        found[distribution] = _version(distribution, module, folders)
    return found


def code_fingerprint() -> str:
    """Identify coopkit's own code by its files' paths, sizes and times (no file is read)."""
    package = Path(coopkit.__file__).resolve().parent
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(package):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".py"):
                info = os.stat(os.path.join(dirpath, name))  # noqa: PTH116, PTH118
                digest.update(f"{dirpath}/{name}:{info.st_size}:{info.st_mtime_ns}".encode())
    return digest.hexdigest()


class _Folder:
    """One `sys.path` entry, listed when first asked: the names it imports, its .dist-info."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._modules: set[str] | None = None
        self.dists: dict[str, str] = {}
        """Distribution name as in its folder's name (lower case) -> version."""

    @property
    def modules(self) -> set[str]:
        if self._modules is None:
            try:
                names = os.listdir(self.path)  # noqa: PTH208 (names only, one call)
            except OSError:
                names = []
            self._modules = {name.split(".", 1)[0] for name in names}
            for name in names:
                if name.endswith(".dist-info") and "-" in name:
                    dist, version = name[: -len(".dist-info")].rsplit("-", 1)
                    self.dists[dist.lower()] = version
        return self._modules


def _version(distribution: str, module: str, folders: list[_Folder]) -> str:
    """Return the installed version of a distribution, as the one Python would import."""
    for folder in folders:
        if module in folder.modules:
            found = folder.dists.get(distribution.replace("-", "_").replace(".", "_").lower())
            return found if found is not None else _metadata_version(distribution)
    return _metadata_version(distribution)


def _metadata_version(distribution: str) -> str:
    """Return the version `importlib.metadata` finds (slow to import), or "-" when none."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "-"
