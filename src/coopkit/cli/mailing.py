"""Access to the SMTP server for the commands that send mail (invite, send --mail, remind)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def _keyring_password(user: str) -> str | None:
    """Return the password the system keyring holds for `user` (service "coopkit"), if any."""
    try:
        import keyring  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        found = keyring.get_password("coopkit", user)
    except Exception:  # noqa: BLE001 - any keyring backend failure means "no stored password"
        return None
    return str(found) if found is not None else None


def smtp_access() -> Any:
    """Return how to reach the SMTP server: password from COOP_SMTP_PASSWORD or the keyring."""
    from coopkit.services.mail import SmtpAccess

    cafile = os.environ.get("COOP_SMTP_CAFILE")
    return SmtpAccess(
        password=os.environ.get("COOP_SMTP_PASSWORD"),
        cafile=Path(cafile) if cafile else None,
        lookup=_keyring_password,
    )
