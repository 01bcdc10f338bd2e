"""Correcting an agreement's clauses: change, remove or move one, renumbering what follows.

The clauses live in the Markdown body as `## § N Title` headings; obligations name their clause
in the front matter (`clause: N`). Removing or moving a clause renumbers the headings and the
obligations' references in the same commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from coopkit.errors import ProblemsFound, T, UsageError
from coopkit.model.agreement import Agreement
from coopkit.queries.context import Context
from coopkit.queries.lookup import get_agreement
from coopkit.services.repository import CommitResult, Transaction, writing
from coopkit.store.codec import join_front_matter, parse_agreement, split_front_matter
from coopkit.store.yamlio import yaml_value

_CLAUSE_HEADING = re.compile(r"^## § (\d+)(?:\s+(.*))?$")


@dataclass(frozen=True)
class ClauseEdit:
    """An agreement after a clause correction, and the commit that wrote it."""

    agreement: Agreement
    path: str
    commit: CommitResult
    renumbered: dict[int, int]


@dataclass
class _Body:
    """An agreement's body cut into the part before § 1 and one block per clause."""

    head: list[str]
    blocks: list[list[str]]
    tail_newline: bool

    @classmethod
    def cut(cls, body: str) -> _Body:
        lines = body.split("\n")
        tail_newline = body.endswith("\n")
        if tail_newline:
            lines = lines[:-1]
        head: list[str] = []
        blocks: list[list[str]] = []
        for line in lines:
            if _CLAUSE_HEADING.match(line):
                blocks.append([line])
            elif blocks:
                blocks[-1].append(line)
            else:
                head.append(line)
        return cls(head, blocks, tail_newline)

    def number(self, index: int) -> int:
        match = _CLAUSE_HEADING.match(self.blocks[index][0])
        assert match is not None
        return int(match.group(1))

    def index_of(self, number: int) -> int | None:
        return next((i for i in range(len(self.blocks)) if self.number(i) == number), None)

    def join(self) -> str:
        text = "\n".join(_join_parts(self.head, self.blocks))
        return text + ("\n" if self.tail_newline else "")


def _trimmed(lines: list[str]) -> list[str]:
    end = len(lines)
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def _join_parts(head: list[str], blocks: list[list[str]]) -> list[str]:
    """Join the head and the clause blocks with one blank line between them."""
    out: list[str] = list(head)
    for block in blocks:
        if out and out[-1].strip():
            out.append("")
        out.extend(_trimmed(block))
    return out


def _heading(number: int, title: str) -> str:
    return f"## § {number} {title}".rstrip()


def _title_of(block: list[str]) -> str:
    match = _CLAUSE_HEADING.match(block[0])
    assert match is not None
    return (match.group(2) or "").strip()


def _open(tx: Transaction, agreement_id: str) -> tuple[Agreement, str, _Body, str, str]:
    """Return the agreement read under the lock, its path, body blocks and front matter."""
    agreement = get_agreement(tx.loaded(), agreement_id)
    path = tx.loaded().data.agreements[agreement_id].path
    front, body, _, problems = split_front_matter(tx.read(path).text, path)
    if problems:
        raise ProblemsFound(problems)
    return agreement, path, _Body.cut(body), front, body


def _clause_index(body: _Body, agreement: Agreement, number: int, option: str = "N") -> int:
    index = body.index_of(number)
    if index is None:
        raise UsageError(
            T(
                "{o}: § {n} gibt es in {a} nicht; vorhanden: {k}",
                "{o}: there is no § {n} in {a}; present: {k}",
                o=option,
                n=number,
                a=agreement.id,
                k=", ".join(f"§ {c.number}" for c in agreement.clauses) or "—",
            )
        )
    return index


def _renumber(tx: Transaction, path: str, body: _Body, mapping: dict[int, int]) -> None:
    """Write new heading numbers and the obligations' `clause:` references in one text."""
    for i, block in enumerate(body.blocks):
        old = body.number(i)
        if old in mapping:
            block[0] = _heading(mapping[old], _title_of(block))

    def change(node: Any) -> None:
        for item in node.get("obligations") or []:
            if not isinstance(item, dict):
                continue
            clause = str(item.get("clause", "")).strip()
            if clause.isdigit() and int(clause) in mapping:
                item["clause"] = yaml_value(mapping[int(clause)])

    if mapping:
        tx.edit(path, change)
    front, _, _, problems = split_front_matter(tx.read(path).text, path)
    if problems:
        raise ProblemsFound(problems)
    tx.replace_text(path, join_front_matter(front, body.join()))


def _finish(
    tx: Transaction,
    path: str,
    before: str,
    agreement: Agreement,
    message: T,
    when: date | None,
    note: str | None,
    renumbered: dict[int, int],
) -> ClauseEdit:
    if tx.read(path).text == before:
        raise UsageError(
            T(
                "keine Änderung an {a}; nichts wurde geschrieben",
                "no change to {a}; nothing was written",
                a=agreement.id,
            )
        )
    commit = tx.commit(message, when, note)
    located, _ = parse_agreement(tx.read(path))
    return ClauseEdit(located.value if located else agreement, path, commit, renumbered)


