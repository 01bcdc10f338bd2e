"""`coop agreement` commands."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


@app.callback()
def group() -> None:
    """Vereinbarungen: entwerfen, ändern, vergleichen, veröffentlichen, freigeben, prüfen, ausgeben."""
