"""The command line as a whole: fast start, one error boundary everywhere, help for every command."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from conftest import Cli, MakeRepo
from coopkit.cli.boundary import MARK
from coopkit.cli.main import app

HEAVY = ("sqlmodel", "sqlalchemy", "docx", "docxtpl", "git", "ruamel", "matplotlib", "icalendar")


def subcommands(command: Any) -> Iterator[tuple[str, Any]]:
    """Yield (name, click command) for each command of a group, through click's public means."""
    ctx = command.make_context(command.name or "coop", [], resilient_parsing=True)
    for name in command.list_commands(ctx):
        yield name, command.get_command(ctx, name)


def walk(command: Any, prefix: str = "") -> Iterator[tuple[str, object]]:
    for name, sub in subcommands(command):
        if hasattr(sub, "list_commands"):
            yield from walk(sub, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", getattr(sub.callback, "__wrapped__", sub.callback)


def all_commands() -> list[tuple[str, object]]:
    return list(walk(get_command(app)))


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from coopkit.cli.main import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_every_command_carries_the_error_boundary() -> None:
    commands = all_commands()
    assert len(commands) >= 3
    missing = [name for name, callback in commands if not getattr(callback, MARK, False)]
    assert missing == []


def test_every_command_has_german_help_with_an_example() -> None:
    for name, callback in all_commands():
        doc = (getattr(callback, "__doc__", None) or "").strip()
        assert doc, f"coop {name} has no help text"
        assert "Beispiel" in doc, f"coop {name}: help has no example"


def test_every_group_has_help() -> None:
    for name, sub in subcommands(get_command(app)):
        assert sub.help, f"coop {name} has no help"


def test_internal_error_is_exit_3_without_traceback(
    make_repo: MakeRepo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import coopkit.queries.check as check_module

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaputt")

    monkeypatch.setattr(check_module, "check_snapshot", boom)
    root = make_repo()
    result = cli("-C", root, "check", ok=False)
    assert result.exit_code == 3
    assert "interner Fehler (RuntimeError: kaputt)" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_today_is_a_usage_error(cli: Cli) -> None:
    result = cli("status", today="2014-02-30", ok=False)
    assert result.exit_code == 2
    assert "--today: „2014-02-30“ ist kein Datum" in result.stderr


def test_bad_author_is_a_config_error(make_repo: MakeRepo, cli: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = cli("init", tmp_path / "x", author="nur ein Name", ok=False)
    assert result.exit_code == 4
    assert "erwartet „Name <mail@example.org>“" in result.stderr
    assert not (tmp_path / "x").exists()


def test_json_errors_are_objects(make_repo: MakeRepo, cli: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    result = cli("-C", tmp_path, "--json", "status", ok=False)
    assert result.exit_code == 5
    assert json.loads(result.stdout)["exit_code"] == 5


def test_readme_quick_start_test_line_is_what_ci_runs() -> None:
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text("utf-8")
    line = "pip install -e '.[test]' && pytest"
    assert line in readme
    assert line in (root / ".ci/run").read_text("utf-8")


def _leaf_commands(command: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, sub in subcommands(command):
        if hasattr(sub, "list_commands"):
            yield from _leaf_commands(sub, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", sub


def test_every_example_in_the_help_calls_its_own_command() -> None:
    """An example ("Beispiel: coop …") names the command whose help shows it, in full."""
    wrong = []
    for name, command in _leaf_commands(get_command(app)):
        text = " ".join((command.help or "").split())
        for example in re.findall(r"Beispiel: (coop [^\n]*?)(?:$| Beispiel:)", text):
            words, skip = [], False
            for word in example.split()[1:]:
                if skip or word.startswith("-"):
                    skip = not skip and word in ("-C", "--today", "--lang", "--author")
                    continue
                words.append(word)
            if " ".join(words[: len(name.split())]) != name:
                wrong.append(f"coop {name}: {example}")
    assert wrong == []
