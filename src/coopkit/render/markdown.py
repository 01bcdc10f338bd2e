"""Markdown (or any plain text) from a Jinja template, rendered in the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError

from coopkit.errors import T, TemplateError
from coopkit.render.jinja import RENDER_ERRORS, make_env, read_template, template_error

MAX_TEMPLATE_BYTES = 1024 * 1024


def read_text_template(template: Path) -> str:
    """Read a text template: a regular UTF-8 file within the size limit."""
    data = read_template(template, MAX_TEMPLATE_BYTES)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise TemplateError(
            T("Vorlage {p} ist kein UTF-8", "template {p} is not UTF-8", p=str(template))
        ) from err


def render_markdown(template: Path, context: dict[str, Any], lang: str = "de") -> str:
    """Render a text template (no autoescape) with `context`; return the text.

    Raises:
        TemplateError: the template is unreadable, has a syntax error or names an unknown value.
    """
    env = make_env(lang, autoescape=False)
    source = read_text_template(template)
    try:
        return env.from_string(source).render(context)
    except RENDER_ERRORS as exc:
        raise template_error(template.name, exc) from exc


def markdown_variables(template: Path) -> tuple[set[str], list[str]]:
    """Return (undeclared top-level variables, syntax problems) of a text template."""
    from jinja2 import meta

    env = make_env("de", autoescape=False)
    try:
        parsed = env.parse(read_text_template(template))
    except TemplateSyntaxError as exc:
        return set(), [f"{exc.lineno}: {exc.message}"]
    return set(meta.find_undeclared_variables(parsed)) - set(env.globals), []
