"""Word documents from Word templates (docxtpl) rendered safely."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError

from coopkit.errors import T, TemplateError
from coopkit.render.jinja import (
    RENDER_ERRORS,
    make_env,
    read_template,
    shared_env,
    template_error,
)
from coopkit.render.package import DocumentInfo, finish_docx
from coopkit.render.sandbox import limits_for, run_limited

MAX_TEMPLATE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
_TAG = re.compile(r"\{[{%](.*?)[%}]\}", re.DOTALL)
_QUOTES = str.maketrans(
    {"„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'", "«": '"', "»": '"'}
)


def _normalise_tags(xml: str) -> str:
    """Replace typographic quotes that Word puts inside Jinja tags with straight quotes."""
    return _TAG.sub(lambda m: m.group(0).translate(_QUOTES), xml)


_XML_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")


def _not_docx(path: Path, reason: str) -> TemplateError:
    return TemplateError(
        T(
            "{p}: keine Word-Datei (.docx) oder beschädigt: {e}",
            "{p}: not a valid Word file (.docx): {e}",
            p=path.name,
            e=reason,
        )
    )


def _check_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, path: Path) -> int:
    """Inflate one member through a counting stream; return the bytes it really holds.

    Declared sizes are not trusted: reading stops once the budget is spent. XML parts must not
    declare a DTD or entities (the classic entity-expansion and external-entity attacks).
    """
    total = 0
    tail = b""
    xml = info.filename.endswith((".xml", ".rels"))
    with archive.open(info) as member:
        while True:
            chunk = member.read(1 << 16)
            if not chunk:
                return total
            total += len(chunk)
            if total > budget:
                raise TemplateError(
                    T(
                        "{p}: entpackt größer als {m} Bytes (Teil {f})",
                        "{p}: larger than {m} bytes when unpacked (part {f})",
                        p=path.name,
                        m=MAX_UNPACKED_BYTES,
                        f=info.filename,
                    )
                )
            if xml:
                window = tail + chunk
                if any(marker in window for marker in _XML_FORBIDDEN):
                    raise _not_docx(
                        path, f"{info.filename} declares a DTD or entities (not allowed)"
                    )
                tail = window[-16:]


def open_template_bytes(path: Path) -> bytes:
    """Read a .docx template, refusing oversized files, zip bombs and unsafe XML."""
    data = read_template(path, MAX_TEMPLATE_BYTES)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise zipfile.BadZipFile("word/document.xml missing")
            budget = MAX_UNPACKED_BYTES
            for info in archive.infolist():
                budget -= _check_member(archive, info, budget, path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as err:
        raise _not_docx(path, str(err)) from err
    except NotImplementedError as err:  # an unsupported compression method
        raise _not_docx(path, str(err)) from err
    return data


def _template_class() -> Any:
    from docxtpl import DocxTemplate

    class SafeTemplate(DocxTemplate):  # type: ignore[misc]
        """docxtpl template whose tags get straight quotes before Jinja sees them."""

        def patch_xml(self, src_xml: str) -> str:
            return _normalise_tags(super().patch_xml(src_xml))

    return SafeTemplate


def _context_text(exc: Exception) -> str:
    lines = getattr(exc, "docx_context", None)
    if not lines:
        return ""
    text = " ".join(part.strip() for part in lines if part.strip())
    return text[:200]


def render_docx(
    template: Path,
    context: dict[str, Any],
    lang: str = "de",
    images: dict[str, bytes] | None = None,
    image_width_cm: float = 16.0,
    info: DocumentInfo | None = None,
    image_widths: dict[str, float] | None = None,
) -> bytes:
    """Render a Word template with `context`; return the .docx bytes.

    `images` maps context names to PNG/JPEG bytes; each becomes an inline picture
    `image_width_cm` wide (or `image_widths[name]`) where the template says `{{ name }}`.
    `info` gives the core properties; the document language is `lang` in any case.

    Raises:
        TemplateError: the template is unreadable, has a broken tag or names an unknown value.
    """

    def work() -> bytes:
        data = open_template_bytes(template)
        tpl = _template_class()(io.BytesIO(data))
        env = shared_env(lang, autoescape=True)
        values = context
        if images:
            from docx.shared import Cm
            from docxtpl import InlineImage

            values = dict(context)
            for key, picture in images.items():
                width = (image_widths or {}).get(key, image_width_cm)
                values[key] = InlineImage(tpl, io.BytesIO(picture), width=Cm(width))
        try:
            tpl.render(values, jinja_env=env, autoescape=True)
        except RENDER_ERRORS as exc:
            where = _context_text(exc) if isinstance(exc, TemplateSyntaxError) else ""
            raise template_error(template.name, exc, where) from exc
        out = io.BytesIO()
        tpl.save(out)
        return finish_docx(out.getvalue(), info or DocumentInfo(title="", lang=lang))

    return run_limited(template.name, work, limits_for(context))


def template_variables(template: Path) -> tuple[set[str], list[str]]:
    """Return (undeclared top-level variables, syntax problems) of a Word template."""

    def work() -> bytes:
        data = open_template_bytes(template)
        tpl = _template_class()(io.BytesIO(data))
        env = make_env("de", autoescape=True)
        try:
            found = sorted(tpl.get_undeclared_template_variables(jinja_env=env))
            return json.dumps([found, []]).encode()
        except TemplateSyntaxError as exc:
            return json.dumps([[], [f"{exc.message} ({_context_text(exc)})"]]).encode()

    variables, syntax = json.loads(run_limited(template.name, work))
    return set(variables), list(syntax)
