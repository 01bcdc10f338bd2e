"""`coop agreement diff`: two states of an agreement compared as text, obligations and redline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

from coopkit.errors import T
from coopkit.i18n import gettext
from coopkit.model.agreement import Agreement
from coopkit.model.compare import AgreementDiff, FieldChange, compare_agreements
from coopkit.queries.context import Context
from coopkit.queries.load import snapshot
from coopkit.queries.lookup import get_agreement
from coopkit.render.redline import Change
from coopkit.services.documents import read_agreement
from coopkit.services.outputs import check_output, write_output
from coopkit.store import layout

WORKTREE = "WORKTREE"


@dataclass(frozen=True)
class DiffResult:
    """Two states of one agreement and what differs between them."""

    agreement_id: str
    from_label: str
    to_label: str
    from_commit: str | None
    """None for the working text."""
    to_commit: str | None
    old: Agreement
    new: Agreement
    diff: AgreementDiff


def _working_label(lang: str) -> str:
    return gettext("Arbeitstext", lang)


def resolve_revision(ctx: Context, agreement_id: str, rev: str | None) -> tuple[str, str | None]:
    """Return (label, commit) for a version name, a commit-ish, or WORKTREE/None (commit None)."""
    from coopkit.store.git import GitRepo

    if rev is None or rev.upper() == WORKTREE:
        return _working_label(ctx.lang), None
    snap = snapshot(ctx)
    get_agreement(snap, agreement_id)
    found = snap.timeline(agreement_id).get(rev)
    if found is not None:
        return rev, found.commit
    with GitRepo(ctx.root) as repo:
        commit = repo.resolve(rev)
    return rev, commit


def _default_from(ctx: Context, agreement_id: str) -> str:
    snap = snapshot(ctx)
    get_agreement(snap, agreement_id)
    latest = snap.timeline(agreement_id).latest
    return latest.version if latest else "HEAD"


def diff_agreement(
    ctx: Context, agreement_id: str, from_rev: str | None = None, to_rev: str | None = None
) -> DiffResult:
    """Compare an agreement at two revisions (default: last released version → working text)."""
    from_label, from_commit = resolve_revision(
        ctx, agreement_id, from_rev if from_rev is not None else _default_from(ctx, agreement_id)
    )
    to_label, to_commit = resolve_revision(ctx, agreement_id, to_rev)
    old = read_agreement(ctx, agreement_id, from_commit)
    new = read_agreement(ctx, agreement_id, to_commit)
    return DiffResult(
        agreement_id,
        from_label,
        to_label,
        from_commit,
        to_commit,
        old.agreement,
        new.agreement,
        compare_agreements(old.agreement, new.agreement),
    )


def _obligation_words(agreement: Agreement, obligation_id: str, field: str, lang: str) -> str:
    from coopkit.render.dates import long_date
    from coopkit.schedule import RecurrenceError, describe_frequency

    obligation = agreement.find_obligation(obligation_id)
    if obligation is None:
        return ""
    if field == "first_due":
        return long_date(obligation.first_due, lang) if obligation.first_due else ""
    try:
        return describe_frequency(obligation, lang)
    except (RecurrenceError, ValueError):
        # `coop check` names a broken rule; the comparison shows it as written.
        return obligation.every or obligation.rrule or ""


WORDED_FIELDS = ("recurrence", "first_due")
"""Obligation fields a reader sees in words (as `agreement show` and the document say them)."""


def field_words(
    result: DiffResult, obligation_id: str, change: FieldChange, lang: str
) -> tuple[str, str]:
    """Return the old and new value of an obligation's changed field as a reader sees them.

    How often and the first due date read as words ("halbjährlich → jährlich", "30. Juni 2014"),
    the words of `agreement show` and the agreement document; other fields as written.
    """
    if change.field not in WORDED_FIELDS:
        return change.old, change.new
    old = _obligation_words(result.old, obligation_id, change.field, lang)
    new = _obligation_words(result.new, obligation_id, change.field, lang)
    if old == new:
        # Two spellings of one rhythm (P1Y and P12M): the words alone would show no change.
        return f"{old} ({change.old})", f"{new} ({change.new})"
    return old, new


def _today_change(ctx: Context) -> Change:
    author = ctx.author()
    return Change(author.name, datetime.combine(ctx.today, time(12, 0), tzinfo=UTC))


def history(ctx: Context, result: DiffResult) -> tuple[list[Agreement], list[Change]]:
    """Return the agreement after each commit between FROM and TO, and who made each commit.

    The commits are those touching the agreement file in `FROM..TO`, oldest first. Commits whose
    file does not parse are skipped (their changes go to the next state). When TO is the working
    text, its uncommitted changes are attributed to the acting person and today. When TO does
    not descend from FROM, every change is attributed to the last commit of TO's file.
    """
    from coopkit.errors import CoopError
    from coopkit.store.git import GitRepo

    path = layout.agreement_path(result.agreement_id)
    states = [result.old]
    changes: list[Change] = []
    with GitRepo(ctx.root) as repo:
        end = result.to_commit or repo.head()
        commits = []
        if result.from_commit is not None and end is not None:
            commits = list(reversed(repo.log([path], rev=f"{result.from_commit}..{end}")))
        reached_end = False
        for commit in commits:
            try:
                state = read_agreement(ctx, result.agreement_id, commit.sha).agreement
            except CoopError:
                reached_end = False
                continue
            states.append(state)
            changes.append(Change(commit.author, commit.date))
            reached_end = True
        fallback = None
        if result.to_commit is not None and not reached_end:
            last = repo.log([path], rev=result.to_commit, limit=1)
            fallback = Change(last[0].author, last[0].date) if last else None
    if result.to_commit is None:
        states.append(result.new)
        changes.append(_today_change(ctx))
    elif reached_end:
        states[-1] = result.new
    else:
        states.append(result.new)
        changes.append(fallback or _today_change(ctx))
    return states, changes


def write_redline(ctx: Context, result: DiffResult, output: Path) -> Path:
    """Write a .docx of the TO text, in the agreement's layout, with the changes tracked."""
    from coopkit.render.package import DocumentInfo
    from coopkit.render.redline import render_redline
    from coopkit.services.documents import state_bytes

    check_output(ctx, output)
    snap = snapshot(ctx)
    data = snap.data
    states, changes = history(ctx, result)
    timeline = snap.timeline(result.agreement_id)
    names = [timeline.get(result.from_label)] + [None] * (len(states) - 2)
    names.append(timeline.get(result.to_label))
    rendered = [
        state_bytes(ctx, data, state, name) for state, name in zip(states, names, strict=True)
    ]
    heading = T(
        "Änderungen {f} → {t}", "changes {f} → {t}", f=result.from_label, t=result.to_label
    ).format(ctx.lang)
    info = DocumentInfo(
        title=f"{result.new.title} ({heading})",
        subject=heading,
        author=changes[-1].author,
        created=changes[-1].date,
        modified=changes[-1].date,
        lang=ctx.lang,
        keywords=result.agreement_id,
    )
    document = render_redline(rendered, changes, info)
    return write_output(ctx, output, document)
