"""The one Jinja environment: sandboxed, autoescaping, strict about undefined names."""

from __future__ import annotations

import os
import re
import stat
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from coopkit.errors import T, TemplateError
from coopkit.render.dates import long_date, short_date


class _CompilingOnce(ImmutableSandboxedEnvironment):
    """The sandbox, remembering compiled sources: one template renders many documents."""

    MAX_SOURCES = 64

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._compiled: dict[str, Any] = {}

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:  # noqa: A002
        """Return the compiled template of `source`, compiling it only the first time."""
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        found = self._compiled.get(source)
        if found is None:
            found = super().from_string(source)
            if len(self._compiled) >= self.MAX_SOURCES:
                self._compiled.clear()
            self._compiled[source] = found
        return found


_LINE_BREAKS = re.compile(r"\s*[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]\s*")
_LINE_HEADING = re.compile(r"^( {0,3})#", re.MULTILINE)


def markdown_value(value: Any) -> str:
    """Return a value as Markdown text that adds no table cell, heading or HTML.

    Backslash, `|` and a line's leading `#` are escaped, `<` becomes `&lt;`. Line breaks are
    kept (notes are paragraphs and may hold lists); CRLF and a lone CR become LF. Text that is
    Markdown by design (an authored assessment) comes as `Markup` and stays as it is.
    """
    if isinstance(value, Markup):
        return str(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
    return _LINE_HEADING.sub(r"\1\\#", text)


# XML 1.0 has no place for C0 controls other than tab, LF and CR, nor for U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_value(value: Any) -> Any:
    """Return a value for an XML document; refuse text with a character XML cannot hold.

    Raises:
        TemplateError: the text holds a control character (such as U+000B), which would make
            the document unreadable; it is named with the text around it.
    """
    if isinstance(value, str):
        found = _NOT_XML.search(value)
        if found is not None:
            shown = _NOT_XML.sub("?", value)[:60]
            raise TemplateError(
                T(
                    "„{v}“ enthält das Steuerzeichen U+{c:04X}, das ein Word-Dokument nicht "
                    "enthalten kann; bitte im Datensatz entfernen",
                    '"{v}" holds the control character U+{c:04X}, which a Word document cannot '
                    "hold; please remove it from the record",
                    v=shown,
                    c=ord(found.group()),
                )
            )
    return value


def markdown_cell(value: Any) -> str:
    """Return a value on one line (line breaks become a space), for a Markdown table cell."""
    return _LINE_BREAKS.sub(" ", str(value))


@lru_cache(maxsize=8)
def shared_env(lang: str = "de", *, autoescape: bool = True) -> ImmutableSandboxedEnvironment:
    """Return one environment per language for a batch of renders (compiled sources kept)."""
    return make_env(lang, autoescape=autoescape, compile_once=True)


def make_env(
    lang: str = "de", *, autoescape: bool = True, compile_once: bool = False
) -> ImmutableSandboxedEnvironment:
    """Return a sandboxed environment with coopkit's filters.

    Args:
        lang: language of dates and labels.
        autoescape: True for XML (docx); False for Markdown output.
        compile_once: remember compiled sources (for rendering one template many times).
    """
    kind = _CompilingOnce if compile_once else ImmutableSandboxedEnvironment
    env = kind(
        autoescape=autoescape,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=not autoescape,
        lstrip_blocks=not autoescape,
        finalize=xml_value if autoescape else markdown_value,
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
    env.filters["cell"] = markdown_cell
    env.globals["lang"] = lang
    return env


def read_template(path: Path, limit: int) -> bytes:
    """Read a template: a regular file (never through a symlink) of at most `limit` bytes.

    The same rule as the store's reader (render may not import the store): `lstat`, open with
    `O_NOFOLLOW | O_NONBLOCK`, `fstat`, read at most `limit + 1` bytes.
    """
    name = path.name

    def refuse(de: str, en: str, **params: Any) -> TemplateError:
        return TemplateError(T("{n}: " + de, "{n}: " + en, n=name, **params))

    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            raise refuse(
                "Verknüpfung (Symlink) nicht erlaubt; Vorlagen müssen gewöhnliche Dateien sein",
                "symbolic link not allowed; templates must be regular files",
            )
        if not stat.S_ISREG(info.st_mode):
            raise refuse(
                "keine gewöhnliche Datei (FIFO, Gerät, Socket oder Ordner); nicht gelesen",
                "not a regular file (FIFO, device, socket or directory); not read",
            )
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise refuse("keine gewöhnliche Datei", "not a regular file")
            chunks: list[bytes] = []
            total = 0
            while total <= limit:
                chunk = os.read(fd, min(1 << 16, limit + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
        finally:
            os.close(fd)
    except OSError as err:
        raise refuse(
            "Vorlage nicht lesbar: {e}", "template cannot be read: {e}", e=err.strerror or str(err)
        ) from err
    if total > limit:
        raise refuse(
            "Vorlage ist größer als {m} Bytes", "template is larger than {m} bytes", m=limit
        )
    return b"".join(chunks)


RENDER_ERRORS = (
    JinjaTemplateError,
    TypeError,
    ValueError,
    ArithmeticError,
    LookupError,
    AttributeError,
)
"""What a broken template can raise while rendering: all of it is the template's fault."""


def template_error(name: str, exc: BaseException, where: str = "") -> TemplateError:
    """Explain a failed render of template `name` as a TemplateError (exit 7).

    Args:
        name: the template's file name.
        exc: what Jinja (or an expression in the template) raised.
        where: the text around a broken tag, when known.
    """
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, TemplateSyntaxError):
        place = f"im Absatz „{where}“" if where else f"in Zeile {exc.lineno}"
        place_en = f'in the paragraph "{where}"' if where else f"on line {exc.lineno}"
        return TemplateError(
            T(
                "{p}: fehlerhaftes Template-Tag ({m}) {w}",
                "{p}: broken template tag ({m}) {w_en}",
                p=name,
                m=message,
                w=place,
                w_en=place_en,
            )
        )
    if isinstance(exc, UndefinedError):
        return TemplateError(
            T(
                "{p}: unbekannte Variable ({m}); „coop template check“ zeigt alle",
                '{p}: unknown variable ({m}); "coop template check" lists them all',
                p=name,
                m=message,
            )
        )
    if isinstance(exc, SecurityError):
        return TemplateError(
            T(
                "{p}: in Vorlagen nicht erlaubt: {m}",
                "{p}: not allowed in templates: {m}",
                p=name,
                m=message,
            )
        )
    return TemplateError(
        T("{p}: Vorlagenfehler: {m}", "{p}: template error: {m}", p=name, m=message)
    )
