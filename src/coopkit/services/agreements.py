"""Drafting agreements: skeleton, field changes, clauses, obligations, editing in an editor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from coopkit.errors import NotFound, Problem, ProblemsFound, Source, T, UsageError
from coopkit.i18n import N_, gettext
from coopkit.model.agreement import Agreement, Clause, Obligation
from coopkit.model.base import id_problem
from coopkit.model.repo import RepoData
from coopkit.queries.context import Context
from coopkit.queries.load import snapshot
from coopkit.queries.lookup import get_agreement, get_obligation, not_found
from coopkit.services.repository import CommitResult, Transaction, writing
from coopkit.store import layout
from coopkit.store.atomic import remove_file, write_atomic
from coopkit.store.codec import dump_agreement, split_front_matter, validation_problems
from coopkit.store.files import blob_digest
from coopkit.store.yamlio import yaml_value

EDITS_DIR = f"{layout.INDEX_DIR}/edits"

# Every placeholder starts "[Hier" or "[Describe": `coop agreement release` refuses a text that
# still holds one (model.releasable.PLACEHOLDER; a test holds these texts to that pattern).
SECTIONS: list[tuple[str, str]] = [
    (
        N_("Ziele"),
        N_("[Hier die gemeinsamen Ziele der Kooperation beschreiben.]"),
    ),
    (
        N_("Leistungen der Partner"),
        N_("[Hier für jeden Partner beschreiben, was er beiträgt.]"),
    ),
    (
        N_("Zusammenarbeit und Kommunikation"),
        N_("[Hier beschreiben, wer wen wie oft worüber informiert und wie man sich trifft.]"),
    ),
    (
        N_("Ansprechpartner"),
        N_("[Hier beschreiben, wie die Ansprechpersonen benannt und aktuell gehalten werden.]"),
    ),
    (
        N_("Datenschutz und Datenübermittlung"),
        N_("[Hier beschreiben, welche Daten mit welcher Einwilligung an wen übermittelt werden.]"),
    ),
    (
        N_("Kosten"),
        N_("[Hier beschreiben, wer welche Kosten trägt.]"),
    ),
    (
        N_("Evaluation"),
        N_("[Hier beschreiben, wann und wie die Zusammenarbeit ausgewertet wird.]"),
    ),
    (
        N_("Laufzeit und Kündigung"),
        N_("[Hier Beginn, Dauer und Kündigungsfrist der Vereinbarung beschreiben.]"),
    ),
    (
        N_("Schlussbestimmungen"),
        N_(
            "[Hier Schriftform von Änderungen, salvatorische Klausel und Ausfertigungen "
            "beschreiben.]"
        ),
    ),
]
"""A new agreement's sections and placeholders (German msgids; English in the catalog)."""
PREAMBLE = (N_("Präambel"), N_("[Hier Anlass und Hintergrund der Vereinbarung beschreiben.]"))

