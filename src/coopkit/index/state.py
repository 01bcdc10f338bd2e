"""The derived state of a working tree in .coop/state.sqlite: stats, reference graph, answers.

All tables are disposable:

- `files`: path, size, mtime_ns, inode and ctime_ns -> git blob id. A file whose stat is
  unchanged is not read again (as git does it); a file changed within the last two seconds is
  never trusted by its stat alone, since a second write in the same clock tick may keep the mtime.
- `refs`: a record's blob id -> the keys it defines and mentions (see `queries.scope`).
- `graph`: the reference graph of the working tree, inverted: key -> the paths that define or
  mention it, and (one marshalled row `files.graph`) the tree it stands for as "HEAD commit plus
  the paths that differ", so a write updates only the paths whose blob changed since (what git
  says changed between the two commits, and the working tree's own changes) and finds the
  records a change can affect with a few lookups by key. Where the file cannot be written the
  graph is built in memory for the one command.
- `answers`: a state key (every record's blob id, the version tags, the code) plus the question
  -> the stored answer. Any change to any record, tag or the program gives a new key.

Every value carries a tag of its place and content (see `index.seal`): a row coop did not
write here (edited, damaged, another clone's) is treated as absent and built again.

A corrupt, truncated or foreign file is deleted and built again; a read-only one is used for
reading only; any other database trouble turns the store off instead of failing the command.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

from coopkit.index.place import remove_store, still_own, store_path
from coopkit.index.seal import TAG, Seal

STATE_FILE = "state.sqlite"
SCHEMA = "coop-state-8"
RACY_SECONDS = 2.0
KEEP_ANSWERS = 64
"""Answers kept per database: the newest ones, so that switching branches back stays quick."""

StatKey = tuple[int, int, int, int]
"""(size, mtime_ns, inode, ctime_ns) of a file; the ctime catches a restored mtime."""

GRAPH_COLUMNS = "key TEXT, path TEXT, role TEXT"
"""The reference graph: one row per key a path defines (`d`, `b`) or mentions (`m`)."""


class StateDB:
    """Stored file stats and answers; use as a context manager."""

    FILE = STATE_FILE
    SCHEMA = SCHEMA
    TABLES: dict[str, str] = {
        # One row: every file's stat and blob id, marshalled (read whole on every command).
        "files": "key TEXT PRIMARY KEY, value BLOB",
        "answers": "key TEXT PRIMARY KEY, value BLOB, used REAL",
        "refs": "ref TEXT PRIMARY KEY, keys TEXT",
        "graph": GRAPH_COLUMNS,
    }

    def __init__(self, root: Path) -> None:
        self._root = root
        self.path = root / ".coop" / self.FILE
        self._db: sqlite3.Connection | None = None
        self.writable = True
        self._stats: dict[str, tuple[int, int, int, int, str]] | None = None
        self._memory: sqlite3.Connection | None = None
        """The graph's store when the file cannot be written (built again on every use)."""
        self.rebuilt = False
        """Whether an unusable file was found and replaced (for tests and diagnostics)."""
        self._seal: Seal | None = None
        try:
            self._db = self._open()
        except (OSError, sqlite3.Error):
            self._db = None

    def _open(self) -> sqlite3.Connection:
        # Only coop's own regular file in the real .coop/: a link there is removed, not followed.
        if store_path(self._root, self.FILE) is None:
            raise OSError(f"{self.path}: not a file coop can use")
        try:
            db = self._connect()
        except sqlite3.DatabaseError:
            db = self._start_again()
        if not still_own(self._root, self.FILE):
            db.close()
            raise OSError(f"{self.path}: replaced while opened")
        return db

    def _start_again(self) -> sqlite3.Connection:
        """Replace a file that is not a usable database (truncated, overwritten, foreign)."""
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        remove_store(self._root, self.FILE)
        if store_path(self._root, self.FILE) is None:
            raise OSError(f"{self.path}: not a file coop can use")
        self.rebuilt = True
        self.writable = True
        self._stats = None
        return self._connect()

    def _damaged(self) -> None:
        """Rebuild after a read found the file damaged; turn the store off if that fails."""
        try:
            self._db = self._start_again()
        except (OSError, sqlite3.Error):
            self._db = None

    @property
    def seal(self) -> Seal:
        """Return the checksum every row is stored and read with (see `index.seal`)."""
        if self._seal is None:
            self._seal = Seal(self._root)
        return self._seal

    def _connect(self) -> sqlite3.Connection:
        if self.path.exists() and not os.access(self.path, os.W_OK):
            self.writable = False
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None or row[0] != self.SCHEMA:
                raise sqlite3.DatabaseError("foreign state file")
            return db
        db = sqlite3.connect(self.path, timeout=5)
        db.execute("PRAGMA synchronous=NORMAL")
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.OperationalError:
            row = None
        if row is not None and row[0] == self.SCHEMA:
            return db
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        for name, columns in self.TABLES.items():
            if row is not None:
                db.execute(f"DROP TABLE IF EXISTS {name}")
            db.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
        if "graph" in self.TABLES:
            _index_graph(db)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (self.SCHEMA,))
        db.commit()
        return db

    def __enter__(self) -> StateDB:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the database."""
        for db in (self._db, self._memory):
            if db is not None:
                with contextlib.suppress(sqlite3.Error):
                    db.close()
        self._db = None
        self._memory = None

    def stats(self) -> dict[str, tuple[int, int, int, int, str]]:
        """Return path -> (size, mtime_ns, inode, ctime_ns, blob id) as last recorded."""
        if self._stats is not None:
            return self._stats
        self._stats = {}
        if self._db is None:
            return self._stats
        try:
            row = self._db.execute("SELECT value FROM files WHERE key = 'stats'").fetchone()
            value = None if row is None else self.seal.open(bytes(row[0]), "files", "stats")
            if value is not None:
                loaded = marshal.loads(value)
                if not isinstance(loaded, dict):
                    raise ValueError("not a table of files")
                self._stats = loaded
        except (sqlite3.DatabaseError, ValueError, EOFError, TypeError):
            self._damaged()
        return self._stats

    def record_stats(
        self, changed: Iterable[tuple[str, StatKey, str]], removed: Iterable[str]
    ) -> None:
        """Store the stats of files just hashed (unless too fresh to trust); drop removed ones."""
        if self._db is None or not self.writable:
            return
        fresh_after = time.time_ns() - int(RACY_SECONDS * 1e9)
        stats = self.stats()
        dirty = False
        for path, key, blob in changed:
            if max(key[1], key[3]) < fresh_after:
                stats[path] = (*key, blob)
                dirty = True
            elif stats.pop(path, None) is not None:
                dirty = True
        for path in removed:
            dirty = stats.pop(path, None) is not None or dirty
        if not dirty:
            return
        with contextlib.suppress(sqlite3.Error):
            self._db.execute(
                "INSERT OR REPLACE INTO files VALUES ('stats', ?)",
                (self.seal.close(marshal.dumps(stats), "files", "stats"),),
            )
            self._db.commit()

    def folders(self) -> dict[str, tuple[int, int, list[str], list[str]]]:
        """Return folder -> (mtime_ns, ctime_ns, sub-folders, special entries) as last listed."""
        if self._db is None:
            return {}
        try:
            row = self._db.execute("SELECT value FROM files WHERE key = 'folders'").fetchone()
            value = None if row is None else self.seal.open(bytes(row[0]), "files", "folders")
            loaded = marshal.loads(value) if value is not None else {}
        except sqlite3.OperationalError:
            return {}
        except (sqlite3.DatabaseError, ValueError, EOFError, TypeError):
            self._damaged()
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def record_folders(self, folders: dict[str, tuple[int, int, list[str], list[str]]]) -> None:
        """Store the folder listings a scan may trust next time."""
        if self._db is None or not self.writable:
            return
        with contextlib.suppress(sqlite3.Error):
            self._db.execute(
                "INSERT OR REPLACE INTO files VALUES ('folders', ?)",
                (self.seal.close(marshal.dumps(folders), "files", "folders"),),
            )
            self._db.commit()

    def refs(self, prefix: str) -> dict[str, str]:
        """Return `PREFIX…kind:blob` -> the record's keys for every record seen so far."""
        if self._db is None:
            return {}
        try:
            rows = list(
                self._db.execute(
                    "SELECT ref, keys FROM refs WHERE ref >= ? AND ref < ?",
                    (prefix, prefix + "\uffff"),
                )
            )
        except sqlite3.DatabaseError:
            self._damaged()
            return {}
        # A row coop did not write here is left out: its record is parsed again.
        found: dict[str, str] = {}
        for ref, keys in rows:
            if isinstance(keys, str) and len(keys) >= 2 * TAG:
                with contextlib.suppress(ValueError):
                    if self.seal.check(
                        bytes.fromhex(keys[: 2 * TAG]), "refs", ref, keys[2 * TAG :]
                    ):
                        found[ref] = keys[2 * TAG :]
        return found

    def put_refs(self, rows: Iterable[tuple[str, str]], prefix: str) -> None:
        """Store the keys of records parsed for the first time; drop other programs' keys."""
        added = [(ref, self.seal.tag("refs", ref, keys).hex() + keys) for ref, keys in rows]
        if self._db is None or not self.writable or not added:
            return
        with contextlib.suppress(sqlite3.Error):
            self._db.execute(
                "DELETE FROM refs WHERE ref < ? OR ref >= ?", (prefix, prefix + "\uffff")
            )
            self._db.executemany("INSERT OR REPLACE INTO refs VALUES (?, ?)", added)
            self._db.commit()

    def get_answer(self, key: str) -> bytes | None:
        """Return a stored answer, or None."""
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM answers WHERE key = ?", (key,)).fetchone()
        except sqlite3.DatabaseError:
            self._damaged()
            return None
        return None if row is None else self.seal.open(bytes(row[0]), "answers", key)

    def put_answer(self, key: str, value: bytes) -> None:
        """Store an answer; only the newest few are kept."""
        if self._db is None or not self.writable:
            return
        with contextlib.suppress(sqlite3.Error):
            self._db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?)",
                (key, self.seal.close(value, "answers", key), time.time()),
            )
            self._db.execute(
                "DELETE FROM answers WHERE key NOT IN "
                "(SELECT key FROM answers ORDER BY used DESC LIMIT ?)",
                (KEEP_ANSWERS,),
            )
            self._db.commit()

    # ---------------------------------------------------------------- the reference graph

    def _graph_db(self) -> sqlite3.Connection:
        """Return where the graph lives: the file, or memory when the file cannot be written."""
        if self._db is not None and self.writable:
            return self._db
        if self._memory is None:
            self._memory = sqlite3.connect(":memory:")
            self._memory.execute("CREATE TABLE files (key TEXT PRIMARY KEY, value BLOB)")
            _create_graph(self._memory)
        return self._memory

    def graph_state(self, stamp: str) -> tuple[str, dict[str, str | None]] | None:
        """Return the tree the graph was last brought to: (HEAD commit, paths that differ).

        None when there is no graph, or another program built it.
        """
        db = self._graph_db()
        try:
            row = db.execute("SELECT value FROM files WHERE key = 'graph'").fetchone()
            value = None if row is None else self.seal.open(bytes(row[0]), "files", "graph")
            return None if value is None else _graph_tree(value, stamp)
        except (sqlite3.DatabaseError, ValueError, EOFError, TypeError):
            self._damaged()
            return None

    def update_graph(
        self,
        stamp: str,
        tree: tuple[str, dict[str, str | None]],
        rows: dict[str, list[tuple[str, str]]],
        *,
        fresh: bool,
        refs: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Store the (key, role) rows of changed paths and the tree the graph now stands for.

        One transaction, so a write command stores its graph (and the keys it parsed) at once.

        Args:
            stamp: the program that took the keys.
            tree: (HEAD commit, path -> blob id or None of the paths that differ from it); the
                commit is "" where every path is listed.
            rows: path -> its (key, role) rows, for every path added, changed or removed
                (removed: an empty list). Roles: `d` defined by a record, `b` defined by a
                record that failed to load (the id its path names), `m` mentioned.
            fresh: the graph is built from nothing (drop every stored row and every other
                program's keys first).
            refs: keys of records parsed for the first time (as `put_refs`).
        """
        db = self._graph_db()
        try:
            with db:
                if fresh:
                    db.execute("DELETE FROM graph")
                    if db is self._db:
                        db.execute(
                            "DELETE FROM refs WHERE ref < ? OR ref >= ?", (stamp, stamp + "\uffff")
                        )
                else:
                    db.executemany("DELETE FROM graph WHERE path = ?", [(p,) for p in rows])
                db.executemany(
                    "INSERT INTO graph VALUES (?, ?, ?)",
                    [(key, path, role) for path, found in rows.items() for key, role in found],
                )
                db.execute(
                    "INSERT OR REPLACE INTO files VALUES ('graph', ?)",
                    (self.seal.close(marshal.dumps((stamp, *tree)), "files", "graph"),),
                )
                if db is self._db:
                    sealed = [(r, self.seal.tag("refs", r, k).hex() + k) for r, k in refs]
                    db.executemany("INSERT OR REPLACE INTO refs VALUES (?, ?)", sealed)
        except sqlite3.Error:
            self._damaged()

    def advance_graph(self, stamp: str, parent: str, commit: str, paths: Iterable[str]) -> bool:
        """Let a graph that stands for `parent` plus the committed `paths` stand for `commit`.

        Only when the stored tree is `parent`'s, read and written in one transaction: the paths
        leave its list of differences (they are now as `commit` has them), and the next write
        needs no `git diff-tree` to catch up. Returns whether the graph moved.
        """
        if self._db is None or not self.writable:
            return False
        db = self._db
        try:
            with immediate(db):
                row = db.execute("SELECT value FROM files WHERE key = 'graph'").fetchone()
                value = None if row is None else self.seal.open(bytes(row[0]), "files", "graph")
                tree = _graph_tree(value, stamp) if value is not None else None
                if tree is None or tree[0] != parent:
                    return False
                done = set(paths)
                delta = {path: blob for path, blob in tree[1].items() if path not in done}
                db.execute(
                    "INSERT OR REPLACE INTO files VALUES ('graph', ?)",
                    (self.seal.close(marshal.dumps((stamp, commit, delta)), "files", "graph"),),
                )
        except (sqlite3.Error, ValueError, EOFError, TypeError):
            return False
        return True

    def graph_rows(self, keys: Iterable[str]) -> list[tuple[str, str, str]]:
        """Return (key, path, role) of every path that defines or mentions one of `keys`."""
        return self._graph_query("key", keys)

    def graph_rows_of(self, paths: Iterable[str]) -> list[tuple[str, str, str]]:
        """Return (key, path, role) of the given paths."""
        return self._graph_query("path", paths)

    def graph_defined(self, prefix: str) -> list[tuple[str, str]]:
        """Return (key, path) of every key starting with `prefix` defined by a record."""
        try:
            return list(
                self._graph_db().execute(
                    "SELECT key, path FROM graph WHERE role = 'd' AND key >= ? AND key < ?",
                    (prefix, prefix + "\uffff"),
                )
            )
        except sqlite3.DatabaseError:
            self._damaged()
            return []

    def _graph_query(self, column: str, values: Iterable[str]) -> list[tuple[str, str, str]]:
        wanted = sorted(set(values))
        found: list[tuple[str, str, str]] = []
        db = self._graph_db()
        try:
            # SQLite limits the number of parameters of one statement.
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                found += db.execute(
                    f"SELECT key, path, role FROM graph WHERE {column} IN ({marks})",  # noqa: S608
                    chunk,
                )
        except sqlite3.DatabaseError:
            self._damaged()
            return []
        return found


def _create_graph(db: sqlite3.Connection) -> None:
    """Create the reference graph's table and its lookups (in memory, for a read-only file)."""
    db.execute(f"CREATE TABLE IF NOT EXISTS graph ({GRAPH_COLUMNS})")
    _index_graph(db)


def _index_graph(db: sqlite3.Connection) -> None:
    """Create the graph's lookups: by key, by path, and the keys records define."""
    db.execute("CREATE INDEX IF NOT EXISTS graph_key ON graph (key)")
    db.execute("CREATE INDEX IF NOT EXISTS graph_path ON graph (path)")
    # Ids defined by records (the "known: …" lists) without a pass over every mention.
    db.execute("CREATE INDEX IF NOT EXISTS graph_defined ON graph (key) WHERE role = 'd'")


@contextlib.contextmanager
def immediate(db: sqlite3.Connection) -> Iterator[None]:
    """A write transaction that holds the write lock from its start (reads in it stay true).

    Committed when the block ends (also by `return`: with nothing written that changes
    nothing), rolled back when it raises.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.rollback()
        raise
    db.commit()


def _graph_tree(value: bytes, stamp: str) -> tuple[str, dict[str, str | None]] | None:
    """Return the stored graph's tree (HEAD commit, paths that differ); None: another program's.

    Raises:
        ValueError, EOFError, TypeError: the value is no marshalled tree (a damaged file).
    """
    loaded = marshal.loads(value)
    if (
        not isinstance(loaded, tuple)
        or len(loaded) != 3
        or loaded[0] != stamp
        or not isinstance(loaded[1], str)
        or not isinstance(loaded[2], dict)
    ):
        return None
    return loaded[1], loaded[2]
