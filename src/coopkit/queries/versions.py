"""The version timeline of each agreement and its lifecycle, derived from the records.

An agreement is a draft until a version is released (an annotated tag `<id>/vN`). A released
version waits for approval until every party to that version's text approved exactly that text
(a sign-off whose content hash names it, dated on or after the release). It is in force from the
later of the last approval and its `valid_from`; it ends at its `valid_until`, when a newer
version takes force, or when a termination takes effect. Versions are ordered by number, always.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from coopkit.errors import RepositoryError, T
from coopkit.model.agreement import Agreement
from coopkit.model.base import Located, parse_duration
from coopkit.model.signoff import SignOff
from coopkit.model.termination import Termination
from coopkit.render.dates import long_date
from coopkit.signing.hashing import content_hash, hash_matches
from coopkit.store import layout
from coopkit.store.files import parse_file
from coopkit.store.git import GitRepo, Tag

if TYPE_CHECKING:
    from coopkit.queries.load import Snapshot

VERSION_SEP = "/"
_VERSION = re.compile(r"v([1-9][0-9]{0,5})")

LifecycleState = Literal["draft", "pending", "approved", "in_force", "expired", "terminated"]


def version_tag(agreement_id: str, version: str) -> str:
    """Return the git tag name of an agreement version (`<id>/v2`)."""
    return f"{agreement_id}{VERSION_SEP}{version}"


def version_number(version: str) -> int | None:
    """Return N for a version name `vN`, or None for anything else."""
    match = _VERSION.fullmatch(version)
    return int(match.group(1)) if match else None


def add_duration(day: date, duration: str) -> date:
    """Return `day` + an ISO 8601 duration (month ends clamped)."""
    from dateutil.relativedelta import relativedelta

    years, months, weeks, days = parse_duration(duration)
    result: date = day + relativedelta(years=years, months=months, weeks=weeks, days=days)
    return result


@dataclass(frozen=True)
class Approval:
    """One party's approval of one released version."""

    partner: str
    signatory: str
    function: str | None
    place: str | None
    date: date
    method: str
    ssh_signed: bool
    path: str
    matches_version: bool
    """Whether the record's content hash names this version's text."""
    counts: bool
    """Whether it counts: it matches, the partner is a party, and it is not dated before release."""


@dataclass
class VersionState:
    """A released version: its text, its approvals and when it was in force."""

    version: str
    number: int
    tag: str
    commit: str
    released_at: datetime
    tagger: str
    message: str
    text: Agreement | None
    content_hash: str | None
    parties: list[str]
    approvals: list[Approval] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    in_force_from: date | None = None
    """First day in force, when every party approved (may lie after today)."""
    in_force_until: date | None = None
    """Last day in force (None: open-ended); before `in_force_from` means never in force."""

    @property
    def released(self) -> date:
        """Return the day the version was released."""
        return self.released_at.date()

    @property
    def complete(self) -> bool:
        """Return whether every party approved this version."""
        return self.text is not None and not self.missing

    @property
    def approved_on(self) -> date | None:
        """Return the day of the last approval that completed the version."""
        days = [a.date for a in self.approvals if a.counts]
        return max(days) if self.complete and days else None

    @property
    def ever_in_force(self) -> bool:
        """Return whether the version has (or will have) a day in force."""
        return self.in_force_from is not None and (
            self.in_force_until is None or self.in_force_until >= self.in_force_from
        )

    def in_force_on(self, day: date) -> bool:
        """Return whether this version is the one in force on `day`."""
        return (
            self.ever_in_force
            and self.in_force_from is not None
            and self.in_force_from <= day
            and (self.in_force_until is None or day <= self.in_force_until)
        )


@dataclass(frozen=True)
class Ending:
    """How the agreement as a whole ends early: a notice or a mutual termination."""

    kind: Literal["notice", "mutual", "mutual-pending"]
    effective: date | None
    """Last day in force (None while a mutual termination lacks parties)."""
    declared: date
    by: list[str]
    missing: list[str] = field(default_factory=list)
    reason: str | None = None


