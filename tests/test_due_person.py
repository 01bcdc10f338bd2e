"""What one person has to do: `due`, `checklist` and `action list` with `--person`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import Cli, MakeRepo
from test_due import CARITAS_IN_CHARGE, MINUTES

TODAY = "2014-02-07"
UNTIL = "2014-03-09"  # 30 days on, the window `coop due` shows by default


def person_repo(make_repo: MakeRepo) -> Path:
    """Caritas: Eva Klein is in charge of `angebote` and owes action 1; Kreis: action 2."""
    return make_repo(
        {"minutes/2013-12-04-treffen.md": MINUTES, "partners/caritas.yaml": CARITAS_IN_CHARGE}
    )


def due_keys(cli: Cli, root: Path, *args: str) -> list[tuple[str, str]]:
    out = cli("-C", root, "--json", "due", *args, today=TODAY).stdout
    return [(i["key"], i["due"]) for g in json.loads(out)["partners"] for i in g["items"]]


def checklist_lines(cli: Cli, root: Path, tmp_path: Path, *args: str) -> list[str]:
    target = tmp_path / "liste.md"
    cli("-C", root, "checklist", "--until", UNTIL, "-o", target, *args, today=TODAY)
    return [line for line in target.read_text("utf-8").splitlines() if line.startswith("- [ ]")]


def open_actions(cli: Cli, root: Path, *args: str) -> list[str]:
    out = cli("-C", root, "--json", "action", "list", "--open", *args, today=TODAY).stdout
    return [a["key"] for a in json.loads(out)["actions"] if a["due"] <= UNTIL]


def test_due_checklist_and_action_list_agree_on_what_one_person_has_to_do(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = person_repo(make_repo)
    klein = due_keys(cli, root, "--person", "caritas/klein")
    assert klein == [
        ("koop/angebote", "2013-03-31"),
        ("koop/angebote", "2013-06-30"),
        ("koop/angebote", "2013-09-30"),
        ("koop/angebote", "2013-12-31"),
        ("2013-12-04-treffen#1", "2014-02-20"),
    ]
    assert due_keys(cli, root, "--person", "kreis/bernert") == [
        ("2013-12-04-treffen#2", "2014-01-15")
    ]
    assert due_keys(cli, root, "--person", "caritas/graf") == []
    # Everyone's items together are exactly the items of all people plus the organisations'.
    everyone = due_keys(cli, root)
    assert set(klein) < set(everyone)

    for person in ("caritas/klein", "kreis/bernert", "caritas/graf", "jobcenter/meyer"):
        due = due_keys(cli, root, "--person", person)
        listed = checklist_lines(cli, root, tmp_path, "--person", person)
        assert len(listed) == len(due), person
        dates = [re.sub(r" \(.*?\)|:.*", "", line.removeprefix("- [ ] ")) for line in listed]
        assert len(dates) == len(due)
        actions = open_actions(cli, root, "--person", person)
        assert actions == [key for key, _ in due if "#" in key], person


def test_an_unknown_person_is_refused_naming_the_known_contacts(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = person_repo(make_repo)
    for args in (
        ("due",),
        ("action", "list"),
        ("checklist", "-o", str(tmp_path / "x.md")),
    ):
        bad = cli("-C", root, *args, "--person", "caritas/nobody", ok=False)
        assert bad.exit_code == 6, args
        assert "„nobody“" in bad.stderr and "caritas/graf, caritas/klein" in bad.stderr
        assert "Traceback" not in bad.stderr
        bad = cli("-C", root, "--lang", "en", *args, "--person", "nix/klein", ok=False)
        assert bad.exit_code == 6, args
        assert 'contact "nix/klein" not found; known: caritas/graf' in bad.stderr
        assert "kreis/bernert" in bad.stderr
        bad = cli("-C", root, *args, "--person", "caritas", ok=False)
        assert bad.exit_code == 2, args
        assert "erwartet PARTNER/KONTAKT" in bad.stderr
    assert not (tmp_path / "x.md").exists()


def test_the_due_table_for_one_person(make_repo: MakeRepo, cli: Cli) -> None:
    root = person_repo(make_repo)
    text = cli("-C", root, "due", "--person", "kreis/bernert", today=TODAY).stdout
    assert "Kontaktliste verschicken" in text
    assert "Faltblätter" not in text and "Beratungsangebote" not in text
