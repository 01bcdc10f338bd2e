from datetime import date, datetime
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
import vobject

from conftest import Cli, MakeRepo, git, tree_state
from coopkit.model.agreement import Obligation
from coopkit.schedule import occurrences

AGREEMENT = """\
    ---
    id: koop
    title: Kooperationsvereinbarung Integration
    parties: [kreis, jobcenter, caritas]
    valid_from: 2013-01-01
    valid_until: 2014-12-31
    status: active
    obligations:
      - id: monatsbericht
        clause: 2
        by: caritas
        to: kreis
        what: Monatsbericht senden
        every: P1M
        first_due: 2013-01-31
      - id: schaltjahr
        clause: 2
        by: [kreis, jobcenter]
        what: Kontaktliste bestätigen
        every: P1Y
        first_due: 2012-02-29
      - id: gemischt
        clause: 2
        by: jobcenter
        what: Sprachkurse melden
        every: P1M15D
        first_due: 2013-02-10
      - id: einmal
        clause: 2
        by: kreis
        what: Auftaktveranstaltung ausrichten
        first_due: 2013-03-15
      - id: daten
        clause: 2
        by: kreis
        to: caritas
        what: Daten übermitteln
        condition: nur mit Einwilligung
    ---

    ## § 1 Ziele

    (1) Zusammenarbeit.

    ## § 2 Leistungen

    (1) Berichte.
    """

MINUTES = """\
    ---
    id: 2014-02-05-treffen
    title: Evaluationsgespräch
    agreements: [koop]
    date: 2014-02-05
    start: "14:00"
    end: "16:30"
    place: Kreisverwaltung, Sitzungssaal
    status: draft
    tops:
      - title: Begrüßung
      - title: Berichte der Partner
        actions:
          - id: 1
            who: caritas/klein
            what: Faltblätter liefern
            due: 2014-03-31
    ---
    """


def export(cli: Cli, root: Path, target: Path, *args: str) -> icalendar.Calendar:
    cli("-C", root, "calendar", "-o", target, *args)
    return icalendar.Calendar.from_ical(target.read_bytes())


