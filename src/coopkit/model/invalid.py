"""One way to say what pydantic refused: a German and English message per validation error.

Every place that validates (record files, coop.toml, records built from command-line values,
sign requests, option values) turns a pydantic error into words here, so a refused value reads
the same wherever it was typed and the German text holds no English words of pydantic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from coopkit.errors import T

_TYPE_NAMES = {
    "string_type": T("Text", "text"),
    "list_type": T("eine Liste", "a list"),
    "dict_type": T("eine Zuordnung (Schlüssel: Wert)", "a mapping (key: value)"),
    "model_type": T("eine Zuordnung (Schlüssel: Wert)", "a mapping (key: value)"),
    "model_attributes_type": T("eine Zuordnung (Schlüssel: Wert)", "a mapping (key: value)"),
    "int_parsing": T("eine ganze Zahl", "a whole number"),
    "int_type": T("eine ganze Zahl", "a whole number"),
    "int_from_float": T("eine ganze Zahl", "a whole number"),
    "float_parsing": T("eine Zahl", "a number"),
    "float_type": T("eine Zahl", "a number"),
    "bool_parsing": T("true oder false", "true or false"),
    "bool_type": T("true oder false", "true or false"),
    "date_from_datetime_parsing": T("ein Datum JJJJ-MM-TT", "a date YYYY-MM-DD"),
    "date_parsing": T("ein Datum JJJJ-MM-TT", "a date YYYY-MM-DD"),
    "date_from_datetime_inexact": T("ein Datum JJJJ-MM-TT", "a date YYYY-MM-DD"),
    "date_type": T("ein Datum JJJJ-MM-TT", "a date YYYY-MM-DD"),
}

_BOUNDS = {
    "greater_than_equal": ("ge", T("mindestens {b}", "at least {b}")),
    "greater_than": ("gt", T("größer als {b}", "greater than {b}")),
    "less_than_equal": ("le", T("höchstens {b}", "at most {b}")),
    "less_than": ("lt", T("kleiner als {b}", "less than {b}")),
    "string_too_short": (
        "min_length",
        T("mindestens {b} Zeichen", "at least {b} characters"),
    ),
    "string_too_long": ("max_length", T("höchstens {b} Zeichen", "at most {b} characters")),
    "too_short": ("min_length", T("mindestens {b} Einträge", "at least {b} entries")),
    "too_long": ("max_length", T("höchstens {b} Einträge", "at most {b} entries")),
}


def describe_value(value: Any) -> str:
    """Return a refused value as it is shown in a message (short; containers elided)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "{…}"
    if isinstance(value, list):
        return "[…]"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def alternatives(values: list[str]) -> T:
    """Return allowed values as words: `a, b oder c` / `a, b or c`."""
    if len(values) <= 1:
        return T("{v}", "{v}", v="".join(values))
    head = ", ".join(values[:-1])
    return T("{h} oder {t}", "{h} or {t}", h=head, t=values[-1])


def explain_error(err: Mapping[str, Any], *, option: bool = False) -> tuple[T, str]:
    """Return what one pydantic error means, in German and English, and its problem code.

    Args:
        err: one entry of `ValidationError.errors()`.
        option: the value was given as a command-line option: the message names only the
            value (the option's name stands before it, click's quotes 'x' in English).

    Returns:
        (message, problem code: schema, missing-field, unknown-field, bad-value, bad-type).
    """
    kind = str(err.get("type", ""))
    loc = err.get("loc") or ()
    ctx = err.get("ctx") or {}
    if kind == "coop":
        return T(ctx["de"], ctx["en"], **ctx.get("params", {})), "schema"
    shown = describe_value(err.get("input"))
    if option:
        return _option_message(err, kind, ctx, shown)
    field = str(loc[-1]) if loc else ""
    if kind == "missing":
        return T(
            "Pflichtfeld „{f}“ fehlt", 'required field "{f}" is missing', f=field
        ), "missing-field"
    if kind == "extra_forbidden":
        return T(
            "unbekanntes Feld „{f}“ (Tippfehler?)", 'unknown field "{f}" (a typo?)', f=field
        ), "unknown-field"
    if kind in ("literal_error", "enum"):
        return T(
            "„{v}“ ist hier nicht erlaubt; erwartet: {e}",
            '"{v}" is not allowed here; expected: {e}',
            v=shown,
            e=alternatives(re.findall(r"'([^']*)'", str(ctx.get("expected", "")))),
        ), "bad-value"
    if kind in _TYPE_NAMES:
        return T(
            "„{f}“: erwartet {t}, gefunden „{v}“",
            '"{f}": expected {t}, found "{v}"',
            f=field,
            t=_TYPE_NAMES[kind],
            v=shown,
        ), "bad-type"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return T(
            "„{f}“: erwartet {b}, gefunden „{v}“",
            '"{f}": expected {b}, found "{v}"',
            f=field,
            b=T(words.de, words.en, b=ctx.get(key)),
            v=shown,
        ), "bad-value"
    return T(
        "„{f}“: ungültiger Wert „{v}“",
        '"{f}": invalid value "{v}" ({m})',
        f=field,
        v=shown,
        m=_english_detail(err),
    ), "schema"


def _option_message(
    err: Mapping[str, Any], kind: str, ctx: Mapping[str, Any], shown: str
) -> tuple[T, str]:
    """Say what is wrong with a command-line option value (click quotes: „x“ / 'x')."""
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return T("„{v}“ ist keine ganze Zahl", "'{v}' is not a whole number", v=shown), "bad-type"
    if kind in ("float_parsing", "float_type"):
        return T("„{v}“ ist keine Zahl", "'{v}' is not a number", v=shown), "bad-type"
    if kind in ("bool_parsing", "bool_type"):
        return T("„{v}“ ist weder ja noch nein", "'{v}' is neither yes nor no", v=shown), "bad-type"
    if kind in _TYPE_NAMES:
        return T(
            "„{v}“: erwartet {t}", "'{v}': expected {t}", v=shown, t=_TYPE_NAMES[kind]
        ), "bad-type"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return T(
            "„{v}“: erwartet {b}",
            "'{v}': expected {b}",
            v=shown,
            b=T(words.de, words.en, b=ctx.get(key)),
        ), "bad-value"
    if kind in ("literal_error", "enum"):
        expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return T(
            "„{v}“; erlaubt: {a}", "'{v}'; allowed: {a}", v=shown, a=alternatives(expected)
        ), "bad-value"
    return T(
        "„{v}“ ist ungültig", "'{v}' is invalid ({m})", v=shown, m=_english_detail(err)
    ), "schema"


def _english_detail(err: Mapping[str, Any]) -> str:
    """Return pydantic's own (English) words for an error coop has no sentence for."""
    return str(err.get("msg", "")).removeprefix("Value error, ")
