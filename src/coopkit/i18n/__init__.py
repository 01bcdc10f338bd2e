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


def has_translation(msgid: str, lang: str, domain: str = "coopkit") -> bool:
    """Say whether `msgid` has a translation in `lang` (the source language always has)."""
    found = catalog(domain, lang)
    return found is None or found.gettext(msgid) != msgid or _same_in_both(found, msgid)


def _same_in_both(found: _Catalog, msgid: str) -> bool:
    # A word spelt alike in both languages ("Name", "TEXT") is translated to itself.
    catalog_dict: dict[Any, str] = getattr(found, "_catalog", {})
    return msgid in catalog_dict


def N_(msgid: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark `msgid` for extraction into the catalog; return it unchanged (translate later)."""
    return msgid


class Msg:
    """A catalog text that travels as a value: translated when `format(lang)` is called."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, /, **params: Any) -> None:
        self.msgid = msgid
        self.params = params

    def format(self, lang: str = "de") -> str:
        """Return the text in `lang` with its parameters filled in."""
        text = gettext(self.msgid, lang)
        if not self.params:
            return text
        values = {k: (v.format(lang) if isinstance(v, Msg) else v) for k, v in self.params.items()}
        return text.format(**values)

    def __str__(self) -> str:
        return self.format("de")

    def __repr__(self) -> str:
        return f"Msg({self.msgid!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and other.msgid == self.msgid and other.params == self.params

    def __hash__(self) -> int:
        return hash(self.msgid)


def _(msgid: str, /, **params: Any) -> Msg:
    """Mark `msgid` for the catalog and return it as a value translated on `format(lang)`."""
    return Msg(msgid, **params)