SETTABLE = (
    "title",
    "parties",
    "coordinator",
    "valid_from",
    "valid_until",
    "review_cycle",
    "notice_period",
    "on_notice",
)
OBLIGATION_FIELDS = (
    "clause",
    "by",
    "to",
    "what",
    "every",
    "rrule",
    "first_due",
    "on_holiday",
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


def _locale(data: RepoData, ctx: Context) -> str:
    return data.config.value.locale if data.config else ctx.lang


def _message(de: str, en: str, **params: Any) -> T:
    """A commit message, written in the repository's language."""
    return T(de, en, **params)


def skeleton(
    agreement_id: str,
    title: str,
    parties: Sequence[str],
    coordinator: str | None = None,
    lang: str = "de",
) -> Agreement:
    """Return a new agreement with the standard sections and placeholders to fill in."""
    return Agreement(
        id=agreement_id,
        title=title,
        parties=list(parties),
        coordinator=coordinator,
        preamble=gettext(PREAMBLE[1], lang),
        clauses=[
            Clause(number=n, title=gettext(section, lang), text=gettext(text, lang))
            for n, (section, text) in enumerate(SECTIONS, start=1)
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
    with writing(ctx) as tx:
        if tx.exists(path):
            raise UsageError(
                T(
                    "Vereinbarung „{a}“ gibt es schon ({p})",
                    'agreement "{a}" already exists ({p})',
                    a=agreement_id,
                    p=path,
                )
            )
        lang = _locale(tx.loaded().data, ctx)
        try:
            agreement = skeleton(agreement_id, title, parties, coordinator, lang)
        except ValidationError as err:
            raise _invalid(path, err) from err
        text = dump_agreement(agreement)
        # The codec writes the German heading; the preamble is named in the agreement's language.
        text = text.replace("## Präambel\n", f"## {gettext(PREAMBLE[0], lang)}\n", 1)
        tx.create(path, text)
        commit = tx.commit(
            _message("Vereinbarung {a} angelegt", "Add agreement {a}", a=agreement_id),
            when,
        )
    return AgreementResult(agreement, path, commit)


def _coerce(name: str, value: Any) -> Any:
    if name in _LISTS and isinstance(value, str):
        return [p for p in value.replace(",", " ").split() if p]
    return value


def _open(tx: Transaction, agreement_id: str) -> tuple[Agreement, str]:
    """Return the agreement (read under the lock) and its path."""
    agreement = get_agreement(tx.loaded(), agreement_id)
    return agreement, tx.loaded().data.agreements[agreement_id].path


def _finish(
    tx: Transaction,
    agreement_id: str,
    path: str,
    message: T,
    when: date | datetime | None,
    note: str | None = None,
) -> AgreementResult:
    if path not in tx.changes or tx.changes[path] == (tx.ctx.root / path).read_bytes():
        raise UsageError(
            T(
                "keine Änderung an {a}; nichts wurde geschrieben",
                "no change to {a}; nothing was written",
                a=agreement_id,
            )
        )
    commit = tx.commit(message, when, note)
    from coopkit.store.codec import parse_agreement

    located, _ = parse_agreement(tx.read(path))
    assert located is not None
    return AgreementResult(located.value, path, commit)


def set_field(
    ctx: Context,
    agreement_id: str,
    field: str,
    value: str,
    *,
    when: date | None = None,
    note: str | None = None,
) -> AgreementResult:
    """Set one front-matter field (an empty value removes an optional one), or the preamble."""
    if field == "status":
        raise UsageError(
            T(
                "„status“ wird nicht gesetzt: der Stand einer Vereinbarung ergibt sich aus "
                "Fassungen, Freigaben und Kündigungen",
                '"status" is not set: an agreement\'s state follows from its versions, '
                "approvals and terminations",
            ),
            hint=T(
                "veröffentlichen: coop agreement release; freigeben: coop agreement sign; "
                "kündigen: coop agreement terminate",
                "release: coop agreement release; approve: coop agreement sign; "
                "terminate: coop agreement terminate",
            ),
        )
    if field != "preamble" and field not in SETTABLE:
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
    if value == "" and field in _REQUIRED:
        raise UsageError(T("„{f}“ darf nicht leer sein", '"{f}" must not be empty', f=field))
    with writing(ctx) as tx:
        _, path = _open(tx, agreement_id)
        if field == "preamble":
            lang = _locale(tx.loaded().data, ctx)
            tx.replace_text(path, _replace_preamble(tx.read(path).text, path, value, lang))
        else:

            def change(node: Any) -> None:
                if value == "":
                    node.pop(field, None)
                else:
                    node[field] = yaml_value(_coerce(field, value))

            tx.edit(path, change)
        message = _message("{f} von {a} gesetzt", "Set {f} of {a}", f=field, a=agreement_id)
        return _finish(tx, agreement_id, path, message, when, note)


def _replace_preamble(text: str, path: str, value: str, lang: str) -> str:
    front, body, _, problems = split_front_matter(text, path)
    if problems:
        raise ProblemsFound(problems)
    lines = body.split("\n")
    start = next(
        (i for i, ln in enumerate(lines) if ln.strip().lower() in ("## präambel", "## preamble")),
        None,
    )
    block = [f"## {gettext(PREAMBLE[0], lang)}", "", value.strip(), ""]
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
    ctx: Context,
    agreement_id: str,
    title: str,
    text: str,
    *,
    when: date | None = None,
    note: str | None = None,
) -> AgreementResult:
    """Append a clause § n+1 with a title and text."""
    if not title.strip() or "\n" in title:
        raise UsageError(
            T("der Titel muss eine nicht leere Zeile sein", "the title must be one non-empty line")
        )
    with writing(ctx) as tx:
        agreement, path = _open(tx, agreement_id)
        old = tx.read(path).text
        number = max((c.number for c in agreement.clauses), default=0) + 1
        base = old if old.endswith("\n") else old + "\n"
        body = text.strip("\n")
        new = base + ("" if base.endswith("\n\n") else "\n") + f"## § {number} {title.strip()}\n"
        new += f"\n{body}\n" if body else ""
        tx.replace_text(path, new)
        message = _message(
            "§ {n} an {a} angefügt", "Add clause § {n} to {a}", n=number, a=agreement_id
        )
        return _finish(tx, agreement_id, path, message, when, note)


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
    on_holiday: str | None = None,
    when: date | datetime | None = None,
) -> AgreementResult:
    """Add an obligation (who owes what to whom, once or recurring) to an agreement."""
    with writing(ctx) as tx:
        agreement, path = _open(tx, agreement_id)
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
                "on_holiday": on_holiday,
            }
        )
        _check_obligation(path, record)

        def change(node: Any) -> None:
            items = node.get("obligations")
            if items is None:
                node["obligations"] = yaml_value([record])
            else:
                items.append(yaml_value(record))

        tx.edit(path, change)
        message = _message(
            "Pflicht {o} in {a} angelegt",
            "Add obligation {o} to {a}",
            o=obligation_id,
            a=agreement_id,
        )
        return _finish(tx, agreement_id, path, message, when)


def _obligation_index(node: Any, obligation_id: str, agreement: Agreement) -> int:
    for i, item in enumerate(node.get("obligations") or []):
        if isinstance(item, dict) and str(item.get("id")) == obligation_id:
            return i
    raise not_found(
        "obligation", obligation_id, (o.id for o in agreement.obligations), where=agreement.id
    )


