"""Meetings say what happened: cancelled, moved, prepared agendas, minutes changed after sending."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from conftest import Cli, MakeRepo, git, tree_state
from docx_helpers import assert_valid_docx, document_text

PLANNED = "2014-03-12-fruehjahrstreffen"
LATER = "2014-05-14-arbeitstreffen"
FIRST = "2014-02-05-evaluation"
REASON = "Erkrankung der Sitzungsleitung"


def _planned_and_later(make_repo: MakeRepo, cli: Cli) -> Path:
    """Two planned meetings; the later one's agenda was prepared while the first was planned."""
    root = make_repo()
    cli("-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-03-12",
        "--time", "14:00", "--place", "Kreisverwaltung, Raum 210", "--title", "Frühjahrstreffen",
        "--chair", "kreis/bernert")  # fmt: skip
    cli("-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-05-14")
    later = (root / "minutes" / f"{LATER}.md").read_text()
    assert "Genehmigung der Niederschrift vom 12.03.2014" in later
    return root


def _cancelled(make_repo: MakeRepo, cli: Cli) -> Path:
    root = _planned_and_later(make_repo, cli)
    cli("-C", root, "meeting", "cancel", PLANNED, "--reason", REASON)
    return root


def _events(ics: str) -> dict[str, str]:
    """Return each VEVENT's text by its UID (lines unfolded)."""
    text = ics.replace("\r\n ", "").replace("\r\n", "\n")
    events = {}
    for block in re.findall(r"BEGIN:VEVENT\n(.*?)END:VEVENT", text, re.DOTALL):
        uid = re.search(r"^UID:(.*)$", block, re.MULTILINE)
        assert uid is not None
        events[uid.group(1)] = block
    return events


def _calendar(cli: Cli, root: Path) -> dict[str, str]:
    target = root.parent / f"{root.name}.ics"
    cli("-C", root, "calendar", "-o", target)
    return _events(target.read_text("utf-8"))


# --------------------------------------------------------------------------- cancelled


