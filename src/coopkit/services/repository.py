"""Every write to a repository: one transaction under the lock, validated, one commit or nothing.

A write command takes the repository lock first, then reads what it depends on (so two writers
never compute their change from the same old text), edits records through `Transaction.edit`
(comments, key order, BOM and line endings survive), and commits exactly the paths it wrote. Any
problem the change would add, client data in added text, or an uncommitted hand edit of a file it
would overwrite refuses the whole change before a byte is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from coopkit.errors import Problem, ProblemsFound, RepositoryError, Source, T, UsageError
from coopkit.index.cache import ParseCacheDB
from coopkit.model.config import Config
from coopkit.model.privacy import Registered, registered, scan_text
from coopkit.queries.context import Context
from coopkit.queries.load import Loaded, Snapshot, load, snapshot_of
from coopkit.queries.scope import check_change, graph_committed, partners_after
from coopkit.store import layout
from coopkit.store.atomic import remove_file, write_atomic
from coopkit.store.codec import edit_front_matter, edit_yaml_text, validation_problems
from coopkit.store.files import Memo, WorkTree, parse_file
from coopkit.store.git import Author, GitRepo
from coopkit.store.journal import clear_journal, read_journal, write_journal
from coopkit.store.lock import repository_lock
from coopkit.store.regular import FileRefused, read_regular
from coopkit.store.text import MAX_FILE_BYTES, TextFile, decode_text

M = TypeVar("M", bound=BaseModel)


def build_record(model: type[M], values: Mapping[str, Any], path: str) -> M:
    """Validate a new record made from command-line values; problems name the record's path."""
    try:
        return model.model_validate(dict(values))
    except ValidationError as err:
        raise ProblemsFound(validation_problems(model, err, path)) from err


@dataclass(frozen=True)
class CommitResult:
    """What a write command did."""

    commit: str
    paths: list[str]
    message: str


@dataclass
class Transaction:
    """One write: records read under the lock, the new content of each path, then one commit."""

    ctx: Context
    author: Author
    changes: dict[str, bytes | None] = field(default_factory=dict)
    adopted: set[str] = field(default_factory=set)
    """Paths whose uncommitted content is committed as it is (`coop commit`)."""
    _texts: dict[str, TextFile] = field(default_factory=dict)
    _loaded: Loaded | None = None
    _memo: Memo = field(default_factory=dict)

    def loaded(self) -> Loaded:
        """Return the working tree as read under the lock."""
        if self._loaded is None:
            with ParseCacheDB(self.ctx.root) as cache:
                self._loaded = load(WorkTree(self.ctx.root), cache, self._memo)
        return self._loaded

    def snapshot(self) -> Snapshot:
        """Return the working tree as read under the lock, for asking queries."""
        return snapshot_of(self.ctx, self.loaded())

    def config(self) -> Config | None:
        """Return coop.toml's settings without reading every record."""
        if self._loaded is not None:
            located = self._loaded.data.config
            return located.value if located is not None else None
        # Through the parse cache: a known coop.toml is restored without being validated again.
        with ParseCacheDB(self.ctx.root) as cache:
            found, _ = parse_file(WorkTree(self.ctx.root), layout.CONFIG, cache, self._memo)
        return found.value if found is not None else None

    def locale(self) -> str:
        """Return the repository's language (coop.toml) without reading every record."""
        config = self.config()
        return config.locale if config is not None else "de"

    def exists(self, path: str) -> bool:
        """Return whether a file exists at `path` (or is about to be written by this change)."""
        if path in self.changes:
            return self.changes[path] is not None
        return (self.ctx.root / path).is_file()

    def read(self, path: str) -> TextFile:
        """Return the current text of a record file (this change's new text once edited)."""
        if path in self._texts:
            return self._texts[path]
        raw = _current(self.ctx.root / path, path)
        if raw is None:
            raise ProblemsFound(
                [Problem(Source(path), T("Datei fehlt", "file is missing"), "missing-file")]
            )
        textfile, problems = decode_text(path, raw)
        if textfile is None:
            raise ProblemsFound(problems)
        self._texts[path] = textfile
        return textfile

    def edit(self, path: str, change: Callable[[Any], None]) -> str:
        """Apply `change` to a record's YAML (front matter for .md); return the new text."""
        textfile = self.read(path)
        if path.endswith(".md"):
            text = edit_front_matter(textfile.text, path, change)
        else:
            text = edit_yaml_text(textfile.text, path, change)
        return self.replace_text(path, text)

    def replace_text(self, path: str, text: str) -> str:
        """Set the whole new text of an existing record (its BOM and line endings are kept)."""
        textfile = self.read(path)
        self._texts[path] = TextFile(path, text, textfile.bom, textfile.crlf)
        self.changes[path] = textfile.encode(text)
        return text

    def create(self, path: str, text: str) -> None:
        """Write a new record file (UTF-8, LF)."""
        self.changes[path] = text.encode("utf-8")
        self._texts[path] = TextFile(path, text)

    def move(self, old: str, new: str) -> None:
        """Rename a record file (with this change's new text of it, if edited)."""
        data = self.changes[old] if old in self.changes else (self.ctx.root / old).read_bytes()
        if data is None:
            raise UsageError(T("{p} fehlt", "{p} is missing", p=old))
        self.changes[new] = data
        self.changes[old] = None
        if old in self._texts:
            self._texts[new] = self._texts.pop(old)

    def delete(self, path: str) -> None:
        """Remove a record file."""
        self.changes[path] = None
        self._texts.pop(path, None)

    def adopt(self, path: str) -> None:
        """Commit the file at `path` as it is in the working tree (a hand edit)."""
        target = self.ctx.root / path
        self.changes[path] = _current(target, path)
        self.adopted.add(path)

    def commit(
        self,
        message: T | str,
        when: date | datetime | None = None,
        note: str | None = None,
        *,
        ready: Callable[[], None] | None = None,
    ) -> CommitResult:
        """Validate the change, write it and commit exactly its paths; refuse as a whole.

        `note` (a command's `-m`) follows the generated subject after a blank line, so the
        subject always names what changed. `ready` runs once the change has passed every check
        and before anything is written (an e-mail goes out only when its record will be taken);
        when it raises, nothing is written.
        """
        if not self.changes:
            raise UsageError(T("nichts zu übernehmen", "nothing to commit"))
        if not self.adopted and all(
            data == _current(self.ctx.root / path, path) for path, data in self.changes.items()
        ):
            raise UsageError(
                T(
                    "keine Änderung an {p}; nichts wurde geschrieben",
                    "no change to {p}; nothing was written",
                    p=", ".join(sorted(self.changes)),
                )
            )
        text = (
            one_line_subject(message).format(self.locale()) if isinstance(message, T) else message
        )
        return _commit(self, with_note(text, note), when, ready)


