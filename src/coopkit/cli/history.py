"""`coop log`: the history of the repository or of one file or folder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from coopkit.cli.boundary import command
from coopkit.cli.output import print_json, say
from coopkit.cli.state import get_state
from coopkit.errors import T

if TYPE_CHECKING:
    from coopkit.queries.history import LogEntry


def print_log(entries: list[LogEntry], as_json: bool, lang: str) -> None:
    """Print log entries as text blocks, or as JSON."""
    if as_json:
        print_json(entries)
        return
    if not entries:
        say(T("keine Einträge", "no entries"), lang)
        return
    for entry in entries:
        tags = f"  [{', '.join(entry.tags)}]" if entry.tags else ""
        say(f"{entry.date.date().isoformat()}  {entry.commit[:10]}  {entry.author}{tags}")
        say(f"    {entry.subject}")
        for path in entry.paths:
            say(f"      {path}")


@command
def log_cmd(
    ctx: typer.Context,
    path: Annotated[
        str | None,
        typer.Argument(metavar="[PFAD]", help="Nur Änderungen an dieser Datei/diesem Ordner."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "-n",
            "--limit",
            help="Höchstens so viele Einträge.",
            metavar="ANZAHL",
            min=0,
            max=1_000_000,
        ),
    ] = 0,
) -> None:
    """Verlauf: wer hat wann was geändert, mit Dateien und Versions-Tags.

    Beispiel: coop log partners/kv-myk.yaml
    """
    from coopkit.queries.history import log

    state = get_state(ctx)
    service_ctx = state.context()
    print_log(log(service_ctx, path, limit), state.json, service_ctx.lang)


def register(app: typer.Typer) -> None:
    """Add `coop log` to the root app."""
    app.command("log")(log_cmd)
