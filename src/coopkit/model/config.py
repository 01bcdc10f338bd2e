"""The repository settings from coop.toml."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from coopkit.model.base import Duration, Id, Record, fail
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


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
"""Hosts an unencrypted SMTP connection may go to: nothing leaves the machine."""

ADDRESS_RE = re.compile(r"[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:.]+")
"""A plain e-mail address (no name, no line break): what a mail header may carry as is."""


def _check_address(value: str | None, key: str) -> str | None:
    if value is not None and not ADDRESS_RE.fullmatch(value):
        raise fail(
            "{k} = „{v}“ ist keine E-Mail-Adresse; erwartet z. B. sekretariat@kreis.example",
            '{k} = "{v}" is not an e-mail address; expected e.g. office@district.example',
            k=key,
            v=value,
        )
    return value


class Mail(Record):
    """Sending by e-mail (SMTP). The password is never here: COOP_SMTP_PASSWORD or the keyring."""

    host: str | None = None
    """The SMTP server, e.g. "smtp.kreis.example"; unset: coop sends nothing (use --eml)."""
    port: int | None = None
    """Default by `security`: 587 for starttls, 465 for tls, 25 for none."""
    security: Literal["starttls", "tls", "none"] = "starttls"
    """starttls (port 587), tls (implicit TLS, port 465), none (only to localhost)."""
    user: str | None = None
    """The SMTP login; without one coop sends without logging in."""
    from_address: str | None = None
    """The sender's address, also the ORGANIZER of invitations."""
    from_name: str | None = None
    """The sender's name shown with the address, e.g. "Integrationsbeauftragte"."""
    reply_to: str | None = None
    """Where replies go when not to `from_address`."""
    secretariat: str | None = None
    """Who is reminded of unsent minutes and pending approvals; default: `from_address`."""
    remind_every: Duration = "P7D"
    """`coop remind` names an item again only after this long (ISO 8601 duration)."""
    minutes_after: int = 14
    """Days after a meeting when `coop remind` asks the secretariat for the minutes."""
    approval_after: int = 14
    """Days a version may await approval before `coop remind` names who is missing."""

    @field_validator("minutes_after", "approval_after")
    @classmethod
    def _days(cls, value: int) -> int:
        if not 0 <= value <= 3650:
            raise fail(
                "{v}: erlaubt sind 0 bis 3650 Tage",
                "{v}: allowed are 0 to 3650 days",
                v=value,
            )
        return value

    @field_validator("secretariat")
    @classmethod
    def _secretariat(cls, value: str | None) -> str | None:
        return _check_address(value, "secretariat")

    @field_validator("port")
    @classmethod
    def _port(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= 65535:
            raise fail(
                "port = {v}: erlaubt sind 1 bis 65535",
                "port = {v}: allowed are 1 to 65535",
                v=value,
            )
        return value

    @field_validator("from_address")
    @classmethod
    def _from(cls, value: str | None) -> str | None:
        return _check_address(value, "from_address")

    @field_validator("reply_to")
    @classmethod
    def _reply(cls, value: str | None) -> str | None:
        return _check_address(value, "reply_to")

    @field_validator("host", "user", "from_name")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        # A line break in a header value would start a header of its own.
        if value is not None and (not value.strip() or any(c in value for c in "\r\n")):
            raise fail(
                "„{v}“: leer oder mit Zeilenumbruch",
                '"{v}": empty or with a line break',
                v=value,
            )
        return value

    @model_validator(mode="after")
    def _tls_unless_local(self) -> Mail:
        if self.security == "none" and self.host is not None and self.host not in LOCAL_HOSTS:
            raise fail(
                "security = „none“ nur für localhost, 127.0.0.1 oder ::1, nicht für „{h}“; "
                "bitte starttls oder tls",
                'security = "none" only for localhost, 127.0.0.1 or ::1, not for "{h}"; '
                "use starttls or tls",
                h=self.host,
            )
        return self

    @property
    def effective_port(self) -> int:
        """Return the port to connect to: the set one or the default of `security`."""
        if self.port is not None:
            return self.port
        return {"starttls": 587, "tls": 465, "none": 25}[self.security]


class ArchiveSettings(Record):
    """The public archive records are offered to before they are deleted (Landesarchivgesetz)."""

    name: str | None = None
    """The archive, e.g. "Landeshauptarchiv Koblenz"."""
    code: str | None = None
    """The archive's Behördenkennung (Behördenschlüssel), when it gave one."""
    agency_code: str | None = None
    """This authority's Behördenschlüssel as the archive knows it (xdomea Behoerdenkennung)."""


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
    mail: Mail = Field(default_factory=Mail)
    archive: ArchiveSettings = Field(default_factory=ArchiveSettings)

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
