"""The bad-input battery: every broken file is reported as path:line:col, exit 1, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Cli, MakeRepo, tree_state

PARTNER_OK = "id: diakonie\nname: Diakonie\n"


def run_check(cli: Cli, root: Path, *extra: str) -> tuple[int, str]:
    before = tree_state(root)
    result = cli("-C", root, *extra, "check", ok=None)
    assert tree_state(root) == before, "check must not write or commit"
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("id: diakonie\nname: [Diakonie\n", "partners/diakonie.yaml:3:1: ungültiges YAML"),
        (
            "id: diakonie\n\tname: Diakonie\n",
            "partners/diakonie.yaml:2:1: Tabulator zur Einrückung",
        ),
        (
            "id: diakonie\nname: Diakonie\nname: Diakonie 2\n",
            "partners/diakonie.yaml:3:1: Schlüssel „name“ doppelt (zuerst in Zeile 2)",
        ),
        (
            "id: diakonie\nname: &n Diakonie\nshort: *n\n",
            "partners/diakonie.yaml:2:7: YAML-Anker „&n“ ist nicht erlaubt",
        ),
        (
            "id: diakonie\nname: !!python/object:os.system Diakonie\n",
            "partners/diakonie.yaml:2:7: YAML-Tag „tag:yaml.org,2002:python/object:os.system“",
        ),
        ("id: diakonie\nnam: Diakonie\n", "partners/diakonie.yaml:1:1: Pflichtfeld „name“ fehlt"),
        (
            "id: diakonie\nname: Diakonie\nfax: 123\n",
            "partners/diakonie.yaml:3:6: unbekanntes Feld „fax“ (Tippfehler?); erlaubt: id, name",
        ),
        (
            "id: diakonie\nname: Diakonie\ncontacts:\n  - id: a\n    name: A\n    topics: x\n",
            "partners/diakonie.yaml:6:13: „topics“: erwartet eine Liste",
        ),
        ("id: ''\nname: Diakonie\n", "partners/diakonie.yaml:1:5: leere ID"),
        (
            "id: ../../etc/passwd\nname: D\n",
            "partners/diakonie.yaml:1:5: ID „../../etc/passwd“ enthält einen Pfadtrenner",
        ),
        (
            "id: con\nname: D\n",
            "partners/diakonie.yaml:1:5: ID „con“ ist unter Windows ein reservierter Gerätename",
        ),
        (
            "id: Diakonie\nname: D\n",
            "partners/diakonie.yaml:1:5: ungültige ID „Diakonie“",
        ),
        (
            "id: diakonie-ko\nname: D\n",
            "partners/diakonie.yaml:1:5: ID „diakonie-ko“ passt nicht zum Dateinamen „diakonie.yaml“",
        ),
        (
            "id: diakonie\nname: D\n<<<<<<< HEAD\nshort: A\n=======\nshort: B\n>>>>>>> other\n",
            "partners/diakonie.yaml:3:1: Konfliktmarkierung „<<<<<<<“",
        ),
    ],
    ids=[
        "malformed",
        "tab",
        "duplicate-key",
        "anchor-alias",
        "tag",
        "missing-field",
        "unknown-field",
        "wrong-type",
        "empty-id",
        "traversal",
        "windows-device",
        "uppercase-id",
        "id-file-mismatch",
        "conflict-marker",
    ],
)
def test_check_reports_bad_partner_file(
    make_repo: MakeRepo, cli: Cli, content: str, expected: str
) -> None:
    root = make_repo({"partners/diakonie.yaml": content})
    code, out = run_check(cli, root)
    assert code == 1
    assert expected in out, out
    assert out.rstrip().splitlines()[-1].startswith(("1 Problem", "2 Problem", "3 Problem"))


def test_check_reports_all_problems_at_once_sorted(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(
        {
            "partners/b.yaml": "id: b\nname: [x\n",
            "partners/a.yaml": "id: a\n",
            "minutes/2014-02-05-x.md": "no front matter\n",
        }
    )
    code, out = run_check(cli, root)
    assert code == 1
    lines = out.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "minutes/2014-02-05-x.md",
        "partners/a.yaml",
        "partners/b.yaml",
    ]
    assert lines[-1] == "3 Problem(e) in 3 Datei(en)"


def test_check_json_gives_the_same_problems_as_objects(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"partners/a.yaml": "id: a\n"})
    result = cli("-C", root, "--json", "check", ok=False)
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["problems"] == [
        {
            "path": "partners/a.yaml",
            "line": 1,
            "col": 1,
            "code": "missing-field",
            "message": "Pflichtfeld „name“ fehlt",
        }
    ]


def test_check_speaks_english_when_asked(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"partners/a.yaml": "id: a\n"})
    result = cli("-C", root, "--lang", "en", "check", ok=False)
    assert 'partners/a.yaml:1:1: required field "name" is missing' in result.stdout
    assert "1 problem(s) in 1 file(s)" in result.stdout


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b"id: diakonie\nname: D\xfcsseldorf\n",
            "partners/diakonie.yaml:2:8: kein gültiges UTF-8 (Byte 0xfc)",
        ),
        (b"id: diakonie\nname: D\x00\n", "partners/diakonie.yaml:2:8: NUL-Byte"),
    ],
    ids=["latin1", "nul"],
)
def test_check_reports_unreadable_bytes(
    make_repo: MakeRepo, cli: Cli, data: bytes, expected: str
) -> None:
    root = make_repo({"partners/diakonie.yaml": data})
    code, out = run_check(cli, root)
    assert code == 1
    assert expected in out


def test_check_accepts_bom_and_crlf(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(
        {"partners/diakonie.yaml": "\ufeffid: diakonie\r\nname: Diakonie\r\nshort: D\r\n".encode()}
    )
    code, out = run_check(cli, root)
    assert code == 0, out


def test_check_refuses_oversized_file(make_repo: MakeRepo, cli: Cli) -> None:
    big = "id: diakonie\nname: D\n" + "# " + "x" * (1024 * 1024) + "\n"
    root = make_repo({"partners/diakonie.yaml": big})
    code, out = run_check(cli, root)
    assert code == 1
    assert "partners/diakonie.yaml: Datei ist 1048600 Bytes groß; erlaubt sind höchstens" in out


def test_yaml_11_traps_keep_their_text(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(
        {
            "partners/diakonie.yaml": (
                "id: diakonie\nname: NO\nshort: 1.10\naddress:\n  postcode: 01067\n  country: NO\n"
            )
        }
    )
    code, out = run_check(cli, root)
    assert code == 0, out
    result = cli("-C", root, "--json", "status")
    partners = {p["id"]: p["name"] for p in json.loads(result.stdout)["partners"]}
    assert partners["diakonie"] == "NO"

    from coopkit.store.codec import parse_partner
    from coopkit.store.text import decode_text

    textfile, _ = decode_text(
        "partners/diakonie.yaml", (root / "partners/diakonie.yaml").read_bytes()
    )
    assert textfile is not None
    located, problems = parse_partner(textfile)
    assert not problems and located is not None
    partner = located.value
    assert partner.short == "1.10"
    assert partner.address is not None
    assert (partner.address.postcode, partner.address.country) == ("01067", "NO")


def test_check_reports_unknown_references_with_lines(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(
        {
            "minutes/2014-02-05-treffen.md": """\
                ---
                id: 2014-02-05-treffen
                title: Treffen
                agreements: [koop, gibtsnicht]
                date: 2014-02-05
                chair: kreis/bernert
                minute_taker: kreis/niemand
                attendance:
                  present: [kreis/bernert, awo]
                tops:
                  - title: Bericht
                    actions:
                      - id: 1
                        who: caritas/klein
                        what: Konzept
                        due: 2014-01-31
                ---
                """,
            "agreements/koop/fulfilment/2013-03-31-angebot-caritas.yaml": (
                "obligation: angebot\npartner: caritas\ndue: 2013-03-31\ndate: 2013-03-30\n"
            ),
            "actions/2014-02-05-treffen-7.yaml": "action: 2014-02-05-treffen#7\ndate: 2014-02-10\n",
        }
    )
    text = (root / "agreements/koop/agreement.md").read_text()
    (root / "agreements/koop/agreement.md").write_text(text.replace("clause: 2", "clause: 9"))
    code, out = run_check(cli, root)
    assert code == 1
    expected = [
        "actions/2014-02-05-treffen-7.yaml:1:9: unbekannte Aufgabe „2014-02-05-treffen#7“",
        "agreements/koop/agreement.md:12:13: unbekannter Paragraph § 9; vorhanden: § 1, § 2",
        "agreements/koop/fulfilment/2013-03-31-angebot-caritas.yaml:1:13: unbekannte Pflicht „angebot“",
        "minutes/2014-02-05-treffen.md:4:20: unbekannte Vereinbarung „gibtsnicht“",
        "minutes/2014-02-05-treffen.md:7:15: unbekannte Person „niemand“ bei kreis",
        "minutes/2014-02-05-treffen.md:9:28: unbekannter Partner „awo“",
        "minutes/2014-02-05-treffen.md:16:14: Aufgabe fällig am 2014-01-31, vor der Sitzung am 2014-02-05",
    ]
    for line in expected:
        assert line in out, f"{line}\n---\n{out}"


def test_check_reports_duplicate_ids_in_two_files(make_repo: MakeRepo, cli: Cli) -> None:
    minutes = """\
        ---
        id: 2014-02-05-treffen
        title: Treffen
        date: 2014-02-05
        ---
        """
    root = make_repo(
        {"minutes/2014-02-05-treffen.md": minutes, "minutes/2014-02-05-treffen-2.md": minutes}
    )
    code, out = run_check(cli, root)
    assert code == 1
    assert (
        "minutes/2014-02-05-treffen.md:2:5: ID „2014-02-05-treffen“ doppelt; schon vergeben in "
        "minutes/2014-02-05-treffen-2.md:2:5"
    ) in out
    assert (
        "minutes/2014-02-05-treffen-2.md:2:5: ID „2014-02-05-treffen“ passt nicht zum Dateinamen"
        in out
    )


def test_check_reports_date_logic(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    path = root / "agreements/koop/agreement.md"
    path.write_text(
        path.read_text().replace(
            "valid_from: 2012-12-01", "valid_from: 2012-12-01\nvalid_until: 2012-06-30"
        )
    )
    code, out = run_check(cli, root)
    assert code == 1
    assert (
        "agreements/koop/agreement.md:7:14: Ende der Laufzeit 2012-06-30 liegt vor ihrem Beginn 2012-12-01"
        in out
    )
    assert (
        "agreements/koop/agreement.md:18:16: erste Fälligkeit 2013-03-31 liegt außerhalb der Laufzeit"
        in out
    )


def test_check_reports_bad_date_with_line(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    path = root / "agreements/koop/agreement.md"
    path.write_text(path.read_text().replace("valid_from: 2012-12-01", "valid_from: 2012-13-01"))
    code, out = run_check(cli, root)
    assert code == 1
    assert (
        "agreements/koop/agreement.md:6:13: „valid_from“: erwartet ein Datum JJJJ-MM-TT, gefunden „2012-13-01“"
        in out
    )


def test_check_reports_clause_numbering_and_headings(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    path = root / "agreements/koop/agreement.md"
    text = path.read_text().replace("## § 2 Leistungen", "## § 3 Leistungen") + "\n## Anhang\n"
    path.write_text(text)
    code, out = run_check(cli, root)
    assert code == 1
    assert "agreements/koop/agreement.md:28:4: Paragraph § 3 an dieser Stelle; erwartet § 2" in out
    assert "agreements/koop/agreement.md:32:1: Überschrift „## Anhang“" in out


def test_check_outside_a_repository_is_a_repository_error(tmp_path: Path, cli: Cli) -> None:
    result = cli("-C", tmp_path, "check", ok=False)
    assert result.exit_code == 5
    assert "kein coop-Repository" in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (("partner", "add", "../etc", "--name", "X"), 2, "Pfadtrenner"),
        (("partner", "add", "con", "--name", "X"), 2, "Gerätename"),
        (
            ("obligation", "add", "koop", "neu", "--by", "awo", "--what", "x"),
            1,
            "agreements/koop/agreement.md:20:9: unbekannter Partner „awo“",
        ),
        (
            ("agreement", "set", "koop", "valid_until", "2011-01-01"),
            1,
            "Ende der Laufzeit 2011-01-01 liegt vor ihrem Beginn 2012-12-01",
        ),
        (
            ("agreement", "set", "koop", "valid_from", "2012-02-30"),
            1,
            "agreements/koop/agreement.md:6:13: „valid_from“: erwartet ein Datum JJJJ-MM-TT, "
            "gefunden „2012-02-30“",
        ),
    ],
    ids=["traversal-id", "device-id", "unknown-partner", "end-before-start", "bad-date"],
)
def test_write_commands_refuse_bad_input_and_change_nothing(
    make_repo: MakeRepo, cli: Cli, args: tuple[str, ...], code: int, expected: str
) -> None:
    root = make_repo()
    before = tree_state(root)
    result = cli("-C", root, *args, ok=False)
    assert result.exit_code == code, result.stdout + result.stderr
    assert expected in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert tree_state(root) == before
    assert not (root / "partners/..").resolve().joinpath("etc.yaml").exists()
