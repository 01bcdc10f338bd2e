"""The one Jinja environment: sandboxed, autoescaping, strict about undefined names."""

from __future__ import annotations

from datetime import date
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from coopkit.render.dates import long_date, short_date


def make_env(lang: str = "de", *, autoescape: bool = True) -> ImmutableSandboxedEnvironment:
    """Return a sandboxed environment with coopkit's filters.

    Args:
        lang: language of dates and labels.
        autoescape: True for XML (docx); False for Markdown output.
    """
    env = ImmutableSandboxedEnvironment(
        autoescape=autoescape,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=not autoescape,
        lstrip_blocks=not autoescape,
    )

    def _date(value: date | None) -> str:
        return long_date(value, lang)

    def _short(value: date | None) -> str:
        return short_date(value, lang)

    def _join(values: Any, sep: str = ", ") -> str:
        return sep.join(str(v) for v in values)

    env.filters["datum"] = _date
    env.filters["date_long"] = _date
    env.filters["date_short"] = _short
    env.filters["join_list"] = _join
    env.globals["lang"] = lang
    return env
