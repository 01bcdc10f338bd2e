"""The version timeline of each agreement and its lifecycle, derived from the records.

An agreement is a draft until a version is released (an annotated tag `<id>/vN`). A released
version waits for approval until every party to that version's text approved exactly that text
(a sign-off whose content hash names it, dated on or after the release). It is in force from the
later of the last approval and its `valid_from`; it ends at its `valid_until`, when a newer
version takes force, or when a termination takes effect. Versions are ordered by number, always.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from coopkit.errors import RepositoryError, T
from coopkit.model.agreement import Agreement
from coopkit.model.base import Located, parse_duration
from coopkit.model.signoff import SignOff
from coopkit.model.termination import Termination
from coopkit.queries.verdict import Approval, Judge, Withdrawn
from coopkit.render.dates import long_date
from coopkit.signing.hashing import content_hash
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
    withdrawn: list[Withdrawn] = field(default_factory=list)
    """Sign-offs of this version that were withdrawn, each with the verdict on the withdrawal."""

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
    """How the agreement as a whole ends early: a notice or a mutual termination.

    A notice ends it under `on_notice: ends`, or when fewer than two parties would remain.
    """

    kind: Literal["notice", "mutual", "mutual-pending"]
    effective: date | None
    """Last day in force (None while a mutual termination lacks parties)."""
    declared: date
    by: list[str]
    missing: list[str] = field(default_factory=list)
    reason: str | None = None


@dataclass(frozen=True)
class Leaving:
    """A party's notice under `on_notice: party-leaves`: it leaves, the others go on."""

    partner: str
    effective: date
    """Its last day as a party: it owes nothing due after this day."""
    declared: date
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
    leavings: list[Leaving] = field(default_factory=list)
    """Parties leaving (or that left) by notice while the agreement goes on, by date."""

    def last_day_of(self, partner: str) -> date | None:
        """Return the last day `partner` takes part (None: no notice of its own ends it)."""
        return next((x.effective for x in self.leavings if x.partner == partner), None)

    def takes_part(self, partner: str, day: date) -> bool:
        """Return whether `partner` has not left by `day` (its duties due then are owed)."""
        last = self.last_day_of(partner)
        return last is None or day <= last

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
    leavings: list[Leaving] = field(default_factory=list)
    """Parties that leave (or left) by notice while the agreement goes on."""
    as_of: date | None = None
    """The day asked about: a leaving after it is still to come."""

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
    leavings = list(timeline.leavings)
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
            leavings,
            day,
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
            None,
            leavings,
            day,
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
            leavings,
            day,
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
                "in Kraft ({v}) seit {d}, gekündigt zum {e} ({w})",
                "in force ({v}) since {d}, terminated as of {e} ({w})",
                v=state.version,
                d=day(state.since),
                e=day(state.until),
                w=ending_cause(state.ending),
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
            "gekündigt, nicht mehr in Kraft seit {d} ({v}; {w})",
            "terminated, no longer in force after {d} ({v}; {w})",
            v=state.version,
            d=day(state.until),
            w=ending_cause(state.ending) if state.ending else "—",
        )
    else:
        text = T(
            "ausgelaufen am {d} ({v})",
            "expired on {d} ({v})",
            v=state.version,
            d=day(state.until),
        )
    result = text.format(lang)
    for leaving in state.leavings if state.state != "pending" else []:
        result += "; " + leaving_text(leaving, state.as_of).format(lang)
    if state.pending and state.state != "pending":
        result += T(
            "; {v} zur Freigabe (fehlt: {m})",
            "; {v} awaiting approval (missing: {m})",
            v=state.pending,
            m=missing or "—",
        ).format(lang)
    return result


def _day_words(value: date | None) -> T:
    """Return a date in words in both languages, for a text that travels as a value."""
    return T(long_date(value, "de"), long_date(value, "en"))


def ending_cause(ending: Ending, name: Callable[[str], str] = str) -> T:
    """Return why an agreement ends: "Kündigung durch caritas vom 10. Mai 2013"."""
    if ending.kind == "notice":
        return T(
            "Kündigung durch {p} vom {d}",
            "notice by {p} of {d}",
            p=", ".join(name(p) for p in ending.by),
            d=_day_words(ending.declared),
        )
    return T(
        "Aufhebung im Einvernehmen vom {d}",
        "ended by mutual consent of {d}",
        d=_day_words(ending.declared),
    )


def ending_text(ending: Ending, today: date | None, name: Callable[[str], str] = str) -> T:
    """Return the end in words: "endet zum 30. Juni 2026 (Kündigung durch VHS vom …)"."""
    ended = today is not None and ending.effective is not None and ending.effective < today
    return T(
        "endete zum {e} ({w})" if ended else "endet zum {e} ({w})",
        "ended as of {e} ({w})" if ended else "ends as of {e} ({w})",
        e=_day_words(ending.effective),
        w=ending_cause(ending, name),
    )


