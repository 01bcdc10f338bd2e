"""`coop demo`: replay the worked example as a believable history in a fresh repository.

The story follows the Mayen-Koblenz case: the integration commissioner drafts three agreements
in autumn 2012, revises them after comments, releases them as v1 and every party approves them;
during 2013 the partners record what they did; a working meeting in June 2013 and the evaluation
meeting on 5 February 2014 are prepared, minuted, sent and approved; after the evaluation the
commissioner revises the agreements (young newcomers, language support beyond the basics, joint
events and trainings), releases v2 and the approvals start to come in. Every step is one commit by
the person who did it, dated on the day it happened.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from functools import partial
from pathlib import Path
from typing import Any

from coopkit.errors import RepositoryError, T
from coopkit.i18n.glossary import FULFILMENT_STATUS
from coopkit.model.agreement import Agreement
from coopkit.model.minutes import Minutes
from coopkit.model.partner import Partner
from coopkit.model.repo import RepoData
from coopkit.queries.context import Context
from coopkit.queries.load import load
from coopkit.services.repository import commit_changes
from coopkit.store import layout
from coopkit.store.codec import edit_front_matter
from coopkit.store.files import WorkTree
from coopkit.store.git import GitRepo

DEMO_TODAY = date(2014, 4, 30)
"""The day the story ends: `coop demo` shows the status as of this day."""

_HEADING = re.compile(r"^## ", re.MULTILINE)
_PARAGRAPH = re.compile(r"^\((\d+)\) ", re.MULTILINE)

DRAFT_DATA_PROTECTION = (
    "(1) Die Parteien beachten die für sie geltenden Vorschriften zum Schutz personenbezogener "
    "Daten.\n\n"
    "(2) [Regelung zur Übermittlung von Daten neu zugewanderter Personen durch die "
    "Ausländerbehörde: mit der Ausländerbehörde und der Datenschutzbeauftragten abstimmen.]"
)

V2_PARAGRAPHS: dict[int, str] = {
    1: (
        "Besondere Aufmerksamkeit gilt jugendlichen Zuwanderinnen und Zuwanderern. Die Parteien "
        "verbessern gemeinsam deren Chancen auf Ausbildung und Beschäftigung, insbesondere durch "
        "abgestimmte Beratung zwischen Jugendmigrationsdienst und dem Team U25 des Jobcenters."
    ),
    3: (
        "Das Jobcenter fördert im Rahmen der gesetzlichen Möglichkeiten den Erwerb der deutschen "
        "Sprache über die Grundkenntnisse hinaus, insbesondere durch berufsbezogene "
        "Sprachförderung, und informiert die Migrationsdienste über die jeweils verfügbaren "
        "Angebote."
    ),
    5: (
        "Die Parteien führen mindestens einmal jährlich eine gemeinsame Veranstaltung oder "
        "Fortbildung für ihre Mitarbeiterinnen und Mitarbeiter durch. Die Kreisverwaltung "
        "koordiniert Termin und Programm."
    ),
}


@dataclass
class DemoStep:
    """One commit of the story."""

    day: date
    author: str
    message: str


@dataclass
class DemoResult:
    """The repository `coop demo` built."""

    root: Path
    steps: list[DemoStep] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    commits: int = 0


def _clock() -> Callable[[date], datetime]:
    """Return a function giving each commit of a day a later time than the one before."""
    counts: dict[date, int] = {}

    def at(day: date) -> datetime:
        n = counts.get(day, 0)
        counts[day] = n + 1
        return datetime.combine(day, time(9, 0), tzinfo=UTC).replace(
            hour=9 + (n * 7) // 60 % 9, minute=(n * 7) % 60
        )

    return at


def _person(partner: Partner, contact_id: str | None = None, *, signatory: bool = False) -> str:
    contact = partner.find_contact(contact_id) if contact_id else None
    if contact is None and partner.representative:
        contact = next((c for c in partner.contacts if c.name == partner.representative), None)
    if contact is None and signatory and partner.representative:
        return f"{partner.representative} <{partner.email or partner.id + '@example.org'}>"
    if contact is None and partner.contacts:
        contact = partner.contacts[0]
    name = contact.name if contact else (partner.representative or partner.name)
    email = (contact.email if contact and contact.email else None) or partner.email
    return f"{name} <{email or partner.id + '@example.org'}>"


def _clause_span(text: str, number: int) -> tuple[int, int]:
    start = text.index(f"\n## § {number} ") + 1
    following = _HEADING.search(text, text.index("\n", start) + 1)
    return start, following.start() if following else len(text)


def add_paragraph(text: str, number: int, paragraph: str) -> str:
    """Append a numbered paragraph `(n)` to clause § number of an agreement.md."""
    start, end = _clause_span(text, number)
    body = text[start:end]
    count = len(_PARAGRAPH.findall(body))
    addition = f"({count + 1}) {paragraph}\n"
    stripped = body.rstrip("\n")
    tail = "\n\n" if end < len(text) else "\n"
    return text[:start] + stripped + "\n\n" + addition + tail[1:] + text[end:]


def replace_clause_text(text: str, number: int, new_text: str) -> str:
    """Replace the body of clause § number, keeping its heading."""
    start, end = _clause_span(text, number)
    heading_end = text.index("\n", start) + 1
    tail = "\n" if end < len(text) else ""
    return text[:heading_end] + "\n" + new_text + "\n" + tail + text[end:]


def _draft_text(text: str, path: str, clause: int) -> str:
    def change(node: Any) -> None:
        obligations = node.get("obligations") or []
        for i in reversed(range(len(obligations))):
            if obligations[i].get("clause") == str(clause):
                del obligations[i]

    return replace_clause_text(edit_front_matter(text, path, change), clause, DRAFT_DATA_PROTECTION)


def _strip_for_invitation(text: str, path: str) -> str:
    def change(node: Any) -> None:
        node["status"] = "draft"
        for key in ("sent", "approved_in", "attendance", "end"):
            if key in node:
                del node[key]
        for top in node.get("tops") or []:
            for key in ("notes", "decisions", "actions"):
                if key in top:
                    del top[key]

    front = edit_front_matter(text, path, change)
    head, sep, _ = front.partition("\n---\n")
    return head + sep


def _as_draft_minutes(text: str, path: str, drop_decision: str | None = None) -> str:
    def change(node: Any) -> None:
        node["status"] = "draft"
        for key in ("sent", "approved_in"):
            if key in node:
                del node[key]
        if drop_decision:
            for top in node.get("tops") or []:
                decisions = top.get("decisions") or []
                for i in reversed(range(len(decisions))):
                    if str(decisions[i]).strip() == drop_decision:
                        del decisions[i]
                if "decisions" in top and not top["decisions"]:
                    del top["decisions"]

    return edit_front_matter(text, path, change)


class _Story:
    """Writes the story's commits into a new repository."""

    def __init__(self, ctx: Context, example: Path, data: RepoData, target: Path) -> None:
        self.ctx = ctx
        self.example = example
        self.example_data = data
        self.root = target
        self.at = _clock()
        self.result = DemoResult(target)

    def person(
        self, partner_id: str, contact_id: str | None = None, *, signatory: bool = False
    ) -> str:
        return _person(
            self.example_data.partners[partner_id].value, contact_id, signatory=signatory
        )

    def ctx_for(self, author: str) -> Context:
        return replace(self.ctx, root=self.root, author_text=author)

    def text(self, path: str) -> str:
        return (self.example / path).read_text("utf-8")

    def write(self, author: str, day: date, message: str, files: dict[str, str]) -> None:
        commit_changes(
            self.ctx_for(author),
            {p: t.encode("utf-8") for p, t in files.items()},
            message,
            when=self.at(day),
        )
        self.result.steps.append(DemoStep(day, author, message))

    def call(
        self, author: str, day: date, message: str, action: Callable[[Context, datetime], Any]
    ) -> Any:
        outcome = action(self.ctx_for(author), self.at(day))
        self.result.steps.append(DemoStep(day, author, message))
        return outcome


