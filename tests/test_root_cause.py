"""A record that fails to load is the root cause: reported once, first, at its own place;
references to it say they depend on it instead of calling it unknown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Cli, MakeRepo, git, tree_state

MEETING = "2014-05-14-arbeitstreffen"
FILES = {
    f"minutes/{MEETING}.md": f"""\
        ---
        id: {MEETING}
        title: Arbeitstreffen
        agreements: [koop]
        date: 2014-05-14
        attendance:
          present: [kreis/bernert, caritas/klein]
        tops:
          - title: Begrüßung
            actions:
              - id: 1
                who: caritas/klein
                what: Faltblatt
                due: 2014-06-30
        ---
        """,
    f"actions/{MEETING}-1.yaml": f"""\
        action: {MEETING}#1
        date: 2014-05-20
        """,
}

CARITAS_TYPO = "id: caritas\nname: Caritasverband Beispiel e. V.\ne-mail: info@caritas.example\n"
CARITAS_TAB = "id: caritas\nname: Caritasverband Beispiel e. V.\ncontacts:\n\t- id: klein\n"


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        (CARITAS_TYPO, "partners/caritas.yaml:3:9: unbekanntes Feld „e-mail“"),
        (CARITAS_TAB, "partners/caritas.yaml:4:1: "),
    ],
    ids=["typo", "tab"],
)
def test_broken_partner_is_the_root_cause_first(
    make_repo: MakeRepo, cli: Cli, content: str, cause: str
) -> None:
    root = make_repo(FILES)
    (root / "partners/caritas.yaml").write_text(content)
    result = cli("-C", root, "check", ok=False)
    lines = _lines(result.stdout)
    assert lines[0].startswith(cause), lines
    causes = [line for line in lines if line.startswith("partners/caritas.yaml:")]
    assert lines[: len(causes)] == causes
    assert not any("unbekannter Partner" in line for line in lines)
    dependent = [line for line in lines if "hängt an einem fehlerhaften Datensatz" in line]
    assert dependent and all(
        "(siehe oben): Partner „caritas“ in partners/caritas.yaml" in line for line in dependent
    )
    assert any(line.startswith("agreements/koop/agreement.md:") for line in dependent)
    assert any(line.startswith(f"minutes/{MEETING}.md:") for line in dependent)
    data = json.loads(cli("-C", root, "--json", "check", ok=False).stdout)
    assert data["problems"][0]["path"] == "partners/caritas.yaml"
    codes = {p["code"] for p in data["problems"] if p["path"] != "partners/caritas.yaml"}
    assert "unknown-partner" not in codes


def test_broken_agreement_and_meeting_are_not_unknown(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(FILES)
    path = root / "agreements/koop/agreement.md"
    path.write_text(path.read_text().replace("title:", "titel:", 1))
    minutes = root / f"minutes/{MEETING}.md"
    minutes.write_text(minutes.read_text().replace("title: Arbeitstreffen", "titel: x"))
    lines = _lines(cli("-C", root, "check", ok=False).stdout)
    first = [line.split(":")[0] for line in lines[:4]]
    assert set(first) == {"agreements/koop/agreement.md", f"minutes/{MEETING}.md"}
    assert not any(
        "unbekannte Vereinbarung" in line or "unbekannte Aufgabe" in line for line in lines
    )
    assert any(
        line.startswith(f"actions/{MEETING}-1.yaml:")
        and f"Sitzung „{MEETING}“ in minutes/{MEETING}.md" in line
        for line in lines
    )
    assert any("Vereinbarung „koop“ in agreements/koop/agreement.md" in line for line in lines)


def test_read_commands_keep_the_broken_partner_with_a_warning(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo(FILES)
    (root / "partners/caritas.yaml").write_text(CARITAS_TYPO)
    status = cli("-C", root, "status")
    assert any(
        line.startswith("caritas ") and "— (fehlerhaft: partners/caritas.yaml)" in line
        for line in status.stdout.splitlines()
    )
    assert "Warnung: partners/caritas.yaml fehlerhaft" in status.stderr
    due = cli("-C", root, "due", "--partner", "caritas", "--within", "400d")
    assert "unbekannt" not in due.stdout + due.stderr and "(caritas)" in due.stdout
    assert "Warnung: partners/caritas.yaml fehlerhaft" in due.stderr
    listed = cli("-C", root, "--json", "partner", "list").stdout
    assert {"id": "caritas", "broken": "partners/caritas.yaml"} in json.loads(listed)["partners"]
    shown = cli("-C", root, "partner", "show", "caritas", ok=False)
    assert shown.stderr.splitlines()[0].startswith("partners/caritas.yaml:3:9: unbekanntes Feld")
    assert "nicht gefunden" not in shown.stderr


def test_writes_that_depend_on_a_broken_record_name_it(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(FILES)
    (root / "partners/caritas.yaml").write_text(CARITAS_TYPO)
    git(root, "commit", "-qam", "typo")
    before = tree_state(root)
    result = cli("-C", root, "meeting", "note", MEETING, "--top", "1", "Notiz.", ok=False)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("partners/caritas.yaml:3:9: unbekanntes Feld „e-mail“")
    assert "partners/caritas.yaml ist fehlerhaft (siehe oben) und diese Änderung hängt daran" in (
        result.stderr
    )
    assert "unbekannter Partner" not in result.stderr
    result = cli("-C", root, "partner", "contact", "add", "caritas", "--name", "A B", ok=False)
    assert result.stderr.startswith("partners/caritas.yaml:3:9:")
    assert tree_state(root) == before


def test_an_invalid_edit_reports_only_its_own_problems(
    make_repo: MakeRepo, cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = make_repo(FILES)
    script = tmp_path / "editor.sh"
    script.write_text("#!/bin/sh\nsed -i 's/^title:/titel:/' \"$1\"\n")
    script.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(script))
    before = tree_state(root)
    result = cli("-C", root, "agreement", "edit", "koop", ok=False)
    problems = [line for line in result.stderr.splitlines() if line.startswith(".coop/")]
    assert problems and all(".coop/edits/koop.md" in line for line in problems)
    assert "unbekannte Vereinbarung" not in result.stderr
    assert "hängt an" not in result.stderr
    assert tree_state(root) == before
