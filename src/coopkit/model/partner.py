"""Partners: organisations with address, representative, contacts and signing keys."""

from __future__ import annotations

from datetime import date
from functools import cached_property

from pydantic import field_validator, model_validator

from coopkit.model.base import Id, Record, fail


class Address(Record):
    """A postal address; the postcode is text so leading zeros survive."""

    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str = "DE"


class Contact(Record):
    """A contact person of a partner, reachable for some topics."""

    id: Id
    name: str
    function: str | None = None
    email: str | None = None
    phone: str | None = None
    topics: list[str] = []
    left: date | None = None
    """The day the person left the partner; the retention clock of their data starts here."""


class SigningKey(Record):
    """An SSH public key a partner's signatory uses to sign sign-off records."""

    key: str
    signatory: str | None = None
    valid_after: date | None = None
    valid_before: date | None = None

    @field_validator("key")
    @classmethod
    def _is_ssh_key(cls, value: str) -> str:
        parts = value.split()
        if len(parts) < 2 or not (parts[0].startswith("ssh-") or parts[0].startswith("ecdsa-")):
            raise fail(
                "kein öffentlicher SSH-Schlüssel; erwartet „ssh-ed25519 AAAA… Kommentar“",
                'not an SSH public key; expected "ssh-ed25519 AAAA... comment"',
            )
        return value

    @model_validator(mode="after")
    def _window(self) -> SigningKey:
        if self.valid_after and self.valid_before and self.valid_before <= self.valid_after:
            raise fail(
                "valid_before ({b}) liegt nicht nach valid_after ({a})",
                "valid_before ({b}) is not after valid_after ({a})",
                a=self.valid_after.isoformat(),
                b=self.valid_before.isoformat(),
            )
        return self


class Partner(Record):
    """An organisation that is party to agreements."""

    id: Id
    name: str
    short: str | None = None
    address: Address | None = None
    represented_by: str | None = None
    representative: str | None = None
    email: str | None = None
    phone: str | None = None
    web: str | None = None
    contacts: list[Contact] = []
    keys: list[SigningKey] = []

    @property
    def label(self) -> str:
        """Return the short name, or the legal name when there is none."""
        return self.short or self.name

    @cached_property
    def _contacts_by_id(self) -> dict[str, Contact]:
        return {c.id: c for c in reversed(self.contacts)}

    def find_contact(self, contact_id: str) -> Contact | None:
        """Return the contact with this id (the first one if repeated), or None."""
        return self._contacts_by_id.get(contact_id)
