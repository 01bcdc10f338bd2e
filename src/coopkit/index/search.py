"""The search read model: one row per record file, full-text searchable (SQLModel + SQLite FTS5).

It lives in `.coop/index.sqlite` beside the parse cache, is refreshed incrementally from the files
(a file is re-indexed only when its git blob id changed), is built again under another program
stamp (`index.stamp`) and can be deleted at any time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlmodel import Field, Session, SQLModel, create_engine, text

from coopkit.errors import RepositoryError, T
from coopkit.index.place import remove_store, still_own, store_path
from coopkit.index.stamp import program_stamp
from coopkit.model.names import fold

INDEX_FILE = "index.sqlite"
SCHEMA_VERSION = 2
"""Bumped when what is indexed changes (2: folded text); an older index is rebuilt."""
_WORD = re.compile(r"\w[\w.\-/@#]*", re.UNICODE)


class IndexedDoc(SQLModel, table=True):
    """A record file as the search sees it."""

    __tablename__ = "indexed_doc"

    path: str = Field(primary_key=True)
    digest: str
    kind: str = Field(index=True)
    record_id: str
    title: str
    day: str | None = None
    """ISO date of the record where it has one (meeting, approval, fulfilment)."""


@dataclass(frozen=True)
class SearchDoc:
    """What to index for one file."""

    path: str
    digest: str
    kind: str
    record_id: str
    title: str
    body: str
    day: str | None = None


@dataclass(frozen=True)
class Hit:
    """One search result."""

    path: str
    kind: str
    record_id: str
    title: str
    day: str | None


@dataclass(frozen=True)
class RefreshStats:
    """How much an incremental refresh had to do."""

    added: int
    changed: int
    removed: int
    unchanged: int


_FTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS doc_fts USING fts5("
    "path UNINDEXED, title, body, tokenize = 'unicode61 remove_diacritics 2')"
)


def _engine(root: Path) -> Engine:
    """Open the search index; a corrupt index file is removed and built again."""
    # Only coop's own regular file in the real .coop/: a link there is removed, not followed.
    target = store_path(root, INDEX_FILE)
    if target is None:
        raise RepositoryError(
            T(
                "Suchindex {p}: kein eigener Ordner .coop/ oder keine gewöhnliche Datei; "
                ".coop/ darf gelöscht werden",
                "search index {p}: .coop/ is not coop's own folder or the index not a regular "
                "file; .coop/ may be deleted",
                p=str(root / ".coop" / INDEX_FILE),
            )
        )
    for attempt in range(2):
        engine = create_engine(f"sqlite:///{target}")
        try:
            with engine.begin() as connection:
                version = connection.exec_driver_sql("PRAGMA user_version").scalar()
                connection.exec_driver_sql(
                    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)"
                )
                built = connection.exec_driver_sql(
                    "SELECT value FROM meta WHERE key = 'search'"
                ).scalar()
                # Rows built by another program (code, parser, SQLite's tokenizer): built again.
                if version != SCHEMA_VERSION or built != program_stamp():
                    connection.exec_driver_sql("DROP TABLE IF EXISTS doc_fts")
                    connection.exec_driver_sql("DROP TABLE IF EXISTS indexed_doc")
                    connection.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    connection.exec_driver_sql(
                        "INSERT OR REPLACE INTO meta VALUES ('search', ?)", (program_stamp(),)
                    )
            SQLModel.metadata.create_all(engine, tables=[IndexedDoc.__table__])  # type: ignore[attr-defined]
            with engine.begin() as connection:
                connection.exec_driver_sql(_FTS)
            if not still_own(root, INDEX_FILE):
                engine.dispose()
                raise RepositoryError(
                    T(
                        "Suchindex {p} wurde beim Öffnen ersetzt; bitte erneut versuchen",
                        "search index {p} was replaced while opened; please try again",
                        p=str(target),
                    )
                )
            return engine
        except DatabaseError as err:
            engine.dispose()
            corrupt = not isinstance(err, OperationalError) or "malformed" in str(err.orig)
            if attempt or not corrupt:
                raise _unusable(err) from err
            # Derived data: a damaged file is thrown away and rebuilt from the records.
            remove_store(root, INDEX_FILE)
            if store_path(root, INDEX_FILE) is None:
                raise _unusable(err) from err
    raise AssertionError("unreachable")


def _unusable(err: DatabaseError) -> RepositoryError:
    return RepositoryError(
        T(
            "Suchindex nicht nutzbar: {e}; .coop/ darf gelöscht werden",
            "search index unusable: {e}; .coop/ may be deleted",
            e=str(err.orig),
        )
    )


def refresh(root: Path, docs: Iterable[SearchDoc]) -> RefreshStats:
    """Bring the index in line with `docs`: re-index changed files, drop vanished ones."""
    by_path = {doc.path: doc for doc in docs}
    return refresh_changes(
        root,
        {path: doc.digest for path, doc in by_path.items()},
        lambda paths: [by_path[p] for p in paths],
    )


def refresh_changes(
    root: Path, wanted: Mapping[str, str], build: Callable[[list[str]], list[SearchDoc]]
) -> RefreshStats:
    """Bring the index in line with the files `wanted` (path -> blob id).

    Only files whose blob id the index does not have yet are described, by `build` (which may
    leave out files that do not load: they are not indexed).
    """
    engine = _engine(root)
    try:
        with Session(engine) as session:
            known = dict(session.exec(text("SELECT path, digest FROM indexed_doc")).all())  # type: ignore[call-overload]
            stale = sorted(path for path, digest in wanted.items() if known.get(path) != digest)
            docs = {doc.path: doc for doc in build(stale)}
            unchanged = len(wanted) - len(stale)
            removed = [p for p in known if p not in wanted or (p in stale and p not in docs)]
            gone = [{"p": path} for path in [*removed, *(p for p in docs if p in known)]]
            changed = sum(1 for p in docs if p in known and p not in removed)
            added = len(docs) - changed
            connection = session.connection()
            if gone:
                connection.execute(text("DELETE FROM indexed_doc WHERE path = :p"), gone)
                connection.execute(text("DELETE FROM doc_fts WHERE path = :p"), gone)
            if docs:
                connection.execute(
                    text(
                        "INSERT INTO indexed_doc (path, digest, kind, record_id, title, day) "
                        "VALUES (:p, :d, :k, :r, :t, :y)"
                    ),
                    [
                        {
                            "p": d.path,
                            "d": d.digest,
                            "k": d.kind,
                            "r": d.record_id,
                            "t": d.title,
                            "y": d.day,
                        }
                        for d in docs.values()
                    ],
                )
                connection.execute(
                    text("INSERT INTO doc_fts (path, title, body) VALUES (:p, :t, :b)"),
                    [{"p": d.path, "t": fold(d.title), "b": fold(d.body)} for d in docs.values()],
                )
            session.commit()
    except DatabaseError as err:
        raise _unusable(err) from err
    finally:
        engine.dispose()
    return RefreshStats(added, changed, len(removed), unchanged)


def query_words(user_text: str) -> list[str]:
    """Return the searched words, folded as the index is (`Straße` and `strasse` alike)."""
    return _WORD.findall(fold(user_text))


def fts_query(user_text: str) -> str:
    """Turn what a person typed into a safe FTS5 query: every word a quoted prefix, all required.

    `Müller & Söhne`, `KV-2026` or a stray `"` are words, never query syntax; a word also finds
    its longer forms (`türkisch` finds `türkische`). Text and query are folded alike, so
    `sprachfoerderung`, `Sprachförderung` and `sprachforderung` find the same records.
    """
    return " ".join('"' + word.replace('"', '""') + '"*' for word in query_words(user_text))


def search(root: Path, user_text: str, kind: str | None = None, limit: int = 20) -> list[Hit]:
    """Return the best-matching records for `user_text`, best first."""
    query = fts_query(user_text)
    if not query:
        return []
    engine = _engine(root)
    sql = (
        "SELECT d.path, d.kind, d.record_id, d.title, d.day "
        "FROM doc_fts JOIN indexed_doc AS d ON d.path = doc_fts.path "
        "WHERE doc_fts MATCH :q "
        + ("AND d.kind = :k " if kind else "")
        + "ORDER BY bm25(doc_fts), d.path LIMIT :n"
    )
    params: dict[str, object] = {"q": query, "n": limit}
    if kind:
        params["k"] = kind
    try:
        with Session(engine) as session:
            rows = session.exec(text(sql).bindparams(**params)).all()  # type: ignore[call-overload]
    except DatabaseError as err:
        raise RepositoryError(
            T("Suche fehlgeschlagen: {e}", "search failed: {e}", e=str(err.orig))
        ) from err
    finally:
        engine.dispose()
    return [Hit(r[0], r[1], r[2], r[3], r[4]) for r in rows]
