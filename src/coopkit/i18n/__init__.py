"""One gettext catalog per text domain; German and English from compiled `.mo` files.

Two domains:

- `coopkit`: coopkit's own words (help texts, metavars, labels, document words). German is the
  source language: the msgid is the German text, the `en` catalog holds its English.
- `framework`: the command-line framework's own English words ("Usage:", "Show this message and
  exit."). English is the source language: the `de` catalog holds their German.

Catalogs live in `locale/<lang>/LC_MESSAGES/<domain>.mo` inside this package (wheels ship them)
and are read with the standard library's `gettext`, once per domain and language, on first use.
Edit the `.po` files and rebuild them with `scripts/catalog.py` (extract, update, compile, check).
Nothing of coopkit is imported here: every layer may use it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Protocol

LANGUAGES = ("de", "en")
DOMAINS = {"coopkit": "de", "framework": "en"}
"""Each text domain and its source language (the language its msgids are written in)."""

LOCALE_DIR = Path(__file__).parent / "locale"


class _Catalog(Protocol):
    def gettext(self, message: str, /) -> str: ...

    def pgettext(self, context: str, message: str, /) -> str: ...


def mo_path(domain: str, lang: str) -> Path:
    """Return where the compiled catalog of `domain` in `lang` lives."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.mo"


@functools.cache
def catalog(domain: str, lang: str) -> _Catalog | None:
    """Return the compiled catalog of `domain` in `lang`; None for the source language."""
    if lang == DOMAINS[domain] or lang not in LANGUAGES:
        return None
    import gettext as stdlib_gettext

    with mo_path(domain, lang).open("rb") as stream:
        return stdlib_gettext.GNUTranslations(stream)


def gettext(msgid: str, lang: str) -> str:
    """Return coopkit's German text `msgid` in `lang` (German for an unknown language)."""
    found = catalog("coopkit", lang)
    return msgid if found is None or not msgid else found.gettext(msgid)


def framework_gettext(msgid: str, lang: str) -> str:
    """Return one of the framework's English words in `lang` (English when not German)."""
    found = catalog("framework", lang)
    return msgid if found is None or not msgid else found.gettext(msgid)


def N_(msgid: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark `msgid` for extraction into the catalog; return it unchanged (translate later)."""
    return msgid


class Msg:
    """A catalog text that travels as a value: translated when `format(lang)` is called."""

    __slots__ = ("msgid", "context", "params")

    def __init__(self, msgid: str, /, context: str | None = None, **params: Any) -> None:
        self.msgid = msgid
        self.context = context
        self.params = params

    def format(self, lang: str = "de", /, **more: Any) -> str:
        """Return the text in `lang` with its parameters (and `more` of them) filled in."""
        if self.context is None:
            text = gettext(self.msgid, lang)
        else:
            text = pgettext(self.context, self.msgid, lang)
        params = {**self.params, **more}
        if not params:
            return text
        values = {k: _in(v, lang) for k, v in params.items()}
        return text.format(**values)

    def translate(self, lang: str) -> str:
        """Return the text in `lang` (what `errors.T` calls on a parameter that translates)."""
        return self.format(lang)

    def __str__(self) -> str:
        return self.format("de")

    def __repr__(self) -> str:
        return f"Msg({self.msgid!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and (other.msgid, other.context, other.params) == (
            self.msgid,
            self.context,
            self.params,
        )

    def __hash__(self) -> int:
        return hash(self.msgid)


def _in(value: Any, lang: str) -> Any:
    """Return a parameter in `lang` if it translates itself (a `Msg` or an `errors.T`)."""
    translate = getattr(value, "translate", None)
    if isinstance(value, str | bytes) or not callable(translate):
        return value
    return translate(lang)


def _(msgid: str, /, **params: Any) -> Msg:
    """Mark `msgid` for the catalog and return it as a value translated on `format(lang)`."""
    return Msg(msgid, **params)


def pgettext(context: str, msgid: str, lang: str) -> str:
    """Return `msgid` in `lang` as meant in `context` (a word that translates two ways)."""
    found = catalog("coopkit", lang)
    if found is None or not msgid:
        return msgid
    return found.pgettext(context, msgid)


def C_(context: str, msgid: str, /, **params: Any) -> Msg:  # noqa: N802 - a gettext marker
    """Like `_()`, for a German word whose English depends on `context` (msgctxt)."""
    return Msg(msgid, context=context, **params)


def translate_all(table: dict[str, Msg], lang: str) -> dict[str, str]:
    """Return a label table (key -> catalog text) in `lang`."""
    return {key: text.format(lang) for key, text in table.items()}
