"""Finding client data that does not belong in cooperation records (pure text scan)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from coopkit.errors import Problem, Source, T
from coopkit.model.repo import RepoData

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(r"(?<![\w.])(?:\+\d{2}[ ]?|0)\(?\d{2,5}\)?(?:[ /-]?\d){4,12}(?!\w)(?!\.\d)")
_BIRTH = re.compile(
    r"(?:geb(?:oren)?\.?(?:\s+am)?|Geburtsdatum:?|born(?:\s+on)?|date of birth:?)\s*"
    r"(\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}|\d{4}-\d{2}-\d{2})",
    re.IGNORECASE,
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_CASE = re.compile(
    r"(?:\b(?:Aktenzeichen|Az\.|Fallnummer|Fall-Nr\.|Kundennummer|Kunden-Nr\.|BG-Nummer|"
    r"BG-Nr\.|Case number)\s*:?\s*([A-Z0-9][A-Z0-9/.-]{3,}))|\b(\d{5}BG\d{7})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Registered:
    """Contact data that is allowed because it belongs to a partner or a registered contact."""

    emails: frozenset[str]
    phones: frozenset[str]


def _digits(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    return "0" + digits[2:] if text.strip().startswith("+49") else digits


def registered(data: RepoData) -> Registered:
    """Collect the e-mail addresses and phone numbers of partners and their contacts."""
    emails: set[str] = set()
    phones: set[str] = set()
    for located in data.partners.values():
        partner = located.value
        for email, phone in [(partner.email, partner.phone)] + [
            (c.email, c.phone) for c in partner.contacts
        ]:
            if email:
                emails.add(email.lower())
            if phone:
                phones.add(_digits(phone))
    return Registered(frozenset(emails), frozenset(phones))


def _iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def scan_text(path: str, text: str, allowed: Registered) -> list[Problem]:
    """Report client data in `text` that does not belong to a registered contact.

    Client data: e-mail addresses, phone numbers, birth dates, IBANs and case numbers.
    """
    problems: list[Problem] = []

    def report(lineno: int, col: int, kind: T, value: str) -> None:
        problems.append(
            Problem(
                Source(path, lineno, col + 1),
                T(
                    "mögliche Klientendaten: {k} „{v}“ gehört zu keinem registrierten Kontakt; "
                    "Klientendaten gehören nicht in Vereinbarungen und Niederschriften",
                    'possible client data: {k} "{v}" belongs to no registered contact; '
                    "client data does not belong in agreements and minutes",
                    k=kind,
                    v=value,
                ),
                "privacy",
            )
        )

    for lineno, line in enumerate(text.split("\n"), start=1):
        for match in _EMAIL.finditer(line):
            if match.group(0).lower() not in allowed.emails:
                report(lineno, match.start(), T("E-Mail-Adresse", "e-mail address"), match.group(0))
        ibans = [m.span() for m in _IBAN.finditer(line) if _iban_valid(m.group(0))]
        for match in _PHONE.finditer(line):
            value = match.group(0).strip()
            inside_iban = any(a <= match.start() < b for a, b in ibans)
            if inside_iban or re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                continue
            if _digits(value) not in allowed.phones:
                report(lineno, match.start(), T("Telefonnummer", "phone number"), value)
        for match in _BIRTH.finditer(line):
            report(lineno, match.start(), T("Geburtsdatum", "birth date"), match.group(0))
        for match in _IBAN.finditer(line):
            if _iban_valid(match.group(0)):
                report(lineno, match.start(), T("IBAN", "IBAN"), match.group(0))
        for match in _CASE.finditer(line):
            report(
                lineno, match.start(), T("Aktenzeichen/Kundennummer", "case number"), match.group(0)
            )
    return problems


def scan_files(files: Iterable[tuple[str, str]], allowed: Registered) -> list[Problem]:
    """Scan (path, text) pairs; partner files are where contacts are registered and are skipped."""
    problems: list[Problem] = []
    for path, text in files:
        if path.startswith("partners/"):
            continue
        problems += scan_text(path, text, allowed)
    return problems
