"""Strict values: patterns match in full, dates stay in range, options and nesting are bounded."""

from __future__ import annotations

import pytest

from conftest import Cli, MakeRepo
from coopkit.model.base import _check_duration, _check_time, id_problem
from coopkit.model.signoff import SignOff
from coopkit.store.git import parse_author


@pytest.mark.parametrize("value", ["evil\n", "kv-myk\n", "a\r", "x\x00"])
def test_ids_with_a_trailing_newline_or_control_are_refused(value: str) -> None:
    assert id_problem(value) is not None


@pytest.mark.parametrize(("check", "value"), [(_check_duration, "P3M\n"), (_check_time, "14:00\n")])
def test_durations_and_times_must_match_in_full(check: object, value: str) -> None:
    with pytest.raises(ValueError):
        check(value)  # type: ignore[operator]


def test_version_must_match_in_full() -> None:
    with pytest.raises(ValueError):
        SignOff.model_validate(
            {
                "agreement": "koop",
                "version": "v1\n",
                "partner": "kreis",
                "signatory": "X",
                "date": "2014-01-01",
                "content_hash": "sha256:00",
            }
        )


def test_author_with_a_line_break_is_refused() -> None:
    from coopkit.errors import ConfigError

    with pytest.raises(ConfigError):
        parse_author("Evil\nName <a@b.example>")
    with pytest.raises(ConfigError):
        parse_author("Name <a@b.example>\nx")


def test_partner_file_named_with_a_newline_is_refused(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    result = cli("-C", root, "partner", "add", "evil\n", "--name", "Evil", ok=False)
    assert result.exit_code in (1, 2)
    assert not any("\n" in p.name for p in (root / "partners").iterdir())


def test_a_date_after_2200_is_a_problem_with_its_place(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    path = root / "agreements/koop/agreement.md"
    path.write_text(path.read_text().replace("first_due: 2013-03-31", "first_due: 9999-12-31"))
    result = cli("-C", root, "check", ok=False)
    assert result.exit_code == 1
    assert (
        "agreements/koop/agreement.md:17:16: Datum 9999-12-31 außerhalb des erlaubten Bereichs "
        "1900-01-01 bis 2200-12-31" in result.stdout
    )
    # Every read command keeps going without the broken record instead of overflowing.
    cli("-C", root, "due")
    cli("-C", root, "status")


def test_a_date_before_1900_is_a_problem(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    path = root / "agreements/koop/agreement.md"
    path.write_text(path.read_text().replace("valid_from: 2012-12-01", "valid_from: 0001-01-01"))
    result = cli("-C", root, "check", ok=False)
    assert "agreement.md:6:13: Datum 0001-01-01 außerhalb" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("--today", "9999-12-31", "status"),
        ("--today", "1899-12-31", "status"),
        ("due", "--within", "99999999999d"),
        ("report", "koop", "--year", "99999"),
        ("report", "koop", "--from", "9999-01-01", "--to", "9999-12-31"),
        ("search", "x", "--limit", "0"),
        ("log", "--limit", "-1"),
        ("meeting", "note", "x", "--top", "0", "t"),
    ],
)
def test_out_of_range_options_are_usage_errors(
    make_repo: MakeRepo, cli: Cli, args: tuple[str, ...]
) -> None:
    root = make_repo()
    result = cli("-C", root, *args, ok=False)
    assert result.exit_code == 2, result.stderr


def test_horizon_years_is_bounded(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"coop.toml": 'name = "T"\n[schedule]\nhorizon_years = 100000\n'})
    result = cli("-C", root, "check", ok=False)
    assert "horizon_years = 100000: erlaubt sind 0 bis 100 Jahre" in result.stdout


@pytest.mark.parametrize("depth", [60, 300, 3000])
def test_deep_nesting_is_a_problem_not_a_crash(make_repo: MakeRepo, cli: Cli, depth: int) -> None:
    root = make_repo()
    (root / "partners/deep.yaml").write_text(
        "id: deep\nname: D\ncontacts: " + "[" * depth + "]" * depth + "\n"
    )
    result = cli("-C", root, "check", ok=False)
    assert result.exit_code == 1
    assert "partners/deep.yaml:3:" in result.stdout
    assert "mehr als 50 Ebenen verschachtelt" in result.stdout


def test_deep_block_nesting_in_front_matter(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    nested = "".join("  " * i + f"k{i}:\n" for i in range(80))
    (root / "minutes/2014-01-01-tief.md").parent.mkdir(exist_ok=True)
    (root / "minutes/2014-01-01-tief.md").write_text(f"---\n{nested}---\n")
    result = cli("-C", root, "check", ok=False)
    assert "minutes/2014-01-01-tief.md:" in result.stdout
    assert "Ebenen verschachtelt" in result.stdout


def test_deep_toml_is_a_problem(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(
        {"coop.toml": 'name = "T"\nx = ' + "[" * 5000 + "]" * 5000 + "\n"}, approve=False
    )
    result = cli("-C", root, "check", ok=False)
    assert result.exit_code in (1, 5)
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("every: P3M", "every: P9999Y", "„P9999Y“ ist länger als 100 Jahre"),
        (
            "every: P3M",
            "rrule: FREQ=YEARLY;INTERVAL=9999",
            "INTERVAL muss eine Zahl von 1 bis 1000",
        ),
        ("every: P3M", 'rrule: "FREQ=MONTHLY\\n"', "RRULE"),
        ("every: P3M", 'every: "P3M\\n"', "keine ISO-8601-Dauer"),
    ],
)
def test_recurrences_that_would_overflow_are_problems(
    make_repo: MakeRepo, cli: Cli, old: str, new: str, message: str
) -> None:
    root = make_repo()
    path = root / "agreements/koop/agreement.md"
    path.write_text(path.read_text().replace(old, new))
    result = cli("-C", root, "check", ok=False)
    assert message in result.stdout


def test_the_far_edge_of_the_range_still_computes(make_repo: MakeRepo, cli: Cli, tmp_path) -> None:
    root = make_repo({"coop.toml": 'name = "T"\n[schedule]\nhorizon_years = 100\n'})
    path = root / "agreements/koop/agreement.md"
    text = path.read_text().replace("every: P3M", "every: P100Y")
    path.write_text(text.replace("first_due: 2013-03-31", "first_due: 2200-12-31"))
    cli("-C", root, "check")
    for args in (("due",), ("obligation", "list"), ("calendar", "-o", tmp_path / "k.ics")):
        cli("-C", root, *args, today="2200-12-31")
