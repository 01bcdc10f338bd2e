"""The archive hand-over: offer (xdomea 0501), answer, hand-over (0503), and erasure waiting for it.

One LibreOffice run builds the offer (module fixture); one more the hand-over. Every other test
copies the offered repository and works on records only.
"""

from __future__ import annotations

import hashlib
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

from conftest import AUTHOR, BASE_FILES, TODAY, approve_v1, git, tree_state
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


def answer_record(root: Path, n: int = 1) -> dict[str, Any]:
    from ruamel.yaml import YAML

    data: dict[str, Any] = YAML(typ="safe").load(
        (root / f"archive/{OFFER}/answer-{n}.yaml").read_text("utf-8")
    )
    return data


def due_commands(root: Path) -> dict[str, str]:
    import json

    result = run("-C", root, "--json", "privacy", "due")
    return {d["key"]: d["command"] for d in json.loads(result.stdout)["due"]}


def blockers(root: Path, paths: list[str]) -> list[str]:
    from coopkit.queries.archive import erasure_blockers
    from coopkit.queries.context import Context

    ctx = Context(root, date.fromisoformat(TODAY))
    return [p.format("en") for p in erasure_blockers(ctx, paths)]


MINUTES = "minutes/2013-05-14-sitzung.md"
FINDING = "max.mustermann@example.org"


