"""The personal data a repository holds, over its whole history, and what is past its period.

The history is read once: every commit oldest first (parents before children) with the files it
changed; each changed record is parsed as that commit left it and the people it names are noted.
A person's clock starts at `left` for a contact who left, otherwise, for someone no longer named
in any file, at the commit after which no file named them, and for a privacy finding at the
commit that first held it. Someone still named in the current records is not due (except
findings, which never belong in the records).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from coopkit.errors import Problem, T
from coopkit.model.base import PERMANENT
from coopkit.model.minutes import Minutes
from coopkit.model.partner import Partner
from coopkit.model.privacy import Registered, registered, scan_text
from coopkit.model.retention import CATEGORIES, Category, Retention
from coopkit.model.signoff import SignOff
from coopkit.queries.archive import Gate, gate
from coopkit.queries.context import Context
from coopkit.queries.load import Snapshot, snapshot
from coopkit.queries.versions import add_duration
from coopkit.store import layout
from coopkit.store.files import parse_blob
from coopkit.store.git import GitRepo
from coopkit.store.text import decode_text

_RECORD = "\x1e"
_FIELD = "\x1f"

Key = tuple[Category, str]


@dataclass
class Person:
    """One person (or one finding) of a category, as the history names them."""

    category: Category
    key: str
    """Stable key: `partner/contact`, `partner`, a name, or the found text."""
    label: str
    first: date
    first_commit: str
    files: set[str] = field(default_factory=set)
    commits: set[str] = field(default_factory=set)
    gone: date | None = None
    """The day of the commit after which no file named them (None: still named)."""
    left: date | None = None
    """For a contact: the day they left the partner (as the current record says)."""

    @property
    def clock(self) -> date | None:
        """Return the day the retention clock started (None: it has not started)."""
        if self.category == "findings":
            return self.first
        if self.left is not None:
            return self.left
        return self.gone


@dataclass(frozen=True)
class Due:
    """A person whose data is past its retention period, with what handles it."""

    category: Category
    key: str
    label: str
    since: date
    period: str
    due: date
    files: tuple[str, ...]
    command: str


@dataclass
class Inventory:
    """Every person per category, the commits read and the retention rules."""

    people: dict[Key, Person]
    commits: int
    retention: Retention
    controller: str | None
    archive: Gate | None = None
    """The archivable items and their state: their data waits for the archive's answer."""

    def category(self, category: Category) -> list[Person]:
        """Return the people of one category, by first appearance and key."""
        found = [p for (c, _), p in self.people.items() if c == category]
        return sorted(found, key=lambda p: (p.first, p.key))


def _partner_names(value: Partner) -> list[tuple[Category, str, str]]:
    names: list[tuple[Category, str, str]] = [
        ("contacts", f"{value.id}/{c.id}", c.name) for c in value.contacts
    ]
    if value.representative:
        names.append(
            ("representatives", f"{value.id}:{value.representative}", value.representative)
        )
    return names


def _minutes_names(value: Minutes) -> list[tuple[Category, str, str]]:
    names: list[tuple[Category, str, str]] = []
    refs = [*value.attendance.present, *value.attendance.excused]
    refs += [r for r in (value.chair, value.minute_taker) if r]
    names += [("attendees", ref, ref) for ref in refs if "/" in ref]
    names += [("attendees", g.name, g.name) for g in value.attendance.guests]
    for top in value.tops:
        names += [("action_owners", a.who, a.who) for a in top.actions if "/" in a.who]
    return names


def names_in(located: Any) -> list[tuple[Category, str, str]]:
    """Return (category, key, label) of every person a parsed record names."""
    value = getattr(located, "value", None)
    if isinstance(value, Partner):
        return _partner_names(value)
    if isinstance(value, Minutes):
        return _minutes_names(value)
    if isinstance(value, SignOff):
        return [("signatories", f"{value.partner}:{value.signatory}", value.signatory)]
    return []


@dataclass(frozen=True)
class _Commit:
    sha: str
    author: str
    day: date
    changed: tuple[tuple[str, bool], ...]
    """(path, still there) of every file the commit changed."""


