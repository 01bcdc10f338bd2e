"""`coop report --repos`: one evaluation overview across many repositories, never merged.

Each repository is read on its own (its own index and remembered answers under its `.coop/`),
so a Land office that oversees many districts' repositories pays per repository what that
repository costs alone. A repository that cannot be read is reported as such; the others still are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from coopkit.errors import CoopError, T, UsageError
from coopkit.queries.answers import remember
from coopkit.queries.context import Context
from coopkit.queries.period import period

if TYPE_CHECKING:
    from coopkit.queries.load import Snapshot

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class AgreementLine:
    """One agreement's figures for the period."""

    agreement: str
    title: str
    state: str
    fulfilled: int
    partly: int
    missed: int
    waived: int
    open: int
    meetings: int
    actions_open: int
    actions_overdue: int


@dataclass
class RepositoryLines:
    """The figures of one repository, or why it could not be read."""

    repository: str
    name: str
    agreements: list[AgreementLine] = field(default_factory=list)
    problems: int = 0
    error: str | None = None


@dataclass(frozen=True)
class ManyReport:
    """The overview across repositories for one period."""

    start: date
    end: date
    repositories: list[RepositoryLines]


def read_manifest(path: Path) -> list[Path]:
    """Return the repository folders a manifest lists: one per line, `#` starts a comment.

    Relative paths count from the manifest's folder.
    """
    from coopkit.services.inputs import read_input_text

    text = read_input_text(
        path, T("Liste der Repositories (--manifest)", "list of repositories (--manifest)")
    )
    folders = []
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            folders.append((path.parent / entry).resolve())
    return folders


def _lines(snap: Snapshot, start: date, end: date) -> RepositoryLines:
    # Only for an answer not remembered yet: an unchanged repository loads no record at all.
    from coopkit.services.report import build_report

    data = snap.data
    name = data.config.value.name if data.config else snap.ctx.root.name
    result = RepositoryLines(str(snap.ctx.root), name, problems=snap.problem_count())
    timelines = snap.timelines()
    for agreement_id in sorted(data.agreements):
        report = build_report(snap, agreement_id, start, end, history=[])
        counts = {k: sum(getattr(p, k) for p in report.obligations) for k in _COUNTS}
        summary = report.action_summary
        result.agreements.append(
            AgreementLine(
                agreement_id,
                report.title,
                timelines[agreement_id].lifecycle(snap.today).label(snap.lang),
                meetings=len(report.meetings),
                actions_open=summary.open if summary else 0,
                actions_overdue=summary.overdue if summary else 0,
                **counts,
            )
        )
    return result


_COUNTS = ("fulfilled", "partly", "missed", "waived", "open")


def report_many(
    ctx: Context,
    roots: Sequence[Path],
    *,
    year: int | None = None,
    start: date | None = None,
    end: date | None = None,
    progress: ProgressFn | None = None,
) -> ManyReport:
    """Return each repository's figures per agreement for a period (default: last year)."""
    if not roots:
        raise UsageError(
            T("keine Repositories angegeben", "no repositories given"),
            hint=T(
                "coop report --repos KREIS-A KREIS-B … oder --manifest liste.txt",
                "coop report --repos DISTRICT-A DISTRICT-B … or --manifest list.txt",
            ),
        )
    first, last = period(year, start, end, ctx.today)
    repositories = []
    for n, root in enumerate(roots):
        if progress is not None:
            progress(n, len(roots))
        try:
            from coopkit.queries.context import find_root

            found = find_root(root)
            lines = remember(
                ctx.with_root(found),
                "report many",
                (first.isoformat(), last.isoformat()),
                lambda snap: _lines(snap, first, last),
            )
        except CoopError as err:
            repositories.append(
                RepositoryLines(str(root), root.name, error=err.message.format(ctx.lang))
            )
            continue
        repositories.append(lines)
    if progress is not None:
        progress(len(roots), len(roots))
    return ManyReport(first, last, repositories)
