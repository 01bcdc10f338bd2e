"""The period an evaluation covers: a calendar year, an explicit range, or last year."""

from __future__ import annotations

from datetime import date

from coopkit.errors import T, UsageError


def period(
    year: int | None, start: date | None, end: date | None, today: date
) -> tuple[date, date]:
    """Return the period: a calendar year, an explicit range, or last year by default."""
    if year is not None and (start is not None or end is not None):
        raise UsageError(
            T("--year oder --from/--to, nicht beides", "--year or --from/--to, not both")
        )
    if year is not None:
        return date(year, 1, 1), date(year, 12, 31)
    if start is None and end is None:
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    first = start or date((end or today).year, 1, 1)
    last = end or today
    if last < first:
        raise UsageError(
            T(
                "--to {b} liegt vor --from {a}",
                "--to {b} is before --from {a}",
                a=first.isoformat(),
                b=last.isoformat(),
            )
        )
    return first, last
