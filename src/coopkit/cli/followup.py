"""Follow-up commands: obligations, due list, checklist, calendar, report."""

from __future__ import annotations

import typer

obligation_app = typer.Typer(no_args_is_help=True)


@obligation_app.callback()
def obligation_group() -> None:
    """Pflichten: auflisten, Erfüllung erfassen, wer informiert wen."""


def register(app: typer.Typer) -> None:
    """Add the top-level follow-up commands to the root app."""