def _load_example(example: Path) -> tuple[RepoData, list[Any]]:
    loaded = load(WorkTree(example))
    return loaded.data, loaded.problems


def _base_files(example: Path) -> dict[str, bytes]:
    """Return coop.toml, .gitignore and the templates: what the first commit holds."""
    files = {layout.CONFIG: (example / layout.CONFIG).read_bytes(), ".gitignore": b".coop/\n"}
    for source in sorted((example / layout.TEMPLATES).glob("*")):
        if source.is_file() and not source.name.startswith("."):
            files[f"{layout.TEMPLATES}/{source.name}"] = source.read_bytes()
    return files


def build_demo(ctx: Context, target: Path) -> DemoResult:
    """Build the demo repository at `target` (which must not exist or be empty)."""
    from coopkit.services.agreements import add_obligation, set_obligation
    from coopkit.services.meetings import approve, send
    from coopkit.services.signoffs import release, sign

    target = target.resolve()
    if target.exists() and any(target.iterdir()):
        raise RepositoryError(
            T(
                "{p} ist nicht leer; „coop demo“ braucht ein neues oder leeres Verzeichnis",
                '{p} is not empty; "coop demo" needs a new or empty directory',
                p=str(target),
            )
        )
    example = layout.example_root()
    data, problems = _load_example(example)
    if problems:
        raise RepositoryError(
            T(
                "das mitgelieferte Beispiel hat Probleme: {p}",
                "the shipped example has problems: {p}",
                p="; ".join(p.format("de") for p in problems[:3]),
            )
        )
    target.mkdir(parents=True, exist_ok=True)
    GitRepo.init(target)
    story = _Story(ctx, example, data, target)
    bernert = story.person("kv-myk", "bernert")
    schmitz = story.person("kv-myk", "schmitz")

    # Autumn 2012: the repository and the partners.
    story.result.steps.append(
        DemoStep(date(2012, 9, 3), bernert, "Repository der Kooperation angelegt")
    )
    _init_commit(target, _base_files(example), bernert, story.at(date(2012, 9, 3)))
    for partner_id in sorted(data.partners):
        path = layout.partner_path(partner_id)
        story.write(
            bernert, date(2012, 9, 4), f"Partner {partner_id} angelegt", {path: story.text(path)}
        )

    agreements = [
        a.value
        for a in sorted(data.agreements.values(), key=lambda a: a.value.valid_from or date.max)
    ]
    # Drafts, then the revision after comments from the Ausländerbehörde and data protection.
    for ag in agreements:
        path = layout.agreement_path(ag.id)
        story.write(
            bernert,
            date(2012, 9, 17),
            f"Entwurf der Vereinbarung {ag.id}",
            {path: _draft_text(story.text(path), path, 7)},
        )
    for ag in agreements:
        path = layout.agreement_path(ag.id)
        story.write(
            bernert,
            date(2012, 10, 22),
            f"§ 7 von {ag.id} überarbeitet: Datenübermittlung nur mit schriftlicher Einwilligung",
            {path: story.text(path)},
        )

    events: list[tuple[date, int, Callable[[], object]]] = []
    # Release v1 and every party's approval.
    for ag in agreements:
        start = ag.valid_from or date(2012, 12, 1)
        release_day = date.fromordinal(start.toordinal() - 14)
        events.append(
            (
                release_day,
                0,
                partial(
                    _release,
                    story,
                    bernert,
                    release_day,
                    ag.id,
                    "v1",
                    "Fassung zur Unterzeichnung",
                    release,
                ),
            )
        )
        for offset, party in enumerate(ag.parties):
            day = date.fromordinal(start.toordinal() - 7 + 2 * offset)
            events.append((day, 1, partial(_approve, story, day, ag.id, party, "v1", sign)))

    # 2013: meetings, fulfilment records and closed actions in the order they happened.
    for fulfilment in data.fulfilments:
        done = fulfilment.value
        events.append(
            (
                done.date,
                2,
                partial(
                    story.write,
                    _author_of(story, done.recorded_by, done.partner),
                    done.date,
                    f"{done.obligation} (fällig {done.due.isoformat()}) für {done.partner}: "
                    f"{FULFILMENT_STATUS[done.status].format('de')}",
                    {fulfilment.path: story.text(fulfilment.path)},
                ),
            )
        )
    for closing in data.action_records:
        closed = closing.value
        found = data.find_action(closed.action)
        owner = found[2].who if found else ""
        events.append(
            (
                closed.date,
                3,
                partial(
                    story.write,
                    _author_of(story, closed.by or owner, owner.partition("/")[0] or "kv-myk"),
                    closed.date,
                    f"Aufgabe {closed.action} erledigt",
                    {closing.path: story.text(closing.path)},
                ),
            )
        )
    for meeting in sorted(data.minutes.values(), key=lambda m: m.value.date):
        events += _meeting_events(
            story, meeting.value, meeting.path, data, schmitz, approve=approve, send=send
        )

    # After the evaluation: revision v2, release and the first approvals.
    for ag in agreements:
        events.append(
            (
                date(2014, 3, 3),
                0,
                partial(_revise_v2, story, bernert, ag, add_obligation, set_obligation),
            )
        )
        events.append(
            (
                date(2014, 3, 20),
                0,
                partial(
                    _release,
                    story,
                    bernert,
                    date(2014, 3, 20),
                    ag.id,
                    "v2",
                    "Fortschreibung nach der Evaluation 2014",
                    release,
                ),
            )
        )
        for offset, party in enumerate(p for p in ag.parties if p in ("kv-myk", "jobcenter-myk")):
            day = date(2014, 4, 2 + 7 * offset)
            events.append((day, 1, partial(_approve, story, day, ag.id, party, "v2", sign)))

    for _day, _priority, run in sorted(events, key=lambda e: (e[0], e[1])):
        run()
    with GitRepo(target) as repo:
        story.result.commits = int(str(repo.run("rev-list", "--count", "HEAD")))
    return story.result