def _commits(repo: GitRepo) -> list[_Commit]:
    """Return every commit reachable from HEAD, parents first, with the files it changed."""
    if repo.head() is None:
        return []
    fmt = _RECORD + _FIELD.join(["%H", "%an <%ae>", "%aI"]) + _FIELD
    out = str(
        repo.run(
            "log",
            "--reverse",
            "--topo-order",
            "--no-renames",
            "--diff-merges=first-parent",
            f"--format={fmt}",
            "--name-status",
            "--end-of-options",
            "HEAD",
            "--",
        )
    )
    commits = []
    for record in out.split(_RECORD):
        fields = record.split(_FIELD)
        if len(fields) < 4:
            continue
        sha, author, when, names = fields[:4]
        changed = []
        for line in names.splitlines():
            status, _, path = line.partition("\t")
            if path:
                changed.append((path, "D" not in status))
        commits.append(_Commit(sha, author, datetime.fromisoformat(when).date(), tuple(changed)))
    return commits


@dataclass
class _Walk:
    """The state of one walk through the history."""

    allowed: Registered
    people: dict[Key, Person] = field(default_factory=dict)
    named: dict[str, set[Key]] = field(default_factory=dict)
    """Per path, who its current version names."""
    findings: list[tuple[str, Problem]] = field(default_factory=list)

    def note(self, commit: _Commit, path: str, names: list[tuple[Category, str, str]]) -> None:
        keys: set[Key] = set()
        for category, key, label in names:
            person = self.people.get((category, key))
            if person is None:
                person = Person(category, key, label, commit.day, commit.sha)
                self.people[(category, key)] = person
            person.files.add(path)
            person.commits.add(commit.sha)
            keys.add((category, key))
        self.named[path] = keys


def _scan(walk: _Walk, commit: _Commit, path: str, raw: bytes, scanned: dict[str, Any]) -> None:
    """Note the privacy findings of one file version (partner files register contacts)."""
    if path.startswith("partners/") or layout.kind_of(path) is None:
        return
    textfile, _ = decode_text(path, raw)
    if textfile is None:
        return
    problems = scan_text(path, textfile.text, walk.allowed)
    names: list[tuple[Category, str, str]] = []
    for problem in problems:
        value = str(problem.message.params.get("v", ""))
        names.append(("findings", value, value))
        walk.findings.append((commit.sha, problem))
    scanned[path] = names


def _walk(ctx: Context, snap: Snapshot) -> tuple[_Walk, int]:
    walk = _Walk(registered(snap.data))
    with GitRepo(ctx.root) as repo:
        commits = _commits(repo)
        specs = [
            f"{c.sha}:{p}"
            for c in commits
            for p, there in c.changed
            if there and layout.kind_of(p) is not None
        ]
        blobs = repo.read_blobs(specs) if specs else {}
    for commit in commits:
        walk.people.setdefault(
            ("commit_authors", commit.author),
            Person("commit_authors", commit.author, commit.author, commit.day, commit.sha),
        ).commits.add(commit.sha)
        for path, there in commit.changed:
            raw = blobs.get(f"{commit.sha}:{path}") if there else None
            names: list[tuple[Category, str, str]] = []
            if raw is not None:
                located, _ = parse_blob(path, raw)
                names = names_in(located) if located is not None else []
                scanned: dict[str, Any] = {}
                _scan(walk, commit, path, raw, scanned)
                names += scanned.get(path, [])
            walk.note(commit, path, names)
        still = set().union(*walk.named.values()) if walk.named else set()
        for key, person in walk.people.items():
            if key[0] == "commit_authors":
                continue
            if key in still:
                person.gone = None
            elif person.gone is None:
                person.gone = commit.day
    for located in snap.data.partners.values():
        for contact in located.value.contacts:
            named = walk.people.get(("contacts", f"{located.value.id}/{contact.id}"))
            if named is not None:
                named.left = contact.left
    return walk, len(commits)


def inventory(ctx: Context) -> Inventory:
    """Return every person the history names, per category (one walk of the history)."""
    snap = snapshot(ctx)
    walk, count = _walk(ctx, snap)
    config = snap.data.config.value if snap.data.config else None
    retention = config.retention if config else Retention()
    controller = None
    if config and config.controller and config.controller in snap.data.partners:
        controller = snap.data.partners[config.controller].value.name
    return Inventory(walk.people, count, retention, controller, gate(snap))


