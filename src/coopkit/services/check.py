"""`coop check`: every problem in the repository's files."""

from __future__ import annotations

from coopkit.errors import Problem
from coopkit.services.context import Context
from coopkit.services.repository import load_worktree


def check(ctx: Context, *, privacy: bool = False) -> list[Problem]:
    """Return all problems in the working tree, sorted by path and line."""
    return load_worktree(ctx).problems
