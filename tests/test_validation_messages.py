"""A value pydantic refuses reads the same way wherever it was given, in German and English."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from conftest import Cli, MakeRepo
from coopkit.model.invalid import explain_error

ENGLISH = re.compile(
    r"\b(input|should|valid|expected|integer|string|field|required|allowed|found|error|"
    r"missing|unknown|value|whole|number|at least|at most|characters|entries)\b",
    re.IGNORECASE,
)
"""Words of pydantic's and coop's English messages that must not stand in a German one."""


def problem_lines(text: str, path: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(path)]


def both(cli: Cli, root: Path, *args: str) -> tuple[str, str]:
    de = cli("-C", root, *args, ok=False)
    en = cli("-C", root, "--lang", "en", *args, ok=False)
    assert "Traceback" not in de.stdout + de.stderr + en.stdout + en.stderr
    return de.stdout + de.stderr, en.stdout + en.stderr


def test_invalid_value_in_a_record_in_both_languages(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"partners/diakonie.yaml": "id: diakonie\nname: Diakonie\nshort: [a, b]\n"})
    de, en = both(cli, root, "check")
    [german] = problem_lines(de, "partners/diakonie.yaml")
    [english] = problem_lines(en, "partners/diakonie.yaml")
    assert german == "partners/diakonie.yaml:3:1: „short“: erwartet Text, gefunden „[…]“"
    assert english == 'partners/diakonie.yaml:3:1: "short": expected text, found "[…]"'
    assert not ENGLISH.search(german.split(": ", 1)[1]), german


def test_invalid_value_in_coop_toml_in_both_languages(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(
        {"coop.toml": 'name = "Test"\nlocale = "de"\n\n[schedule]\nhorizon_years = "viele"\n'}
    )
    de, en = both(cli, root, "check")
    [german] = problem_lines(de, "coop.toml")
    [english] = problem_lines(en, "coop.toml")
    assert german.startswith("coop.toml:")
    assert german.endswith("„horizon_years“: erwartet eine ganze Zahl, gefunden „viele“")
    assert english.endswith('"horizon_years": expected a whole number, found "viele"')
    assert not ENGLISH.search(german.split(": ", 1)[1]), german


def test_invalid_option_value_in_both_languages(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    de, en = both(cli, root, "meeting", "note", "add", "m", "--top", "0", "x")
    assert "ungültiger Wert für „--top“: „0“: erwartet mindestens 1" in de
    assert "invalid value for '--top': '0': expected at least 1" in en
    [german] = [line for line in de.splitlines() if "--top" in line and "ungültig" in line]
    assert not ENGLISH.search(german.replace("--top", "")), german


class _Sample(BaseModel):
    count: int = 0
    name: str = ""


@pytest.mark.parametrize(
    "data",
    [{"count": "x"}, {"name": 3}, {"count": 1.5}],
    ids=["int", "str", "float"],
)
def test_every_way_in_uses_one_wording(data: dict[str, Any]) -> None:
    """A record field and an option value name the same kind of value the same way."""
    with pytest.raises(ValidationError) as caught:
        _Sample.model_validate(data)
    error = caught.value.errors()[0]
    record, _code = explain_error(error)
    option, _code = explain_error(error, option=True)
    for lang in ("de", "en"):
        assert record.format(lang) and option.format(lang)
    for message in (record.format("de"), option.format("de")):
        assert not ENGLISH.search(message), message


def test_an_error_coop_has_no_words_for_stays_german_under_de() -> None:
    error = {"type": "url_parsing", "loc": ("web",), "msg": "Input should be a URL", "input": "x"}
    record, _code = explain_error(error)
    assert record.format("de") == "„web“: ungültiger Wert „x“"
    assert record.format("en") == '"web": invalid value "x" (Input should be a URL)'
