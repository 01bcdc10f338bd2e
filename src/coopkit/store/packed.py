"""Parse results as compact bytes for the parse cache, restored without validating again.

A record was validated when its blob was first parsed; the cache is keyed by the blob id and the
program stamp (coopkit's code, Python, pydantic, ruamel.yaml, …; see `index.stamp`), so reading
it back needs no second validation. A record is packed into plain tuples (class number,
fields-set number, field values in declaration order) and pickled; only dates may be named by
the pickle, so an entry cannot run code. Restoring builds the very objects validation builds
(same classes, same field values, same fields set) through pydantic's public `model_construct`,
sharing one fields-set per shape: equal to a fresh parse, and about half the memory.

Cost of the public constructor, measured on the Land benchmark repository (26,301 cached
records, in process, median of 7): 2.21 s with `model_construct` against 1.27 s when the
attributes were set directly; the direct way reached into pydantic's private attributes, which a
pydantic release may change without notice, so the public one is kept.
"""

from __future__ import annotations

import io
import pickle
import typing
from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic import BaseModel

from coopkit.errors import Problem, Source, T
from coopkit.model.base import Id, PersonRef

FORMAT = 1
"""Changes whenever the layout of an entry changes; entries of another layout are parsed again."""

_ATOMS = (str, int, bool, float, date, type(None))


class _Shape:
    """How to pack and restore one model class."""

    __slots__ = ("cls", "construct", "fields_sets", "names", "nested", "number", "shared", "width")

    def __init__(self, cls: type[BaseModel], number: int) -> None:
        self.cls = cls
        self.construct = cls.model_construct
        self.number = number
        self.names = tuple(cls.model_fields)
        self.width = len(self.names) + 2
        self.nested = tuple(
            name for name, info in cls.model_fields.items() if _models_in(info.annotation)
        )
        self.shared = tuple(
            name
            for name, info in cls.model_fields.items()
            if name not in self.nested and _repeats(info.annotation, info.metadata)
        )
        """Fields whose values recur across records (references, dates): one object each."""
        self.fields_sets: dict[int, set[str]] = {}
        """One shared fields-set per mask: the models are frozen, nothing changes it."""

    def fields_set(self, mask: int) -> set[str]:
        """Return the fields-set a mask of field positions stands for."""
        found = self.fields_sets.get(mask)
        if found is None:
            if mask >> len(self.names) or mask < 0:
                raise ValueError("fields-set mask names unknown fields")
            found = {name for i, name in enumerate(self.names) if mask >> i & 1}
            self.fields_sets[mask] = found
        return found


