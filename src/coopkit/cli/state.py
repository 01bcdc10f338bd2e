"""Global options of `coop` and the service context built from them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from coopkit.errors import T, UsageError

if TYPE_CHECKING:
    from coopkit.queries.context import Context


@dataclass
class CliState:
    """What the root callback parsed: repository, output mode, clock, person, language."""

    directory: Path | None = None
    json: bool = False
    today: date | None = None
    author: str | None = None
    lang: str | None = None
    allow_personal_data: bool = False
    ssh_key: Path | None = None
    resolved_lang: str | None = None
    """The language once the repository (and its coop.toml locale) is known."""

    def language(self) -> str:
        """Return the message language: --lang, COOP_LANG, the repository's locale, else German."""
        lang = self.lang or os.environ.get("COOP_LANG") or self.resolved_lang or "de"
        return lang if lang in ("de", "en") else "de"

    def context(self, *, discover: bool = True) -> Context:
        """Build the service context; find the repository root unless told not to."""
        from coopkit.queries.context import Context, find_root

        start = self.directory or Path.cwd()
        root = find_root(start) if discover else start.resolve()
        lang = self.lang or os.environ.get("COOP_LANG")
        if lang is None and discover:
            lang = _config_locale(root)
        self.resolved_lang = lang if lang in ("de", "en") else "de"
        return Context(
            root=root,
            today=self.today or date.today(),
            lang=self.resolved_lang,
            author_text=self.author or os.environ.get("COOP_AUTHOR") or None,
            allow_personal_data=self.allow_personal_data,
            ssh_key=self.ssh_key
            or (Path(os.environ["COOP_SSH_KEY"]) if os.environ.get("COOP_SSH_KEY") else None),
        )


def _config_locale(root: Path) -> str | None:
    try:
        import tomllib

        data = tomllib.loads((root / "coop.toml").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("locale")
    return value if isinstance(value, str) else None


def get_state(ctx: typer.Context | Any) -> CliState:
    """Return the state the root callback stored on the typer context."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def parse_day(value: str | None, option: str) -> date | None:
    """Parse an ISO date given on the command line."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise UsageError(
            T(
                "{o}: „{v}“ ist kein Datum; erwartet JJJJ-MM-TT",
                '{o}: "{v}" is not a date; expected YYYY-MM-DD',
                o=option,
                v=value,
            )
        ) from err
