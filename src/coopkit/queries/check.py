"""`coop check`: every problem in the repository's files, including those only history shows."""

from __future__ import annotations

import contextlib
import difflib
import re
from typing import TYPE_CHECKING

from coopkit.errors import Problem, Source, T, sorted_problems
from coopkit.model.privacy import registered, scan_files
from coopkit.model.repo import RepoData
from coopkit.queries.context import Context
from coopkit.queries.due import fulfilment_problems, schedule_until
from coopkit.queries.load import ProgressFn, Snapshot, snapshot
from coopkit.queries.verdict import verdict_problems
from coopkit.queries.versions import notice_end
from coopkit.schedule import RecurrenceError, occurrences
from coopkit.store.files import WorkTree, read_text
from coopkit.store.git import GitRepo

if TYPE_CHECKING:
    from coopkit.index.cache import ParseCacheDB


def check(
    ctx: Context, *, privacy: bool = False, progress: ProgressFn | None = None
) -> list[Problem]:
    """Return all problems in the working tree, sorted by path and line.

    Args:
        ctx: the repository and settings.
        privacy: also look for client data (e-mail addresses, phone numbers, birth dates, IBANs,
            case numbers) that does not belong to a registered contact.
        progress: told how far reading the records got.
    """
    snap = snapshot(ctx, progress=progress)
    return check_snapshot(snap, privacy=privacy)


def check_snapshot(snap: Snapshot, *, privacy: bool = False) -> list[Problem]:
    """Return every problem of a snapshot: files, rules, history and the derived schedule."""
    problems = list(snap.problems)
    problems += history_problems(snap)
    if privacy:
        source = WorkTree(snap.ctx.root)
        texts = []
        for path in source.paths():
            textfile, _ = read_text(source, path)
            if textfile is not None:
                texts.append((path, textfile.text))
        problems += scan_files(texts, registered(snap.data))
    return sorted_problems(problems, snap.data.broken_paths)


def repository_problems(snap: Snapshot) -> list[Problem]:
    """Return the problems of a repository: the list `coop check` prints (without --privacy).

    `coop status` counts this list; `queries.facts` counts it from the parts below, kept per
    agreement folder, per minutes file and for the key records.
    """
    return check_snapshot(snap)


def history_problems(snap: Snapshot) -> list[Problem]:
    """Return the problems only the versions, terminations and git history show.

    Every kind belongs to one of three parts, each reading only its own records (see
    `queries.facts`, which keeps each part's problems per unit): a new kind goes into one.
    """
    problems = agreement_problems(snap)
    problems += check_frozen_minutes(snap.ctx, snap.data)
    problems += registry_problems(snap)
    return problems


def agreement_problems(snap: Snapshot) -> list[Problem]:
    """Return the history problems of the agreement folders, each in a file of its folder.

    They read an agreement's folder (texts, versions, sign-offs, fulfilments, terminations),
    coop.toml and the key records, nothing of another folder.
    """
    problems = legacy_status_problems(snap)
    problems += recurrence_problems(snap)
    problems += fulfilment_problems(snap)
    problems += termination_problems(snap)
    problems += version_problems(snap)
    problems += verdict_problems(snap)
    return problems


def registry_problems(snap: Snapshot) -> list[Problem]:
    """Return the key registry's problems; they read coop.toml, partners and key records only."""
    if snap.data.key_registrations or snap.data.key_revocations or _has_inline_keys(snap):
        from coopkit.queries.trust import build_registry

        return build_registry(snap).problems
    return []


def _has_inline_keys(snap: Snapshot) -> bool:
    return any(located.value.keys for located in snap.data.partners.values())


