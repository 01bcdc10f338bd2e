"""Writing generated files (documents, calendars) outside the repository's records."""

from __future__ import annotations

from pathlib import Path

from coopkit.errors import T, UsageError
from coopkit.services.context import Context
from coopkit.store import layout
from coopkit.store.atomic import write_atomic


def write_output(ctx: Context, output: Path, payload: bytes) -> Path:
    """Write `payload` to `output` atomically; refuse the repository's record folders."""
    target = output.resolve()
    for folder in (*layout.RECORD_DIRS, layout.INDEX_DIR, ".git"):
        base = (ctx.root / folder).resolve()
        if target == base or base in target.parents:
            raise UsageError(
                T(
                    "Ausgabe {p} läge im Ordner „{f}/“ des Repositorys; bitte anderen Ort wählen",
                    'output {p} would lie in the repository folder "{f}/"; choose another place',
                    p=str(output),
                    f=folder,
                )
            )
    write_atomic(target, payload)
    return target
