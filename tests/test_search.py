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
    ) == {"ok": True, "results": []}
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


GERMAN = """\
    ---
    id: 2014-03-01-treffen
    title: Arbeitstreffen
    date: 2014-03-01
    tops:
      - title: Räume
        notes: |
          Treffpunkt ist die Beratungsstelle Bahnhofstraße, Ecke Mainzer Straße.
          Frau Yıldız übernimmt die Sprachförderung ab April.
          Das weiße Haus bleibt geschlossen; Café Übergänge öffnet.
    ---
    """


def _hits(cli: Cli, root: Path, *words: str) -> list[dict[str, object]]:
    return json.loads(cli("-C", root, "--json", "search", *words).stdout)["results"]


def test_search_folds_umlauts_both_ways(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"minutes/2014-03-01-treffen.md": GERMAN})
    for query, line in [
        ("sprachfoerderung", 9),
        ("Sprachförderung", 9),
        ("sprachforderung", 9),
        ("SPRACHFÖRDERUNG", 9),
        ("strasse", 8),
        ("Bahnhofstrasse", 8),
        ("weiss", 10),
        ("Yildiz", 9),
        ("yıldız", 9),
        ("cafe", 10),
        ("uebergaenge", 10),
    ]:
        hits = [h for h in _hits(cli, root, query) if h["path"] == "minutes/2014-03-01-treffen.md"]
        assert hits, query
        assert hits[0]["line"] == line, query


def test_each_hit_reports_its_own_line_and_snippet(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"minutes/2014-03-01-treffen.md": GERMAN})
    out = cli("-C", root, "search", "sprachfoerderung").stdout.splitlines()
    assert out[0] == "minutes/2014-03-01-treffen.md:9: Arbeitstreffen (2014-03-01)"
    assert out[1] == "    Frau Yıldız übernimmt die [Sprachförderung] ab April."
    hit = _hits(cli, root, "Yildiz", "april")[0]
    assert hit["line"] == 9
    assert hit["snippet"] == "Frau [Yıldız] übernimmt die Sprachförderung ab [April]."
    partner = _hits(cli, root, "Caritasverband")[0]
    assert partner["path"] == "partners/caritas.yaml" and partner["line"] == 2
    assert partner["snippet"] == "name: [Caritasverband] Beispiel e. V."


def test_long_lines_are_cut_around_the_word(make_repo: MakeRepo, cli: Cli) -> None:
    words = " ".join(f"wort{n}" for n in range(60))
    text = GERMAN.replace("Das weiße Haus", f"{words} Zielwort {words} Das weiße Haus")
    root = make_repo({"minutes/2014-03-01-treffen.md": text})
    snippet = _hits(cli, root, "zielwort")[0]["snippet"]
    assert "[Zielwort]" in snippet and snippet.startswith("… ") and snippet.endswith(" …")
    assert len(snippet) <= 110


def test_an_index_from_before_folding_is_rebuilt(make_repo: MakeRepo, cli: Cli) -> None:
    import sqlite3

    root = make_repo({"minutes/2014-03-01-treffen.md": GERMAN})
    cli("-C", root, "search", "Räume")
    with sqlite3.connect(root / ".coop/index.sqlite") as db:
        db.execute("PRAGMA user_version = 1")
        db.execute("UPDATE doc_fts SET body = 'Sprachförderung'")
    assert _hits(cli, root, "sprachfoerderung")
