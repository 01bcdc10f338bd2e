"""`coop privacy report/due/scan`: counts and first dates over a generated history, retention."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Cli, git

ANNA = "Anna Alt <alt@kreis.example>"
BERND = "Bernd Bau <bau@kreis.example>"


def _partner(rep: str, contacts: list[tuple[str, str | None]]) -> str:
    text = f"id: kreis\nname: Kreisverwaltung\nrepresentative: {rep}\ncontacts:\n"
    for cid, left in contacts:
        text += f"  - id: {cid}\n    name: Person {cid.upper()}\n"
        if left:
            text += f"    left: {left}\n"
    return text


def _minutes(mid: str, day: str, present: list[str], guests: list[str], owner: str | None,
             notes: str = "") -> str:  # fmt: skip
    text = f"---\nid: {mid}\ntitle: Treffen\ndate: {day}\nattendance:\n  present:\n"
    text += "".join(f"    - {p}\n" for p in present)
    if guests:
        text += "  guests:\n" + "".join(f"    - name: {g}\n" for g in guests)
    text += "tops:\n  - title: Bericht\n"
    if notes:
        text += f"    notes: {notes}\n"
    if owner:
        text += f"    actions:\n      - id: 1\n        who: {owner}\n        what: Liste\n"
        text += f"        due: {day}\n"
    return text + "---\n"


def _commit(root: Path, files: dict[str, str], day: str, author: str) -> None:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"change {day}", "--date", f"{day}T12:00:00+00:00",
        "--author", author)  # fmt: skip


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """Four commits by two authors: 4 contacts, 2 representatives, 4 attendees, 1 action owner
    and one client e-mail address that a later commit removes again."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".gitignore").write_text(".coop/\n")
    git(root, "init", "-q", "-b", "main")
    three = [("a1", None), ("a2", None), ("a3", None)]
    _commit(root, {
        "coop.toml": 'name = "Test"\n',
        "partners/kreis.yaml": _partner("Rita Vogt", three),
    }, "2012-01-10", ANNA)  # fmt: skip
    _commit(root, {
        "minutes/2012-03-05-treffen.md": _minutes(
            "2012-03-05-treffen", "2012-03-05", ["kreis/a1", "kreis/a2"], ["Gast Eins"], "kreis/a3"
        ),
    }, "2012-03-05", BERND)  # fmt: skip
    _commit(root, {
        "partners/kreis.yaml": _partner("Rita Vogt", [*three, ("a4", None)]),
        "minutes/2012-06-01-treffen.md": _minutes(
            "2012-06-01-treffen", "2012-06-01", ["kreis/a4"], [], None,
            notes="Rückfrage an x.privat@mail.example",
        ),
    }, "2012-06-01", ANNA)  # fmt: skip
    _commit(root, {
        "partners/kreis.yaml": _partner(
            "Paul Brandt", [("a1", "2013-01-10"), ("a2", None), ("a3", None), ("a4", None)]
        ),
        "minutes/2012-06-01-treffen.md": _minutes(
            "2012-06-01-treffen", "2012-06-01", ["kreis/a4"], [], None, notes="Rückfrage erledigt"
        ),
    }, "2013-01-15", ANNA)  # fmt: skip
    return root


def _report(cli: Cli, root: Path, today: str = "2013-02-01") -> dict[str, dict]:
    data = json.loads(cli("-C", root, "--json", "privacy", "report", today=today).stdout)
    assert data["commits"] == 4
    return {c["category"]: c for c in data["categories"]}


def _entry(category: dict, key: str) -> dict:
    return next(e for e in category["entries"] if e["key"] == key)


def test_report_counts_people_per_category_with_first_dates(history: Path, cli: Cli) -> None:
    cats = _report(cli, history)
    counts = {name: c["people"] for name, c in cats.items()}
    assert counts == {
        "contacts": 4,
        "representatives": 2,
        "attendees": 4,
        "signatories": 0,
        "action_owners": 1,
        "commit_authors": 2,
        "findings": 1,
    }
    a1 = _entry(cats["contacts"], "kreis/a1")
    assert (a1["first"], a1["commits"], a1["files"]) == ("2012-01-10", 3, ["partners/kreis.yaml"])
    assert a1["left"] == "2013-01-10"
    assert _entry(cats["contacts"], "kreis/a4")["first"] == "2012-06-01"
    rita = _entry(cats["representatives"], "kreis:Rita Vogt")
    assert (rita["first"], rita["still_named"], rita["gone"]) == ("2012-01-10", False, "2013-01-15")
    paul = _entry(cats["representatives"], "kreis:Paul Brandt")
    assert (paul["first"], paul["still_named"]) == ("2013-01-15", True)
    guest = _entry(cats["attendees"], "Gast Eins")
    assert (guest["first"], guest["files"]) == ("2012-03-05", ["minutes/2012-03-05-treffen.md"])
    assert _entry(cats["attendees"], "kreis/a4")["commits"] == 2
    assert _entry(cats["action_owners"], "kreis/a3")["first"] == "2012-03-05"
    assert _entry(cats["commit_authors"], ANNA)["commits"] == 3
    assert _entry(cats["commit_authors"], BERND)["commits"] == 1
    finding = _entry(cats["findings"], "x.privat@mail.example")
    assert (finding["first"], finding["gone"]) == ("2012-06-01", "2013-01-15")
    assert cats["contacts"]["since"] == "2012-01-10"


