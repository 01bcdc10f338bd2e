"""Correcting partners: any field of the partner file, a contact's fields, removing a contact."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ruamel.yaml.comments import CommentedMap

from coopkit.errors import Source, T, UsageError
from coopkit.model.partner import Partner
from coopkit.model.repo import RepoData
from coopkit.queries.context import Context
from coopkit.queries.lookup import get_partner, not_found
from coopkit.services.repository import CommitResult, writing
from coopkit.store.codec import parse_partner
from coopkit.store.yamlio import set_key, yaml_value

PARTNER_KEYS = (
    "id",
    "name",
    "short",
    "address",
    "represented_by",
    "representative",
    "email",
    "phone",
    "web",
    "contacts",
    "keys",
)
ADDRESS_KEYS = ("street", "postcode", "city", "country")
PARTNER_FIELDS = (
    "name",
    "short",
    "street",
    "postcode",
    "city",
    "country",
    "represented_by",
    "representative",
    "email",
    "phone",
    "web",
)
"""What `coop partner set` changes; street, postcode, city and country are the address."""
CONTACT_KEYS = ("id", "name", "function", "email", "phone", "topics")
REQUIRED = {"name"}


@dataclass(frozen=True)
class PartnerEdit:
    """A partner after a correction, and the commit that wrote it."""

    partner: Partner
    path: str
    commit: CommitResult


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:39] + "…"


def _written(tx: Any, path: str, fallback: Partner) -> Partner:
    located, _ = parse_partner(tx.read(path))
    return located.value if located is not None else fallback


def set_partner_field(
    ctx: Context,
    partner_id: str,
    field: str,
    value: str,
    *,
    when: date | None = None,
    note: str | None = None,
) -> PartnerEdit:
    """Set one field of a partner file; an empty value removes an optional one."""
    field = field.strip()
    if field == "id":
        raise UsageError(
            T(
                "die ID eines Partners wird nicht geändert: Vereinbarungen, Sitzungen und "
                "Freigaben verweisen darauf",
                "a partner's id is not changed: agreements, meetings and approvals refer to it",
            )
        )
    if field in ("contacts", "keys"):
        raise UsageError(
            T(
                "„{f}“ wird mit eigenen Befehlen geändert: coop partner contact …, coop partner "
                "key …",
                '"{f}" has commands of its own: coop partner contact …, coop partner key …',
                f=field,
            )
        )
    if field not in PARTNER_FIELDS:
        raise UsageError(
            T(
                "Feld „{f}“ unbekannt; möglich: {k}",
                'unknown field "{f}"; possible: {k}',
                f=field,
                k=", ".join(PARTNER_FIELDS),
            )
        )
    value = value.strip()
    if not value and field in REQUIRED:
        raise UsageError(T("„{f}“ darf nicht leer sein", '"{f}" must not be empty', f=field))
    with writing(ctx) as tx:
        partner = get_partner(tx.loaded(), partner_id)
        path = tx.loaded().data.partners[partner_id].path

        def change(node: Any) -> None:
            if field in ADDRESS_KEYS:
                address = node.get("address")
                if not isinstance(address, dict):
                    if not value:
                        return
                    set_key(node, "address", CommentedMap(), PARTNER_KEYS)
                    address = node["address"]
                if value:
                    set_key(address, field, yaml_value(value), ADDRESS_KEYS)
                else:
                    address.pop(field, None)
                    if not address:
                        del node["address"]
            elif value:
                set_key(node, field, yaml_value(value), PARTNER_KEYS)
            else:
                node.pop(field, None)

        tx.edit(path, change)
        if tx.changes[path] == (ctx.root / path).read_bytes():
            raise UsageError(
                T(
                    "keine Änderung an {p}; nichts wurde geschrieben",
                    "no change to {p}; nothing was written",
                    p=partner_id,
                )
            )
        message = (
            T(
                "Partner {p}: {f} auf „{v}“ gesetzt",
                'Partner {p}: {f} set to "{v}"',
                p=partner_id,
                f=field,
                v=_shown(value),
            )
            if value
            else T("Partner {p}: {f} entfernt", "Partner {p}: {f} removed", p=partner_id, f=field)
        )
        commit = tx.commit(message, when, note)
        return PartnerEdit(_written(tx, path, partner), path, commit)


def _contact_index(node: Any, contact_id: str, partner: Partner) -> int:
    for i, item in enumerate(node.get("contacts") or []):
        if isinstance(item, dict) and str(item.get("id")) == contact_id:
            return i
    raise not_found("contact", contact_id, (c.id for c in partner.contacts), where=partner.id)


def set_contact(
    ctx: Context,
    partner_id: str,
    contact_id: str,
    changes: dict[str, str | None],
    *,
    topics: Sequence[str] | None = None,
    when: date | None = None,
    note: str | None = None,
) -> PartnerEdit:
    """Change fields of a contact person; an empty value removes an optional field.

    `topics` (when given) replaces the list; an empty topic removes it.
    """
    wanted = {k: v.strip() for k, v in changes.items() if v is not None}
    if not wanted and topics is None:
        raise UsageError(
            T("nichts zu ändern: bitte Optionen angeben", "nothing to change: give some options")
        )
    if wanted.get("name", None) == "":
        raise UsageError(T("„name“ darf nicht leer sein", '"name" must not be empty'))
    topic_list = [t.strip() for t in topics or () if t.strip()]
    with writing(ctx) as tx:
        partner = get_partner(tx.loaded(), partner_id)
        path = tx.loaded().data.partners[partner_id].path
        if partner.find_contact(contact_id) is None:
            raise not_found(
                "contact", contact_id, (c.id for c in partner.contacts), where=partner_id
            )

        def change(node: Any) -> None:
            item = node["contacts"][_contact_index(node, contact_id, partner)]
            for key, value in wanted.items():
                if value:
                    set_key(item, key, yaml_value(value), CONTACT_KEYS)
                else:
                    item.pop(key, None)
            if topics is not None:
                if topic_list:
                    set_key(item, "topics", yaml_value(topic_list), CONTACT_KEYS)
                else:
                    item.pop("topics", None)

        tx.edit(path, change)
        names = sorted({*wanted, *(["topics"] if topics is not None else [])})
        message = T(
            "Kontakt {c} bei Partner {p} geändert: {f}",
            "Contact {c} of partner {p} changed: {f}",
            c=contact_id,
            p=partner_id,
            f=", ".join(names),
        )
        commit = tx.commit(message, when, note)
        return PartnerEdit(_written(tx, path, partner), path, commit)


def person_references(data: RepoData, ref: str) -> list[Source]:
    """Return every place that names `partner/contact` (meetings, actions, closing records)."""
    places: list[Source] = []
    for located in data.minutes.values():
        mt = located.value
        for field in ("chair", "minute_taker"):
            if getattr(mt, field) == ref:
                places.append(located.at(field))
        for group in ("present", "excused"):
            for i, person in enumerate(getattr(mt.attendance, group)):
                if person == ref:
                    places.append(located.at("attendance", group, i))
        for t, top in enumerate(mt.tops):
            for a, action in enumerate(top.actions):
                if action.who == ref:
                    places.append(located.at("tops", t, "actions", a, "who"))
    for record in data.action_records:
        if record.value.by == ref:
            places.append(record.at("by"))
    return sorted(places)


def remove_contact(
    ctx: Context,
    partner_id: str,
    contact_id: str,
    *,
    when: date | None = None,
    note: str | None = None,
    delete: bool = False,
    left: date | None = None,
) -> PartnerEdit:
    """Record that a contact left (`left:`, the start of the retention clock), or delete them.

    Deleting (`delete`) is refused while a record still names the contact.
    """
    with writing(ctx) as tx:
        loaded = tx.loaded()
        partner = get_partner(loaded, partner_id)
        path = loaded.data.partners[partner_id].path
        found = partner.find_contact(contact_id)
        if found is None:
            raise not_found(
                "contact", contact_id, (c.id for c in partner.contacts), where=partner_id
            )
        if not delete:
            return _record_left(tx, partner, path, contact_id, left or ctx.today, when, note)
        ref = f"{partner_id}/{contact_id}"
        places = person_references(loaded.data, ref)
        if places:
            raise UsageError(
                T(
                    "{r} wird noch genannt ({n}×): {w}; der Kontakt bleibt",
                    "{r} is still named ({n}×): {w}; the contact stays",
                    r=ref,
                    n=len(places),
                    w=", ".join(str(p) for p in places[:8]) + (", …" if len(places) > 8 else ""),
                ),
                hint=T(
                    "genehmigte Niederschriften bleiben, wie sie sind; einen ausgeschiedenen "
                    "Kontakt ohne --delete austragen: „coop partner contact remove {p} {c}“ "
                    "vermerkt den Austritt (left:)",
                    "approved minutes stay as they are; without --delete, "
                    '"coop partner contact remove {p} {c}" records that the contact left (left:)',
                    p=partner_id,
                    c=contact_id,
                ),
            )

        def change(node: Any) -> None:
            del node["contacts"][_contact_index(node, contact_id, partner)]
            if not node["contacts"]:
                del node["contacts"]

        tx.edit(path, change)
        commit = tx.commit(
            T(
                "Kontakt {c} bei Partner {p} entfernt",
                "Contact {c} removed from partner {p}",
                c=contact_id,
                p=partner_id,
            ),
            when,
            note,
        )
        return PartnerEdit(_written(tx, path, partner), path, commit)


def _record_left(
    tx: Any,
    partner: Partner,
    path: str,
    contact_id: str,
    left: date,
    when: date | None,
    note: str | None,
) -> PartnerEdit:
    """Write `left: DAY` on a contact and commit; refuse when the contact has left already."""
    contact = partner.find_contact(contact_id)
    if contact is not None and contact.left is not None:
        raise UsageError(
            T(
                "{p}/{c} ist bereits am {d} ausgeschieden; endgültig löschen mit --delete",
                "{p}/{c} left already on {d}; delete for good with --delete",
                p=partner.id,
                c=contact_id,
                d=contact.left.isoformat(),
            )
        )

    def change(node: Any) -> None:
        node["contacts"][_contact_index(node, contact_id, partner)]["left"] = yaml_value(left)

    tx.edit(path, change)
    commit = tx.commit(
        T(
            "Kontakt {c} bei Partner {p} ausgeschieden am {d}",
            "Contact {c} of partner {p} left on {d}",
            c=contact_id,
            p=partner.id,
            d=left.isoformat(),
        ),
        when,
        note,
    )
    return PartnerEdit(_written(tx, path, partner), path, commit)
