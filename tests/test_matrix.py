import json
from pathlib import Path

from conftest import Cli, MakeRepo
from docx_helpers import assert_valid_docx, document_text


def test_matrix_markdown_shows_what_flows_and_how_often(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    text = cli("-C", root, "obligation", "matrix", "--agreement", "koop").stdout
    assert text.startswith("# Wer informiert wen\n")
    header = next(line for line in text.splitlines() if line.startswith("| von \\ an"))
    assert header == (
        "| von \\ an | Kreis | Jobcenter Beispielkreis | Caritasverband Beispiel e. V. |"
    )
    caritas = next(line for line in text.splitlines() if line.startswith("| **Caritas"))
    cells = [c.strip() for c in caritas.strip("|").split("|")]
    assert cells[1] == "Über aktuelle Beratungsangebote informieren (vierteljährlich)"
    assert cells[2] == cells[1]
    assert cells[3] == "—"


def test_matrix_json_and_docx(make_repo: MakeRepo, cli: Cli, tmp_path: Path) -> None:
    root = make_repo()
    data = json.loads(cli("-C", root, "--json", "obligation", "matrix").stdout)
    assert [p["id"] for p in data["partners"]] == ["kreis", "jobcenter", "caritas"]
    assert {(f["from"], f["to"]) for f in data["flows"]} == {
        ("caritas", "kreis"),
        ("caritas", "jobcenter"),
    }
    target = tmp_path / "m.docx"
    cli("-C", root, "obligation", "matrix", "-o", target)
    assert_valid_docx(target.read_bytes(), tmp_path)
    assert "vierteljährlich" in document_text(target.read_bytes())
    md = tmp_path / "m.md"
    cli("-C", root, "obligation", "matrix", "-o", md)
    assert "vierteljährlich" in md.read_text("utf-8")
    assert (
        cli("-C", root, "obligation", "matrix", "-o", tmp_path / "m.txt", ok=False).exit_code == 2
    )


def test_matrix_of_the_worked_example_names_frequencies_in_words(
    example_repo: Path, cli: Cli
) -> None:
    text = cli("-C", example_repo, "obligation", "matrix", "--agreement", "myk-caritas-ko").stdout
    assert "(halbjährlich, zum Monatsende)" in text
    assert "(im Einzelfall)" in text
    assert "(jährlich)" in text
