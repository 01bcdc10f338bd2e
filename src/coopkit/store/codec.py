"""Text <-> model for every record kind, with line numbers for every problem."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from coopkit.errors import Problem, Source, T
from coopkit.model.agreement import Agreement, Clause
from coopkit.model.base import Loc, Located
from coopkit.model.config import Config
from coopkit.model.erasure import Erasure
from coopkit.model.fulfilment import Fulfilment
from coopkit.model.invalid import explain_error
from coopkit.model.keys import KeyRegistration, KeyRevocation
from coopkit.model.minutes import ActionRecord, Minutes
from coopkit.model.partner import Partner
from coopkit.model.signoff import SignOff, Withdrawal
from coopkit.model.termination import Termination
from coopkit.store.text import TextFile
from coopkit.store.yamlio import Spans, dump_yaml, load_data, load_yaml, yaml_value

M = TypeVar("M", bound=BaseModel)

FRONT_MATTER = "---"
_HEADING = re.compile(r"^##(?!#)\s*(.*?)\s*$")
_CLAUSE = re.compile(r"^§\s*(\d+)\.?\s+(.+)$")
_PREAMBLE = {"präambel", "preamble"}


def _unknown_field_hint(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    target: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = getattr(target, "model_fields", {}).get(part)
        if info is None:
            return ""
        annotation = info.annotation
        args = getattr(annotation, "__args__", ()) or (annotation,)
        target = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if target is None:
            return ""
    fields = getattr(target, "model_fields", {})
    return ", ".join(fields)


def validation_problems(
    model: type[BaseModel],
    exc: ValidationError,
    path: str,
    positions: Mapping[Loc, tuple[int, int]] | None = None,
) -> list[Problem]:
    """Explain a model's validation errors in both languages, each at its place in the file."""
    probe: Located[Any] = Located(value=None, path=path, spans=positions or {})
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        message, code = explain_error(err)
        if err["type"] == "extra_forbidden":
            allowed = _unknown_field_hint(model, loc)
            if allowed:
                message = T("{m}; erlaubt: {a}", "{m}; allowed: {a}", m=message, a=allowed)
        # An empty file or front matter has no positions: its problems stand at line 1.
        where = probe.at(*loc) if positions is not None else Source(path)
        problems.append(Problem(where, message, code))
    return problems


def validate(
    model: type[M], data: Any, path: str, positions: Mapping[Loc, tuple[int, int]]
) -> tuple[Located[M] | None, list[Problem]]:
    """Validate plain data against a record model; map each error to its file position."""
    if not isinstance(data, dict):
        return None, [
            Problem(
                Source(path, 1, 1),
                T(
                    "erwartet eine Zuordnung (Schlüssel: Wert) auf oberster Ebene",
                    "expected a mapping (key: value) at the top level",
                ),
                "bad-type",
            )
        ]
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        return None, validation_problems(model, exc, path, positions)
    return Located(value=value, path=path, spans=positions), []


def split_front_matter(text: str, path: str) -> tuple[str, str, int, list[Problem]]:
    """Split `---` front matter from the Markdown body.

    Returns:
        (front matter, body, line number where the body starts, problems).
    """
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FRONT_MATTER:
        return (
            "",
            text,
            1,
            [
                Problem(
                    Source(path, 1, 1),
                    T(
                        "erwartet „---“ in Zeile 1 (Beginn des YAML-Kopfes)",
                        'expected "---" on line 1 (start of the YAML front matter)',
                    ),
                    "front-matter",
                )
            ],
        )
    for i in range(1, len(lines)):
        if lines[i].rstrip() == FRONT_MATTER:
            front = "\n".join(lines[1:i]) + "\n"
            body = "\n".join(lines[i + 1 :])
            return front, body, i + 2, []
    return (
        "",
        "",
        1,
        [
            Problem(
                Source(path, 1, 1),
                T(
                    "der YAML-Kopf wird nicht mit „---“ geschlossen",
                    'the YAML front matter is not closed by "---"',
                ),
                "front-matter",
            )
        ],
    )


def join_front_matter(front: str, body: str) -> str:
    """Join front matter text and a Markdown body into one file."""
    return f"{FRONT_MATTER}\n{front}{FRONT_MATTER}\n{body}"


