"""The program stamp: every version it names keys every store in .coop/."""

from __future__ import annotations

import sqlite3
import sys
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

import pytest

import coopkit
from conftest import Cli, MakeRepo
from coopkit.index import stamp
from coopkit.index.cache import ParseCacheDB
from coopkit.store.files import _registry, blob_digest, parse_file
from test_parse_cache import Files

REAL_NAME = "Caritasverband Beispiel e. V."
POISON = "Vergifteter Eintrag"


def test_the_stamp_names_the_versions_python_imports() -> None:
    found = stamp.versions()
    assert found.pop("coopkit") == coopkit.__version__
    python = f"{sys.implementation.name} {'.'.join(map(str, sys.version_info))}"
    assert found.pop("python") == python
    assert found.pop("sqlite") == sqlite3.sqlite_version
    assert found == {name: metadata.version(name) for name in stamp.DISTRIBUTIONS}


def test_a_version_is_read_where_python_would_import_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    babel = metadata.version("babel")
    (tmp_path / "pydantic").mkdir()  # a folder without __init__: the real package still wins
    (tmp_path / "pydantic-99.1.dist-info").mkdir()
    (tmp_path / "babel-99.2.dist-info").mkdir()  # no babel beside it: not babel's folder
    monkeypatch.syspath_prepend(str(tmp_path))
    found = stamp.versions()
    assert found["pydantic"] == "99.1"
    assert found["babel"] == babel


def test_without_a_dist_info_folder_the_version_comes_from_the_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "babel").mkdir()  # e.g. a folder of that name in the current directory
    monkeypatch.syspath_prepend(str(tmp_path))
    assert stamp.versions()["babel"] == metadata.version("babel")


def _change(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Change one version where the stamp reads it."""
    if name == "coopkit":
        monkeypatch.setattr(coopkit, "__version__", "99.0.0")
    elif name == "python":
        other = SimpleNamespace(
            implementation=sys.implementation, version_info=(3, 99, 0, "final", 0), path=sys.path
        )
        monkeypatch.setattr(stamp, "sys", other)
    elif name == "sqlite":
        monkeypatch.setattr(stamp, "sqlite3", SimpleNamespace(sqlite_version="9.99.0"))
    else:
        site = tmp_path / "site"
        site.mkdir()
        (site / stamp.DISTRIBUTIONS[name]).mkdir()
        folder = name.replace("-", "_").replace(".", "_")
        (site / f"{folder}-99.0.dist-info").mkdir()
        monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(stamp, "_STAMP", None)


def _poison_partner(root: Path) -> None:
    """Store a valid, sealed parse result with another name for partners/caritas.yaml's blob."""
    path = "partners/caritas.yaml"
    real = (root / path).read_bytes()
    poisoned = real.decode().replace(REAL_NAME, POISON).encode()
    located, problems = parse_file(Files({path: poisoned}), path)
    assert located is not None and not problems
    entry, _ = _registry().encode("partner", located.value, problems)
    with ParseCacheDB(root) as db:
        db.put("partner", blob_digest(real), entry)


@pytest.mark.parametrize("name", sorted(stamp.versions()))
def test_a_changed_version_rebuilds_the_parse_cache_from_the_files(
    name: str, make_repo: MakeRepo, cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(stamp, "_STAMP", None)
    root = make_repo()
    assert REAL_NAME in cli("-C", root, "partner", "show", "caritas").stdout
    _poison_partner(root)
    # Under the same stamp the stored row is taken as it is: the test sees a stale object.
    assert POISON in cli("-C", root, "partner", "show", "caritas").stdout
    before = stamp.versions()[name]
    _change(name, monkeypatch, tmp_path)
    assert stamp.versions()[name] != before
    shown = cli("-C", root, "partner", "show", "caritas").stdout
    assert REAL_NAME in shown
    assert POISON not in shown


@pytest.mark.parametrize("name", ["pydantic", "python"])
def test_a_changed_version_rebuilds_the_search_index_and_answers(
    name: str, make_repo: MakeRepo, cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(stamp, "_STAMP", None)
    root = make_repo()
    assert "caritas" in cli("-C", root, "--json", "search", "Caritasverband").stdout
    with sqlite3.connect(root / ".coop" / "index.sqlite") as db:
        changed = db.execute(
            "UPDATE doc_fts SET body = body || ' Giftwort' WHERE path = 'partners/caritas.yaml'"
        ).rowcount
    assert changed == 1
    assert "caritas" in cli("-C", root, "--json", "search", "Giftwort").stdout
    _change(name, monkeypatch, tmp_path)
    assert "caritas" not in cli("-C", root, "--json", "search", "Giftwort").stdout
    assert "caritas" in cli("-C", root, "--json", "search", "Caritasverband").stdout
