import json
import subprocess
from pathlib import Path

from conftest import Cli, MakeRepo, git, git_env, tree_state
from docx_helpers import assert_valid_docx, convert_with_libreoffice, document_text

AGREEMENT = """\
    ---
    id: koop
    title: Kooperationsvereinbarung Integration
    parties: [kreis, jobcenter, caritas]
    coordinator: kreis
    valid_from: 2012-12-01
    status: active
    obligations:
      - id: angebote
        clause: 2
        by: caritas
        to: [kreis, jobcenter]
        what: Über aktuelle Beratungsangebote informieren
        every: P3M
        first_due: 2013-03-31
      - id: kontakte
        clause: 2
        by: [kreis, jobcenter]
        to: kreis
        what: Kontaktliste bestätigen
        every: P1Y
        first_due: 2013-12-31
    ---

    ## § 1 Ziele

    (1) Zuwanderer früh unterstützen.

    ## § 2 Leistungen

    (1) Die Caritas informiert vierteljährlich.
    """


def fulfilment(ob: str, partner: str, due: str, day: str, status: str, note: str = "") -> str:
    text = f"obligation: {ob}\npartner: {partner}\ndue: {due}\ndate: {day}\nstatus: {status}\n"
    return text + (f"note: {note}\n" if note else "")


MEETING_1 = """\
    ---
    id: 2013-04-10-treffen
    title: Arbeitstreffen
    agreements: [koop]
    date: 2013-04-10
    status: approved
    approved_in: 2013-10-02-treffen
    attendance:
      present: [kreis/bernert, caritas/klein]
      excused: [jobcenter/meyer]
    tops:
      - title: Hospitationen
        decisions:
          - Hospitationen finden in den Teambesprechungen statt.
        actions:
          - id: 1
            who: jobcenter/meyer
            what: Termine senden
            due: 2013-05-15
      - title: Kontaktliste
        decisions:
          - Die Kreisverwaltung führt die Kontaktliste.
        actions:
          - id: 2
            who: kreis/bernert
            what: Kontaktliste verschicken
            due: 2013-05-31
    ---
    """

MEETING_2 = """\
    ---
    id: 2013-10-02-treffen
    title: Herbsttreffen
    agreements: [koop]
    date: 2013-10-02
    status: sent
    sent: 2013-10-09
    attendance:
      present: [kreis/bernert, jobcenter/meyer, caritas/klein]
    tops:
      - title: Faltblätter
        decisions:
          - Faltblätter werden mehrsprachig.
        actions:
          - id: 1
            who: caritas/klein
            what: Faltblätter übersetzen lassen
            due: 2014-01-31
    ---
    """

MEETING_DRAFT = """\
    ---
    id: 2013-12-11-treffen
    title: Geplantes Treffen
    agreements: [koop]
    date: 2013-12-11
    status: draft
    tops:
      - title: Ausblick
        decisions:
          - Nicht gezählt, weil nur geplant.
    ---
    """