def set_obligation(
    ctx: Context,
    agreement_id: str,
    obligation_id: str,
    changes: Mapping[str, Any],
    *,
    unset: Sequence[str] = (),
    when: date | datetime | None = None,
) -> AgreementResult:
    """Change fields of an obligation; fields in `unset` are removed."""
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
    with writing(ctx) as tx:
        agreement, path = _open(tx, agreement_id)
        get_obligation(agreement, obligation_id)
        values = {k: _coerce(k, v) for k, v in changes.items() if v is not None}
        record = _obligation_record(values)

        def change(node: Any) -> None:
            item = node["obligations"][_obligation_index(node, obligation_id, agreement)]
            for key, value in record.items():
                item[key] = yaml_value(value)
            for key in unset:
                item.pop(key, None)

        tx.edit(path, change)
        message = _message(
            "Pflicht {o} in {a} geändert",
            "Change obligation {o} of {a}",
            o=obligation_id,
            a=agreement_id,
        )
        return _finish(tx, agreement_id, path, message, when)


def remove_obligation(
    ctx: Context, agreement_id: str, obligation_id: str, *, when: date | None = None
) -> AgreementResult:
    """Remove an obligation from an agreement."""
    with writing(ctx) as tx:
        agreement, path = _open(tx, agreement_id)
        get_obligation(agreement, obligation_id)

        def change(node: Any) -> None:
            index = _obligation_index(node, obligation_id, agreement)
            del node["obligations"][index]
            if not node["obligations"]:
                del node["obligations"]

        tx.edit(path, change)
        message = _message(
            "Pflicht {o} aus {a} entfernt",
            "Remove obligation {o} from {a}",
            o=obligation_id,
            a=agreement_id,
        )
        return _finish(tx, agreement_id, path, message, when)


def edit_path(ctx: Context, agreement_id: str) -> Path:
    """Return where an edit of the agreement is kept (git-ignored, under .coop/)."""
    return ctx.root / EDITS_DIR / f"{agreement_id}.md"


def begin_edit(ctx: Context, agreement_id: str, *, resume: bool = False) -> Path:
    """Prepare the file the editor opens: a copy of the agreement, or the kept earlier attempt."""
    get_agreement(snapshot(ctx), agreement_id)
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
    original = (ctx.root / layout.agreement_path(agreement_id)).read_bytes()
    write_atomic(kept, original)
    write_atomic(_base_path(kept), blob_digest(original).encode("ascii"))
    return kept


def _base_path(kept: Path) -> Path:
    """Where an edit remembers the text it started from (its git blob id)."""
    return kept.with_name(kept.name + ".base")


def _drop_edit(kept: Path) -> None:
    for leftover in (kept, _base_path(kept)):
        if leftover.is_file():
            remove_file(leftover)


def discard_edit(ctx: Context, agreement_id: str) -> bool:
    """Drop a kept edit; return whether there was one."""
    kept = edit_path(ctx, agreement_id)
    if kept.is_file():
        _drop_edit(kept)
        return True
    return False


def finish_edit(
    ctx: Context, agreement_id: str, *, when: date | None = None, note: str | None = None
) -> EditResult:
    """Validate the edited file and commit it; an invalid edit stays kept and is reported."""
    kept = edit_path(ctx, agreement_id)
    path = layout.agreement_path(agreement_id)
    rel = kept.relative_to(ctx.root).as_posix()
    new = kept.read_bytes()
    base_file = _base_path(kept)
    base = base_file.read_text("ascii").strip() if base_file.is_file() else None
    try:
        with writing(ctx) as tx:
            # Under the lock: the text the edit started from must still be the current one,
            # or committing the edit would silently undo what someone committed meanwhile.
            current = (ctx.root / path).read_bytes()
            if base is not None and blob_digest(current) != base:
                raise UsageError(
                    T(
                        "{a} wurde geändert, während der Bearbeitung (z. B. durch einen anderen "
                        "coop-Befehl); nichts wurde übernommen, der Bearbeitungsstand bleibt in "
                        "{p}",
                        "{a} changed while it was being edited (e.g. by another coop command); "
                        "nothing was committed, the edit is kept in {p}",
                        a=agreement_id,
                        p=rel,
                    ),
                    hint=T(
                        "den Stand mit „coop agreement edit {a} --discard“ verwerfen und neu "
                        "beginnen, oder die Änderung aus {p} von Hand übertragen",
                        'drop it with "coop agreement edit {a} --discard" and start again, or '
                        "carry the change over from {p} by hand",
                        a=agreement_id,
                        p=rel,
                    ),
                )
            if new == current:
                _drop_edit(kept)
                return EditResult(agreement_id, False, None)
            tx.changes[path] = new
            commit = tx.commit(
                _message("Vereinbarung {a} bearbeitet", "Edit agreement {a}", a=agreement_id),
                when,
                note,
            )
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
    _drop_edit(kept)
    return EditResult(agreement_id, True, commit)
