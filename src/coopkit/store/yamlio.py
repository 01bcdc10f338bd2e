"""YAML 1.2 reading and writing for coop files.

Every scalar is a string unless the schema says otherwise; tags and aliases are refused; duplicate
keys are errors; comments and key order survive every edit.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    ScalarEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from coopkit.errors import Problem, Source, T
from coopkit.model.base import Loc

_NULLS = {"", "~", "null", "Null", "NULL"}
# Dates stay plain: every YAML reader takes them as dates, which is what they are.
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_AMBIGUOUS = re.compile(
    r"^(?:[-+]?[0-9][0-9_.:eE+-]*|0x[0-9a-fA-F]+|0o[0-7]+|\.inf|\.nan|[-+]\.inf|"
    r"y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|"
    r"~|null|Null|NULL|[-?:,\[\]{}#&*!|>'\"%@`].*|.*: .*|.* #.*|.*:)$"
)


class _StringResolver(VersionedResolver):
    """Resolve every plain scalar to a string: the schema, not YAML, decides types."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode:
            return self.DEFAULT_SCALAR_TAG
        return super().resolve(kind, value, implicit)


def make_yaml() -> YAML:
    """Return the one YAML configuration coopkit reads and writes with."""
    yaml = YAML(typ="rt")
    yaml.Resolver = _StringResolver
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.allow_duplicate_keys = False
    return yaml


def _problem(path: str, line0: int, col0: int, line_offset: int, message: T, code: str) -> Problem:
    return Problem(Source(path, line0 + 1 + line_offset, col0 + 1), message, code)


MAX_DEPTH = 50
"""Deepest nesting of mappings and lists accepted; deeper data is refused before it is built."""


def _too_deep(path: str, line0: int, col0: int, line_offset: int) -> Problem:
    return _problem(
        path,
        line0,
        col0,
        line_offset,
        T(
            "mehr als {n} Ebenen verschachtelt; so tief ist keine coop-Datei",
            "nested more than {n} levels deep; no coop file is that deep",
            n=MAX_DEPTH,
        ),
        "yaml-depth",
    )


def depth_problem(text: str, path: str, line_offset: int = 0) -> Problem | None:
    """Return a problem when YAML text nests deeper than MAX_DEPTH; cheap for ordinary files."""
    # Nesting needs indentation or brackets: a file with little of either cannot be deep.
    brackets = text.count("[") + text.count("{")
    if brackets <= MAX_DEPTH and all(
        len(line) - len(line.lstrip(" -")) <= MAX_DEPTH for line in text.split("\n")
    ):
        return None
    depth = 0
    try:
        for event in make_yaml().parse(text):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    return _too_deep(path, mark.line, mark.column, line_offset)
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except YAMLError:
        return None
    return None


MAX_REPORTED = 10
"""Anchors and tags reported per file before the scan stops (each is refused anyway)."""


def _scan_events(yaml: YAML, text: str, path: str, line_offset: int) -> list[Problem]:
    """Return the anchors, aliases and tags of a YAML text, stopping at the first alias.

    The parse is lazy: stopping at the first alias (or after MAX_REPORTED anchors and tags)
    refuses a file of 200,000 aliases in the time it takes to read its first lines, and the
    aliases are never expanded.
    """
    problems: list[Problem] = []
    depth = 0
    for event in yaml.parse(text):
        if len(problems) >= MAX_REPORTED:
            return problems
        mark = event.start_mark
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return [_too_deep(path, mark.line, mark.column, line_offset)]
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
        if isinstance(event, AliasEvent):
            problems.append(
                _problem(
                    path,
                    mark.line,
                    mark.column,
                    line_offset,
                    T(
                        "YAML-Alias „*{a}“ ist nicht erlaubt; bitte den Wert ausschreiben",
                        'YAML alias "*{a}" is not allowed; write the value out',
                        a=event.anchor,
                    ),
                    "yaml-alias",
                )
            )
            return problems
        elif isinstance(event, ScalarEvent | CollectionStartEvent):
            if event.anchor:
                problems.append(
                    _problem(
                        path,
                        mark.line,
                        mark.column,
                        line_offset,
                        T(
                            "YAML-Anker „&{a}“ ist nicht erlaubt",
                            'YAML anchor "&{a}" is not allowed',
                            a=event.anchor,
                        ),
                        "yaml-alias",
                    )
                )
            tag = event.tag
            if tag is not None and str(tag) not in ("!",):
                problems.append(
                    _problem(
                        path,
                        mark.line,
                        mark.column,
                        line_offset,
                        T(
                            "YAML-Tag „{t}“ ist nicht erlaubt; Typen ergeben sich aus dem Schema",
                            'YAML tag "{t}" is not allowed; types come from the schema',
                            t=str(tag),
                        ),
                        "yaml-tag",
                    )
                )
    return problems


