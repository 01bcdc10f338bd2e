"""Templates render within limits of time, memory and output; .docx is unpacked safely."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from conftest import Budget, Cli, MakeRepo
from coopkit.render import docx as docx_render
from coopkit.render import sandbox

HOSTILE = {
    "loop": "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
    "power": "{{ 9**(9**9) }}",
    "format": "{{ '%999999999d' % 1 }}",
    "macro": "{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}",
    "join": "{{ range(99999)|join('x' * 99999) }}",
}


pytestmark = pytest.mark.timing

HOSTILE_SECONDS = 1.0
"""Short, so that hostile templates end soon: each of them must run into the limit anyway."""


@pytest.fixture(autouse=True)
def _quick_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        sandbox, "LIMITS", sandbox.Limits(seconds=HOSTILE_SECONDS, memory=256 * 1024 * 1024)
    )


def _with_template(make_repo: MakeRepo, name: str, content: str | bytes) -> Path:
    root = make_repo()
    target = root / "templates" / name
    target.parent.mkdir(exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content)
    return root


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_markdown_template_ends_with_exit_7_naming_it(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, case: str
) -> None:
    root = _with_template(make_repo, "checklist.md.j2", HOSTILE[case])
    out = tmp_path / "c.md"
    result = cli("-C", root, "checklist", "-o", out, ok=False)
    assert result.exit_code == 7, result.stderr
    assert "checklist.md.j2" in result.stderr
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.parametrize("case", ["loop", "power", "format"])
def test_template_check_is_held_to_the_same_limits(
    make_repo: MakeRepo, cli: Cli, case: str
) -> None:
    root = _with_template(make_repo, "checklist.md.j2", HOSTILE[case])
    result = cli("-C", root, "template", "check", "checklist.md.j2", ok=False)
    assert result.exit_code == 1
    assert "templates/checklist.md.j2:" in result.stdout
    assert "abgebrochen" in result.stdout


def test_output_larger_than_the_limit_is_refused(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: Budget
) -> None:
    # Time enough on this machine that only the output limit can end the render.
    monkeypatch.setattr(sandbox, "LIMITS", sandbox.Limits(seconds=budget.seconds(), output=50))
    root = make_repo()
    result = cli("-C", root, "checklist", "-o", tmp_path / "c.md", ok=False)
    assert result.exit_code == 7
    assert "Ausgabe größer als 50 Bytes" in result.stderr


def _docx_with(text: str) -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.slow
def test_hostile_word_template_ends_with_exit_7(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = _with_template(make_repo, "checklist.docx", _docx_with(HOSTILE["power"]))
    result = cli("-C", root, "checklist", "-o", tmp_path / "c.docx", ok=False)
    assert result.exit_code == 7
    assert "checklist.docx" in result.stderr


def _rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            payload = replace.get(info.filename, source.read(info.filename))
            target.writestr(info.filename, payload, compress_type=zipfile.ZIP_DEFLATED)
        for name, payload in replace.items():
            if name not in source.namelist():
                target.writestr(name, payload, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_word_template_that_inflates_beyond_the_limit_is_refused(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(docx_render, "MAX_UNPACKED_BYTES", 1024 * 1024)
    bomb = _rezip(_docx_with("x"), {"word/media/bomb.bin": b"\0" * (4 * 1024 * 1024)})
    root = _with_template(make_repo, "checklist.docx", bomb)
    result = cli("-C", root, "checklist", "-o", tmp_path / "c.docx", ok=False)
    assert result.exit_code == 7
    assert "entpackt größer als" in result.stderr


def test_word_template_whose_member_lies_about_its_size_is_refused(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(docx_render, "MAX_UNPACKED_BYTES", 1024 * 1024)
    data = bytearray(_rezip(_docx_with("x"), {"word/media/bomb.bin": b"\0" * (4 * 1024 * 1024)}))
    # Rewrite the declared size of the member (local header and central directory) to 10 bytes.
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/media/bomb.bin")
    real = info.file_size.to_bytes(4, "little")
    assert data.count(real) >= 2
    data = bytearray(bytes(data).replace(real, (10).to_bytes(4, "little")))
    root = _with_template(make_repo, "checklist.docx", bytes(data))
    result = cli("-C", root, "checklist", "-o", tmp_path / "c.docx", ok=False)
    assert result.exit_code == 7
    assert "checklist.docx" in result.stderr


def test_word_template_with_entities_is_refused(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    original = _docx_with("x")
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        xml = archive.read("word/document.xml")
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    xml = laughs + xml.split(b"?>", 1)[1]
    root = _with_template(make_repo, "checklist.docx", _rezip(original, {"word/document.xml": xml}))
    result = cli("-C", root, "checklist", "-o", tmp_path / "c.docx", ok=False)
    assert result.exit_code == 7
    assert "DTD" in result.stderr
    check = cli("-C", root, "template", "check", "checklist.docx", ok=False)
    assert "templates/checklist.docx:" in check.stdout and "DTD" in check.stdout


def test_a_quick_render_is_unchanged_by_the_limits(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: Budget
) -> None:
    # The memory and output limits of the hostile cases; time as much as this machine needs.
    monkeypatch.setattr(
        sandbox, "LIMITS", sandbox.Limits(seconds=budget.seconds(), memory=256 * 1024 * 1024)
    )
    root = _with_template(make_repo, "checklist.md.j2", "{{ 6 * 7 }} {{ labels | length > 0 }}\n")
    out = tmp_path / "c.md"
    cli("-C", root, "checklist", "-o", out)
    assert out.read_text().startswith("42 True")
