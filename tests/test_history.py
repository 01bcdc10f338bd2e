from __future__ import annotations

import json

from conftest import Cli, MakeRepo


def test_log_shows_author_subject_files_and_version_tags(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(approve=False)
    cli("-C", root, "agreement", "set", "koop", "review_cycle", "P2Y", "--date", "2013-05-02")
    cli("-C", root, "agreement", "release", "koop", "--date", "2013-05-03")
    cli("-C", root, "partner", "add", "awo", "--name", "AWO", "--date", "2013-05-04")
    cli("-C", root, "agreement", "release", "koop", "--version", "v9", ok=False)
    entries = json.loads(cli("-C", root, "--json", "log").stdout)["entries"]
    assert [e["subject"] for e in entries] == [
        "Partner awo angelegt",
        "review_cycle von koop gesetzt",
        "initial",
    ]
    assert entries[0]["author"] == "Gisela Bernert"
    assert entries[0]["paths"] == ["partners/awo.yaml"]
    assert entries[1]["tags"] == ["koop/v1"] and entries[1]["date"].startswith("2013-05-02")
    text = cli("-C", root, "log", "partners/awo.yaml").stdout
    assert "Partner awo angelegt" in text and "koop" not in text
    assert "2013-05-04" in text and "Gisela Bernert" in text


def test_agreement_log_places_versions_at_the_change_they_name(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo(approve=False)
    cli("-C", root, "agreement", "set", "koop", "review_cycle", "P2Y")
    cli("-C", root, "partner", "add", "awo", "--name", "AWO")
    cli("-C", root, "agreement", "release", "koop")
    cli("-C", root, "agreement", "sign", "koop", "--partner", "kreis", "--signatory", "X")
    entries = json.loads(cli("-C", root, "--json", "agreement", "log", "koop").stdout)["entries"]
    assert [e["subject"] for e in entries] == [
        "Freigabe von koop v1 durch kreis",
        "review_cycle von koop gesetzt",
        "initial",
    ]
    assert entries[1]["tags"] == ["koop/v1"]
    text = cli("-C", root, "agreement", "log", "koop").stdout
    assert "[koop/v1]" in text
    assert cli("-C", root, "agreement", "log", "nope", ok=False).exit_code == 6


def test_log_refuses_paths_outside_the_repository(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(approve=False)
    result = cli("-C", root, "log", "../../etc/passwd", ok=False)
    assert result.exit_code == 5