@dataclass
class Timeline:
    """An agreement's working text, its released versions (by number) and how it ends."""

    agreement_id: str
    working: Agreement
    working_hash: str
    versions: list[VersionState]
    ending: Ending | None = None
    pending_endings: list[Ending] = field(default_factory=list)

    @property
    def latest(self) -> VersionState | None:
        """Return the newest released version."""
        return self.versions[-1] if self.versions else None

    @property
    def changed_since_release(self) -> bool | None:
        """Return whether the working text differs from the newest version (None: none released)."""
        latest = self.latest
        if latest is None:
            return None
        return latest.content_hash != self.working_hash

    def get(self, version: str) -> VersionState | None:
        """Return a released version by name."""
        return next((v for v in self.versions if v.version == version), None)

    def version_on(self, day: date) -> VersionState | None:
        """Return the version in force on `day`, or None."""
        return next((v for v in self.versions if v.in_force_on(day)), None)

    def segments(self) -> list[VersionState]:
        """Return the versions that have days in force, in order."""
        return [v for v in self.versions if v.ever_in_force]

    def first_in_force(self) -> date | None:
        """Return the first day any version was in force."""
        days = [v.in_force_from for v in self.segments() if v.in_force_from]
        return min(days) if days else None

    def end(self) -> date | None:
        """Return the last day in force of the last version that has days in force."""
        segments = self.segments()
        return segments[-1].in_force_until if segments else None

    def lifecycle(self, day: date) -> Lifecycle:
        """Return what the agreement is on `day`."""
        return lifecycle(self, day)

    def next_review(self, after: date) -> date | None:
        """Return the first review date (first day in force + n × review cycle) after `after`."""
        start = self.first_in_force()
        current = self.version_on(after) or (self.segments()[-1] if self.segments() else None)
        text = current.text if current and current.text else self.working
        if text.review_cycle is None:
            return None
        anchor = start or text.valid_from
        if anchor is None:
            return None
        end = self.end() if self.segments() else text.valid_until
        for n in range(1, 2000):
            candidate = add_duration(anchor, multiply(text.review_cycle, n))
            if candidate > after:
                return None if end is not None and candidate > end else candidate
        return None


def multiply(duration: str, n: int) -> str:
    """Return an ISO 8601 duration times n (P3M × 2 = P6M)."""
    years, months, weeks, days = parse_duration(duration)
    parts = [(years, "Y"), (months, "M"), (weeks, "W"), (days, "D")]
    text = "".join(f"{v * n}{u}" for v, u in parts if v)
    return "P" + (text or "0D")


@dataclass(frozen=True)
class Lifecycle:
    """What an agreement is on one day, and why."""

    state: LifecycleState
    version: str | None
    """The version in force (in_force, expired, terminated), approved or awaiting approval."""
    since: date | None = None
    until: date | None = None
    pending: str | None = None
    """A newer version awaiting approval, besides the one in force."""
    missing: list[str] = field(default_factory=list)
    """Parties whose approval of the pending version is missing."""
    ending: Ending | None = None

    @property
    def in_force(self) -> bool:
        """Return whether a version is in force."""
        return self.state == "in_force"

    def label(self, lang: str = "de") -> str:
        """Return the state in words: "in Kraft (v1) seit 15. Dezember 2012; v2 zur Freigabe …"."""
        return lifecycle_label(self, lang)


