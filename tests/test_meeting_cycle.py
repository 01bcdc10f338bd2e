from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from conftest import AUTHOR, Cli, MakeRepo, git, head, tree_state
from coopkit.queries.context import Context

FIRST = "2014-02-05-evaluation"
SECOND = "2014-05-14-arbeitstreffen"


def _commits(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD").strip())


def _changed(root: Path) -> list[str]:
    out = git(root, "show", "--name-only", "--format=", "HEAD")
    return [line for line in out.splitlines() if line]


def _new_first(cli: Cli, root: Path) -> None:
    cli(
        "-C",
        root,
        "meeting",
        "new",
        "--agreement",
        "koop",
        "--date",
        "2014-02-05",
        "--time",
        "14:00",
        "--end",
        "16:30",
        "--place",
        "Kreisverwaltung, Sitzungssaal",
        "--title",
        "Evaluation",
        "--chair",
        "kreis/bernert",
        "--minute-taker",
        "kreis/bernert",
        "--agenda",
        "Sprachförderung über Grundkenntnisse hinaus",
    )


def test_full_meeting_cycle_one_commit_per_step(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    _new_first(cli, root)
    path = root / "minutes" / f"{FIRST}.md"
    text = path.read_text()
    assert "status: draft" in text
    titles = re.findall(r"^  - title: (.*)$", text, re.MULTILINE)
    assert titles == [
        "Begrüßung",
        "Fällige Pflichten",
        "Änderungen der Vereinbarungen",
        "Sprachförderung über Grundkenntnisse hinaus",
        "Verschiedenes",
    ]
    assert "  - title: Fällige Pflichten\n    prefilled: obligations\n" in text
    # The prepared TOPs' text is computed from the records until the minutes are sent.
    shown = cli("-C", root, "meeting", "show", FIRST).stdout
    assert "Caritasverband Beispiel e. V.: Über aktuelle Beratungsangebote informieren" in shown
    assert "31.12.2013" in shown and "koop / angebote" not in shown
    assert "nächste Überprüfung: 01.12.2014" in shown

    steps = [
        ("meeting", "attend", FIRST, "kreis/bernert", "jobcenter/meyer"),
        ("meeting", "attend", FIRST, "caritas/klein", "--excused"),
        ("meeting", "attend", FIRST, "Ralf Simon", "--guest", "--org", "BAMF"),
        ("meeting", "note", FIRST, "--top", "4", "Das Jobcenter fördert berufsbezogene Kurse."),
        ("meeting", "decide", FIRST, "--top", "4", "Die Partner informieren gemeinsam: ja."),
        (
            "meeting",
            "action",
            FIRST,
            "--top",
            "4",
            "--who",
            "jobcenter/meyer",
            "--due",
            "2014-03-31",
            "Fördermöglichkeiten beschreiben",
        ),
    ]
    for step in steps:
        before = _commits(root)
        cli("-C", root, *step)
        assert _commits(root) == before + 1
        assert _changed(root) == [f"minutes/{FIRST}.md"]
    text = path.read_text()
    assert "  present:\n    - kreis/bernert\n    - jobcenter/meyer" in text
    assert "  excused:\n    - caritas/klein" in text
    assert "- name: Ralf Simon\n      org: BAMF" in text
    assert "Die Partner informieren gemeinsam: ja." in text
    cli("-C", root, "check")

    listed = cli("-C", root, "action", "list", "--open").stdout
    assert f"{FIRST}#1" in listed and "Jan Meyer (Jobcenter Beispielkreis)" in listed

    cli("-C", root, "meeting", "send", FIRST, "--date", "2014-02-12", today="2014-02-12")
    sent = path.read_text()
    assert "status: sent\nsent: 2014-02-12" in sent
    assert "prefilled:" not in sent and "nächste Überprüfung: 01.12.2014" in sent

    cli("-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-05-14")
    second = root / "minutes" / f"{SECOND}.md"
    assert "title: Begrüßung und Genehmigung der Niederschrift vom 05.02.2014" in (
        second.read_text()
    )
    later = cli("-C", root, "meeting", "show", SECOND).stdout
    assert "TOP 1: Begrüßung und Genehmigung der Niederschrift vom 05.02.2014" in later
    assert "TOP 2: Offene Aufgaben" in later
    assert "- Jan Meyer (Jobcenter Beispielkreis) – Fördermöglichkeiten" in later
    assert f"{FIRST}#1" not in later

    before = _commits(root)
    cli("-C", root, "meeting", "approve", FIRST, "--in", SECOND)
    assert _commits(root) == before + 1
    assert sorted(_changed(root)) == [f"minutes/{FIRST}.md", f"minutes/{SECOND}.md"]
    assert f"status: approved\nsent: 2014-02-12\napproved_in: {SECOND}" in path.read_text()
    assert (
        "- Die Niederschrift der Sitzung vom 5. Februar 2014 wird genehmigt." in second.read_text()
    )

    shown = cli("-C", root, "meeting", "show", FIRST).stdout
    assert "genehmigt in 2014-05-14-arbeitstreffen" in shown
    assert "Jan Meyer (Jobcenter Beispielkreis)" in shown

    cli(
        "-C",
        root,
        "action",
        "done",
        f"{FIRST}#1",
        "--date",
        "2014-03-28",
        "--note",
        "versandt",
        today="2014-03-28",
    )
    assert _changed(root) == ["actions/2014-02-05-evaluation-1.yaml"]
    assert cli("-C", root, "action", "list", "--open").stdout.strip() == "keine Aufgaben"
    assert "erledigt" in cli("-C", root, "action", "list").stdout
    cli("-C", root, "check")


def test_approved_minutes_refuse_every_write(make_repo: MakeRepo, cli: Cli) -> None:
    root = _approved_repo(make_repo, cli)
    before = tree_state(root)
    for args in (
        ("meeting", "note", FIRST, "--top", "1", "Nachtrag"),
        ("meeting", "decide", FIRST, "--top", "1", "Nachtrag"),
        ("meeting", "attend", FIRST, "caritas/klein"),
        ("meeting", "action", FIRST, "--top", "1", "--who", "kreis", "--due", "2014-09-01", "X"),
        ("meeting", "approve", FIRST, "--in", SECOND),
    ):
        result = cli("-C", root, *args, ok=False)
        assert result.exit_code == 2
        assert "genehmigt" in result.stderr
    assert tree_state(root) == before


def test_check_reports_change_to_approved_minutes_with_line(make_repo: MakeRepo, cli: Cli) -> None:
    root = _approved_repo(make_repo, cli)
    cli("-C", root, "check")
    path = root / "minutes" / f"{FIRST}.md"
    lines = path.read_text().split("\n")
    number = next(i for i, line in enumerate(lines, start=1) if line.startswith("title:"))
    lines[number - 1] = "title: Evaluation (nachträglich geändert)"
    path.write_text("\n".join(lines))
    result = cli("-C", root, "check", ok=False)
    assert result.exit_code == 1
    assert (
        f"minutes/{FIRST}.md:{number}:1: genehmigte Niederschrift nach der Genehmigung geändert"
    ) in result.stdout


def test_approve_refuses_unsent_earlier_or_twice(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    _new_first(cli, root)
    cli("-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-05-14")
    before = tree_state(root)
    unsent = cli("-C", root, "meeting", "approve", FIRST, "--in", SECOND, ok=False)
    assert unsent.exit_code == 2 and "nicht versandt" in unsent.stderr
    cli("-C", root, "meeting", "send", SECOND, "--date", "2014-05-20", today="2014-05-20")
    before = tree_state(root)
    earlier = cli("-C", root, "meeting", "approve", SECOND, "--in", FIRST, ok=False)
    assert earlier.exit_code == 2 and "nicht nach" in earlier.stderr
    missing = cli("-C", root, "meeting", "approve", SECOND, "--in", "2014-09-01-x", ok=False)
    assert missing.exit_code == 6
    assert tree_state(root) == before


def test_write_services_take_the_commit_date(make_repo: MakeRepo) -> None:
    from coopkit.services.meetings import add_action, close_action, new_meeting, send

    root = make_repo()
    ctx = Context(root=root, today=date(2014, 2, 7), author_text=AUTHOR)
    made = new_meeting(
        ctx,
        ["koop"],
        date(2014, 2, 5),
        time="14:00",
        title="Evaluation",
        agenda=["Sprache"],
        when=date(2014, 1, 20),
    )
    assert made.minutes.id == FIRST
    action = add_action(
        ctx, FIRST, 2, "caritas/klein", date(2014, 4, 30), "Konzept", when=date(2014, 2, 5)
    )
    assert action.extra["action"] == f"{FIRST}#1"
    send(ctx, FIRST, when=date(2014, 2, 12))
    closed = close_action(ctx, f"{FIRST}#1", when=date(2014, 4, 2), note="erledigt")
    assert closed.record.date == date(2014, 4, 2)
    dates = git(root, "log", "--format=%ad", "--date=short", "-4").split()
    assert dates == ["2014-04-02", "2014-02-12", "2014-02-05", "2014-01-20"]
    assert head(root) == closed.commit.commit


def _approved_repo(make_repo: MakeRepo, cli: Cli) -> Path:
    root = make_repo()
    _new_first(cli, root)
    cli(
        "-C",
        root,
        "meeting",
        "action",
        FIRST,
        "--top",
        "1",
        "--who",
        "caritas/klein",
        "--due",
        "2014-04-30",
        "Konzept entwerfen",
    )
    cli("-C", root, "meeting", "send", FIRST, "--date", "2014-02-12", today="2014-02-12")
    cli("-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-05-14")
    cli("-C", root, "meeting", "approve", FIRST, "--in", SECOND)
    return root