def legacy_status_problems(snap: Snapshot) -> list[Problem]:
    """Report agreement files that still carry a hand-set `status:`."""
    problems = []
    for located in snap.data.agreements.values():
        if located.value.status is not None:
            problems.append(
                Problem(
                    located.at("status"),
                    T(
                        "„status: {s}“ wird nicht mehr von Hand gesetzt: der Stand ergibt sich "
                        "aus Fassungen, Freigaben und Kündigungen; „coop migrate“ entfernt das "
                        "Feld in einem Commit",
                        '"status: {s}" is no longer set by hand: the state follows from '
                        'versions, approvals and terminations; "coop migrate" removes the field '
                        "in one commit",
                        s=located.value.status,
                    ),
                    "legacy-status",
                )
            )
    return problems


def recurrence_problems(snap: Snapshot) -> list[Problem]:
    """Report obligations of the working texts whose recurrence cannot be expanded."""
    problems = []
    end = schedule_until(snap)
    for located in snap.data.agreements.values():
        agreement = located.value
        for i, ob in enumerate(agreement.obligations):
            try:
                occurrences(ob, agreement.valid_from, agreement.valid_until, end)
            except RecurrenceError as err:
                field = "rrule" if ob.rrule else "every"
                problems.append(
                    Problem(located.at("obligations", i, field), err.message, "recurrence")
                )
    return problems


def termination_problems(snap: Snapshot) -> list[Problem]:
    """Check termination records: a party, the notice period kept, one date for mutual consent."""
    problems: list[Problem] = []
    for located in snap.data.terminations:
        record = located.value
        parts = located.path.split("/")
        agreement_id = parts[1]
        expected = f"agreements/{record.agreement}/termination/{record.partner}.yaml"
        if located.path != expected:
            problems.append(
                Problem(
                    located.at("agreement"),
                    T(
                        "Inhalt passt nicht zum Pfad; erwartet „{e}“",
                        'content does not match the path; expected "{e}"',
                        e=expected,
                    ),
                    "id-file-mismatch",
                )
            )
        agreement = snap.data.find_agreement(agreement_id)
        if agreement is None:
            continue
        if record.partner not in agreement.parties:
            problems.append(
                Problem(
                    located.at("partner"),
                    T(
                        "„{p}“ ist keine Partei von {a}; Parteien: {k}",
                        '"{p}" is not a party to {a}; parties: {k}',
                        p=record.partner,
                        a=agreement_id,
                        k=", ".join(agreement.parties),
                    ),
                    "not-a-party",
                )
            )
        timeline = snap.timeline(agreement_id)
        if record.kind == "notice" and record.effective is not None:
            earliest = notice_end(timeline, record.date)
            if record.effective < earliest:
                problems.append(
                    Problem(
                        located.at("effective"),
                        T(
                            "Kündigung zum {e} unterschreitet die Kündigungsfrist; frühestens "
                            "zum {f}",
                            "notice as of {e} is shorter than the notice period; earliest {f}",
                            e=record.effective.isoformat(),
                            f=earliest.isoformat(),
                        ),
                        "notice-period",
                    )
                )
    for agreement_id in sorted(snap.data.agreements):
        records = snap.data.terminations_for(agreement_id)
        mutual = [r for r in records if r.value.kind == "mutual"]
        dates = {r.value.effective for r in mutual}
        if len(dates) > 1:
            for r in mutual:
                problems.append(
                    Problem(
                        r.at("effective"),
                        T(
                            "einvernehmliche Aufhebung: die Parteien nennen verschiedene Daten "
                            "({d}); alle müssen denselben letzten Tag nennen",
                            "ending by mutual consent: the parties name different dates ({d}); "
                            "all must name the same last day",
                            d=", ".join(sorted(str(d) for d in dates)),
                        ),
                        "mutual-dates",
                    )
                )
    return problems


def version_problems(snap: Snapshot) -> list[Problem]:
    """Check released versions: numbered in release order (approvals: see `verdict_problems`)."""
    problems: list[Problem] = []
    for agreement_id, timeline in snap.timelines().items():
        previous = None
        for version in timeline.versions:
            if previous is not None and version.released_at < previous.released_at:
                problems.append(
                    Problem(
                        Source(snap.data.agreements[agreement_id].path),
                        T(
                            "{v} wurde am {d} veröffentlicht, vor {p} ({e}); Fassungen werden in "
                            "der Reihenfolge ihrer Nummern veröffentlicht",
                            "{v} was released on {d}, before {p} ({e}); versions are released "
                            "in the order of their numbers",
                            v=version.tag,
                            d=version.released.isoformat(),
                            p=previous.version,
                            e=previous.released.isoformat(),
                        ),
                        "version-order",
                    )
                )
            previous = version
    return problems