def hand_built(make_repo: MakeRepo) -> Path:
    f = "agreements/koop/fulfilment/"
    root = make_repo(
        files={
            "agreements/koop/agreement.md": AGREEMENT,
            f + "2013-03-31-angebote-caritas.yaml": fulfilment(
                "angebote", "caritas", "2013-03-31", "2013-03-28", "fulfilled"
            ),
            f + "2013-06-30-angebote-caritas.yaml": fulfilment(
                "angebote", "caritas", "2013-06-30", "2013-07-20", "partly", "nur Sprechzeiten"
            ),
            f + "2013-09-30-angebote-caritas.yaml": fulfilment(
                "angebote", "caritas", "2013-09-30", "2013-10-01", "missed", "Rundmail vergessen"
            ),
            f + "2013-12-31-kontakte-kreis.yaml": fulfilment(
                "kontakte", "kreis", "2013-12-31", "2013-12-10", "fulfilled"
            ),
            f + "2014-03-31-angebote-caritas.yaml": fulfilment(
                "angebote", "caritas", "2014-03-31", "2014-03-20", "fulfilled"
            ),
            "minutes/2013-04-10-treffen.md": MEETING_1,
            "minutes/2013-10-02-treffen.md": MEETING_2,
            "minutes/2013-12-11-treffen.md": MEETING_DRAFT,
            "actions/2013-04-10-treffen-1.yaml": "action: 2013-04-10-treffen#1\ndate: 2013-04-30\n",
            "actions/2013-04-10-treffen-2.yaml": "action: 2013-04-10-treffen#2\ndate: 2014-01-20\n",
        }
    )
    path = root / "agreements/koop/agreement.md"
    path.write_text(
        path.read_text().replace("Zuwanderer früh", "Zuwanderinnen und Zuwanderer früh")
    )
    git(root, "commit", "-qam", "Reword goals of koop", "--date", "2013-05-02T12:00:00+00:00")
    env = dict(git_env(), GIT_COMMITTER_DATE="2013-05-03T12:00:00+00:00")
    subprocess.run(
        ["git", "tag", "-a", "koop/v2", "-m", "Fassung 2"], cwd=root, env=env, check=True
    )
    return root


def test_report_numbers_match_the_hand_built_repository(make_repo: MakeRepo, cli: Cli) -> None:
    root = hand_built(make_repo)
    data = json.loads(
        cli(
            "-C", root, "report", "koop", "--year", "2013", "--format", "json", today="2014-02-07"
        ).stdout
    )
    assert (data["start"], data["end"]) == ("2013-01-01", "2013-12-31")
    rows = {r["partner"]: r for r in data["obligations"]}
    assert set(rows) == {"kreis", "jobcenter", "caritas"}
    assert {
        k: rows["caritas"][k] for k in ("fulfilled", "partly", "missed", "waived", "open", "total")
    } == {"fulfilled": 1, "partly": 1, "missed": 1, "waived": 0, "open": 1, "total": 4}
    assert (rows["kreis"]["fulfilled"], rows["kreis"]["open"]) == (1, 0)
    assert (rows["jobcenter"]["fulfilled"], rows["jobcenter"]["open"]) == (0, 1)
    assert [(n["due"], n["status"]) for n in data["notes"]] == [
        ("2013-06-30", "partly"),
        ("2013-09-30", "missed"),
    ]
    assert [m["id"] for m in data["meetings"]] == ["2013-04-10-treffen", "2013-10-02-treffen"]
    attendance = {a["partner"]: (a["attended"], a["invited"]) for a in data["attendance"]}
    assert attendance == {"kreis": (2, 2), "jobcenter": (1, 2), "caritas": (2, 2)}
    assert len(data["decisions"]) == 3
    actions = {a["key"]: (a["status"], a["age_days"]) for a in data["actions"]}
    assert actions == {
        "2013-04-10-treffen#1": ("done", 20),
        # closed only in January 2014: at the end of 2013 it was overdue, 265 days old
        "2013-04-10-treffen#2": ("overdue", 265),
        "2013-10-02-treffen#1": ("open", 90),
    }
    assert data["action_summary"] == {
        "opened": 3,
        "closed": 1,
        "open": 2,
        "overdue": 1,
        "average_days_to_close": 20.0,
        "oldest_open_days": 265,
    }
    kinds = [(r["kind"], r["date"], r["text"]) for r in data["revisions"]]
    assert kinds == [
        ("commit", "2013-05-02", "§ 1 Ziele geändert"),
        ("version", "2013-05-03", "v2"),
    ]


