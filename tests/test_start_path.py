"""Only what a command needs is imported, measured with `python -X importtime`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import AUTHOR, TODAY, MakeRepo
from coopkit.cli.main import COMMANDS

RENDERERS = ("docx", "docxtpl", "jinja2", "lxml", "coopkit.render")
SEARCH_MODEL = ("sqlmodel", "sqlalchemy", "coopkit.index.search")
GITPYTHON = ("git",)
DERIVED = (
    "babel",
    "dateutil",
    "coopkit.schedule",
    "coopkit.signing",
    "coopkit.queries.versions",
    "coopkit.queries.due",
    "coopkit.queries.overview",
)
"""Dates, recurrences, signatures and derived facts: a write that only checks needs none."""


def imported(root: Path, *args: str) -> set[str]:
    """Return every module a `coop` process imports, from its -X importtime report."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "coopkit.cli", "-C", str(root), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COOP_AUTHOR": AUTHOR},
        check=True,
    )
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def under(names: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in packages))


def test_a_write_imports_no_renderer_search_model_gitpython_or_derived_facts(
    make_repo: MakeRepo,
) -> None:
    root = make_repo()
    names = imported(root, "partner", "add", "neu", "--name", "Neuer Partner e. V.")
    assert "coopkit.services.partners" in names
    assert under(names, RENDERERS + SEARCH_MODEL + GITPYTHON + DERIVED) == []
    # No pydantic plugins in coop: their loader would read every package's entry points.
    assert "importlib.metadata" not in names


@pytest.mark.parametrize(
    "command",
    [["status"], ["due", "--within", "30d"], ["obligation", "list"], ["search", "Caritas"]],
    ids=lambda c: c[0],
)
def test_a_remembered_page_reads_no_record(make_repo: MakeRepo, command: list[str]) -> None:
    root = make_repo()
    imported(root, "--today", TODAY, *command)
    names = imported(root, "--today", TODAY, *command)
    assert "coopkit.queries.answers" in names
    assert under(names, ("coopkit.model", "ruamel", "babel", "dateutil") + RENDERERS) == []
    # Not even pydantic: no option value needed converting.
    assert under(names, ("pydantic",)) == []


def test_a_remembered_overview_of_many_repositories_reads_no_record(
    make_repo: MakeRepo, tmp_path: Path
) -> None:
    roots = [str(make_repo()), str(make_repo())]
    call = ("--today", TODAY, "report", "--year", "2013", "--repos", *roots)
    imported(tmp_path, *call)
    names = imported(tmp_path, *call)
    assert "coopkit.services.report_many" in names
    heavy = ("coopkit.model", "coopkit.services.report", "ruamel", "babel", "pydantic")
    assert under(names, heavy + RENDERERS) == []


COMMAND_MODULES = sorted({f"coopkit.cli.{e.module}" for e in COMMANDS.values()})


def loaded(root: Path, *args: str) -> list[str]:
    """Return the command modules a `coop` process has loaded when it ends.

    (`-X importtime` does not report a module `importlib.import_module` loads itself.)
    """
    code = (
        "import sys\n"
        "from coopkit.cli.main import main\n"
        "try:\n    main(sys.argv[1:])\n"
        "except SystemExit:\n    pass\n"
        "sys.stderr.write('\\nLOADED ' + ' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    names = done.stderr.rsplit("\nLOADED ", 1)[1].split()
    return [m for m in COMMAND_MODULES if m in names]


def test_help_imports_no_command_module(tmp_path: Path) -> None:
    assert loaded(tmp_path, "--help") == []


@pytest.mark.parametrize(
    ("command", "module"),
    [
        (["partner", "--help"], "partner"),
        (["--author", "status", "due", "--help"], "followup"),
        (["-C", "x", "action", "list", "--help"], "action"),
    ],  # fmt: skip
    ids=lambda c: c if isinstance(c, str) else c[-2],
)
def test_a_call_imports_only_the_module_of_its_command(
    tmp_path: Path, command: list[str], module: str
) -> None:
    assert loaded(tmp_path, *command) == [f"coopkit.cli.{module}"]


def test_the_root_help_lists_each_command_as_its_own_help_would() -> None:
    # The root help is written from the table, without building the commands: each short help
    # there must be the first line of the command's own help, and come out the same at any width.
    import inspect

    import typer.main
    from typer.core import TyperCommand

    from coopkit.cli.main import COMMANDS, app

    root = typer.main.get_command(app)
    ctx = root.make_context("coop", [], resilient_parsing=True)
    assert root.list_commands(ctx) == list(COMMANDS)
    for name, entry in COMMANDS.items():
        command = root.get_command(ctx, name)
        assert command is not None, name
        assert command.name == name
        assert command.hidden == entry.hidden, name
        assert entry.short_help == inspect.cleandoc(command.help or "").splitlines()[0], name
        stand_in = TyperCommand(name, help=entry.short_help)
        for limit in range(20, 120, 7):
            assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit), name


def test_every_module_of_the_table_exposes_its_app_and_nothing_else_registers() -> None:
    import importlib
    import pkgutil

    import typer

    import coopkit.cli
    from coopkit.cli.main import COMMANDS

    holding = {e.module for e in COMMANDS.values()}
    for info in pkgutil.iter_modules(coopkit.cli.__path__):
        if info.name == "__main__":
            continue
        module = importlib.import_module(f"coopkit.cli.{info.name}")
        apps = [v for v in vars(module).values() if isinstance(v, typer.Typer)]
        if info.name in holding:
            assert isinstance(getattr(module, "app", None), typer.Typer), info.name
        elif info.name != "main":
            # Support modules hold no commands.
            assert apps == [], info.name


