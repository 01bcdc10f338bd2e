"""Erasure records in a history: which count, what they attest, and whether erased history is back.

A record counts when a coordinator key signed it (a key the checking clone trusts). Then its
commits' old signers stand for the rewritten commits (which carry no signature of their own),
and its old commit ids must never be part of the history again.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from coopkit.errors import Problem, RepositoryError, Source, T
from coopkit.model.erasure import Erasure, MappedCommit
from coopkit.model.partner import SigningKey
from coopkit.signing import ssh
from coopkit.signing.hashing import erasure_payload
from coopkit.signing.keys import signature_fingerprint, signature_key
from coopkit.store import rewrite
from coopkit.store.codec import parse_erasure
from coopkit.store.git import GitRepo
from coopkit.store.text import TextFile

ERASURE_DIR = "erasures"


def erasure_path(record_id: str) -> str:
    """Return where an erasure record lives."""
    return f"{ERASURE_DIR}/{record_id}.yaml"


def _short(fp: str) -> str:
    return fp.removeprefix("SHA256:")[:12]


@dataclass
class Erasures:
    """The erasure records of one revision: those that count, and why the others do not."""

    records: list[tuple[str, Erasure]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    attested: dict[str, MappedCommit] = field(default_factory=dict)
    """New commit id -> its mapping, for the commits the counting records may speak for."""

    def erased(self) -> set[str]:
        """Return the old commit ids of every record that counts."""
        return {c.old for _, record in self.records for c in record.commits}


def read_records(repo: GitRepo, rev: str) -> list[tuple[str, Erasure | None, list[Problem]]]:
    """Return (path, record or None, problems) of every file under erasures/ at `rev`."""
    try:
        out = str(repo.run("ls-tree", "-r", "-z", "--name-only", rev, "--", ERASURE_DIR))
    except RepositoryError:
        return []  # no such revision: no records
    paths = sorted(p for p in out.split("\0") if p.endswith(".yaml"))
    if not paths:
        return []
    blobs = repo.read_blobs([f"{rev}:{p}" for p in paths])
    found: list[tuple[str, Erasure | None, list[Problem]]] = []
    for path in paths:
        raw = blobs.get(f"{rev}:{path}")
        if raw is None:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            found.append(
                (path, None, [Problem(Source(path), T("kein UTF-8", "not UTF-8"), "encoding")])
            )
            continue
        located, problems = parse_erasure(TextFile(path, text))
        found.append((path, located.value if located is not None else None, problems))
    return found


def signature_problem(record: Erasure, roots: Collection[str]) -> T | None:
    """Return why a record's signature does not count with these pinned keys, or None."""
    if not record.signature:
        return T("nicht signiert", "not signed")
    fp = signature_fingerprint(record.signature)
    if fp is None:
        return T("SSH-Signatur nicht lesbar", "SSH signature unreadable")
    if fp != record.signer:
        return T(
            "signiert mit {f}, der Datensatz nennt {s}",
            "signed with {f}, the record names {s}",
            f=_short(fp),
            s=_short(record.signer),
        )
    if fp not in roots:
        return T(
            "signiert mit {f}, keinem gepinnten Koordinationsschlüssel (coop.toml [trust])",
            "signed with {f}, not a pinned coordinator key (coop.toml [trust])",
            f=_short(fp),
        )
    key = signature_key(record.signature)
    if key is None:
        return T("SSH-Signatur nicht lesbar", "SSH signature unreadable")
    allowed = ssh.allowed_signers(
        [("coordinator", SigningKey(key=key))], namespace=ssh.ERASURE_NAMESPACE
    )
    verdict = ssh.verify(
        erasure_payload(record),
        record.signature,
        allowed,
        "coordinator",
        record.date,
        namespace=ssh.ERASURE_NAMESPACE,
    )
    return None if verdict.ok else verdict.reason


def not_counting(path: str, why: T) -> Problem:
    """Return the problem of an erasure record that does not count."""
    return Problem(
        Source(path),
        T("Löschvermerk zählt nicht: {w}", "erasure record does not count: {w}", w=why),
        "erasure-signature",
    )


def erasures(repo: GitRepo, rev: str, roots: Collection[str]) -> Erasures:
    """Return the erasure records at `rev` that count with the pinned keys `roots`."""
    result = Erasures()
    for path, record, problems in read_records(repo, rev):
        if record is None:
            result.problems += problems
            continue
        why = signature_problem(record, roots)
        if why is not None:
            result.problems.append(not_counting(path, why))
            continue
        result.records.append((path, record))
        result.attested |= record.old_of()
    return result