def _first_occurrence(text: str, key: str, start: Any, line: int, col: int) -> int:
    """Return the 0-based line where a duplicated key first appears in its mapping."""
    lines = text.split("\n")
    begin = start.line if start is not None else 0
    for number in range(begin, min(line, len(lines))):
        candidate = lines[number][col:] if len(lines[number]) > col else ""
        if lines[number][:col].strip(" -") == "" and re.match(
            rf"""(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*:""", candidate
        ):
            return number
    return begin


def _marked_problem(err: MarkedYAMLError, path: str, line_offset: int, text: str) -> Problem:
    mark = err.problem_mark or err.context_mark
    line = mark.line if mark else 0
    col = mark.column if mark else 0
    raw = (err.problem or err.context or "").strip()
    if isinstance(err, DuplicateKeyError):
        key = re.search(r'duplicate key "(.*?)"', str(err.problem))
        name = key.group(1) if key else "?"
        first_line = _first_occurrence(text, name, err.context_mark, line, col)
        return _problem(
            path,
            line,
            col,
            line_offset,
            T(
                "Schlüssel „{k}“ doppelt (zuerst in Zeile {f}); jeder Schlüssel darf nur einmal "
                "vorkommen",
                'duplicate key "{k}" (first on line {f}); each key may appear only once',
                k=name,
                f=first_line + 1 + line_offset,
            ),
            "yaml-duplicate-key",
        )
    if "\\t" in raw or "'\\t'" in raw or "tab" in raw.lower():
        message = T(
            "Tabulator zur Einrückung; YAML erlaubt nur Leerzeichen",
            "tab used for indentation; YAML allows only spaces",
        )
        code = "yaml-tab"
    else:
        message = T("ungültiges YAML: {e}", "invalid YAML: {e}", e=raw or str(err))
        code = "yaml-syntax"
    return _problem(path, line, col, line_offset, message, code)


def load_yaml(text: str, path: str, line_offset: int = 0) -> tuple[Any, list[Problem]]:
    """Parse YAML text into round-trip nodes; report syntax errors, tags, aliases, duplicates.

    Args:
        text: the YAML document.
        path: repository-relative path for messages.
        line_offset: lines before the document in the file (front matter starts at line 2).
    """
    yaml = make_yaml()
    try:
        problems = _scan_events(yaml, text, path, line_offset)
        if problems:
            return None, problems
        return yaml.load(text), []
    except MarkedYAMLError as err:
        return None, [_marked_problem(err, path, line_offset, text)]
    except YAMLError as err:
        return None, [
            Problem(
                Source(path, 1 + line_offset, 1),
                T("ungültiges YAML: {e}", "invalid YAML: {e}", e=str(err)),
                "yaml-syntax",
            )
        ]


# Text that may hold anchors, aliases, tags or quoted null-like strings takes the careful path:
# the fast loader would accept the first three and cannot tell `"null"` from `null`.
_NEEDS_CAREFUL = re.compile(
    r"""(?:^|[\s\[{,:-])[&*!]|["']\s*(?:~|null|Null|NULL)?\s*["']""", re.MULTILINE
)
SLOW = object()
"""Returned by `fast_load` when a file needs the careful round-trip parse."""


@cache
def _fast_yaml() -> YAML:
    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = _StringResolver
    yaml.allow_duplicate_keys = False
    return yaml


def fast_load(text: str) -> Any:
    """Load plain data with the C parser when the text is unremarkable; else return SLOW.

    The careful loader (`load_yaml`) gives the same data plus positions and every problem; the
    fast one is 10-20 times quicker and serves the common case of a valid file.
    """
    if _NEEDS_CAREFUL.search(text):
        return SLOW
    try:
        return to_plain(_fast_yaml().load(text))
    except (YAMLError, ValueError, TypeError):
        return SLOW


class Spans(Mapping[Loc, tuple[int, int]]):
    """Field positions of a file, computed by the careful parser only when first asked for."""

    def __init__(
        self,
        text: str = "",
        path: str = "",
        line_offset: int = 0,
        known: dict[Loc, tuple[int, int]] | None = None,
    ) -> None:
        self._source = (text, path, line_offset)
        self._data = known
        self._extra: dict[Loc, tuple[int, int]] = {}

    def _positions(self) -> dict[Loc, tuple[int, int]]:
        if self._data is None:
            text, path, line_offset = self._source
            node, _ = load_yaml(text, path, line_offset)
            self._data = spans(node, line_offset=line_offset) if node is not None else {}
        return self._data

    def update(self, extra: Mapping[Loc, tuple[int, int]]) -> None:
        """Add positions found elsewhere in the file (e.g. Markdown headings)."""
        self._extra.update(extra)

    def __getitem__(self, key: Loc) -> tuple[int, int]:
        if key in self._extra:
            return self._extra[key]
        return self._positions()[key]

    def __iter__(self) -> Iterator[Loc]:
        return iter({**self._positions(), **self._extra})

    def __len__(self) -> int:
        return len({**self._positions(), **self._extra})