def test_answer_is_recorded_per_item_and_list_shows_the_states(repo: Path) -> None:
    import json

    run(
        "-C", repo, "archive", "answer", OFFER,
        "--taken", "koop", "--declined", "minutes/2013-05-14-sitzung",
        "--date", "05.02.2014" if False else "2014-02-07", "--reference", "LHA 512/2014",
    )  # fmt: skip
    record = answer_record(repo)
    offered = {i["item"]: i for i in offer_record(repo)["items"]}
    assert record["offer"] == OFFER
    assert str(record["date"]) == TODAY
    assert record["reference"] == "LHA 512/2014"
    assert [(i["item"], i["decision"]) for i in record["items"]] == [
        ("agreements/koop", "taken"),
        ("minutes/2013-05-14-sitzung", "declined"),
    ]
    for item in record["items"]:
        assert item["sha256"] == offered[item["item"]]["sha256"]
        assert item["uuid"] == offered[item["item"]]["uuid"]
    subject = git(repo, "log", "-1", "--format=%s")
    assert subject.startswith(f"Archiv: Antwort auf {OFFER} (1 übernommen, 1 abgelehnt")
    listed = json.loads(run("-C", repo, "--json", "archive", "list").stdout)
    states = {i["item"]: i["state"] for i in listed["offers"][0]["items"]}
    assert states == {"agreements/koop": "taken", "minutes/2013-05-14-sitzung": "declined"}
    text = run("-C", repo, "archive", "list").stdout
    assert "übernommen (Abgabe fehlt)" in text and "abgelehnt" in text
    # Answered once: a second answer for the same item is refused, nothing written.
    before = tree_state(repo)
    result = run(
        "-C", repo, "archive", "answer", OFFER, "--declined", "koop",
        "--date", TODAY, "--reference", "x", ok=False,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "schon beantwortet: agreements/koop" in result.stderr
    assert tree_state(repo) == before


def test_privacy_due_shows_the_archive_step_until_the_archive_answered(
    tmp_path: Path, repo: Path
) -> None:
    fresh = build(tmp_path / "fresh")
    assert due_commands(fresh)[FINDING] == "coop archive offer -o anbietung.zip"
    assert due_commands(repo)[FINDING] == (
        f"coop archive answer {OFFER} --taken minutes/2013-05-14-sitzung "
        "--date DATUM --reference AZ"
    )
    run(
        "-C", repo, "archive", "answer", OFFER, "--declined", "2013-05-14-sitzung",
        "--date", TODAY, "--reference", "LHA 1",
    )  # fmt: skip
    assert due_commands(repo)[FINDING] == (
        f'coop privacy erase --path {MINUTES} --reason "Aufbewahrungsfrist abgelaufen"'
    )


def test_erasure_blockers_name_the_step_per_path(tmp_path: Path, repo: Path) -> None:
    fresh = build(tmp_path / "fresh")
    paths = [
        MINUTES,
        "agreements/koop/signoffs/v1/kreis.yaml",
        "agreements/laufend/agreement.md",
        "minutes/2013-09-10-sitzung.md",
        "partners/kreis.yaml",
    ]
    found = blockers(fresh, paths)
    assert len(found) == 2
    assert found[0].startswith(f"{MINUTES}: minutes/2013-05-14-sitzung must be offered")
    assert "coop archive offer" in found[0]
    assert found[1].startswith("agreements/koop/signoffs/v1/kreis.yaml: agreements/koop must")
    offered = blockers(repo, paths)
    assert len(offered) == 2 and all("answer is missing" in b for b in offered)
    run(
        "-C", repo, "archive", "answer", OFFER, "--taken", "koop", "--declined",
        "2013-05-14-sitzung", "--date", TODAY, "--reference", "LHA 1",
    )  # fmt: skip
    after = blockers(repo, paths)
    assert len(after) == 1
    assert "taken by the archive but not yet handed over" in after[0]
    assert f"coop archive handover {OFFER}" in after[0]


def test_hostile_answer_records_are_problems_and_never_unlock_erasure(repo: Path) -> None:
    import json

    offered = offer_record(repo)["items"][1]
    bad = repo / f"archive/{OFFER}/answer-1.yaml"
    bad.write_text(
        f"offer: {OFFER}\nprocess_id: {offer_record(repo)['process_id']}\n"
        "date: 2014-02-07\nreference: fremd\nitems:\n"
        f"  - item: {offered['item']}\n    uuid: {offered['uuid']}\n"
        f"    sha256: {'0' * 64}\n    decision: declined\n"
        "  - item: agreements/erfunden\n"
        f"    uuid: {offered['uuid']}\n    sha256: {'0' * 64}\n    decision: declined\n",
        encoding="utf-8",
    )
    result = run("-C", repo, "archive", "list", ok=False)
    assert result.exit_code == 1
    assert f"archive/{OFFER}/answer-1.yaml:8:13: Prüfsumme passt nicht" in result.stdout
    assert f"archive/{OFFER}/answer-1.yaml:10:11: „agreements/erfunden“ wurde in" in result.stdout
    listed = json.loads(run("-C", repo, "--json", "archive", "list", ok=False).stdout)
    assert {i["state"] for i in listed["offers"][0]["items"]} == {"offered"}
    assert len(blockers(repo, [MINUTES])) == 1
    # Writing on top of a broken record is refused as a whole.
    before = tree_state(repo)
    result = run(
        "-C", repo, "archive", "answer", OFFER, "--taken", "koop",
        "--date", TODAY, "--reference", "x", ok=False,
    )  # fmt: skip
    assert result.exit_code == 1
    assert tree_state(repo) == before


def test_a_broken_offer_record_names_file_line_and_column(repo: Path) -> None:
    path = repo / f"archive/{OFFER}/offer.yaml"
    text = path.read_text("utf-8").replace("process_id: ", "process_id: nicht-", 1)
    path.write_text(text, encoding="utf-8")
    (repo / "archive/notizen.txt").write_text("x", encoding="utf-8")
    result = run("-C", repo, "archive", "list", ok=False)
    assert result.exit_code == 1
    assert re.search(rf"archive/{OFFER}/offer\.yaml:\d+:\d+: .*UUID", result.stdout)
    assert "archive/notizen.txt: Datei an unerwarteter Stelle" in result.stdout
    assert len(blockers(repo, [MINUTES])) == 1


def test_answer_bad_input_is_reported_and_nothing_written(repo: Path) -> None:
    before = tree_state(repo)
    result = run(
        "-C", repo, "archive", "answer", OFFER, "--taken", "gibt-es-nicht",
        "--date", TODAY, "--reference", "x", ok=False,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "nicht in der Anbietung" in result.stderr and "gibt-es-nicht" in result.stderr
    result = run(
        "-C", repo, "archive", "answer", OFFER, "--taken", "koop",
        "--date", "2014-01-01", "--reference", "x", ok=False,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--date 2014-01-01" in result.stderr
    result = run(
        "-C", repo, "archive", "answer", "1999-01-01-1", "--taken", "koop",
        "--date", TODAY, "--reference", "x", ok=False,
    )  # fmt: skip
    assert result.exit_code == 6
    result = run(
        "-C", repo, "archive", "answer", OFFER, "--date", TODAY, "--reference", "x", ok=False
    )
    assert result.exit_code == 2
    assert tree_state(repo) == before


def appraisal_xml(process: str, codes: dict[str, str]) -> str:
    objects = "".join(
        f"<x:BewertetesObjekt><x:ID>{ident}</x:ID><x:Aussonderungsart><x:Aussonderungsart>"
        f"<code>{code}</code></x:Aussonderungsart></x:Aussonderungsart></x:BewertetesObjekt>\n"
        for ident, code in codes.items()
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<x:Aussonderung.Bewertungsverzeichnis.0502 '
        f'xmlns:x="{NS}">\n<x:Kopf><x:ProzessID>{process}</x:ProzessID></x:Kopf>\n{objects}'
        "</x:Aussonderung.Bewertungsverzeichnis.0502>\n"
    )


def test_answer_reads_the_archives_0502_appraisal(repo: Path, tmp_path: Path) -> None:
    record = offer_record(repo)
    uuids = [i["uuid"] for i in record["items"]]
    wrong = tmp_path / "falsch.xml"
    wrong.write_text(appraisal_xml(str(uuid.uuid4()), {uuids[0]: "B"}), encoding="utf-8")
    before = tree_state(repo)
    result = run(
        "-C", repo, "archive", "answer", OFFER, "--file", wrong,
        "--date", TODAY, "--reference", "x", ok=False,
    )  # fmt: skip
    assert result.exit_code == 1
    assert f"{wrong}:3:1: ProzessID" in result.stderr
    assert f"{wrong}:4:1: Aussonderungsart „B“" in result.stderr
    assert tree_state(repo) == before
    good = tmp_path / "bewertung.xml"
    good.write_text(
        appraisal_xml(record["process_id"], {uuids[0]: "A", uuids[1]: "V"}), encoding="utf-8"
    )
    run(
        "-C", repo, "archive", "answer", OFFER, "--file", good,
        "--date", TODAY, "--reference", "LHA 7",
    )  # fmt: skip
    assert [i["decision"] for i in answer_record(repo)["items"]] == ["taken", "declined"]


def test_offer_refuses_bad_targets_and_an_empty_selection(tmp_path: Path) -> None:
    root = build(tmp_path / "r")
    before = tree_state(root)
    result = run("-C", root, "archive", "offer", "-o", root / "archive/x.zip", ok=False)
    assert result.exit_code == 2 and "archive/" in result.stderr
    occupied = tmp_path / "voll"
    occupied.mkdir()
    (occupied / "datei").write_text("x")
    result = run("-C", root, "archive", "offer", "-o", occupied, ok=False)
    assert result.exit_code == 2 and "nicht leer" in result.stderr
    result = run(
        "-C", root, "archive", "offer", "--before", "2013-01-01", "-o", tmp_path / "a.zip",
        ok=False,
    )  # fmt: skip
    assert result.exit_code == 2 and "nichts anzubieten" in result.stderr
    (root / "coop.toml").write_text('name = "X"\n', encoding="utf-8")
    git(root, "commit", "-qam", "no archive")
    before = tree_state(root)
    result = run("-C", root, "archive", "offer", "-o", tmp_path / "b.zip", ok=False)
    assert result.exit_code == 4 and "[archive]" in result.stderr
    assert tree_state(root) == before
    assert not (tmp_path / "a.zip").exists() and not (tmp_path / "b.zip").exists()


def test_a_folder_package_appears_whole_or_not_at_all(tmp_path: Path) -> None:
    from coopkit.queries.context import Context
    from coopkit.services.archive import publish

    root = build(tmp_path / "r")
    ctx = Context(root, date.fromisoformat(TODAY))
    target = tmp_path / "paket"
    publish(ctx, {"a.xml": b"<a/>", "SHA256SUMS": b"x"}, target)
    assert sorted(p.name for p in target.iterdir()) == ["SHA256SUMS", "a.xml"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".coop-archive-")]


def test_a_failed_folder_package_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coopkit.queries.context import Context
    from coopkit.services.archive import publish

    root = build(tmp_path / "r")
    ctx = Context(root, date.fromisoformat(TODAY))
    written: list[Path] = []
    real = Path.write_bytes

    def failing(self: Path, data: bytes) -> int:
        if written:
            raise OSError(28, "No space left on device")
        written.append(self)
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    target = tmp_path / "paket"
    with pytest.raises(OSError):
        publish(ctx, {"a.xml": b"<a/>", "b.pdf": b"%PDF", "SHA256SUMS": b"x"}, target)
    assert written and not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".coop-archive-")]