def test_a_write_builds_no_value_converter(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # typer would build a pydantic converter for every parameter, also for those left at None;
    # text for a text option and a path for -C need none.
    import typer._adapters

    from coopkit.cli.main import main

    root = make_repo()
    built: list[Any] = []
    original = typer._adapters.try_build_adapter

    def counting(annotation: Any, parameter_info: Any) -> Any:
        built.append(annotation)
        return original(annotation, parameter_info)

    monkeypatch.setattr(typer._adapters, "try_build_adapter", counting)
    with pytest.raises(SystemExit) as info:
        main(["-C", str(root), "--today", TODAY, "--author", AUTHOR, "partner", "add", "neu",
              "--name", "Neuer Partner e. V."])  # fmt: skip
    assert info.value.code == 0, capsys.readouterr()
    assert built == []
    # A value that needs converting still goes through typer's converter, with its checks.
    with pytest.raises(SystemExit) as info:
        main(["-C", str(root), "--lang", "en", "meeting", "note", "x", "--top", "0", "Text"])
    assert info.value.code == 2
    assert "--top" in capsys.readouterr().err
    assert int in built


def test_the_deferred_converter_returns_what_typer_would(tmp_path: Path) -> None:
    import typer.core
    from typer import _coercion
    from typer._click import Context
    from typer._click.exceptions import BadParameter
    from typer.models import OptionInfo

    from coopkit.cli.framework import install

    install()
    (tmp_path / "file").write_text("x")
    command = typer.core.TyperCommand("c")
    values = [str(tmp_path), str(tmp_path / "file"), str(tmp_path / "missing"), "", "-", "ä b",
              f"{tmp_path}/", f"{tmp_path}//file", "./x/../y"]  # fmt: skip
    infos = [OptionInfo(), OptionInfo(dir_okay=False), OptionInfo(file_okay=False),
             OptionInfo(exists=True), OptionInfo(resolve_path=True)]  # fmt: skip
    values += ["7", "007", "0", "2013", "99999", "+5", " 5", "5_0", "x", "1.5", "٣", "-3"]
    infos += [OptionInfo(min=1), OptionInfo(max=2013), OptionInfo(min=1, max=10, clamp=True)]
    for annotation in (str, Path, int):
        for info in infos:
            descriptor = _coercion.resolve_type_descriptor(annotation, info)
            param = typer.core.TyperOption(
                param_decls=["--x"], type_descriptor=descriptor, default=None
            )
            deferred = typer.core.build_runtime_param(descriptor)
            real = _coercion.build_runtime_param(descriptor)
            assert type(deferred).__name__ == "_Deferred"
            for value in [*values, None, 5, 0, 20000, True, 2.0]:
                ctx = Context(command)
                outcomes = []
                for converter in (deferred, real):
                    try:
                        outcomes.append(converter.coerce(value, param=param, ctx=ctx))
                    except BadParameter as err:
                        outcomes.append(("refused", err.format_message()))
                assert outcomes[0] == outcomes[1], (annotation, info, value)
                assert type(outcomes[0]) is type(outcomes[1])


def test_the_deferred_converter_of_a_list_of_texts_returns_what_typer_would() -> None:
    import typer.core
    from typer import _coercion
    from typer._click import Context
    from typer._click.exceptions import BadParameter
    from typer.models import ArgumentInfo, OptionInfo

    from coopkit.cli.framework import install

    install()
    command = typer.core.TyperCommand("c")
    values: list[object] = [None, (), ("a",), ("a", "ä b", ""), ["x", "y"], "a", ("a", 1)]
    for info in (OptionInfo(), ArgumentInfo()):
        descriptor = _coercion.resolve_type_descriptor(list[str], info)
        if isinstance(info, OptionInfo):
            param: object = typer.core.TyperOption(
                param_decls=["--x"], type_descriptor=descriptor, default=None, multiple=True
            )
        else:
            param = typer.core.TyperArgument(
                param_decls=["x"], type_descriptor=descriptor, nargs=-1, required=False
            )
        deferred = typer.core.build_runtime_param(descriptor)
        real = _coercion.build_runtime_param(descriptor)
        for value in values:
            outcomes = []
            for converter in (deferred, real):
                try:
                    outcomes.append(converter.coerce(value, param=param, ctx=Context(command)))
                except BadParameter as err:
                    outcomes.append(("refused", err.format_message()))
            assert outcomes[0] == outcomes[1], (info, value)
            assert type(outcomes[0]) is type(outcomes[1])


def test_the_program_exits_with_the_commands_code(tmp_path: Path) -> None:
    from coopkit.errors import ExitCode

    done = subprocess.run(
        [sys.executable, "-m", "coopkit.cli", "-C", str(tmp_path), "--json", "status"],
        capture_output=True,
        text=True,
        check=False,
    )
    # No coop.toml here or above: the repository error's code, through `run()`.
    assert done.returncode == ExitCode.REPOSITORY, done.stderr
    assert '"exit_code": 5' in done.stdout
