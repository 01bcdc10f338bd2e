"""`coop demo` builds a believable, valid history from the worked example."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Cli, git


def test_demo_builds_a_checked_repository_with_history(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "demo"
    result = cli("demo", target)
    assert "Beispiel angelegt" in result.stdout
    assert "in Kraft (v1)" in result.stdout
    assert "coop agreement diff myk-caritas-ko v1 v2 --docx" in result.stdout

    cli("-C", target, "check")
    git(target, "fsck", "--strict")
    assert git(target, "status", "--porcelain") == ""

    tags = git(target, "tag").split()
    assert tags == [
        f"{a}/{v}" for a in ("myk-awo", "myk-caritas-ko", "myk-caritas-rma") for v in ("v1", "v2")
    ]

    log = git(target, "log", "--reverse", "--format=%ad|%an|%s", "--date=short").splitlines()
    assert log[0] == "2012-09-03|Gisela Bernert|Repository der Kooperation angelegt"
    assert "2012-11-24|Dr. Alexander Saftig|Freigabe von myk-caritas-ko v1 durch kv-myk" in log
    assert (
        "2014-02-10|Petra Schmitz|Niederschrift 2013-06-12-arbeitstreffen in 2014-02-05-evaluation genehmigt"
        in log
    )
    days = [line.split("|")[0] for line in log]
    assert days == sorted(days), "the history runs forward in time"
    assert days[-1] <= "2014-04-30"

    status = json.loads(cli("-C", target, "--json", "status", today="2014-04-30").stdout)
    rows = {a["id"]: a for a in status["agreements"]}
    assert rows["myk-caritas-ko"]["latest_version"] == "v2"
    assert rows["myk-caritas-ko"]["missing"] == ["caritas-ko"]
    assert rows["myk-caritas-ko"]["in_force"] is True

    verify = cli("-C", target, "agreement", "verify")
    assert "15 Freigabe(n) geprüft, 0 mit Fehlern" in verify.stdout


def test_demo_refuses_a_directory_that_is_not_empty(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "x.txt").write_text("x")
    result = cli("demo", tmp_path, ok=False)
    assert result.exit_code == 5
    assert "nicht leer" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.txt"]
