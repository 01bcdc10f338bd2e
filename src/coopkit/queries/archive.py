"""The archive hand-over: what may be offered, what was offered and what the archive answered.

Archivable are the closed agreements (ended or terminated, as the lifecycle engine says) with
all their files, and the approved minutes. Before any of their data is erased, the item must be
offered to the public archive and the archive must have answered (Landesarchivgesetz, e.g. § 7
LArchG Rheinland-Pfalz): declined items may be erased; taken items once they are handed over.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from coopkit.errors import Problem, Source, T
from coopkit.model.archive import Answer, Decision, Handover, ItemKind, Offer, OfferedItem
from coopkit.model.base import Located, id_problem
from coopkit.queries.context import Context
from coopkit.queries.load import Snapshot, snapshot

ARCHIVE_DIR = "archive"
OFFER_FILE = "offer.yaml"
HANDOVER_FILE = "handover.yaml"
_ANSWER_FILE = re.compile(r"answer-([1-9][0-9]{0,3})\.yaml")

CLOSED = ("expired", "terminated")
"""The lifecycle states of an agreement that is over (see `queries.versions.lifecycle`)."""


def offer_path(offer_id: str) -> str:
    """Return the path of an offer record."""
    return f"{ARCHIVE_DIR}/{offer_id}/{OFFER_FILE}"


def answer_path(offer_id: str, n: int) -> str:
    """Return the path of the n-th answer record of an offer."""
    return f"{ARCHIVE_DIR}/{offer_id}/answer-{n}.yaml"


def handover_path(offer_id: str) -> str:
    """Return the path of the hand-over record of an offer."""
    return f"{ARCHIVE_DIR}/{offer_id}/{HANDOVER_FILE}"


@dataclass
class ArchiveRecords:
    """The archive records of a repository; those with problems are left out of every answer."""

    offers: dict[str, Located[Offer]] = field(default_factory=dict)
    answers: dict[str, list[Located[Answer]]] = field(default_factory=dict)
    handovers: dict[str, Located[Handover]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def next_answer(self, offer_id: str) -> int:
        """Return the number of the next answer file of an offer."""
        return len(self.answers.get(offer_id, [])) + 1


def _read(root: Path, path: str, model: type[BaseModel]) -> tuple[Any, list[Problem]]:
    from coopkit.store.codec import parse_yaml_record
    from coopkit.store.regular import FileRefused, read_regular
    from coopkit.store.text import MAX_FILE_BYTES, decode_text

    try:
        raw = read_regular(root / path, MAX_FILE_BYTES, root=root)
    except FileRefused as err:
        return None, [Problem(Source(path), err.reason, err.code)]
    except OSError as err:
        return None, [
            Problem(Source(path), T("nicht lesbar: {e}", "unreadable: {e}", e=str(err)), "io")
        ]
    textfile, problems = decode_text(path, raw)
    if textfile is None:
        return None, problems
    return parse_yaml_record(model, textfile)


def _unexpected(path: str) -> Problem:
    return Problem(
        Source(path),
        T(
            "Datei an unerwarteter Stelle; erwartet archive/ANGEBOT/offer.yaml, answer-N.yaml "
            "oder handover.yaml (kein Link)",
            "file in an unexpected place; expected archive/OFFER/offer.yaml, answer-N.yaml or "
            "handover.yaml (no link)",
        ),
        "unexpected-file",
    )


def load_archive(root: Path) -> ArchiveRecords:
    """Read and check every archive record; inconsistent ones come back as problems only."""
    records = ArchiveRecords()
    folder = root / ARCHIVE_DIR
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return records
    if not stat.S_ISDIR(info.st_mode):
        records.problems.append(_unexpected(ARCHIVE_DIR))
        return records
    found: dict[str, list[str]] = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        rel = f"{ARCHIVE_DIR}/{entry.name}"
        if entry.name.startswith("."):
            continue
        if entry.is_symlink() or not entry.is_dir() or id_problem(entry.name) is not None:
            records.problems.append(_unexpected(rel))
            continue
        names = []
        for inner in sorted(os.scandir(entry.path), key=lambda e: e.name):
            path = f"{rel}/{inner.name}"
            if inner.name.startswith("."):
                continue
            known = inner.name in (OFFER_FILE, HANDOVER_FILE) or _ANSWER_FILE.fullmatch(inner.name)
            if inner.is_symlink() or not inner.is_file() or not known:
                records.problems.append(_unexpected(path))
                continue
            names.append(inner.name)
        found[entry.name] = names
    for offer_id, names in found.items():
        _load_offer(root, offer_id, names, records)
    return records


def _load_offer(root: Path, offer_id: str, names: list[str], records: ArchiveRecords) -> None:
    path = offer_path(offer_id)
    if OFFER_FILE not in names:
        if names:
            records.problems.append(
                Problem(
                    Source(f"{ARCHIVE_DIR}/{offer_id}/{names[0]}"),
                    T(
                        "Antwort oder Abgabe ohne Anbietung ({p} fehlt)",
                        "answer or hand-over without an offer ({p} is missing)",
                        p=path,
                    ),
                    "archive-orphan",
                )
            )
        return
    located, problems = _read(root, path, Offer)
    records.problems += problems
    if located is None:
        return
    offer: Offer = located.value
    if offer.id != offer_id:
        records.problems.append(
            Problem(
                located.at("id"),
                T(
                    "id „{i}“ passt nicht zum Ordner {f}",
                    'id "{i}" does not match the folder {f}',
                    i=offer.id,
                    f=offer_id,
                ),
                "archive-id",
            )
        )
        return
    records.offers[offer_id] = located
    answered: dict[str, str] = {}
    answers = sorted(
        (n for n in names if _ANSWER_FILE.fullmatch(n)),
        key=lambda n: int(_ANSWER_FILE.fullmatch(n).group(1)),  # type: ignore[union-attr]
    )
    for name in answers:
        answer, problems = _read(root, f"{ARCHIVE_DIR}/{offer_id}/{name}", Answer)
        records.problems += problems
        if answer is None:
            continue
        problems = check_answer(located, answer, answered)
        records.problems += problems
        if not problems:
            records.answers.setdefault(offer_id, []).append(answer)
            for item in answer.value.items:
                answered[item.item] = answer.path
    if HANDOVER_FILE in names:
        handover, problems = _read(root, handover_path(offer_id), Handover)
        records.problems += problems
        if handover is not None:
            taken = {
                i.item
                for a in records.answers.get(offer_id, [])
                for i in a.value.items
                if i.decision == "taken"
            }
            problems = check_handover(located, handover, taken)
            records.problems += problems
            if not problems:
                records.handovers[offer_id] = handover


def _same_offer(
    offer: Located[Offer], record: Located[Answer] | Located[Handover]
) -> list[Problem]:
    problems = []
    if record.value.offer != offer.value.id:
        problems.append(
            Problem(
                record.at("offer"),
                T(
                    "gehört zur Anbietung „{o}“, liegt aber bei „{f}“",
                    'belongs to offer "{o}" but lies in "{f}"',
                    o=record.value.offer,
                    f=offer.value.id,
                ),
                "archive-mismatch",
            )
        )
    if record.value.process_id != offer.value.process_id:
        problems.append(
            Problem(
                record.at("process_id"),
                T(
                    "ProzessID {p} passt nicht zur Anbietung ({q})",
                    "process id {p} does not match the offer ({q})",
                    p=record.value.process_id,
                    q=offer.value.process_id,
                ),
                "archive-mismatch",
            )
        )
    if record.value.date < offer.value.date:
        problems.append(
            Problem(
                record.at("date"),
                T(
                    "Datum {d} liegt vor der Anbietung ({o})",
                    "date {d} is before the offer ({o})",
                    d=record.value.date.isoformat(),
                    o=offer.value.date.isoformat(),
                ),
                "archive-date",
            )
        )
    return problems


def _item_problems(offer: Offer, located: Any, index: int, item: Any) -> list[Problem]:
    offered = {i.item: i for i in offer.items}
    known = offered.get(item.item)
    if known is None:
        return [
            Problem(
                located.at("items", index, "item"),
                T(
                    "„{i}“ wurde in {o} nicht angeboten; angeboten: {k}",
                    '"{i}" was not offered in {o}; offered: {k}',
                    i=item.item,
                    o=offer.id,
                    k=", ".join(sorted(offered)),
                ),
                "archive-unknown-item",
            )
        ]
    problems = []
    if item.uuid != known.uuid:
        problems.append(
            Problem(
                located.at("items", index, "uuid"),
                T(
                    "ID {u} passt nicht zum angebotenen Objekt ({k})",
                    "id {u} does not match the offered item ({k})",
                    u=item.uuid,
                    k=known.uuid,
                ),
                "archive-mismatch",
            )
        )
    if item.sha256 != known.sha256:
        problems.append(
            Problem(
                located.at("items", index, "sha256"),
                T(
                    "Prüfsumme passt nicht zum angebotenen Stand von {i}",
                    "checksum does not match the offered state of {i}",
                    i=item.item,
                ),
                "archive-checksum",
            )
        )
    return problems


def check_answer(
    offer: Located[Offer], answer: Located[Answer], answered: dict[str, str]
) -> list[Problem]:
    """Return what makes an answer inconsistent with its offer or with earlier answers."""
    problems = _same_offer(offer, answer)
    for index, item in enumerate(answer.value.items):
        problems += _item_problems(offer.value, answer, index, item)
        if item.item in answered:
            problems.append(
                Problem(
                    answer.at("items", index, "item"),
                    T(
                        "„{i}“ ist schon beantwortet ({p})",
                        '"{i}" is already answered ({p})',
                        i=item.item,
                        p=answered[item.item],
                    ),
                    "archive-twice",
                )
            )
    return problems


def check_handover(
    offer: Located[Offer], handover: Located[Handover], taken: set[str]
) -> list[Problem]:
    """Return what makes a hand-over inconsistent: items not offered, not taken, changed."""
    problems = _same_offer(offer, handover)
    for index, item in enumerate(handover.value.items):
        found = _item_problems(offer.value, handover, index, item)
        problems += found
        if not found and item.item not in taken:
            problems.append(
                Problem(
                    handover.at("items", index, "item"),
                    T(
                        "„{i}“ wurde vom Archiv nicht übernommen und darf nicht abgegeben werden",
                        '"{i}" was not taken by the archive and may not be handed over',
                        i=item.item,
                    ),
                    "archive-not-taken",
                )
            )
    return problems


@dataclass(frozen=True)
class Archivable:
    """An item that must be offered to the archive before any of its data is erased."""

    item: str
    """`agreements/<id>` or `minutes/<id>`."""
    kind: ItemKind
    id: str
    title: str
    path: str
    """The agreement's folder (with a trailing /) or the minutes file."""
    begin: date | None
    end: date | None

    def holds(self, path: str) -> bool:
        """Return whether a repository path belongs to this item."""
        return path.startswith(self.path) if self.path.endswith("/") else path == self.path


