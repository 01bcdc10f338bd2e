"""What every service call needs: the repository root, today, the acting person, the language."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from coopkit.errors import ConfigError, T
from coopkit.store.git import Author, GitRepo, parse_author


@dataclass(frozen=True)
class Context:
    """Settings passed down from the command line; nothing below reads globals."""

    root: Path
    today: date
    lang: str = "de"
    author_text: str | None = None
    """`Name <mail>` from --author or COOP_AUTHOR; git config is the fallback."""
    allow_personal_data: bool = False
    """Let a write add text that looks like client data (recorded in the commit message)."""
    lock_wait: float = 10.0
    """Seconds a write waits for another coop process before reporting "repository busy"."""
    ssh_key: Path | None = None
    """The acting person's private SSH key (--ssh-key or COOP_SSH_KEY): signs records, commits."""

    def with_root(self, root: Path) -> Context:
        """Return the same context for another repository root."""
        return replace(self, root=root)

    def author(self) -> Author:
        """Return the acting person: --author, COOP_AUTHOR, else git config."""
        if self.author_text:
            return parse_author(self.author_text)
        with GitRepo(self.root) as repo:
            found = repo.config_author()
        if found is None:
            raise ConfigError(
                T(
                    'wer handelt? Bitte --author "Name <mail>" angeben, COOP_AUTHOR setzen '
                    "oder git config user.name/user.email einrichten",
                    'who is acting? Pass --author "Name <mail>", set COOP_AUTHOR '
                    "or configure git user.name/user.email",
                )
            )
        return found


def find_root(start: Path) -> Path:
    """Return the repository root at or above `start` (the folder holding coop.toml)."""
    from coopkit.store.layout import find_root as locate

    return locate(start)
