"""The documentation agrees with the program: usage lines, dependencies, README links."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from coopkit.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
_OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")


def docs_sources() -> str:
    """Every page written by hand (generated pages are not evidence of anything)."""
    pages = sorted(p for p in DOCS.glob("*.md"))
    assert pages, "docs/*.md missing"
    return "\n".join(p.read_text("utf-8") for p in pages)


def leaves() -> Iterator[tuple[str, Any]]:
    """Yield (name, click command) for every command the CLI runs, through the public click API."""
    root = typer.main.get_command(app)

    def walk(command: Any, ctx: Any, prefix: str) -> Iterator[tuple[str, Any]]:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None, f"{prefix}{name}: listed but not found"
                sub_ctx = sub.make_context(name, [], parent=ctx, resilient_parsing=True)
                yield from walk(sub, sub_ctx, f"{prefix}{name} ")
        else:
            yield prefix.strip(), command

    yield from walk(root, root.make_context("coop", [], resilient_parsing=True), "")


def test_the_walk_finds_the_commands() -> None:
    names = {name for name, _ in leaves()}
    assert {"check", "agreement sign", "meeting new", "sync", "template check"} <= names
    assert len(names) > 50


def test_every_command_is_in_the_docs() -> None:
    docs = docs_sources()
    missing = [name for name, _ in leaves() if f"coop {name}" not in docs]
    assert missing == []


def test_docs_usage_lines_agree_with_the_cli() -> None:
    """Each command's usage in the guides (`coop NAME …` in backticks) names exactly its options:
    no option the command lacks, none it has left out (an option counts under any of its names).
    """
    docs = docs_sources()
    wrong = []
    for name, command in leaves():
        usages = re.findall(r"`coop " + re.escape(name) + r"(?=[ `])([^`]*)`", docs)
        if not usages:
            wrong.append(f"coop {name}: no usage line")
            continue
        documented = {o for usage in usages for o in _OPTION.findall(usage)}
        options = [p for p in command.params if p.param_type_name == "option"]
        real = {o for p in options for o in (*p.opts, *p.secondary_opts)}
        # --json is global and may also stand after the command (`coop check --json`).
        for option in sorted(documented - real - {"--json"}):
            wrong.append(f"coop {name}: docs document {option}, which does not exist")
        for param in options:
            if "--help" not in param.opts and not documented & set(param.opts):
                wrong.append(f"coop {name}: {'/'.join(param.opts)} missing from the docs")
    assert wrong == []


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_every_declared_dependency_says_what_it_is_for() -> None:
    """Used or gone: each dependency of pyproject.toml has a row in the architecture page."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    declared = _names(project["dependencies"])
    for group in project["optional-dependencies"].values():
        declared |= _names(group)
    page = (DOCS / "architektur.md").read_text("utf-8")
    rows = {m.lower() for m in re.findall(r"^\| ([\w.\-]+) \|", page, re.MULTILINE)}
    assert declared - rows == set(), "add a row: dependency | what it does for coop | where"
    assert rows - declared - {"abhängigkeit"} == set(), "a row for a dependency no longer declared"


def test_gitpython_stays_gone() -> None:
    project = (ROOT / "pyproject.toml").read_text("utf-8").lower()
    assert "gitpython" not in project
    sources = "\n".join(p.read_text("utf-8") for p in (ROOT / "src").rglob("*.py"))
    assert not re.search(r"^\s*(import git\b|from git\b)", sources, re.MULTILINE)


def test_readme_is_short_and_its_doc_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert len(readme.splitlines()) <= 200
    links = re.findall(r"\]\((docs/[^)#]+)", readme)
    assert links
    assert [link for link in links if not (ROOT / link).is_file()] == []


def test_docs_quick_start_is_the_readme_quick_start() -> None:
    line = "pip install . && coop demo kooperation-myk"
    assert line in (ROOT / "README.md").read_text("utf-8")
    assert line in (DOCS / "schnellstart.md").read_text("utf-8")
