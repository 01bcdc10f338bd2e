"""Exit codes, source positions, bilingual messages, problems and the error tree."""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any


class ExitCode(enum.IntEnum):
    """Fixed exit codes of `coop`; never renumbered."""

    OK = 0
    PROBLEMS = 1
    USAGE = 2
    BUG = 3
    CONFIG = 4
    REPOSITORY = 5
    NOT_FOUND = 6
    TEMPLATE = 7
    INTERRUPTED = 130


LANGUAGES = ("de", "en")


@dataclass(frozen=True)
class T:
    """A user-facing text in German and English with `str.format` parameters."""

    de: str
    en: str
    params: dict[str, Any] = field(default_factory=dict, compare=False)

    def __init__(self, de: str, en: str, /, **params: Any) -> None:
        object.__setattr__(self, "de", de)
        object.__setattr__(self, "en", en)
        object.__setattr__(self, "params", params)

    def format(self, lang: str = "de") -> str:
        """Return the text in `lang` (German when unknown) with parameters filled in."""
        template = self.en if lang == "en" else self.de
        if not self.params:
            return template
        values = {k: _translated(v, lang) for k, v in self.params.items()}
        return template.format(**values)

    def translate(self, lang: str) -> str:
        """Return the text in `lang` (the same as `format`)."""
        return self.format(lang)

    def __str__(self) -> str:
        return self.format("de")


def joined(messages: list[T], separator: str = "; ") -> T:
    """Return several messages as one, each in the reader's language, between separators."""
    names = {f"m{n}": m for n, m in enumerate(messages)}
    pattern = separator.join(f"{{{name}}}" for name in names)
    return T(pattern, pattern, **names)


def _translated(value: Any, lang: str) -> Any:
    """Return a parameter in `lang` if it translates itself (a `T` or a catalog text)."""
    translate = getattr(value, "translate", None)
    if isinstance(value, str | bytes) or not callable(translate):
        return value
    return translate(lang)


@dataclass(frozen=True, order=True)
class Source:
    """A place in a file: path relative to the repository root, 1-based line and column.

    Line or column 0 means unknown.
    """

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.path}:{self.line}:{self.col}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the files, found by a check."""

    source: Source
    message: T
    code: str = "problem"

    def format(self, lang: str = "de") -> str:
        """Return `path:line:col: message`."""
        return f"{self.source}: {self.message.format(lang)}"

    def sort_key(self) -> tuple[str, int, int, str]:
        """Sort by path, line, column, then message."""
        return (self.source.path, self.source.line, self.source.col, self.message.de)


def sorted_problems(problems: list[Problem], first: Collection[str] = ()) -> list[Problem]:
    """Return problems sorted by place, without exact duplicates.

    Problems in the files named by `first` (records that failed to load: the root causes) come
    before all others.
    """
    seen: set[tuple[Source, str]] = set()
    result = []
    for problem in sorted(
        problems,
        key=lambda p: (p.source.path not in first or p.code == "depends-on-broken", *p.sort_key()),
    ):
        key = (problem.source, problem.message.format("de"))
        if key not in seen:
            seen.add(key)
            result.append(problem)
    return result


class CoopError(Exception):
    """Base of every expected error; carries a bilingual message and an exit code."""

    exit_code: ExitCode = ExitCode.BUG

    def __init__(self, message: T, *, hint: T | None = None) -> None:
        super().__init__(message.format("en"))
        self.message = message
        self.hint = hint


class ProblemsFound(CoopError):
    """The files (or a proposed change to them) have problems; nothing was written."""

    exit_code = ExitCode.PROBLEMS

    def __init__(
        self, problems: list[Problem], message: T | None = None, first: Collection[str] = ()
    ) -> None:
        self.problems = sorted_problems(problems, first)
        count = len(self.problems)
        super().__init__(
            message
            or T(
                "{n} Problem(e) gefunden; nichts wurde geschrieben.",
                "{n} problem(s) found; nothing was written.",
                n=count,
            )
        )


class SendRefused(CoopError):
    """The mail server refused a message or could not be reached; nothing was recorded."""

    exit_code = ExitCode.PROBLEMS


class UsageError(CoopError):
    """The command line asks for something that cannot be done as asked."""

    exit_code = ExitCode.USAGE


class ConfigError(CoopError):
    """coop.toml, the author identity or another setting is missing or wrong."""

    exit_code = ExitCode.CONFIG


class RepositoryError(CoopError):
    """Git or the repository on disk failed (not a repository, busy, git error)."""

    exit_code = ExitCode.REPOSITORY


class RepositoryBusy(RepositoryError):
    """Another coop process holds the repository lock."""


class NotFound(CoopError):
    """A named record (partner, agreement, version, meeting, action) does not exist."""

    exit_code = ExitCode.NOT_FOUND


class TemplateError(CoopError):
    """A template is broken or a render failed."""

    exit_code = ExitCode.TEMPLATE


class InternalError(CoopError):
    """A bug in coopkit."""

    exit_code = ExitCode.BUG
