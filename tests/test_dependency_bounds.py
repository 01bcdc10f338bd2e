"""Libraries whose private names coopkit uses run only in the versions it was tested with."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

PATCHED = ("typer", "pydantic")
"""typer (and its vendored click) is patched in cli/framework.py; pydantic's plugin loader
(a private module) is stood in for there."""


def declared(name: str) -> SpecifierSet:
    """Return the version range pyproject.toml declares for `name`."""
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    for requirement in tomllib.loads(pyproject.read_text("utf-8"))["project"]["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", requirement)
        if match is not None and match.group(1).lower() == name:
            return SpecifierSet(match.group(2))
    raise AssertionError(f"{name} is not a dependency in pyproject.toml")


def untested(name: str) -> str | None:
    """Say why the installed `name` is outside its tested range; None when it is inside."""
    installed = importlib.metadata.version(name)
    tested = declared(name)
    if tested.contains(installed, prereleases=True):
        return None
    return (
        f"{name} {installed} is installed, but coopkit was tested with {name} {tested} "
        f"(it uses {name}'s private names): test the patches against {installed}, "
        "then widen the range in pyproject.toml"
    )


@pytest.mark.parametrize("name", PATCHED)
def test_a_patched_dependency_has_an_upper_bound(name: str) -> None:
    assert any(s.operator in ("<", "<=", "==", "~=") for s in declared(name)), name


@pytest.mark.parametrize("name", PATCHED)
def test_the_installed_version_is_a_tested_one(name: str) -> None:
    message = untested(name)
    assert message is None, message


def test_an_untested_version_is_named_with_the_tested_range(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    versions = {"typer": "0.30.0", "pydantic": "2.14.4"}
    monkeypatch.setattr(importlib.metadata, "version", versions.__getitem__)
    message = untested("typer")
    assert message is not None
    assert "typer 0.30.0 is installed" in message
    assert str(declared("typer")) in message
    assert untested("pydantic") is None
