"""The repository settings from coop.toml."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from coopkit.model.base import Id, Record, fail
from coopkit.model.retention import Retention

HORIZON_MAX = 100

LAENDER = (
    "BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH",
)  # fmt: skip
"""The codes of the 16 German Länder (ISO 3166-2:DE without the "DE-")."""

MUNICIPAL_HOLIDAYS: dict[str, tuple[str, ...]] = {
    "BY": ("Mariä Himmelfahrt", "Augsburger Hohes Friedensfest"),
    "SN": ("Fronleichnam",),
    "TH": ("Fronleichnam",),
}
"""Holidays that hold only in some municipalities of a Land, by their German names.

Mariä Himmelfahrt in Bavaria's mostly catholic municipalities, the Friedensfest in the city of
Augsburg, Fronleichnam in the mostly catholic municipalities of Saxony and Thuringia.
"""


class Signing(Record):
    """Signing policy."""

    require_ssh: bool = False
    sign_commits: bool = False
    """Sign every commit coop makes with the acting person's SSH key (git gpg.format=ssh)."""


class Trust(Record):
    """The root of trust: the coordinator's signing keys, by fingerprint."""

    coordinator_keys: list[str] = []
    """`SHA256:…` fingerprints; a partner key counts only through a chain rooted here."""


class Schedule(Record):
    """Scheduling settings."""

    horizon_years: int = 3
    """How far occurrences of open-ended obligations are computed past today."""

    @field_validator("horizon_years")
    @classmethod
    def _bounded(cls, value: int) -> int:
        if not 0 <= value <= HORIZON_MAX:
            raise fail(
                "horizon_years = {v}: erlaubt sind 0 bis {m} Jahre",
                "horizon_years = {v}: allowed are 0 to {m} years",
                v=value,
                m=HORIZON_MAX,
            )
        return value


class Holidays(Record):
    """Holidays beyond the Land's own: those of the municipality the partners work in."""

    municipal: list[str] = []
    """German names from `MUNICIPAL_HOLIDAYS` of the configured `land`, e.g. ["Fronleichnam"]."""


class Letterhead(Record):
    """The sender of letters (invitations): who writes, from where, under which file number."""

    authority: str | None = None
    """Behörde, e.g. "Kreisverwaltung Mayen-Koblenz"; default: the coordinator's name."""
    office: str | None = None
    """Organisational unit, e.g. "Integrationsbeauftragte"."""
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    phone: str | None = None
    email: str | None = None
    web: str | None = None
    logo: str | None = None
    """PNG or JPEG file inside the repository (e.g. templates/logo.png), shown top right."""
    place: str | None = None
    """Place written before the date of a letter ("Koblenz, 7. Februar 2014"); default: city."""
    file_number: str | None = None
    """Aktenzeichen/Geschäftszeichen printed on letters unless a command gives another."""


class Config(Record):
    """The contents of coop.toml.

    Defaults of the sections are made when needed (an instance made at import would build
    each section's validator on every start).
    """

    name: str
    locale: Literal["de", "en"] = "de"
    controller: Id | None = None
    """Partner id of the data-protection controller."""
    land: str | None = None
    """The Land whose public holidays are not working days (for `on_holiday` of obligations)."""
    signing: Signing = Field(default_factory=Signing)
    trust: Trust = Field(default_factory=Trust)
    schedule: Schedule = Field(default_factory=Schedule)
    letterhead: Letterhead = Field(default_factory=Letterhead)
    holidays: Holidays = Field(default_factory=Holidays)
    retention: Retention = Field(default_factory=Retention)

    @field_validator("land")
    @classmethod
    def _known_land(cls, value: str | None) -> str | None:
        if value is not None and value not in LAENDER:
            raise fail(
                "land = „{v}“ ist kein Land; erlaubt: {k}",
                'land = "{v}" is not a German Land; allowed: {k}',
                v=value,
                k=" ".join(LAENDER),
            )
        return value
