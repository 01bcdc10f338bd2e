"""Every view answers from one engine: random histories, and the views agree on any day."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
import recurring_ical_events
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from conftest import Cli, git, git_env

PARTIES = ["kreis", "jobcenter", "caritas"]
PARTNERS = {
    "kreis": "Kreisverwaltung",
    "jobcenter": "Jobcenter",
    "caritas": "Caritasverband",
}
POOL = ["bericht", "treffen", "liste", "daten"]
START = date(2013, 1, 1)


@dataclass
class Obl:
    id: str
    by: str
    every: int
    """Months between due dates."""
    first_due: date


@dataclass
class Version:
    obligations: list[Obl]
    released: date
    approvals: dict[str, date]
    valid_from: date | None
    valid_until: date | None


@dataclass
class History:
    versions: list[Version]
    notice: tuple[str, date] | None
    today: date
    fulfilled: list[int] = field(default_factory=list)
    actions: list[tuple[int, str]] = field(default_factory=list)
    """(days after the meeting the action is due, state: open/done/dropped)."""


def _day(offset: int) -> date:
    return START + timedelta(days=offset)


@st.composite
def histories(draw: st.DrawFn) -> History:
    versions = []
    released = _day(draw(st.integers(0, 60)))
    for _ in range(draw(st.integers(1, 3))):
        ids = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True))
        obligations = [
            Obl(
                oid,
                draw(st.sampled_from(PARTIES)),
                draw(st.sampled_from([1, 3, 6])),
                _day(draw(st.integers(0, 500))).replace(day=draw(st.integers(1, 28))),
            )
            for oid in ids
        ]
        approvers = draw(st.lists(st.sampled_from(PARTIES), unique=True, max_size=3))
        approvals = {p: released + timedelta(days=draw(st.integers(0, 90))) for p in approvers}
        valid_from = draw(st.one_of(st.none(), st.builds(_day, st.integers(0, 400))))
        valid_until = draw(st.one_of(st.none(), st.builds(_day, st.integers(300, 900))))
        if valid_from and valid_until and valid_until < valid_from:
            valid_until = None
        versions.append(Version(obligations, released, approvals, valid_from, valid_until))
        released = released + timedelta(days=draw(st.integers(1, 200)))
    notice = None
    if draw(st.booleans()):
        notice = (draw(st.sampled_from(PARTIES)), _day(draw(st.integers(100, 700))))
    today = _day(draw(st.integers(0, 1000)))
    fulfilled = draw(st.lists(st.integers(0, 30), max_size=6, unique=True))
    actions = draw(
        st.lists(
            st.tuples(st.integers(1, 200), st.sampled_from(["open", "done", "dropped"])),
            max_size=4,
        )
    )
    return History(versions, notice, today, fulfilled, actions)


def _agreement_text(version: Version) -> str:
    lines = [
        "---",
        "id: koop",
        "title: Kooperation",
        "parties: [kreis, jobcenter, caritas]",
        "notice_period: P3M",
    ]
    if version.valid_from:
        lines.append(f"valid_from: {version.valid_from.isoformat()}")
    if version.valid_until:
        lines.append(f"valid_until: {version.valid_until.isoformat()}")
    lines.append("obligations:")
    for ob in version.obligations:
        lines += [
            f"  - id: {ob.id}",
            f"    by: {ob.by}",
            "    to: kreis",
            f"    what: {ob.id} liefern",
            f"    every: P{ob.every}M",
            f"    first_due: {ob.first_due.isoformat()}",
        ]
    lines += ["---", "", "## § 1 Ziele", "", "Zusammenarbeit.", ""]
    return "\n".join(lines)


def _run(root: Path, day: date, *args: str) -> None:
    stamp = f"{day.isoformat()}T12:00:00+00:00"
    env = {**git_env(), "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_DATE": stamp}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def _write(root: Path, rel: str, text: str) -> None:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def build(root: Path, history: History) -> None:
    """Write the history as files, commits and tags, each dated on its day."""
    from coopkit.signing.hashing import content_hash
    from coopkit.store.codec import parse_agreement
    from coopkit.store.text import decode_text

    signoffs: list[tuple[str, str]] = []

    root.mkdir(parents=True)
    _write(root, "coop.toml", 'name = "Zufall"\nlocale = "de"\n')
    _write(root, ".gitignore", ".coop/\n")
    for pid, name in PARTNERS.items():
        _write(root, f"partners/{pid}.yaml", f"id: {pid}\nname: {name}\n")
    git(root, "init", "-q", "-b", "main")
    for n, version in enumerate(history.versions, start=1):
        text = _agreement_text(version)
        _write(root, "agreements/koop/agreement.md", text)
        _run(root, version.released, "add", "-A")
        _run(root, version.released, "commit", "-q", "--allow-empty", "-m", f"Fassung {n}")
        _run(root, version.released, "tag", "-a", "-m", f"v{n}", f"koop/v{n}")
        textfile, _ = decode_text("agreements/koop/agreement.md", text.encode())
        assert textfile is not None
        located, problems = parse_agreement(textfile)
        assert located is not None, problems
        digest = content_hash(located.value)
        for partner, day in sorted(version.approvals.items()):
            signoffs.append(
                (
                    f"agreements/koop/signoffs/v{n}/{partner}.yaml",
                    f"agreement: koop\nversion: v{n}\npartner: {partner}\nsignatory: X\n"
                    f"date: {day.isoformat()}\ncontent_hash: {digest}\n",
                )
            )
    # Approvals are committed last, on the latest day any of them carries: never post-dated.
    for rel, text in signoffs:
        _write(root, rel, text)
    meeting = "2013-03-01-treffen"
    actions = "".join(
        f"      - id: {i}\n        who: kreis\n        what: Aufgabe {i}\n"
        f"        due: {(date(2013, 3, 1) + timedelta(days=due)).isoformat()}\n"
        for i, (due, _state) in enumerate(history.actions, start=1)
    )
    _write(
        root,
        f"minutes/{meeting}.md",
        f"---\nid: {meeting}\ntitle: Treffen\nagreements: [koop]\ndate: 2013-03-01\n"
        f"status: sent\nsent: 2013-03-05\ntops:\n  - title: Aufgaben\n"
        + (f"    actions:\n{actions}" if actions else "")
        + "---\n",
    )
    for i, (_due, state) in enumerate(history.actions, start=1):
        if state != "open":
            _write(
                root,
                f"actions/{meeting}-{i}.yaml",
                f"action: {meeting}#{i}\nstatus: {state}\ndate: 2013-03-10\n",
            )
    if history.notice:
        partner, day = history.notice
        _write(
            root,
            f"agreements/koop/termination/{partner}.yaml",
            f"agreement: koop\npartner: {partner}\nkind: notice\ndate: {day.isoformat()}\n",
        )
    # Records are committed no earlier than the day they carry (approvals are never post-dated).
    last = max(
        [history.versions[-1].released]
        + [day for version in history.versions for day in version.approvals.values()]
    )
    _run(root, last, "add", "-A")
    _run(root, last, "commit", "-q", "--allow-empty", "-m", "Rest")


def oracle(history: History) -> dict[tuple[str, str, date], int]:
    """Return (obligation, partner, due) -> version number, computed without coopkit."""
    spans: list[tuple[int, date, date | None]] = []
    for n, version in enumerate(history.versions, start=1):
        if set(version.approvals) != set(PARTIES):
            continue
        approved = max(version.approvals.values())
        start = max(approved, version.valid_from) if version.valid_from else approved
        spans.append((n, start, version.valid_until))
    cut: list[tuple[int, date, date | None]] = []
    for i, (n, start, end) in enumerate(spans):
        for _m, later_start, _ in spans[i + 1 :]:
            day = later_start - timedelta(days=1)
            end = day if end is None or day < end else end
        cut.append((n, start, end))
    # Of three parties, the one giving notice leaves after the notice period; the others go on.
    leaver, last_day = None, None
    if history.notice:
        leaver, given = history.notice
        last_day = given + relativedelta(months=3)
    horizon = history.today + relativedelta(years=3)
    result: dict[tuple[str, str, date], int] = {}
    for n, start, end in cut:
        if end is not None and end < start:
            continue
        stop = min(end, horizon) if end else horizon
        for ob in history.versions[n - 1].obligations:
            k = 0
            while True:
                due = ob.first_due + relativedelta(months=k * ob.every)
                if (ob.first_due + timedelta(days=1)).day == 1:
                    # Due at the end of a month (28 February): at the end of each month it recurs.
                    due += relativedelta(day=31)
                if due > stop:
                    break
                gone = ob.by == leaver and last_day is not None and due > last_day
                if due >= start and not gone:
                    result[(ob.id, ob.by, due)] = n
                k += 1
    return result


def fulfil(root: Path, history: History, owed: dict[tuple[str, str, date], int]) -> set[tuple]:
    """Write fulfilment records for some owed occurrences; return their keys."""
    keys = sorted(owed)
    chosen = {keys[i] for i in history.fulfilled if i < len(keys)}
    for oid, partner, due in chosen:
        _write(
            root,
            f"agreements/koop/fulfilment/{due.isoformat()}-{oid}-{partner}.yaml",
            f"obligation: {oid}\npartner: {partner}\ndue: {due.isoformat()}\n"
            f"date: {due.isoformat()}\nstatus: fulfilled\n",
        )
    if chosen:
        _run(root, history.versions[-1].released, "add", "-A")
        _run(root, history.versions[-1].released, "commit", "-q", "-m", "Erfüllung")
    return chosen


def _json(cli: Cli, root: Path, today: date, *args: str) -> dict:
    return json.loads(cli("-C", root, "--json", *args, today=today.isoformat()).stdout)


@settings(
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories())
def test_every_view_agrees_on_any_day(
    history: History, cli: Cli, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("history") / "repo"
    build(root, history)
    owed = oracle(history)
    done = fulfil(root, history, owed)
    today = history.today
    check = json.loads(cli("-C", root, "--json", "check", today=today.isoformat(), ok=None).stdout)
    assert [p for p in check["problems"] if p["code"] not in ("date-order",)] == []

    overdue = _json(cli, root, today, "due", "--overdue")
    items = [i for g in overdue["partners"] for i in g["items"]]
    expected_overdue = {k for k in owed if k[2] < today and k not in done}
    actions_overdue = {
        f"2013-03-01-treffen#{i}"
        for i, (due, state) in enumerate(history.actions, start=1)
        if state == "open" and date(2013, 3, 1) + timedelta(days=due) < today
    }
    got = {
        (i["obligation"], i["partner"], date.fromisoformat(i["due"]))
        for i in items
        if i["kind"] == "obligation"
    }
    assert got == expected_overdue
    assert {i["key"] for i in items if i["kind"] == "action"} == actions_overdue
    # Each occurrence is owed under the version in force on its day.
    for item in items:
        if item["kind"] == "obligation":
            key = (item["obligation"], item["partner"], date.fromisoformat(item["due"]))
            assert item["version"] == f"v{owed[key]}"

    status = _json(cli, root, today, "status")
    assert sum(status["overdue"].values()) == len(items)
    assert status["overdue_actions"] == len(actions_overdue)

    rows = _json(cli, root, today, "obligation", "list")["obligations"]
    assert sum(r["overdue"] for r in rows) == len(expected_overdue)

    checklist = _json(
        cli, root, today, "checklist", "--until", today.isoformat(), "-o", str(root.parent / "c.md")
    )
    within = [
        i for g in _json(cli, root, today, "due", "--within", "0d")["partners"] for i in g["items"]
    ]
    assert checklist["items"] == len(within)

    if today > START:
        report = _json(
            cli,
            root,
            today,
            "report",
            "koop",
            "--from",
            START.isoformat(),
            "--to",
            (today - timedelta(days=1)).isoformat(),
            "--format",
            "json",
        )
        in_period = {k for k in owed if START <= k[2] < today}
        assert sum(r["total"] for r in report["obligations"]) == len(in_period)
        assert sum(r["open"] for r in report["obligations"]) == len(in_period - done)

    ics = root.parent / "k.ics"
    cli("-C", root, "calendar", "-o", str(ics), today=today.isoformat())
    calendar = Calendar.from_ical(ics.read_bytes())
    horizon = today + relativedelta(years=3)
    expanded: set[tuple[str, str, date]] = set()
    end = horizon + timedelta(days=1)  # the end of `between` is exclusive
    for event in recurring_ical_events.of(calendar).between(date(2012, 1, 1), end):
        uid = str(event["UID"]).removesuffix("@coopkit")
        parts = uid.split("/")
        if len(parts) < 3 or parts[0] != "koop":
            continue
        oid, partner = parts[-2], parts[-1]
        expanded.add((oid, partner, event.decoded("DTSTART")))
    assert expanded == set(owed)
