"""`coop report --repos`: figures of many repositories side by side, each read on its own."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Cli, MakeRepo

FULFILMENT = """\
    obligation: angebote
    partner: caritas
    due: 2013-03-31
    date: 2013-03-30
    status: fulfilled
    """


def test_report_over_many_repositories_lists_each_agreement_per_repository(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    first = make_repo({"agreements/koop/fulfilment/2013-03-31-angebote-caritas.yaml": FULFILMENT})
    second = make_repo({"coop.toml": 'name = "Zweiter Kreis"\nlocale = "de"\n'})
    result = cli("--json", "report", "--repos", first, second, "--year", "2013")
    data = json.loads(result.stdout)
    repos = data["repositories"]
    assert [r["name"] for r in repos] == ["Test", "Zweiter Kreis"]
    koop = repos[0]["agreements"][0]
    assert koop["agreement"] == "koop"
    assert koop["fulfilled"] == 1
    assert koop["open"] == 3
    assert repos[1]["agreements"][0]["fulfilled"] == 0
    assert data["start"] == "2013-01-01"


def test_report_many_reads_a_manifest_and_reports_unreadable_folders(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo()
    manifest = tmp_path / "kreise.txt"
    manifest.write_text(f"# Kreise\n{root}\nfehlt  # noch nicht angelegt\n")
    result = cli("report", "--manifest", manifest, "--year", "2013")
    assert "koop" in result.stdout
    assert "kein coop-Repository" in result.stdout
    again = cli("report", "--manifest", manifest, "--year", "2013")
    assert again.stdout == result.stdout


def test_report_without_agreement_or_repos_is_a_usage_error(cli: Cli, make_repo: MakeRepo) -> None:
    root = make_repo()
    result = cli("-C", root, "report", ok=False)
    assert result.exit_code == 2
    assert "genau eine Vereinbarung" in result.stderr
