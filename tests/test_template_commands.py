import io
import json
from pathlib import Path

from conftest import Cli, MakeRepo, git, tree_state
from docx_helpers import document_text


def docx_with(*paragraphs: str) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_template_list_shows_shipped_default_in_effect(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    out = cli("-C", root, "template", "list").stdout
    line = next(line for line in out.splitlines() if line.startswith("agreement.docx"))
    assert "mitgeliefert" in line and "Kooperationsvereinbarung" in line
    data = json.loads(cli("-C", root, "--json", "template", "list").stdout)["templates"]
    entry = next(e for e in data if e["name"] == "agreement.docx")
    assert entry["in_effect"] == "shipped" and entry["shipped"] and not entry["repository"]


def test_template_export_commits_into_repository_and_takes_effect(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo()
    before = git(root, "rev-parse", "HEAD")
    cli("-C", root, "template", "export", "agreement.docx", "--date", "2013-02-01")
    assert (root / "templates/agreement.docx").is_file()
    assert git(root, "rev-parse", "HEAD") != before
    log = git(root, "log", "-1", "--format=%an|%s|%ad", "--date=short", "--name-only")
    assert "Gisela Bernert|Vorlage agreement.docx zum Bearbeiten übernommen|2013-02-01" in log
    assert "templates/agreement.docx" in log
    assert git(root, "status", "--porcelain") == ""
    out = cli("-C", root, "template", "list").stdout
    assert "Repository" in next(line for line in out.splitlines() if "agreement.docx" in line)
    state = tree_state(root)
    again = cli("-C", root, "template", "export", "agreement.docx", ok=False)
    assert again.exit_code == 2 and "--force" in again.stderr
    assert tree_state(root) == state


def test_template_export_to_file_outside_repository_makes_no_commit(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo()
    before = tree_state(root)
    cli("-C", root, "template", "export", "agreement.docx", "-o", tmp_path / "mine.docx")
    assert (tmp_path / "mine.docx").stat().st_size > 1000
    assert tree_state(root) == before


def test_template_export_unknown_name_lists_available(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    result = cli("-C", root, "template", "export", "brief.docx", ok=False)
    assert result.exit_code == 6
    assert "agreement.docx" in result.stderr


def test_template_check_passes_shipped_templates(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    assert "Vorlagen in Ordnung" in cli("-C", root, "template", "check").stdout
    cli("-C", root, "template", "check", "agreement.docx")


def test_template_check_reports_unknown_variable(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"templates/agreement.docx": docx_with("{{ title }}", "{{ kunde.name }}")})
    result = cli("-C", root, "template", "check", ok=False)
    assert result.exit_code == 1
    assert "templates/agreement.docx: unbekannte Variable „kunde“" in result.stdout


def test_template_check_reports_broken_tag_with_its_paragraph(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo(
        {"templates/agreement.docx": docx_with("{{ title }}", "Vertrag mit {{ parties[0.name }}")}
    )
    result = cli("-C", root, "template", "check", "agreement.docx", ok=False)
    assert result.exit_code == 1
    assert "templates/agreement.docx: " in result.stdout
    assert "Vertrag mit" in result.stdout


def test_template_check_accepts_german_quotes_inside_tags(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo({"templates/agreement.docx": docx_with("{{ labels[„who“] }}: {{ title }}")})
    cli("-C", root, "template", "check")
    out = tmp_path / "x.docx"
    cli("-C", root, "agreement", "render", "koop", "-o", out)
    assert "Wer: Kooperationsvereinbarung Integration" in document_text(out.read_bytes())


def test_template_check_reports_sandbox_violation_from_sample_render(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo({"templates/agreement.docx": docx_with("{{ title.__class__.__mro__ }}")})
    result = cli("-C", root, "template", "check", ok=False)
    assert "templates/agreement.docx: Probe-Ausgabe scheitert" in result.stdout


def test_template_check_unknown_name_is_not_found(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    assert cli("-C", root, "template", "check", "nix.docx", ok=False).exit_code == 6
