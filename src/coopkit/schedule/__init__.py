"""Recurrence and due dates of obligations (pure: no I/O, no clock)."""

from coopkit.schedule.recurrence import (
    RecurrenceError,
    describe_frequency,
    horizon_end,
    occurrences,
    rrule_for,
)

__all__ = ["RecurrenceError", "describe_frequency", "horizon_end", "occurrences", "rrule_for"]