def _status_of(text: str) -> str | None:
    front = text.split("\n---", 1)[0]
    match = re.search(r"^status:\s*[\"']?(\w+)", front, re.MULTILINE)
    return match.group(1) if match else None


def _first_difference(old: str, new: str) -> int:
    old_lines = old.split("\n")
    new_lines = new.split("\n")
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, _i1, _i2, j1, _j2 in matcher.get_opcodes():
        if tag != "equal":
            return min(j1 + 1, max(len(new_lines), 1))
    return 1


def _approving_commit(repo: GitRepo, path: str) -> tuple[str, str] | None:
    """Return (commit, text) of the oldest revision of `path` whose status is approved."""
    # Commits that touched a status line are few; look at them first, then at all commits.
    touched = str(
        repo.run(
            "log",
            "--reverse",
            "--format=%H",
            "-G",
            "^status:",
            "--end-of-options",
            "HEAD",
            "--",
            path,
        )
    ).split()
    for candidates in (touched, [c.sha for c in reversed(repo.log([path]))]):
        for sha in candidates:
            blob = repo.read_blob(sha, path)
            if blob is None:
                continue
            text = blob.decode("utf-8", errors="replace")
            if _status_of(text) == "approved":
                return sha, text
    return None


def check_frozen_minutes(
    ctx: Context, data: RepoData, notes: ParseCacheDB | None = None
) -> list[Problem]:
    """Report approved minutes whose file changed after the commit that approved them.

    The approving commit and its blob id are remembered in the index per path (history does not
    change), so a check compares blob ids and reads history only for newly approved minutes.
    A file's verdict reads its bytes, that note and (without the note) the history of HEAD.

    Args:
        ctx: the repository.
        data: the records; only their minutes are read.
        notes: the open parse index holding the notes (else it is opened here).
    """
    from coopkit.index.cache import ParseCacheDB
    from coopkit.store.files import blob_digest

    approved = [m for m in data.minutes.values() if m.value.status == "approved"]
    if not approved or not (ctx.root / ".git").exists():
        return []
    problems = []
    with GitRepo(ctx.root) as repo, contextlib.ExitStack() as stack:
        cache = notes if notes is not None else stack.enter_context(ParseCacheDB(ctx.root))
        if repo.head() is None:
            return []
        for located in approved:
            path = located.path
            current_bytes = (ctx.root / path).read_bytes()
            remembered = cache.get_note("approved-minutes", path)
            if remembered is None:
                approving = _approving_commit(repo, path)
                if approving is None:
                    continue
                commit, approved_bytes = approving[0], approving[1].encode("utf-8")
                approved_blob = blob_digest(repo.read_blob(commit, path) or approved_bytes)
                cache.put_note("approved-minutes", path, f"{commit} {approved_blob}")
            else:
                commit, approved_blob = remembered.split()
            if blob_digest(current_bytes) == approved_blob:
                continue
            approved_text = (repo.read_blob(commit, path) or b"").decode("utf-8", errors="replace")
            current = current_bytes.decode("utf-8", errors="replace")
            line = _first_difference(approved_text, current)
            problems.append(
                Problem(
                    Source(path, line, 1),
                    T(
                        "genehmigte Niederschrift nach der Genehmigung geändert (genehmigter "
                        "Stand: Commit {c}); Korrekturen bitte in einer späteren Sitzung "
                        "beschließen",
                        "approved minutes changed after their approval (approved revision: "
                        "commit {c}); record corrections in a later meeting",
                        c=commit[:10],
                    ),
                    "frozen-minutes",
                )
            )
    return problems