def archivable(snap: Snapshot, before: date | None = None) -> list[Archivable]:
    """Return the closed agreements and approved minutes (older than `before`, when given).

    An agreement is closed when its lifecycle on `snap.today` is ended or terminated; it is
    older than `before` when its last day in force lies before it. Minutes count by their date.
    """
    found = []
    for agreement_id in sorted(snap.data.agreements):
        timeline = snap.timeline(agreement_id)
        state = timeline.lifecycle(snap.today)
        if state.state not in CLOSED or state.until is None:
            continue
        if before is not None and state.until >= before:
            continue
        found.append(
            Archivable(
                f"agreements/{agreement_id}",
                "agreement",
                agreement_id,
                timeline.working.title,
                f"agreements/{agreement_id}/",
                timeline.first_in_force(),
                state.until,
            )
        )
    for minutes_id in sorted(snap.data.minutes):
        located = snap.data.minutes[minutes_id]
        minutes = located.value
        if minutes.status != "approved" or (before is not None and minutes.date >= before):
            continue
        found.append(
            Archivable(
                f"minutes/{minutes_id}",
                "minutes",
                minutes_id,
                minutes.title,
                located.path,
                minutes.date,
                minutes.date,
            )
        )
    return found


@dataclass(frozen=True)
class ItemState:
    """Where one item stands in the archive hand-over."""

    item: str
    offer: str | None = None
    offered: OfferedItem | None = None
    decision: Decision | None = None
    answered_on: date | None = None
    reference: str | None = None
    handed_over: date | None = None

    @property
    def settled(self) -> bool:
        """Return whether the item's data may now be erased: declined, or taken and handed over."""
        return self.decision == "declined" or self.handed_over is not None

    @property
    def label(self) -> T:
        """Return the state in words."""
        if self.handed_over is not None:
            return T("abgegeben", "handed over")
        if self.decision == "taken":
            return T("übernommen (Abgabe fehlt)", "taken (hand-over missing)")
        if self.decision == "declined":
            return T("abgelehnt", "declined")
        if self.offer is not None:
            return T("angeboten", "offered")
        return T("nicht angeboten", "not offered")