def test_report_period_from_to_and_default_last_year(make_repo: MakeRepo, cli: Cli) -> None:
    root = hand_built(make_repo)
    half = json.loads(
        cli(
            "-C",
            root,
            "report",
            "koop",
            "--from",
            "2013-01-01",
            "--to",
            "2013-06-30",
            "--format",
            "json",
        ).stdout
    )
    caritas = next(r for r in half["obligations"] if r["partner"] == "caritas")
    assert (caritas["fulfilled"], caritas["partly"], caritas["total"]) == (1, 1, 2)
    assert [m["id"] for m in half["meetings"]] == ["2013-04-10-treffen"]
    default = json.loads(cli("-C", root, "--json", "report", "koop", today="2014-02-07").stdout)
    assert default["start"] == "2013-01-01"
    before = tree_state(root)
    assert (
        cli(
            "-C", root, "report", "koop", "--year", "2013", "--from", "2013-01-01", ok=False
        ).exit_code
        == 2
    )
    assert (
        cli(
            "-C", root, "report", "koop", "--from", "2013-06-01", "--to", "2013-01-01", ok=False
        ).exit_code
        == 2
    )
    assert cli("-C", root, "report", "nix", "--year", "2013", ok=False).exit_code == 6
    assert cli("-C", root, "report", "koop", "--format", "pdf", ok=False).exit_code == 2
    assert tree_state(root) == before


def test_report_markdown_reads_as_a_report(make_repo: MakeRepo, cli: Cli, tmp_path: Path) -> None:
    root = hand_built(make_repo)
    text = cli("-C", root, "report", "koop", "--year", "2013", "--format", "md").stdout
    assert text.startswith("# Evaluationsbericht 1. Januar 2013 – 31. Dezember 2013\n")
    assert "| Caritasverband Beispiel e. V. | 4 | 1 | 1 | 1 | 0 | 1 | 25 % |" in text
    assert "Von 6 Fälligkeiten im Zeitraum wurden 2 erfüllt" in text
    assert "- 02.10.2013, TOP 1: Faltblätter werden mehrsprachig." in text
    assert "Nicht gezählt" not in text
    cli("-C", root, "report", "koop", "--year", "2013", "-o", tmp_path / "b.md")
    assert (tmp_path / "b.md").read_text("utf-8") == text


def test_report_docx_has_tables_and_chart_and_opens_in_libreoffice(
    example_repo: Path, make_repo: MakeRepo, cli: Cli, tmp_path: Path, soffice: str
) -> None:
    root = hand_built(make_repo)
    target = tmp_path / "bericht.docx"
    cli("-C", root, "report", "koop", "--year", "2013", "-o", target)
    data = target.read_bytes()
    assert_valid_docx(data, tmp_path)
    import io
    import zipfile

    import docx

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        pictures = [n for n in archive.namelist() if n.startswith("word/media/")]
        assert len(pictures) == 1 and archive.read(pictures[0])[:8] == b"\x89PNG\r\n\x1a\n"
    document = docx.Document(io.BytesIO(data))
    assert len(document.tables) >= 4
    first = document.tables[0]
    assert [c.text for c in first.rows[0].cells][:3] == ["Partner", "fällig", "erfüllt"]
    text = document_text(data)
    assert "Evaluationsbericht" in text and "Kontaktliste verschicken" in text
    example = tmp_path / "beispiel-2013.docx"
    result = cli(
        "-C", example_repo, "report", "myk-caritas-ko", "--year", "2013", "-o", example, "--pdf"
    )
    assert "PDF" in result.stdout
    assert_valid_docx(example.read_bytes(), tmp_path, "example.docx")
    assert example.with_suffix(".pdf").stat().st_size > 0
    convert_with_libreoffice(soffice, target)


def test_worked_example_2013_reads_like_first_results(example_repo: Path, cli: Cli) -> None:
    data = json.loads(
        cli(
            "-C", example_repo, "report", "myk-caritas-ko", "--year", "2013", "--format", "json"
        ).stdout
    )
    total = sum(r["total"] for r in data["obligations"])
    fulfilled = sum(r["fulfilled"] for r in data["obligations"])
    assert total == 11 and fulfilled >= 9
    assert sum(r["open"] for r in data["obligations"]) == 0
    assert {n["status"] for n in data["notes"]} == {"partly", "missed"}
    assert [m["id"] for m in data["meetings"]] == ["2013-06-12-arbeitstreffen"]
