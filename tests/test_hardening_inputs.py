"""What coop is handed from outside: links in .coop/ and output paths, named files, dates,
YAML aliases, and what a killed write leaves behind."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from conftest import Cli, MakeRepo, copy_example, git, head
from coopkit.store import git as store_git


def _outside_db(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE theirs (x)")
    db.commit()
    db.close()
    return path


def _tables(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return sorted(r[0] for r in db.execute("SELECT name FROM sqlite_master"))
    finally:
        db.close()


def _dead_pid() -> int:
    done = subprocess.run(["true"], check=True)
    assert done.returncode == 0
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


# ------------------------------------------------------------------ .coop/ stores and the lock


def test_links_in_coop_folder_are_never_written_through(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo()
    cli("-C", root, "status")
    outside = {}
    for name in ("state.sqlite", "facts.sqlite", "index.sqlite"):
        target = _outside_db(tmp_path / f"{name.split('.')[0]}-theirs.db")
        outside[name] = target
        (root / ".coop" / name).unlink(missing_ok=True)
        (root / ".coop" / name).symlink_to(target)
    # SQLite's companion files too: a link where the write-ahead log goes, a hard link.
    theirs = tmp_path / "theirs.log"
    theirs.write_bytes(b"mine")
    (root / ".coop" / "state.sqlite-wal").symlink_to(theirs)
    (root / ".coop" / "facts.sqlite-wal").unlink(missing_ok=True)
    os.link(theirs, root / ".coop" / "facts.sqlite-wal")
    cli("-C", root, "status")
    cli("-C", root, "search", "Caritas")
    cli("-C", root, "partner", "set", "kreis", "short", "Landkreis")
    for name, target in outside.items():
        assert _tables(target) == ["theirs"], name
        assert not (root / ".coop" / name).is_symlink()
    assert theirs.read_bytes() == b"mine"
    (root / ".coop" / "lock").unlink()
    (root / ".coop" / "lock").symlink_to(tmp_path / "outside-lock")
    result = cli("-C", root, "partner", "set", "kreis", "short", "Kreis", ok=False)
    assert result.exit_code == 5
    assert "Sperrdatei" in result.stderr and "Verknüpfung" in result.stderr
    assert not (tmp_path / "outside-lock").exists()


# ------------------------------------------------------------------ output paths


def test_output_paths_never_pass_a_link_inside_the_repository(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "out").symlink_to("../elsewhere")
    monkeypatch.chdir(root)
    for args in (
        ("agreement", "render", "koop"),
        ("agreement", "render", "koop", "-o", "out/koop.docx"),
        ("render", "--all", "-o", "out/docs"),
    ):
        result = cli("-C", root, *args, ok=False)
        assert result.exit_code == 2, args
        assert "„out“ ist eine Verknüpfung (Symlink) im Repository" in result.stderr
    assert list(elsewhere.iterdir()) == []
    # Refused before anything is created.
    result = cli("-C", root, "agreement", "render", "koop", "-o", ".git/x/y.docx", ok=False)
    assert result.exit_code == 2
    assert not (root / ".git" / "x").exists()
    # The repository named through a link, and with "..", is still the repository.
    alias = tmp_path / "alias"
    alias.symlink_to(root)
    for where in (alias, alias / "partners" / ".."):
        result = cli(
            "-C", where, "agreement", "render", "koop", "-o", alias / "templates/x.docx", ok=False
        )
        assert result.exit_code == 2
        assert "templates/" in result.stderr
    # A link outside the repository is the user's own folder: followed.
    mine = tmp_path / "mine"
    mine.symlink_to(elsewhere)
    cli("-C", root, "agreement", "render", "koop", "-o", mine / "sub" / "koop.docx")
    assert (elsewhere / "sub" / "koop.docx").is_file()


# ------------------------------------------------------------------ files named on the command line


def test_named_files_are_refused_unless_regular_and_bounded_before_any_read(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo()
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    opened: list[str] = []
    real_open = os.open

    def recording_open(path: object, *args: object, **kwargs: object) -> int:
        opened.append(os.fsdecode(path))  # type: ignore[arg-type]
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", recording_open)
    sign = ("agreement", "sign", "koop", "--partner", "kreis")
    commands = {
        "key add": ("partner", "key", "add", "kreis", "{f}", "--confirmed", "per Brief"),
        "trust pin": ("trust", "pin", "{f}"),
        "manifest": ("report", "--repos", "--manifest", "{f}", "--year", "2013"),
        "import": (*sign, "--import", "{f}"),
        "evidence": (*sign, "--signatory", "X", "--method", "wet-ink", "--evidence", "{f}"),
    }
    for source in (pipe, Path("/dev/zero")):
        for name, args in commands.items():
            filled = [str(source) if a == "{f}" else a for a in args]
            result = cli("-C", root, *filled, ok=False)
            # The FIFO has no writer: opening it for reading would have blocked here.
            assert result.exit_code == 2, (name, source, result.stderr)
            assert "keine gewöhnliche Datei" in result.stderr, (name, source)
    assert str(pipe) not in opened and "/dev/zero" not in opened
    # Above the bound (1 MiB for a list of repositories): refused by size, not read.
    big = tmp_path / "list.txt"
    big.write_bytes(b"#" * (1024 * 1024 + 1))
    result = cli("-C", root, "report", "--repos", "--manifest", big, "--year", "2013", ok=False)
    assert result.exit_code == 2 and "höchstens 1048576 Bytes" in result.stderr


def test_a_sign_request_with_an_unreadable_date_is_a_usage_error(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo({"agreements/koop/agreement.md": "---\nid: koop\n---\n"}, approve=False)
    request = tmp_path / "anfrage.txt"
    fields = {"agreement": "koop", "version": "v1", "partner": "kreis", "signatory": "X"}
    request.write_text("Bitte signieren\n" + json.dumps({**fields, "date": "2014-13-45"}) + "\n")
    (tmp_path / "anfrage.txt.sig").write_text(
        "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n"
    )
    before = head(root)
    result = cli(
        "-C", root, "agreement", "sign", "koop", "--partner", "kreis", "--import",
        tmp_path / "anfrage.txt.sig", ok=False,
    )  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert "die Anfrage ist fehlerhaft" in result.stderr and "2014-13-45" in result.stderr
    assert head(root) == before


# ------------------------------------------------------------------ date options


def test_date_options_accept_only_what_the_command_can_record(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo()
    before = head(root)
    recorded = (
        ("agreement", "terminate", "koop", "--by", "caritas", "--date", "2099-01-01"),
        ("agreement", "sign-request", "koop", "--partner", "kreis", "--signatory", "X",
         "--date", "2014-02-08"),
        ("agreement", "sign", "koop", "--partner", "kreis", "--signatory", "X",
         "--date", "2014-02-08"),
    )  # fmt: skip
    for args in recorded:
        result = cli("-C", root, *args, ok=False)
        assert result.exit_code == 2, args
        assert "liegt nach heute (2014-02-07)" in result.stderr, args
    result = cli(
        "-C", root, "agreement", "terminate", "koop", "--by", "caritas",
        "--date", "2014-02-01", "--effective", "2090-01-01", ok=False,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--effective: 2090-01-01 liegt außerhalb von 1900-01-01 bis 2064-12-31" in (
        result.stderr
    )
    assert head(root) == before


# ------------------------------------------------------------------ YAML, empty files, times


def test_yaml_aliases_empty_records_and_times_are_refused_where_they_enter(
    make_repo: MakeRepo, cli: Cli
) -> None:
    from coopkit.store.yamlio import load_data

    many = "id: x\nname: &a x\ncontacts: [" + ",".join(["*a"] * 200_000) + "]\n"
    _, _, problems = load_data(many, "partners/x.yaml")
    # Stopped at the first alias: two problems, not 200,001, and nothing expanded.
    assert [str(p.source) for p in problems] == ["partners/x.yaml:2:7", "partners/x.yaml:3:12"]
    root = make_repo({"minutes/2014-01-10-leer.md": "---\n---\n"})
    result = cli("-C", root, "check", ok=False)
    assert "minutes/2014-01-10-leer.md:1:1: Pflichtfeld „id“ fehlt" in result.stdout
    before = head(root)
    result = cli(
        "-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-03-01",
        "--title", "T", "--time", "14:00\n", ok=False,
    )  # fmt: skip
    assert result.exit_code == 2 and "keine Uhrzeit" in result.stderr
    assert head(root) == before


# ------------------------------------------------------------------ killed writes, hooks


def test_a_killed_commit_leaves_neither_a_lock_nor_a_half_written_change(
    make_repo: MakeRepo, cli: Cli
) -> None:
    from coopkit.store.journal import write_journal

    root = make_repo()
    cli("-C", root, "status")
    # A commit killed after taking git's index.lock: its private copy is the lock.
    folder = root / ".git" / f"{store_git.PRIVATE_PREFIX}{_dead_pid()}-x"
    folder.mkdir()
    (folder / store_git.STAGED_INDEX).write_bytes((root / ".git" / "index").read_bytes())
    (folder / store_git.PUBLISHING).write_text(f"refs/heads/main\n{'0' * 40}\n")
    os.link(folder / store_git.STAGED_INDEX, root / ".git" / "index.lock")
    # ... and a write killed between its files and its commit.
    kreis = root / "partners/kreis.yaml"
    old = kreis.read_bytes()
    new = old.replace(b"short: Kreis", b"short: Halb")
    write_journal(root, {"partners/kreis.yaml": (old, new)})
    kreis.write_bytes(new)
    cli("-C", root, "partner", "set", "jobcenter", "short", "JC")
    assert not (root / ".git" / "index.lock").exists() and not folder.exists()
    assert kreis.read_bytes() == old
    assert git(root, "status", "--porcelain") == ""
    assert not (root / ".coop" / "pending-write").exists()
    # A lock coop did not make is never removed.
    (root / ".git" / "index.lock").write_bytes(b"")
    result = cli("-C", root, "partner", "set", "jobcenter", "short", "J", ok=False)
    assert result.exit_code == 5 and "git-Index gesperrt" in result.stderr
    assert (root / ".git" / "index.lock").exists()


def test_every_commit_hook_runs_with_its_arguments(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo()
    seen = tmp_path / "seen"
    hooks = root / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    scripts = {
        "pre-commit": f'echo pre-commit >> "{seen}"\n',
        "prepare-commit-msg": f'echo "prepare $2" >> "{seen}"\necho "Ticket: 7" >> "$1"\n',
        "commit-msg": f'echo commit-msg >> "{seen}"\n',
        "post-commit": f'echo post-commit >> "{seen}"\nexit 1\n',
    }
    for name, script in scripts.items():
        (hooks / name).write_text("#!/bin/sh\n" + script)
        (hooks / name).chmod(0o755)
    cli("-C", root, "partner", "set", "kreis", "short", "Landkreis")
    assert seen.read_text().split("\n") == [
        "pre-commit",
        "prepare message",
        "commit-msg",
        "post-commit",
        "",
    ]
    assert "Ticket: 7" in git(root, "log", "-1", "--format=%B")
    (hooks / "prepare-commit-msg").write_text("#!/bin/sh\necho nein >&2\nexit 1\n")
    before = head(root)
    result = cli("-C", root, "partner", "set", "kreis", "short", "Kreis", ok=False)
    assert result.exit_code == 5 and "prepare-commit-msg" in result.stderr
    assert head(root) == before
    assert git(root, "status", "--porcelain") == ""


REFUSED_OUTPUTS = [
    ".git/x/y.docx",
    ".git/hooks/x/y.docx",
    ".coop/x/y.docx",
    "templates/x/y.docx",
    "partners/x/y.docx",
    "minutes/x/y.docx",
    "agreements/myk-caritas-ko/x/y.docx",
    "neu/../.git/x/y.docx",
    "coop.toml/x/y.docx",
    "verknuepft/x/y.docx",
    "partners",
]


def _folders_and_files(root: Path) -> tuple[set[str], set[str]]:
    """Every folder below `root`, and every file outside the disposable index `.coop/`."""
    folders, files = set(), set()
    for here, dirs, names in os.walk(root):
        rel = Path(here).relative_to(root)
        folders.update((rel / d).as_posix() for d in dirs)
        if rel.parts[:1] != (".coop",):
            files.update((rel / n).as_posix() for n in names)
    return folders, files


@pytest.mark.parametrize("output", REFUSED_OUTPUTS)
def test_a_refused_output_leaves_no_folder_behind(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str
) -> None:
    root = copy_example(tmp_path / "repo")
    (root / "verknuepft").symlink_to(tmp_path)
    monkeypatch.chdir(root)
    cli("check", ok=None)  # builds the index in .coop/ first
    before = _folders_and_files(root), _folders_and_files(tmp_path)
    result = cli("meeting", "render", "2014-02-05-evaluation", "-o", output, ok=False)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("Fehler: Ausgabe "), result.stderr
    assert (_folders_and_files(root), _folders_and_files(tmp_path)) == before


def test_folders_made_for_an_output_are_removed_when_its_write_fails(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coopkit.errors import T, UsageError
    from coopkit.services import outputs

    root = copy_example(tmp_path / "repo")

    def refuse(path: Path, data: bytes) -> None:
        assert path.parent.is_dir()  # the folders were made for it
        raise UsageError(T("{p} abgelehnt", "{p} refused", p=str(path)))

    monkeypatch.setattr(outputs, "write_atomic", refuse)
    (tmp_path / "da").mkdir()
    target = tmp_path / "da" / "neu" / "tiefer" / "y.docx"
    result = cli("-C", root, "meeting", "render", "2014-02-05-evaluation", "-o", target, ok=False)
    assert result.exit_code == 2
    assert list((tmp_path / "da").iterdir()) == []