def added_in(repo: GitRepo, rev: str) -> list[tuple[str, str]]:
    """Return (path, commit that added it) of every erasure record at `rev`, oldest first."""
    out = str(
        repo.run(
            "log", "--reverse", "--diff-filter=A", "--format=\x1e%H", "--name-only", rev,
            "--", ERASURE_DIR,
        )
    )  # fmt: skip
    found: dict[str, tuple[int, str]] = {}
    for n, chunk in enumerate(out.split("\x1e")):
        sha, _, names = chunk.strip().partition("\n")
        for name in names.split():
            found[name] = (n, sha)  # a record added again later: its last addition counts
    return [(path, sha) for path, (_, sha) in sorted(found.items(), key=lambda i: i[1][0])]


def erased_back(repo: GitRepo, rev: str, erased: Collection[str]) -> list[str]:
    """Return the erased old commits that are part of `rev`'s history again."""
    if not erased:
        return []
    return rewrite.ancestors_among(repo.root, rev, erased)


# --- Whether a rewrite did only what its record says --------------------------------------------


def _matches(old: str, new: str, replacement: str) -> bool:
    """Return whether `new` is `old` with some texts replaced by `replacement`, nothing else."""
    if old == new:
        return True
    pieces = new.split(replacement)
    if len(pieces) == 1:
        return False
    pattern = "(?:.*?)".join(re.escape(p) for p in pieces)
    return re.fullmatch(pattern, old, re.DOTALL) is not None


def _commit_text(raw: str, mapped: dict[str, str], tree: str) -> str:
    """Return a raw commit as the rewrite would write it: new tree, new parents, no signature."""
    lines = raw.split("\n")
    out: list[str] = []
    in_sig = False
    for i, line in enumerate(lines):
        if in_sig and line.startswith(" "):
            continue
        in_sig = False
        if line == "" and i > 0:
            out += lines[i:]
            break
        if line.startswith("gpgsig ") or line.startswith("gpgsig-sha256 "):
            in_sig = True
            continue
        if line.startswith("tree "):
            out.append(f"tree {tree}")
        elif line.startswith("parent "):
            parent = line.removeprefix("parent ")
            out.append(f"parent {mapped.get(parent, parent)}")
        else:
            out.append(line)
    return "\n".join(out)


def _text(obj: tuple[bytes, bytes] | None) -> str:
    return obj[1].decode("utf-8", "replace").rstrip("\n") if obj is not None else ""


def rewrite_problems(root: Path, record: Erasure) -> list[T]:
    """Check a rewrite against the old commits this clone has: only the record's changes.

    For every old commit present here, its rewritten commit must hold the same files, except the
    removed paths, and the same bytes, except texts replaced by the record's replacement; the
    same for the commit's author, committer, date and message, with parents mapped.
    """
    pairs = [(c.old, c.new) for c in record.commits]
    present = set(rewrite.existing_commits(root, [old for old, _ in pairs]))
    pairs = [(old, new) for old, new in pairs if old in present]
    if not pairs:
        return []
    mapped = record.new_of()
    removed = tuple(record.paths)
    reasons: list[T] = []
    changes = rewrite.tree_changes(root, pairs)
    repo = GitRepo(root)
    blob_ids = sorted(
        {b for found in changes.values() for c in found for b in (c.old_blob, c.new_blob)}
        - {"0" * 40}
    )
    blobs = repo.read_objects(blob_ids)
    raw = repo.read_objects(sorted({sha for pair in pairs for sha in pair}))
    for (old, new), found in changes.items():
        for change in found:
            if change.status.startswith("D") and (
                change.path in removed or change.path.startswith(tuple(p + "/" for p in removed))
            ):
                continue
            old_data = blobs.get(change.old_blob)
            new_data = blobs.get(change.new_blob)
            if (
                change.status.startswith("M")
                and old_data is not None
                and new_data is not None
                and _matches(
                    old_data[1].decode("utf-8", "replace"),
                    new_data[1].decode("utf-8", "replace"),
                    record.replacement,
                )
            ):
                continue
            reasons.append(
                T(
                    "{p} in {c}: mehr geändert als der Löschvermerk nennt",
                    "{p} in {c}: changed beyond what the erasure record names",
                    p=change.path,
                    c=old[:12],
                )
            )
        raw_old, raw_new = (_text(raw.get(sha)) for sha in (old, new))
        tree = raw_new.split("\n", 1)[0].removeprefix("tree ")
        expected = _commit_text(raw_old, mapped, tree).rstrip("\n")
        if not _matches(expected, raw_new, record.replacement):
            reasons.append(
                T(
                    "Commit {c}: Autor, Datum, Nachricht oder Eltern anders als vor der Löschung",
                    "commit {c}: author, date, message or parents differ from before the erasure",
                    c=old[:12],
                )
            )
    return reasons
