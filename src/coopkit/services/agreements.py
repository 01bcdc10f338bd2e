"""Drafting agreements: skeleton, field changes, clauses, obligations, editing in an editor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from coopkit.errors import NotFound, Problem, ProblemsFound, Source, T, UsageError
from coopkit.model.agreement import Agreement, Clause, Obligation
from coopkit.model.base import id_problem
from coopkit.model.repo import RepoData
from coopkit.services.context import Context
from coopkit.services.repository import CommitResult, commit_changes, load_worktree
from coopkit.store import layout
from coopkit.store.atomic import remove_file, write_atomic
from coopkit.store.codec import (
    dump_agreement,
    edit_front_matter,
    parse_agreement,
    split_front_matter,
    validation_problems,
)
from coopkit.store.git import GitRepo
from coopkit.store.text import decode_text
from coopkit.store.yamlio import yaml_value

EDITS_DIR = f"{layout.INDEX_DIR}/edits"

SECTIONS: dict[str, list[tuple[str, str]]] = {
    "de": [
        ("Ziele", "[Hier die gemeinsamen Ziele der Kooperation beschreiben.]"),
        ("Leistungen der Partner", "[Hier für jeden Partner beschreiben, was er beiträgt.]"),
        (
            "Zusammenarbeit und Kommunikation",
            "[Hier beschreiben, wer wen wie oft worüber informiert und wie man sich trifft.]",
        ),
        (
            "Ansprechpartner",
            "[Hier beschreiben, wie die Ansprechpersonen benannt und aktuell gehalten werden.]",
        ),
        (
            "Datenschutz und Datenübermittlung",
            "[Hier beschreiben, welche Daten mit welcher Einwilligung an wen übermittelt werden.]",
        ),
        ("Kosten", "[Hier beschreiben, wer welche Kosten trägt.]"),
        ("Evaluation", "[Hier beschreiben, wann und wie die Zusammenarbeit ausgewertet wird.]"),
        (
            "Laufzeit und Kündigung",
            "[Hier Beginn, Dauer und Kündigungsfrist der Vereinbarung beschreiben.]",
        ),
        (
            "Schlussbestimmungen",
            "[Hier Schriftform von Änderungen, salvatorische Klausel und Ausfertigungen "
            "beschreiben.]",
        ),
    ],
    "en": [
        ("Goals", "[Describe the common goals of the cooperation here.]"),
        ("Contributions of the partners", "[Describe here what each partner contributes.]"),
        (
            "Cooperation and communication",
            "[Describe here who informs whom how often about what, and how the partners meet.]",
        ),
        ("Contact persons", "[Describe here how contact persons are named and kept up to date.]"),
        (
            "Data protection and data transfer",
            "[Describe here which data are passed to whom, with whose consent.]",
        ),
        ("Costs", "[Describe here who bears which costs.]"),
        ("Evaluation", "[Describe here when and how the cooperation is evaluated.]"),
        ("Term and notice", "[Describe here start, term and notice period of the agreement.]"),
        (
            "Final provisions",
            "[Describe here the written form of amendments, severability and copies.]",
        ),
    ],
}
PREAMBLE = {
    "de": ("Präambel", "[Hier Anlass und Hintergrund der Vereinbarung beschreiben.]"),
    "en": ("Preamble", "[Describe the occasion and background of the agreement here.]"),
}

SETTABLE = (
    "title",
    "parties",
    "coordinator",
    "valid_from",
    "valid_until",
    "review_cycle",
    "notice_period",
    "status",
)
OBLIGATION_FIELDS = (
    "clause",
    "by",
    "to",
    "what",
    "every",
    "rrule",
    "first_due",
    "condition",
    "how",
)
_REQUIRED = {"title", "parties", "by", "what"}
_LISTS = {"parties", "by", "to"}


@dataclass(frozen=True)
class AgreementResult:
    """An agreement after a write, and the commit that wrote it."""

    agreement: Agreement
    path: str
    commit: CommitResult


@dataclass(frozen=True)
class EditResult:
    """The outcome of `coop agreement edit`: committed, or unchanged."""

    agreement_id: str
    changed: bool
    commit: CommitResult | None


def _invalid(path: str, err: ValidationError) -> ProblemsFound:
    return ProblemsFound(validation_problems(Agreement, err, path))


def list_agreements(data: RepoData) -> list[Agreement]:
    """Return all agreements sorted by id."""
    return [data.agreements[key].value for key in sorted(data.agreements)]


def get_agreement(data: RepoData, agreement_id: str) -> Agreement:
    """Return the agreement with this id; NotFound names the known ones."""
    agreement = data.find_agreement(agreement_id)
    if agreement is None:
        raise NotFound(
            T(
                "Vereinbarung „{a}“ nicht gefunden; bekannt: {k}",
                'agreement "{a}" not found; known: {k}',
                a=agreement_id,
                k=", ".join(sorted(data.agreements)) or "—",
            )
        )
    return agreement


def agreement_at(repo: GitRepo, agreement_id: str, rev: str) -> Agreement | None:
    """Return the agreement as it was at a revision (only its own file is read), or None."""
    path = layout.agreement_path(agreement_id)
    blob = repo.read_blob(rev, path)
    if blob is None:
        return None
    textfile, problems = decode_text(path, blob)
    if textfile is None or problems:
        return None
    located, _ = parse_agreement(textfile)
    return located.value if located else None


def _locale(data: RepoData, ctx: Context) -> str:
    return data.config.value.locale if data.config else ctx.lang


def skeleton(
    agreement_id: str,
    title: str,
    parties: Sequence[str],
    coordinator: str | None = None,
    lang: str = "de",
) -> Agreement:
    """Return a new agreement with the standard sections and placeholders to fill in."""
    lang = lang if lang in SECTIONS else "de"
    return Agreement(
        id=agreement_id,
        title=title,
        parties=list(parties),
        coordinator=coordinator,
        preamble=PREAMBLE[lang][1],
        clauses=[
            Clause(number=n, title=section, text=text)
            for n, (section, text) in enumerate(SECTIONS[lang], start=1)
        ],
    )


def new_agreement(
    ctx: Context,
    agreement_id: str,
    title: str,
    parties: Sequence[str],
    *,
    coordinator: str | None = None,
    when: date | None = None,
) -> AgreementResult:
    """Create agreements/<id>/agreement.md from the skeleton and commit it."""
    problem = id_problem(agreement_id)
    if problem is not None:
        raise UsageError(problem)
    path = layout.agreement_path(agreement_id)
    if (ctx.root / path).exists():
        raise UsageError(
            T(
                "Vereinbarung „{a}“ gibt es schon ({p})",
                'agreement "{a}" already exists ({p})',
                a=agreement_id,
                p=path,
            )
        )
    data = load_worktree(ctx).data
    lang = _locale(data, ctx)
    try:
        agreement = skeleton(agreement_id, title, parties, coordinator, lang)
    except ValidationError as err:
        raise _invalid(path, err) from err
    text = dump_agreement(agreement)
    if lang == "en":
        text = text.replace("## Präambel\n", f"## {PREAMBLE['en'][0]}\n", 1)
    commit = commit_changes(
        ctx, {path: text.encode("utf-8")}, f"Add agreement {agreement_id}", when
    )
    return AgreementResult(agreement, path, commit)


def _write(
    ctx: Context, agreement_id: str, new_text: str, old_text: str, message: str, when: date | None
) -> AgreementResult:
    path = layout.agreement_path(agreement_id)
    if new_text == old_text:
        raise UsageError(
            T(
                "keine Änderung an {a}; nichts wurde geschrieben",
                "no change to {a}; nothing was written",
                a=agreement_id,
            )
        )
    commit = commit_changes(ctx, {path: new_text.encode("utf-8")}, message, when)
    return AgreementResult(get_agreement(load_worktree(ctx).data, agreement_id), path, commit)


def _current(ctx: Context, agreement_id: str) -> tuple[Agreement, str]:
    data = load_worktree(ctx).data
    agreement = get_agreement(data, agreement_id)
    path = layout.agreement_path(agreement_id)
    return agreement, (ctx.root / path).read_text("utf-8")


def _coerce(name: str, value: Any) -> Any:
    if name in _LISTS and isinstance(value, str):
        return [p for p in value.replace(",", " ").split() if p]
    return value


def set_field(
    ctx: Context, agreement_id: str, field: str, value: str, *, when: date | None = None
) -> AgreementResult:
    """Set one front-matter field (an empty value removes an optional one), or the preamble."""
    agreement, text = _current(ctx, agreement_id)
    path = layout.agreement_path(agreement_id)
    if field == "preamble":
        new_text = _replace_preamble(text, path, value, _locale(load_worktree(ctx).data, ctx))
    elif field in SETTABLE:
        if value == "" and field in _REQUIRED:
            raise UsageError(T("„{f}“ darf nicht leer sein", '"{f}" must not be empty', f=field))

        def change(node: Any) -> None:
            if value == "":
                node.pop(field, None)
            else:
                node[field] = yaml_value(_coerce(field, value))

        new_text = edit_front_matter(text, path, change)
    else:
        raise UsageError(
            T(
                "Feld „{f}“ kann so nicht gesetzt werden; möglich: {k}",
                'field "{f}" cannot be set this way; possible: {k}',
                f=field,
                k=", ".join((*SETTABLE, "preamble")),
            ),
            hint=T(
                "Paragraphen mit „coop agreement clause add“ oder „coop agreement edit“ ändern",
                'change clauses with "coop agreement clause add" or "coop agreement edit"',
            ),
        )
    return _write(ctx, agreement_id, new_text, text, f"Set {field} of {agreement_id}", when)


def _replace_preamble(text: str, path: str, value: str, lang: str) -> str:
    front, body, _, problems = split_front_matter(text, path)
    if problems:
        raise ProblemsFound(problems)
    lines = body.split("\n")
    start = next(
        (i for i, ln in enumerate(lines) if ln.strip().lower() in ("## präambel", "## preamble")),
        None,
    )
    block = [f"## {PREAMBLE.get(lang, PREAMBLE['de'])[0]}", "", value.strip(), ""]
    if start is None:
        first = next((i for i, ln in enumerate(lines) if ln.startswith("## ")), len(lines))
        lines[first:first] = block
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        lines[start:end] = [lines[start], "", value.strip(), ""] if value.strip() else []
    head = text[: len(text) - len(body)]
    return head + "\n".join(lines)


def add_clause(
    ctx: Context, agreement_id: str, title: str, text: str, *, when: date | None = None
) -> AgreementResult:
    """Append a clause § n+1 with a title and text."""
    agreement, old = _current(ctx, agreement_id)
    if not title.strip() or "\n" in title:
        raise UsageError(
            T("der Titel muss eine nicht leere Zeile sein", "the title must be one non-empty line")
        )
    number = max((c.number for c in agreement.clauses), default=0) + 1
    base = old if old.endswith("\n") else old + "\n"
    body = text.strip("\n")
    new = base + ("" if base.endswith("\n\n") else "\n") + f"## § {number} {title.strip()}\n"
    new += f"\n{body}\n" if body else ""
    return _write(ctx, agreement_id, new, old, f"Add clause § {number} to {agreement_id}", when)


def _obligation_record(values: Mapping[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name in ("id", *OBLIGATION_FIELDS):
        value = values.get(name)
        if value is None or value == [] or value == "":
            continue
        record[name] = value.isoformat() if isinstance(value, date) else value
    return record


def _check_obligation(path: str, record: Mapping[str, Any]) -> None:
    try:
        Obligation.model_validate(dict(record))
    except ValidationError as err:
        raise _invalid(path, err) from err


def add_obligation(
    ctx: Context,
    agreement_id: str,
    obligation_id: str,
    *,
    by: Sequence[str],
    what: str,
    to: Sequence[str] = (),
    every: str | None = None,
    rrule: str | None = None,
    first_due: date | None = None,
    clause: int | None = None,
    condition: str | None = None,
    how: str | None = None,
    when: date | None = None,
) -> AgreementResult:
    """Add an obligation (who owes what to whom, once or recurring) to an agreement."""
    agreement, old = _current(ctx, agreement_id)
    path = layout.agreement_path(agreement_id)
    if agreement.find_obligation(obligation_id) is not None:
        raise UsageError(
            T(
                "Pflicht „{o}“ gibt es in {a} schon",
                'obligation "{o}" already exists in {a}',
                o=obligation_id,
                a=agreement_id,
            )
        )
    record = _obligation_record(
        {
            "id": obligation_id,
            "clause": clause,
            "by": list(by),
            "to": list(to),
            "what": what,
            "every": every,
            "rrule": rrule,
            "first_due": first_due,
            "condition": condition,
            "how": how,
        }
    )
    _check_obligation(path, record)

    def change(node: Any) -> None:
        items = node.get("obligations")
        if items is None:
            node["obligations"] = yaml_value([record])
        else:
            items.append(yaml_value(record))

    new = edit_front_matter(old, path, change)
    return _write(
        ctx, agreement_id, new, old, f"Add obligation {obligation_id} to {agreement_id}", when
    )


def _obligation_index(node: Any, obligation_id: str, agreement_id: str) -> int:
    for i, item in enumerate(node.get("obligations") or []):
        if isinstance(item, dict) and str(item.get("id")) == obligation_id:
            return i
    raise NotFound(
        T(
            "Pflicht „{o}“ in {a} nicht gefunden",
            'obligation "{o}" not found in {a}',
            o=obligation_id,
            a=agreement_id,
        )
    )


def set_obligation(
    ctx: Context,
    agreement_id: str,
    obligation_id: str,
    changes: Mapping[str, Any],
    *,
    unset: Sequence[str] = (),
    when: date | None = None,
) -> AgreementResult:
    """Change fields of an obligation; fields in `unset` are removed."""
    agreement, old = _current(ctx, agreement_id)
    path = layout.agreement_path(agreement_id)
    current = agreement.find_obligation(obligation_id)
    if current is None:
        _obligation_index({"obligations": []}, obligation_id, agreement_id)
    unknown = [k for k in (*changes, *unset) if k not in OBLIGATION_FIELDS]
    bad_unset = [k for k in unset if k in _REQUIRED]
    if unknown or bad_unset:
        raise UsageError(
            T(
                "Feld „{f}“ kann nicht geändert oder entfernt werden; möglich: {k}",
                'field "{f}" cannot be changed or removed; possible: {k}',
                f=(unknown or bad_unset)[0],
                k=", ".join(OBLIGATION_FIELDS),
            )
        )
    values = {k: _coerce(k, v) for k, v in changes.items() if v is not None}
    record = _obligation_record(values)

    def change(node: Any) -> None:
        item = node["obligations"][_obligation_index(node, obligation_id, agreement_id)]
        for key, value in record.items():
            item[key] = yaml_value(value)
        for key in unset:
            item.pop(key, None)

    new = edit_front_matter(old, path, change)
    return _write(
        ctx, agreement_id, new, old, f"Change obligation {obligation_id} of {agreement_id}", when
    )


def remove_obligation(
    ctx: Context, agreement_id: str, obligation_id: str, *, when: date | None = None
) -> AgreementResult:
    """Remove an obligation from an agreement."""
    _, old = _current(ctx, agreement_id)
    path = layout.agreement_path(agreement_id)

    def change(node: Any) -> None:
        index = _obligation_index(node, obligation_id, agreement_id)
        del node["obligations"][index]
        if not node["obligations"]:
            del node["obligations"]

    new = edit_front_matter(old, path, change)
    return _write(
        ctx, agreement_id, new, old, f"Remove obligation {obligation_id} from {agreement_id}", when
    )


def edit_path(ctx: Context, agreement_id: str) -> Path:
    """Return where an edit of the agreement is kept (git-ignored, under .coop/)."""
    return ctx.root / EDITS_DIR / f"{agreement_id}.md"


def begin_edit(ctx: Context, agreement_id: str, *, resume: bool = False) -> Path:
    """Prepare the file the editor opens: a copy of the agreement, or the kept earlier attempt."""
    get_agreement(load_worktree(ctx).data, agreement_id)
    kept = edit_path(ctx, agreement_id)
    rel = kept.relative_to(ctx.root).as_posix()
    if resume:
        if not kept.is_file():
            raise NotFound(
                T(
                    "kein aufbewahrter Bearbeitungsstand für {a} ({p})",
                    "no kept edit for {a} ({p})",
                    a=agreement_id,
                    p=rel,
                )
            )
        return kept
    if kept.is_file():
        raise UsageError(
            T(
                "für {a} liegt ein ungültiger Bearbeitungsstand in {p}",
                "an invalid edit of {a} is kept in {p}",
                a=agreement_id,
                p=rel,
            ),
            hint=T(
                "mit „coop agreement edit {a} --resume“ weiterbearbeiten oder mit "
                "„--discard“ verwerfen",
                'continue with "coop agreement edit {a} --resume" or drop it with "--discard"',
                a=agreement_id,
            ),
        )
    write_atomic(kept, (ctx.root / layout.agreement_path(agreement_id)).read_bytes())
    return kept


def discard_edit(ctx: Context, agreement_id: str) -> bool:
    """Drop a kept edit; return whether there was one."""
    kept = edit_path(ctx, agreement_id)
    if kept.is_file():
        remove_file(kept)
        return True
    return False


def finish_edit(ctx: Context, agreement_id: str, *, when: date | None = None) -> EditResult:
    """Validate the edited file and commit it; an invalid edit stays kept and is reported."""
    kept = edit_path(ctx, agreement_id)
    path = layout.agreement_path(agreement_id)
    rel = kept.relative_to(ctx.root).as_posix()
    new = kept.read_bytes()
    if new == (ctx.root / path).read_bytes():
        remove_file(kept)
        return EditResult(agreement_id, False, None)
    try:
        commit = commit_changes(ctx, {path: new}, f"Edit agreement {agreement_id}", when)
    except ProblemsFound as err:
        moved = [
            Problem(Source(rel, p.source.line, p.source.col), p.message, p.code)
            if p.source.path == path
            else p
            for p in err.problems
        ]
        raise ProblemsFound(
            moved,
            T(
                "{n} Problem(e); nichts wurde übernommen. Der Bearbeitungsstand liegt in {p}; "
                "weiter mit „coop agreement edit {a} --resume“",
                "{n} problem(s); nothing was committed. The edit is kept in {p}; continue with "
                '"coop agreement edit {a} --resume"',
                n=len(moved),
                p=rel,
                a=agreement_id,
            ),
        ) from err
    remove_file(kept)
    return EditResult(agreement_id, True, commit)
