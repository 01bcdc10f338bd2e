"""How partners and people are named wherever a reader sees them."""

from __future__ import annotations

from coopkit.model.base import split_person
from coopkit.model.repo import RepoData


def partner_name(data: RepoData, partner_id: str) -> str:
    """Return a partner's full name ("Caritasverband Koblenz e. V."), else the id as given."""
    partner = data.find_partner(partner_id)
    return partner.name if partner else partner_id


def partner_label(data: RepoData, partner_id: str) -> str:
    """Return a partner's short name for tables ("Caritas Koblenz"), else the full name or id."""
    partner = data.find_partner(partner_id)
    return partner.label if partner else partner_id


def partner_labels(data: RepoData, ids: list[str]) -> str:
    """Return the short names of partners, comma-separated."""
    return ", ".join(partner_label(data, i) for i in ids)


def has_to_do(person: str | None, partner_id: str, contact_id: str | None) -> bool:
    """Return whether `person` (`partner/contact`) has to do an item; True for no person asked.

    The one meaning of "what one person has to do", asked by `coop due`, `coop checklist` and
    `coop action list` alike: the item's responsible contact (an obligation's contact in charge,
    see `responsible_contact`; an action's owner) is that contact of that partner. An item the
    organisation as a whole owes belongs to no one person.
    """
    if person is None:
        return True
    return contact_id is not None and person == f"{partner_id}/{contact_id}"


def contact_name(data: RepoData, partner_id: str, contact_id: str | None) -> str:
    """Return a contact's name ("Gisela Bernert"), the id when unknown, "" for none."""
    if contact_id is None:
        return ""
    partner = data.find_partner(partner_id)
    contact = partner.find_contact(contact_id) if partner else None
    return contact.name if contact is not None else contact_id


def responsible_contact(data: RepoData, partner_id: str, *topics: str | None) -> str | None:
    """Return the id of the partner's contact in charge of `topics`, None for the organisation.

    A contact is in charge when its `topics` name one of `topics` (an obligation's id, then its
    agreement's id); the first such contact in the partner's file answers. Every view that says
    who is to act (due list, checklist, pack, reminders) asks this function.
    """
    partner = data.find_partner(partner_id)
    if partner is None:
        return None
    for topic in topics:
        if not topic:
            continue
        for contact in partner.contacts:
            if topic in contact.topics:
                return contact.id
    return None


def person_name(data: RepoData, ref: str, *, with_org: bool = True) -> str:
    """Return "Gisela Bernert (Kreisverwaltung Mayen-Koblenz)" for `partner/contact`.

    A bare partner reference gives the partner's name; an unknown reference is returned as given.
    """
    partner_id, person = split_person(ref)
    partner = data.find_partner(partner_id)
    if partner is None:
        return ref
    if person is None:
        return partner.name
    contact = partner.find_contact(person)
    if contact is None:
        return ref
    return f"{contact.name} ({partner.name})" if with_org else contact.name