def one_line_subject(message: T) -> T:
    """Return a generated subject whose values (titles, reasons) each stay on one line.

    A value with a line break would otherwise end the subject and could add lines of its own,
    such as a forged `Signed-off-by:` trailer; the user's words go in the body (`-m`).
    """
    params = {
        k: " ".join(v.split()) if isinstance(v, str) and _BREAK.search(v) else v
        for k, v in message.params.items()
    }
    return T(message.de, message.en, **params)


_BREAK = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def with_note(message: str, note: str | None) -> str:
    """Return a commit message with the user's own words (`-m`) as its body."""
    body = (note or "").strip()
    return f"{message}\n\n{body}" if body else message


@contextmanager
def writing(ctx: Context) -> Iterator[Transaction]:
    """Hold the repository lock for one write; everything read inside is read under it."""
    author = ctx.author()
    with repository_lock(ctx.root, ctx.lock_wait):
        _settle_killed_write(ctx.root)
        yield Transaction(ctx, author)


def _settle_killed_write(root: Path) -> None:
    """Settle a write killed between its first file and its commit (see `store.journal`).

    Under the lock, so its writer is gone. A path still as the write left it while HEAD has
    the old content gets the old content back (the commit never landed); a path still old
    while HEAD has the new content gets the new one (the commit landed). A path changed in any
    other way since is left as it is.
    """
    pending = read_journal(root)
    if pending is None:
        return
    committed = _head_blobs(root, sorted(pending)) or {}
    for path, (old, new) in pending.items():
        if old == new or layout.safe_relpath(root, path) != path:
            continue
        try:
            current = _current(root / path, path)
        except ProblemsFound:
            continue
        head = committed.get(path)
        if current == new and head == old:
            _apply(root / path, old)
        elif current == old and head == new:
            _apply(root / path, new)
    clear_journal(root)


def commit_changes(
    ctx: Context,
    changes: Mapping[str, bytes | None],
    message: T | str,
    when: date | datetime | None = None,
    note: str | None = None,
) -> CommitResult:
    """Write whole files (path -> new bytes, None deletes) as one commit, under the lock."""
    with writing(ctx) as tx:
        for path, data in changes.items():
            tx.changes[path] = data
        return tx.commit(message, when, note)


