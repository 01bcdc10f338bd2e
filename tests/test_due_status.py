import json
from pathlib import Path

from conftest import Cli, MakeRepo


def test_status_counts_overdue_items_per_partner(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    data = json.loads(cli("-C", root, "--json", "status").stdout)
    assert data["overdue"] == {"caritas": 4}
    text = cli("-C", root, "status").stdout
    assert "überfällig insgesamt: 4" in text
    line = next(x for x in text.splitlines() if x.startswith("caritas "))
    assert line.split()[-1] == "4"


def test_worked_example_has_nothing_overdue_on_7_february_2014(
    example_repo: Path, cli: Cli
) -> None:
    data = json.loads(cli("-C", example_repo, "--json", "due", "--overdue").stdout)
    assert data["partners"] == []
    upcoming = json.loads(cli("-C", example_repo, "--json", "due", "--within", "90d").stdout)
    keys = {i["key"] for g in upcoming["partners"] for i in g["items"]}
    assert "myk-awo/angebote-informieren" in keys
    assert "2014-02-05-evaluation#4" in keys
    assert "2014-02-05-evaluation#3" not in keys, "a closed action is not due"