def lifecycle(timeline: Timeline, day: date) -> Lifecycle:
    """Return what the agreement is on `day`: the one engine of "in force"."""
    versions = timeline.versions
    latest = timeline.latest
    pending_version = latest if latest is not None and not latest.complete else None
    pending = pending_version.version if pending_version else None
    missing = list(pending_version.missing) if pending_version else []
    if latest is None:
        return Lifecycle("draft", None)
    current = timeline.version_on(day)
    if current is not None:
        ending = timeline.ending if timeline.ending and timeline.ending.effective else None
        return Lifecycle(
            "in_force",
            current.version,
            current.in_force_from,
            current.in_force_until,
            pending if pending_version and pending_version.number > current.number else None,
            missing if pending_version and pending_version.number > current.number else [],
            ending if ending and ending.effective == current.in_force_until else None,
        )
    upcoming = [
        v
        for v in versions
        if v.ever_in_force and v.in_force_from is not None and v.in_force_from > day
    ]
    if upcoming:
        first = upcoming[0]
        return Lifecycle(
            "approved",
            first.version,
            first.in_force_from,
            first.in_force_until,
            pending if pending_version and pending_version.number > first.number else None,
            missing if pending_version and pending_version.number > first.number else [],
        )
    past = [v for v in versions if v.ever_in_force and v.in_force_from and v.in_force_from <= day]
    if past:
        last = past[-1]
        ending = timeline.ending
        ended_by_termination = (
            ending is not None
            and ending.effective is not None
            and last.in_force_until == ending.effective
        )
        return Lifecycle(
            "terminated" if ended_by_termination else "expired",
            last.version,
            last.in_force_from,
            last.in_force_until,
            pending,
            missing,
            ending if ended_by_termination else None,
        )
    return Lifecycle("pending", pending or latest.version, None, None, pending, missing)


def lifecycle_label(state: Lifecycle, lang: str = "de") -> str:
    """Return a lifecycle in words, in German or English."""

    def day(value: date | None) -> str:
        return long_date(value, lang)

    missing = ", ".join(state.missing)
    if state.state == "draft":
        text = T("Entwurf", "draft")
    elif state.state == "pending":
        text = T(
            "{v} zur Freigabe (fehlt: {m})",
            "{v} awaiting approval (missing: {m})",
            v=state.version,
            m=missing or "—",
        )
    elif state.state == "approved":
        text = T(
            "{v} freigegeben, in Kraft ab {d}",
            "{v} approved, in force from {d}",
            v=state.version,
            d=day(state.since),
        )
    elif state.state == "in_force":
        if state.ending is not None:
            text = T(
                "in Kraft ({v}) seit {d}, gekündigt zum {e}",
                "in force ({v}) since {d}, terminated as of {e}",
                v=state.version,
                d=day(state.since),
                e=day(state.until),
            )
        elif state.until is not None:
            text = T(
                "in Kraft ({v}) seit {d} bis {e}",
                "in force ({v}) since {d} until {e}",
                v=state.version,
                d=day(state.since),
                e=day(state.until),
            )
        else:
            text = T(
                "in Kraft ({v}) seit {d}",
                "in force ({v}) since {d}",
                v=state.version,
                d=day(state.since),
            )
    elif state.state == "terminated":
        text = T(
            "gekündigt, nicht mehr in Kraft seit {d} ({v})",
            "terminated, no longer in force after {d} ({v})",
            v=state.version,
            d=day(state.until),
        )
    else:
        text = T(
            "ausgelaufen am {d} ({v})",
            "expired on {d} ({v})",
            v=state.version,
            d=day(state.until),
        )
    result = text.format(lang)
    if state.pending and state.state != "pending":
        result += T(
            "; {v} zur Freigabe (fehlt: {m})",
            "; {v} awaiting approval (missing: {m})",
            v=state.pending,
            m=missing or "—",
        ).format(lang)
    return result


# --------------------------------------------------------------------------- building


def agreement_tags(tags: list[Tag], agreement_id: str) -> list[tuple[int, str, Tag]]:
    """Return (number, version, tag) of an agreement's version tags, by version number."""
    return tags_by_agreement(tags).get(agreement_id, [])


def tags_by_agreement(tags: list[Tag]) -> dict[str, list[tuple[int, str, Tag]]]:
    """Return agreement id -> (number, version, tag) of its version tags, in one pass."""
    found: dict[str, list[tuple[int, str, Tag]]] = {}
    for tag in tags:
        agreement_id, sep, version = tag.name.rpartition(VERSION_SEP)
        number = version_number(version) if sep else None
        if number is not None:
            found.setdefault(agreement_id, []).append((number, version, tag))
    for versions in found.values():
        versions.sort(key=lambda item: item[0])
    return found


