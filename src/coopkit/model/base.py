"""Shared building blocks of the domain model: base class, ids, person references, durations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    field_validator,
)
from pydantic_core import PydanticCustomError

from coopkit.errors import Source, T

ID_MAX = 64
_ID_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_WINDOWS_DEVICES = (
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
# Every pattern here is applied with fullmatch: `$` would accept a trailing newline.
_DURATION_RE = re.compile(
    r"P(?=[0-9])(?:(?P<y>[0-9]{1,4})Y)?(?:(?P<m>[0-9]{1,4})M)?(?:(?P<w>[0-9]{1,4})W)?"
    r"(?:(?P<d>[0-9]{1,5})D)?"
)
_TIME_RE = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
DURATION_MAX_DAYS = 36600
"""Longest duration accepted (100 years)."""
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2200, 12, 31)
"""Dates outside this range are refused where they enter (files and options)."""


def fail(de: str, en: str, **params: Any) -> PydanticCustomError:
    """Build a validation error that carries a German and an English message."""
    return PydanticCustomError("coop", en, {"de": de, "en": en, "params": params})


def id_problem(value: str) -> T | None:
    """Return why `value` is not a valid record id, or None when it is."""
    if not value:
        return T("leere ID", "empty id")
    if len(value) > ID_MAX:
        return T(
            "ID „{v}“ ist länger als {n} Zeichen",
            'id "{v}" is longer than {n} characters',
            v=value,
            n=ID_MAX,
        )
    if "/" in value or "\\" in value or ".." in value:
        return T(
            "ID „{v}“ enthält einen Pfadtrenner oder „..“; erlaubt sind a-z, 0-9 und „-“",
            'id "{v}" contains a path separator or ".."; allowed are a-z, 0-9 and "-"',
            v=value,
        )
    if not _ID_RE.fullmatch(value):
        return T(
            "ungültige ID „{v}“; erlaubt sind Kleinbuchstaben a-z, Ziffern und „-“ "
            "(nicht am Anfang oder Ende)",
            'invalid id "{v}"; allowed are lowercase a-z, digits and "-" (not first or last)',
            v=value,
        )
    if value.split("-")[0] in _WINDOWS_DEVICES or value in _WINDOWS_DEVICES:
        return T(
            "ID „{v}“ ist unter Windows ein reservierter Gerätename",
            'id "{v}" is a reserved device name on Windows',
            v=value,
        )
    return None


def date_problem(value: date) -> T | None:
    """Return why a date is outside the range coop accepts, or None when it is inside."""
    if DATE_MIN <= value <= DATE_MAX:
        return None
    return T(
        "Datum {v} außerhalb des erlaubten Bereichs {a} bis {b}",
        "date {v} outside the accepted range {a} to {b}",
        v=value.isoformat(),
        a=DATE_MIN.isoformat(),
        b=DATE_MAX.isoformat(),
    )


def _check_id(value: str) -> str:
    problem = id_problem(value)
    if problem is not None:
        raise fail(problem.de, problem.en, **problem.params)
    return value


def _check_person(value: str) -> str:
    parts = value.split("/")
    if len(parts) > 2:
        raise fail(
            "Person „{v}“: erwartet PARTNER oder PARTNER/PERSON",
            'person "{v}": expected PARTNER or PARTNER/PERSON',
            v=value,
        )
    for part in parts:
        _check_id(part)
    return value


def _check_duration(value: str) -> str:
    match = _DURATION_RE.fullmatch(value)
    if not match:
        raise fail(
            "„{v}“ ist keine ISO-8601-Dauer; erwartet z. B. P1M, P3M, P1Y, P2W, P14D",
            '"{v}" is not an ISO 8601 duration; expected e.g. P1M, P3M, P1Y, P2W, P14D',
            v=value,
        )
    years, months, weeks, days = (int(match.group(g) or 0) for g in "ymwd")
    # Beyond a century a recurrence reaches past any date coop computes with.
    if (years * 12 + months) * 30.5 + weeks * 7 + days > DURATION_MAX_DAYS:
        raise fail(
            "„{v}“ ist länger als 100 Jahre",
            '"{v}" is longer than 100 years',
            v=value,
        )
    return value


def _check_time(value: str) -> str:
    if not _TIME_RE.fullmatch(value):
        raise fail(
            "„{v}“ ist keine Uhrzeit; erwartet HH:MM (z. B. 14:00)",
            '"{v}" is not a time of day; expected HH:MM (e.g. 14:00)',
            v=value,
        )
    return value


def _one_or_many(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    return value


Id = Annotated[str, AfterValidator(_check_id)]
"""A record id: lowercase ASCII letters, digits and '-', safe as a file name."""

PersonRef = Annotated[str, AfterValidator(_check_person)]
"""A partner id, or `partner/person` naming a contact of that partner."""

Duration = Annotated[str, AfterValidator(_check_duration)]
"""An ISO 8601 calendar duration such as P3M or P1Y."""

PERMANENT = "permanent"
"""A retention period that never ends."""


def _check_period(value: str) -> str:
    return value if value == PERMANENT else _check_duration(value)


Period = Annotated[str, AfterValidator(_check_period)]
"""An ISO 8601 calendar duration, or "permanent"."""

TimeOfDay = Annotated[str, AfterValidator(_check_time)]
"""A time of day as HH:MM."""

IdList = Annotated[list[Id], BeforeValidator(_one_or_many)]
"""One id or a list of ids (a single value is accepted for convenience)."""


@lru_cache(maxsize=256)
def parse_duration(value: str) -> tuple[int, int, int, int]:
    """Split a validated ISO 8601 duration into (years, months, weeks, days)."""
    match = _DURATION_RE.fullmatch(value)
    if match is None:
        raise ValueError(value)
    return tuple(int(match.group(g) or 0) for g in "ymwd")  # type: ignore[return-value]


def split_person(ref: str) -> tuple[str, str | None]:
    """Split `partner/person` into its parts; the person is None for a bare partner."""
    partner, _, person = ref.partition("/")
    return partner, (person or None)


class Record(BaseModel):
    """Base of every record kind: frozen, unknown fields are errors, dates in a sane range."""

    # Validators are built on first use: a command that reads a partner and coop.toml (a write's
    # scoped check) does not pay for building every other record kind's.
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False, defer_build=True)

    @field_validator("*", mode="after")
    @classmethod
    def _sane_date(cls, value: Any) -> Any:
        # A year-9999 date would overflow far from here (date + timedelta); stop it on entry.
        # Records read back from the parse cache are not validated again (see store.packed).
        if isinstance(value, date) and not DATE_MIN <= value <= DATE_MAX:
            problem = date_problem(value)
            if problem is not None:
                raise fail(problem.de, problem.en, **problem.params)
        return value


Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Located(Generic[M]):
    """A parsed record with the file it came from and where each field stands in it."""

    value: M
    path: str
    spans: Mapping[Loc, tuple[int, int]] = field(default_factory=dict)

    def at(self, *loc: str | int) -> Source:
        """Return the source of the field at `loc`, or of its nearest enclosing field."""
        key: Loc = tuple(loc)
        while True:
            if key in self.spans:
                line, col = self.spans[key]
                return Source(self.path, line, col)
            if not key:
                return Source(self.path, 1, 1)
            key = key[:-1]


def date_in(value: date, start: date | None, end: date | None) -> bool:
    """Return whether `value` lies within [start, end]; None means unbounded."""
    return (start is None or value >= start) and (end is None or value <= end)
