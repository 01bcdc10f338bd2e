"""The repository settings from coop.toml."""

from __future__ import annotations

from typing import Literal

from coopkit.model.base import Id, Record


class Signing(Record):
    """Signing policy."""

    require_ssh: bool = False


class Schedule(Record):
    """Scheduling settings."""

    horizon_years: int = 3
    """How far occurrences of open-ended obligations are computed past today."""


class Config(Record):
    """The contents of coop.toml."""

    name: str
    locale: Literal["de", "en"] = "de"
    controller: Id | None = None
    """Partner id of the data-protection controller."""
    signing: Signing = Signing()
    schedule: Schedule = Schedule()
