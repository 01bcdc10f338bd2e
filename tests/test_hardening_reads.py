"""Inside the repository only regular files are read: links, FIFOs and devices are refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from conftest import Cli, MakeRepo, git, head
from coopkit.store.files import WorkTree, read_regular
from coopkit.store.regular import FileRefused
from coopkit.store.text import MAX_FILE_BYTES

SECRET = "geheimer-schluessel-4711"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "id_secret"
    path.parent.mkdir()
    path.write_text(f"id: stolen\nname: {SECRET}\n")
    return path


def test_check_reports_a_record_that_is_a_symlink_and_does_not_load_it(
    make_repo: MakeRepo, cli: Cli, secret: Path
) -> None:
    root = make_repo()
    (root / "partners/stolen.yaml").symlink_to(secret)
    result = cli("-C", root, "check", ok=False)
    assert result.exit_code == 1
    assert "partners/stolen.yaml: Verknüpfung (Symlink) nicht erlaubt" in result.stdout
    listed = cli("-C", root, "partner", "list").stdout
    assert SECRET not in listed and "stolen" not in listed


def test_a_linked_record_folder_is_refused(make_repo: MakeRepo, cli: Cli, tmp_path: Path) -> None:
    root = make_repo()
    outside = tmp_path / "elsewhere"
    (outside / "x").mkdir(parents=True)
    (outside / "x" / "agreement.md").write_text("---\nid: x\n---\n")
    (root / "agreements/x").symlink_to(outside / "x")
    result = cli("-C", root, "check", ok=False)
    assert "agreements/x: Verknüpfung (Symlink) nicht erlaubt" in result.stdout


def test_a_fifo_among_the_records_is_reported_not_waited_for(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    os.mkfifo(root / "partners/pipe.yaml")
    result = cli("-C", root, "check", ok=False)
    assert "partners/pipe.yaml: eine FIFO (named pipe), keine gewöhnliche Datei" in result.stdout
    cli("-C", root, "status")


def test_a_link_to_dev_zero_is_refused_without_reading(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    (root / "minutes").mkdir(exist_ok=True)
    (root / "minutes/2014-01-01-null.md").symlink_to("/dev/zero")
    result = cli("-C", root, "check", ok=False)
    assert "minutes/2014-01-01-null.md: Verknüpfung (Symlink) nicht erlaubt" in result.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")
def test_a_device_node_is_refused_before_opening(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    os.mknod(root / "partners/zero.yaml", stat.S_IFCHR | 0o644, os.makedev(1, 5))
    result = cli("-C", root, "check", ok=False)
    assert "partners/zero.yaml: ein Gerät, keine gewöhnliche Datei" in result.stdout


def test_read_regular_stops_at_the_limit_while_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"x" * (MAX_FILE_BYTES + 10))
    with pytest.raises(FileRefused) as info:
        read_regular(big, MAX_FILE_BYTES)
    assert info.value.code == "too-large"
    small = tmp_path / "small.yaml"
    small.write_bytes(b"id: a\n")
    assert read_regular(small, MAX_FILE_BYTES) == b"id: a\n"
    link = tmp_path / "link.yaml"
    link.symlink_to(small)
    with pytest.raises(FileRefused, match="symbolic link"):
        read_regular(link, MAX_FILE_BYTES)


def test_worktree_refuses_a_file_reached_through_a_linked_folder(
    make_repo: MakeRepo, secret: Path
) -> None:
    root = make_repo()
    (root / "partners/sub").symlink_to(secret.parent)
    with pytest.raises(FileRefused):
        WorkTree(root).read("partners/sub/id_secret")


def test_template_symlink_is_reported_and_never_rendered(
    make_repo: MakeRepo, cli: Cli, secret: Path, tmp_path: Path
) -> None:
    root = make_repo()
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates/minutes.md.j2").symlink_to(secret)
    git(root, "add", "templates")
    git(root, "commit", "-q", "-m", "a committed template link")
    check = cli("-C", root, "check", ok=False)
    assert "templates/minutes.md.j2: Verknüpfung (Symlink) nicht erlaubt" in check.stdout
    template_check = cli("-C", root, "template", "check", ok=False)
    assert "templates/minutes.md.j2: Verknüpfung (Symlink) nicht erlaubt" in template_check.stdout
    cli("-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-03-01")
    out = tmp_path / "minutes.md"
    result = cli(
        "-C",
        root,
        "meeting",
        "render",
        "2014-03-01-arbeitstreffen",
        "--format",
        "md",
        "-o",
        out,
        ok=False,
    )
    assert result.exit_code == 7
    assert "minutes.md.j2" in result.stderr
    assert not out.exists() or SECRET not in out.read_text()


def test_a_linked_templates_folder_is_refused(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo()
    outside = tmp_path / "tpl"
    outside.mkdir()
    (outside / "checklist.md.j2").write_text(SECRET)
    (root / "templates").symlink_to(outside)
    result = cli("-C", root, "checklist", "-o", tmp_path / "c.md", ok=False)
    assert result.exit_code == 7
    assert "templates/: Verknüpfung (Symlink) nicht erlaubt" in result.stderr


def test_a_fifo_template_is_refused(make_repo: MakeRepo, cli: Cli, tmp_path: Path) -> None:
    root = make_repo()
    (root / "templates").mkdir(exist_ok=True)
    os.mkfifo(root / "templates/checklist.md.j2")
    result = cli("-C", root, "checklist", "-o", tmp_path / "c.md", ok=False)
    assert result.exit_code == 7
    assert "keine gewöhnliche Datei" in result.stderr


def test_coop_toml_symlink_is_refused(make_repo: MakeRepo, cli: Cli, tmp_path: Path) -> None:
    root = make_repo()
    real = tmp_path / "real.toml"
    real.write_text('name = "Anders"\n')
    (root / "coop.toml").unlink()
    (root / "coop.toml").symlink_to(real)
    result = cli("-C", root, "check", ok=False)
    assert "coop.toml: Verknüpfung (Symlink) nicht erlaubt" in result.stdout


def test_a_committed_lock_symlink_never_truncates_its_target(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo()
    victim = tmp_path / "victim.txt"
    victim.write_text("wertvoll\n")
    (root / ".coop").mkdir()
    (root / ".coop/lock").symlink_to(victim)
    git(root, "add", "-f", ".coop/lock")
    git(root, "commit", "-q", "-m", "a committed lock link")
    before = head(root)
    result = cli("-C", root, "partner", "add", "awo", "--name", "AWO", ok=False)
    assert result.exit_code == 5
    assert ".coop" in result.stderr and "git" in result.stderr
    assert victim.read_text() == "wertvoll\n"
    assert head(root) == before


def test_an_untracked_lock_symlink_is_refused(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo()
    victim = tmp_path / "victim.txt"
    victim.write_text("wertvoll\n")
    (root / ".coop").mkdir()
    (root / ".coop/lock").symlink_to(victim)
    result = cli("-C", root, "partner", "add", "awo", "--name", "AWO", ok=False)
    assert result.exit_code == 5
    assert "Sperrdatei" in result.stderr and "Symlink" in result.stderr
    assert victim.read_text() == "wertvoll\n"


def test_a_coop_folder_that_is_a_symlink_is_refused(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / ".coop").symlink_to(elsewhere)
    result = cli("-C", root, "check", ok=False)
    assert result.exit_code == 5
    assert "Verknüpfung" in result.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_tracked_index_is_never_used(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    (root / ".coop").mkdir()
    (root / ".coop/index.sqlite").write_bytes(b"forged")
    git(root, "add", "-f", ".coop/index.sqlite")
    git(root, "commit", "-q", "-m", "a committed index")
    result = cli("-C", root, "status", ok=False)
    assert result.exit_code == 5
    assert "git rm -r --cached .coop" in result.stderr


def test_revision_refuses_a_committed_symlink(make_repo: MakeRepo, secret: Path) -> None:
    from coopkit.services.repository import load
    from coopkit.store.files import Revision
    from coopkit.store.git import GitRepo

    root = make_repo()
    (root / "partners/stolen.yaml").symlink_to(secret)
    git(root, "add", "partners/stolen.yaml")
    git(root, "commit", "-q", "-m", "link")
    with GitRepo(root) as repo:
        loaded = load(Revision(repo, head(root)))
    assert "stolen" not in loaded.data.partners
    assert any(
        p.source.path == "partners/stolen.yaml" and p.code == "symlink" for p in loaded.problems
    )


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "too-large"])
def test_evidence_file_must_be_a_bounded_regular_file(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coopkit.services import signoffs

    root = make_repo(approve=False)
    cli("-C", root, "agreement", "release", "koop")
    evidence = tmp_path / "scan.pdf"
    if kind == "fifo":
        os.mkfifo(evidence)
    elif kind == "dev-zero":
        evidence = Path("/dev/zero")
    else:
        monkeypatch.setattr(signoffs, "MAX_EVIDENCE_BYTES", 10)
        evidence.write_bytes(b"%PDF-1.7 and more than ten bytes")
    before = head(root)
    result = cli(
        "-C", root, "agreement", "sign", "koop", "--partner", "kreis", "--signatory", "X",
        "--evidence", evidence, ok=False,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "Nachweis" in result.stderr
    assert head(root) == before


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_key_file_must_be_a_regular_file(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, kind: str
) -> None:
    root = make_repo()
    key = tmp_path / "id.pub"
    if kind == "fifo":
        os.mkfifo(key)
    else:
        key = Path("/dev/zero")
    result = cli("-C", root, "partner", "key", "add", "kreis", key, ok=False)
    assert result.exit_code == 2
    assert "Schlüsseldatei" in result.stderr


def test_a_write_onto_a_linked_record_is_refused_before_reading_it(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo()
    os.mkfifo(tmp_path / "pipe")
    (root / "partners/awo.yaml").symlink_to(tmp_path / "pipe")
    before = head(root)
    result = cli("-C", root, "partner", "add", "awo", "--name", "AWO", ok=False)
    assert result.exit_code in (1, 2)
    assert "partners/awo.yaml" in result.stderr
    assert (root / "partners/awo.yaml").is_symlink()
    assert head(root) == before


def test_a_change_laid_over_a_link_is_a_problem(make_repo: MakeRepo, tmp_path: Path) -> None:
    from datetime import date

    from coopkit.errors import ProblemsFound
    from coopkit.queries.context import Context
    from coopkit.services.repository import commit_changes

    root = make_repo()
    os.mkfifo(tmp_path / "pipe")
    (root / "partners/awo.yaml").symlink_to(tmp_path / "pipe")
    ctx = Context(root=root, today=date(2014, 2, 7), author_text="A <a@b.example>")
    with pytest.raises(ProblemsFound) as info:
        commit_changes(ctx, {"partners/awo.yaml": b"id: awo\nname: AWO\n"}, "Add awo")
    assert [p.code for p in info.value.problems] == ["symlink"]
    assert (root / "partners/awo.yaml").is_symlink()


def test_history_reads_are_bounded(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    from coopkit.errors import RepositoryError
    from coopkit.services.repository import load
    from coopkit.store import git as git_module
    from coopkit.store import text
    from coopkit.store.files import Revision
    from coopkit.store.git import GitRepo

    root = make_repo()
    (root / "partners/big.yaml").write_bytes(b"id: big\nname: B\n# " + b"x" * 2000 + b"\n")
    git(root, "add", "partners/big.yaml")
    git(root, "commit", "-q", "-m", "big")
    with GitRepo(root) as repo:
        assert repo.read_blob("HEAD", "partners/kreis.yaml")
        assert repo.read_blob("HEAD", "partners/none.yaml") is None
        monkeypatch.setattr(git_module, "MAX_BLOB_BYTES", 1000)
        with pytest.raises(RepositoryError, match="at most 1000 bytes"):
            repo.read_blob("HEAD", "partners/big.yaml")
        monkeypatch.setattr("coopkit.store.files.MAX_FILE_BYTES", 1000)
        loaded = load(Revision(repo, head(root)))
    assert text.MAX_FILE_BYTES > 1000
    assert any(
        p.source.path == "partners/big.yaml" and p.code == "too-large" for p in loaded.problems
    )


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_an_output_never_replaces_a_special_file(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, kind: str
) -> None:
    root = make_repo()
    target = tmp_path / "out.docx"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target = Path("/dev/null")
    result = cli("-C", root, "agreement", "render", "koop", "-o", target, ok=False)
    assert result.exit_code == 2
    assert "keine gewöhnliche Datei" in result.stderr
    mode = os.lstat(target).st_mode
    assert stat.S_ISFIFO(mode) if kind == "fifo" else stat.S_ISCHR(mode)
