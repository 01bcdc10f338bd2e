"""Correction commands: each is one commit with a German message, honours -m, keeps comments,
key order, BOM and CRLF, and a refusal changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Cli, MakeRepo, git, tree_state

MEETING = "2014-05-14-arbeitstreffen"
HELD = "2014-02-05-evaluation"

MINUTES = {
    f"minutes/{HELD}.md": f"""\
        ---
        id: {HELD}
        title: Evaluation
        agreements: [koop]
        date: 2014-02-05
        chair: kreis/bernert
        status: sent
        sent: 2014-02-12
        attendance:
          present: [kreis/bernert, jobcenter/meyer]
        tops:
          - title: Bilanz
            actions:
              - id: 1
                who: caritas/klein
                what: Faltblatt übersetzen
                due: 2014-03-31
        ---
        """,
    f"minutes/{MEETING}.md": f"""\
        ---
        id: {MEETING}
        title: Arbeitstreffen
        agreements: [koop]
        date: 2014-05-14
        # the room is booked until 16:00
        place: Sitzungssaal
        attendance:
          present: [kreis/bernert, jobcenter/meyer]
          excused: [caritas/klein]
          guests:
            - name: Ralf Simon
              org: BAMF
        tops:
          - title: Begrüßung
            notes: |
              Erste Notiz.
          - title: Fortbildungstag
            decisions:
              - Der Fortbildungstag findet statt.
              - Die Caritas lädt ein.
            actions:
              - id: 1
                who: jobcenter/meyer
                what: Raum buchen
                due: 2014-06-30
        ---
        """,
    f"actions/{HELD}-1.yaml": f"""\
        action: {HELD}#1
        status: done
        date: 2014-03-20
        """,
    "agreements/koop/fulfilment/2013-03-31-angebote-caritas.yaml": """\
        obligation: angebote
        partner: caritas
        due: 2013-03-31
        date: 2013-03-28
        """,
}


@pytest.fixture
def root(make_repo: MakeRepo) -> Path:
    return make_repo(MINUTES)


def _last(root: Path) -> tuple[str, list[str]]:
    message = git(root, "log", "-1", "--format=%B").strip()
    files = git(root, "show", "--no-renames", "--name-only", "--format=", "HEAD").split()
    return message, files


def _count(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD"))


def _one_commit(root: Path, before: int, subject: str, note: str | None = None) -> list[str]:
    assert _count(root) == before + 1
    message, files = _last(root)
    assert message.splitlines()[0] == subject
    if note:
        assert message.endswith("\n\n" + note)
    assert git(root, "status", "--porcelain") == ""
    return files


# --------------------------------------------------------------------------- partners


def test_partner_set_changes_any_field_with_message_and_note(root: Path, cli: Cli) -> None:
    path = root / "partners/kreis.yaml"
    path.write_text("# Stammdaten\n" + path.read_text())
    git(root, "commit", "-qam", "comment")
    n = _count(root)
    cli("-C", root, "partner", "set", "kreis", "email", "info@kreis.example", "-m", "laut Brief")
    files = _one_commit(
        root, n, "Partner kreis: email auf „info@kreis.example“ gesetzt", "laut Brief"
    )
    assert files == ["partners/kreis.yaml"]
    text = path.read_text()
    assert text.startswith("# Stammdaten\nid: kreis\nname: ")
    lines = text.splitlines()
    assert lines.index("email: info@kreis.example") < lines.index("contacts:")
    cli("-C", root, "partner", "set", "kreis", "city", "Koblenz")
    cli("-C", root, "partner", "set", "kreis", "postcode", "56068")
    assert 'address:\n  postcode: "56068"\n  city: Koblenz\n' in path.read_text()
    cli("-C", root, "partner", "set", "kreis", "short", "")
    assert "short:" not in path.read_text()
    assert _last(root)[0] == "Partner kreis: short entfernt"
    shown = json.loads(cli("-C", root, "--json", "partner", "show", "kreis").stdout)
    assert shown["email"] == "info@kreis.example" and shown["address"]["postcode"] == "56068"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("kreis", "e-mail", "x"), "Feld „e-mail“ unbekannt"),
        (("kreis", "name", ""), "„name“ darf nicht leer sein"),
        (("kreis", "id", "k2"), "die ID eines Partners wird nicht geändert"),
        (("nobody", "email", "x@y.example"), "Partner „nobody“ nicht gefunden"),
    ],
)
def test_partner_set_refusals_change_nothing(
    root: Path, cli: Cli, args: tuple[str, ...], words: str
) -> None:
    before = tree_state(root)
    result = cli("-C", root, "partner", "set", *args, ok=False)
    assert words in result.stderr
    assert tree_state(root) == before


def test_partner_set_keeps_bom_and_crlf(root: Path, cli: Cli) -> None:
    path = root / "partners/jobcenter.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    git(root, "commit", "-qam", "crlf")
    cli("-C", root, "partner", "set", "jobcenter", "phone", "0261 100")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"phone: 0261 100\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_contact_set_and_remove(root: Path, cli: Cli) -> None:
    n = _count(root)
    cli(
        "-C", root, "partner", "contact", "set", "caritas", "klein",
        "--email", "klein@caritas.example", "--topic", "migration", "--topic", "sprache",
    )  # fmt: skip
    _one_commit(root, n, "Kontakt klein bei Partner caritas geändert: email, topics")
    text = (root / "partners/caritas.yaml").read_text()
    assert "    email: klein@caritas.example\n    topics:\n      - migration\n" in text
    cli("-C", root, "partner", "contact", "set", "caritas", "klein", "--topic", "")
    assert "topics" not in (root / "partners/caritas.yaml").read_text()
    # klein is excused in a meeting: deleting would leave a dangling reference
    before = tree_state(root)
    result = cli(
        "-C", root, "partner", "contact", "remove", "caritas", "klein", "--delete", ok=False
    )  # fmt: skip
    assert "caritas/klein wird noch genannt" in result.stderr
    assert f"minutes/{MEETING}.md:" in result.stderr and f"minutes/{HELD}.md:" in result.stderr
    assert tree_state(root) == before
    # without --delete the contact stays, with the day they left
    n = _count(root)
    cli("-C", root, "partner", "contact", "remove", "caritas", "klein", "--left", "2014-01-31")
    _one_commit(root, n, "Kontakt klein bei Partner caritas ausgeschieden am 2014-01-31")
    assert "    left: 2014-01-31\n" in (root / "partners/caritas.yaml").read_text()
    cli("-C", root, "check")
    result = cli("-C", root, "partner", "contact", "remove", "caritas", "klein", ok=False)
    assert "bereits am 2014-01-31 ausgeschieden" in result.stderr
    cli("-C", root, "partner", "contact", "add", "caritas", "--name", "Olga Neu")
    n = _count(root)
    cli(
        "-C", root, "partner", "contact", "remove", "caritas", "olga-neu", "--delete",
        "-m", "ausgeschieden",
    )  # fmt: skip
    _one_commit(root, n, "Kontakt olga-neu bei Partner caritas entfernt", "ausgeschieden")
    assert "olga-neu" not in (root / "partners/caritas.yaml").read_text()
    result = cli("-C", root, "partner", "contact", "remove", "caritas", "nobody", ok=False)
    assert "Kontakt „nobody“ in caritas nicht gefunden" in result.stderr


# --------------------------------------------------------------------------- clauses


AGREEMENT = "agreements/koop/agreement.md"


def _three_clauses(make_repo: MakeRepo) -> Path:
    text = """\
        ---
        id: koop
        title: Kooperationsvereinbarung Integration
        parties: [kreis, jobcenter, caritas]
        valid_from: 2012-12-01
        obligations:
          - id: angebote
            clause: 3
            by: caritas
            what: Über Angebote informieren
            every: P3M
            first_due: 2013-03-31
          - id: bericht  # jährlich
            clause: 2
            by: kreis
            what: Bericht
        ---

        ## Präambel

        Die Partner arbeiten zusammen.

        ## § 1 Ziele

        Ziele.

        ## § 2 Berichte

        Berichte.

        ## § 3 Angebote

        Angebote.
        """
    return make_repo({AGREEMENT: text})


def test_clause_set_replaces_title_and_text(make_repo: MakeRepo, cli: Cli) -> None:
    root = _three_clauses(make_repo)
    n = _count(root)
    cli("-C", root, "agreement", "clause", "set", "koop", "2", "--title", "Jahresbericht",
        "Der Kreis berichtet jährlich.", "-m", "Wortlaut abgestimmt")  # fmt: skip
    _one_commit(root, n, "§ 2 von koop geändert: Überschrift + Text", "Wortlaut abgestimmt")
    text = (root / AGREEMENT).read_text()
    assert "## § 2 Jahresbericht\n\nDer Kreis berichtet jährlich.\n\n## § 3 Angebote\n" in text
    assert "  - id: bericht  # jährlich\n" in text
    cli("-C", root, "agreement", "clause", "set", "koop", "3", "Nur der Text.")
    assert text.replace("Angebote.\n", "Nur der Text.\n") == (root / AGREEMENT).read_text()


def test_clause_remove_renumbers_and_follows_obligations(make_repo: MakeRepo, cli: Cli) -> None:
    root = _three_clauses(make_repo)
    before = tree_state(root)
    result = cli("-C", root, "agreement", "clause", "remove", "koop", "2", ok=False)
    assert "§ 2 von koop wird von Pflichten genannt: bericht" in result.stderr
    assert tree_state(root) == before
    cli("-C", root, "obligation", "set", "koop", "bericht", "--unset", "clause")
    n = _count(root)
    cli("-C", root, "agreement", "clause", "remove", "koop", "2")
    _one_commit(root, n, "§ 2 aus koop entfernt; folgende Paragraphen neu nummeriert")
    text = (root / AGREEMENT).read_text()
    assert "## § 2 Angebote\n\nAngebote.\n" in text and "Berichte" not in text
    assert "    clause: 2\n    by: caritas" in text
    assert cli("-C", root, "check").exit_code == 0


def test_clause_move_renumbers_between(make_repo: MakeRepo, cli: Cli) -> None:
    root = _three_clauses(make_repo)
    n = _count(root)
    result = cli("-C", root, "--json", "agreement", "clause", "move", "koop", "3", "--to", "1")
    assert json.loads(result.stdout)["renumbered"] == {"1": 2, "2": 3, "3": 1}
    _one_commit(root, n, "§ 3 von koop wird § 1; dazwischen neu nummeriert")
    text = (root / AGREEMENT).read_text()
    body = text.split("---\n")[2]
    assert [line for line in body.splitlines() if line.startswith("## ")] == [
        "## Präambel",
        "## § 1 Angebote",
        "## § 2 Ziele",
        "## § 3 Berichte",
    ]
    assert "    clause: 1\n    by: caritas" in text and "    clause: 3\n    by: kreis" in text
    assert cli("-C", root, "check").exit_code == 0
    before = tree_state(root)
    result = cli("-C", root, "agreement", "clause", "move", "koop", "1", "--to", "9", ok=False)
    assert "--to: § 9 gibt es in koop nicht" in result.stderr
    assert tree_state(root) == before


def test_clause_commands_keep_crlf(make_repo: MakeRepo, cli: Cli) -> None:
    root = _three_clauses(make_repo)
    path = root / AGREEMENT
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    git(root, "commit", "-qam", "crlf")
    cli("-C", root, "agreement", "clause", "move", "koop", "1", "--to", "2")
    data = path.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"") and b"## \xc2\xa7 2 Ziele\r\n" in data


def test_agreement_set_edit_and_clause_add_take_a_message(make_repo: MakeRepo, cli: Cli) -> None:
    root = _three_clauses(make_repo)
    cli("-C", root, "agreement", "set", "koop", "title", "Neu", "-m", "Beschluss vom 5.2.")
    assert _last(root)[0] == "title von koop gesetzt\n\nBeschluss vom 5.2."
    cli("-C", root, "agreement", "clause", "add", "koop", "Text.", "--title", "Schluss",
        "--message", "ergänzt")  # fmt: skip
    assert _last(root)[0] == "§ 4 an koop angefügt\n\nergänzt"


# --------------------------------------------------------------------------- meetings


def test_note_add_set_remove(root: Path, cli: Cli) -> None:
    path = root / f"minutes/{MEETING}.md"
    cli("-C", root, "meeting", "note", MEETING, "--top", "1", "Zweite Notiz.")
    assert "Erste Notiz.\n\n      Zweite Notiz.\n" in path.read_text()
    cli("-C", root, "meeting", "note", "add", MEETING, "--top", "2", "Neu.")
    n = _count(root)
    cli("-C", root, "meeting", "note", "set", MEETING, "--top", "1", "Ersetzt.", "-m", "Tippfehler")
    _one_commit(root, n, f"Notiz zu {MEETING} TOP 1 ersetzt", "Tippfehler")
    text = path.read_text()
    assert "notes: |\n      Ersetzt.\n" in text and "Erste Notiz" not in text
    assert "# the room is booked until 16:00\nplace: Sitzungssaal\n" in text
    cli("-C", root, "meeting", "note", "remove", MEETING, "--top", "1")
    assert "Ersetzt." not in path.read_text()
    before = tree_state(root)
    result = cli("-C", root, "meeting", "note", "remove", MEETING, "--top", "1", ok=False)
    assert "TOP 1 hat keine Notiz" in result.stderr
    assert tree_state(root) == before


def test_decision_set_remove(root: Path, cli: Cli) -> None:
    path = root / f"minutes/{MEETING}.md"
    n = _count(root)
    cli("-C", root, "meeting", "decision", "set", MEETING, "--top", "2", "--index", "2",
        "Das Jobcenter lädt ein.")  # fmt: skip
    _one_commit(root, n, f"Beschluss 2 in {MEETING} TOP 2 geändert")
    assert "- Das Jobcenter lädt ein.\n" in path.read_text()
    cli("-C", root, "meeting", "decision", "remove", MEETING, "--top", "2", "--index", "1")
    text = path.read_text()
    assert "Fortbildungstag findet" not in text and "Das Jobcenter lädt ein." in text
    before = tree_state(root)
    result = cli(
        "-C", root, "meeting", "decision", "remove", MEETING, "--top", "2", "--index", "5",
        ok=False,
    )  # fmt: skip
    assert "--index 5: TOP 2 hat Beschluss 1 bis 1" in result.stderr
    assert tree_state(root) == before


def test_attendee_remove(root: Path, cli: Cli) -> None:
    path = root / f"minutes/{MEETING}.md"
    cli("-C", root, "meeting", "attendee", "remove", MEETING, "jobcenter/meyer")
    assert _last(root)[0] == f"jobcenter/meyer aus der Anwesenheit von {MEETING} entfernt"
    cli("-C", root, "meeting", "attendee", "remove", MEETING, "Ralf Simon")
    cli("-C", root, "meeting", "attendee", "remove", MEETING, "caritas/klein")
    text = path.read_text()
    assert "present:\n  - kreis/bernert\n" in text or "present: [kreis/bernert]" in text
    assert "guests" not in text and "excused" not in text
    before = tree_state(root)
    result = cli("-C", root, "meeting", "attendee", "remove", MEETING, "caritas/x", ok=False)
    assert "„caritas/x“ steht nicht in der Anwesenheit" in result.stderr
    assert tree_state(root) == before


def test_frozen_minutes_refuse_every_correction(make_repo: MakeRepo, cli: Cli) -> None:
    files = dict(MINUTES)
    files[f"minutes/{HELD}.md"] = files[f"minutes/{HELD}.md"].replace(
        "status: sent", f"status: approved\n        approved_in: {MEETING}"
    )
    root = make_repo(files)
    before = tree_state(root)
    for args in (
        ("meeting", "note", "set", HELD, "--top", "1", "x"),
        ("meeting", "attendee", "remove", HELD, "kreis/bernert"),
        ("meeting", "cancel", HELD),
        ("meeting", "move", HELD, "--date", "2014-02-06"),
        ("action", "set", f"{HELD}#1", "--due", "2014-04-30"),
    ):
        result = cli("-C", root, *args, ok=False)
        assert "ist genehmigt (in" in result.stderr and "eingefroren" in result.stderr, args
    # the meeting that approved them is named by frozen minutes: it stays where it is
    result = cli("-C", root, "meeting", "move", MEETING, "--date", "2014-05-21", ok=False)
    assert f"minutes/{HELD}.md" in result.stderr
    assert tree_state(root) == before


def test_cancel_is_seen_by_every_view(root: Path, cli: Cli, tmp_path: Path) -> None:
    # an approved-in-waiting meeting with decisions cannot be cancelled
    before = tree_state(root)
    result = cli("-C", root, "meeting", "cancel", MEETING, ok=False)
    assert "hat schon Beschlüsse oder Aufgaben (TOP 2)" in result.stderr
    assert tree_state(root) == before
    cli("-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-09-10",
        "--title", "Herbsttreffen")  # fmt: skip
    planned = "2014-09-10-herbsttreffen"
    n = _count(root)
    cli("-C", root, "meeting", "cancel", planned, "--reason", "Leitung erkrankt")
    _one_commit(root, n, f"Sitzung {planned} abgesagt: Leitung erkrankt")
    text = (root / f"minutes/{planned}.md").read_text()
    assert "status: cancelled\ncancel_reason: Leitung erkrankt\n" in text
    shown = cli("-C", root, "meeting", "list").stdout
    assert "abgesagt" in shown
    ics = tmp_path / "k.ics"
    cli("-C", root, "calendar", "-o", ics)
    event = ics.read_text().split(f"UID:{planned}@")[1].split("END:VEVENT")[0]
    assert "STATUS:CANCELLED" in event
    # the next agenda does not ask to approve the minutes of a meeting that never took place
    cli("-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-11-10",
        "--title", "Jahresende")  # fmt: skip
    agenda = (root / "minutes/2014-11-10-jahresende.md").read_text()
    assert "10.09.2014" not in agenda
    status = cli("-C", root, "status").stdout
    assert planned not in status.split("Niederschriften im Entwurf")[1].splitlines()[0]
    result = cli("-C", root, "meeting", "cancel", planned, ok=False)
    assert "schon abgesagt" in result.stderr


def test_move_renames_file_and_closing_records(root: Path, cli: Cli) -> None:
    n = _count(root)
    # HELD's minutes were sent: moving them is a change after sending, said so in the commit.
    cli("-C", root, "meeting", "move", HELD, "--date", "2014-02-06", "--time", "10:00",
        "--after-sending")  # fmt: skip
    files = _one_commit(
        root,
        n,
        f"Sitzung {HELD} auf den 2014-02-06 verlegt (jetzt 2014-02-06-evaluation) "
        "(nach Versand der Niederschrift)",
    )
    assert sorted(files) == sorted(
        [
            f"minutes/{HELD}.md",
            "minutes/2014-02-06-evaluation.md",
            f"actions/{HELD}-1.yaml",
            "actions/2014-02-06-evaluation-1.yaml",
        ]
    )
    text = (root / "minutes/2014-02-06-evaluation.md").read_text()
    assert "id: 2014-02-06-evaluation\n" in text and 'date: 2014-02-06\nstart: "10:00"' in text
    record = (root / "actions/2014-02-06-evaluation-1.yaml").read_text()
    assert record.startswith("action: 2014-02-06-evaluation#1\n")
    assert cli("-C", root, "check").exit_code == 0
    rows = json.loads(cli("-C", root, "--json", "action", "list").stdout)["actions"]
    assert {r["key"] for r in rows} >= {"2014-02-06-evaluation#1"}
    before = tree_state(root)
    result = cli("-C", root, "meeting", "move", MEETING, "--date", "2014-07-01", ok=False)
    assert "Aufgabe fällig am 2014-06-30, vor der Sitzung" in result.stdout + result.stderr
    assert tree_state(root) == before


# --------------------------------------------------------------------------- actions, obligations


def test_action_set_and_reopen(root: Path, cli: Cli) -> None:
    n = _count(root)
    cli("-C", root, "action", "set", f"{MEETING}#1", "--due", "2014-07-15", "--who",
        "kreis/bernert", "-m", "übernommen")  # fmt: skip
    _one_commit(root, n, f"Aufgabe {MEETING}#1 geändert: who, due", "übernommen")
    text = (root / f"minutes/{MEETING}.md").read_text()
    assert "who: kreis/bernert\n        what: Raum buchen\n        due: 2014-07-15\n" in text
    before = tree_state(root)
    result = cli("-C", root, "action", "set", f"{MEETING}#1", "--who", "kreis/x", ok=False)
    assert "unbekannte Person „x“ bei kreis" in result.stderr
    assert tree_state(root) == before
    result = cli("-C", root, "action", "reopen", f"{MEETING}#1", ok=False)
    assert "ist offen; nichts wieder zu öffnen" in result.stderr
    n = _count(root)
    cli("-C", root, "action", "reopen", f"{HELD}#1")
    files = _one_commit(root, n, f"Aufgabe {HELD}#1 wieder geöffnet")
    assert files == [f"actions/{HELD}-1.yaml"]
    rows = json.loads(cli("-C", root, "--json", "action", "list").stdout)["actions"]
    assert next(r for r in rows if r["key"] == f"{HELD}#1")["status"] != "done"


def test_obligation_undo_removes_the_record(root: Path, cli: Cli) -> None:
    before = tree_state(root)
    result = cli("-C", root, "obligation", "undo", "koop/angebote", "--due", "2013-06-30", ok=False)
    assert "kein Erfüllungsvermerk zu koop/angebote fällig 2013-06-30" in result.stderr
    assert "vorhanden: 2013-03-31 caritas" in result.stderr
    assert tree_state(root) == before
    n = _count(root)
    cli("-C", root, "obligation", "undo", "koop/angebote", "--due", "2013-03-31", "-m", "Irrtum")
    files = _one_commit(
        root,
        n,
        "Erfüllungsvermerk koop/angebote von caritas, fällig 2013-03-31, zurückgenommen",
        "Irrtum",
    )
    assert files == ["agreements/koop/fulfilment/2013-03-31-angebote-caritas.yaml"]


def test_every_correction_keeps_bom_and_crlf(make_repo: MakeRepo, cli: Cli) -> None:
    files = dict(MINUTES)
    files[AGREEMENT] = (
        "---\nid: koop\ntitle: Koop\nparties: [kreis, jobcenter, caritas]\n"
        "valid_from: 2012-12-01\n---\n\n## § 1 Ziele\n\nZiele.\n\n## § 2 Kosten\n\nKosten.\n\n"
        "## § 3 Schluss\n\nSchluss.\n"
    )
    del files["agreements/koop/fulfilment/2013-03-31-angebote-caritas.yaml"]
    root = make_repo(files)
    paths = [
        "partners/caritas.yaml",
        AGREEMENT,
        f"minutes/{MEETING}.md",
        f"minutes/{HELD}.md",
        f"actions/{HELD}-1.yaml",
    ]
    for rel in paths:
        path = root / rel
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    git(root, "commit", "-qam", "crlf")
    cli("-C", root, "partner", "contact", "add", "caritas", "--name", "Olga Neu")
    commands = [
        ("partner", "set", "caritas", "web", "https://caritas.example"),
        ("partner", "set", "caritas", "city", "Koblenz"),
        ("partner", "contact", "set", "caritas", "olga-neu", "--function", "Beratung"),
        ("partner", "contact", "remove", "caritas", "olga-neu", "--delete"),
        ("agreement", "clause", "set", "koop", "2", "Jede Partei trägt ihre Kosten."),
        ("agreement", "clause", "move", "koop", "3", "--to", "1"),
        ("agreement", "clause", "remove", "koop", "3"),
        ("meeting", "note", "set", MEETING, "--top", "1", "Neu."),
        ("meeting", "note", "remove", MEETING, "--top", "1"),
        ("meeting", "decision", "set", MEETING, "--top", "2", "--index", "1", "Ja."),
        ("meeting", "decision", "remove", MEETING, "--top", "2", "--index", "2"),
        ("meeting", "attendee", "remove", MEETING, "Ralf Simon"),
        ("action", "set", f"{MEETING}#1", "--what", "Saal buchen"),
        ("meeting", "move", HELD, "--date", "2014-02-06", "--after-sending"),
    ]
    for args in commands:
        cli("-C", root, *args)
    moved = ["minutes/2014-02-06-evaluation.md", "actions/2014-02-06-evaluation-1.yaml"]
    for rel in [*paths[:3], *moved]:
        data = (root / rel).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), rel
        assert b"\n" not in data.replace(b"\r\n", b""), rel
    assert git(root, "status", "--porcelain") == ""
    assert cli("-C", root, "check").exit_code == 0


def test_a_cancelled_meeting_takes_no_decisions_minutes_or_approvals(root: Path, cli: Cli) -> None:
    cli("-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-09-10",
        "--title", "Herbst")  # fmt: skip
    planned = "2014-09-10-herbst"
    cli("-C", root, "meeting", "cancel", planned)
    before = tree_state(root)
    result = cli("-C", root, "meeting", "decide", planned, "--top", "1", "Ja.", ok=False)
    assert "eine abgesagte Sitzung hat keine Beschlüsse und keine Aufgaben" in result.stderr
    result = cli(
        "-C", root, "meeting", "send", planned, "--date", "2014-09-11", today="2014-09-11", ok=False
    )
    assert f"die Sitzung {planned} ist abgesagt" in result.stderr
    result = cli("-C", root, "meeting", "approve", HELD, "--in", planned, ok=False)
    assert f"die Sitzung {planned} ist abgesagt; genehmigt wird in einer Sitzung" in result.stderr
    assert tree_state(root) == before
