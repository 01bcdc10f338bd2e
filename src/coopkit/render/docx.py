"""Word documents from Word templates (docxtpl) rendered safely."""

from __future__ import annotations

import io
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

MAX_TEMPLATE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
_TAG = re.compile(r"\{[{%](.*?)[%}]\}", re.DOTALL)
_QUOTES = str.maketrans(
    {"„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'", "«": '"', "»": '"'}
)


def _normalise_tags(xml: str) -> str:
    """Replace typographic quotes that Word puts inside Jinja tags with straight quotes."""
    return _TAG.sub(lambda m: m.group(0).translate(_QUOTES), xml)


def open_template_bytes(path: Path) -> bytes:
    """Read a .docx template, refusing oversized files and zip bombs."""
    data = read_template(path, MAX_TEMPLATE_BYTES)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
            if "word/document.xml" not in archive.namelist():
                raise zipfile.BadZipFile("word/document.xml missing")
    except zipfile.BadZipFile as err:
        raise TemplateError(
            T(
                "{p} ist keine Word-Datei (.docx): {e}",
                "{p} is not a Word file (.docx): {e}",
                p=str(path),
                e=str(err),
            )
        ) from err
    if total > MAX_UNPACKED_BYTES:
        raise TemplateError(
            T("Vorlage {p} entpackt zu groß", "template {p} too large when unpacked", p=str(path))
        )
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
    data = open_template_bytes(template)
    tpl = _template_class()(io.BytesIO(data))
    env = shared_env(lang, autoescape=True)
    if images:
        from docx.shared import Cm
        from docxtpl import InlineImage

        context = dict(context)
        for key, picture in images.items():
            width = (image_widths or {}).get(key, image_width_cm)
            context[key] = InlineImage(tpl, io.BytesIO(picture), width=Cm(width))
    try:
        tpl.render(context, jinja_env=env, autoescape=True)
    except RENDER_ERRORS as exc:
        where = _context_text(exc) if isinstance(exc, TemplateSyntaxError) else ""
        raise template_error(template.name, exc, where) from exc
    out = io.BytesIO()
    tpl.save(out)
    return finish_docx(out.getvalue(), info or DocumentInfo(title="", lang=lang))


def template_variables(template: Path) -> tuple[set[str], list[str]]:
    """Return (undeclared top-level variables, syntax problems) of a Word template."""
    data = open_template_bytes(template)
    tpl = _template_class()(io.BytesIO(data))
    env = make_env("de", autoescape=True)
    try:
        return set(tpl.get_undeclared_template_variables(jinja_env=env)), []
    except TemplateSyntaxError as exc:
        return set(), [f"{exc.message} ({_context_text(exc)})"]
