"""Change one setting of coop.toml (`coop config set/unset`): validated, one commit."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from typing import Any

from coopkit.errors import Problem, ProblemsFound, T, UsageError
from coopkit.model.config import Config
from coopkit.queries.context import Context
from coopkit.queries.settings import Key, get_key
from coopkit.services.repository import CommitResult, writing
from coopkit.store import layout
from coopkit.store.codec import validate
from coopkit.store.tomledit import set_key, toml_value, unset_key


@dataclass(frozen=True)
class SettingResult:
    """A changed setting: its key, the value now written (None when removed), the commit."""

    key: str
    value: Any
    commit: CommitResult


def _refuse_guarded(key: Key) -> None:
    if key.guarded_by:
        raise UsageError(
            T(
                "{k} wird nicht mit coop config geändert, sondern mit „{c}“ (geprüft und "
                "nachvollziehbar); nichts geschrieben",
                '{k} is not changed with coop config but with "{c}" (checked and traceable); '
                "nothing written",
                k=key.key,
                c=key.guarded_by,
            )
        )


def _raw_value(key: Key, values: list[str]) -> Any:
    """Return the typed-in text as the model receives it: a list for a list key."""
    if key.kind == "list":
        return [part.strip() for v in values for part in v.split(",") if part.strip()]
    if len(values) != 1:
        raise UsageError(
            T(
                "{k} nimmt genau einen Wert, nicht {n}",
                "{k} takes exactly one value, not {n}",
                k=key.key,
                n=len(values),
            )
        )
    return values[0]


def _refusal(key: Key, shown: str, problems: list[Problem]) -> UsageError:
    """Return the usage error for a value the model refuses, with what is allowed."""
    reasons = "; ".join(p.message.format("de") for p in problems)
    reasons_en = "; ".join(p.message.format("en") for p in problems)
    hints = {
        "flag": T(" (erlaubt: true, false)", " (allowed: true, false)"),
        "number": T(" (erwartet eine ganze Zahl)", " (expected a whole number)"),
        "list": T(
            " (mehrere Werte durch Komma getrennt oder einzeln angegeben)",
            " (several values separated by commas or given one by one)",
        ),
    }
    # A refused choice or text names what is allowed in the model's own message.
    allowed = hints.get(key.kind, T("", ""))
    return UsageError(
        T(
            "{k} = {v} ist nicht möglich: {r}{a}; nichts geschrieben",
            "{k} = {v} is not possible: {r}{a}; nothing written",
            k=key.key,
            v=shown,
            r=T(reasons, reasons_en),
            a=allowed,
        )
    )


def _changed(data: dict[str, Any], key: Key, raw: Any) -> dict[str, Any]:
    """Return coop.toml's data with `key` set to `raw` (None removes it)."""
    result = dict(data)
    table = dict(result.get(key.section, {})) if key.section else result
    if raw is None:
        table.pop(key.field, None)
    else:
        table[key.field] = raw
    if key.section:
        result[key.section] = table
    return result


def _commit(ctx: Context, key: Key, raw: Any, shown: str, when: date | None) -> SettingResult:
    with writing(ctx) as tx:
        current = tx.read(layout.CONFIG).text
        data = tomllib.loads(current)
        located, problems = validate(Config, _changed(data, key, raw), layout.CONFIG, {})
        if located is None:
            raise _refusal(key, shown, problems)
        config = located.value
        holder = getattr(config, key.section) if key.section else config
        value = getattr(holder, key.field)
        if raw is None:
            text = unset_key(current, key.section, key.field)
            message = T("coop.toml: {k} entfernt", "coop.toml: remove {k}", k=key.key)
        else:
            text = set_key(current, key.section, key.field, value)
            plain = ", ".join(map(toml_value, value)) if isinstance(value, list) else value
            if isinstance(value, bool):
                plain = toml_value(value)
            message = T("coop.toml: {k} = {v}", "coop.toml: {k} = {v}", k=key.key, v=plain)
        tx.replace_text(layout.CONFIG, text)
        try:
            commit = tx.commit(message, when)
        except ProblemsFound as err:
            # A reference the whole repository decides (controller, municipal holidays): the
            # value is refused as typed; other findings (privacy) keep their own wording.
            if err.problems and all(
                p.source.path == layout.CONFIG and p.code != "privacy" for p in err.problems
            ):
                raise _refusal(key, shown, err.problems) from err
            raise
    return SettingResult(key.key, None if raw is None else value, commit)


def set_setting(
    ctx: Context, name: str, values: list[str], when: date | None = None
) -> SettingResult:
    """Set the key `name` of coop.toml to `values` (several only for a list key)."""
    key = get_key(name)
    _refuse_guarded(key)
    raw = _raw_value(key, values)
    return _commit(ctx, key, raw, ", ".join(values), when)


def unset_setting(ctx: Context, name: str, when: date | None = None) -> SettingResult:
    """Remove the key `name` from coop.toml: its default holds again."""
    key = get_key(name)
    _refuse_guarded(key)
    return _commit(ctx, key, None, "—", when)
