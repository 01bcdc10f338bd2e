"""`coop meeting` and `coop action` commands."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)
action_app = typer.Typer(no_args_is_help=True)


@app.callback()
def group() -> None:
    """Sitzungen: einladen, Anwesenheit, Beschlüsse, Aufgaben, Niederschrift, Genehmigung."""


@action_app.callback()
def action_group() -> None:
    """Aufgaben aus Sitzungen: auflisten und erledigen."""
