"""`coop status`: the overview of agreements, partners, minutes and what is overdue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coopkit.model.minutes import Minutes
from coopkit.queries.due import overdue_counts
from coopkit.queries.load import Snapshot
from coopkit.queries.versions import Lifecycle, Timeline


@dataclass
class AgreementStatus:
    """One agreement in the overview."""

    id: str
    title: str
    parties: list[str]
    state: str
    """Lifecycle state: draft, pending, approved, in_force, expired, terminated."""
    state_text: str
    """The state in words, in the language of the answer."""
    latest_version: str | None
    approved_by: list[str]
    missing: list[str]
    in_force: bool
    in_force_version: str | None = None
    in_force_since: str | None = None
    in_force_until: str | None = None
    changed_since_release: bool | None = None
    """Whether the working text differs from the latest version (None: never released)."""
    approvals: list[dict[str, Any]] = field(default_factory=list)
    """Approvals of the latest version: partner, signatory, function, date, method, ..."""


@dataclass(slots=True)
class MinutesStatus:
    """One meeting in the overview."""

    id: str
    date: str
    title: str
    status: str


def minutes_status(minutes: Minutes) -> MinutesStatus:
    """Return a meeting as the overview lists it."""
    return MinutesStatus(minutes.id, minutes.date.isoformat(), minutes.title, minutes.status)


@dataclass
class PartnerStatus:
    """One partner in the overview."""

    id: str
    name: str
    overdue: int = 0
    broken: str | None = None
    """The path of the partner's file when it failed to load (only the id is known)."""


@dataclass
class Status:
    """The overview `coop status` prints."""

    name: str
    agreements: list[AgreementStatus] = field(default_factory=list)
    partners: list[PartnerStatus] = field(default_factory=list)
    minutes: list[MinutesStatus] = field(default_factory=list)
    problems: int = 0
    overdue: dict[str, int] = field(default_factory=dict)
    """Overdue occurrences and actions per partner, as `coop due --overdue` lists them."""
    draft_minutes: list[str] = field(default_factory=list)
    unapproved_minutes: list[str] = field(default_factory=list)
    """Minutes sent but not yet approved."""
    open_actions: int = 0
    overdue_actions: int = 0


def agreement_status(timeline: Timeline, state: Lifecycle, lang: str) -> AgreementStatus:
    """Summarise one agreement: its lifecycle, latest version and who approved it."""
    agreement = timeline.working
    latest = timeline.latest
    approvals = latest.approvals if latest else []
    return AgreementStatus(
        id=agreement.id,
        title=agreement.title,
        parties=list(agreement.parties),
        state=state.state,
        state_text=state.label(lang),
        latest_version=latest.version if latest else None,
        approved_by=sorted({a.partner for a in approvals if a.counts}),
        missing=list(latest.missing) if latest else list(agreement.parties),
        in_force=state.in_force,
        in_force_version=state.version if state.in_force else None,
        in_force_since=state.since.isoformat() if state.in_force and state.since else None,
        in_force_until=state.until.isoformat() if state.in_force and state.until else None,
        changed_since_release=timeline.changed_since_release,
        approvals=[
            {
                "partner": a.partner,
                "signatory": a.signatory,
                "function": a.function,
                "date": a.date.isoformat(),
                "method": a.method,
                "ssh_signed": a.ssh_signed,
                "matches_version": a.matches_version,
                "counts": a.counts,
                "basis": a.basis,
                "recorded_by": a.recorded_by,
                "reasons": [reason for _, reason in a.reasons],
            }
            for a in approvals
        ],
    )


def status(snap: Snapshot) -> Status:
    """Build the overview of the repository as of the snapshot's day."""
    data = snap.data
    name = data.config.value.name if data.config else snap.ctx.root.name
    result = Status(name=name, problems=snap.problem_count())
    for timeline in snap.timelines().values():
        result.agreements.append(
            agreement_status(timeline, timeline.lifecycle(snap.today), snap.lang)
        )
    result.overdue = overdue_counts(snap)
    result.partners = [
        PartnerStatus(p.value.id, p.value.name, result.overdue.get(p.value.id, 0))
        for _, p in sorted(data.partners.items())
    ]
    result.partners += [
        PartnerStatus(pid, "", result.overdue.get(pid, 0), path)
        for pid, path in data.broken.get("partner", {}).items()
        if pid not in data.partners
    ]
    result.partners.sort(key=lambda p: p.id)
    ordered = sorted(snap.meeting_rows(), key=lambda m: (m.date, m.id), reverse=True)
    result.minutes = ordered
    oldest_first = list(reversed(ordered))
    result.draft_minutes = [m.id for m in oldest_first if m.status == "draft"]
    result.unapproved_minutes = [m.id for m in oldest_first if m.status == "sent"]
    open_rows = snap.action_rows(open_only=True)
    result.open_actions = len(open_rows)
    result.overdue_actions = sum(r.overdue for r in open_rows)
    return result
