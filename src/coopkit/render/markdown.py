"""Markdown (or any plain text) from a Jinja template, rendered in the sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError

from coopkit.errors import T, TemplateError
from coopkit.render.jinja import RENDER_ERRORS, make_env, read_template, template_error
from coopkit.render.sandbox import limits_for, run_limited

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

    def work() -> bytes:
        env = make_env(lang, autoescape=False)
        source = read_text_template(template)
        try:
            return env.from_string(source).render(context).encode("utf-8")
        except RENDER_ERRORS as exc:
            raise template_error(template.name, exc) from exc

    return run_limited(template.name, work, limits_for(context)).decode("utf-8")


def markdown_syntax(template: Path) -> tuple[set[str], list[tuple[int, str]]]:
    """Return (undeclared top-level variables, syntax errors as (line, message)) of a template.

    Compiling folds constant expressions (`9**(9**9)`), so this too runs within the limits.
    """

    def work() -> bytes:
        from jinja2 import meta

        env = make_env("de", autoescape=False)
        try:
            parsed = env.parse(read_text_template(template))
            found = set(meta.find_undeclared_variables(parsed)) - set(env.globals)
        except TemplateSyntaxError as exc:
            return json.dumps([[], [[exc.lineno or 0, exc.message or str(exc)]]]).encode()
        return json.dumps([sorted(found), []]).encode()

    variables, syntax = json.loads(run_limited(template.name, work))
    return set(variables), [(int(line), str(message)) for line, message in syntax]


def markdown_variables(template: Path) -> tuple[set[str], list[str]]:
    """Return (undeclared top-level variables, syntax problems) of a text template."""
    variables, syntax = markdown_syntax(template)
    return variables, [f"{line}: {message}" for line, message in syntax]