def test_handover_gives_the_taken_items_with_primaries_and_records_it(
    repo: Path, tmp_path: Path
) -> None:
    run(
        "-C", repo, "archive", "answer", OFFER, "--taken", "koop", "--declined",
        "2013-05-14-sitzung", "--date", TODAY, "--reference", "LHA 1",
    )  # fmt: skip
    package = tmp_path / "abgabe.zip"
    run("-C", repo, "archive", "handover", OFFER, "-o", package, today="2014-02-10")
    files = members(package)
    process = offer_record(repo)["process_id"]
    xml_name = f"{process}_Aussonderung.Aussonderung.0503.xml"
    assert sorted(files) == sorted(
        [
            xml_name,
            "SHA256SUMS",
            "Bericht_koop_2013.pdf",
            "Freigaben_koop_v1.pdf",
            "Vereinbarung_koop_v1.pdf",
        ]
    )
    message = etree.fromstring(files[xml_name])
    assert message.tag == f"{X}Aussonderung.Aussonderung.0503"
    head = message.find(f"{X}Kopf")
    assert head.findtext(f"{X}ProzessID") == process
    assert head.findtext(f"{X}Nachrichtentyp/code") == "0503"
    assert head.findtext(f"{X}Importbestaetigung") == "true"
    objects = message.findall(f"{X}Schriftgutobjekt")
    assert len(objects) == 1
    akte = objects[0].find(f"{X}Akte")
    appraisal = f"{X}ArchivspezifischeMetadaten/{X}Aussonderungsart/{X}Aussonderungsart/code"
    assert akte.findtext(appraisal) == "A"
    primaries = akte.findall(f".//{X}Primaerdokument")
    named = sorted(p.findtext(f"{X}Dateiname") for p in primaries)
    assert named == sorted(n for n in files if n.endswith(".pdf"))
    fmt = akte.find(f".//{X}Format")
    assert fmt.findtext(f"{X}Name/code") == "pdf"
    assert fmt.findtext(f"{X}Version") == "PDF/A-2b"
    for line in files["SHA256SUMS"].decode().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(files[name]).hexdigest() == digest
    from ruamel.yaml import YAML

    record = YAML(typ="safe").load((repo / f"archive/{OFFER}/handover.yaml").read_text("utf-8"))
    assert [i["item"] for i in record["items"]] == ["agreements/koop"]
    assert {f["name"]: f["sha256"] for f in record["files"]} == {
        n: hashlib.sha256(b).hexdigest() for n, b in files.items() if n != "SHA256SUMS"
    }
    assert blockers(repo, ["agreements/koop/agreement.md", MINUTES]) == []
    result = run("-C", repo, "archive", "handover", OFFER, "-o", tmp_path / "2.zip", ok=False)
    assert result.exit_code == 2 and "schon abgegeben" in result.stderr