def test_calendar_parses_back_with_meetings_actions_and_obligations(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo(
        {"agreements/koop/agreement.md": AGREEMENT, "minutes/2014-02-05-treffen.md": MINUTES}
    )
    cal = export(cli, root, tmp_path / "k.ics")
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert sorted(events) == [
        "2014-02-05-treffen#1@coopkit",
        "2014-02-05-treffen@coopkit",
        "koop/einmal/kreis@coopkit",
        "koop/gemischt/jobcenter@coopkit",
        "koop/monatsbericht/caritas@coopkit",
        "koop/schaltjahr/jobcenter@coopkit",
        "koop/schaltjahr/kreis@coopkit",
    ]
    meeting = events["2014-02-05-treffen@coopkit"]
    start = meeting.decoded("DTSTART")
    assert start.isoformat() == "2014-02-05T14:00:00+01:00"
    assert str(start.tzinfo) == "Europe/Berlin"
    assert meeting.decoded("DTEND").hour == 16
    assert str(meeting["LOCATION"]) == "Kreisverwaltung, Sitzungssaal"
    assert "TOP 2: Berichte der Partner" in str(meeting["DESCRIPTION"])
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "Europe/Berlin"
    action = events["2014-02-05-treffen#1@coopkit"]
    assert action.decoded("DTSTART") == date(2014, 3, 31)
    assert "TOP 2, Sitzung vom 5. Februar 2014" in str(action["DESCRIPTION"])
    monthly = events["koop/monatsbericht/caritas@coopkit"]
    assert monthly.decoded("DTSTART") == date(2013, 1, 31)
    rule = monthly["RRULE"]
    assert rule["FREQ"] == ["MONTHLY"] and rule["BYMONTHDAY"] == [-1]
    assert rule["UNTIL"] == [date(2014, 12, 31)]
    for event in events.values():
        assert event.decoded("DTSTAMP") == datetime(
            2014, 2, 7, tzinfo=event.decoded("DTSTAMP").tzinfo
        )


def test_calendar_validates_with_vobject(make_repo: MakeRepo, cli: Cli, tmp_path: Path) -> None:
    root = make_repo(
        {"agreements/koop/agreement.md": AGREEMENT, "minutes/2014-02-05-treffen.md": MINUTES}
    )
    target = tmp_path / "k.ics"
    cli("-C", root, "calendar", "-o", target)
    text = target.read_bytes().decode("utf-8")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert text.endswith("\r\n")
    parsed = vobject.readOne(text)
    assert parsed.validate(raiseException=True)
    vevents = [c for c in parsed.components() if c.name == "VEVENT"]
    assert len(vevents) == 7
    for event in vevents:
        assert event.validate(raiseException=True)
        assert event.uid.value and event.dtstamp.value
    # vobject expands the recurrence on its own (dateutil underneath, but its own RRULE reading)
    monthly = next(e for e in vevents if e.uid.value == "koop/monatsbericht/caritas@coopkit")
    dates = [d.date() if isinstance(d, datetime) else d for d in monthly.getrruleset()]
    assert dates[:3] == [date(2013, 1, 31), date(2013, 2, 28), date(2013, 3, 31)]
    assert dates[-1] == date(2014, 12, 31) and len(dates) == 24


def test_calendar_recurrences_expand_to_the_schedule(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo({"agreements/koop/agreement.md": AGREEMENT})
    cal = export(cli, root, tmp_path / "k.ics")
    expanded: dict[str, list[date]] = {}
    for event in recurring_ical_events.of(cal).between(date(2010, 1, 1), date(2020, 1, 1)):
        start = event.decoded("DTSTART")
        expanded.setdefault(str(event["UID"]), []).append(start)
    obligations = {
        "monatsbericht": {"every": "P1M", "first_due": "2013-01-31"},
        "schaltjahr": {"every": "P1Y", "first_due": "2012-02-29"},
        "gemischt": {"every": "P1M15D", "first_due": "2013-02-10"},
        "einmal": {"first_due": "2013-03-15"},
    }
    owner = {
        "monatsbericht": "caritas",
        "schaltjahr": "kreis",
        "gemischt": "jobcenter",
        "einmal": "kreis",
    }
    for ob_id, fields in obligations.items():
        ob = Obligation.model_validate({"id": ob_id, "by": ["x"], "what": "w", **fields})
        expected = occurrences(ob, date(2013, 1, 1), date(2014, 12, 31), date(2017, 2, 7))
        assert sorted(expanded[f"koop/{ob_id}/{owner[ob_id]}@coopkit"]) == expected, ob_id
    # 29 Feb 2012 lies before validity; 2013 and 2014 fall on 28 February
    assert expanded["koop/schaltjahr/kreis@coopkit"] == [date(2013, 2, 28), date(2014, 2, 28)]


def test_open_ended_calendar_runs_to_the_horizon(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo()
    cal = export(cli, root, tmp_path / "k.ics")
    event = cal.walk("VEVENT")[0]
    assert event["RRULE"]["UNTIL"] == [date(2017, 2, 7)]
    starts = [
        e.decoded("DTSTART")
        for e in recurring_ical_events.of(cal).between(date(2013, 1, 1), date(2030, 1, 1))
    ]
    assert starts[0] == date(2013, 3, 31) and starts[-1] == date(2016, 12, 31)


def test_calendar_is_reproducible_and_uids_stay_stable(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo(
        {"agreements/koop/agreement.md": AGREEMENT, "minutes/2014-02-05-treffen.md": MINUTES}
    )
    cli("-C", root, "calendar", "-o", tmp_path / "a.ics")
    cli("-C", root, "calendar", "-o", tmp_path / "b.ics")
    assert (tmp_path / "a.ics").read_bytes() == (tmp_path / "b.ics").read_bytes()
    (root / "actions").mkdir()
    (root / "actions/2014-02-05-treffen-1.yaml").write_text(
        "action: 2014-02-05-treffen#1\ndate: 2014-03-02\n"
    )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "close action")
    before = {
        str(e["UID"])
        for e in icalendar.Calendar.from_ical((tmp_path / "a.ics").read_bytes()).walk("VEVENT")
    }
    later = export(cli, root, tmp_path / "c.ics")
    after = {str(e["UID"]): e for e in later.walk("VEVENT")}
    assert set(after) == before
    assert str(after["2014-02-05-treffen#1@coopkit"]["SUMMARY"]).startswith("(erledigt)")


def test_calendar_for_one_partner(make_repo: MakeRepo, cli: Cli, tmp_path: Path) -> None:
    root = make_repo(
        {"agreements/koop/agreement.md": AGREEMENT, "minutes/2014-02-05-treffen.md": MINUTES}
    )
    cal = export(cli, root, tmp_path / "k.ics", "--partner", "jobcenter")
    assert sorted(str(e["UID"]) for e in cal.walk("VEVENT")) == [
        "2014-02-05-treffen@coopkit",
        "koop/gemischt/jobcenter@coopkit",
        "koop/schaltjahr/jobcenter@coopkit",
    ]
    assert "Jobcenter" in str(cal["X-WR-CALNAME"])


def test_calendar_refuses_record_folder_and_writes_nothing(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    before = tree_state(root)
    result = cli("-C", root, "calendar", "-o", root / "agreements/k.ics", ok=False)
    assert result.exit_code == 2
    assert tree_state(root) == before


@pytest.mark.parametrize("partner", [None, "caritas-ko"])
def test_worked_example_calendar_is_valid(
    example_repo: Path, cli: Cli, tmp_path: Path, partner: str | None
) -> None:
    target = tmp_path / "beispiel.ics"
    args = ["--partner", partner] if partner else []
    cli("-C", example_repo, "calendar", "-o", target, *args)
    assert vobject.readOne(target.read_bytes().decode("utf-8")).validate(raiseException=True)
    cal = icalendar.Calendar.from_ical(target.read_bytes())
    uids = [str(e["UID"]) for e in cal.walk("VEVENT")]
    assert len(uids) == len(set(uids))
    assert "2014-05-14-arbeitstreffen@coopkit" in uids
