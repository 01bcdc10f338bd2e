"""Every `--json` answer is an object carrying `"ok"`, and every table column has a header."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import Cli, git

DEMO_TODAY = "2014-04-30"

READ_ONLY = [
    ("status",),
    ("check",),
    ("check", "--privacy"),
    ("log",),
    ("log", "agreements/myk-caritas-ko/agreement.md"),
    ("search", "Hospitation"),
    ("due",),
    ("due", "--overdue"),
    ("trust", "show"),
    ("config", "show"),
    ("due", "--person", "caritas-ko/petrovic"),
    ("agreement", "list"),
    ("agreement", "show", "myk-caritas-ko"),
    ("agreement", "verify"),
    ("agreement", "log", "myk-caritas-ko"),
    ("agreement", "diff", "myk-caritas-ko", "v1", "v2"),
    ("partner", "list"),
    ("partner", "show", "caritas-ko"),
    ("meeting", "list"),
    ("meeting", "show", "2014-02-05-evaluation"),
    ("action", "list"),
    ("obligation", "list"),
    ("obligation", "matrix"),
    ("template", "list"),
    ("template", "check"),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`coop demo` once for the module: its repository is only read here."""
    import subprocess

    target = tmp_path_factory.mktemp("json-ok") / "demo"
    subprocess.run(
        [sys.executable, "-m", "coopkit.cli", "--author", "Test <test@example.org>", "demo"]
        + [str(target)],
        check=True,
        capture_output=True,
    )
    return target


@pytest.mark.parametrize("argv", READ_ONLY, ids=" ".join)
def test_every_json_answer_says_ok(demo: Path, cli: Cli, argv: tuple[str, ...]) -> None:
    before = git(demo, "status", "--porcelain")
    result = cli("-C", demo, "--json", *argv, ok=None, today=DEMO_TODAY)
    answer = json.loads(result.stdout)
    assert isinstance(answer, dict), f"coop {' '.join(argv)} --json answers {type(answer)}"
    assert answer.get("ok") is (result.exit_code == 0), answer.get("ok")
    assert git(demo, "status", "--porcelain") == before


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("argv", READ_ONLY, ids=" ".join)
def test_every_table_column_has_a_header(
    demo: Path, cli: Cli, argv: tuple[str, ...], lang: str
) -> None:
    """A table's header line has as many words as its rule line has dashes groups."""
    result = cli("-C", demo, "--lang", lang, *argv, ok=None, today=DEMO_TODAY)
    lines = result.stdout.splitlines()
    for n, line in enumerate(lines[1:], start=1):
        if not line or set(line) - {"-", " "} or "--" not in line:
            continue
        header = lines[n - 1].ljust(len(line))
        start = 0
        for dashes in line.split("  "):
            cell = header[start : start + len(dashes)]
            assert cell.strip(), f"coop {' '.join(argv)}: column without a header:\n{header}"
            start += len(dashes) + 2
