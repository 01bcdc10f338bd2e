"""A walk over error classes: each ends with its documented exit code, never 3, also in JSON."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import AUTHOR, TODAY, MakeRepo, git
from coopkit.cli.main import main
from coopkit.cli.output import clean

Setup = Callable[[Path, pytest.MonkeyPatch], list[str]]


def _problems(root: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (root / "partners/bad.yaml").write_text("id: bad\n")
    return ["check"]


def _unknown_option(root: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return ["status", "--bogus"]


def _missing_argument(root: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return ["partner", "show"]


def _bad_date(root: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return ["due", "--within", "lots"]


def _refused_step(root: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return ["agreement", "sign", "koop", "--partner", "kreis", "--signatory", "X"]


def _config(root: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return ["--author", "nobody", "partner", "add", "awo", "--name", "AWO"]


def _not_a_repository(root: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return ["-C", str(root.parent), "status"]


def _merge_in_progress(root: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (root / ".git/MERGE_HEAD").write_text(git(root, "rev-parse", "HEAD"))
    return ["partner", "add", "awo", "--name", "AWO"]


def _full_disk(root: Path, mp: pytest.MonkeyPatch) -> list[str]:
    from coopkit.store import atomic

    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    mp.setattr(atomic, "write_atomic", full)
    from coopkit.services import repository

    mp.setattr(repository, "write_atomic", full)
    return ["partner", "add", "awo", "--name", "AWO"]


def _read_only(root: Path, mp: pytest.MonkeyPatch) -> list[str]:
    from coopkit.services import repository

    def read_only(path: Path, data: bytes) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    mp.setattr(repository, "write_atomic", read_only)
    return ["partner", "add", "awo", "--name", "AWO"]


def _permission_denied(root: Path, mp: pytest.MonkeyPatch) -> list[str]:
    from coopkit.services import repository

    def denied(path: Path, data: bytes) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    mp.setattr(repository, "write_atomic", denied)
    return ["partner", "add", "awo", "--name", "AWO"]


def _not_found(root: Path, mp: pytest.MonkeyPatch) -> list[str]:
    return ["partner", "show", "niemand"]


def _broken_template(root: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates/checklist.md.j2").write_text("{% for %}")
    return ["checklist", "-o", str(root.parent / "c.md")]


CASES: list[tuple[str, Setup, int]] = [
    ("problems", _problems, 1),
    ("unknown option", _unknown_option, 2),
    ("missing argument", _missing_argument, 2),
    ("bad option value", _bad_date, 2),
    ("refused step", _refused_step, 2),
    ("config", _config, 4),
    ("not a repository", _not_a_repository, 5),
    ("merge in progress", _merge_in_progress, 5),
    ("full disk", _full_disk, 5),
    ("read-only file system", _read_only, 5),
    ("permission denied", _permission_denied, 5),
    ("not found", _not_found, 6),
    ("broken template", _broken_template, 7),
]


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(["--today", TODAY, "--author", AUTHOR, *args])
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), out, err


@pytest.mark.parametrize(("name", "setup", "expected"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_each_error_class_keeps_its_exit_code(
    make_repo: MakeRepo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    setup: Setup,
    expected: int,
    as_json: bool,
) -> None:
    root = make_repo()
    monkeypatch.chdir(root)
    args = setup(root, monkeypatch)
    if as_json:
        args = ["--json", *args]
    code, out, err = run_main(args, capsys)
    assert code == expected, (out, err)
    assert "Traceback" not in out + err
    if as_json:
        data = json.loads(out)
        assert data["ok"] is False
        assert data["exit_code"] == expected
        assert data["message"]
    else:
        assert (err or out).strip()


def test_a_corrupt_index_is_rebuilt(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo()
    monkeypatch.chdir(root)
    assert run_main(["status"], capsys)[0] == 0
    index = root / ".coop/index.sqlite"
    index.write_bytes(b"SQLite format 3\0" + b"\xff" * 300)
    assert run_main(["status"], capsys)[0] == 0
    assert run_main(["search", "Caritas"], capsys)[0] == 0
    assert index.read_bytes().startswith(b"SQLite format 3\0")


def test_a_truncated_index_is_rebuilt(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo()
    monkeypatch.chdir(root)
    assert run_main(["search", "Caritas"], capsys)[0] == 0
    index = root / ".coop/index.sqlite"
    index.write_bytes(index.read_bytes()[:1500])
    for suffix in ("-wal", "-shm"):
        (root / f".coop/index.sqlite{suffix}").unlink(missing_ok=True)
    assert run_main(["check"], capsys)[0] == 0
    assert run_main(["search", "Caritas"], capsys)[0] == 0


def test_an_unusable_index_is_worked_around(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo()
    monkeypatch.chdir(root)
    (root / ".coop").mkdir()
    (root / ".coop/index.sqlite").mkdir()  # cannot be opened as a database at all
    assert run_main(["status"], capsys)[0] == 0
    code, _, err = run_main(["search", "Caritas"], capsys)
    assert code == 5, err


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_index_is_used_read_less(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo()
    monkeypatch.chdir(root)
    assert run_main(["status"], capsys)[0] == 0
    (root / ".coop/index.sqlite").chmod(0o444)
    (root / ".coop").chmod(0o555)
    try:
        assert run_main(["status"], capsys)[0] == 0
    finally:
        (root / ".coop").chmod(0o755)


def test_no_arguments_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "coop [OPTIONEN]" in capsys.readouterr().out


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "Exit-Codes" in capsys.readouterr().out


def test_control_characters_are_escaped() -> None:
    assert clean("a\x1b[31mrot\x07") == "a\\x1b[31mrot\\x07"
    assert clean("zwei\nZeilen") == "zwei\nZeilen"
    assert clean("zwei\nZeilen", one_line=True) == "zwei\\nZeilen"
    assert clean("\x9b2J") == "\\x9b2J"


def test_untrusted_names_are_printed_harmlessly(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(
        {
            "partners/evil.yaml": 'id: evil\nname: "Evil\\e[2J\\nFAKE: alles gut"\nshort: "E\\e]0;x\\a"\n'
        }
    )
    monkeypatch.chdir(root)
    code, out, err = run_main(["partner", "list"], capsys)
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b" in out
    code, out, err = run_main(["partner", "show", "evil"], capsys)
    assert "\x1b" not in out + err
