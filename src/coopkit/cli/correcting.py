"""What the correction commands share: the -m and --date options and the one-line report.

Each correction is one commit with a message naming what changed; `-m` adds the user's own
words as the body of that message.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from coopkit.cli.output import print_json, say
from coopkit.cli.state import get_state
from coopkit.errors import T

MessageOption = Annotated[
    str | None,
    typer.Option(
        "-m",
        "--message",
        metavar="TEXT",
        help="Eigene Worte zum Commit (nach der erzeugten Zeile, die nennt, was sich ändert).",
    ),
]

CommitDateOption = Annotated[
    str | None, typer.Option("--date", metavar="JJJJ-MM-TT", help="Datum des Commits.")
]

AfterSending = Annotated[
    bool,
    typer.Option(
        "--after-sending",
        help="Die Niederschrift ist schon versandt: Änderung trotzdem (im Commit vermerkt).",
    ),
]


def done(ctx: typer.Context, message: T, payload: dict[str, Any]) -> None:
    """Report a correction: JSON with `payload`, else `message`."""
    state = get_state(ctx)
    if state.json:
        print_json({"ok": True, **payload})
    else:
        say(message, state.context().lang)