class Registry:
    """Every model class reachable from the record kinds, numbered in a fixed order."""

    def __init__(self, models: dict[str, type[BaseModel]]) -> None:
        self.kinds = models
        self.shapes: list[_Shape] = []
        self.by_class: dict[type[BaseModel], _Shape] = {}
        for kind in sorted(models):
            self._add(models[kind])
        self.values: dict[Any, Any] = {}
        """Recurring values seen since `forget`: restored records share one object each."""
        self.restore = _restorer(self.shapes, self.values)
        """Build the model a packed tuple stands for, without validating it again."""

    def forget(self) -> None:
        """Stop sharing values with records restored so far (the end of a load)."""
        self.values.clear()

    def _add(self, cls: type[BaseModel]) -> None:
        if cls in self.by_class:
            return
        shape = _Shape(cls, len(self.shapes))
        self.shapes.append(shape)
        self.by_class[cls] = shape
        for info in cls.model_fields.values():
            for found in _models_in(info.annotation):
                self._add(found)

    def pack(self, value: BaseModel) -> tuple[Any, ...]:
        """Return a model as nested tuples of plain values.

        Raises:
            TypeError: a class or a value this format does not know.
        """
        shape = self.by_class.get(type(value))
        if shape is None:
            raise TypeError(f"{type(value).__name__} is not a record class")
        fields = value.__dict__
        mask = 0
        for i, name in enumerate(shape.names):
            if name in value.model_fields_set:
                mask |= 1 << i
        packed: list[Any] = [shape.number, mask]
        for name in shape.names:
            item = fields[name]
            if name not in shape.nested:
                packed.append(_plain(item))
            elif item is None or isinstance(item, BaseModel):
                packed.append(None if item is None else self.pack(item))
            elif type(item) is list and all(isinstance(x, BaseModel) for x in item):
                packed.append([self.pack(x) for x in item])
            else:
                raise TypeError(f"cannot pack {name} of {type(value).__name__}")
        return tuple(packed)

    def encode(
        self, kind: str, value: BaseModel | None, problems: list[Problem]
    ) -> tuple[bytes, Any]:
        """Return a parse result as bytes, and the record rebuilt compactly from them.

        The rebuilt record equals `value` and shares its fields-sets with every restored record,
        so a record parsed now and one read back later look alike in every way.

        Raises:
            TypeError: the record holds a class or value this format does not know.
        """
        if value is not None and type(value) is not self.kinds[kind]:
            raise TypeError(f"{type(value).__name__} is not a {kind} record")
        packed = None if value is None else self.pack(value)
        entry = (
            FORMAT,
            packed,
            [
                (
                    p.source.line,
                    p.source.col,
                    p.code,
                    p.message.format("de"),
                    p.message.format("en"),
                )
                for p in problems
            ],
        )
        data = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
        return data, None if packed is None else self.restore(packed)

    def load_entry(self, kind: str, path: str, data: bytes) -> tuple[Any, list[Problem]]:
        """Return (record or None, problems) from bytes `dump_entry` wrote.

        Raises:
            ValueError: the bytes are damaged, foreign or of another layout.
        """
        try:
            version, packed, found = _Entry(io.BytesIO(data)).load()
            if version != FORMAT:
                raise ValueError("parse cache entry of another layout")
            problems = [
                Problem(Source(path, line, col), T(_escape(de), _escape(en)), code)
                for line, col, code, de, en in found
            ]
            if packed is None:
                return None, problems
            value = self.restore(packed)
        except (pickle.UnpicklingError, EOFError, TypeError, IndexError, KeyError) as err:
            raise ValueError(f"damaged parse cache entry: {err}") from err
        if type(value) is not self.kinds[kind]:
            raise ValueError(f"parse cache entry is not a {kind} record")
        return value, problems


def _plain(item: Any) -> Any:
    """Return a field value that holds no model as it is; TypeError for what cannot be packed."""
    if type(item) is list:
        for x in item:
            _plain(x)
    elif type(item) not in _ATOMS:
        raise TypeError(f"cannot pack a value of type {type(item).__name__}")
    return item


def _restorer(shapes: list[_Shape], values: dict[Any, Any]) -> Callable[[tuple[Any, ...]], Any]:
    """Return the function that builds models from packed tuples (hot: one call per model)."""
    share = values.setdefault

    def restore(packed: tuple[Any, ...]) -> Any:
        shape = shapes[packed[0]]
        if len(packed) != shape.width:
            raise ValueError("packed record of the wrong length")
        fields = dict(zip(shape.names, packed[2:], strict=False))
        for name in shape.shared:
            item = fields[name]
            if item.__class__ is list:
                fields[name] = [share(x, x) for x in item]
            elif item is not None:
                fields[name] = share(item, item)
        for name in shape.nested:
            item = fields[name]
            if item.__class__ is tuple:
                fields[name] = restore(item)
            elif item:
                fields[name] = [restore(x) for x in item]
        mask = packed[1]
        # pydantic's public way to build a model from values it validated before: no validator
        # runs (nor is built), the fields-set is taken as given (one shared set per shape).
        return shape.construct(shape.fields_sets.get(mask) or shape.fields_set(mask), **fields)

    return restore


_REFERENCES = {
    getattr(meta, "func", None) for alias in (Id, PersonRef) for meta in typing.get_args(alias)[1:]
}


def _repeats(annotation: Any, metadata: list[Any]) -> bool:
    """Return whether a field holds dates or references (ids of other records, persons)."""
    if any(getattr(m, "func", None) in _REFERENCES for m in metadata):
        return True
    if annotation is date:
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        return _repeats(base, extra)
    return any(_repeats(arg, []) for arg in typing.get_args(annotation))


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


class _Entry(pickle.Unpickler):
    """Unpickle plain values and dates only: an entry names no other class and calls nothing."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("datetime", "date"):
            return date
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the parse cache")
