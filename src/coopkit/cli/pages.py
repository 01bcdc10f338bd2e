"""Pages of read-only commands, remembered by the state of the repository.

A read-only command's page (its text or JSON, and its warnings) depends only on the records,
the version tags, the program, the day, the language and the options: `show_page` prints the
remembered page when none of them changed, and otherwise prints what `render` prints and
remembers it.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coopkit.queries.context import Context
    from coopkit.queries.load import Snapshot


def show_page(
    ctx: Context,
    question: str,
    params: tuple[object, ...],
    render: Callable[[Snapshot], None],
    *,
    quiet: bool = False,
    facts: bool = False,
) -> None:
    """Print the page `render` prints for a snapshot, remembered by the repository's state.

    Reading the records shows progress on a terminal unless `quiet` (e.g. with --json). With
    `facts` the page is first computed from the derived facts (see `queries.facts`).
    """
    from coopkit.cli.progress import READING, Progress
    from coopkit.queries.answers import remember

    def page(snap: Snapshot) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            render(snap)
        return out.getvalue(), err.getvalue()

    with Progress(READING, ctx.lang, quiet=quiet) as progress:
        text, warnings = remember(ctx, question, params, page, progress, facts=facts)
    if warnings:
        sys.stderr.write(warnings)
        sys.stderr.flush()
    sys.stdout.write(text)
    sys.stdout.flush()
