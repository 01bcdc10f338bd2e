"""The archive hand-over: offer (xdomea 0501), answer, hand-over (0503), and erasure waiting for it.

One LibreOffice run builds the offer (module fixture); one more the hand-over. Every other test
copies the offered repository and works on records only.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import textwrap
import uuid
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from typer.testing import CliRunner

from conftest import AUTHOR, BASE_FILES, TODAY, Cli, approve_v1, git, tree_state
from coopkit.cli.main import app

NS = "urn:xoev-de:xdomea:schema:3.0.0"
X = f"{{{NS}}}"
CONFIG = """\
name = "Integration Beispielkreis"
locale = "de"
controller = "kreis"

[letterhead]
authority = "Kreisverwaltung Beispielkreis"

[archive]
name = "Landeshauptarchiv Koblenz"
agency_code = "07137000"
"""
AGREEMENT = BASE_FILES["agreements/koop/agreement.md"].replace(
    "valid_from: 2012-12-01\n", "valid_from: 2012-12-01\n        valid_until: 2013-06-30\n"
)
RUNNING = (
    BASE_FILES["agreements/koop/agreement.md"]
    .replace("id: koop", "id: laufend")
    .replace("title: Kooperationsvereinbarung Integration", "title: Laufende Vereinbarung")
)
APPROVED = """\
    ---
    id: 2013-05-14-sitzung
    title: Arbeitstreffen Integration
    agreements: [koop]
    date: 2013-05-14
    chair: kreis/bernert
    minute_taker: kreis/bernert
    status: approved
    sent: 2013-05-20
    approved_in: 2013-09-10-sitzung
    tops:
      - title: Rückblick
        decisions: [Die Sprechstunde bleibt dienstags.]
    distribution: [kreis, jobcenter, caritas]
    ---
    Rückfragen an max.mustermann@example.org.
    """
SENT = """\
    ---
    id: 2013-09-10-sitzung
    title: Arbeitstreffen Integration
    agreements: [koop]
    date: 2013-09-10
    chair: kreis/bernert
    minute_taker: kreis/bernert
    status: sent
    sent: 2013-09-12
    tops:
      - title: Genehmigung der Niederschrift vom 14. Mai 2013
    distribution: [kreis, jobcenter, caritas]
    ---
    """
ITEMS = ["agreements/koop", "minutes/2013-05-14-sitzung"]
OFFER = f"{TODAY}-1"


def build(root: Path) -> Path:
    """A repository with one ended agreement (v1), one running, approved and sent minutes."""
    files = {
        **BASE_FILES,
        "coop.toml": CONFIG,
        "agreements/koop/agreement.md": AGREEMENT,
        "agreements/laufend/agreement.md": RUNNING,
        "agreements/koop/evaluation/2013.md": "## Ergebnis\n\nDie Zusammenarbeit trägt.\n",
        "minutes/2013-05-14-sitzung.md": APPROVED,
        "minutes/2013-09-10-sitzung.md": SENT,
    }
    root.mkdir(parents=True)
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    (root / ".gitignore").write_text(".coop/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial", "--date", "2010-01-01T12:00:00+00:00")
    approve_v1(root, ["agreements/koop/agreement.md", "agreements/laufend/agreement.md"])
    return root


def run(*args: str | Path, ok: bool | None = True, today: str = TODAY) -> Any:
    argv = ["--today", today, "--author", AUTHOR, *[str(a) for a in args]]
    result = CliRunner().invoke(app, argv, catch_exceptions=False)
    if (ok is True and result.exit_code != 0) or (ok is False and result.exit_code == 0):
        print("argv:", argv, "\nexit:", result.exit_code)
        print("stdout:", result.stdout, "\nstderr:", result.stderr)
        pytest.fail(f"coop {' '.join(map(str, args))} exited {result.exit_code}")
    return result


@pytest.fixture(scope="module")
def offered(tmp_path_factory: pytest.TempPathFactory, soffice: str) -> tuple[Path, Path]:
    """The repository after `coop archive offer` (one LibreOffice run), and the package."""
    base = tmp_path_factory.mktemp("archive")
    root = build(base / "repo")
    package = base / "anbietung.zip"
    run("-C", root, "archive", "offer", "-o", package)
    return root, package


@pytest.fixture
def repo(offered: tuple[Path, Path], tmp_path: Path) -> Iterator[Path]:
    """A private copy of the offered repository."""
    copy = tmp_path / "repo"
    shutil.copytree(offered[0], copy, symlinks=True)
    yield copy


def members(package: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(package) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def offer_record(root: Path) -> dict[str, Any]:
    from ruamel.yaml import YAML

    data: dict[str, Any] = YAML(typ="safe").load(
        (root / f"archive/{OFFER}/offer.yaml").read_text("utf-8")
    )
    return data


def test_offer_package_metadata_follows_the_0501_structure_field_by_field(
    offered: tuple[Path, Path],
) -> None:
    root, package = offered
    files = members(package)
    record = offer_record(root)
    process = record["process_id"]
    assert uuid.UUID(process).version == 5
    xml_name = f"{process}_Aussonderung.Anbieteverzeichnis.0501.xml"
    assert sorted(files) == sorted(
        [
            xml_name,
            "SHA256SUMS",
            "Bericht_koop_2013.pdf",
            "Freigaben_koop_v1.pdf",
            "Niederschrift_2013-05-14-sitzung.pdf",
            "Vereinbarung_koop_v1.pdf",
        ]
    )
    root_el = etree.fromstring(files[xml_name])
    assert root_el.tag == f"{X}Aussonderung.Anbieteverzeichnis.0501"
    assert [etree.QName(c).localname for c in root_el] == ["Kopf"] + ["Schriftgutobjekt"] * 2
    head = root_el.find(f"{X}Kopf")
    assert [etree.QName(c).localname for c in head] == [
        "ProzessID",
        "Nachrichtentyp",
        "Erstellungszeitpunkt",
        "Absender",
        "Empfaenger",
        "SendendesSystem",
        "Empfangsbestaetigung",
    ]
    assert head.findtext(f"{X}ProzessID") == process
    kind = head.find(f"{X}Nachrichtentyp")
    assert kind.get("listURI") == "urn:xoev-de:xdomea:codeliste:nachrichtentyp"
    assert kind.findtext("code") == "0501"
    assert head.findtext(f"{X}Erstellungszeitpunkt") == f"{TODAY}T00:00:00"
    sender = head.find(f"{X}Absender")
    assert sender.findtext(f"{X}Institution/{X}Name") == "Kreisverwaltung Beispielkreis"
    assert sender.findtext(f"{X}Behoerdenkennung/{X}Behoerdenschluessel/code") == "07137000"
    assert head.findtext(f"{X}Empfaenger/{X}Institution/{X}Name") == "Landeshauptarchiv Koblenz"
    assert head.findtext(f"{X}SendendesSystem/{X}Produktname") == "coopkit"

    akte = root_el.find(f"{X}Schriftgutobjekt/{X}Akte")
    items = {i["item"]: i for i in record["items"]}
    assert akte.findtext(f"{X}Identifikation/{X}ID") == items["agreements/koop"]["uuid"]
    assert akte.findtext(f"{X}AllgemeineMetadaten/{X}Betreff") == (
        "Kooperationsvereinbarung Integration"
    )
    assert akte.findtext(f"{X}AllgemeineMetadaten/{X}Kennzeichen") == "agreements/koop"
    appraisal = f"{X}ArchivspezifischeMetadaten/{X}Aussonderungsart/{X}Aussonderungsart/code"
    assert akte.findtext(appraisal) == "B"
    assert akte.findtext(f"{X}Laufzeit/{X}Beginn") == "2012-12-01"
    assert akte.findtext(f"{X}Laufzeit/{X}Ende") == "2013-06-30"
    vorgaenge = akte.findall(f"{X}Akteninhalt/{X}Vorgang")
    assert [v.findtext(f"{X}AllgemeineMetadaten/{X}Kennzeichen") for v in vorgaenge] == [
        "agreements/koop/v1",
        "agreements/koop/evaluation",
    ]
    documents = vorgaenge[0].findall(f"{X}Dokument")
    assert [d.findtext(f"{X}AllgemeineMetadaten/{X}Kennzeichen") for d in documents] == [
        "agreements/koop/agreement.md@koop/v1",
        "agreements/koop/signoffs/v1/",
    ]
    # An offer carries no primary documents (xdomea: metadata only in 0501).
    assert root_el.find(f".//{X}Primaerdokument") is None
    ids = [e.text for e in root_el.iter(f"{X}ID")]
    assert len(ids) == len(set(ids)) and all(uuid.UUID(i) for i in ids)

    vorgang = root_el.findall(f"{X}Schriftgutobjekt")[1].find(f"{X}Vorgang")
    assert (
        vorgang.findtext(f"{X}Identifikation/{X}ID") == items["minutes/2013-05-14-sitzung"]["uuid"]
    )
    assert vorgang.findtext(f"{X}Laufzeit/{X}Beginn") == "2013-05-14"
    assert vorgang.find(f"{X}Dokument") is not None


def test_offer_checksums_match_and_primaries_are_pdf_a(offered: tuple[Path, Path]) -> None:
    _, package = offered
    files = members(package)
    listed = {}
    for line in files["SHA256SUMS"].decode("utf-8").splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == set(files) - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest
    for name in (n for n in files if n.endswith(".pdf")):
        assert files[name].startswith(b"%PDF")
        assert b"pdfaid:part" in files[name] or b"pdfaid:part='2'" in files[name]
    with zipfile.ZipFile(package) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_offer_record_is_committed_with_item_checksums_over_the_sources(
    offered: tuple[Path, Path],
) -> None:
    root, _ = offered
    record = offer_record(root)
    assert record["id"] == OFFER
    assert record["archive"] == "Landeshauptarchiv Koblenz"
    assert [i["item"] for i in record["items"]] == ITEMS
    log = git(root, "log", "-1", "--format=%an|%s", "--name-only")
    assert log.startswith(
        "Gisela Bernert|Archiv: Anbietung 2014-02-07-1 an Landeshauptarchiv Koblenz"
    )
    assert f"archive/{OFFER}/offer.yaml" in log
    from coopkit.model.archive import item_digest, item_uuid

    for item in record["items"]:
        content = {p: (root / p).read_bytes() for p in item["paths"]}
        assert item_digest(content) == item["sha256"]
        assert item["uuid"] == item_uuid(item["item"], item["commit"])
    agreement = next(i for i in record["items"] if i["kind"] == "agreement")
    assert "agreements/koop/evaluation/2013.md" in agreement["paths"]
    assert "agreements/koop/signoffs/v1/caritas.yaml" in agreement["paths"]
    # The running agreement and the minutes not yet approved are not offered.
    assert not any("laufend" in i["item"] or "09-10" in i["item"] for i in record["items"])
