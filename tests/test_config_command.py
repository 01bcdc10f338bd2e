"""`coop config set/show/unset`: one key of coop.toml, validated by its model, one commit."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from conftest import Cli, copy_example, git, head


def _repo(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "repo")


def test_set_writes_one_key_keeps_comments_and_commits_in_german(tmp_path: Path, cli: Cli) -> None:
    root = _repo(tmp_path)
    before = (root / "coop.toml").read_text(encoding="utf-8")
    cli("-C", root, "config", "set", "land", "RP")
    cli("-C", root, "config", "set", "letterhead.file_number", "12-41/Neu")
    after = (root / "coop.toml").read_text(encoding="utf-8")
    assert git(root, "log", "-2", "--format=%s").strip().split("\n") == [
        "coop.toml: letterhead.file_number = 12-41/Neu",
        "coop.toml: land = RP",
    ]
    # Every comment survives, also the one after the changed value.
    expected = before.replace('"12-41/Integration"', '"12-41/Neu"')
    assert [line for line in after.split("\n") if "#" in line] == [
        line for line in expected.split("\n") if "#" in line
    ]
    data = tomllib.loads(after)
    assert data["land"] == "RP"
    assert data["letterhead"]["file_number"] == "12-41/Neu"
    assert git(root, "status", "--porcelain").strip() == ""


def test_list_key_takes_commas_or_repeated_values(tmp_path: Path, cli: Cli) -> None:
    root = _repo(tmp_path)
    cli("-C", root, "config", "set", "land", "BY")
    cli(
        "-C",
        root,
        "config",
        "set",
        "holidays.municipal",
        "Mariä Himmelfahrt",
        "Augsburger Hohes Friedensfest",
    )
    data = tomllib.loads((root / "coop.toml").read_text(encoding="utf-8"))
    assert data["holidays"]["municipal"] == ["Mariä Himmelfahrt", "Augsburger Hohes Friedensfest"]
    cli(
        "-C",
        root,
        "config",
        "set",
        "holidays.municipal",
        "Mariä Himmelfahrt,Augsburger Hohes Friedensfest",
        ok=False,
    )
    cli("-C", root, "config", "set", "holidays.municipal", "Mariä Himmelfahrt")
    data = tomllib.loads((root / "coop.toml").read_text(encoding="utf-8"))
    assert data["holidays"]["municipal"] == ["Mariä Himmelfahrt"]


def test_invalid_value_is_usage_error_naming_allowed_and_writes_nothing(
    tmp_path: Path, cli: Cli
) -> None:
    root = _repo(tmp_path)
    commit = head(root)
    result = cli("-C", root, "config", "set", "land", "XX", ok=False)
    assert result.exit_code == 2
    assert "RP" in result.stderr and "nichts geschrieben" in result.stderr
    result = cli("-C", root, "--lang", "en", "config", "set", "locale", "fr", ok=False)
    assert result.exit_code == 2 and "de or en" in result.stderr
    result = cli("-C", root, "config", "set", "schedule.horizon_years", "500", ok=False)
    assert result.exit_code == 2 and "100" in result.stderr
    result = cli("-C", root, "config", "set", "controller", "niemand", ok=False)
    assert result.exit_code == 2 and "kv-myk" in result.stderr
    result = cli("-C", root, "config", "set", "holidays.municipal", "Fronleichnam", ok=False)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert head(root) == commit
    assert git(root, "status", "--porcelain").strip() == ""


def test_unknown_key_names_the_keys(tmp_path: Path, cli: Cli) -> None:
    root = _repo(tmp_path)
    result = cli("-C", root, "--lang", "en", "config", "set", "lnad", "RP", ok=False)
    assert result.exit_code == 2
    assert 'unknown key "lnad"' in result.stderr and "letterhead.city" in result.stderr


def test_pinned_keys_are_refused_naming_trust_pin(tmp_path: Path, cli: Cli) -> None:
    root = _repo(tmp_path)
    result = cli("-C", root, "config", "set", "trust.coordinator_keys", "SHA256:x", ok=False)
    assert result.exit_code == 2 and "coop trust pin" in result.stderr
    result = cli("-C", root, "config", "unset", "trust.coordinator_keys", ok=False)
    assert result.exit_code == 2 and "coop trust pin" in result.stderr


def test_show_marks_defaults_and_json_has_ok(tmp_path: Path, cli: Cli) -> None:
    root = _repo(tmp_path)
    shown = cli("-C", root, "config", "show").stdout
    assert "Herkunft" in shown and "letterhead.city" in shown
    land = next(line for line in shown.splitlines() if line.startswith("land "))
    assert land.split()[-1] == "Standard"
    name = next(line for line in shown.splitlines() if line.startswith("name "))
    assert name.split()[-1] == "coop.toml"
    data = json.loads(cli("-C", root, "--json", "config", "show", "land").stdout)
    assert data == {"ok": True, "settings": [{"key": "land", "value": None, "default": True}]}
    cli("-C", root, "config", "set", "land", "RP")
    data = json.loads(cli("-C", root, "--json", "config", "show", "land").stdout)
    assert data["settings"] == [{"key": "land", "value": "RP", "default": False}]


def test_unset_restores_default_and_bool_set(tmp_path: Path, cli: Cli) -> None:
    root = _repo(tmp_path)
    cli("-C", root, "config", "set", "signing.require_ssh", "true")
    assert tomllib.loads((root / "coop.toml").read_text())["signing"]["require_ssh"] is True
    cli("-C", root, "config", "set", "signing.require_ssh", "vielleicht", ok=False)
    cli("-C", root, "config", "unset", "schedule.horizon_years")
    assert "horizon_years" not in (root / "coop.toml").read_text()
    assert (
        git(root, "log", "-1", "--format=%s").strip()
        == "coop.toml: schedule.horizon_years entfernt"
    )
    result = cli("-C", root, "config", "unset", "name", ok=False)
    assert result.exit_code == 2


def test_new_section_is_appended(tmp_path: Path, cli: Cli) -> None:
    root = _repo(tmp_path)
    cli("-C", root, "config", "set", "holidays.municipal", "x", ok=False)
    cli("-C", root, "config", "set", "land", "SN")
    cli("-C", root, "config", "set", "holidays.municipal", "Fronleichnam")
    text = (root / "coop.toml").read_text(encoding="utf-8")
    assert text.rstrip().endswith('[holidays]\nmunicipal = ["Fronleichnam"]')


def test_switching_signed_commits_on_needs_the_key_for_that_commit(
    tmp_path: Path, cli: Cli
) -> None:
    root = _repo(tmp_path)
    result = cli("-C", root, "config", "set", "signing.sign_commits", "true", ok=False)
    assert result.exit_code == 2 and "--ssh-key" in result.stderr
    assert "sign_commits" not in (root / "coop.toml").read_text(encoding="utf-8")
