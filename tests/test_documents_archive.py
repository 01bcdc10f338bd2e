"""Every template in German and English: language, core properties, PDF/A, the meeting folder."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import Cli, MakeRepo
from docx_helpers import assert_valid_docx

LETTERHEAD = """\
name = "Test"
locale = "{lang}"
controller = "kreis"

[letterhead]
authority = "Kreisverwaltung Beispielkreis"
office = "Integrationsbeauftragte"
street = "Am Markt 1"
postcode = "56000"
city = "Beispielstadt"
phone = "0261 1234"
email = "integration@kreis.example"
file_number = "AZ 12-41/2014"
"""

MEETING = "2014-05-14-arbeitstreffen"
MINUTES = f"""\
    ---
    id: {MEETING}
    title: Arbeitstreffen Integration
    agreements: [koop]
    date: 2014-05-14
    start: "14:00"
    end: "16:00"
    place: Kreisverwaltung, Raum 210
    chair: kreis/bernert
    minute_taker: kreis/bernert
    status: draft
    tops:
      - title: Begrüßung
      - title: Sprachförderung
        actions:
          - id: 1
            who: jobcenter/meyer
            what: Fördermöglichkeiten beschreiben
            due: 2014-06-30
    distribution: [kreis, jobcenter, caritas]
    ---
    """
EARLIER = """\
    ---
    id: 2014-02-05-evaluation
    title: Evaluationsgespräch
    agreements: [koop]
    date: 2014-02-05
    chair: kreis/bernert
    minute_taker: kreis/bernert
    status: sent
    sent: 2014-02-06
    tops:
      - title: Rückblick
    distribution: [kreis, jobcenter, caritas]
    ---
    """
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def repository(make_repo: MakeRepo, lang: str) -> Path:
    root = make_repo(
        {
            "coop.toml": LETTERHEAD.format(lang=lang),
            f"minutes/{MEETING}.md": MINUTES,
            "minutes/2014-02-05-evaluation.md": EARLIER,
            "agreements/koop/evaluation/2013.md": "## Ergebnis\n\nDie Zusammenarbeit trägt.\n",
        }
    )
    return root


def render_every_template(root: Path, cli: Cli, out: Path, lang: str) -> dict[str, Path]:
    files = {
        "agreement": out / f"agreement-{lang}.docx",
        "invitation": out / f"invitation-{lang}.docx",
        "minutes": out / f"minutes-{lang}.docx",
        "checklist": out / f"checklist-{lang}.docx",
        "report": out / f"report-{lang}.docx",
    }
    cli("-C", root, "agreement", "render", "koop", "--version", "v1", "-o", files["agreement"])
    cli("-C", root, "meeting", "render", MEETING, "--invitation", "-o", files["invitation"])
    cli("-C", root, "meeting", "render", "2014-02-05-evaluation", "-o", files["minutes"])
    cli("-C", root, "checklist", "--meeting", MEETING, "-o", files["checklist"])
    cli("-C", root, "report", "koop", "--year", "2013", "-o", files["report"])
    return files


def parts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.endswith((".xml", ".rels"))
        }


@pytest.mark.parametrize(("lang", "tag"), [("de", "de-DE"), ("en", "en-GB")])
def test_every_template_declares_its_language_and_core_properties(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, lang: str, tag: str
) -> None:
    root = repository(make_repo, lang)
    files = render_every_template(root, cli, tmp_path, lang)
    for kind, path in files.items():
        data = path.read_bytes()
        assert_valid_docx(data, tmp_path, f"{kind}.docx")
        xml = parts(data)
        languages = set(re.findall(r'<w:lang w:val="([^"]+)"', xml["word/styles.xml"]))
        assert languages == {tag}, (kind, languages)
        assert f'<w:themeFontLang w:val="{tag}"' in xml["word/settings.xml"], kind
        assert "en-US" not in xml["word/document.xml"], kind
        core = xml["docProps/core.xml"]
        assert "python-docx" not in core and "2013-12-23" not in core, kind
        assert re.search(r"<dc:title>[^<]+</dc:title>", core), kind
        assert "<dc:creator>Gisela Bernert</dc:creator>" in core, kind
        assert "thumbnail" not in xml["_rels/.rels"], kind
    minutes_core = parts(files["minutes"].read_bytes())["docProps/core.xml"]
    assert "2014-02-05T00:00:00Z" in minutes_core
    # Same input, same bytes: the package is reproducible.
    again = tmp_path / "again.docx"
    cli("-C", root, "meeting", "render", "2014-02-05-evaluation", "-o", again)
    assert again.read_bytes() == files["minutes"].read_bytes()


def test_agreement_table_holds_and_leaves_out_the_empty_condition_column(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = repository(make_repo, "de")
    out = tmp_path / "a.docx"
    cli("-C", root, "agreement", "render", "koop", "-o", out)
    document = parts(out.read_bytes())["word/document.xml"]
    assert "Bedingung" not in document
    assert "<w:cantSplit/>" in document and "<w:tblHeader/>" in document
    assert "Unterschriften" in document and "Ort, Datum" in document


def test_invitation_is_a_letter_per_organisation(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    from docx_helpers import document_text

    root = repository(make_repo, "de")
    out = tmp_path / "i.docx"
    cli(
        "-C",
        root,
        "meeting",
        "render",
        MEETING,
        "--invitation",
        "-o",
        out,
        "--reply-by",
        "2014-05-07",
    )
    text = document_text(out.read_bytes())
    assert text.count("Kreisverwaltung Beispielkreis · Am Markt 1 · 56000 Beispielstadt") == 3
    assert "z. Hd. Gisela Bernert" in text
    assert "AZ 12-41/2014" in text
    assert "Beispielstadt, 7. Februar 2014" in text
    assert "Bitte teilen Sie uns bis zum 7. Mai 2014 mit" in text
    assert "Integrationsbeauftragte" in text
    one = tmp_path / "one.docx"
    cli(
        "-C",
        root,
        "meeting",
        "render",
        MEETING,
        "--invitation",
        "--one-letter",
        "--file-number",
        "X-1",
        "-o",
        one,
    )
    single = document_text(one.read_bytes())
    assert "An die Partner laut Verteiler" in single and "X-1" in single


def test_report_renders_the_written_assessment(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = repository(make_repo, "de")
    cli("-C", root, "check")
    text = cli("-C", root, "report", "koop", "--year", "2013", "--format", "md").stdout
    assert "## Bewertung" in text and "Die Zusammenarbeit trägt." in text
    (root / "agreements/koop/evaluation/notizen.md").write_text("x\n")
    result = cli("-C", root, "check", ok=False)
    assert "agreements/koop/evaluation/notizen.md: Datei an unerwarteter Stelle" in result.stdout


def test_meeting_pack_writes_the_folder_with_german_names(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = repository(make_repo, "de")
    target = tmp_path / "pack.zip"
    cli("-C", root, "meeting", "pack", MEETING, "-o", target)
    with zipfile.ZipFile(target) as archive:
        names = sorted(archive.namelist())
        for name in names:
            assert_valid_docx(archive.read(name), tmp_path, "p.docx")
    assert names == [
        "01_Einladung.docx",
        "02_Vereinbarung_koop.docx",
        "03_Offene_Aufgaben.docx",
        "04_Checkliste_caritas.docx",
        "04_Checkliste_jobcenter.docx",
        "04_Checkliste_kreis.docx",
        "05_Niederschrift_2014-02-05.docx",
    ]
    folder = tmp_path / "mappe"
    cli("-C", root, "render", "--all", "-o", folder)
    assert sorted(p.name for p in folder.iterdir()) == [
        "Niederschrift_2014-02-05-evaluation.docx",
        f"Niederschrift_{MEETING}.docx",
        "Vereinbarung_koop.docx",
    ]


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.slow
def test_every_template_becomes_archival_pdf_in_one_libreoffice_run(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, soffice: str
) -> None:
    from coopkit.render.pdf import convert_many

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    files: dict[tuple[str, str], Path] = {}
    for lang in ("de", "en"):
        root = repository(make_repo, lang)
        for kind, path in render_every_template(root, cli, tmp_path, lang).items():
            files[(lang, kind)] = path
    pdfs = dict(zip(files, convert_many(list(files.values())), strict=True))
    for key, pdf in pdfs.items():
        data = pdf.read_bytes()
        assert b"<pdfaid:part>2</pdfaid:part>" in data or b'pdfaid:part="2"' in data, key
        assert b"/StructTreeRoot" in data, key
        assert b"/Lang(" in data, key
    words = {"de": ("Unterschrift", "Aktenzeichen"), "en": ("Signature", "Reference")}
    for lang, (signature, reference) in words.items():
        agreement = pdf_text(pdfs[(lang, "agreement")])
        assert signature in agreement and "Kreisverwaltung Beispielkreis" in agreement
        invitation = pdf_text(pdfs[(lang, "invitation")])
        assert "Kreisverwaltung Beispielkreis" in invitation
        assert reference in invitation and "AZ 12-41/2014" in invitation
        assert "Gisela Bernert" in pdf_text(pdfs[(lang, "minutes")])


@pytest.mark.slow
def test_meeting_pack_with_pdfs(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, soffice: str
) -> None:
    root = repository(make_repo, "de")
    folder = tmp_path / "unterlagen"
    cli("-C", root, "meeting", "pack", MEETING, "-o", folder, "--pdf")
    names = sorted(p.name for p in folder.iterdir())
    assert "01_Einladung.pdf" in names and "05_Niederschrift_2014-02-05.pdf" in names
    assert len([n for n in names if n.endswith(".pdf")]) == len(
        [n for n in names if n.endswith(".docx")]
    )


def tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x20\x40\x80")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_letterhead_logo_appears_and_a_linked_logo_is_refused(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    config = LETTERHEAD.format(lang="de") + 'logo = "templates/logo.png"\n'
    root = make_repo(
        {"coop.toml": config, f"minutes/{MEETING}.md": MINUTES, "templates/logo.png": tiny_png()}
    )
    out = tmp_path / "i.docx"
    cli("-C", root, "meeting", "render", MEETING, "--invitation", "-o", out)
    with zipfile.ZipFile(out) as archive:
        assert any(name.startswith("word/media/") for name in archive.namelist())
    assert_valid_docx(out.read_bytes(), tmp_path)
    (root / "templates/logo.png").unlink()
    (root / "templates/logo.png").symlink_to("/etc/hostname")
    result = cli("-C", root, "meeting", "render", MEETING, "--invitation", "-o", out, ok=False)
    assert result.exit_code == 7
    assert "logo" in result.stderr