def test_cancelled_meeting_leaves_an_agenda_prepared_before_it_was_cancelled(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = _cancelled(make_repo, cli)
    invitation = cli("-C", root, "meeting", "render", LATER, "--invitation", "--format", "md")
    assert "12.03.2014" not in invitation.stdout
    assert "TOP 1: Begrüßung\n" in invitation.stdout
    shown = cli("-C", root, "meeting", "show", LATER).stdout
    assert "TOP 1: Begrüßung\n" in shown and "Genehmigung" not in shown


def test_cancelled_meeting_minutes_say_cancelled_not_approved(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = _cancelled(make_repo, cli)
    minutes = cli("-C", root, "meeting", "render", PLANNED, "--format", "md").stdout
    assert "genehmigt" not in minutes
    assert f"*Stand: abgesagt: {REASON}*" in minutes
    english = cli("-C", root, "--lang", "en", "meeting", "render", PLANNED, "--format", "md")
    assert "approved" not in english.stdout and f"cancelled: {REASON}" in english.stdout


def test_invitation_of_cancelled_meeting_is_a_cancellation_letter(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = _cancelled(make_repo, cli)
    letter = cli("-C", root, "meeting", "render", PLANNED, "--invitation", "--format", "md").stdout
    assert "# Absage: Frühjahrstreffen" in letter
    assert "die folgende Sitzung muss leider abgesagt werden" in letter
    assert "| Datum | 12. März 2014 |" in letter
    assert "| Uhrzeit | 14:00 Uhr |" in letter
    assert "| Ort | Kreisverwaltung, Raum 210 |" in letter
    assert f"| Grund | {REASON} |" in letter
    assert "Tagesordnung" not in letter and "laden wir" not in letter
    assert "Bitte teilen Sie uns" not in letter
    english = cli("-C", root, "--lang", "en", "meeting", "render", PLANNED, "--invitation",
                  "--format", "md").stdout  # fmt: skip
    assert "# Cancellation: Frühjahrstreffen" in english
    assert "has been cancelled and will not take place" in english
    assert "| Date | 12 March 2014 |" in english and f"| Reason | {REASON} |" in english


def test_cancellation_letter_as_word_document(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _cancelled(make_repo, cli)
    target = tmp_path / "absage.docx"
    cli("-C", root, "meeting", "render", PLANNED, "--invitation", "-o", target)
    data = target.read_bytes()
    assert_valid_docx(data, tmp_path)
    text = document_text(data)
    assert "Absage: Frühjahrstreffen" in text and f"Grund: {REASON}" in text
    assert "Kreisverwaltung, Raum 210" in text and "Tagesordnung" not in text
    with zipfile.ZipFile(target) as archive:
        assert "Absage: Frühjahrstreffen" in archive.read("docProps/core.xml").decode("utf-8")
    # Without -o the file is named for what it is.
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    cli("-C", root, "meeting", "render", PLANNED, "--invitation")
    assert [p.name for p in here.iterdir()] == [f"{PLANNED}-absage.docx"]


def test_cancelled_meeting_is_in_no_pack_and_not_in_render_all(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = _cancelled(make_repo, cli)
    before = tree_state(root)
    refused = cli("-C", root, "meeting", "pack", PLANNED, "-o", tmp_path / "pack", ok=False)
    assert refused.exit_code == 2
    assert f"die Sitzung {PLANNED} ist abgesagt" in refused.stderr
    assert not (tmp_path / "pack").exists()
    cli("-C", root, "render", "--all", "-o", tmp_path / "all")
    names = sorted(p.name for p in (tmp_path / "all").iterdir())
    assert f"Niederschrift_{LATER}.docx" in names
    assert f"Niederschrift_{PLANNED}.docx" not in names
    assert tree_state(root) == before


def test_cancelled_meeting_is_a_cancelled_calendar_entry_with_higher_sequence(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = _planned_and_later(make_repo, cli)
    planned = _calendar(cli, root)[f"{PLANNED}@coopkit"]
    assert "STATUS:CONFIRMED" in planned and "SEQUENCE" not in planned
    cli("-C", root, "meeting", "cancel", PLANNED, "--reason", REASON)
    cancelled = _calendar(cli, root)[f"{PLANNED}@coopkit"]
    assert "STATUS:CANCELLED" in cancelled and "SEQUENCE:1\n" in cancelled
    assert "SUMMARY:Abgesagt: Frühjahrstreffen" in cancelled


def test_approval_in_a_cancelled_meeting_is_refused(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    cli("-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-02-05",
        "--title", "Evaluation")  # fmt: skip
    cli("-C", root, "meeting", "send", FIRST, "--date", "2014-02-06")
    cli("-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-05-14")
    cli("-C", root, "meeting", "cancel", LATER)
    before = tree_state(root)
    result = cli("-C", root, "meeting", "approve", FIRST, "--in", LATER, ok=False)
    assert result.exit_code == 2 and f"die Sitzung {LATER} ist abgesagt" in result.stderr
    cancelled = cli("-C", root, "meeting", "approve", LATER, "--in", FIRST, ok=False)
    assert cancelled.exit_code == 2 and "ist abgesagt" in cancelled.stderr
    assert tree_state(root) == before


# --------------------------------------------------------------------------- moved


@pytest.mark.parametrize(
    ("typed", "stored"), [("9:30", "09:30"), ("9.30", "09:30"), ("10 Uhr", "10:00")]
)
def test_move_takes_every_time_form_meeting_new_takes(
    make_repo: MakeRepo, cli: Cli, typed: str, stored: str
) -> None:
    root = _planned_and_later(make_repo, cli)
    cli("-C", root, "meeting", "move", PLANNED, "--date", "2014-03-19", "--time", typed,
        "--end", typed)  # fmt: skip
    text = (root / "minutes" / "2014-03-19-fruehjahrstreffen.md").read_text()
    assert f'start: "{stored}"\nend: "{stored}"' in text
    bad = cli("-C", root, "meeting", "move", LATER, "--date", "2014-05-15", "--time", "25 Uhr",
              ok=False)  # fmt: skip
    assert bad.exit_code == 2 and "--time: „25 Uhr“ ist keine Uhrzeit" in bad.stderr


def test_moved_meeting_keeps_its_calendar_uid_and_raises_sequence(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = _planned_and_later(make_repo, cli)
    cli("-C", root, "meeting", "move", PLANNED, "--date", "2014-03-19")
    moved = "2014-03-19-fruehjahrstreffen"
    assert f"uid: {PLANNED}\n" in (root / "minutes" / f"{moved}.md").read_text()
    events = _calendar(cli, root)
    assert f"{moved}@coopkit" not in events
    first = events[f"{PLANNED}@coopkit"]
    assert "DTSTART;TZID=Europe/Berlin:20140319T140000" in first and "SEQUENCE:1\n" in first
    cli("-C", root, "meeting", "move", moved, "--date", "2014-03-20", "--time", "9.30")
    cli("-C", root, "meeting", "note", "2014-03-20-fruehjahrstreffen", "--top", "1", "Raum?")
    events = _calendar(cli, root)
    again = events[f"{PLANNED}@coopkit"]
    assert "DTSTART;TZID=Europe/Berlin:20140320T093000" in again
    assert "SEQUENCE:2\n" in again  # the note moved nothing
    assert len([u for u in events if "fruehjahrstreffen" in u]) == 1
    assert "SEQUENCE" not in events[f"{LATER}@coopkit"]


def test_new_meeting_may_not_take_the_first_id_of_a_moved_one(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = _planned_and_later(make_repo, cli)
    cli("-C", root, "meeting", "move", PLANNED, "--date", "2014-03-19")
    before = tree_state(root)
    result = cli("-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-03-12",
                 "--title", "Frühjahrstreffen", ok=False)  # fmt: skip
    assert result.exit_code == 2 and "wurde verlegt (jetzt 2014-03-19" in result.stderr
    assert tree_state(root) == before


# --------------------------------------------------------------------------- prepared agenda


def _held_with_action(make_repo: MakeRepo, cli: Cli) -> Path:
    root = make_repo()
    cli("-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-02-05",
        "--title", "Evaluation")  # fmt: skip
    cli("-C", root, "meeting", "action", FIRST, "--top", "1", "--who", "jobcenter/meyer",
        "--due", "2014-03-31", "Fördermöglichkeiten beschreiben")  # fmt: skip
    cli("-C", root, "meeting", "send", FIRST, "--date", "2014-02-06")
    cli("-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-05-14")
    return root


def test_prepared_agenda_drops_an_action_closed_after_the_invitation(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = _held_with_action(make_repo, cli)
    draft = cli("-C", root, "meeting", "render", LATER, "--format", "md").stdout
    assert "Jan Meyer (Jobcenter Beispielkreis) – Fördermöglichkeiten beschreiben" in draft
    cli("-C", root, "action", "done", f"{FIRST}#1", "--date", "2014-03-01", today="2014-03-01")
    draft = cli("-C", root, "meeting", "render", LATER, "--format", "md").stdout
    assert "Fördermöglichkeiten" not in draft
    assert "## TOP 2: Offene Aufgaben\n\nKeine offenen Aufgaben." in draft
    assert "Fördermöglichkeiten" not in cli("-C", root, "meeting", "show", LATER).stdout


def test_sending_writes_the_prepared_agenda_into_the_minutes(make_repo: MakeRepo, cli: Cli) -> None:
    root = _held_with_action(make_repo, cli)
    cli("-C", root, "meeting", "note", LATER, "--top", "2", "Alle berichten kurz.")
    cli("-C", root, "action", "done", f"{FIRST}#1", "--date", "2014-03-01", today="2014-03-01")
    cli("-C", root, "meeting", "send", LATER, "--date", "2014-05-20", today="2014-05-20")
    text = (root / "minutes" / f"{LATER}.md").read_text()
    assert "prefilled:" not in text
    assert "  - title: Offene Aufgaben\n    notes: |\n      Keine offenen Aufgaben.\n\n" in text
    assert "      Alle berichten kurz.\n" in text
    # Sent minutes keep what they say, whatever happens to the action afterwards.
    cli("-C", root, "action", "reopen", f"{FIRST}#1", today="2014-05-21")
    sent = cli("-C", root, "meeting", "render", LATER, "--format", "md", today="2014-05-21")
    assert "Keine offenen Aufgaben." in sent.stdout and "Fördermöglichkeiten" not in sent.stdout


def test_approval_decision_lands_in_the_prepared_welcome_top(make_repo: MakeRepo, cli: Cli) -> None:
    root = _held_with_action(make_repo, cli)
    cli("-C", root, "meeting", "approve", FIRST, "--in", LATER)
    shown = cli("-C", root, "meeting", "show", LATER).stdout
    assert "TOP 1: Begrüßung und Genehmigung der Niederschrift vom 05.02.2014" in shown
    assert "Beschluss: Die Niederschrift der Sitzung vom 5. Februar 2014 wird genehmigt." in shown
    assert len(re.findall(r"^TOP \d+: ", shown, re.MULTILINE)) == 5


# --------------------------------------------------------------------------- after sending


@pytest.mark.parametrize(
    "args",
    [
        ("meeting", "note", FIRST, "--top", "1", "Nachtrag."),
        ("meeting", "decide", FIRST, "--top", "1", "Nachtrag."),
        ("meeting", "attend", FIRST, "caritas/klein"),
        ("meeting", "top", FIRST, "Nachtrag"),
        ("meeting", "times", FIRST, "--start", "9.30"),
        ("meeting", "note", "set", FIRST, "--top", "1", "Neu."),
        ("meeting", "move", FIRST, "--date", "2014-02-04"),
        ("action", "set", f"{FIRST}#1", "--due", "2014-04-30"),
    ],
)
def test_changing_sent_minutes_needs_after_sending_and_the_commit_says_so(
    make_repo: MakeRepo, cli: Cli, args: tuple[str, ...]
) -> None:
    root = _held_with_action(make_repo, cli)
    before = tree_state(root)
    refused = cli("-C", root, *args, ok=False)
    assert refused.exit_code == 2
    assert f"die Niederschrift {FIRST} ist schon versandt (am 2014-02-06)" in refused.stderr
    assert "--after-sending" in refused.stderr
    assert tree_state(root) == before
    cli("-C", root, *args, "--after-sending")
    subject = git(root, "log", "-1", "--format=%s").strip()
    assert subject.endswith("(nach Versand der Niederschrift)")


def test_after_sending_refusal_in_english(make_repo: MakeRepo, cli: Cli) -> None:
    root = _held_with_action(make_repo, cli)
    refused = cli("-C", root, "--lang", "en", "meeting", "note", FIRST, "--top", "1", "Late.",
                  ok=False)  # fmt: skip
    assert refused.exit_code == 2
    assert f"the minutes {FIRST} were already sent (on 2014-02-06)" in refused.stderr
    assert "confirm a change after sending with --after-sending" in refused.stderr
