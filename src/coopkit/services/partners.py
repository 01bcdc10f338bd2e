"""Partners: add them, their contact persons and signing keys; list and show them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from coopkit.errors import ProblemsFound, T, UsageError
from coopkit.model.base import id_problem
from coopkit.model.names import slug
from coopkit.model.partner import Address, Contact, Partner, SigningKey
from coopkit.model.repo import RepoData
from coopkit.queries.context import Context
from coopkit.queries.lookup import get_partner
from coopkit.services.repository import CommitResult, writing
from coopkit.store import layout
from coopkit.store.codec import dump_record, parse_partner, validation_problems
from coopkit.store.yamlio import yaml_value

_ADDRESS = re.compile(r"(?:(?P<street>.*)[, ])?(?P<postcode>\d{4,5}) (?P<city>\S.*)")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class PartnerResult:
    """A partner after a write, and the commit that wrote it."""

    partner: Partner
    path: str
    commit: CommitResult


def parse_address(text: str) -> Address:
    """Read one line of address: `Straße 9, 56068 Ort` or `Straße 9 56068 Ort` (or `56068 Ort`).

    The postcode (4 or 5 digits followed by the place) splits street from city; without one the
    text cannot be split safely and is refused, saying what was expected.
    """
    match = _ADDRESS.fullmatch(" ".join(text.split()))
    if match is None or (match.group("street") and not _LETTER.search(match.group("street"))):
        raise UsageError(
            T(
                "--address: „{v}“ lässt sich nicht in Straße, PLZ und Ort teilen; erwartet "
                "„Straße Nr, PLZ Ort“ (z. B. „Bahnhofstraße 9, 56068 Koblenz“) oder die "
                "Optionen --street, --postcode und --city",
                '--address: cannot split "{v}" into street, postcode and city; expected '
                '"Street No, Postcode City" (e.g. "Bahnhofstraße 9, 56068 Koblenz") or the '
                "options --street, --postcode and --city",
                v=text,
            )
        )
    street = (match.group("street") or "").strip(" ,") or None
    return Address(street=street, postcode=match.group("postcode"), city=match.group("city"))


def build_address(
    address: str | None,
    street: str | None = None,
    postcode: str | None = None,
    city: str | None = None,
) -> Address | None:
    """Return the address from `--address` or from its parts; both at once is a usage error."""
    parts = {"--street": street, "--postcode": postcode, "--city": city}
    given = [name for name, value in parts.items() if value]
    if address and given:
        raise UsageError(
            T(
                "--address oder {o}, nicht beides",
                "--address or {o}, not both",
                o="/".join(given),
            )
        )
    if address:
        return parse_address(address)
    if not given:
        return None
    return Address(street=street or None, postcode=postcode or None, city=city or None)


def _invalid(path: str, err: ValidationError) -> ProblemsFound:
    return ProblemsFound(validation_problems(Partner, err, path))


def list_partners(data: RepoData) -> list[Partner]:
    """Return all partners sorted by id."""
    return [data.partners[key].value for key in sorted(data.partners)]


def add_partner(
    ctx: Context,
    partner_id: str,
    name: str,
    *,
    short: str | None = None,
    address: str | Address | None = None,
    represented_by: str | None = None,
    representative: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    when: date | None = None,
) -> PartnerResult:
    """Create partners/<id>.yaml and commit it."""
    problem = id_problem(partner_id)
    if problem is not None:
        raise UsageError(problem)
    path = layout.partner_path(partner_id)
    with writing(ctx) as tx:
        return _add_partner(
            tx,
            partner_id,
            path,
            name,
            short,
            address,
            represented_by,
            representative,
            email,
            phone,
            when,
        )


def _add_partner(
    tx: Any,
    partner_id: str,
    path: str,
    name: str,
    short: str | None,
    address: str | Address | None,
    represented_by: str | None,
    representative: str | None,
    email: str | None,
    phone: str | None,
    when: date | None,
) -> PartnerResult:
    if tx.exists(path):
        raise UsageError(
            T(
                "Partner „{p}“ gibt es schon ({f})",
                'partner "{p}" already exists ({f})',
                p=partner_id,
                f=path,
            )
        )
    try:
        partner = Partner(
            id=partner_id,
            name=name,
            short=short or None,
            address=build_address(address) if isinstance(address, str) else address,
            represented_by=represented_by or None,
            representative=representative or None,
            email=email or None,
            phone=phone or None,
        )
    except ValidationError as err:
        raise _invalid(path, err) from err
    tx.create(path, dump_record(partner))
    commit = tx.commit(T("Partner {p} angelegt", "Add partner {p}", p=partner_id), when)
    return PartnerResult(partner, path, commit)


def _edit_partner(
    ctx: Context,
    partner_id: str,
    change: Callable[[Partner], Callable[[Any], None]],
    message: T | Callable[[], T],
    when: date | None,
) -> PartnerResult:
    """Edit a partner file under the lock; `change` sees the partner as read under it."""
    with writing(ctx) as tx:
        partner = get_partner(tx.loaded(), partner_id)
        path = tx.loaded().data.partners[partner_id].path
        tx.edit(path, change(partner))
        commit = tx.commit(message if isinstance(message, T) else message(), when)
        located, _ = parse_partner(tx.read(path))
    return PartnerResult(located.value if located else partner, path, commit)


def _append(node: Any, key: str, value: Any) -> None:
    items = node.get(key)
    if items is None or isinstance(items, str):
        node[key] = yaml_value([value])
    else:
        items.append(yaml_value(value))


def add_contact(
    ctx: Context,
    partner_id: str,
    name: str,
    *,
    contact_id: str | None = None,
    function: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    topics: list[str] | None = None,
    when: date | None = None,
) -> PartnerResult:
    """Add a contact person to a partner; the id defaults to the whole name as a slug."""
    chosen: list[str] = []

    def change(partner: Partner) -> Callable[[Any], None]:
        taken = {c.id for c in partner.contacts}
        wanted = contact_id
        if wanted is None:
            base = slug(name) or "kontakt"
            wanted, n = base, 2
            while wanted in taken:
                wanted, n = f"{base}-{n}", n + 1
        elif wanted in taken:
            raise UsageError(
                T(
                    "Kontakt „{c}“ gibt es bei {p} schon",
                    'contact "{c}" already exists at {p}',
                    c=wanted,
                    p=partner_id,
                )
            )
        try:
            contact = Contact(
                id=wanted,
                name=name,
                function=function or None,
                email=email or None,
                phone=phone or None,
                topics=topics or [],
            )
        except ValidationError as err:
            raise _invalid(layout.partner_path(partner_id), err) from err
        record = contact.model_dump(mode="json", exclude_none=True)
        if not record.get("topics"):
            record.pop("topics", None)
        chosen.append(wanted)
        return lambda node: _append(node, "contacts", record)

    return _edit_partner(
        ctx,
        partner_id,
        change,
        lambda: T(
            "Kontakt {c} bei Partner {p} angelegt",
            "Add contact {c} to partner {p}",
            c=chosen[0],
            p=partner_id,
        ),
        when,
    )


def read_key_file(path: Path) -> str:
    """Read a public key file the user names: a regular UTF-8 file of at most 64 KiB."""
    from coopkit.services.inputs import MAX_KEY_BYTES, read_input_text

    return read_input_text(path, T("Schlüsseldatei", "key file"), MAX_KEY_BYTES)


def add_key(
    ctx: Context,
    partner_id: str,
    public_key: str,
    *,
    signatory: str | None = None,
    valid_after: date | None = None,
    valid_before: date | None = None,
    when: date | None = None,
) -> PartnerResult:
    """Register an SSH public key (one line of a .pub file) for a partner's signatory."""
    line = next((ln.strip() for ln in public_key.splitlines() if ln.strip()), "")
    if "PRIVATE KEY" in public_key:
        raise UsageError(
            T(
                "das ist ein privater Schlüssel; bitte die .pub-Datei angeben",
                "this is a private key; give the .pub file",
            )
        )
    try:
        key = SigningKey(
            key=line,
            signatory=signatory or None,
            valid_after=valid_after,
            valid_before=valid_before,
        )
    except ValidationError as err:
        raise _invalid(layout.partner_path(partner_id), err) from err
    key_body = line.split()[:2]
    record = key.model_dump(mode="json", exclude_none=True)

    def change(partner: Partner) -> Callable[[Any], None]:
        if any(k.key.split()[:2] == key_body for k in partner.keys):
            raise UsageError(
                T(
                    "dieser Schlüssel ist für {p} schon registriert",
                    "this key is already registered for {p}",
                    p=partner_id,
                )
            )
        return lambda node: _append(node, "keys", record)

    return _edit_partner(
        ctx,
        partner_id,
        change,
        T(
            "Signaturschlüssel für Partner {p} registriert",
            "Register signing key for partner {p}",
            p=partner_id,
        ),
        when,
    )