def parse_body(
    body: str, path: str, first_line: int
) -> tuple[dict[str, Any], dict[Loc, tuple[int, int]], list[Problem]]:
    """Parse an agreement's Markdown body into preamble and numbered clauses."""
    problems: list[Problem] = []
    positions: dict[Loc, tuple[int, int]] = {}
    preamble: list[str] | None = None
    clauses: list[dict[str, Any]] = []
    current: list[str] | None = None
    for offset, line in enumerate(body.split("\n")):
        lineno = first_line + offset
        heading = _HEADING.match(line)
        if heading:
            title = heading.group(1)
            clause = _CLAUSE.match(title)
            if title.lower() in _PREAMBLE:
                if preamble is not None or clauses:
                    problems.append(
                        Problem(
                            Source(path, lineno, 1),
                            T(
                                "Präambel muss einmal und vor § 1 stehen",
                                "the preamble must come once, before § 1",
                            ),
                            "clause-order",
                        )
                    )
                preamble = current = []
                positions[("preamble",)] = (lineno, 1)
            elif clause:
                number = int(clause.group(1))
                expected = len(clauses) + 1
                if number != expected:
                    problems.append(
                        Problem(
                            Source(path, lineno, 4),
                            T(
                                "Paragraph § {n} an dieser Stelle; erwartet § {e} "
                                "(fortlaufend ab § 1)",
                                "clause § {n} here; expected § {e} (numbered from § 1)",
                                n=number,
                                e=expected,
                            ),
                            "clause-order",
                        )
                    )
                current = []
                positions[("clauses", len(clauses))] = (lineno, 1)
                clauses.append({"number": number, "title": clause.group(2), "lines": current})
            else:
                problems.append(
                    Problem(
                        Source(path, lineno, 1),
                        T(
                            "Überschrift „## {t}“: erwartet „## Präambel“ oder „## § N Titel“",
                            'heading "## {t}": expected "## Präambel" or "## § N Title"',
                            t=title,
                        ),
                        "clause-heading",
                    )
                )
            continue
        if current is None:
            if line.strip():
                problems.append(
                    Problem(
                        Source(path, lineno, 1),
                        T(
                            "Text vor der ersten Überschrift; erwartet „## Präambel“ oder "
                            "„## § 1 Titel“",
                            'text before the first heading; expected "## Präambel" or '
                            '"## § 1 Title"',
                        ),
                        "clause-heading",
                    )
                )
            continue
        current.append(line)
    data: dict[str, Any] = {
        "preamble": "\n".join(preamble or []).strip("\n").rstrip(),
        "clauses": [
            {
                "number": c["number"],
                "title": c["title"],
                "text": "\n".join(c["lines"]).strip("\n").rstrip(),
            }
            for c in clauses
        ],
    }
    return data, positions, problems


def dump_body(preamble: str, clauses: list[Clause], preamble_title: str = "Präambel") -> str:
    """Write an agreement's preamble and clauses as Markdown."""
    parts = []
    if preamble:
        parts.append(f"## {preamble_title}\n\n{preamble}\n")
    for clause in clauses:
        text = f"\n{clause.text}\n" if clause.text else ""
        parts.append(f"## § {clause.number} {clause.title}\n{text}")
    return "\n".join(parts)


def _load_front(textfile: TextFile) -> tuple[Any, str, int, Spans, list[Problem]]:
    front, body, body_line, problems = split_front_matter(textfile.text, textfile.path)
    if problems:
        return None, body, body_line, Spans(known={}), problems
    data, positions, problems = load_data(front, textfile.path, line_offset=1)
    return data, body, body_line, positions, problems


def _parse_yaml_record(
    model: type[M], textfile: TextFile
) -> tuple[Located[M] | None, list[Problem]]:
    data, positions, problems = load_data(textfile.text, textfile.path)
    if problems:
        return None, problems
    if data is None:
        return None, [Problem(Source(textfile.path, 1, 1), T("leere Datei", "empty file"), "empty")]
    return validate(model, data, textfile.path, positions)


