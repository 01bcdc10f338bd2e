"""Fulfilment records: what happened to one occurrence of an obligation for one partner."""

from __future__ import annotations

from datetime import date
from typing import Literal

from coopkit.model.base import Id, Record

FulfilmentStatus = Literal["fulfilled", "partly", "missed", "waived"]


class Fulfilment(Record):
    """The record that partner P did (or did not) meet obligation O due on D."""

    obligation: Id
    partner: Id
    due: date
    date: date
    status: FulfilmentStatus = "fulfilled"
    note: str | None = None
    recorded_by: str | None = None
