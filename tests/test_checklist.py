import io
import zipfile
from pathlib import Path

from conftest import Cli, MakeRepo, tree_state
from docx_helpers import assert_valid_docx, convert_with_libreoffice, document_text

MINUTES = """\
    ---
    id: 2013-12-04-treffen
    title: Arbeitstreffen
    agreements: [koop]
    date: 2013-12-04
    status: sent
    sent: 2013-12-10
    tops:
      - title: Begrüßung
      - title: Kontaktliste
      - title: Faltblätter
        actions:
          - id: 1
            who: caritas/klein
            what: Faltblätter auf Arabisch liefern
            due: 2014-02-20
          - id: 2
            who: kreis/bernert
            what: Kontaktliste verschicken & prüfen <sofort>
            due: 2014-01-15
    ---
    """

NEXT = """\
    ---
    id: 2014-04-09-treffen
    title: Frühjahrstreffen
    agreements: [koop]
    date: 2014-04-09
    place: Kreishaus
    status: draft
    distribution: [kreis, caritas]
    tops:
      - title: Begrüßung
    ---
    """


def repo(make_repo: MakeRepo) -> Path:
    return make_repo(
        {"minutes/2013-12-04-treffen.md": MINUTES, "minutes/2014-04-09-treffen.md": NEXT}
    )


def test_checklist_markdown_runs_to_the_next_meeting(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = repo(make_repo)
    target = tmp_path / "liste.md"
    result = cli("-C", root, "checklist", "-o", target)
    assert "bis 09.04.2014" in result.stdout
    text = target.read_text("utf-8")
    assert text.startswith("# Checkliste: Frühjahrstreffen\n")
    assert "bis zur Sitzung am 9. April 2014 · Stand 7. Februar 2014" in text
    caritas = text.split("## Caritasverband Beispiel e. V.")[1].split("## ")[0]
    lines = [line for line in caritas.splitlines() if line.startswith("- [ ] ")]
    assert lines[0] == (
        "- [ ] 31. März 2013: Über aktuelle Beratungsangebote informieren — "
        "§ 2 Vereinbarung koop — **313 Tage überfällig**"
    )
    assert (
        "- [ ] 20. Februar 2014: Faltblätter auf Arabisch liefern (Eva Klein) — TOP 3, "
        "Sitzung vom 4. Dezember 2013"
    ) in lines
    assert lines[-1].startswith("- [ ] 31. März 2014: Über aktuelle Beratungsangebote")
    # A value's "<" is no HTML in Markdown: it is written as &lt; (and reads as "<").
    assert "Kontaktliste verschicken & prüfen &lt;sofort> (Gisela Bernert)" in text


def test_checklist_until_and_partner_filters(make_repo: MakeRepo, cli: Cli, tmp_path: Path) -> None:
    root = repo(make_repo)
    target = tmp_path / "k.md"
    cli("-C", root, "checklist", "--partner", "kreis", "--until", "2014-03-01", "-o", target)
    text = target.read_text("utf-8")
    assert "bis 1. März 2014" in text
    assert "## Kreisverwaltung Beispielkreis" in text and "Caritas" not in text
    cli("-C", root, "checklist", "--partner", "jobcenter", "-o", target)
    assert "Keine offenen Punkte." in target.read_text("utf-8")


def test_checklist_refuses_bad_input(make_repo: MakeRepo, cli: Cli, tmp_path: Path) -> None:
    root = repo(make_repo)
    before = tree_state(root)
    assert cli("-C", root, "checklist", "-o", tmp_path / "x.pdf", ok=False).exit_code == 2
    assert (
        cli(
            "-C", root, "checklist", "--meeting", "nix", "-o", tmp_path / "x.md", ok=False
        ).exit_code
        == 6
    )
    assert (
        cli(
            "-C", root, "checklist", "--until", "2013-01-01", "-o", tmp_path / "x.md", ok=False
        ).exit_code
        == 2
    )
    assert tree_state(root) == before
    assert not (tmp_path / "x.md").exists()


def test_checklist_docx_has_boxes_and_sources_and_opens_in_libreoffice(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, soffice: str
) -> None:
    root = repo(make_repo)
    target = tmp_path / "liste.docx"
    cli("-C", root, "checklist", "--meeting", "2014-04-09-treffen", "-o", target)
    data = target.read_bytes()
    assert_valid_docx(data, tmp_path)
    text = document_text(data)
    assert "\u2610" in text
    assert text.count("\u2610") == 7  # 5 obligation dates + 2 actions up to 9 April 2014
    assert "TOP 3, Sitzung vom 4. Dezember 2013" in text
    assert "§ 2 Vereinbarung koop" in text
    assert "Kontaktliste verschicken & prüfen <sofort>" in text
    assert "20. Februar 2014" in text
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    assert 'w:ascii="Segoe UI Symbol"' in xml
    matrix = tmp_path / "matrix.docx"
    cli("-C", root, "obligation", "matrix", "-o", matrix)
    assert_valid_docx(matrix.read_bytes(), tmp_path, "matrix.docx")
    for path in (target, matrix):
        convert_with_libreoffice(soffice, path)
