"""`coop partner` commands."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


@app.callback()
def group() -> None:
    """Partner: Organisationen, Vertretung, Kontakte, Signaturschlüssel."""