def _archive_command(person: Person, archive: Gate) -> str | None:
    """Return the archive step an archivable file of the person waits for, else the erasure."""
    files = sorted(person.files)
    items = [item for f in files if (item := archive.find(f)) is not None]
    for item in items:
        step = archive.next_step(item)
        if step is not None:
            return step
    if items:
        cleared = [f for f in files if archive.find(f) is not None]
        paths = " ".join(f"--path {shlex.quote(f)}" for f in cleared)
        return f'coop privacy erase {paths} --reason "Aufbewahrungsfrist abgelaufen"'
    return None


def _command(person: Person, archive: Gate | None = None) -> str:
    if archive is not None:
        waiting = _archive_command(person, archive)
        if waiting is not None:
            return waiting
    still_there = person.gone is None
    if person.category == "contacts" and still_there:
        partner, _, contact = person.key.partition("/")
        return f"coop partner contact remove {partner} {contact} --delete"
    if person.category == "findings" and still_there:
        return "coop check --privacy"
    # Only the history still holds it: erased from every commit, in every clone.
    reason = '--reason "Aufbewahrungsfrist abgelaufen"'
    if person.category == "contacts":
        return f"coop privacy erase --contact {person.key} {reason}"
    return f"coop privacy erase --text {shlex.quote(person.label)} {reason}"


def due(inv: Inventory, today: date) -> list[Due]:
    """Return what is past its retention period on `today`, by category and day."""
    found = []
    for category in CATEGORIES:
        period = inv.retention.period(category)
        if period == PERMANENT:
            continue
        for person in inv.category(category):
            since = person.clock
            if since is None:
                continue
            until = add_duration(since, period)
            if until <= today:
                found.append(
                    Due(
                        category,
                        person.key,
                        person.label,
                        since,
                        period,
                        until,
                        tuple(sorted(person.files)),
                        _command(person, inv.archive),
                    )
                )
    return found


def scan_history(ctx: Context) -> list[tuple[str, Problem]]:
    """Return (commit, finding) for client data in every commit's version of every file.

    A finding is reported at the first commit whose version of the file holds it at that place.
    """
    walk, _ = _walk(ctx, snapshot(ctx))
    seen: set[tuple[str, int, int, str]] = set()
    first = []
    for sha, problem in walk.findings:
        value = str(problem.message.params.get("v", ""))
        key = (problem.source.path, problem.source.line or 0, problem.source.col or 0, value)
        if key not in seen:
            seen.add(key)
            first.append((sha, problem))
    return first


def scan_worktree(ctx: Context) -> list[Problem]:
    """Return the client data in the working tree (what `coop check --privacy` adds)."""
    from coopkit.store.files import WorkTree, read_text

    snap = snapshot(ctx)
    source = WorkTree(ctx.root)
    texts = []
    for path in source.paths():
        textfile, _ = read_text(source, path)
        if textfile is not None:
            texts.append((path, textfile.text))
    from coopkit.model.privacy import scan_files

    return scan_files(texts, registered(snap.data))


def retention_warnings(snap: Snapshot) -> list[Problem]:
    """Return a warning per contact whose period after leaving is over (read from the records).

    `coop check` asks only the current records (no walk of the history): a contact's clock
    starts at `left`, which the partner file states. `coop privacy due` shows the rest.
    """
    data = snap.data
    retention = data.config.value.retention if data.config else Retention()
    period = retention.contacts
    if period == PERMANENT:
        return []
    found = []
    for located in data.partners.values():
        for index, contact in enumerate(located.value.contacts):
            if contact.left is None:
                continue
            until = add_duration(contact.left, period)
            if until <= snap.today:
                found.append(
                    Problem(
                        located.at("contacts", index, "left"),
                        T(
                            "Aufbewahrungsfrist abgelaufen: Kontakt „{n}“ ist seit {s} "
                            "ausgeschieden, Frist {p} (fällig seit {d}); löschen mit: "
                            "coop partner contact remove {partner} {c} --delete",
                            'retention period over: contact "{n}" left on {s}, period {p} '
                            "(due since {d}); delete with: "
                            "coop partner contact remove {partner} {c} --delete",
                            n=contact.name,
                            s=contact.left.isoformat(),
                            p=period,
                            d=until.isoformat(),
                            partner=located.value.id,
                            c=contact.id,
                        ),
                        "retention",
                    )
                )
    return found
