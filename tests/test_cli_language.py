"""The command-line framework speaks the user's language; --lang, --version, --json anywhere."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from conftest import Cli, MakeRepo
from coopkit.cli.main import app

ENGLISH_FRAMEWORD_WORDS = (
    "Usage:",
    "Options:",
    "Arguments:",
    "Commands:",
    "Show this message",
    "required]",
    "default:",
    "[OPTIONS]",
    "COMMAND [ARGS]",
    "completion for",
    " range",
)
GERMAN_FRAMEWORK_WORDS = (
    "Aufruf:",
    "Optionen:",
    "Argumente:",
    "Befehle:",
    "Diese Hilfe",
    "Pflicht]",
    "[Standard:",
    "[OPTIONEN]",
    "BEFEHL",
    "Tab-Vervollständigung",
)
GERMAN_METAVARS = ("ZAHL", "DATUM", "UHRZEIT", "VERZEICHNIS", "SITZUNG", "VEREINBARUNG", "DATEI")
TYPE_METAVAR = re.compile(r"<(?:str|int|float|bool|list|tuple|path|file|datetime|date|dir)\b[^>]*>")


def command_paths() -> Iterator[list[str]]:
    def walk(command: object, prefix: list[str]) -> Iterator[list[str]]:
        yield prefix
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*prefix, name])

    yield from walk(get_command(app), [])


def help_text(lang: str, path: list[str]) -> str:
    result = CliRunner().invoke(app, ["--lang", lang, *path, "--help"])
    assert result.exit_code == 0, result.output
    return result.stdout


def framework_lines(text: str) -> list[str]:
    """Usage line, section titles and the left column of options/arguments (not the help text)."""
    lines: list[str] = []
    in_section = False
    for line in text.splitlines():
        if line.startswith(("Usage", "Aufruf")):
            lines.append(line)
        elif line and not line.startswith(" "):
            in_section = line.endswith(":")
            lines.append(line)
        elif in_section and line.startswith("  ") and not line.startswith("   "):
            lines.append(re.split(r"\s{2,}", line.strip())[0])
    return lines


@pytest.mark.parametrize("path", list(command_paths()), ids=lambda p: " ".join(p) or "coop")
def test_help_is_german_throughout(path: list[str]) -> None:
    text = help_text("de", path)
    found = [w for w in ENGLISH_FRAMEWORD_WORDS if w in text]
    assert found == [], f"coop {' '.join(path)} --help: English words {found}\n{text}"
    assert TYPE_METAVAR.findall(text) == [], text
    assert "Aufruf: coop" in text


@pytest.mark.parametrize("path", list(command_paths()), ids=lambda p: " ".join(p) or "coop")
def test_help_in_english_has_no_german_framework_words(path: list[str]) -> None:
    text = help_text("en", path)
    framework = "\n".join(framework_lines(text))
    found = [w for w in GERMAN_FRAMEWORK_WORDS if w in text]
    found += [w for w in GERMAN_METAVARS if re.search(rf"\b{w}\b", framework)]
    assert found == [], f"coop {' '.join(path)} --help: German words {found}\n{text}"
    assert TYPE_METAVAR.findall(text) == [], text
    assert "Usage: coop" in text


def test_metavars_are_words(cli: Cli) -> None:
    text = cli("meeting", "note", "add", "--help").stdout
    assert "--top ZAHL" in text and "[ab 1; Pflicht]" in text
    assert "Aufruf: coop meeting note add [OPTIONEN] SITZUNG TEXT" in text
    text = cli("--lang", "en", "meeting", "new", "--help").stdout
    assert "--date DATE" in text and "--time TIME" in text


@pytest.mark.parametrize(
    ("args", "german", "english"),
    [
        (["check", "--bogus"], "unbekannte Option: --bogus", "no such option: --bogus"),
        (["check", "--priv"], "gemeint vielleicht --privacy?", "did you mean --privacy?"),
        (["statu"], "unbekannter Befehl „statu“; gemeint vielleicht „status“?", "'statu'"),
        (["search"], "Argument „WÖRTER“ fehlt.", "missing argument 'WORDS'."),
        (["search", "x", "--limit"], "Option „--limit“ braucht einen Wert.", "needs a value"),
        (["search", "x", "--limit", "viele"], "„viele“ ist keine ganze Zahl", "not a whole number"),
        (
            ["meeting", "note", "m", "--top", "0", "x"],
            "ungültiger Wert für „--top“: „0“: erwartet mindestens 1",
            "invalid value for '--top': '0': expected at least 1",
        ),
        (["check", "zu", "viel"], "überzähliges Argument: zu viel", "unexpected extra argument"),
        (["meeting"], "Aufruf: coop meeting", "Usage: coop meeting"),
    ],
)
def test_usage_errors_in_both_languages(args: list[str], german: str, english: str) -> None:
    runner = CliRunner()
    de = runner.invoke(app, args)
    assert de.exit_code == 2
    assert german in de.stderr
    assert "Error" not in de.stderr and "Usage:" not in de.stderr
    en = runner.invoke(app, ["--lang", "en", *args])
    assert en.exit_code == 2
    assert english in en.stderr
    assert "Fehler" not in en.stderr and "Aufruf" not in en.stderr


def test_repository_locale_sets_the_framework_language(make_repo: MakeRepo) -> None:
    root = make_repo({"coop.toml": 'name = "Test"\nlocale = "en"\n'})
    result = CliRunner().invoke(app, ["-C", str(root), "check", "--bogus"])
    assert result.exit_code == 2
    assert "Error: no such option: --bogus" in result.stderr


@pytest.mark.parametrize("value", ["fr", "DE", "deutsch", ""])
def test_unknown_lang_is_a_usage_error(cli: Cli, value: str) -> None:
    result = cli("--lang", value, "status", ok=False)
    assert result.exit_code == 2
    assert "erlaubt: de oder en" in result.stderr


def test_unknown_coop_lang_is_a_usage_error(
    cli: Cli, make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo()
    monkeypatch.setenv("COOP_LANG", "fr")
    result = cli("-C", root, "status", ok=False)
    assert result.exit_code == 2
    assert "COOP_LANG: „fr“ ist keine Sprache; erlaubt: de oder en" in result.stderr


def test_literal_errors_list_alternatives_in_the_language(cli: Cli, make_repo: MakeRepo) -> None:
    root = make_repo({"coop.toml": 'name = "Test"\nlocale = "fr"\n'})
    german = cli("-C", root, "--lang", "de", "check", ok=False).stdout
    assert "erwartet: de oder en" in german
    english = cli("-C", root, "--lang", "en", "check", ok=False).stdout
    assert "expected: de or en" in english


def test_version(cli: Cli) -> None:
    from coopkit import __version__

    result = cli("--version")
    assert result.stdout.strip() == f"coop {__version__}"
    assert re.fullmatch(r"coop \d+\.\d+\.\d+", result.stdout.strip())


@pytest.mark.parametrize("command", [["check"], ["due"], ["status"], ["partner", "list"]])
def test_json_after_the_command_equals_the_global_flag(
    cli: Cli, make_repo: MakeRepo, command: list[str]
) -> None:
    root = make_repo()
    before = cli("-C", root, "--json", *command, ok=None)
    after = cli("-C", root, *command, "--json", ok=None)
    assert after.exit_code == before.exit_code
    assert json.loads(after.stdout) == json.loads(before.stdout)


def test_json_after_double_dash_is_an_argument(cli: Cli, make_repo: MakeRepo) -> None:
    root = make_repo()
    result = cli("-C", root, "search", "--", "--json", ok=None)
    assert not result.stdout.lstrip().startswith("{")


def test_help_imports_no_heavy_library_in_german() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from coopkit.cli.main import app\n"
        "try:\n    app(['meeting', 'new', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlmodel', 'sqlalchemy', 'docx', 'git', 'ruamel', 'matplotlib', 'babel')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path("/")
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_root_help_and_exit_codes_in_english(cli: Cli) -> None:
    text = cli("--lang", "en", "--help").stdout
    assert "Exit codes: 0 ok, 1 problems in the files, 2 usage" in text
    assert "Output as JSON (also after the command)." in text
    assert "Exit-Codes" not in text and "Ausgabe als JSON" not in text
    assert "Exit-Codes: 0 ok" in cli("--help").stdout
