"""`coop status`: an overview of agreements, partners and minutes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coopkit.model.repo import RepoData
from coopkit.services.context import Context
from coopkit.services.repository import load_worktree
from coopkit.store.git import GitRepo

VERSION_SEP = "/"


def version_tag(agreement_id: str, version: str) -> str:
    """Return the git tag name of an agreement version (`<id>/v2`)."""
    return f"{agreement_id}{VERSION_SEP}{version}"


@dataclass
class AgreementStatus:
    """One agreement in the overview."""

    id: str
    title: str
    parties: list[str]
    status: str
    latest_version: str | None
    approved_by: list[str]
    missing: list[str]
    in_force: bool
    in_force_version: str | None = None
    changed_since_release: bool | None = None
    """Whether the working text differs from the latest version (None: never released)."""
    approvals: list[dict[str, Any]] = field(default_factory=list)
    """Approvals of the latest version: partner, signatory, function, date, method, ..."""


@dataclass
class MinutesStatus:
    """One meeting in the overview."""

    id: str
    date: str
    title: str
    status: str


@dataclass
class Status:
    """The overview `coop status` prints."""

    name: str
    agreements: list[AgreementStatus] = field(default_factory=list)
    partners: list[tuple[str, str]] = field(default_factory=list)
    minutes: list[MinutesStatus] = field(default_factory=list)
    problems: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    overdue: dict[str, int] = field(default_factory=dict)
    """Overdue obligation occurrences and actions per partner, as of today."""
    draft_minutes: list[str] = field(default_factory=list)
    unapproved_minutes: list[str] = field(default_factory=list)
    """Minutes sent but not yet approved."""
    open_actions: int = 0
    overdue_actions: int = 0


def versions_by_agreement(ctx: Context) -> dict[str, list[str]]:
    """Return released versions per agreement, oldest first, from the annotated tags."""
    result: dict[str, list[str]] = {}
    with GitRepo(ctx.root) as repo:
        for tag in repo.tags():
            agreement_id, sep, version = tag.name.rpartition(VERSION_SEP)
            if sep and agreement_id:
                result.setdefault(agreement_id, []).append(version)
    return result


def agreement_overview(data: RepoData, versions: dict[str, list[str]]) -> list[AgreementStatus]:
    """Summarise each agreement: latest version, who approved it, whether it is in force."""
    rows = []
    for agreement_id in sorted(data.agreements):
        agreement = data.agreements[agreement_id].value
        released = versions.get(agreement_id, [])
        latest = released[-1] if released else None
        approved = (
            sorted(s.partner for s in data.signoffs_for(agreement_id, latest)) if latest else []
        )
        missing = [p for p in agreement.parties if p not in approved]
        in_force = any(
            all(
                p in {s.partner for s in data.signoffs_for(agreement_id, v)}
                for p in agreement.parties
            )
            for v in released
        )
        rows.append(
            AgreementStatus(
                agreement_id,
                agreement.title,
                list(agreement.parties),
                agreement.status,
                latest,
                approved,
                missing if latest else list(agreement.parties),
                in_force,
            )
        )
    return rows


def status(ctx: Context) -> Status:
    """Build the overview of the repository."""
    loaded = load_worktree(ctx)
    data = loaded.data
    name = data.config.value.name if data.config else ctx.root.name
    result = Status(name=name, problems=len(loaded.problems))
    result.agreements = agreement_overview(data, versions_by_agreement(ctx))
    from coopkit.services.signoffs import enrich_status  # signoffs imports this module

    enrich_status(ctx, data, result.agreements)
    result.partners = [(p.value.id, p.value.name) for _, p in sorted(data.partners.items())]
    result.minutes = [
        MinutesStatus(m.value.id, m.value.date.isoformat(), m.value.title, m.value.status)
        for m in sorted(data.minutes.values(), key=lambda m: m.value.date, reverse=True)
    ]
    from coopkit.services.followup import overdue_counts

    result.overdue = overdue_counts(data, ctx.today)
    from coopkit.services.meetings import minutes_overview

    overview = minutes_overview(data, ctx.today)
    result.draft_minutes = overview.drafts
    result.unapproved_minutes = overview.unapproved
    result.open_actions = overview.open_actions
    result.overdue_actions = overview.overdue_actions
    return result
