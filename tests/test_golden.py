"""Rendered output of the worked example, compared with reviewed golden files.

Markdown and ICS are compared as text, Word documents as their pretty-printed
word/document.xml. `pytest --update-golden` rewrites the files for review.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Cli, Golden
from docx_helpers import assert_valid_docx, document_xml

TODAY = "2014-02-07"


@pytest.fixture(scope="module")
def example(example_repo: Path) -> Path:
    """The worked example with v1 approved by all (renders read templates and git history)."""
    return example_repo


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("minutes-2014-02-05.md", ("meeting", "render", "2014-02-05-evaluation", "--format", "md")),
        (
            "invitation-2014-05-14.md",
            ("meeting", "render", "2014-05-14-arbeitstreffen", "--invitation", "--format", "md"),
        ),
        ("checklist-2014-05-14.md", ("checklist", "--meeting", "2014-05-14-arbeitstreffen")),
        ("report-myk-caritas-ko-2013.md", ("report", "myk-caritas-ko", "--year", "2013")),
        ("matrix-myk-caritas-ko.md", ("obligation", "matrix", "--agreement", "myk-caritas-ko")),
        ("calendar.ics", ("calendar",)),
    ],
)
def test_text_output_matches_golden(
    example: Path, cli: Cli, golden: Golden, tmp_path: Path, name: str, args: tuple[str, ...]
) -> None:
    out = tmp_path / name
    cli("-C", example, *args, "-o", out, today=TODAY)
    golden(name, out.read_text("utf-8"))


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("agreement-myk-caritas-ko.document.xml", ("agreement", "render", "myk-caritas-ko")),
        ("minutes-2014-02-05.document.xml", ("meeting", "render", "2014-02-05-evaluation")),
    ],
)
def test_word_output_matches_golden(
    example: Path, cli: Cli, golden: Golden, tmp_path: Path, name: str, args: tuple[str, ...]
) -> None:
    out = tmp_path / "out.docx"
    cli("-C", example, *args, "-o", out, today=TODAY)
    assert_valid_docx(out.read_bytes(), tmp_path)
    golden(name, document_xml(out.read_bytes()))