class _Blobs:
    """Agreement texts read at version tags, served as a file source for the parser."""

    def __init__(self, blobs: dict[str, bytes | None]) -> None:
        self.blobs = blobs

    def paths(self) -> Iterator[str]:
        return iter(sorted(self.blobs))

    def read(self, path: str) -> bytes | None:
        return self.blobs.get(path)


def read_tags(snap: Snapshot) -> tuple[list[Tag], dict[str, Agreement | None]]:
    """Return every tag and the agreement text at each version tag (one git call each)."""
    root = snap.ctx.root
    if not (root / ".git").exists():
        return [], {}
    try:
        with GitRepo(root) as repo:
            tags = repo.tags()
            wanted: dict[str, str] = {}
            grouped = tags_by_agreement(tags)
            for agreement_id in snap.data.agreements:
                for _, _, tag in grouped.get(agreement_id, []):
                    wanted[tag.name] = f"{tag.name}:{layout.agreement_path(agreement_id)}"
            blobs = repo.read_blobs(list(wanted.values()))
    except RepositoryError:
        return [], {}
    texts: dict[str, Agreement | None] = {}
    from coopkit.index.cache import ParseCacheDB

    # Most released texts are byte for byte the working text: parse each distinct text once.
    by_blob: dict[bytes, Agreement | None] = {}
    with ParseCacheDB(root) as cache:
        for tag_name, spec in wanted.items():
            raw = blobs.get(spec)
            if raw is None:
                texts[tag_name] = None
                continue
            path = spec.partition(":")[2]
            if raw not in by_blob:
                working = snap.data.agreements.get(path.split("/")[1])
                if working is not None and snap.rev is None and _same_text(root, path, raw):
                    by_blob[raw] = working.value
                else:
                    located, _ = parse_file(_Blobs({path: raw}), path, cache)
                    by_blob[raw] = located.value if located is not None else None
            texts[tag_name] = by_blob[raw]
    return tags, texts


def _same_text(root: Path, path: str, raw: bytes) -> bool:
    """Return whether the working file holds exactly these bytes (read back, never trusted)."""
    try:
        with open(root / path, "rb") as handle:  # noqa: PTH123
            return handle.read(len(raw) + 1) == raw
    except OSError:
        return False


def build_timelines(snap: Snapshot) -> dict[str, Timeline]:
    """Return the timeline of every agreement of a snapshot."""
    tags, texts = read_tags(snap)
    grouped = tags_by_agreement(tags)
    signoffs: dict[tuple[str, str], list[Located[SignOff]]] = {}
    for located in snap.data.signoffs:
        signoffs.setdefault((located.value.agreement, located.value.version), []).append(located)
    return {
        agreement_id: build_timeline(
            snap, agreement_id, tags, texts, grouped.get(agreement_id, []), signoffs
        )
        for agreement_id in sorted(snap.data.agreements)
    }


def build_timeline(
    snap: Snapshot,
    agreement_id: str,
    tags: list[Tag],
    texts: dict[str, Agreement | None],
    versions_tagged: list[tuple[int, str, Tag]] | None = None,
    signoffs: dict[tuple[str, str], list[Located[SignOff]]] | None = None,
) -> Timeline:
    """Return one agreement's timeline from its tags, texts, sign-offs and terminations."""
    data = snap.data
    working = data.agreements[agreement_id].value
    versions: list[VersionState] = []
    if versions_tagged is None:
        versions_tagged = agreement_tags(tags, agreement_id)
    for number, version, tag in versions_tagged:
        text = texts.get(tag.name)
        digest = content_hash(text) if text is not None else None
        parties = list(text.parties) if text is not None else list(working.parties)
        approvals = []
        candidates = (
            signoffs.get((agreement_id, version), []) if signoffs is not None else data.signoffs
        )
        for located in candidates:
            so = located.value
            if so.agreement != agreement_id or so.version != version:
                continue
            matches = text is not None and hash_matches(so.content_hash, text)
            approvals.append(
                Approval(
                    so.partner,
                    so.signatory,
                    so.function,
                    so.place,
                    so.date,
                    so.method,
                    bool(so.signature),
                    located.path,
                    matches,
                    matches and so.partner in parties and so.date >= tag.date.date(),
                )
            )
        approved = {a.partner for a in approvals if a.counts}
        versions.append(
            VersionState(
                version,
                number,
                tag.name,
                tag.commit,
                tag.date,
                tag.tagger,
                tag.message,
                text,
                digest,
                parties,
                sorted(approvals, key=lambda a: (a.date, a.partner)),
                [p for p in parties if p not in approved],
            )
        )
    timeline = Timeline(agreement_id, working, content_hash(working), versions)
    _place_in_time(timeline, data.terminations_for(agreement_id))
    return timeline