def parse_erasure(textfile: TextFile) -> tuple[Located[Erasure] | None, list[Problem]]:
    """Parse an erasure record (erasures/<id>.yaml)."""
    return _parse_yaml_record(Erasure, textfile)


def parse_yaml_record(
    model: type[M], textfile: TextFile
) -> tuple[Located[M] | None, list[Problem]]:
    """Parse a YAML record of a kind kept outside the record folders (`archive/`)."""
    return _parse_yaml_record(model, textfile)


def parse_partner(textfile: TextFile) -> tuple[Located[Partner] | None, list[Problem]]:
    """Parse partners/<id>.yaml."""
    return _parse_yaml_record(Partner, textfile)


def parse_signoff(textfile: TextFile) -> tuple[Located[SignOff] | None, list[Problem]]:
    """Parse agreements/<id>/signoffs/<version>/<partner>.yaml."""
    return _parse_yaml_record(SignOff, textfile)


def parse_key(textfile: TextFile) -> tuple[Located[KeyRegistration] | None, list[Problem]]:
    """Parse keys/<partner>/<fingerprint>.yaml."""
    return _parse_yaml_record(KeyRegistration, textfile)


def parse_key_revocation(
    textfile: TextFile,
) -> tuple[Located[KeyRevocation] | None, list[Problem]]:
    """Parse keys/<partner>/<fingerprint>.revoked.yaml."""
    return _parse_yaml_record(KeyRevocation, textfile)


def parse_fulfilment(textfile: TextFile) -> tuple[Located[Fulfilment] | None, list[Problem]]:
    """Parse agreements/<id>/fulfilment/<date>-<obligation>-<partner>.yaml."""
    return _parse_yaml_record(Fulfilment, textfile)


def parse_action_record(textfile: TextFile) -> tuple[Located[ActionRecord] | None, list[Problem]]:
    """Parse actions/<meeting-id>-<n>.yaml."""
    return _parse_yaml_record(ActionRecord, textfile)


def parse_withdrawal(textfile: TextFile) -> tuple[Located[Withdrawal] | None, list[Problem]]:
    """Parse agreements/<id>/withdrawals/<version>/<partner>-<n>.yaml."""
    return _parse_yaml_record(Withdrawal, textfile)


def parse_termination(textfile: TextFile) -> tuple[Located[Termination] | None, list[Problem]]:
    """Parse agreements/<id>/termination/<partner>.yaml."""
    return _parse_yaml_record(Termination, textfile)


def parse_agreement(textfile: TextFile) -> tuple[Located[Agreement] | None, list[Problem]]:
    """Parse agreements/<id>/agreement.md: YAML front matter plus preamble and § clauses."""
    data, body, body_line, positions, problems = _load_front(textfile)
    if problems:
        return None, problems
    if data is None:
        data = {}
    body_data, body_positions, body_problems = parse_body(body, textfile.path, body_line)
    if not isinstance(data, dict):
        return validate(Agreement, data, textfile.path, positions)
    for key in ("preamble", "clauses"):
        if key in data:
            body_problems.append(
                Problem(
                    Source(textfile.path, *positions.get((key,), (1, 1))),
                    T(
                        "„{k}“ gehört in den Markdown-Teil, nicht in den YAML-Kopf",
                        '"{k}" belongs in the Markdown part, not the front matter',
                        k=key,
                    ),
                    "unknown-field",
                )
            )
    data.update(body_data)
    positions.update(body_positions)
    located, problems = validate(Agreement, data, textfile.path, positions)
    problems = body_problems + problems
    return (None if problems else located), problems


def parse_minutes(textfile: TextFile) -> tuple[Located[Minutes] | None, list[Problem]]:
    """Parse minutes/<date>-<slug>.md: YAML front matter plus free remarks in Markdown."""
    data, body, body_line, positions, problems = _load_front(textfile)
    if problems:
        return None, problems
    if data is None:
        data = {}
    if isinstance(data, dict):
        data["remarks"] = body.strip("\n").rstrip()
    return validate(Minutes, data, textfile.path, positions)