def _rank(state: ItemState) -> int:
    if state.handed_over is not None:
        return 4
    if state.decision == "declined":
        return 3
    if state.decision == "taken":
        return 2
    return 1


def item_states(records: ArchiveRecords) -> dict[str, dict[str, ItemState]]:
    """Return, per offer, the state of each item it offered (only consistent records count)."""
    states: dict[str, dict[str, ItemState]] = {}
    for offer_id, located in sorted(records.offers.items()):
        per_item = {i.item: ItemState(i.item, offer_id, i) for i in located.value.items}
        for answer in records.answers.get(offer_id, []):
            for answered in answer.value.items:
                per_item[answered.item] = ItemState(
                    answered.item,
                    offer_id,
                    per_item[answered.item].offered,
                    answered.decision,
                    answer.value.date,
                    answer.value.reference,
                )
        handover = records.handovers.get(offer_id)
        for given in handover.value.items if handover else []:
            old = per_item[given.item]
            per_item[given.item] = ItemState(
                old.item,
                old.offer,
                old.offered,
                old.decision,
                old.answered_on,
                old.reference,
                handover.value.date if handover else None,
            )
        states[offer_id] = per_item
    return states


def best_states(records: ArchiveRecords) -> dict[str, ItemState]:
    """Return each item's furthest state over all offers (handed over > declined > taken)."""
    best: dict[str, ItemState] = {}
    for per_item in item_states(records).values():
        for key, state in per_item.items():
            if key not in best or _rank(state) > _rank(best[key]):
                best[key] = state
    return best


