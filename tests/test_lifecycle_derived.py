"""The lifecycle is derived from the records; every view tells the same story about it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import BASE_FILES, Cli, MakeRepo, git, git_env, tree_state

V2_DUTY = """\
  - id: fortbildung
    by: caritas
    to: kreis
    what: Gemeinsame Fortbildung
    every: P6M
    first_due: 2013-09-30
"""


def _json(cli: Cli, root: Path, *args: str, today: str = "2014-02-07") -> dict:
    return json.loads(cli("-C", root, "--json", *args, today=today).stdout)


def _tag(root: Path, name: str, day: str) -> None:
    env = {**git_env(), "GIT_COMMITTER_DATE": f"{day}T12:00:00+00:00"}
    subprocess.run(["git", "tag", "-a", "-m", name, name], cwd=root, env=env, check=True)


def _sign(cli: Cli, root: Path, partner: str, day: str, version: str = "v1") -> None:
    cli(
        "-C",
        root,
        "agreement",
        "sign",
        "koop",
        "--partner",
        partner,
        "--signatory",
        "X",
        "--date",
        day,
        "--version",
        version,
    )


def test_a_fully_approved_agreement_is_in_force_in_every_view(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo(approve=False)
    cli("-C", root, "agreement", "release", "koop", "--date", "2012-11-15")
    for partner in ("kreis", "jobcenter", "caritas"):
        _sign(cli, root, partner, "2012-11-20")
    status = _json(cli, root, "status")["agreements"][0]
    assert status["state"] == "in_force" and status["in_force_version"] == "v1"
    assert status["in_force_since"] == "2012-12-01"
    shown = cli("-C", root, "agreement", "show", "koop").stdout
    assert "in Kraft (v1) seit 1. Dezember 2012" in shown
    assert "Entwurf" not in shown
    listed = cli("-C", root, "agreement", "list").stdout
    assert "in Kraft (v1)" in listed
    overdue = _json(cli, root, "due", "--overdue")["partners"]
    assert [g["partner"] for g in overdue] == ["caritas"]
    rows = _json(cli, root, "obligation", "list")["obligations"]
    assert sum(r["overdue"] for r in rows) == len(overdue[0]["items"]) == 4
    assert _json(cli, root, "status")["overdue"] == {"caritas": 4}


def test_a_duty_of_a_version_not_yet_in_force_is_owed_by_nobody(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo()
    path = root / "agreements/koop/agreement.md"
    path.write_text(path.read_text().replace("---\n\n## Präambel", V2_DUTY + "---\n\n## Präambel"))
    git(root, "commit", "-qam", "v2")
    cli("-C", root, "agreement", "release", "koop", "--date", "2013-06-01")
    _sign(cli, root, "kreis", "2013-06-05", "v2")
    _sign(cli, root, "jobcenter", "2013-06-06", "v2")
    keys = {
        i["key"]
        for g in _json(cli, root, "due", "--within", "365d")["partners"]
        for i in g["items"]
    }
    assert "koop/fortbildung" not in keys and "koop/angebote" in keys
    rows = {r["id"]: r for r in _json(cli, root, "obligation", "list")["obligations"]}
    assert rows["fortbildung"]["overdue"] == 0 and rows["fortbildung"]["open"] == 0
    status = _json(cli, root, "status")["agreements"][0]
    assert status["in_force_version"] == "v1"
    assert "v2 zur Freigabe (fehlt: caritas)" in status["state_text"]
    ics = tmp_path / "k.ics"
    cli("-C", root, "calendar", "-o", ics)
    assert "fortbildung" not in ics.read_text()
    report = _json(cli, root, "report", "koop", "--year", "2013", "--format", "json")
    assert sum(r["total"] for r in report["obligations"]) == 4
    # Once caritas approves, v2 takes force and its duty is owed from then on.
    _sign(cli, root, "caritas", "2013-07-01", "v2")
    rows = {r["id"]: r for r in _json(cli, root, "obligation", "list")["obligations"]}
    assert rows["fortbildung"]["overdue"] == 1  # 30 Sep 2013; 31 Mar 2014 is still ahead
    overdue = _json(cli, root, "due", "--overdue")["partners"][0]["items"]
    assert {i["version"] for i in overdue} == {"v1", "v2"}


def test_approved_before_valid_from_is_not_yet_in_force(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    status = _json(cli, root, "status", today="2012-11-25")["agreements"][0]
    assert status["state"] == "approved" and not status["in_force"]
    assert "v1 freigegeben, in Kraft ab 1. Dezember 2012" in status["state_text"]
    assert _json(cli, root, "due", "--overdue", today="2012-11-25")["partners"] == []


def test_versions_are_ordered_by_number_and_an_earlier_release_is_refused(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo(approve=False)
    cli("-C", root, "agreement", "release", "koop", "--date", "2013-05-01")
    cli("-C", root, "agreement", "set", "koop", "notice_period", "P6M")
    before = tree_state(root)
    result = cli("-C", root, "agreement", "release", "koop", "--date", "2013-04-01", ok=False)
    assert result.exit_code == 2 and "vor der von v1" in result.stderr
    assert tree_state(root) == before
    # A v2 tag written by hand with an older date than v1 still sorts after v1.
    _tag(root, "koop/v2", "2013-01-01")
    data = _json(cli, root, "agreement", "show", "koop")
    assert [v["version"] for v in data["versions"]] == ["v1", "v2"]
    assert data["latest_version"] == "v2"
    check = json.loads(cli("-C", root, "--json", "check", ok=False).stdout)
    assert any(p["code"] == "version-order" for p in check["problems"])
    out = tmp_path / "koop.docx"
    cli("-C", root, "agreement", "render", "koop", "-o", out)
    from docx_helpers import document_text

    text = document_text(out.read_bytes())
    assert "Fassung v2" in text and "Entwurf" not in text


def test_calendar_and_views_use_one_vocabulary_for_actions(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    minutes = """\
        ---
        id: 2013-06-12-treffen
        title: Treffen
        agreements: [koop]
        date: 2013-06-12
        status: sent
        sent: 2013-06-20
        tops:
          - title: Aufgaben
            actions:
              - id: 1
                who: kreis
                what: Liste schicken
                due: 2013-07-01
              - id: 2
                who: caritas
                what: Faltblatt drucken
                due: 2013-07-01
              - id: 3
                who: jobcenter
                what: Termin suchen
                due: 2013-07-01
        ---
        """
    root = make_repo(
        {
            "minutes/2013-06-12-treffen.md": minutes,
            "actions/2013-06-12-treffen-1.yaml": "action: 2013-06-12-treffen#1\ndate: 2013-06-30\n",
            "actions/2013-06-12-treffen-2.yaml": (
                "action: 2013-06-12-treffen#2\nstatus: dropped\ndate: 2013-06-30\n"
            ),
        }
    )
    ics = tmp_path / "k.ics"
    cli("-C", root, "calendar", "-o", ics)
    text = ics.read_text().replace("\r\n ", "")
    assert "(erledigt) Aufgabe: Liste schicken" in text
    assert "(verworfen) Aufgabe: Faltblatt drucken" in text
    assert "SUMMARY:Aufgabe: Termin suchen" in text
    listed = cli("-C", root, "action", "list").stdout
    assert "erledigt" in listed and "verworfen" in listed and "offen (!)" in listed
    shown = cli("-C", root, "meeting", "show", "2013-06-12-treffen").stdout
    assert "[verworfen]" in shown


def test_every_write_command_keeps_crlf_and_bom(make_repo: MakeRepo, cli: Cli) -> None:
    minutes = (
        "---\nid: 2014-02-05-treffen\ntitle: Treffen\nagreements: [koop]\ndate: 2014-02-05\n"
        "tops:\n  - title: Begrüßung\n---\n"
    )
    root = make_repo({"minutes/2014-02-05-treffen.md": minutes})
    for rel in (
        "partners/kreis.yaml",
        "agreements/koop/agreement.md",
        "minutes/2014-02-05-treffen.md",
    ):
        path = root / rel
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    git(root, "commit", "-qam", "crlf")
    commands = [
        ("partner", "contact", "add", "kreis", "--name", "Petra Schmitz"),
        ("agreement", "set", "koop", "notice_period", "P6M"),
        (
            "agreement",
            "clause",
            "add",
            "koop",
            "--title",
            "Kosten",
            "Jede Partei trägt ihre Kosten.",
        ),
        ("obligation", "add", "koop", "liste", "--by", "kreis", "--what", "Liste"),
        ("obligation", "set", "koop", "liste", "--what", "Kontaktliste"),
        ("obligation", "remove", "koop", "liste"),
        ("agreement", "set", "koop", "preamble", "Die Partner arbeiten eng zusammen."),
        ("meeting", "note", "2014-02-05-treffen", "--top", "1", "Alle sind da."),
        ("meeting", "decide", "2014-02-05-treffen", "--top", "1", "Beschlossen."),
        ("meeting", "attend", "2014-02-05-treffen", "kreis/bernert"),
        ("meeting", "top", "2014-02-05-treffen", "Verschiedenes"),
        (
            "meeting",
            "action",
            "2014-02-05-treffen",
            "--top",
            "1",
            "--who",
            "kreis",
            "--due",
            "2014-03-01",
            "Liste schicken",
        ),
        ("meeting", "times", "2014-02-05-treffen", "--start", "10:00", "--end", "12:00"),
        ("meeting", "send", "2014-02-05-treffen", "--date", "2014-02-07"),
    ]
    for args in commands:
        cli("-C", root, *args)
    for rel in (
        "partners/kreis.yaml",
        "agreements/koop/agreement.md",
        "minutes/2014-02-05-treffen.md",
    ):
        data = (root / rel).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), rel
        assert b"\n" not in data.replace(b"\r\n", b""), rel
    assert git(root, "status", "--porcelain") == ""


def test_a_bad_by_is_a_problem_not_an_internal_error(make_repo: MakeRepo, cli: Cli) -> None:
    minutes = (
        "---\nid: 2014-02-05-treffen\ntitle: Treffen\nagreements: [koop]\ndate: 2014-02-05\n"
        "tops:\n  - title: Aufgaben\n    actions:\n      - id: 1\n        who: kreis\n"
        "        what: Liste\n        due: 2014-03-01\n---\n"
    )
    root = make_repo({"minutes/2014-02-05-treffen.md": minutes})
    before = tree_state(root)
    result = cli(
        "-C", root, "action", "done", "2014-02-05-treffen#1", "--by", "Not A Ref", ok=False
    )
    assert result.exit_code == 1 and "Not A Ref" in result.stderr
    result = cli("-C", root, "action", "done", "2014-02-05-treffen#1", "--by", "nobody", ok=False)
    assert result.exit_code == 1 and "nobody" in result.stderr
    assert tree_state(root) == before


def test_no_render_writes_into_the_repository(make_repo: MakeRepo, cli: Cli) -> None:
    minutes = (
        "---\nid: 2014-02-05-treffen\ntitle: Treffen\nagreements: [koop]\ndate: 2014-02-05\n"
        "tops:\n  - title: Begrüßung\n---\n"
    )
    root = make_repo({"minutes/2014-02-05-treffen.md": minutes})
    before = tree_state(root)
    config = (root / "coop.toml").read_bytes()
    targets = ["minutes/x.md", ".git/x.md", "coop.toml", "templates/agreement.docx", ".coop/x.md"]
    renders = [
        ("meeting", "render", "2014-02-05-treffen", "--format", "md", "-o"),
        ("meeting", "render", "2014-02-05-treffen", "-o"),
        ("agreement", "render", "koop", "-o"),
        ("calendar", "-o"),
        ("checklist", "-o"),
        ("report", "koop", "--year", "2013", "-o"),
        ("obligation", "matrix", "-o"),
    ]
    for args in renders:
        for target in targets:
            out = root / target
            if args[0] == "calendar" and target != "coop.toml":
                out = out.with_suffix(".ics")
            result = cli("-C", root, *args, out, ok=False)
            assert result.exit_code == 2, (args, target, result.stderr)
    assert (root / "coop.toml").read_bytes() == config
    assert tree_state(root) == before
    assert not (root / "minutes/x.md").exists() and not (root / ".git/x.md").exists()


def test_legacy_status_is_reported_and_migrated_in_one_commit(
    make_repo: MakeRepo, cli: Cli
) -> None:
    from conftest import approve_v1

    root = make_repo(approve=False, legacy=True)
    # Sign-offs made while the hash still counted `status:` keep matching.
    from coopkit.signing.hashing import legacy_content_hash
    from coopkit.store.codec import parse_agreement
    from coopkit.store.text import decode_text

    approve_v1(root, ["agreements/koop/agreement.md"], tagged="2012-11-15", approved="2012-11-20")
    textfile, _ = decode_text("x", (root / "agreements/koop/agreement.md").read_bytes())
    assert textfile is not None
    located, _ = parse_agreement(textfile)
    assert located is not None
    legacy = legacy_content_hash(located.value)
    for partner in ("kreis", "jobcenter", "caritas"):
        path = root / f"agreements/koop/signoffs/v1/{partner}.yaml"
        text = path.read_text()
        path.write_text(text[: text.index("content_hash:")] + f"content_hash: {legacy}\n")
    git(root, "commit", "-q", "--amend", "-a", "-m", "approvals with the old hash")
    result = cli("-C", root, "check", ok=False)
    assert "agreements/koop/agreement.md:9:9:" in result.stdout
    assert "coop migrate" in result.stdout
    assert _json(cli, root, "status")["agreements"][0]["in_force_version"] == "v1"
    head = git(root, "rev-parse", "HEAD")
    cli("-C", root, "migrate")
    assert git(root, "rev-list", "--count", f"{head.strip()}..HEAD").strip() == "1"
    assert "status:" not in (root / "agreements/koop/agreement.md").read_text()
    cli("-C", root, "check")
    cli("-C", root, "agreement", "verify")
    status = _json(cli, root, "status")["agreements"][0]
    assert status["in_force_version"] == "v1" and status["changed_since_release"] is False
    assert "nichts umzustellen" in cli("-C", root, "migrate").stdout
    assert cli("-C", root, "agreement", "set", "koop", "status", "active", ok=False).exit_code == 2


def test_notice_ends_the_agreement_after_the_notice_period(make_repo: MakeRepo, cli: Cli) -> None:
    # Three parties: a notice ends the whole agreement only where the text says so.
    koop = BASE_FILES["agreements/koop/agreement.md"]
    root = make_repo(
        {
            "agreements/koop/agreement.md": koop.replace(
                "notice_period: P3M\n", "notice_period: P3M\n        on_notice: ends\n"
            )
        }
    )
    cli(
        "-C",
        root,
        "agreement",
        "terminate",
        "koop",
        "--by",
        "caritas",
        "--date",
        "2013-05-10",
        "--reason",
        "Umstrukturierung",
    )
    record = (root / "agreements/koop/termination/caritas.yaml").read_text()
    assert "kind: notice" in record and "date: 2013-05-10" in record
    status = _json(cli, root, "status")["agreements"][0]
    assert status["state"] == "terminated"
    assert "gekündigt, nicht mehr in Kraft seit 10. August 2013" in status["state_text"]
    overdue = _json(cli, root, "due", "--overdue")["partners"][0]["items"]
    assert [i["due"] for i in overdue] == ["2013-03-31", "2013-06-30"]
    during = _json(cli, root, "status", today="2013-06-01")["agreements"][0]
    assert during["state"] == "in_force" and "gekündigt zum 10. August 2013" in during["state_text"]
    result = cli(
        "-C",
        root,
        "agreement",
        "terminate",
        "koop",
        "--by",
        "kreis",
        "--date",
        "2013-05-10",
        "--effective",
        "2013-06-01",
        ok=False,
    )
    assert result.exit_code == 2 and "Kündigungsfrist" in result.stderr


def test_mutual_ending_needs_every_party(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    for partner in ("kreis", "jobcenter"):
        cli(
            "-C",
            root,
            "agreement",
            "terminate",
            "koop",
            "--by",
            partner,
            "--mutual",
            "--effective",
            "2013-12-31",
            "--date",
            "2013-10-01",
        )
    assert _json(cli, root, "status")["agreements"][0]["state"] == "in_force"
    shown = cli("-C", root, "agreement", "show", "koop").stdout
    assert "es fehlt die Zustimmung von caritas" in shown
    cli(
        "-C",
        root,
        "agreement",
        "terminate",
        "koop",
        "--by",
        "caritas",
        "--mutual",
        "--effective",
        "2013-12-31",
        "--date",
        "2013-10-02",
    )
    status = _json(cli, root, "status")["agreements"][0]
    assert status["state"] == "terminated"
    assert [i["due"] for i in _json(cli, root, "due", "--overdue")["partners"][0]["items"]] == [
        "2013-03-31",
        "2013-06-30",
        "2013-09-30",
        "2013-12-31",
    ]


def test_a_draft_cannot_be_terminated(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(approve=False)
    result = cli("-C", root, "agreement", "terminate", "koop", "--by", "kreis", ok=False)
    assert result.exit_code == 2 and "nie" in result.stderr


def test_a_hand_edit_is_refused_and_can_be_committed_on_its_own(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo()
    path = root / "partners/kreis.yaml"
    path.write_text(path.read_text().replace("Kreis\n", "Kreis MYK\n"))
    result = cli("-C", root, "partner", "contact", "add", "kreis", "--name", "Eva Roth", ok=False)
    assert result.exit_code == 2
    assert "nicht übernommene Änderungen" in result.stderr
    assert 'coop commit -m "…" partners/kreis.yaml' in result.stderr
    assert "short: Kreis MYK" in path.read_text()
    cli("-C", root, "commit", "-m", "Kurzname korrigiert", "partners/kreis.yaml")
    assert git(root, "log", "-1", "--format=%an|%s").strip() == "Gisela Bernert|Kurzname korrigiert"
    cli("-C", root, "partner", "contact", "add", "kreis", "--name", "Eva Roth")
    assert git(root, "status", "--porcelain") == ""
    # An invalid hand edit is not taken.
    path.write_text(path.read_text() + "unbekannt: 1\n")
    before = git(root, "rev-parse", "HEAD")
    result = cli("-C", root, "commit", "-m", "kaputt", ok=False)
    assert result.exit_code == 1 and "unbekannt" in result.stderr
    assert git(root, "rev-parse", "HEAD") == before


def test_client_data_is_refused_on_the_way_in(make_repo: MakeRepo, cli: Cli) -> None:
    minutes = (
        "---\nid: 2014-02-05-treffen\ntitle: Treffen\nagreements: [koop]\ndate: 2014-02-05\n"
        "tops:\n  - title: Begrüßung\n---\n"
    )
    root = make_repo({"minutes/2014-02-05-treffen.md": minutes})
    before = tree_state(root)
    for text in (
        "Frau A., geb. 12.03.1985, wurde beraten.",
        "Erstattung an DE89 3704 0044 0532 0130 00.",
        "Rückfragen an klient@privat.example.",
    ):
        result = cli(
            "-C", root, "meeting", "note", "2014-02-05-treffen", "--top", "1", text, ok=False
        )
        assert result.exit_code == 1 and "Klientendaten" in result.stderr, text
        assert "minutes/2014-02-05-treffen.md:" in result.stderr
    assert tree_state(root) == before
    cli(
        "-C",
        root,
        "--allow-personal-data",
        "meeting",
        "note",
        "2014-02-05-treffen",
        "--top",
        "1",
        "Rückfragen an klient@privat.example.",
    )
    assert "--allow-personal-data" in git(root, "log", "-1", "--format=%B")
