"""Derived facts in .coop/facts.sqlite: one piece per agreement and per meeting, and the problems.

- `pieces`: unit ("agreement:ID", "minutes:ID") -> the key of everything the piece was derived
  from (blob ids, version tags, program) and the piece itself. A unit whose key is unchanged is
  not derived again.
- `derived`: named values, e.g. the problems of the last state with the blob ids they belong to.

Disposable like .coop/state.sqlite: a damaged file is rebuilt, a read-only one only read.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable

from coopkit.index.state import StateDB


class FactsDB(StateDB):
    """Stored pieces and derived values; use as a context manager."""

    FILE = "facts.sqlite"
    SCHEMA = "coop-facts-2"
    TABLES = {  # noqa: RUF012 - a class constant
        "pieces": "unit TEXT PRIMARY KEY, key TEXT, note TEXT, value BLOB",
        "derived": "name TEXT PRIMARY KEY, value BLOB",
    }

    def __enter__(self) -> FactsDB:
        return self

    def keys(self) -> dict[str, tuple[str, str]]:
        """Return unit -> (key, note) of every stored piece (the note names a broken file)."""
        if self._db is None:
            return {}
        try:
            return {
                unit: (key, note)
                for unit, key, note in self._db.execute("SELECT unit, key, note FROM pieces")
            }
        except sqlite3.OperationalError:
            return {}  # busy for longer than the timeout: do without
        except sqlite3.DatabaseError:
            self._damaged()
            return {}

    def values(self, prefix: str) -> list[tuple[str, str, bytes]]:
        """Return (unit, key, piece) of every stored piece whose unit starts with `prefix`."""
        if self._db is None:
            return []
        try:
            return [
                (unit, key, bytes(value))
                for unit, key, value in self._db.execute(
                    "SELECT unit, key, value FROM pieces WHERE unit >= ? AND unit < ?",
                    (prefix, prefix + "\uffff"),
                )
            ]
        except sqlite3.OperationalError:
            return []  # busy for longer than the timeout: do without
        except sqlite3.DatabaseError:
            self._damaged()
            return []

    def put_pieces(self, rows: Iterable[tuple[str, str, str, bytes]], gone: Iterable[str]) -> None:
        """Store new pieces and drop those of units that no longer exist."""
        if self._db is None or not self.writable:
            return
        with contextlib.suppress(sqlite3.Error):
            self._db.executemany("DELETE FROM pieces WHERE unit = ?", [(u,) for u in gone])
            self._db.executemany("INSERT OR REPLACE INTO pieces VALUES (?, ?, ?, ?)", rows)
            self._db.commit()

    def get(self, name: str) -> bytes | None:
        """Return a stored value, or None."""
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM derived WHERE name = ?", (name,)).fetchone()
        except sqlite3.OperationalError:
            return None  # busy for longer than the timeout: do without
        except sqlite3.DatabaseError:
            self._damaged()
            return None
        return None if row is None else bytes(row[0])

    def put(self, name: str, value: bytes) -> None:
        """Store a value under a name."""
        if self._db is None or not self.writable:
            return
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("INSERT OR REPLACE INTO derived VALUES (?, ?)", (name, value))
            self._db.commit()