def load_data(text: str, path: str, line_offset: int = 0) -> tuple[Any, Spans, list[Problem]]:
    """Return (plain data, positions, problems) of a YAML document, fast when possible."""
    deep = depth_problem(text, path, line_offset)
    if deep is not None:
        return None, Spans(known={}), [deep]
    data = fast_load(text)
    if data is not SLOW:
        return data, Spans(text, path, line_offset), []
    node, problems = load_yaml(text, path, line_offset)
    if problems:
        return None, Spans(known={}), problems
    return to_plain(node), Spans(known=spans(node, line_offset=line_offset)), []


def dump_yaml(data: Any) -> str:
    """Serialise round-trip nodes back to text."""
    stream = io.StringIO()
    make_yaml().dump(data, stream)
    return stream.getvalue()


def to_plain(node: Any) -> Any:
    """Convert round-trip nodes to plain dicts, lists, strings and None (plain nulls only)."""
    if isinstance(node, dict):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if type(node) is str and node in _NULLS:
        return None
    if isinstance(node, str):
        return str(node)
    return node


def spans(node: Any, prefix: Loc = (), line_offset: int = 0) -> dict[Loc, tuple[int, int]]:
    """Map every field path in the node tree to its 1-based (line, column)."""
    result: dict[Loc, tuple[int, int]] = {}
    if isinstance(node, CommentedMap):
        for key in node:
            try:
                line, col = node.lc.value(key)
                kline, kcol = node.lc.key(key)
            except (KeyError, TypeError):
                continue
            loc = (*prefix, str(key))
            value = node[key]
            # Point at the value when it is a scalar on the key's line, else at the key.
            if isinstance(value, dict | list) or value is None or (line, col) == (None, None):
                result[loc] = (kline + 1 + line_offset, kcol + 1)
            else:
                result[loc] = (line + 1 + line_offset, col + 1)
            result.update(spans(value, loc, line_offset))
    elif isinstance(node, CommentedSeq):
        for i, value in enumerate(node):
            try:
                line, col = node.lc.item(i)
            except (KeyError, TypeError):
                continue
            loc = (*prefix, i)
            result[loc] = (line + 1 + line_offset, col + 1)
            result.update(spans(value, loc, line_offset))
    return result


def _literal_safe(value: str) -> bool:
    """Return whether a multi-line text survives a literal block (`|`) unchanged."""
    lines = value.split("\n")
    return (
        bool(lines[0].strip())
        and not lines[0][0].isspace()
        and all(line == line.rstrip() and line.isprintable() for line in lines)
        and not value.endswith("\n\n")
    )


def yaml_value(value: Any) -> Any:
    """Prepare a Python value for writing.

    Strings other YAML readers would misread are quoted, multi-line text becomes a literal block,
    dates become ISO text.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str):
        if "\n" in value:
            return (
                LiteralScalarString(value)
                if _literal_safe(value)
                else DoubleQuotedScalarString(value)
            )
        if _ISO_DATE.fullmatch(value):
            return value
        if (
            value == ""
            or _AMBIGUOUS.match(value)
            or value != value.strip()
            or not value.isprintable()
        ):
            return DoubleQuotedScalarString(value)
        return value
    if isinstance(value, dict):
        node = CommentedMap()
        for k, v in value.items():
            if v is not None:
                node[k] = yaml_value(v)
        return node
    if isinstance(value, list | tuple):
        seq = CommentedSeq()
        for v in value:
            seq.append(yaml_value(v))
        return seq
    raise TypeError(f"cannot write {type(value).__name__} to YAML")


def set_key(mapping: Any, key: str, value: Any, order: Sequence[str]) -> None:
    """Set `key` in a round-trip mapping, inserting a new key at its place in `order`."""
    if key in mapping:
        mapping[key] = value
        return
    rank = order.index(key) if key in order else len(order)
    position = 0
    for i, existing in enumerate(mapping):
        if existing in order and order.index(existing) < rank:
            position = i + 1
    mapping.insert(position, key, value)


def ensure_seq(mapping: Any, key: str, order: Sequence[str]) -> Any:
    """Return the sequence at `key`, creating an empty one at its place in `order`."""
    if key not in mapping or not isinstance(mapping[key], list):
        set_key(mapping, key, CommentedSeq(), order)
    return mapping[key]