def commit_hand_edits(
    ctx: Context, paths: list[str], message: str, when: date | datetime | None = None
) -> CommitResult:
    """Take uncommitted edits of `paths` (made by hand) as one validated commit."""
    with writing(ctx) as tx:
        with GitRepo(ctx.root) as repo:
            dirty = set(repo.status_paths())
        wanted = [layout.safe_relpath(ctx.root, p) for p in paths] or sorted(
            p for p in dirty if layout.kind_of(p) is not None
        )
        unchanged = [p for p in wanted if p not in dirty]
        if unchanged or not wanted:
            raise UsageError(
                T(
                    "keine nicht übernommenen Änderungen an {p}",
                    "no uncommitted changes to {p}",
                    p=", ".join(unchanged) or T("Datensätzen", "records"),
                )
            )
        for path in wanted:
            tx.adopt(path)
        return tx.commit(message, when)


def _key(problem: Problem) -> tuple[str, int, int, str]:
    """Identify a problem by place and kind: its wording may name things the change added."""
    return (problem.source.path, problem.source.line, problem.source.col, problem.code)


def _current(target: Path, path: str) -> bytes | None:
    """Return a record file's bytes now (None when missing), read as only regular files are.

    Raises:
        ProblemsFound: the path is a link, a special file or too large; nothing is written.
    """
    try:
        return read_regular(target, MAX_FILE_BYTES)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except FileRefused as err:
        raise ProblemsFound([Problem(Source(path), err.reason, err.code)]) from err


def _head_blobs(root: Path, paths: list[str]) -> dict[str, bytes | None] | None:
    """Return the committed bytes of `paths` (None: not in HEAD); None in an empty repository."""
    with GitRepo(root) as repo:
        return repo.head_blobs(paths)


def _refuse_hand_edits(tx: Transaction, committed: dict[str, bytes | None] | None) -> None:
    """Refuse to overwrite a file whose working content differs from its last commit."""
    if committed is None:
        return
    dirty = []
    for path in tx.changes:
        if path in tx.adopted:
            continue
        target = tx.ctx.root / path
        current = _current(target, path)
        if current != committed[path]:
            dirty.append(path)
    if dirty:
        first = dirty[0]
        raise UsageError(
            T(
                "{p} hat nicht übernommene Änderungen (von Hand bearbeitet); coop überschreibt "
                "sie nicht",
                "{p} has uncommitted changes (edited by hand); coop does not overwrite them",
                p=", ".join(dirty),
            ),
            hint=T(
                'die Änderung als eigenen Commit übernehmen: coop commit -m "…" {p}\n'
                "oder verwerfen: git checkout -- {p}",
                'commit the edit on its own: coop commit -m "…" {p}\n'
                "or discard it: git checkout -- {p}",
                p=first,
            ),
        )


def _privacy_findings(tx: Transaction, after: Loaded) -> list[Problem]:
    """Return client data in the lines this change adds to records (partner files excepted).

    Addresses of the partners read for the check are allowed at once; only when something is
    left are every partner's registered contacts read (the write check reads few partners).
    """
    findings = _findings(tx, registered(after.data))
    if findings:
        findings = _findings(tx, registered(partners_after(tx.ctx.root, tx.changes)))
    return findings


def _findings(tx: Transaction, allowed: Registered) -> list[Problem]:
    """Return client data not in `allowed` in the lines this change adds to records."""
    findings: list[Problem] = []
    for path, data in tx.changes.items():
        if data is None or path.startswith("partners/") or layout.kind_of(path) in (None, "config"):
            continue
        new, _ = decode_text(path, data)
        if new is None:
            continue
        target = tx.ctx.root / path
        old_lines: set[str] = set()
        current = _current(target, path)
        if current is not None:
            old, _ = decode_text(path, current)
            if old is not None:
                old_lines = set(old.text.split("\n"))
        for problem in scan_text(path, new.text, allowed):
            line = new.text.split("\n")[problem.source.line - 1]
            if line not in old_lines:
                findings.append(problem)
    return findings