def _place_in_time(timeline: Timeline, records: Sequence[object]) -> None:
    """Fill each version's days in force, and the ending of the agreement."""
    from coopkit.model.base import Located

    complete = [v for v in timeline.versions if v.complete and v.text is not None]
    for v in complete:
        assert v.text is not None
        approved = v.approved_on
        if approved is None:
            continue
        start = max(approved, v.text.valid_from) if v.text.valid_from else approved
        v.in_force_from = start
        v.in_force_until = v.text.valid_until
    # A newer version that takes force ends every older one the day before.
    for i, v in enumerate(complete):
        for newer in complete[i + 1 :]:
            if newer.in_force_from is None or v.in_force_from is None:
                continue
            cut = date.fromordinal(newer.in_force_from.toordinal() - 1)
            if v.in_force_until is None or cut < v.in_force_until:
                v.in_force_until = cut
    located_records = [r for r in records if isinstance(r, Located)]
    endings = endings_of(
        timeline, [r.value for r in located_records if isinstance(r.value, Termination)]
    )
    effective = [e for e in endings if e.effective is not None]
    timeline.pending_endings = [e for e in endings if e.effective is None]
    if effective:
        ending = min(effective, key=lambda e: e.effective or date.max)
        timeline.ending = ending
        for v in complete:
            if v.in_force_from is None or ending.effective is None:
                continue
            if v.in_force_until is None or ending.effective < v.in_force_until:
                v.in_force_until = ending.effective


def notice_end(timeline: Timeline, declared: date) -> date:
    """Return the earliest last day in force for a notice given on `declared`."""
    version = timeline.version_on(declared)
    if version is None:
        complete = [v for v in timeline.versions if v.complete]
        version = complete[-1] if complete else None
    text = version.text if version is not None and version.text is not None else timeline.working
    return add_duration(declared, text.notice_period) if text.notice_period else declared


def endings_of(timeline: Timeline, records: list[Termination]) -> list[Ending]:
    """Return the endings the termination records declare (a mutual one once all parties agree)."""
    endings = []
    for record in records:
        if record.kind != "notice":
            continue
        earliest = notice_end(timeline, record.date)
        effective = max(record.effective, earliest) if record.effective else earliest
        endings.append(
            Ending("notice", effective, record.date, [record.partner], [], record.reason)
        )
    mutual = [r for r in records if r.kind == "mutual"]
    if mutual:
        latest = next((v for v in reversed(timeline.versions) if v.complete), None)
        parties = latest.parties if latest is not None else list(timeline.working.parties)
        by_effective: dict[date | None, list[Termination]] = {}
        for record in mutual:
            by_effective.setdefault(record.effective, []).append(record)
        for agreed_day, group in sorted(by_effective.items(), key=lambda item: item[0] or date.max):
            agreed = sorted({r.partner for r in group})
            missing = [p for p in parties if p not in agreed]
            declared = max(r.date for r in group)
            reason = next((r.reason for r in group if r.reason), None)
            if missing:
                endings.append(Ending("mutual-pending", None, declared, agreed, missing, reason))
            else:
                endings.append(Ending("mutual", agreed_day, declared, agreed, [], reason))
    return endings