def _release(
    story: _Story,
    author: str,
    day: date,
    agreement_id: str,
    version: str,
    message: str,
    release: Callable[..., Any],
) -> None:
    story.call(
        author,
        day,
        f"{agreement_id} {version} veröffentlicht",
        lambda c, w: release(c, agreement_id, version, message, when=w),
    )
    story.result.tags.append(f"{agreement_id}/{version}")


def _approve(
    story: _Story,
    day: date,
    agreement_id: str,
    partner_id: str,
    version: str,
    sign: Callable[..., Any],
) -> None:
    partner = story.example_data.partners[partner_id].value
    signer = story.person(partner_id, _representative_contact(partner), signatory=True)
    story.call(
        signer,
        day,
        f"Freigabe von {agreement_id} {version} durch {partner_id}",
        lambda c, w: sign(
            c,
            agreement_id,
            partner_id,
            partner.representative or partner.name,
            function=partner.represented_by,
            place=partner.address.city if partner.address else None,
            when=day,
            version=version,
        ),
    )


def _revise_v2(
    story: _Story,
    author: str,
    ag: Agreement,
    add_obligation: Callable[..., Any],
    set_obligation: Callable[..., Any],
) -> None:
    path = layout.agreement_path(ag.id)
    text = (story.root / path).read_text("utf-8")
    for number, paragraph in V2_PARAGRAPHS.items():
        text = add_paragraph(text, number, paragraph)
    day = date(2014, 3, 3)
    story.write(
        author,
        day,
        f"{ag.id} nach der Evaluation fortgeschrieben: junge Zugewanderte, Sprachförderung, "
        "gemeinsame Fortbildung",
        {path: text},
    )
    service = next(p for p in ag.parties if p not in ("kv-myk", "jobcenter-myk"))
    story.call(
        author,
        day,
        f"Pflicht fortbildung in {ag.id} angelegt",
        lambda c, w: add_obligation(
            c,
            ag.id,
            "fortbildung",
            by=list(ag.parties),
            to=list(ag.parties),
            what="Gemeinsame Veranstaltung oder Fortbildung für die Mitarbeitenden durchführen",
            every="P1Y",
            first_due=date(2014, 11, 30),
            clause=5,
            how="Koordination durch die Geschäftsstelle Integration",
            when=w,
        ),
    )
    story.call(
        author,
        day,
        f"Pflicht u25-abstimmung in {ag.id} angelegt",
        lambda c, w: add_obligation(
            c,
            ag.id,
            "u25-abstimmung",
            by=["jobcenter-myk", service],
            to=["kv-myk"],
            what="Fallübergreifende Abstimmung zwischen Jugendmigrationsdienst und "
            "Team U25 (ohne personenbezogene Daten) durchführen und Ergebnisse "
            "berichten",
            every="P6M",
            first_due=date(2014, 6, 30),
            clause=1,
            when=w,
        ),
    )
    story.call(
        author,
        day,
        f"Hospitation in {ag.id} einmal jährlich",
        lambda c, w: set_obligation(c, ag.id, "hospitation", {"every": "P1Y"}, when=w),
    )


