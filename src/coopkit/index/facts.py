"""Derived facts in .coop/facts.sqlite: one piece per agreement and per meeting, and their base.

- `pieces`: unit ("agreement:ID", "minutes:ID") -> the key of everything the piece was derived
  from (blob ids, version tags, program), a note naming its file where that failed to load, the
  unit's files with their blob ids, the problems only its history shows (marshalled (path,
  key) pairs; empty for none), and the piece itself. A unit whose key is unchanged is not
  derived again.
- `derived`: `base`, the tree the pieces stand for (HEAD commit plus the paths that differ,
  the tags, the light records, the problems per file and those of the key registry), and
  `token`, which every update that writes changes. The pieces and the base are written in one
  transaction, and only if no other process wrote in between (the token is the same as when
  it read the base).

Each piece row and the base carry a tag (see `index.seal`): a row coop did not write here
has no key that matches and no files, a base that does not verify stands for no tree, and a
damaged piece found while reading drops the base, so that the next update keys every unit again.

Disposable like .coop/state.sqlite: a damaged file is rebuilt, a read-only one only read.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable
from typing import Any

from coopkit.index.state import StateDB, immediate

PieceRow = tuple[str, str, str, bytes, bytes, bytes]
"""(unit, key, note, files, problems, piece) as stored."""

_ROW = "unit, key, note, files, problems, value, seal"
"""A stored piece row with its tag, as every read selects it (the tag covers all of it)."""

_CHUNK = 500
"""Units asked for per statement (SQLite limits the number of parameters)."""


class FactsDB(StateDB):
    """Stored pieces and their base; use as a context manager."""

    FILE = "facts.sqlite"
    SCHEMA = "coop-facts-5"
    TABLES = {  # noqa: RUF012 - a class constant
        "pieces": (
            "unit TEXT PRIMARY KEY, key TEXT, note TEXT, files BLOB, problems BLOB, value BLOB,"
            " seal BLOB"
        ),
        "derived": "name TEXT PRIMARY KEY, value BLOB",
    }

    def __enter__(self) -> FactsDB:
        return self

    def base(self) -> tuple[str | None, bytes | None]:
        """Return (token, base) as last written; (None, None) when there is none."""
        if self._db is None:
            return None, None
        try:
            rows = dict(
                self._db.execute("SELECT name, value FROM derived WHERE name IN ('token', 'base')")
            )
        except sqlite3.OperationalError:
            return None, None  # busy for longer than the timeout: do without
        except sqlite3.DatabaseError:
            self._damaged()
            return None, None
        token, base = rows.get("token"), rows.get("base")
        if token is None:
            return None, None
        # A base coop did not write here (or none) stands for no tree: every unit is keyed again.
        opened = None if base is None else self.seal.open(bytes(base), "derived", "base")
        return bytes(token).decode(), opened

    def rows(self, units: Iterable[str] | None) -> dict[str, tuple[str, str, bytes]]:
        """Return unit -> (key, note, files) of the stored pieces of `units` (None: of all)."""
        if self._db is None:
            return {}
        query = f"SELECT {_ROW} FROM pieces"
        if units is None:
            asks: list[tuple[str, list[str]]] = [(query, [])]
        else:
            wanted = sorted(units)
            chunks = [wanted[start : start + _CHUNK] for start in range(0, len(wanted), _CHUNK)]
            asks = [(f"{query} WHERE unit IN ({', '.join('?' * len(c))})", c) for c in chunks]
        found: dict[str, tuple[str, str, bytes]] = {}
        try:
            for sql, params in asks:
                for row in self._db.execute(sql, params):
                    unit, key, note, files = row[:4]
                    # A row coop did not write here: no key matches it, its files are damaged.
                    found[unit] = (key, note, bytes(files)) if self._own(row) else ("", "", b"")
        except sqlite3.OperationalError:
            return {}  # busy for longer than the timeout: do without
        except sqlite3.DatabaseError:
            self._damaged()
            return {}
        return found

    def notes(self) -> tuple[dict[str, str], bool]:
        """Return unit -> note of every piece whose file failed to load; whether a row is damaged.

        A row coop did not write here is left out (and counted as damaged).
        """
        if self._db is None:
            return {}, False
        try:
            rows = list(self._db.execute(f"SELECT {_ROW} FROM pieces WHERE note != ''"))  # noqa: S608
        except sqlite3.OperationalError:
            return {}, False
        except sqlite3.DatabaseError:
            self._damaged()
            return {}, False
        own = [row for row in rows if self._own(row)]
        return {row[0]: row[2] for row in own}, len(own) != len(rows)

    def values(self, prefix: str, token: str | None) -> list[tuple[str, bytes]] | None:
        """Return (unit, piece) of the pieces whose unit starts with `prefix`.

        None when the pieces are no longer those of `token` (another update wrote since).
        """
        return self._read(
            token,
            f"SELECT {_ROW} FROM pieces WHERE unit >= ? AND unit < ?",  # noqa: S608
            (prefix, prefix + "\uffff"),
            5,
        )

    def problems(self, token: str | None) -> list[tuple[str, bytes]] | None:
        """Return (unit, problems) of the pieces that have problems of their own.

        None when the pieces are no longer those of `token` (another update wrote since).
        """
        return self._read(
            token,
            f"SELECT {_ROW} FROM pieces WHERE length(problems) > 0",
            (),
            4,  # noqa: S608
        )

    def _read(
        self, token: str | None, query: str, params: tuple[str, ...], column: int
    ) -> list[tuple[str, bytes]] | None:
        """Return (unit, one column) of the rows of a query, read while the token is `token`.

        None when another update wrote since, when a row was not written here (the base is
        forgotten, so every unit is keyed again), or when the store is busy or damaged.
        """
        if self._db is None:
            return [] if token is None else None
        try:
            self._db.execute("BEGIN")
            try:
                if _token(self._db) != token:
                    return None
                rows = list(self._db.execute(query, params))
                if all(self._own(row) for row in rows):
                    return [(row[0], bytes(row[column])) for row in rows]
            finally:
                self._db.rollback()
            self.forget_base()
            return None
        except sqlite3.OperationalError:
            return None  # busy for longer than the timeout: read everything this time
        except sqlite3.DatabaseError:
            self._damaged()
            return None

    def write(
        self, expected: str | None, base: bytes, rows: Iterable[PieceRow], gone: Iterable[str]
    ) -> str | None:
        """Store new pieces, drop gone ones and store the base, in one transaction.

        Only if the stored token is still `expected` (no other update wrote since it was read).
        Returns the new token; None where nothing was written (raced, read-only, or trouble).
        """
        if self._db is None or not self.writable:
            return None
        token = os.urandom(12).hex()
        db = self._db
        try:
            with immediate(db):
                if _token(db) != expected:
                    return None
                db.executemany("DELETE FROM pieces WHERE unit = ?", [(u,) for u in gone])
                db.executemany(
                    "INSERT OR REPLACE INTO pieces VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(*row, self.seal.tag("pieces", *row)) for row in rows],
                )
                db.executemany(
                    "INSERT OR REPLACE INTO derived VALUES (?, ?)",
                    [
                        ("base", self.seal.close(base, "derived", "base")),
                        ("token", token.encode()),
                    ],
                )
        except sqlite3.Error:
            return None
        return token

    def forget_base(self) -> None:
        """Drop the base: the next update keys every unit from the tree (a damaged row seen)."""
        if self._db is None or not self.writable:
            return
        with contextlib.suppress(sqlite3.Error):
            # The token goes with it: an update that read no base expects none.
            self._db.execute("DELETE FROM derived")
            self._db.commit()

    def _own(self, row: tuple[Any, ...]) -> bool:
        """Return whether a stored piece row (as `_ROW` selects it) is one coop wrote here."""
        unit, key, note, files, problems, value, tag = row
        try:
            return self.seal.check(tag, "pieces", unit, key, note, files, problems, value)
        except (TypeError, AttributeError):
            return False  # a number or NULL where text or bytes belong

    def raced(self, expected: str | None) -> bool:
        """Return whether another update wrote since the token `expected` was read."""
        if self._db is None:
            return False
        try:
            return _token(self._db) != expected
        except sqlite3.Error:
            return False


def _token(db: sqlite3.Connection) -> str | None:
    """Return the token of the stored pieces (None: none written yet)."""
    row = db.execute("SELECT value FROM derived WHERE name = 'token'").fetchone()
    return None if row is None else bytes(row[0]).decode()