def set_clause(
    ctx: Context,
    agreement_id: str,
    number: int,
    *,
    title: str | None = None,
    text: str | None = None,
    when: date | None = None,
    note: str | None = None,
) -> ClauseEdit:
    """Replace the title and/or the text of § `number`."""
    if title is None and text is None:
        raise UsageError(
            T("--title oder TEXT angeben", "give --title or TEXT"),
        )
    if title is not None and (not title.strip() or "\n" in title):
        raise UsageError(
            T("der Titel muss eine nicht leere Zeile sein", "the title must be one non-empty line")
        )
    with writing(ctx) as tx:
        agreement, path, body, _, _ = _open(tx, agreement_id)
        before = tx.read(path).text
        index = _clause_index(body, agreement, number)
        block = body.blocks[index]
        if title is not None:
            block[0] = _heading(number, title.strip())
        if text is not None:
            content = text.strip("\n")
            block[1:] = ["", *content.split("\n")] if content.strip() else []
        _renumber(tx, path, body, {})
        what = [
            *([T("Überschrift", "title")] if title is not None else []),
            *([T("Text", "text")] if text is not None else []),
        ]
        message = T(
            "§ {n} von {a} geändert: {w}",
            "Clause § {n} of {a} changed: {w}",
            n=number,
            a=agreement_id,
            w=" + ".join(w.format(tx.snapshot().locale) for w in what),
        )
        return _finish(tx, path, before, agreement, message, when, note, {})


def _citing(agreement: Agreement, number: int) -> list[str]:
    return [o.id for o in agreement.obligations if o.clause == number]


def remove_clause(
    ctx: Context,
    agreement_id: str,
    number: int,
    *,
    when: date | None = None,
    note: str | None = None,
) -> ClauseEdit:
    """Remove § `number`; the clauses after it move up one number, with the obligations' links."""
    with writing(ctx) as tx:
        agreement, path, body, _, _ = _open(tx, agreement_id)
        before = tx.read(path).text
        index = _clause_index(body, agreement, number)
        citing = _citing(agreement, number)
        if citing:
            raise UsageError(
                T(
                    "§ {n} von {a} wird von Pflichten genannt: {o}; der Paragraph bleibt",
                    "§ {n} of {a} is named by obligations: {o}; the clause stays",
                    n=number,
                    a=agreement_id,
                    o=", ".join(citing),
                ),
                hint=T(
                    "erst die Pflichten einem anderen Paragraphen zuordnen: coop obligation "
                    "set {a} PFLICHT --clause N (oder --unset clause)",
                    "first link the obligations to another clause: coop obligation "
                    "set {a} OBLIGATION --clause N (or --unset clause)",
                    a=agreement_id,
                ),
            )
        numbers = [body.number(i) for i in range(len(body.blocks))]
        del body.blocks[index]
        remaining = numbers[:index] + numbers[index + 1 :]
        mapping = {old: new for old, new in zip(remaining, numbers[: len(remaining)], strict=True)}
        mapping = {old: new for old, new in mapping.items() if old != new}
        _renumber(tx, path, body, mapping)
        message = T(
            "§ {n} aus {a} entfernt",
            "Clause § {n} removed from {a}",
            n=number,
            a=agreement_id,
        )
        if mapping:
            message = T(
                "§ {n} aus {a} entfernt; folgende Paragraphen neu nummeriert",
                "Clause § {n} removed from {a}; the following clauses renumbered",
                n=number,
                a=agreement_id,
            )
        return _finish(tx, path, before, agreement, message, when, note, mapping)


def move_clause(
    ctx: Context,
    agreement_id: str,
    number: int,
    to: int,
    *,
    when: date | None = None,
    note: str | None = None,
) -> ClauseEdit:
    """Move § `number` so that it becomes § `to`; the clauses between shift by one."""
    with writing(ctx) as tx:
        agreement, path, body, _, _ = _open(tx, agreement_id)
        before = tx.read(path).text
        index = _clause_index(body, agreement, number)
        target = _clause_index(body, agreement, to, "--to")
        if index == target:
            raise UsageError(
                T("§ {n} steht schon dort", "§ {n} is already there", n=number),
            )
        numbers = [body.number(i) for i in range(len(body.blocks))]
        block = body.blocks.pop(index)
        body.blocks.insert(target, block)
        order = numbers[:]
        moved = order.pop(index)
        order.insert(target, moved)
        mapping = {old: new for old, new in zip(order, numbers, strict=True) if old != new}
        _renumber(tx, path, body, mapping)
        message = T(
            "§ {n} von {a} wird § {t}; dazwischen neu nummeriert",
            "Clause § {n} of {a} becomes § {t}; the clauses between renumbered",
            n=number,
            a=agreement_id,
            t=to,
        )
        return _finish(tx, path, before, agreement, message, when, note, mapping)
