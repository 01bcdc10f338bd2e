"""The settings of coop.toml by dotted key: which there are, their effective values, defaults.

The keys come from the model that validates coop.toml (`model.config.Config`): every plain field
of `Config` is a top-level key, every field of a section model (`Signing`, `Letterhead`, …) is
`section.field`. A new section of coop.toml is one field of `Config` and needs no entry here.
Only keys guarded by a command of their own are named here, with that command.
"""

from __future__ import annotations

import tomllib
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from coopkit.errors import ProblemsFound, T, UsageError
from coopkit.model.config import Config
from coopkit.queries.context import Context
from coopkit.store import layout
from coopkit.store.codec import parse_config
from coopkit.store.regular import read_regular
from coopkit.store.text import MAX_FILE_BYTES, decode_text

GUARDED: dict[str, str] = {
    "trust.coordinator_keys": "coop trust pin",
}
"""Keys the history gate depends on that have a guarded command of their own, and that command.

`[signing] sign_commits` has none: switching it on only makes the check stricter, and the
gate itself counts a switch-off only when a pinned coordinator key signed its commit.
"""


@dataclass(frozen=True)
class Key:
    """One setting of coop.toml."""

    key: str
    """Dotted name: `land`, `letterhead.city`."""
    section: str
    """The TOML table holding it ("" for the top level)."""
    field: str
    kind: Literal["text", "choice", "number", "flag", "list"]
    choices: tuple[str, ...] = ()
    """Allowed values of a choice."""
    required: bool = False

    @property
    def guarded_by(self) -> str | None:
        """Return the command that sets this key instead, when it has one."""
        return GUARDED.get(self.key)


def _kind(
    annotation: Any,
) -> tuple[Literal["text", "choice", "number", "flag", "list"], tuple[str, ...]]:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _kind(args[0])
    if origin is Literal:
        return "choice", tuple(str(a) for a in typing.get_args(annotation))
    if origin is list:
        return "list", ()
    if annotation is bool:
        return "flag", ()
    if annotation is int:
        return "number", ()
    return "text", ()


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def all_keys() -> list[Key]:
    """Return every key of coop.toml: top-level keys first, then each section's, model order."""
    top: list[Key] = []
    nested: list[Key] = []
    for name, info in Config.model_fields.items():
        if _is_section(info.annotation):
            section_model: type[BaseModel] = info.annotation  # type: ignore[assignment]
            for field, sub in section_model.model_fields.items():
                kind, choices = _kind(sub.annotation)
                nested.append(Key(f"{name}.{field}", name, field, kind, choices, sub.is_required()))
        else:
            kind, choices = _kind(info.annotation)
            top.append(Key(name, "", name, kind, choices, info.is_required()))
    return top + nested


def get_key(name: str) -> Key:
    """Return the key `name`; an unknown name is a usage error naming every key."""
    keys = all_keys()
    for key in keys:
        if key.key == name:
            return key
    raise UsageError(
        T(
            "unbekannter Schlüssel „{k}“; möglich: {a}",
            'unknown key "{k}"; possible: {a}',
            k=name,
            a=", ".join(k.key for k in keys),
        )
    )


@dataclass(frozen=True)
class Setting:
    """A key's effective value and whether coop.toml sets it or the default holds."""

    key: str
    value: Any
    default: bool


def effective(config: Config, data: dict[str, Any], keys: list[Key]) -> list[Setting]:
    """Return the effective value of each of `keys`.

    Args:
        config: coop.toml as the model validated it (defaults filled in).
        data: coop.toml as written (what is set and what is left to the default).
        keys: the keys to answer for.
    """
    result = []
    for key in keys:
        holder: Any = getattr(config, key.section) if key.section else config
        value = getattr(holder, key.field)
        written = data.get(key.section, {}) if key.section else data
        is_set = isinstance(written, dict) and key.field in written
        result.append(
            Setting(key.key, list(value) if isinstance(value, list) else value, not is_set)
        )
    return result


def read_settings(ctx: Context, name: str | None = None) -> list[Setting]:
    """Return the effective settings of the repository's coop.toml (one key with `name`).

    coop.toml is validated by the same model as on every read; a broken one is reported as
    `coop.toml:line:col: …` problems.
    """
    keys = [get_key(name)] if name is not None else all_keys()
    raw = read_regular(ctx.root / layout.CONFIG, MAX_FILE_BYTES, root=ctx.root)
    textfile, problems = decode_text(layout.CONFIG, raw)
    located = None
    if textfile is not None:
        located, problems = parse_config(textfile)
    if textfile is None or located is None:
        raise ProblemsFound(problems)
    return effective(located.value, tomllib.loads(textfile.text), keys)
