"""Termination records: a party's notice, or its consent to end an agreement by mutual consent."""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import model_validator

from coopkit.model.base import Id, Record, fail

TerminationKind = Literal["notice", "mutual"]


class Termination(Record):
    """Partner P gave notice on D (or agreed on D to end the agreement by mutual consent)."""

    agreement: Id
    partner: Id
    kind: TerminationKind = "notice"
    date: datetime.date
    effective: datetime.date | None = None
    """Last day the agreement is in force; for a notice at least `date` + notice period."""
    reason: str | None = None
    signatory: str | None = None

    @model_validator(mode="after")
    def _order(self) -> Termination:
        if self.effective is not None and self.effective < self.date:
            raise fail(
                "„effective“ ({e}) liegt vor dem Datum der Erklärung ({d})",
                '"effective" ({e}) is before the date of the declaration ({d})',
                e=self.effective.isoformat(),
                d=self.date.isoformat(),
            )
        if self.kind == "mutual" and self.effective is None:
            raise fail(
                "eine einvernehmliche Aufhebung braucht „effective“ (letzter Tag der Geltung)",
                'ending by mutual consent needs "effective" (the last day in force)',
            )
        return self