def _representative_contact(partner: Partner) -> str | None:
    contact = next((c for c in partner.contacts if c.name == partner.representative), None)
    return contact.id if contact else None


def _author_of(story: _Story, ref: str | None, partner_id: str) -> str:
    if ref and "/" in ref:
        partner, _, contact = ref.partition("/")
        if partner in story.example_data.partners:
            return story.person(partner, contact)
    return story.person(partner_id)


def _meeting_events(
    story: _Story,
    minutes: Minutes,
    path: str,
    data: RepoData,
    secretary: str,
    *,
    approve: Callable[..., Any],
    send: Callable[..., Any],
) -> list[tuple[date, int, Callable[[], object]]]:
    """Invitation three weeks ahead, minutes five days after, sent, approved in a later meeting."""
    text = story.text(path)
    invite_day = date.fromordinal(minutes.date.toordinal() - 21)
    events: list[tuple[date, int, Callable[[], object]]] = []
    if minutes.status == "draft":
        invitation = partial(
            story.write, secretary, invite_day, f"Einladung zur Sitzung {minutes.id}", {path: text}
        )
        return [(invite_day, 0, invitation)]
    events.append(
        (
            invite_day,
            0,
            partial(
                story.write,
                secretary,
                invite_day,
                f"Einladung zur Sitzung {minutes.id}",
                {path: _strip_for_invitation(text, path)},
            ),
        )
    )
    approval = _approval_decision_of(minutes, data)
    minutes_day = date.fromordinal(minutes.date.toordinal() + 5)
    events.append(
        (
            minutes_day,
            0,
            partial(
                story.write,
                secretary,
                minutes_day,
                f"Niederschrift der Sitzung {minutes.id}",
                {path: _as_draft_minutes(text, path, approval)},
            ),
        )
    )
    for earlier_id in _approved_here(minutes, data):
        events.append(
            (
                minutes_day,
                1,
                partial(
                    story.call,
                    secretary,
                    minutes_day,
                    f"Niederschrift {earlier_id} in {minutes.id} genehmigt",
                    partial(_approve_in, approve, earlier_id, minutes.id),
                ),
            )
        )
    if minutes.sent:
        sent_day = minutes.sent
        events.append(
            (
                sent_day,
                3,
                partial(
                    story.call,
                    secretary,
                    sent_day,
                    f"Niederschrift {minutes.id} versandt",
                    partial(_send, send, minutes.id, sent_day),
                ),
            )
        )
    return events