@dataclass(frozen=True)
class Gate:
    """The archivable items of a repository and their state: what erasing must wait for."""

    items: list[Archivable]
    states: dict[str, ItemState]

    def find(self, path: str) -> Archivable | None:
        """Return the archivable item a path belongs to, or None."""
        return next((i for i in self.items if i.holds(path)), None)

    def state(self, item: Archivable) -> ItemState:
        """Return the state of an item (not offered when no record names it)."""
        return self.states.get(item.item, ItemState(item.item))

    def next_step(self, item: Archivable) -> str | None:
        """Return the command that moves an unsettled item on, or None when it is settled."""
        state = self.state(item)
        if state.settled:
            return None
        if state.offer is None:
            return "coop archive offer -o anbietung.zip"
        if state.decision is None:
            return (
                f"coop archive answer {state.offer} --taken {item.item} --date DATUM --reference AZ"
            )
        return f"coop archive handover {state.offer} -o abgabe.zip"


def gate(snap: Snapshot) -> Gate:
    """Return the archivable items of a snapshot (as of its today) with their state."""
    records = load_archive(snap.ctx.root)
    return Gate(archivable(snap), best_states(records))


def erasure_blockers(ctx: Context, paths: Sequence[str]) -> list[Problem]:
    """Return one problem per path whose item must go through the archive before erasure.

    A path belongs to an archivable item when it lies in the folder of an agreement that is
    over (ended or terminated on `ctx.today`) or is an approved minutes file. Such a path blocks
    until the archive answered for its item: declined, or taken and handed over. The message
    names the command that moves the item on.
    """
    snap = snapshot(ctx)
    checked = gate(snap)
    problems = []
    for raw in paths:
        path = raw.replace("\\", "/").removeprefix("./")
        item = checked.find(path)
        if item is None:
            continue
        step = checked.next_step(item)
        if step is None:
            continue
        state = checked.state(item)
        if state.decision == "taken":
            message = T(
                "{i} wurde vom Archiv übernommen, aber noch nicht abgegeben; erst abgeben: {c}",
                "{i} was taken by the archive but not yet handed over; hand it over first: {c}",
                i=item.item,
                c=step,
            )
        elif state.offer is not None:
            message = T(
                "{i} ist dem Archiv angeboten ({o}), die Antwort fehlt; löschen erst nach der "
                "Antwort (Landesarchivgesetz); eintragen mit: {c}",
                "{i} is offered to the archive ({o}) and its answer is missing; erase only "
                "after the answer (archive law); record it with: {c}",
                i=item.item,
                o=state.offer,
                c=step,
            )
        else:
            message = T(
                "{i} muss vor dem Löschen dem Archiv angeboten werden (Landesarchivgesetz): {c}",
                "{i} must be offered to the archive before erasure (archive law): {c}",
                i=item.item,
                c=step,
            )
        problems.append(Problem(Source(path), message, "archive-pending"))
    return problems
