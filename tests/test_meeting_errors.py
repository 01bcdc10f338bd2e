from __future__ import annotations

import re

from conftest import Cli, MakeRepo, tree_state

MEETING = "2014-02-05-evaluation"

MINUTES = """\
    ---
    id: 2014-02-05-evaluation
    title: Evaluation
    agreements: [koop]
    date: 2014-02-05
    chair: kreis/bernert
    status: draft
    attendance:
      present:
        - kreis/bernert
    tops:
      - title: Begrüßung
      - title: Sprachförderung
        actions:
          - id: 1
            who: jobcenter/meyer
            what: Beschreiben
            due: 2014-03-31
    ---
    """


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), start=1) if needle in line)


def test_unknown_person_on_the_command_line_is_reported_with_position(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo({f"minutes/{MEETING}.md": MINUTES})
    before = tree_state(root)
    result = cli("-C", root, "meeting", "attend", MEETING, "kreis/bernrt", ok=False)
    assert result.exit_code == 1
    assert re.search(
        rf"minutes/{MEETING}\.md:\d+:\d+: unbekannte Person „bernrt“ bei kreis; bekannt: bernert",
        result.stderr,
    )
    partner = cli(
        "-C",
        root,
        "meeting",
        "action",
        MEETING,
        "--top",
        "2",
        "--who",
        "kreiss",
        "--due",
        "2014-03-01",
        "Etwas",
        ok=False,
    )
    assert re.search(
        rf"minutes/{MEETING}\.md:\d+:\d+: unbekannter Partner „kreiss“", partner.stderr
    )
    assert tree_state(root) == before


def test_action_due_before_the_meeting_is_reported_with_position(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo({f"minutes/{MEETING}.md": MINUTES})
    before = tree_state(root)
    result = cli(
        "-C",
        root,
        "meeting",
        "action",
        MEETING,
        "--top",
        "2",
        "--who",
        "caritas/klein",
        "--due",
        "2014-01-31",
        "Zu früh",
        ok=False,
    )
    assert result.exit_code == 1
    assert re.search(
        rf"minutes/{MEETING}\.md:\d+:\d+: Aufgabe fällig am 2014-01-31, vor der Sitzung am "
        "2014-02-05",
        result.stderr,
    )
    assert tree_state(root) == before


def test_hand_edited_minutes_are_validated_with_path_line_col(
    make_repo: MakeRepo, cli: Cli
) -> None:
    text = MINUTES.replace("            who: jobcenter/meyer\n", "").replace(
        "            due: 2014-03-31\n", ""
    )
    root = make_repo({f"minutes/{MEETING}.md": text})
    written = (root / "minutes" / f"{MEETING}.md").read_text()
    result = cli("-C", root, "check", ok=False)
    out = result.stdout
    action_line = _line_of(written, "- id: 1")
    assert f"minutes/{MEETING}.md:{action_line}:9: Pflichtfeld „who“ fehlt" in out
    assert f"minutes/{MEETING}.md:{action_line}:9: Pflichtfeld „due“ fehlt" in out


def test_unknown_person_in_hand_edited_minutes_is_reported(make_repo: MakeRepo, cli: Cli) -> None:
    text = MINUTES.replace("        - kreis/bernert", "        - kreis/niemand").replace(
        "due: 2014-03-31", "due: 2014-01-02"
    )
    root = make_repo({f"minutes/{MEETING}.md": text})
    written = (root / "minutes" / f"{MEETING}.md").read_text()
    out = cli("-C", root, "check", ok=False).stdout
    person = _line_of(written, "kreis/niemand")
    due = _line_of(written, "due: 2014-01-02")
    assert f"minutes/{MEETING}.md:{person}:7: unbekannte Person „niemand“ bei kreis" in out
    assert f"minutes/{MEETING}.md:{due}:14: Aufgabe fällig am 2014-01-02" in out


def test_bad_top_number_and_duplicate_meeting_are_usage_errors(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo({f"minutes/{MEETING}.md": MINUTES})
    before = tree_state(root)
    top = cli("-C", root, "meeting", "note", MEETING, "--top", "7", "Text", ok=False)
    assert top.exit_code == 2 and "TOP 1 bis 2" in top.stderr
    again = cli(
        "-C",
        root,
        "meeting",
        "new",
        "--agreement",
        "koop",
        "--date",
        "2014-02-05",
        "--title",
        "Evaluation",
        ok=False,
    )
    assert again.exit_code == 2 and "gibt es schon" in again.stderr
    unknown = cli(
        "-C", root, "meeting", "new", "--agreement", "koopp", "--date", "2014-03-01", ok=False
    )
    assert unknown.exit_code == 6
    missing = cli("-C", root, "meeting", "show", "2014-01-01-nichts", ok=False)
    assert missing.exit_code == 6
    done = cli("-C", root, "action", "done", f"{MEETING}#9", ok=False)
    assert done.exit_code == 6 and f"{MEETING}#1" in done.stderr
    time = cli(
        "-C",
        root,
        "meeting",
        "new",
        "--agreement",
        "koop",
        "--date",
        "2014-03-01",
        "--time",
        "25:00",
        ok=False,
    )
    assert time.exit_code == 2
    assert tree_state(root) == before


def test_action_cannot_be_closed_twice(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({f"minutes/{MEETING}.md": MINUTES})
    cli(
        "-C",
        root,
        "action",
        "done",
        f"{MEETING}#1",
        "--date",
        "2014-03-20",
        "--drop",
        "--note",
        "entfällt",
        today="2014-03-20",
    )
    record = (root / "actions" / f"{MEETING}-1.yaml").read_text()
    assert "status: dropped" in record and "note: entfällt" in record
    before = tree_state(root)
    again = cli("-C", root, "action", "done", f"{MEETING}#1", ok=False)
    assert again.exit_code == 2 and "schon abgeschlossen (verworfen am" in again.stderr
    english = cli("-C", root, "--lang", "en", "action", "done", f"{MEETING}#1", ok=False)
    assert "already closed (dropped on" in english.stderr
    assert tree_state(root) == before


def test_recording_keeps_comments_and_windows_line_endings(make_repo: MakeRepo, cli: Cli) -> None:
    import textwrap

    text = textwrap.dedent(MINUTES).replace("title: Evaluation\n", "title: Evaluation  # Titel\n")
    root = make_repo({f"minutes/{MEETING}.md": text.replace("\n", "\r\n").encode()})
    cli("-C", root, "meeting", "decide", MEETING, "--top", "2", "Beschlossen.")
    data = (root / "minutes" / f"{MEETING}.md").read_bytes()
    assert b"title: Evaluation  # Titel\r\n" in data
    assert b"    decisions:\r\n      - Beschlossen.\r\n    actions:\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")
