"""German dates and times wherever one is typed on the command line; ISO is what gets written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conftest import Cli, MakeRepo, tree_state
from coopkit.cli.state import parse_day, parse_time
from coopkit.errors import UsageError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31.12.2026", date(2026, 12, 31)),
        ("31.12.26", date(2026, 12, 31)),
        ("1.2.2026", date(2026, 2, 1)),
        ("01.02.2026", date(2026, 2, 1)),
        ("7.2.14", date(2014, 2, 7)),
        ("1.1.99", date(1999, 1, 1)),
        ("2026-12-31", date(2026, 12, 31)),
        (" 2014-02-07 ", date(2014, 2, 7)),
        ("29.02.2024", date(2024, 2, 29)),
    ],
)
def test_dates_in_german_and_iso_form(text: str, expected: date) -> None:
    assert parse_day(text, "--date") == expected


@pytest.mark.parametrize(
    "text", ["31.02.2026", "2026/12/31", "12/31/2026", "morgen", "31.12.", "1.1.1800", "1.1.2300"]
)
def test_bad_dates_are_usage_errors_naming_the_forms(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_day(text, "--date")
    message = caught.value.message.format("de")
    assert message.startswith(f"--date: „{text}“")
    if "1800" in text or "2300" in text:
        assert "1900 bis 2200" in message
    else:
        assert "TT.MM.JJJJ" in message and "JJJJ-MM-TT" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:00", "14:00"),
        ("14.00", "14:00"),
        ("14 Uhr", "14:00"),
        ("14:00 Uhr", "14:00"),
        ("14.30 uhr", "14:30"),
        ("9:30", "09:30"),
        ("9", "09:00"),
        ("0:05", "00:05"),
    ],
)
def test_times_in_german_forms(text: str, expected: str) -> None:
    assert parse_time(text, "--time") == expected


@pytest.mark.parametrize("text", ["24:00", "14:60", "14:5", "halb drei", "14-00", ""])
def test_bad_times_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_time(text, "--time")
    assert "14 Uhr" in caught.value.message.format("de")


def test_meeting_new_takes_german_date_and_time_and_writes_iso(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo()
    cli(
        "-C",
        root,
        "meeting",
        "new",
        "--agreement",
        "koop",
        "--date",
        "14.5.14",
        "--time",
        "14 Uhr",
        "--end",
        "16.30",
        "--title",
        "Arbeitstreffen",
    )
    path = root / "minutes/2014-05-14-arbeitstreffen.md"
    text = path.read_text("utf-8")
    assert "date: 2014-05-14" in text
    assert "14:00" in text and "16:30" in text
    cli("-C", root, "meeting", "times", "2014-05-14-arbeitstreffen", "--start", "14.15 Uhr")
    assert "14:15" in path.read_text("utf-8")


def test_today_accepts_a_german_date(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    cli("-C", root, "due", today="7.2.2014")


def test_bad_time_is_exit_2_and_nothing_written(make_repo: MakeRepo, cli: Cli) -> None:
    from conftest import tree_state

    root = make_repo()
    before = tree_state(root)
    result = cli(
        "-C",
        root,
        "meeting",
        "new",
        "--agreement",
        "koop",
        "--date",
        "14.05.2014",
        "--time",
        "25 Uhr",
        ok=False,
    )
    assert result.exit_code == 2
    assert "--time: „25 Uhr“ ist keine Uhrzeit" in result.stderr
    assert tree_state(root) == before


def test_agreement_set_takes_a_german_date_and_writes_iso(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    cli("-C", root, "agreement", "set", "koop", "valid_until", "31.12.26")
    assert "valid_until: 2026-12-31" in (root / "agreements/koop/agreement.md").read_text()
    result = cli("-C", root, "agreement", "set", "koop", "valid_until", "32.12.26", ok=False)
    assert result.exit_code == 1 and "agreements/koop/agreement.md:" in result.stderr


M = "2014-01-15-treffen"
MEETING_FILE = f"""\
    ---
    id: {M}
    title: Arbeitstreffen
    agreements: [koop]
    date: 2014-01-15
    status: draft
    tops:
      - title: Begrüßung
        actions:
          - id: 1
            who: caritas/klein
            what: Liste senden
            due: 2014-03-31
    ---
    """

RECORDED = [
    ("agreement", "release", "koop", "--date"),
    ("agreement", "set", "koop", "title", "Neu", "--date"),
    ("agreement", "clause", "add", "koop", "--title", "Titel", "Text", "--date"),
    ("obligation", "remove", "koop", "x", "--date"),
    ("obligation", "done", "koop/x", "--date"),
    ("meeting", "send", M, "--date"),
    ("meeting", "approve", M, "--in", M, "--date"),
    ("action", "done", f"{M}#1", "--date"),
    ("partner", "contact", "add", "kreis", "--name", "Neu", "--date"),
    ("template", "export", "agreement.docx", "--date"),
    ("meeting", "cancel", M, "--date"),
]
PLANNED = [
    ("meeting", "new", "--agreement", "koop", "--date"),
    ("meeting", "move", M, "--date"),
    ("meeting", "action", M, "--top", "1", "--who", "kreis", "x", "--due"),
    ("action", "set", f"{M}#1", "--due"),
    ("obligation", "done", "koop/x", "--due"),
    ("checklist", "-o", "liste.md", "--until"),
    ("agreement", "set", "koop", "valid_until"),
    ("obligation", "add", "koop", "neu", "--by", "kreis", "--what", "x", "--first-due"),
    ("meeting", "render", M, "--invitation", "--reply-by"),
    ("partner", "key", "revoke", "kreis", "SHA256:abc", "--date"),
]


@pytest.fixture
def dated_repo(make_repo: MakeRepo) -> Path:
    return make_repo({f"minutes/{M}.md": MEETING_FILE})


@pytest.mark.parametrize("args", RECORDED, ids=" ".join)
def test_a_day_something_was_done_cannot_lie_after_today(
    dated_repo: Path, cli: Cli, args: tuple[str, ...]
) -> None:
    before = tree_state(dated_repo)
    result = cli("-C", dated_repo, *args, "2014-02-08", ok=False)
    assert result.exit_code == 2, result.stderr
    option = args[-1]
    assert f"{option}: 2014-02-08 liegt nach heute (2014-02-07)" in result.stderr
    assert tree_state(dated_repo) == before


@pytest.mark.parametrize("args", PLANNED, ids=" ".join)
def test_a_day_ahead_is_bounded_by_the_planning_horizon(
    dated_repo: Path, cli: Cli, args: tuple[str, ...]
) -> None:
    before = tree_state(dated_repo)
    result = cli("-C", dated_repo, *args, "1.1.2065", ok=False)
    assert result.exit_code == 2, result.stderr
    option = args[-1]
    assert f"{option}: 2065-01-01 liegt außerhalb von 1900-01-01 bis 2064-12-31" in result.stderr
    assert tree_state(dated_repo) == before


@pytest.mark.parametrize(
    "args",
    [("report", "koop", "--year"), ("render", "--all", "--year")],
    ids=" ".join,
)
@pytest.mark.parametrize("year", ["1899", "2201", "99999999"])
def test_a_year_option_is_within_the_years_coop_reads(
    dated_repo: Path, cli: Cli, args: tuple[str, ...], year: str
) -> None:
    result = cli("-C", dated_repo, *args, year, ok=False)
    assert result.exit_code == 2
    assert f"--year: {year} liegt außerhalb der Jahre 1900 bis 2200" in result.stderr


def test_bounded_dates_accept_the_edges(dated_repo: Path, cli: Cli) -> None:
    cli("-C", dated_repo, "meeting", "new", "--agreement", "koop", "--date", "31.12.2064")
    cli("-C", dated_repo, "meeting", "send", M, "--date", "7.2.2014")
    cli("-C", dated_repo, "checklist", "--until", "2064-12-31", "-o", dated_repo.parent / "c.md")
