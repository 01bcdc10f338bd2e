"""`coop agreement release` publishes only what can be signed; a version renders as released."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import Cli, MakeRepo, git, tree_state
from coopkit.i18n import gettext
from coopkit.model.releasable import PLACEHOLDER
from coopkit.services.agreements import PREAMBLE, SECTIONS
from docx_helpers import assert_valid_docx, document_text

UNREPRESENTED = {
    "partners/kreis.yaml": "id: kreis\nname: Kreisverwaltung\nshort: Kreis\nrepresented_by: Landrat\n",
    "partners/jobcenter.yaml": "id: jobcenter\nname: Jobcenter Beispielkreis\n",
    "partners/caritas.yaml": "# Migrationsdienst\nid: caritas\nname: Caritas\nrepresentative: ' '\n",
}
REPRESENTED = {
    "partners/kreis.yaml": """\
        id: kreis
        name: Kreisverwaltung Beispielkreis
        short: Kreis
        represented_by: Landrat
        representative: Dr. Anna Schulz
        """,
    "partners/jobcenter.yaml": """\
        id: jobcenter
        name: Jobcenter Beispielkreis
        represented_by: Geschäftsführer
        representative: Jan Meyer
        """,
    "partners/caritas.yaml": """\
        id: caritas
        name: Caritasverband Beispiel e. V.
        address:
          street: Hauptstraße 1
          postcode: "56068"
          city: Koblenz
        represented_by: Vorstand
        representative: Eva Klein
        """,
}


def _new(cli: Cli, root: Path, *extra: str) -> None:
    cli("-C", root, "agreement", "new", "neu", "--title", "Neue Vereinbarung", *extra)


def _release(cli: Cli, root: Path, agreement: str = "neu", ok: bool | None = True) -> str:
    result = cli("-C", root, "agreement", "release", agreement, "--date", "2014-02-01", ok=ok)
    return result.stderr


def _lines(root: Path, path: str) -> list[str]:
    return (root / path).read_text("utf-8").split("\n")


def test_every_skeleton_placeholder_matches_the_pattern() -> None:
    texts = [gettext(t, lang) for _, t in (*SECTIONS, PREAMBLE) for lang in ("de", "en")]
    assert texts and all(PLACEHOLDER.fullmatch(t) for t in texts)
    assert not PLACEHOLDER.search("(1) Die Parteien arbeiten zusammen [siehe Anlage 1].")


def test_release_of_untouched_skeleton_refused_naming_each_placeholder_line(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo(REPRESENTED, approve=False)
    _new(cli, root, "--party", "kreis", "--party", "caritas")
    before = tree_state(root)
    result = cli("-C", root, "agreement", "release", "neu", ok=False)
    assert result.exit_code == 1
    path = "agreements/neu/agreement.md"
    lines = _lines(root, path)
    expected = [
        f"{path}:{n}:{line.index('[') + 1}:"
        for n, line in enumerate(lines, start=1)
        if PLACEHOLDER.search(line)
    ]
    assert len(expected) == 10, "preamble and nine sections"
    reported = re.findall(rf"^{re.escape(path)}:\d+:\d+:", result.stderr, re.MULTILINE)
    assert [r for r in reported if r in expected] == expected
    assert "[Hier die gemeinsamen Ziele der Kooperation beschreiben.]" in result.stderr
    assert f"{path}:" in result.stderr and "valid_from" in result.stderr
    assert tree_state(root) == before and git(root, "tag").strip() == ""


def test_release_names_a_placeholder_left_in_an_otherwise_finished_text(
    make_repo: MakeRepo, cli: Cli
) -> None:
    text = """\
        ---
        id: koop
        title: Kooperationsvereinbarung Integration
        parties: [kreis, jobcenter, caritas]
        valid_from: 2012-12-01
        ---

        ## § 1 Ziele

        (1) Zuwanderer früh unterstützen.

        ## § 2 Kosten

        (1) Jede Partei trägt ihre Kosten.
        (2) Außerdem [Hier beschreiben, wer welche Kosten trägt.]
        """
    root = make_repo({**REPRESENTED, "agreements/koop/agreement.md": text}, approve=False)
    stderr = _release(cli, root, "koop", ok=False)
    assert "agreements/koop/agreement.md:15:14: " in stderr
    assert "[Hier beschreiben, wer welche Kosten trägt.]" in stderr
    assert git(root, "tag").strip() == ""


def test_release_refused_without_valid_from(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(REPRESENTED, approve=False)
    path = root / "agreements/koop/agreement.md"
    path.write_text(path.read_text("utf-8").replace("valid_from: 2012-12-01\n", ""), "utf-8")
    git(root, "commit", "-qam", "ohne Beginn")
    before = tree_state(root)
    result = cli("-C", root, "agreement", "release", "koop", ok=False)
    assert result.exit_code == 1
    assert re.search(r"^agreements/koop/agreement\.md:\d+:\d+: .*valid_from", result.stderr, re.M)
    assert tree_state(root) == before and git(root, "tag").strip() == ""


def test_release_refused_for_each_party_without_representative(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo(UNREPRESENTED, approve=False)
    before = tree_state(root)
    result = cli("-C", root, "agreement", "release", "koop", ok=False)
    assert result.exit_code == 1
    # kreis names its office but no person, jobcenter nothing, caritas a blank name.
    assert "partners/kreis.yaml:4:1: " in result.stderr
    assert "partners/jobcenter.yaml:2:1: " in result.stderr
    assert "partners/caritas.yaml:4:1: " in result.stderr
    assert result.stderr.count("representative") >= 3
    assert tree_state(root) == before and git(root, "tag").strip() == ""


def test_release_lists_all_problems_at_once_in_english(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(UNREPRESENTED, approve=False)
    _new(cli, root, "--party", "kreis", "--party", "jobcenter")
    result = cli("--lang", "en", "-C", root, "agreement", "release", "neu", ok=False)
    stderr = result.stderr
    assert result.exit_code == 1
    assert stderr.count("agreements/neu/agreement.md:") == 11  # ten placeholders, valid_from
    assert "partners/kreis.yaml:" in stderr and "partners/jobcenter.yaml:" in stderr
    assert "placeholder" in stderr and "representative" in stderr


def test_release_refused_while_a_party_file_has_uncommitted_changes(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo(approve=False)
    partner = root / "partners/caritas.yaml"
    partner.write_text(partner.read_text("utf-8").replace("Lena Graf", "Max Neu"), "utf-8")
    result = cli("-C", root, "agreement", "release", "koop", ok=False)
    assert result.exit_code == 2 and "partners/caritas.yaml" in result.stderr
    assert git(root, "tag").strip() == ""


def test_finished_agreement_is_released(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(REPRESENTED, approve=False)
    _release(cli, root, "koop")
    assert git(root, "tag").strip() == "koop/v1"


def test_version_renders_partners_as_they_were_at_its_release(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo(REPRESENTED, approve=False)
    _release(cli, root, "koop")
    cli("-C", root, "partner", "set", "caritas", "name", "Caritas Neu gGmbH")
    cli("-C", root, "partner", "set", "caritas", "representative", "Max Neu")
    out = tmp_path / "v1.docx"
    cli("-C", root, "agreement", "render", "koop", "--version", "v1", "-o", out)
    assert_valid_docx(out.read_bytes(), tmp_path)
    text = document_text(out.read_bytes())
    assert "Caritasverband Beispiel e. V." in text and "Eva Klein" in text
    assert "Caritas Neu" not in text and "Max Neu" not in text
    assert "Fassung v1, veröffentlicht am 1. Februar 2014" in text
    assert "Angaben der Partner wie zum Zeitpunkt der Veröffentlichung" in text
    assert "Entwurf" not in text
    # The working text equals v1: it is v1 and renders as v1 did.
    same = tmp_path / "same.docx"
    cli("-C", root, "agreement", "render", "koop", "-o", same)
    assert "Caritas Neu" not in document_text(same.read_bytes())


def test_working_text_renders_as_draft(make_repo: MakeRepo, cli: Cli, tmp_path: Path) -> None:
    root = make_repo(REPRESENTED, approve=False)
    out = tmp_path / "entwurf.docx"
    cli("-C", root, "agreement", "render", "koop", "-o", out)
    first = document_text(out.read_bytes()).strip().split("\n")[0]
    assert first.startswith("Entwurf") and "nicht zur Unterschrift" in first
    _release(cli, root, "koop")
    cli("-C", root, "agreement", "set", "koop", "notice_period", "P6M")
    cli("-C", root, "partner", "set", "caritas", "name", "Caritas Neu gGmbH")
    cli("-C", root, "agreement", "render", "koop", "-o", out)
    text = document_text(out.read_bytes())
    assert text.strip().startswith("Entwurf") and "Caritas Neu gGmbH" in text
    english = tmp_path / "draft.docx"
    cli("--lang", "en", "-C", root, "agreement", "render", "koop", "-o", english)
    assert document_text(english.read_bytes()).strip().startswith("Draft")
