"""`coop check`: every problem in the repository's files."""

from __future__ import annotations

from coopkit.errors import Problem, sorted_problems
from coopkit.model.privacy import registered, scan_files
from coopkit.services.context import Context
from coopkit.services.repository import load_worktree
from coopkit.store.files import WorkTree, read_text


def check(ctx: Context, *, privacy: bool = False) -> list[Problem]:
    """Return all problems in the working tree, sorted by path and line.

    Args:
        ctx: the repository and settings.
        privacy: also look for client data (e-mail addresses, phone numbers, birth dates, IBANs,
            case numbers) that does not belong to a registered contact.
    """
    loaded = load_worktree(ctx)
    problems = list(loaded.problems)
    from coopkit.services.meetings import check_frozen_minutes

    problems += check_frozen_minutes(ctx, loaded.data)
    if privacy:
        source = WorkTree(ctx.root)
        texts = []
        for path in source.paths():
            textfile, _ = read_text(source, path)
            if textfile is not None:
                texts.append((path, textfile.text))
        problems += scan_files(texts, registered(loaded.data))
    return sorted_problems(problems)