def leaving_text(leaving: Leaving, today: date | None, name: Callable[[str], str] = str) -> T:
    """Return a leaving in words: "vhs scheidet zum 30. Juni 2026 aus (Kündigung vom …)"."""
    left = today is not None and leaving.effective < today
    return T(
        "{p} ist zum {e} ausgeschieden (Kündigung vom {d})"
        if left
        else "{p} scheidet zum {e} aus (Kündigung vom {d})",
        "{p} left as of {e} (notice of {d})" if left else "{p} leaves as of {e} (notice of {d})",
        p=name(leaving.partner),
        e=_day_words(leaving.effective),
        d=_day_words(leaving.declared),
    )


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
    judge = Judge(snap)
    return {
        agreement_id: build_timeline(
            snap, agreement_id, tags, texts, grouped.get(agreement_id, []), signoffs, judge
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
    judge: Judge | None = None,
) -> Timeline:
    """Return one agreement's timeline from its tags, texts, sign-offs and terminations."""
    data = snap.data
    working = data.agreements[agreement_id].value
    versions: list[VersionState] = []
    if versions_tagged is None:
        versions_tagged = agreement_tags(tags, agreement_id)
    judge = judge or Judge(snap)
    for number, version, tag in versions_tagged:
        text = texts.get(tag.name)
        digest = content_hash(text) if text is not None else None
        parties = list(text.parties) if text is not None else list(working.parties)
        candidates = (
            signoffs.get((agreement_id, version), []) if signoffs is not None else data.signoffs
        )
        approvals = [
            judge.judge(located, text, parties, tag.date.date())
            for located in candidates
            if located.value.agreement == agreement_id and located.value.version == version
        ]
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
                withdrawn=judge.withdrawn(agreement_id, version),
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
    terminations = [r.value for r in located_records if isinstance(r.value, Termination)]
    leavings, _ = notices_of(timeline, terminations)
    endings = endings_of(timeline, terminations)
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
    # Leaving on or after the last day in force is not leaving: the agreement ends for all.
    end = timeline.ending.effective if timeline.ending else None
    timeline.leavings = [x for x in leavings if end is None or x.effective < end]


def text_on(timeline: Timeline, declared: date) -> Agreement:
    """Return the text a declaration on `declared` is made under (in force, else the newest)."""
    version = timeline.version_on(declared)
    if version is None:
        complete = [v for v in timeline.versions if v.complete]
        version = complete[-1] if complete else None
    return version.text if version is not None and version.text is not None else timeline.working


def notice_end(timeline: Timeline, declared: date) -> date:
    """Return the earliest last day in force for a notice given on `declared`."""
    text = text_on(timeline, declared)
    return add_duration(declared, text.notice_period) if text.notice_period else declared


def notices_of(
    timeline: Timeline, records: Sequence[Termination]
) -> tuple[list[Leaving], list[Ending]]:
    """Return who leaves by notice and which notices end the agreement, in order of effect.

    Under `on_notice: party-leaves` (of the text the notice is given under) the party leaves
    and the others go on, as long as two parties remain; otherwise the notice ends it.
    """
    notices = []
    for record in records:
        if record.kind != "notice":
            continue
        earliest = notice_end(timeline, record.date)
        effective = max(record.effective, earliest) if record.effective else earliest
        notices.append((effective, record))
    leavings: list[Leaving] = []
    endings: list[Ending] = []
    left: set[str] = set()
    for effective, record in sorted(notices, key=lambda n: (n[0], n[1].date, n[1].partner)):
        text = text_on(timeline, record.date)
        remaining = [p for p in text.parties if p not in left and p != record.partner]
        if text.notice_effect == "party-leaves" and len(remaining) >= 2:
            left.add(record.partner)
            leavings.append(Leaving(record.partner, effective, record.date, record.reason))
        else:
            endings.append(
                Ending("notice", effective, record.date, [record.partner], [], record.reason)
            )
    return leavings, endings


def endings_of(timeline: Timeline, records: list[Termination]) -> list[Ending]:
    """Return the endings the termination records declare (a mutual one once all parties agree)."""
    leavings, endings = notices_of(timeline, records)
    gone = {x.partner: x.effective for x in leavings}
    mutual = [r for r in records if r.kind == "mutual"]
    if mutual:
        latest = next((v for v in reversed(timeline.versions) if v.complete), None)
        parties = latest.parties if latest is not None else list(timeline.working.parties)
        by_effective: dict[date | None, list[Termination]] = {}
        for record in mutual:
            by_effective.setdefault(record.effective, []).append(record)
        for agreed_day, group in sorted(by_effective.items(), key=lambda item: item[0] or date.max):
            agreed = sorted({r.partner for r in group})
            # A party that left before the agreed day has no say in it.
            missing = [
                p
                for p in parties
                if p not in agreed
                and not (p in gone and agreed_day is not None and gone[p] < agreed_day)
            ]
            declared = max(r.date for r in group)
            reason = next((r.reason for r in group if r.reason), None)
            if missing:
                endings.append(Ending("mutual-pending", None, declared, agreed, missing, reason))
            else:
                endings.append(Ending("mutual", agreed_day, declared, agreed, [], reason))
    return endings
