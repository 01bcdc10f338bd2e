from pathlib import Path

from conftest import Cli, MakeRepo, tree_state


def test_check_accepts_a_valid_repository(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    result = cli("-C", root, "check")
    assert "keine Probleme" in result.stdout


def test_check_reports_unknown_partner_with_line(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"partners/caritas.yaml": "id: caritas\nname: C\n"})
    text = (root / "agreements/koop/agreement.md").read_text()
    (root / "agreements/koop/agreement.md").write_text(text.replace("by: caritas", "by: caritas-x"))
    before = tree_state(root)
    result = cli("-C", root, "check", ok=False)
    assert result.exit_code == 1
    assert "agreements/koop/agreement.md:13:9: unbekannter Partner „caritas-x“" in result.stdout
    assert tree_state(root) == before


def test_init_creates_committed_repository(tmp_path: Path, cli: Cli) -> None:
    cli("init", tmp_path / "neu", "--name", "Neu")
    cli("-C", tmp_path / "neu", "check")
