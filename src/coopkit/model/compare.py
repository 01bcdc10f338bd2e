"""Comparing two states of an agreement: clause text and the obligations, as plain values."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Literal

from coopkit.model.agreement import Agreement, Clause, Obligation

ParagraphKind = Literal["text", "bullet"]
ChangeKind = Literal["added", "removed", "changed"]

METADATA_FIELDS = (
    "title",
    "parties",
    "coordinator",
    "valid_from",
    "valid_until",
    "review_cycle",
    "notice_period",
    "on_notice",
    "status",
)
OBLIGATION_FIELDS = (
    "clause",
    "by",
    "to",
    "what",
    "recurrence",
    "first_due",
    "on_holiday",
    "condition",
    "how",
)


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of clause text: running text or a bullet item (Markdown `- `)."""

    kind: ParagraphKind
    text: str


def split_paragraphs(text: str) -> list[Paragraph]:
    """Split Markdown clause text into paragraphs.

    Blank lines separate paragraphs; a line starting with `- ` or `* ` is a bullet item of
    its own; other consecutive lines join with a space (Markdown soft line breaks).
    """
    paragraphs: list[Paragraph] = []
    current: list[str] = []
    kind: ParagraphKind = "text"

    def flush() -> None:
        nonlocal current
        if current:
            paragraphs.append(Paragraph(kind, " ".join(current)))
        current = []

    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith(("- ", "* ")):
            flush()
            kind = "bullet"
            current = [line[2:].strip()]
            continue
        if not current:
            kind = "text"
        current.append(line)
    flush()
    return paragraphs


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: its name and both values as text (empty when unset)."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class ObligationChange:
    """An obligation added, removed, or changed in some fields."""

    kind: ChangeKind
    id: str
    what: str
    changes: list[FieldChange] = field(default_factory=list)


@dataclass(frozen=True)
class ClauseChange:
    """A clause added, removed or changed, with a unified diff of its text lines."""

    kind: ChangeKind
    old_number: int | None
    new_number: int | None
    old_title: str | None
    new_title: str | None
    lines: list[str] = field(default_factory=list)

    @property
    def heading(self) -> str:
        """Return `§ n Title` of the newer side, else of the older."""
        number = self.new_number if self.new_number is not None else self.old_number
        title = self.new_title if self.new_title is not None else self.old_title
        return f"§ {number} {title}"


@dataclass(frozen=True)
class AgreementDiff:
    """Everything that differs between two states of one agreement."""

    metadata: list[FieldChange]
    preamble: list[str]
    clauses: list[ClauseChange]
    obligations: list[ObligationChange]

    @property
    def empty(self) -> bool:
        """Return whether both states are the same."""
        return not (self.metadata or self.preamble or self.clauses or self.obligations)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def recurrence(obligation: Obligation) -> str:
    """Return the recurrence as written in the file (`P3M`, an RRULE, or empty for once)."""
    return obligation.every or obligation.rrule or ""


def _obligation_value(obligation: Obligation, name: str) -> str:
    if name == "recurrence":
        return recurrence(obligation)
    return _text(getattr(obligation, name))


def compare_obligations(old: list[Obligation], new: list[Obligation]) -> list[ObligationChange]:
    """Return added, removed and changed obligations, matched by id, in the newer order."""
    before = {o.id: o for o in old}
    after = {o.id: o for o in new}
    result: list[ObligationChange] = []
    for obligation in new:
        previous = before.get(obligation.id)
        if previous is None:
            result.append(ObligationChange("added", obligation.id, obligation.what))
            continue
        changes = [
            FieldChange(
                name, _obligation_value(previous, name), _obligation_value(obligation, name)
            )
            for name in OBLIGATION_FIELDS
            if _obligation_value(previous, name) != _obligation_value(obligation, name)
        ]
        if changes:
            result.append(ObligationChange("changed", obligation.id, obligation.what, changes))
    result += [ObligationChange("removed", o.id, o.what) for o in old if o.id not in after]
    return result


def _lines(text: str) -> list[str]:
    return text.split("\n") if text else []


def text_diff(old: str, new: str, context: int = 2) -> list[str]:
    """Return unified-diff lines (`-`, `+`, ` ` and `@@` hunks) between two texts."""
    lines = difflib.unified_diff(_lines(old), _lines(new), lineterm="", n=context)
    return [line for line in lines if not line.startswith(("---", "+++"))]


def pair_clauses(old: list[Clause], new: list[Clause]) -> list[tuple[Clause | None, Clause | None]]:
    """Pair the clauses of two states: same title first (survives renumbering), then same number."""
    pairs: list[tuple[Clause | None, Clause | None]] = []
    unmatched_old = list(old)
    matched: dict[int, Clause] = {}
    old_titles = [c.title for c in old]
    for index, clause in enumerate(new):
        if old_titles.count(clause.title) == 1 and [c.title for c in new].count(clause.title) == 1:
            partner = next(c for c in old if c.title == clause.title)
            matched[index] = partner
            unmatched_old.remove(partner)
    for index, clause in enumerate(new):
        if index in matched:
            continue
        candidate = next((c for c in unmatched_old if c.number == clause.number), None)
        if candidate is not None:
            matched[index] = candidate
            unmatched_old.remove(candidate)
    for index, clause in enumerate(new):
        pairs.append((matched.get(index), clause))
    for clause in unmatched_old:
        pairs.append((clause, None))
    return pairs


def compare_clauses(old: list[Clause], new: list[Clause]) -> list[ClauseChange]:
    """Return the clauses that were added, removed, renumbered, renamed or reworded."""
    result: list[ClauseChange] = []
    for before, after in pair_clauses(old, new):
        if before is None and after is not None:
            result.append(
                ClauseChange(
                    "added", None, after.number, None, after.title, text_diff("", after.text)
                )
            )
        elif after is None and before is not None:
            result.append(
                ClauseChange(
                    "removed", before.number, None, before.title, None, text_diff(before.text, "")
                )
            )
        elif before is not None and after is not None and before != after:
            result.append(
                ClauseChange(
                    "changed",
                    before.number,
                    after.number,
                    before.title,
                    after.title,
                    text_diff(before.text, after.text),
                )
            )
    return result


def compare_agreements(old: Agreement, new: Agreement) -> AgreementDiff:
    """Return the text, metadata and obligation differences between two agreement states."""
    metadata = [
        FieldChange(name, _text(getattr(old, name)), _text(getattr(new, name)))
        for name in METADATA_FIELDS
        if _text(getattr(old, name)) != _text(getattr(new, name))
    ]
    return AgreementDiff(
        metadata=metadata,
        preamble=text_diff(old.preamble, new.preamble) if old.preamble != new.preamble else [],
        clauses=compare_clauses(old.clauses, new.clauses),
        obligations=compare_obligations(old.obligations, new.obligations),
    )
