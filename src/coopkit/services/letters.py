"""The sender of a letter (letterhead from coop.toml) and recipient blocks (DIN 5008 style)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from coopkit.errors import T, TemplateError
from coopkit.model.config import Letterhead
from coopkit.model.partner import Partner
from coopkit.model.repo import RepoData
from coopkit.store import layout

MAX_LOGO_BYTES = 2 * 1024 * 1024
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg")


def _letterhead(data: RepoData) -> Letterhead:
    return data.config.value.letterhead if data.config else Letterhead()


def _home_partner(data: RepoData) -> Partner | None:
    """Return the partner whose address a letterhead without one falls back to."""
    controller = data.config.value.controller if data.config else None
    return data.find_partner(controller) if controller else None


def sender_context(data: RepoData) -> dict[str, Any]:
    """Return the sender block: authority, office, address, phone, e-mail, place, file number.

    Missing fields fall back to the data-protection controller's partner record (the body that
    runs the cooperation), and the authority to the repository's name.
    """
    head = _letterhead(data)
    home = _home_partner(data)
    address = home.address if home and home.address else None
    street = head.street or (address.street if address else None) or ""
    postcode = head.postcode or (address.postcode if address else None) or ""
    city = head.city or (address.city if address else None) or ""
    authority = (
        head.authority
        or (home.name if home else "")
        or (data.config.value.name if data.config else "")
    )
    place_line = " ".join(p for p in (postcode, city) if p)
    return {
        "authority": authority,
        "office": head.office or "",
        "street": street,
        "postcode": postcode,
        "city": city,
        "address": ", ".join(p for p in (street, place_line) if p),
        "return_line": " · ".join(p for p in (authority, street, place_line) if p),
        "phone": head.phone or (home.phone if home else None) or "",
        "email": head.email or (home.email if home else None) or "",
        "web": head.web or (home.web if home else None) or "",
        "place": head.place or city,
        "file_number": head.file_number or "",
        "has_logo": bool(head.logo),
    }


def recipient_lines(partner: Partner, attention: str = "") -> list[str]:
    """Return the address block of an organisation: name, z. Hd., street, postcode and city."""
    lines = [partner.name]
    if attention:
        lines.append(attention)
    if partner.address:
        if partner.address.street:
            lines.append(partner.address.street)
        place = " ".join(p for p in (partner.address.postcode, partner.address.city) if p)
        if place:
            lines.append(place)
    return lines


def read_logo(root: Path, data: RepoData) -> bytes | None:
    """Return the logo named in coop.toml, or None when there is none.

    The file must be a PNG or JPEG inside the repository, no symlink, at most 2 MiB.

    Raises:
        TemplateError: the file is missing, outside the repository, a link or too large.
    """
    name = _letterhead(data).logo
    if not name:
        return None
    relative = layout.safe_relpath(root, name)
    path = root / relative

    def refuse(de: str, en: str) -> TemplateError:
        return TemplateError(
            T("coop.toml: logo „{p}“: " + de, 'coop.toml: logo "{p}": ' + en, p=name)
        )

    if not relative.lower().endswith(LOGO_SUFFIXES):
        raise refuse("nur PNG oder JPEG", "PNG or JPEG only")
    try:
        info = os.lstat(path)
    except OSError as err:
        raise refuse("nicht lesbar", "cannot be read") from err
    if not stat.S_ISREG(info.st_mode):
        raise refuse("keine gewöhnliche Datei", "not a regular file")
    if info.st_size > MAX_LOGO_BYTES:
        raise refuse("größer als 2 MiB", "larger than 2 MiB")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        return handle.read(MAX_LOGO_BYTES + 1)[:MAX_LOGO_BYTES]