def _commit(
    tx: Transaction,
    message: str,
    when: date | datetime | None,
    ready: Callable[[], None] | None = None,
) -> CommitResult:
    ctx = tx.ctx
    for path in tx.changes:
        top = path.split("/")[0]
        if layout.safe_relpath(ctx.root, path) != path or top in (".git", layout.INDEX_DIR):
            raise RepositoryError(T("ungültiger Pfad „{p}“", 'invalid path "{p}"', p=path))
    committed = _head_blobs(ctx.root, sorted(tx.changes))
    _refuse_hand_edits(tx, committed)
    # Only the records the change can affect are checked (`coop check` checks everything).
    base = {p: committed[p] for p in tx.adopted} if tx.adopted and committed is not None else None
    before_loaded, after, _ = check_change(ctx.root, dict(tx.changes), base)
    before = {_key(p) for p in before_loaded.problems}
    new = [p for p in after.problems if _key(p) not in before or p.source.path in tx.changes]
    if new:
        raise _refusal(new, after, set(tx.changes))
    findings = _privacy_findings(tx, after)
    if findings:
        if not ctx.allow_personal_data:
            raise ProblemsFound(
                findings,
                T(
                    "mögliche Klientendaten im neuen Text; nichts wurde geschrieben. Eine bewusste "
                    "Ausnahme erlaubt „coop --allow-personal-data …“ (wird im Commit vermerkt)",
                    "possible client data in the new text; nothing was written. A deliberate "
                    'exception is "coop --allow-personal-data …" (recorded in the commit)',
                ),
            )
        message += "\n\n" + T(
            "Datenschutzprüfung bewusst übergangen (--allow-personal-data): {n} Fund(e) in {p}",
            "privacy check deliberately overridden (--allow-personal-data): {n} finding(s) in {p}",
            n=len(findings),
            p=", ".join(sorted({f.source.path for f in findings})),
        ).format(tx.locale())
    signing_key = _commit_signing_key(tx)
    if ready is not None:
        ready()
    previous: dict[str, bytes | None] = {}
    for path in tx.changes:
        target = ctx.root / path
        previous[path] = _current(target, path)
    # Journalled first: a write killed before its commit is settled by the next one.
    write_journal(
        ctx.root,
        {p: (previous[p], data) for p, data in tx.changes.items() if p not in tx.adopted},
    )
    try:
        for path, data in tx.changes.items():
            if path not in tx.adopted:
                _apply(ctx.root / path, data)
        with GitRepo(ctx.root) as repo:
            commit = repo.commit_paths(
                sorted(tx.changes), message, tx.author, when, signing_key=signing_key
            )
    except BaseException:
        restored = True
        for path, data in previous.items():
            try:
                _apply(ctx.root / path, data)
            except OSError:
                restored = False
        if restored:
            clear_journal(ctx.root)
        raise
    clear_journal(ctx.root)
    graph_committed(ctx.root, repo.parent_of[commit], commit, tx.changes)
    return CommitResult(commit, sorted(tx.changes), message)


def _commit_signing_key(tx: Transaction) -> Path | None:
    """Return the actor's SSH key when coop.toml asks for signed commits (sign_commits)."""
    config = tx.config()
    if (config is None or not config.signing.sign_commits) and not _turns_signing_on(tx):
        return None
    if tx.ctx.ssh_key is None:
        raise UsageError(
            T(
                "coop.toml verlangt signierte Commits ([signing] sign_commits); bitte "
                "--ssh-key SCHLÜSSEL angeben oder COOP_SSH_KEY setzen",
                "coop.toml requires signed commits ([signing] sign_commits); pass --ssh-key KEY "
                "or set COOP_SSH_KEY",
            )
        )
    return tx.ctx.ssh_key


def _turns_signing_on(tx: Transaction) -> bool:
    """Return whether this change writes `sign_commits = true`: that commit is signed too.

    The signed history counts as switched on from the first signed commit that turns it on.
    """
    import tomllib

    if tx.changes.get(layout.CONFIG) is None:
        return False
    try:
        data = tomllib.loads(tx.read(layout.CONFIG).text)
    except tomllib.TOMLDecodeError:
        return False
    signing = data.get("signing")
    return isinstance(signing, dict) and signing.get("sign_commits") is True


def _refusal(new: list[Problem], after: Loaded, changed: set[str]) -> ProblemsFound:
    """Return the refusal of a change: root causes (broken records) first, named in the message.

    A reference to a broken record is reported as "depends on a broken record"; when that record
    is one this change breaks, the references are left out (the change itself is the cause).
    """
    broken = after.data.broken_paths
    depending = [p for p in new if p.code == "depends-on-broken"]
    if not depending:
        return ProblemsFound(new, first=broken)
    causes = {path for path in broken if any(path in p.message.format("de") for p in depending)}
    roots = [p for p in after.problems if p.source.path in causes]
    own = causes & changed
    kept = [
        p
        for p in new
        if p.code != "depends-on-broken" or not any(path in p.message.format("de") for path in own)
    ]
    outside = sorted(causes - changed)
    message = None
    if outside:
        message = T(
            "{p} ist fehlerhaft (siehe oben) und diese Änderung hängt daran; nichts wurde "
            "geschrieben. Bitte zuerst die Datei korrigieren („coop check“)",
            "{p} is broken (see above) and this change depends on it; nothing was written. "
            'Please fix that file first ("coop check")',
            p=", ".join(outside),
        )
    return ProblemsFound([*roots, *kept], message, first=causes)


def _apply(target: Path, data: bytes | None) -> None:
    if data is None:
        if target.exists():
            remove_file(target)
    else:
        write_atomic(target, data)
