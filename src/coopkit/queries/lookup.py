"""Finding a named record, with one wording for "not found" and for "found, but broken"."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from coopkit.errors import NotFound, Problem, ProblemsFound, T, UsageError
from coopkit.model.agreement import Agreement, Obligation
from coopkit.model.base import Located
from coopkit.model.minutes import Action, Minutes
from coopkit.model.partner import Partner
from coopkit.model.repo import RepoData
from coopkit.store import layout

SHOWN = 8
"""How many known names a not-found message lists."""

KINDS: dict[str, T] = {
    "partner": T("Partner", "partner"),
    "agreement": T("Vereinbarung", "agreement"),
    "meeting": T("Sitzung", "meeting"),
    "action": T("Aufgabe", "action"),
    "obligation": T("Pflicht", "obligation"),
    "version": T("Version", "version"),
    "contact": T("Kontakt", "contact"),
    "signoff": T("Freigabe", "approval"),
}


class Records(Protocol):
    """What a lookup needs: the records and the problems found while reading them."""

    @property
    def data(self) -> RepoData:
        """The records."""
        ...

    @property
    def problems(self) -> list[Problem]:
        """Every problem found while reading."""
        ...


def known_list(names: Iterable[str], *, last: bool = False) -> str:
    """Return up to SHOWN names (the first or the last ones), or "—" when there are none."""
    ordered = sorted(names)
    if not ordered:
        return "—"
    shown = ordered[-SHOWN:] if last else ordered[:SHOWN]
    more = len(ordered) > SHOWN
    if last:
        return ("…, " if more else "") + ", ".join(shown)
    return ", ".join(shown) + (", …" if more else "")


def not_found(kind: str, wanted: str, known: Iterable[str], *, where: str = "") -> NotFound:
    """Return the one NotFound of coopkit: what was asked for, and what exists."""
    label = KINDS[kind]
    if where:
        return NotFound(
            T(
                "{k} „{w}“ in {p} nicht gefunden; vorhanden: {n}",
                '{k} "{w}" not found in {p}; known: {n}',
                k=label,
                w=wanted,
                p=where,
                n=known_list(known),
            )
        )
    return NotFound(
        T(
            "{k} „{w}“ nicht gefunden; vorhanden: {n}",
            '{k} "{w}" not found; known: {n}',
            k=label,
            w=wanted,
            n=known_list(known, last=kind == "meeting"),
        )
    )


def broken(records: Records, path: str) -> ProblemsFound | None:
    """Return the problems of the file at `path` as an error, when it has any."""
    own = [p for p in records.problems if p.source.path == path]
    if not own:
        return None
    return ProblemsFound(
        own,
        T(
            "{p} ist fehlerhaft (siehe oben); bitte zuerst korrigieren („coop check“)",
            '{p} has problems (see above); please fix them first ("coop check")',
            p=path,
        ),
    )


def _missing(
    records: Records, kind: str, wanted: str, path: str, known: Iterable[str]
) -> Exception:
    return broken(records, path) or not_found(kind, wanted, known)


def get_partner(records: Records, partner_id: str) -> Partner:
    """Return the partner with this id."""
    found = records.data.find_partner(partner_id)
    if found is None:
        raise _missing(
            records, "partner", partner_id, layout.partner_path(partner_id), records.data.partners
        )
    return found


def check_partner(records: Records, partner_id: str | None) -> None:
    """Raise unless `partner_id` (a filter that may be None) names a partner.

    A partner whose file is broken still counts: a question filtered by it is answered from the
    records that name it (the command warns about the broken file, see `broken_warning`).
    """
    if partner_id is not None and records.data.broken_path("partner", partner_id) is None:
        get_partner(records, partner_id)


def check_person(records: Records, person: str | None) -> None:
    """Raise unless `person` (a filter that may be None) names a contact as `partner/contact`.

    An unknown partner or contact is refused naming the known contacts (`partner/contact`).
    """
    if person is None:
        return
    partner_id, sep, contact_id = person.partition("/")
    if not sep or not partner_id or not contact_id or "/" in contact_id:
        raise UsageError(
            T(
                "„{v}“: erwartet PARTNER/KONTAKT, z. B. kv-myk/bernert",
                '"{v}": expected PARTNER/CONTACT, e.g. kv-myk/bernert',
                v=person,
            )
        )
    partner = records.data.find_partner(partner_id)
    if partner is None:
        path = layout.partner_path(partner_id)
        raise broken(records, path) or not_found(
            "contact",
            person,
            (
                f"{p.value.id}/{c.id}"
                for p in records.data.partners.values()
                for c in p.value.contacts
            ),
        )
    if partner.find_contact(contact_id) is None:
        raise not_found(
            "contact",
            contact_id,
            (f"{partner.id}/{c.id}" for c in partner.contacts),
            where=partner.id,
        )


def broken_warning(records: Records) -> T | None:
    """Return a warning naming the records that failed to load, or None when all loaded."""
    paths = sorted(records.data.broken_paths)
    if not paths:
        return None
    return T(
        "Warnung: {p} fehlerhaft und nur mit ID berücksichtigt; Ursache mit „coop check“",
        'warning: {p} broken and only taken into account by id; cause with "coop check"',
        p=", ".join(paths),
    )


def get_agreement(records: Records, agreement_id: str) -> Agreement:
    """Return the agreement with this id."""
    found = records.data.find_agreement(agreement_id)
    if found is None:
        raise _missing(
            records,
            "agreement",
            agreement_id,
            layout.agreement_path(agreement_id),
            records.data.agreements,
        )
    return found


def check_agreement(records: Records, agreement_id: str) -> None:
    """Raise unless an agreement with this id exists (without needing its text)."""
    if agreement_id not in records.data.agreements:
        get_agreement(records, agreement_id)


def get_located_agreement(records: Records, agreement_id: str) -> Located[Agreement]:
    """Return the agreement with this id and where it stands."""
    get_agreement(records, agreement_id)
    return records.data.agreements[agreement_id]


def normalise_meeting_id(value: str) -> str:
    """Accept a meeting id also as its path (`minutes/<id>.md`)."""
    value = value.strip().replace("\\", "/")
    value = value.removeprefix("./").removeprefix("minutes/")
    return value.removesuffix(".md")


def get_minutes(records: Records, meeting_id: str) -> Located[Minutes]:
    """Return the minutes with this id (also given as `minutes/<id>.md`) and where they stand."""
    meeting_id = normalise_meeting_id(meeting_id)
    found = records.data.minutes.get(meeting_id)
    if found is None:
        raise _missing(
            records, "meeting", meeting_id, layout.minutes_path(meeting_id), records.data.minutes
        )
    return found


def get_obligation(agreement: Agreement, obligation_id: str) -> Obligation:
    """Return an obligation of an agreement."""
    found = agreement.find_obligation(obligation_id)
    if found is None:
        raise not_found(
            "obligation",
            obligation_id,
            (o.id for o in agreement.obligations),
            where=agreement.id,
        )
    return found


def get_action(records: Records, action_key: str) -> tuple[Minutes, int, Action]:
    """Return (minutes, TOP number, action) for `<meeting-id>#<n>`."""
    key = action_key.strip()
    found = records.data.find_action(key)
    if found is not None:
        return found
    meeting_id = key.partition("#")[0]
    minutes = records.data.find_minutes(meeting_id)
    if minutes is None:
        problem = broken(records, layout.minutes_path(meeting_id))
        if problem is not None:
            raise problem
        known: list[str] = [
            m.value.action_key(a)
            for m in records.data.minutes.values()
            for _, a in m.value.all_actions()
        ]
    else:
        known = [minutes.action_key(a) for _, a in minutes.all_actions()]
    raise not_found("action", key, known)
