"""Only what a command needs is imported, measured with `python -X importtime`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import AUTHOR, TODAY, MakeRepo

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


def test_the_global_options_that_take_a_value_are_known_to_the_start() -> None:
    # `coop` builds only the command it is asked for; to find it, it skips global options and
    # their values. A new global option with a value must be added to ROOT_VALUE_OPTIONS.
    import typer.main

    from coopkit.cli.main import ROOT_VALUE_OPTIONS, app

    group = typer.main.get_command(app)
    taking = {name for p in group.params if not getattr(p, "is_flag", False) for name in p.opts}
    assert taking == set(ROOT_VALUE_OPTIONS)


def test_a_command_named_after_a_global_option_value_still_runs(tmp_path: Path) -> None:
    from coopkit.cli.main import _for, app

    assert _for(["--author", "status", "due"]).registered_commands[0].callback.__name__ == (
        "due_cmd"
    )
    assert _for(["--json", "status"]) is not app
    assert _for(["--help"]) is app
    assert _for(["nonsense"]) is app
    assert [g.name for g in _for(["-C", "x", "partner", "add"]).registered_groups] == ["partner"]


def _named(callback: Any) -> str:
    inner = getattr(callback, "__wrapped__", callback)
    return f"{inner.__module__}.{inner.__qualname__}"


def test_every_command_is_found_in_the_app_pruned_for_it() -> None:
    import typer.main

    from coopkit.cli.main import _for, app

    def leaves(command: Any, path: list[str]) -> list[tuple[list[str], Any]]:
        found = []
        for name, sub in getattr(command, "commands", {}).items():
            if hasattr(sub, "commands"):
                # Below the root only flags come before a subcommand: groups take no values.
                assert [p.opts for p in sub.params if not getattr(p, "is_flag", False)] == []
                found += leaves(sub, [*path, name])
            else:
                found.append(([*path, name], _named(sub.callback)))
        return found

    full = leaves(typer.main.get_command(app), [])
    assert len(full) > 60
    for path, callback in full:
        command = typer.main.get_command(_for(["-C", "x", *path, "--json"]))
        for name in path:
            assert list(command.commands) == [name], path  # type: ignore[attr-defined]
            command = command.commands[name]  # type: ignore[attr-defined]
        assert _named(command.callback) == callback, path
    # Help for a group lists all its commands.
    partner = typer.main.get_command(_for(["partner", "--help"])).commands["partner"]  # type: ignore[attr-defined]
    assert len(partner.commands) > 3


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
