"""A parse cache in .coop/index.sqlite keyed by record kind and git blob id.

The standard library's sqlite3 serves this hot path so that every command stays quick; it is
derived data: delete `.coop/` and it is rebuilt on the next command.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from coopkit.index.place import remove_store, still_own, store_path
from coopkit.index.seal import TAG, Seal
from coopkit.index.stamp import program_stamp

INDEX_FILE = "index.sqlite"
_PER_QUERY = 500
"""Blob ids looked up per query (SQLite allows at least 999 parameters)."""
_PER_WRITE = 1000
"""Parse results written per transaction, so a first load holds few of them at once."""


def _schema_stamp() -> str:
    """Identify what built the entries: the program stamp (code and versions) and the layout."""
    # "sealed": entries carry a tag (see `index.seal`); entries stored before are dropped.
    return f"sealed {program_stamp()}"


class ParseCacheDB:
    """Stored parse results; any database trouble turns the cache off instead of failing."""

    def __init__(self, root: Path) -> None:
        self._db: sqlite3.Connection | None = None
        self._pending: list[tuple[str, str, bytes]] = []
        self._root = root
        self._seal: Seal | None = None
        for attempt in range(2):
            # Never through a link: the index is coop's own file, not one a clone brought along.
            target = store_path(root, INDEX_FILE)
            if target is None:
                return
            try:
                self._db = self._open(target)
                if not still_own(root, INDEX_FILE):
                    self.close()
                return
            except sqlite3.DatabaseError as err:
                corrupt = not isinstance(err, sqlite3.OperationalError) or "malformed" in str(err)
                if attempt or not corrupt:
                    return
                # Derived data: a damaged file is thrown away and rebuilt from the records.
                remove_store(root, INDEX_FILE)
            except OSError:
                return

    @staticmethod
    def _open(target: Path) -> sqlite3.Connection:
        db = sqlite3.connect(target, timeout=5)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            # Entries of the JSON layout before `parsed`: never read again.
            db.execute("DROP TABLE IF EXISTS parse_cache")
            db.execute(
                "CREATE TABLE IF NOT EXISTS parsed (kind TEXT, digest TEXT, entry BLOB, "
                "PRIMARY KEY (digest, kind))"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS notes (kind TEXT, key TEXT, value TEXT, "
                "PRIMARY KEY (kind, key))"
            )
            stamp = _schema_stamp()
            row = db.execute("SELECT value FROM meta WHERE key = 'parser'").fetchone()
            if row is None or row[0] != stamp:
                db.execute("DELETE FROM parsed")
                db.execute("DELETE FROM notes")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('parser', ?)", (stamp,))
                db.commit()
        except BaseException:
            db.close()
            raise
        return db

    @property
    def seal(self) -> Seal:
        """Return the checksum every entry is stored and read with (see `index.seal`)."""
        if self._seal is None:
            self._seal = Seal(self._root)
        return self._seal

    def __enter__(self) -> ParseCacheDB:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def get(self, kind: str, digest: str) -> bytes | None:
        """Return a stored parse result, or None."""
        return self.get_many([(kind, digest)]).get((kind, digest))

    def get_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], bytes]:
        """Return the stored parse results among `keys` (kind, blob id), a few queries in all."""
        found: dict[tuple[str, str], bytes] = {}
        if self._db is None or not keys:
            return found
        wanted = set(keys)
        digests = sorted({digest for _, digest in wanted})
        try:
            for start in range(0, len(digests), _PER_QUERY):
                chunk = digests[start : start + _PER_QUERY]
                rows = self._db.execute(
                    "SELECT kind, digest, entry FROM parsed WHERE digest IN "
                    f"({', '.join('?' * len(chunk))})",
                    chunk,
                )
                for kind, digest, entry in rows:
                    if (kind, digest) in wanted and isinstance(entry, bytes):
                        value = self.seal.open(entry, "parsed", kind, digest)
                        if value is not None:
                            found[(kind, digest)] = value
        except sqlite3.Error:
            return found
        return found

    def put(self, kind: str, digest: str, entry: bytes) -> None:
        """Queue a parse result; written in a few transactions, the last on close."""
        self._pending.append((kind, digest, self.seal.close(entry, "parsed", kind, digest)))
        if len(self._pending) >= _PER_WRITE:
            self._flush()

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if self._db is None or not pending:
            return
        with contextlib.suppress(sqlite3.Error):
            self._db.executemany("INSERT OR REPLACE INTO parsed VALUES (?, ?, ?)", pending)
            self._db.commit()

    def get_note(self, kind: str, key: str) -> str | None:
        """Return a remembered fact derived from history (e.g. the approving commit), or None."""
        if self._db is None:
            return None
        try:
            row = self._db.execute(
                "SELECT value FROM notes WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
        except sqlite3.Error:
            return None
        if row is None or not isinstance(row[0], str) or len(row[0]) < 2 * TAG:
            return None
        try:
            tag, value = bytes.fromhex(row[0][: 2 * TAG]), row[0][2 * TAG :]
        except ValueError:
            return None
        return value if self.seal.check(tag, "notes", kind, key, value) else None

    def put_note(self, kind: str, key: str, value: str) -> None:
        """Remember a fact derived from history."""
        if self._db is None:
            return
        with contextlib.suppress(sqlite3.Error):
            tag = self.seal.tag("notes", kind, key, value).hex()
            self._db.execute(
                "INSERT OR REPLACE INTO notes VALUES (?, ?, ?)", (kind, key, tag + value)
            )
            self._db.commit()

    def close(self) -> None:
        """Write queued results and close the database."""
        if self._db is None:
            return
        self._flush()
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        self._db = None
        self._pending = []
