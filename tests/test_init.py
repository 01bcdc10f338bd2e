"""`coop init`: identity and target checked first, one commit of the skeleton, nothing left on failure."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import Cli, git, git_env, tree_state


def _all_paths(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def test_init_makes_exactly_one_commit_of_the_skeleton(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "neu"
    cli("init", target, "--name", "Integration im Landkreis")
    assert git(target, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(target, "log", "-1", "--format=%s").strip() == (
        "coop-Repository „Integration im Landkreis“ angelegt"
    )
    assert git(target, "log", "-1", "--format=%an <%ae>").strip() == (
        "Gisela Bernert <bernert@kreis-myk.example>"
    )
    files = git(target, "ls-files").split()
    assert {"coop.toml", ".gitignore", "partners/.gitkeep", "minutes/.gitkeep"} <= set(files)
    assert any(f.startswith("templates/") for f in files)
    assert git(target, "status", "--porcelain", "--untracked-files=all") == ""
    assert ".coop/" in (target / ".gitignore").read_text().split()


def test_a_colleagues_clone_is_a_valid_repository(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "neu"
    cli("init", target)
    clone = tmp_path / "kollegin"
    subprocess.run(["git", "clone", "-q", str(target), str(clone)], check=True, env=git_env())
    assert "keine Probleme gefunden" in cli("-C", clone, "check").stdout
    assert (clone / "partners").is_dir() and (clone / "agreements").is_dir()


def test_init_in_english_writes_an_english_message(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "new"
    cli("--lang", "en", "init", target, "--name", "Pilot")
    assert git(target, "log", "-1", "--format=%s").strip() == 'Create coop repository "Pilot"'
    assert 'locale = "en"' in (target / "coop.toml").read_text()


def test_init_without_identity_leaves_nothing_behind(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "neu"
    result = cli("init", target, author="", ok=False)
    assert result.exit_code == 4
    assert "wer legt das Repository an?" in result.stderr
    assert not target.exists()
    empty = tmp_path / "leer"
    empty.mkdir()
    assert cli("init", empty, author="", ok=False).exit_code == 4
    assert _all_paths(empty) == []


def test_init_with_identity_from_git_config(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Jan Meyer\n\temail = meyer@jobcenter.example\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    target = tmp_path / "neu"
    cli("init", target, author="")
    assert git(target, "log", "-1", "--format=%an").strip() == "Jan Meyer"


def test_a_failed_commit_takes_everything_back(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coopkit.errors import RepositoryError, T
    from coopkit.store.git import GitRepo

    def refuse(*args: object, **kwargs: object) -> str:
        raise RepositoryError(T("git commit fehlgeschlagen: Platte voll", "disk full"))

    monkeypatch.setattr(GitRepo, "commit_paths", refuse)
    target = tmp_path / "a" / "neu"
    result = cli("init", target, ok=False)
    assert result.exit_code == 5
    assert not (tmp_path / "a").exists()
    monkeypatch.undo()
    cli("init", target)
    assert git(target, "rev-list", "--count", "HEAD").strip() == "1"


def test_an_interrupted_init_can_be_run_again(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "neu"
    target.mkdir()
    git(target, "init", "-q", "-b", "main")
    (target / "coop.toml").write_text('name = "halb"\n')
    (target / "partners").mkdir()
    (target / "partners/.gitkeep").write_text("")
    (target / ".coop.toml.abc123.tmp").write_text("halb")
    cli("init", target, "--name", "Ganz")
    assert git(target, "rev-list", "--count", "HEAD").strip() == "1"
    assert 'name = "Ganz"' in (target / "coop.toml").read_text()
    result = cli("init", target, ok=False)
    assert result.exit_code == 5
    assert "schon ein coop-Repository" in result.stderr


def test_init_refuses_a_dirty_repository(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "projekt"
    target.mkdir()
    git(target, "init", "-q", "-b", "main")
    (target / "README").write_text("x\n")
    git(target, "add", "README")
    git(target, "commit", "-q", "-m", "start")
    (target / "notiz.txt").write_text("offen\n")
    before = tree_state(target)
    result = cli("init", target, ok=False)
    assert result.exit_code == 5
    assert "nicht übernommene Änderungen (notiz.txt)" in result.stderr
    assert tree_state(target) == before and not (target / "coop.toml").exists()


def test_init_adds_one_commit_to_a_clean_repository(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "projekt"
    target.mkdir()
    git(target, "init", "-q", "-b", "main")
    (target / ".gitignore").write_text("*.pdf")
    git(target, "add", ".gitignore")
    git(target, "commit", "-q", "-m", "start")
    cli("init", target)
    assert git(target, "rev-list", "--count", "HEAD").strip() == "2"
    assert (target / ".gitignore").read_text() == "*.pdf\n.coop/\n"
    assert git(target, "status", "--porcelain") == ""


def test_init_refuses_a_non_empty_folder_that_is_no_repository(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "ablage"
    target.mkdir()
    (target / "brief.docx").write_bytes(b"x")
    result = cli("init", target, ok=False)
    assert result.exit_code == 5
    assert "ist nicht leer (brief.docx)" in result.stderr
    assert _all_paths(target) == ["brief.docx"]


def test_init_refuses_a_file_as_target(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "datei"
    target.write_text("x")
    assert cli("init", target, ok=False).exit_code == 5
    assert target.read_text() == "x"