def _approve_in(
    approve: Callable[..., Any], earlier: str, later: str, ctx: Context, when: datetime
) -> Any:
    return approve(ctx, earlier, later, when=when)


def _send(
    send: Callable[..., Any], meeting_id: str, sent: date, ctx: Context, when: datetime
) -> Any:
    return send(ctx, meeting_id, sent=sent, when=when)


def _approved_here(minutes: Minutes, data: RepoData) -> list[str]:
    return sorted(m.value.id for m in data.minutes.values() if m.value.approved_in == minutes.id)


def _approval_decision_of(minutes: Minutes, data: RepoData) -> str | None:
    """Return the decision text `coop meeting approve` writes for minutes approved here."""
    from coopkit.services.meetings import approval_text

    for earlier_id in _approved_here(minutes, data):
        earlier = data.minutes[earlier_id].value
        return approval_text(earlier, "de")
    return None


def _init_commit(target: Path, files: dict[str, bytes], author: str, when: datetime) -> None:
    from coopkit.store.atomic import write_atomic
    from coopkit.store.git import parse_author

    for rel, data in files.items():
        write_atomic(target / rel, data)
    with GitRepo(target) as repo:
        repo.commit_paths(
            sorted(files), "Repository der Kooperation angelegt", parse_author(author), when
        )