def test_report_text_is_german_and_english(history: Path, cli: Cli) -> None:
    out = cli("-C", history, "privacy", "report").stdout
    assert "Kontaktpersonen" in out and "Rechtsgrundlage" in out and "dauerhaft" in out
    out = cli("-C", history, "--lang", "en", "privacy", "report").stdout
    assert "Contacts" in out and "Legal basis" in out and "permanent" in out


def _due(cli: Cli, root: Path, today: str) -> set[tuple[str, str]]:
    data = json.loads(cli("-C", root, "--json", "privacy", "due", today=today).stdout)
    return {(d["category"], d["key"]) for d in data["due"]}


@pytest.mark.parametrize(
    ("today", "contact", "representative"),
    [
        ("2014-01-09", False, False),
        ("2014-01-10", True, False),
        ("2014-01-14", True, False),
        ("2014-01-15", True, True),
    ],
)
def test_due_on_both_sides_of_each_period(
    history: Path, cli: Cli, today: str, contact: bool, representative: bool
) -> None:
    found = _due(cli, history, today)
    assert (("contacts", "kreis/a1") in found) is contact
    assert (("representatives", "kreis:Rita Vogt") in found) is representative
    # a finding is due at once; the people still named and the permanent categories never
    assert ("findings", "x.privat@mail.example") in found
    assert not {k for k in found if k[0] in ("attendees", "action_owners", "commit_authors")}
    assert ("contacts", "kreis/a2") not in found


def test_retention_periods_come_from_coop_toml(history: Path, cli: Cli) -> None:
    text = 'name = "Test"\n\n[retention]\ncontacts = "P6M"\nfindings = "permanent"\n'
    _commit(history, {"coop.toml": text}, "2013-02-01", ANNA)
    assert ("contacts", "kreis/a1") not in _due(cli, history, "2013-07-09")
    found = _due(cli, history, "2013-07-10")
    assert ("contacts", "kreis/a1") in found
    assert not {k for k in found if k[0] == "findings"}
    out = cli("-C", history, "privacy", "due", today="2013-07-10").stdout
    assert "coop partner contact remove kreis a1 --delete" in out


def test_bad_retention_period_names_its_place(history: Path, cli: Cli) -> None:
    text = 'name = "Test"\n\n[retention]\ncontacts = "ein Jahr"\n'
    (history / "coop.toml").write_text(text, encoding="utf-8")
    result = cli("-C", history, "check", ok=False)
    assert "coop.toml:4:" in result.stdout + result.stderr
    assert "ISO-8601-Dauer" in result.stdout + result.stderr


def test_check_warns_about_a_contact_past_the_period(history: Path, cli: Cli) -> None:
    result = cli("-C", history, "check", today="2014-01-09")
    assert "Aufbewahrungsfrist" not in result.stderr
    result = cli("-C", history, "check", today="2014-01-10")
    assert result.exit_code == 0
    assert "Warnung: partners/kreis.yaml:" in result.stderr
    assert "Kontakt „Person A1“ ist seit 2013-01-10 ausgeschieden" in result.stderr


def test_scan_history_finds_client_data_a_later_commit_removed(history: Path, cli: Cli) -> None:
    cli("-C", history, "privacy", "scan")
    result = cli("-C", history, "privacy", "scan", "--history", ok=False)
    assert result.exit_code == 1
    sha = git(history, "rev-list", "--reverse", "HEAD").split()[2]  # the 2012-06-01 commit
    line = next(x for x in result.stdout.splitlines() if "x.privat@mail.example" in x)
    assert line.startswith(sha[:10] + "  minutes/2012-06-01-treffen.md:")
    data = json.loads(cli("-C", history, "--json", "privacy", "scan", "--history", ok=False).stdout)
    assert [f["commit"] for f in data["findings"]] == [sha]
    assert data["findings"][0]["line"] > 0 and data["findings"][0]["col"] > 0


def test_report_docx_opens_with_a_table_per_category(
    history: Path, cli: Cli, tmp_path: Path
) -> None:
    from docx_helpers import assert_valid_docx, document_text

    target = tmp_path / "verzeichnis.docx"
    cli("-C", history, "privacy", "report", "-o", target, today="2014-02-07")
    data = target.read_bytes()
    assert_valid_docx(data, tmp_path)
    text = document_text(data)
    assert "Verzeichnis personenbezogener Daten" in text and "7. Februar 2014" in text
    assert "Kontaktpersonen" in text and "Person A1" in text and "2014-01-10" in text
    assert "Rechtsgrundlage" in text and "Art. 6 Abs. 1" in text
    import io

    from docx import Document

    assert len(Document(io.BytesIO(data)).tables) == 6  # one per category that names anyone
    cli("-C", history, "--lang", "en", "privacy", "report", "-o", tmp_path / "record.docx")
    text = document_text((tmp_path / "record.docx").read_bytes())
    assert "Record of personal data" in text and "Contacts" in text and "Legal basis" in text


@pytest.mark.slow
def test_report_docx_converts_with_libreoffice(
    history: Path, cli: Cli, tmp_path: Path, soffice: str
) -> None:
    import subprocess

    cli("-C", history, "privacy", "report", "-o", tmp_path / "verzeichnis.docx")
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(tmp_path / "verzeichnis.docx")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    assert (tmp_path / "pdf" / "verzeichnis.pdf").stat().st_size > 1000
