"""`coop decision list`: decisions of all minutes with the state of their follow-up."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Cli, MakeRepo

M1 = "2014-02-05-evaluation"
M2 = "2014-03-05-zweites-treffen"


def _setup(cli: Cli, root: Path) -> None:
    cli(
        "-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-02-05",
        "--title", "Evaluation", "--agenda", "Sprachkurse", "--agenda", "Statistik",
        today="2014-02-05",
    )  # fmt: skip
    # TOP 4 "Sprachkurse": a decision with an action, left open; TOP 5: a decision alone.
    cli(
        "-C",
        root,
        "meeting",
        "decide",
        M1,
        "--top",
        "4",
        "Kurse werden ausgebaut.",
        today="2014-02-05",
    )
    cli(
        "-C", root, "meeting", "action", M1, "--top", "4", "--who", "jobcenter/meyer",
        "--due", "2014-02-20", "Bedarf erheben", today="2014-02-05",
    )  # fmt: skip
    cli(
        "-C",
        root,
        "meeting",
        "decide",
        M1,
        "--top",
        "5",
        "Statistik bleibt jährlich.",
        today="2014-02-05",
    )
    cli("-C", root, "meeting", "mark", M1, "--top", "4", "--open", today="2014-02-05")
    cli("-C", root, "meeting", "send", M1, today="2014-02-06")
    cli(
        "-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-03-05",
        "--title", "Zweites Treffen", today="2014-03-01",
    )  # fmt: skip
    # The carried TOP 2 of the second meeting continues "Sprachkurse": its action follows up
    # the February decision.
    cli(
        "-C", root, "meeting", "action", M2, "--top", "2", "--who", "caritas/klein",
        "--due", "2014-06-30", "Kursplan abstimmen", today="2014-03-05",
    )  # fmt: skip


def test_decision_list_shows_follow_up_across_meetings(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    _setup(cli, root)
    result = cli("-C", root, "--json", "decision", "list", today="2014-03-10")
    data = json.loads(result.stdout)
    assert data["ok"] is True
    rows = {d["key"]: d for d in data["decisions"]}
    courses = rows[f"{M1}#4.1"]
    assert courses["text"] == "Kurse werden ausgebaut."
    assert courses["state"] == "overdue"
    assert [a["key"] for a in courses["actions"]] == [f"{M1}#1", f"{M2}#1"]
    assert rows[f"{M1}#5.1"]["state"] == "none"

    text = cli("-C", root, "decision", "list", today="2014-03-10").stdout
    assert "überfällig" in text and "ohne Aufgabe" in text and f"{M2}#1 offen" in text
    english = cli("-C", root, "--lang", "en", "decision", "list", today="2014-03-10").stdout
    assert "overdue" in english and "no action" in english and "Decision" in english


def test_decision_state_follows_the_actions(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    _setup(cli, root)
    cli("-C", root, "action", "done", f"{M1}#1", "--date", "2014-03-06", today="2014-03-06")
    rows = json.loads(cli("-C", root, "--json", "decision", "list", today="2014-03-10").stdout)
    state = {d["key"]: d["state"] for d in rows["decisions"]}
    assert state[f"{M1}#4.1"] == "open"
    cli("-C", root, "action", "done", f"{M2}#1", "--date", "2014-03-07", today="2014-03-07")
    rows = json.loads(cli("-C", root, "--json", "decision", "list", today="2014-03-10").stdout)
    state = {d["key"]: d["state"] for d in rows["decisions"]}
    assert state[f"{M1}#4.1"] == "done"
    assert json.loads(
        cli("-C", root, "--json", "decision", "list", "--open", today="2014-03-10").stdout
    ) == {"ok": True, "decisions": []}
    assert "keine Beschlüsse" in cli("-C", root, "decision", "list", "--open").stdout
