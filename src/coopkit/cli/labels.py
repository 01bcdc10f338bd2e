"""Words for values in tables and messages: days, and the states of meetings and actions."""

from __future__ import annotations

from coopkit.i18n import C_, Msg

_MINUTES_STATUS: dict[str, Msg] = {
    "draft": C_("state", "Entwurf"),
    "sent": C_("state", "versandt"),
    "approved": C_("state", "genehmigt"),
    "cancelled": C_("state", "abgesagt"),
}


def status_text(value: str, lang: str) -> str:
    """Return the word for a meeting's or an action's state."""
    from coopkit.queries.actions import state_label

    if value in _MINUTES_STATUS:
        return _MINUTES_STATUS[value].format(lang)
    return state_label(value, lang)


def day_text(value: object, lang: str) -> str:
    """Return a short date, or a dash where there is none."""
    from datetime import date

    from coopkit.render.dates import short_date

    return short_date(value, lang) if isinstance(value, date) else "—"
