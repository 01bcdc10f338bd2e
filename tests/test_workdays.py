"""Due dates on working days: Länder holidays, municipal holidays, `on_holiday` in every view."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events

from conftest import AUTHOR, Cli, MakeRepo
from coopkit.model.agreement import Agreement, Obligation
from coopkit.model.compare import compare_obligations
from coopkit.queries.context import Context
from coopkit.schedule.workdays import Workdays
from coopkit.services.followup import record_fulfilment
from coopkit.signing.hashing import content_hash, legacy_content_hash
from test_start_path import imported

NEXT = "next-working-day"
PREVIOUS = "previous-working-day"


def moved_to(
    land: str | None, day: date, rule: str = NEXT, municipal: tuple[str, ...] = ()
) -> date:
    shift = Workdays(land, municipal).shift(day, rule)  # type: ignore[arg-type]
    return shift.due if shift is not None else day


# ----------------------------------------------------------------------------- the calendar


def test_new_year_on_a_friday_moves_back_across_the_year_boundary() -> None:
    for land in ("RP", "BY"):
        assert moved_to(land, date(2027, 1, 1), PREVIOUS) == date(2026, 12, 31)
        assert moved_to(land, date(2027, 1, 1), NEXT) == date(2027, 1, 4)
    shift = Workdays("RP").shift(date(2027, 1, 1), PREVIOUS)
    assert shift is not None
    assert shift.words("de") == "Fr 1.1.2027, Neujahr → Do 31.12.2026"
    assert shift.words("en") == "Fri 1 Jan 2027, New Year's Day → Thu 31 Dec 2026"


def test_epiphany_is_a_holiday_in_bavaria_but_not_in_rhineland_palatinate() -> None:
    assert moved_to("BY", date(2027, 1, 6)) == date(2027, 1, 7)
    assert moved_to("RP", date(2027, 1, 6)) == date(2027, 1, 6)


def test_reformation_day_is_a_holiday_in_saxony_but_not_in_rhineland_palatinate() -> None:
    # 31 October 2025 is a Friday.
    assert moved_to("SN", date(2025, 10, 31)) == date(2025, 11, 3)
    assert moved_to("RP", date(2025, 10, 31)) == date(2025, 10, 31)


def test_a_holiday_on_a_saturday_is_named_by_the_holiday() -> None:
    shift = Workdays("RP").shift(date(2026, 10, 3), NEXT)
    assert shift is not None
    assert shift.words("de") == "Sa 3.10.2026, Tag der Deutschen Einheit → Mo 5.10.2026"
    assert shift.words("en") == "Sat 3 Oct 2026, German Unity Day → Mon 5 Oct 2026"
    plain = Workdays("RP").shift(date(2026, 10, 10), PREVIOUS)
    assert plain is not None
    assert plain.words("de") == "Sa 10.10.2026, Samstag → Fr 9.10.2026"
    assert plain.words("en") == "Sat 10 Oct 2026, Saturday → Fri 9 Oct 2026"


def test_keep_and_working_days_do_not_move() -> None:
    assert Workdays("RP").shift(date(2026, 10, 3), "keep") is None
    assert Workdays("RP").shift(date(2026, 10, 5), NEXT) is None
    assert Workdays("RP").shift(date(2026, 10, 5), PREVIOUS) is None


def test_a_run_of_non_working_days_over_easter_is_passed_whole() -> None:
    # Karfreitag 3 April 2026, the weekend, Ostermontag 6 April.
    shift = Workdays("RP").shift(date(2026, 4, 3), NEXT)
    assert shift is not None and shift.due == date(2026, 4, 7)
    assert [d.day.day for d in shift.days] == [3, 4, 5, 6]
    assert shift.words("de") == "Fr 3.4.2026, Karfreitag; Mo 6.4.2026, Ostermontag → Di 7.4.2026"
    assert shift.words("en") == (
        "Fri 3 Apr 2026, Good Friday; Mon 6 Apr 2026, Easter Monday → Tue 7 Apr 2026"
    )
    assert moved_to("RP", date(2026, 4, 6), PREVIOUS) == date(2026, 4, 2)


def test_municipal_holidays_count_only_where_configured() -> None:
    assumption = date(2025, 8, 15)  # a Friday
    assert moved_to("BY", assumption) == assumption
    assert moved_to("BY", assumption, municipal=("Mariä Himmelfahrt",)) == date(2025, 8, 18)
    peace = date(2025, 8, 8)  # Augsburger Hohes Friedensfest, a Friday
    assert moved_to("BY", peace) == peace
    augsburg = ("Augsburger Hohes Friedensfest",)
    assert moved_to("BY", peace, municipal=augsburg) == date(2025, 8, 11)
    # Only the days named: the Friedensfest alone does not bring Mariä Himmelfahrt.
    assert moved_to("BY", assumption, municipal=augsburg) == assumption
    corpus = date(2026, 6, 4)  # Fronleichnam, a Thursday
    assert moved_to("SN", corpus) == corpus
    assert moved_to("SN", corpus, municipal=("Fronleichnam",)) == date(2026, 6, 5)
    assert moved_to("RP", corpus) == date(2026, 6, 5)  # in RP everywhere


# ----------------------------------------------------------------------------- the records


def obligation(**fields: object) -> Obligation:
    return Obligation.model_validate({"id": "o", "by": ["a"], "what": "w", **fields})


def test_on_holiday_is_keep_by_default_and_validated() -> None:
    assert obligation().on_holiday == "keep"
    assert obligation(on_holiday=NEXT).on_holiday == NEXT
    with pytest.raises(ValueError):
        obligation(on_holiday="monday")


def test_on_holiday_at_its_default_leaves_content_hashes_unchanged() -> None:
    base = {"id": "k", "title": "T", "parties": ["a", "b"]}
    ob = {"id": "o", "by": ["a"], "what": "w", "first_due": "2026-10-03"}
    plain = Agreement.model_validate({**base, "obligations": [ob]})
    keep = Agreement.model_validate({**base, "obligations": [{**ob, "on_holiday": "keep"}]})
    moving = Agreement.model_validate({**base, "obligations": [{**ob, "on_holiday": NEXT}]})
    assert content_hash(plain) == content_hash(keep) != content_hash(moving)
    assert legacy_content_hash(plain) == legacy_content_hash(keep) != legacy_content_hash(moving)


def test_a_changed_on_holiday_is_an_obligation_change() -> None:
    changes = compare_obligations([obligation()], [obligation(on_holiday=PREVIOUS)])
    assert [(c.field, c.old, c.new) for c in changes[0].changes] == [
        ("on_holiday", "keep", PREVIOUS)
    ]


def test_an_unknown_land_is_named_with_its_place_and_the_allowed_codes(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo({"coop.toml": 'name = "T"\nland = "XY"\n'})
    result = cli("-C", root, "check", ok=False)
    assert result.exit_code == 1
    assert (
        "coop.toml:2:1: land = „XY“ ist kein Land; erlaubt: "
        "BW BY BE BB HB HH HE MV NI NW RP SL SN ST SH TH"
    ) in result.stdout
    english = cli("-C", root, "--lang", "en", "check", ok=False)
    assert 'coop.toml:2:1: land = "XY" is not a German Land; allowed: BW BY' in english.stdout


def test_a_municipal_holiday_must_belong_to_the_land(make_repo: MakeRepo, cli: Cli) -> None:
    toml = 'name = "T"\nland = "RP"\n\n[holidays]\nmunicipal = ["Mariä Himmelfahrt"]\n'
    root = make_repo({"coop.toml": toml})
    result = cli("-C", root, "check", ok=False)
    assert (
        "coop.toml:5:1: „Mariä Himmelfahrt“ ist kein Feiertag einzelner Gemeinden in RP; möglich: —"
    ) in result.stdout
    by = make_repo({"coop.toml": toml.replace("RP", "BY").replace("Mariä", "Maria")})
    result = cli("-C", by, "check", ok=False)
    assert (
        "coop.toml:5:1: „Maria Himmelfahrt“ ist kein Feiertag einzelner Gemeinden in BY; "
        "möglich: „Augsburger Hohes Friedensfest“, „Mariä Himmelfahrt“"
    ) in result.stdout
    fine = make_repo({"coop.toml": toml.replace("RP", "BY")})
    cli("-C", fine, "check")


def test_a_bad_on_holiday_is_named_with_its_line(make_repo: MakeRepo, cli: Cli) -> None:
    text = agreement("").replace("on_holiday: next-working-day", "on_holiday: montags")
    root = make_repo({"agreements/frist/agreement.md": text})
    result = cli("-C", root, "check", ok=False)
    assert (
        "agreements/frist/agreement.md:13:17: „montags“ ist hier nicht erlaubt; erwartet: "
        "keep, next-working-day oder previous-working-day"
    ) in result.stdout


# ----------------------------------------------------------------------------- every view

TODAY = "2026-09-20"
COOP_TOML = 'name = "Test"\nlocale = "de"\nland = "RP"\n'


def agreement(extra: str = "") -> str:
    """Three yearly duties due on Saturday 3 October 2026: moved forward, moved back, kept."""
    return (
        "---\n"
        "id: frist\n"
        "title: Fristen\n"
        "parties: [kreis, caritas]\n"
        "valid_from: 2026-01-01\n"
        "obligations:\n"
        "  - id: bericht\n"
        "    by: caritas\n"
        "    to: kreis\n"
        "    what: Jahresbericht schicken\n"
        "    every: P1Y\n"
        "    first_due: 2026-10-03\n"
        "    on_holiday: next-working-day\n"
        f"{extra.replace('        ', '    ')}"
        "  - id: statistik\n"
        "    by: caritas\n"
        "    what: Statistik melden\n"
        "    every: P1Y\n"
        "    first_due: 2026-10-03\n"
        "    on_holiday: previous-working-day\n"
        "  - id: liste\n"
        "    by: kreis\n"
        "    what: Kontaktliste verschicken\n"
        "    every: P1Y\n"
        "    first_due: 2026-10-03\n"
        "---\n\n## § 1 Ziele\n\nZusammenarbeit.\n"
    )


def workday_repo(make_repo: MakeRepo, extra: dict[str, str] | None = None) -> Path:
    files = {"coop.toml": COOP_TOML, "agreements/frist/agreement.md": agreement("")}
    return make_repo({**files, **(extra or {})})


def due_items(cli: Cli, root: Path, *args: str) -> dict[str, dict[str, object]]:
    out = cli("-C", root, "--json", *args, "due", "--within", "30d", today=TODAY).stdout
    return {
        str(i["obligation"]): i
        for g in json.loads(out)["partners"]
        for i in g["items"]
        if i["agreement"] == "frist"
    }


def test_due_json_names_the_moved_date_the_nominal_date_and_why(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = workday_repo(make_repo)
    for _ in range(2):  # the second answer comes from the kept facts
        items = due_items(cli, root)
        assert items["bericht"]["due"] == "2026-10-05"
        assert items["bericht"]["nominal_due"] == "2026-10-03"
        assert items["bericht"]["moved"] == (
            "Sa 3.10.2026, Tag der Deutschen Einheit → Mo 5.10.2026"
        )
        assert items["statistik"]["due"] == "2026-10-02"
        assert items["statistik"]["moved"] == (
            "Sa 3.10.2026, Tag der Deutschen Einheit → Fr 2.10.2026"
        )
        # Without on_holiday (keep) the date stays, also on a holiday.
        assert items["liste"]["due"] == items["liste"]["nominal_due"] == "2026-10-03"
        assert items["liste"]["moved"] is None
    english = due_items(cli, root, "--lang", "en")
    assert english["bericht"]["moved"] == "Sat 3 Oct 2026, German Unity Day → Mon 5 Oct 2026"


def test_a_date_moved_back_past_the_window_is_due_inside_it(make_repo: MakeRepo, cli: Cli) -> None:
    root = workday_repo(make_repo)
    out = cli("-C", root, "--json", "due", "--within", "12d", today=TODAY).stdout
    listed = {
        i["obligation"]
        for g in json.loads(out)["partners"]
        for i in g["items"]
        if i["agreement"] == "frist"
    }
    # 20 Sep + 12 days = 2 Oct: only the duty moved back to Friday 2 October is due.
    assert listed == {"statistik"}


def test_checklist_calendar_and_due_show_the_same_moved_dates(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = workday_repo(make_repo)
    items = due_items(cli, root)
    target = tmp_path / "liste.md"
    cli("-C", root, "checklist", "--until", "2026-10-20", "-o", target, today=TODAY)
    text = target.read_text("utf-8")
    assert (
        "- [ ] 5. Oktober 2026 (verschoben: Sa 3.10.2026, Tag der Deutschen Einheit → "
        "Mo 5.10.2026): Jahresbericht schicken"
    ) in text
    assert "- [ ] 2. Oktober 2026 (verschoben: Sa 3.10.2026" in text
    assert "- [ ] 3. Oktober 2026: Kontaktliste verschicken" in text

    ics = tmp_path / "k.ics"
    cli("-C", root, "calendar", "-o", ics, today=TODAY)
    cal = icalendar.Calendar.from_ical(ics.read_bytes())
    starts: dict[str, list[date]] = {}
    for event in recurring_ical_events.of(cal).between(date(2026, 1, 1), date(2029, 1, 1)):
        starts.setdefault(str(event["UID"]), []).append(event.decoded("DTSTART"))
    assert starts["frist/bericht/caritas@coopkit"][0] == date(2026, 10, 5)
    assert starts["frist/statistik/caritas@coopkit"][0] == date(2026, 10, 2)
    assert starts["frist/liste/kreis@coopkit"][0] == date(2026, 10, 3)
    for ob_id, who in (("bericht", "caritas"), ("statistik", "caritas"), ("liste", "kreis")):
        assert starts[f"frist/{ob_id}/{who}@coopkit"][0].isoformat() == items[ob_id]["due"]
    # 3 October 2027 is a Sunday; in 2028 the holiday falls on a Tuesday.
    assert starts["frist/bericht/caritas@coopkit"][1:] == [date(2027, 10, 4), date(2028, 10, 4)]
    series = next(e for e in cal.walk("VEVENT") if str(e["UID"]) == "frist/bericht/caritas@coopkit")
    assert "verschoben: Sa 3.10.2026, Tag der Deutschen Einheit → Mo 5.10.2026" in str(
        series["DESCRIPTION"]
    )


def test_the_moved_date_records_the_nominal_one(make_repo: MakeRepo, cli: Cli) -> None:
    root = workday_repo(make_repo)
    ctx = Context(root=root, today=date(2026, 10, 6), lang="de", author_text=AUTHOR)
    done = record_fulfilment(ctx, "frist", "bericht", due=date(2026, 10, 5))
    assert done.fulfilment.due == date(2026, 10, 3)
    assert done.path == "agreements/frist/fulfilment/2026-10-03-bericht-caritas.yaml"
    listed = cli("-C", root, "--json", "due", "--overdue", today="2026-10-06").stdout
    assert "bericht" not in {
        i["obligation"] for g in json.loads(listed)["partners"] for i in g["items"]
    }
    cli("-C", root, "check", today="2026-10-06")


def test_a_record_written_before_the_date_moved_still_answers_it(
    make_repo: MakeRepo, cli: Cli
) -> None:
    record = (
        "obligation: liste\npartner: kreis\ndue: 2026-10-03\ndate: 2026-10-01\nstatus: fulfilled\n"
    )
    moving = agreement("").replace(
        "    first_due: 2026-10-03\n---",
        "    first_due: 2026-10-03\n    on_holiday: previous-working-day\n---",
    )
    root = workday_repo(
        make_repo,
        {
            "agreements/frist/agreement.md": moving,
            "agreements/frist/fulfilment/2026-10-03-liste-kreis.yaml": record,
        },
    )
    assert "liste" not in due_items(cli, root)
    cli("-C", root, "check", today=TODAY)


def test_a_record_naming_the_moved_date_is_told_the_nominal_one(
    make_repo: MakeRepo, cli: Cli
) -> None:
    record = (
        "obligation: bericht\npartner: caritas\ndue: 2026-10-05\ndate: 2026-10-05\n"
        "status: fulfilled\n"
    )
    root = workday_repo(
        make_repo, {"agreements/frist/fulfilment/2026-10-05-bericht-caritas.yaml": record}
    )
    result = cli("-C", root, "check", ok=False, today=TODAY)
    assert (
        "2026-10-05-bericht-caritas.yaml:3:6: „bericht“ ist am 2026-10-05 fällig, aber "
        "verschoben vom 2026-10-03: ein Nachweis nennt den ursprünglichen Termin (due: 2026-10-03)"
    ) in result.stdout


def test_report_notes_show_the_moved_date(make_repo: MakeRepo, cli: Cli, tmp_path: Path) -> None:
    record = (
        "obligation: bericht\npartner: caritas\ndue: 2026-10-03\ndate: 2026-10-09\n"
        "status: partly\nnote: nur Teil 1\n"
    )
    root = workday_repo(
        make_repo, {"agreements/frist/fulfilment/2026-10-03-bericht-caritas.yaml": record}
    )
    out = tmp_path / "bericht.md"
    cli("-C", root, "report", "frist", "--year", "2026", "-o", out, today="2027-01-15")
    text = out.read_text("utf-8")
    assert "05.10.2026 (verschoben: Sa 3.10.2026, Tag der Deutschen Einheit → Mo 5.10.2026)" in text


# ----------------------------------------------------------------------------- start path


def test_the_holiday_calendar_is_imported_only_where_a_date_may_move(make_repo: MakeRepo) -> None:
    plain = make_repo({"coop.toml": COOP_TOML})
    assert "holidays" not in imported(plain, "--today", TODAY, "due")
    moving = workday_repo(make_repo)
    assert "holidays" in imported(moving, "--today", TODAY, "due")


def test_the_agreement_document_states_the_agreed_rule() -> None:
    from coopkit.model.repo import RepoData
    from coopkit.services.documents import obligation_row

    row = obligation_row(RepoData(), obligation(on_holiday=NEXT), "de")
    assert row["details"] == (
        "Fällt die Fälligkeit auf ein Wochenende oder einen Feiertag: am nächsten Werktag"
    )
    assert obligation_row(RepoData(), obligation(), "en")["details"] == ""
    english = obligation_row(RepoData(), obligation(on_holiday=PREVIOUS), "en")
    assert english["on_holiday"] == "due on a weekend or holiday: on the working day before"


def test_the_due_table_shows_why_a_date_moved_in_both_languages(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = workday_repo(make_repo)
    german = cli("-C", root, "due", "--within", "30d", today=TODAY).stdout
    assert (
        "frist/bericht: verschoben: Sa 3.10.2026, Tag der Deutschen Einheit → Mo 5.10.2026"
    ) in german
    assert (
        "frist/statistik: verschoben: Sa 3.10.2026, Tag der Deutschen Einheit → Fr 2.10.2026"
        in (german)
    )
    assert "frist/liste: verschoben" not in german
    english = cli("-C", root, "--lang", "en", "due", "--within", "30d", today=TODAY).stdout
    assert "frist/bericht: moved: Sat 3 Oct 2026, German Unity Day → Mon 5 Oct 2026" in english


def test_on_holiday_is_set_and_unset_from_the_command_line(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"coop.toml": COOP_TOML})
    path = root / "agreements/koop/agreement.md"
    cli(
        "-C", root, "obligation", "add", "koop", "bericht", "--by", "caritas", "--what",
        "Jahresbericht schicken", "--every", "P1Y", "--first-due", "2026-10-03",
        "--on-holiday", NEXT,
    )  # fmt: skip
    assert "on_holiday: next-working-day" in path.read_text("utf-8")
    cli("-C", root, "obligation", "set", "koop", "bericht", "--on-holiday", PREVIOUS)
    assert "on_holiday: previous-working-day" in path.read_text("utf-8")
    cli("-C", root, "obligation", "set", "koop", "bericht", "--unset", "on_holiday")
    assert "on_holiday" not in path.read_text("utf-8")
    before = path.read_text("utf-8")
    bad = cli(
        "-C", root, "obligation", "set", "koop", "bericht", "--on-holiday", "sometimes", ok=False
    )
    assert bad.exit_code == 2
    assert "--on-holiday: „sometimes“ gibt es nicht; möglich: next-working-day" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert path.read_text("utf-8") == before
