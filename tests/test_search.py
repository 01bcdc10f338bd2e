"""`coop search` and the incremental search index."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from conftest import AUTHOR, Cli, MakeRepo
from coopkit.queries.context import Context
from coopkit.services.search import update_index

MINUTES = """\
    ---
    id: 2014-02-05-treffen
    title: Evaluationsgespräch
    date: 2014-02-05
    tops:
      - title: Sprachförderung
        notes: |
          Das Jobcenter fördert Sprachkurse über die Grundkenntnisse hinaus.
          Müller & Söhne "Beratung" stellt Räume; Vorgang KV-2026.
    ---
    """


def test_search_finds_all_words_with_path_and_line(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"minutes/2014-02-05-treffen.md": MINUTES})
    out = cli("-C", root, "search", "Grundkenntnisse", "jobcenter").stdout
    assert (
        out.splitlines()[0] == "minutes/2014-02-05-treffen.md:8: Evaluationsgespräch (2014-02-05)"
    )
    assert "[Grundkenntnisse]" in out
    assert "keine Treffer" in cli("-C", root, "search", "Grundkenntnisse", "Caritas").stdout


def test_search_text_is_never_query_syntax(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"minutes/2014-02-05-treffen.md": MINUTES})
    for query in ("Müller & Söhne", "KV-2026", '"Beratung', "NEAR(a b)", "title:x OR *"):
        result = cli("-C", root, "search", query, ok=None)
        assert result.exit_code in (0, 2), result.stderr
        assert "Traceback" not in result.stdout + result.stderr
    assert "minutes/2014-02-05-treffen.md" in cli("-C", root, "search", "Müller & Söhne").stdout
    assert "minutes/2014-02-05-treffen.md" in cli("-C", root, "search", "KV-2026").stdout


def test_search_prefix_kind_and_json(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"minutes/2014-02-05-treffen.md": MINUTES})
    data = json.loads(cli("-C", root, "--json", "search", "Sprach", "--kind", "minutes").stdout)
    assert [r["record_id"] for r in data["results"]] == ["2014-02-05-treffen"]
    assert json.loads(
        cli("-C", root, "--json", "search", "Sprach", "--kind", "partner").stdout
    ) == {"results": []}
    assert cli("-C", root, "search", "x", "--kind", "brief", ok=False).exit_code == 2


def test_index_refresh_is_incremental_and_idempotent(make_repo: MakeRepo) -> None:
    root = make_repo({"minutes/2014-02-05-treffen.md": MINUTES}, approve=False)
    ctx = Context(root=root, today=date(2014, 2, 7), author_text=AUTHOR)
    first = update_index(ctx)
    assert (first.added, first.changed, first.removed) == (5, 0, 0)
    again = update_index(ctx)
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 5)
    path = root / "minutes/2014-02-05-treffen.md"
    path.write_text(path.read_text().replace("Räume", "Säle"))
    (root / "partners/caritas.yaml").unlink()
    text = (root / "agreements/koop/agreement.md").read_text()
    (root / "agreements/koop/agreement.md").write_text(text)
    changed = update_index(ctx)
    assert (changed.added, changed.changed, changed.removed) == (0, 1, 1)


def test_deleting_the_index_rebuilds_it(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"minutes/2014-02-05-treffen.md": MINUTES})
    cli("-C", root, "search", "Säle", ok=True)
    shutil.rmtree(Path(root) / ".coop")
    assert "2014-02-05-treffen" in cli("-C", root, "search", "Räume").stdout