def parse_config(textfile: TextFile) -> tuple[Located[Config] | None, list[Problem]]:
    """Parse coop.toml."""
    try:
        data = tomllib.loads(textfile.text)
    except RecursionError:
        return None, [
            Problem(
                Source(textfile.path, 1, 1),
                T("ungültiges TOML: zu tief verschachtelt", "invalid TOML: nested too deeply"),
                "toml-syntax",
            )
        ]
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"line (\d+), column (\d+)", str(err))
        line, col = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
        return None, [
            Problem(
                Source(textfile.path, line, col),
                T("ungültiges TOML: {e}", "invalid TOML: {e}", e=str(err)),
                "toml-syntax",
            )
        ]
    positions: dict[Loc, tuple[int, int]] = {}
    section: tuple[str, ...] = ()
    for lineno, text_line in enumerate(textfile.text.split("\n"), start=1):
        header = re.fullmatch(r"\s*\[([A-Za-z0-9_-]+)\]\s*(?:#.*)?", text_line)
        if header:
            section = (header.group(1),)
            positions.setdefault(section, (lineno, 1))
            continue
        key = text_line.split("=", 1)[0].strip()
        if "=" in text_line and key:
            positions.setdefault((key,), (lineno, 1))
            if section:
                positions.setdefault((*section, key), (lineno, 1))
    return validate(Config, data, textfile.path, positions)


PARSERS: dict[str, Callable[[TextFile], tuple[Any, list[Problem]]]] = {
    "config": parse_config,
    "partner": parse_partner,
    "agreement": parse_agreement,
    "signoff": parse_signoff,
    "key": parse_key,
    "key-revocation": parse_key_revocation,
    "fulfilment": parse_fulfilment,
    "minutes": parse_minutes,
    "action": parse_action_record,
    "termination": parse_termination,
    "withdrawal": parse_withdrawal,
}


def _plain_record(model: BaseModel, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    data = model.model_dump(mode="json", exclude_none=True)

    def prune(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: prune(v) for k, v in value.items() if v not in ([], "", {})}
        if isinstance(value, list):
            return [prune(v) for v in value]
        return value

    pruned = prune(data)
    for key in drop:
        pruned.pop(key, None)
    return pruned  # type: ignore[no-any-return]


def dump_record(model: BaseModel) -> str:
    """Write a YAML record (partner, sign-off, fulfilment, action record) for a new file."""
    return dump_yaml(yaml_value(_plain_record(model)))


def dump_agreement(agreement: Agreement) -> str:
    """Write a whole agreement.md for a new file."""
    plain = _plain_record(agreement, drop=("preamble", "clauses"))
    for obligation in plain.get("obligations", []):
        # The default is written by nobody: a file states a rule only where it moves dates.
        if obligation.get("on_holiday") == "keep":
            del obligation["on_holiday"]
    front = dump_yaml(yaml_value(plain))
    return join_front_matter(front, "\n" + dump_body(agreement.preamble, agreement.clauses))


def dump_minutes(minutes: Minutes) -> str:
    """Write a whole minutes file for a new meeting."""
    plain = _plain_record(minutes, drop=("remarks",))
    for top in plain.get("tops", []):
        # An ordinary TOP stays as short as it was before standing items existed.
        if top.get("recurring") is False:
            del top["recurring"]
    front = dump_yaml(yaml_value(plain))
    body = f"\n{minutes.remarks}\n" if minutes.remarks else ""
    return join_front_matter(front, body)


def edit_yaml_text(text: str, path: str, change: Callable[[Any], None]) -> str:
    """Apply `change` to the round-trip node tree of a YAML file; comments and order survive."""
    node, problems = load_yaml(text, path)
    if problems or node is None:
        from coopkit.errors import ProblemsFound

        raise ProblemsFound(problems)
    change(node)
    return dump_yaml(node)


def edit_front_matter(text: str, path: str, change: Callable[[Any], None]) -> str:
    """Apply `change` to the front matter of a Markdown file; the body stays as it is."""
    front, body, _, problems = split_front_matter(text, path)
    if not problems:
        node, problems = load_yaml(front, path, line_offset=1)
    if problems:
        from coopkit.errors import ProblemsFound

        raise ProblemsFound(problems)
    change(node)
    return join_front_matter(dump_yaml(node), body)
