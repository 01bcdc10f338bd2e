"""`coop agreement render` and `coop agreement diff`: documents of an agreement."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the document commands to the `coop agreement` group."""
