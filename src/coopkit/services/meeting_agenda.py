"""The pre-filled agenda of a new meeting: approval, open actions, due obligations, revisions."""

from __future__ import annotations

import re
from datetime import date

from dateutil.relativedelta import relativedelta

from coopkit.errors import T
from coopkit.model.agreement import Agreement
from coopkit.model.base import parse_duration
from coopkit.model.minutes import Minutes, Top
from coopkit.model.repo import RepoData
from coopkit.render.dates import short_date
from coopkit.schedule import RecurrenceError, describe_frequency, occurrences
from coopkit.services.context import Context
from coopkit.services.meetings import action_rows, person_name
from coopkit.store import layout
from coopkit.store.git import GitRepo

_VERSION = re.compile(r"^v(\d+)$")


def previous_meetings(data: RepoData, agreements: list[str], day: date) -> list[Minutes]:
    """Return earlier meetings that share an agreement with `agreements`, oldest first."""
    wanted = set(agreements)
    found = [
        m.value
        for m in data.minutes.values()
        if m.value.date < day and wanted & set(m.value.agreements)
    ]
    return sorted(found, key=lambda m: (m.date, m.id))


def next_review(agreement: Agreement, after: date) -> date | None:
    """Return the first review date (valid_from + n x review_cycle) after `after`."""
    if agreement.valid_from is None or agreement.review_cycle is None:
        return None
    years, months, weeks, days = parse_duration(agreement.review_cycle)
    step = relativedelta(years=years, months=months, weeks=weeks, days=days)
    for n in range(1, 1000):
        candidate = agreement.valid_from + step * n
        if candidate > after:
            if agreement.valid_until and candidate > agreement.valid_until:
                return None
            return candidate
    return None


def _latest_version(tags: list[str], agreement_id: str) -> tuple[str, str] | None:
    best: tuple[int, str, str] | None = None
    for name in tags:
        prefix, sep, version = name.rpartition("/")
        match = _VERSION.match(version)
        if sep and prefix == agreement_id and match:
            number = int(match.group(1))
            if best is None or number > best[0]:
                best = (number, version, name)
    return (best[1], best[2]) if best else None


def _revision_lines(
    ctx: Context, data: RepoData, agreements: list[str], day: date, lang: str
) -> list[str]:
    lines = []
    tags: list[str] = []
    repo: GitRepo | None = None
    if (ctx.root / ".git").exists():
        repo = GitRepo(ctx.root)
        tags = [t.name for t in repo.tags()]
    try:
        for agreement_id in agreements:
            agreement = data.agreements[agreement_id].value
            path = layout.agreement_path(agreement_id)
            latest = _latest_version(tags, agreement_id)
            if latest is None:
                state = T("noch keine Fassung veröffentlicht", "no version released yet")
            else:
                version, tag = latest
                released = repo.read_blob(tag, path) if repo else None
                current = (ctx.root / path).read_bytes() if (ctx.root / path).is_file() else None
                if released is not None and released == current:
                    state = T("unverändert seit {v}", "unchanged since {v}", v=version)
                else:
                    state = T(
                        "Arbeitsfassung gegenüber {v} geändert, noch nicht veröffentlicht",
                        "working text changed since {v}, not yet released",
                        v=version,
                    )
            review = next_review(agreement, day)
            review_text = (
                T("; nächste Überprüfung: {d}", "; next review: {d}", d=short_date(review, lang))
                if review
                else T("", "")
            )
            lines.append(f"- {agreement.title}: {state.format(lang)}{review_text.format(lang)}")
    finally:
        if repo is not None:
            repo.close()
    return lines


def _partner_label(data: RepoData, partner_id: str) -> str:
    partner = data.find_partner(partner_id)
    return partner.label if partner else partner_id


def _obligation_lines(
    data: RepoData, agreements: list[str], since: date | None, day: date, lang: str
) -> list[str]:
    lines = []
    for agreement_id in agreements:
        agreement = data.agreements[agreement_id].value
        done = {(f.obligation, f.partner, f.due) for f in data.fulfilments_for(agreement_id)}
        for ob in agreement.obligations:
            try:
                dates = occurrences(ob, agreement.valid_from, agreement.valid_until, day)
            except RecurrenceError:
                dates = []
            dates = [d for d in dates if since is None or d > since]
            if not dates:
                continue
            owners = ", ".join(_partner_label(data, p) for p in ob.by)
            due_texts = []
            for d in dates:
                recorded = all((ob.id, p, d) in done for p in ob.by)
                mark = T(" (erfasst)", " (recorded)").format(lang) if recorded else ""
                due_texts.append(short_date(d, lang) + mark)
            clause = f", § {ob.clause}" if ob.clause is not None else ""
            lines.append(
                T(
                    "- {w}: {x} ({f}{c}); fällig {d}",
                    "- {w}: {x} ({f}{c}); due {d}",
                    c=clause,
                    f=describe_frequency(ob, lang),
                    w=owners,
                    x=ob.what,
                    d=", ".join(due_texts),
                ).format(lang)
            )
    return lines


def prefilled_agenda(
    ctx: Context, data: RepoData, agreements: list[str], day: date, lang: str
) -> list[Top]:
    """Return the agenda of a new meeting; the last TOP is „Verschiedenes“."""
    previous = previous_meetings(data, agreements, day)
    last = previous[-1] if previous else None
    unapproved = [m for m in previous if m.status != "approved"]
    tops: list[Top] = []
    if unapproved:
        dates = T(" und ", " and ").format(lang).join(short_date(m.date, lang) for m in unapproved)
        tops.append(
            Top(
                title=T(
                    "Begrüßung und Genehmigung der Niederschrift vom {d}",
                    "Welcome and approval of the minutes of {d}",
                    d=dates,
                ).format(lang)
            )
        )
    else:
        tops.append(Top(title=T("Begrüßung", "Welcome").format(lang)))
    open_rows = [
        r for r in action_rows(data, ctx.today, open_only=True, meetings=[m.id for m in previous])
    ]
    if open_rows:
        notes = "\n".join(
            T(
                "- {w} – {x} (bis {d}; aus der Sitzung vom {m}, TOP {t})",
                "- {w} – {x} (due {d}; from the meeting of {m}, item {t})",
                m=short_date(r.meeting_date, lang),
                t=r.top,
                w=person_name(data, r.who),
                x=r.what,
                d=short_date(r.due, lang),
            ).format(lang)
            for r in open_rows
        )
        title = T("Offene Aufgaben", "Open actions").format(lang)
        tops.append(Top(title=title, notes=notes + "\n"))
    since = last.date if last else None
    obligation_lines = _obligation_lines(data, agreements, since, day, lang)
    if obligation_lines:
        intro = (
            T(
                "Seit der Sitzung vom {d} fällig:",
                "Due since the meeting of {d}:",
                d=short_date(since, lang),
            )
            if since
            else T("Bis zur Sitzung fällig:", "Due up to this meeting:")
        ).format(lang)
        tops.append(
            Top(
                title=T("Fällige Pflichten", "Obligations due").format(lang),
                notes=intro + "\n\n" + "\n".join(obligation_lines) + "\n",
            )
        )
    revision_lines = _revision_lines(ctx, data, agreements, day, lang)
    if revision_lines:
        tops.append(
            Top(
                title=T("Änderungen der Vereinbarungen", "Changes to the agreements").format(lang),
                notes="\n".join(revision_lines) + "\n",
            )
        )
    tops.append(Top(title=T("Verschiedenes", "Any other business").format(lang)))
    return tops
