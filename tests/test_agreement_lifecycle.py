from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from conftest import AUTHOR, Cli, MakeRepo, git, tree_state

TRICKY = "Müller & Söhne <GmbH> \"Alt\" 'neu' „Beratung“"


def _count(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD"))


def _editor(tmp_path: Path, name: str, code: str) -> str:
    """Write a small Python script that edits the file given as its argument."""
    script = tmp_path / f"{name}.py"
    script.write_text(
        "import sys, pathlib\np = pathlib.Path(sys.argv[1])\nt = p.read_text('utf-8')\n"
        + code
        + "\np.write_text(t, 'utf-8')\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return f"{sys.executable} {script}"


def test_new_agreement_has_standard_sections_and_commits_once(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo(approve=False)
    before = _count(root)
    cli(
        "-C",
        root,
        "agreement",
        "new",
        "neu",
        "--title",
        TRICKY,
        "--party",
        "kreis",
        "--party",
        "caritas",
        "--coordinator",
        "kreis",
    )
    assert _count(root) == before + 1
    text = (root / "agreements/neu/agreement.md").read_text()
    for section in (
        "## Präambel",
        "## § 1 Ziele",
        "## § 2 Leistungen der Partner",
        "## § 5 Datenschutz und Datenübermittlung",
        "## § 9 Schlussbestimmungen",
    ):
        assert section in text
    assert "[Hier " in text
    shown = json.loads(cli("-C", root, "--json", "agreement", "show", "neu").stdout)
    assert shown["agreement"]["title"] == TRICKY
    assert shown["latest_version"] is None and shown["in_force"] is False
    cli("-C", root, "check")


def test_new_agreement_in_english_repository(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(approve=False, files={"coop.toml": 'name = "T"\nlocale = "en"\n'})
    cli(
        "-C",
        root,
        "agreement",
        "new",
        "neu",
        "--title",
        "T",
        "--party",
        "kreis",
        "--party",
        "caritas",
    )
    text = (root / "agreements/neu/agreement.md").read_text()
    assert "## Preamble" in text and "## § 1 Goals" in text
    cli("-C", root, "check")


def test_new_agreement_refuses_unknown_party_and_writes_nothing(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo(approve=False)
    before = tree_state(root)
    result = cli(
        "-C",
        root,
        "agreement",
        "new",
        "neu",
        "--title",
        "T",
        "--party",
        "kreis",
        "--party",
        "nobody",
        ok=False,
    )
    assert result.exit_code == 1
    assert "agreements/neu/agreement.md:" in result.stderr and "nobody" in result.stderr
    assert tree_state(root) == before


def test_scripted_edits_each_make_one_commit_and_keep_comments(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo(approve=False)
    path = root / "agreements/koop/agreement.md"
    path.write_text(path.read_text().replace("review_cycle: P1Y", "review_cycle: P1Y  # bleibt"))
    git(root, "commit", "-qam", "comment")
    start = _count(root)
    cli("-C", root, "agreement", "set", "koop", "title", TRICKY)
    cli("-C", root, "agreement", "set", "koop", "valid_until", "2016-12-31")
    cli(
        "-C",
        root,
        "agreement",
        "clause",
        "add",
        "koop",
        "--title",
        "Kosten",
        "Jede Partei trägt ihre Kosten „selbst“ & <allein>.",
    )
    cli(
        "-C",
        root,
        "obligation",
        "add",
        "koop",
        "bericht",
        "--by",
        "kreis",
        "--by",
        "jobcenter",
        "--to",
        "caritas",
        "--what",
        TRICKY,
        "--every",
        "P1Y",
        "--first-due",
        "2013-12-31",
        "--clause",
        "3",
        "--condition",
        "nur mit Einwilligung",
    )
    cli(
        "-C",
        root,
        "obligation",
        "set",
        "koop",
        "bericht",
        "--every",
        "P6M",
        "--unset",
        "condition",
    )
    cli("-C", root, "obligation", "remove", "koop", "angebote")
    assert _count(root) == start + 6
    text = path.read_text()
    assert "# bleibt" in text
    assert "## § 3 Kosten\n\nJede Partei trägt ihre Kosten „selbst“ & <allein>.\n" in text
    data = json.loads(cli("-C", root, "--json", "agreement", "show", "koop").stdout)["agreement"]
    assert data["title"] == TRICKY
    assert [o["id"] for o in data["obligations"]] == ["bericht"]
    assert data["obligations"][0]["what"] == TRICKY
    assert data["obligations"][0]["every"] == "P6M"
    assert data["obligations"][0]["condition"] is None
    assert git(root, "log", "-1", "--format=%s").strip() == "Pflicht angebote aus koop entfernt"
    cli("-C", root, "check")


def test_scripted_edit_that_breaks_the_file_is_refused(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(approve=False)
    before = tree_state(root)
    result = cli(
        "-C",
        root,
        "obligation",
        "add",
        "koop",
        "x",
        "--by",
        "nobody",
        "--what",
        "W",
        ok=False,
    )
    assert result.exit_code == 1
    assert "agreements/koop/agreement.md:" in result.stderr
    result = cli("-C", root, "agreement", "set", "koop", "valid_from", "2012-13-45", ok=False)
    assert result.exit_code == 1
    result = cli(
        "-C",
        root,
        "obligation",
        "add",
        "koop",
        "angebote",
        "--by",
        "kreis",
        "--what",
        "W",
        ok=False,
    )
    assert result.exit_code == 2
    result = cli("-C", root, "obligation", "set", "koop", "fehlt", "--what", "W", ok=False)
    assert result.exit_code == 6
    assert tree_state(root) == before


def test_edit_commits_a_valid_result(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(approve=False)
    monkeypatch.setenv(
        "EDITOR",
        _editor(
            tmp_path,
            "good",
            "t = t.replace('Zuwanderer früh unterstützen.', "
            "'Zuwanderer „früh“ & <gut> unterstützen.')",
        ),
    )
    start = _count(root)
    cli("-C", root, "agreement", "edit", "koop")
    assert _count(root) == start + 1
    assert "„früh“ & <gut>" in (root / "agreements/koop/agreement.md").read_text()
    assert not (root / ".coop/edits/koop.md").exists()
    assert git(root, "status", "--porcelain").strip() == ""


def test_edit_that_breaks_the_file_is_kept_aside_and_can_be_resumed(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(approve=False)
    before = tree_state(root)
    monkeypatch.setenv(
        "EDITOR",
        _editor(
            tmp_path,
            "bad",
            "t = t.replace('by: caritas', 'by: caritas-x').replace('every: P3M', 'every: oft')",
        ),
    )
    result = cli("-C", root, "agreement", "edit", "koop", ok=False)
    assert result.exit_code == 1
    assert ".coop/edits/koop.md:16:12: „oft“ ist keine ISO-8601-Dauer" in result.stderr
    assert "--resume" in result.stderr
    assert tree_state(root) == before
    kept = root / ".coop/edits/koop.md"
    assert "caritas-x" in kept.read_text()
    result = cli("-C", root, "agreement", "edit", "koop", ok=False)
    assert result.exit_code == 2 and "--resume" in result.stderr
    monkeypatch.setenv(
        "EDITOR",
        _editor(
            tmp_path,
            "fix",
            "t = t.replace('caritas-x', 'caritas').replace('every: oft', 'every: P6M')",
        ),
    )
    cli("-C", root, "agreement", "edit", "koop", "--resume")
    assert not kept.exists()
    assert "every: P6M" in (root / "agreements/koop/agreement.md").read_text()
    assert git(root, "log", "-1", "--format=%s").strip() == "Vereinbarung koop bearbeitet"


def test_release_sign_status_and_in_force(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(approve=False)
    result = cli(
        "-C", root, "agreement", "sign", "koop", "--partner", "kreis", "--signatory", "X", ok=False
    )
    assert result.exit_code == 2 and "keine veröffentlichte Version" in result.stderr
    cli("-C", root, "agreement", "release", "koop", "-m", "Fassung „final“", "--date", "2013-01-15")
    tag = git(root, "cat-file", "-p", "koop/v1")
    assert "tagger Gisela Bernert" in tag and "Fassung „final“" in tag
    assert "content-hash: sha256:" in tag
    before = tree_state(root)
    result = cli("-C", root, "agreement", "release", "koop", ok=False)
    assert result.exit_code == 2 and "nichts geändert" in result.stderr
    assert tree_state(root) == before
    for partner, signatory in (("kreis", TRICKY), ("jobcenter", "Jan Meyer")):
        cli(
            "-C",
            root,
            "agreement",
            "sign",
            "koop",
            "--partner",
            partner,
            "--signatory",
            signatory,
            "--function",
            "Leitung",
            "--place",
            "Koblenz",
            "--date",
            "2013-02-01",
        )
    record = (root / "agreements/koop/signoffs/v1/kreis.yaml").read_text()
    assert "content_hash: sha256:" in record and "date: 2013-02-01" in record
    assert git(root, "log", "-1", "--format=%ad|%s", "--date=short").strip() == (
        "2013-02-01|Freigabe von koop v1 durch jobcenter"
    )
    status = json.loads(cli("-C", root, "--json", "status").stdout)["agreements"][0]
    assert status["latest_version"] == "v1" and status["missing"] == ["caritas"]
    assert status["in_force"] is False and status["changed_since_release"] is False
    assert {a["partner"] for a in status["approvals"]} == {"kreis", "jobcenter"}
    assert status["approvals"][0]["method"] == "internal"
    cli(
        "-C",
        root,
        "agreement",
        "sign",
        "koop",
        "--partner",
        "caritas",
        "--signatory",
        "Eva Klein",
        "--method",
        "wet-ink",
        "--date",
        "2013-02-03",
    )
    status = json.loads(cli("-C", root, "--json", "status").stdout)["agreements"][0]
    assert status["in_force"] is True and status["in_force_version"] == "v1"
    text = cli("-C", root, "status").stdout
    assert "in Kraft (v1)" in text
    shown = cli("-C", root, "agreement", "show", "koop").stdout
    assert "freigegeben (intern)" in shown and "in Kraft" in shown
    assert "rechtsgültig" not in shown and "legally" not in shown
    assert TRICKY in shown
    cli("-C", root, "agreement", "verify")
    # A later text change leaves v1 in force and is reported.
    cli("-C", root, "agreement", "set", "koop", "notice_period", "P6M")
    status = json.loads(cli("-C", root, "--json", "status").stdout)["agreements"][0]
    assert status["changed_since_release"] is True and status["in_force_version"] == "v1"
    cli("-C", root, "agreement", "release", "koop", "--date", "2013-06-01")
    status = json.loads(cli("-C", root, "--json", "status").stdout)["agreements"][0]
    assert status["latest_version"] == "v2" and status["missing"] == [
        "kreis",
        "jobcenter",
        "caritas",
    ]
    assert status["in_force"] is True and status["in_force_version"] == "v1"
    old = json.loads(
        cli("-C", root, "--json", "agreement", "show", "koop", "--version", "v1").stdout
    )
    assert old["agreement"]["notice_period"] == "P3M"


def test_sign_refusals_write_nothing(make_repo: MakeRepo, cli: Cli, tmp_path: Path) -> None:
    root = make_repo(approve=False, files={"partners/awo.yaml": "id: awo\nname: AWO\n"})
    cli("-C", root, "agreement", "release", "koop")
    cli("-C", root, "agreement", "sign", "koop", "--partner", "kreis", "--signatory", "X")
    before = tree_state(root)
    cases = [
        (["--partner", "awo"], "keine Partei"),
        (["--partner", "kreis"], "schon freigegeben"),
        (["--partner", "caritas", "--version", "v2"], "nicht gefunden"),
        (["--partner", "caritas", "--method", "handshake"], "unbekannt"),
        (["--partner", "caritas", "--evidence", str(tmp_path / "fehlt.pdf")], "nicht lesbar"),
    ]
    for extra, message in cases:
        result = cli("-C", root, "agreement", "sign", "koop", "--signatory", "X", *extra, ok=False)
        assert result.exit_code == (6 if "v2" in extra else 2), extra
        assert message in result.stderr, (extra, result.stderr)
    assert tree_state(root) == before


def test_sign_with_evidence_stores_its_hash(make_repo: MakeRepo, cli: Cli, tmp_path: Path) -> None:
    root = make_repo(approve=False)
    scan = tmp_path / "unterschrift kreis.pdf"
    scan.write_bytes(b"%PDF-1.4 scan")
    cli("-C", root, "agreement", "release", "koop")
    cli(
        "-C",
        root,
        "agreement",
        "sign",
        "koop",
        "--partner",
        "kreis",
        "--signatory",
        "X",
        "--method",
        "qes",
        "--evidence",
        scan,
    )
    record = (root / "agreements/koop/signoffs/v1/kreis.yaml").read_text()
    assert "file: unterschrift kreis.pdf" in record
    assert "sha256: 3f" in record or "sha256:" in record
    import hashlib

    assert hashlib.sha256(b"%PDF-1.4 scan").hexdigest() in record
    assert not list(root.rglob("*.pdf"))


def test_release_refused_while_check_reports_problems(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(approve=False, files={"partners/bad.yaml": "id: bad\nname: B\nfoo: 1\n"})
    before = tree_state(root)
    result = cli("-C", root, "agreement", "release", "koop", ok=False)
    assert result.exit_code == 1
    assert "partners/bad.yaml:3:6:" in result.stderr
    assert git(root, "tag").strip() == ""
    assert tree_state(root) == before


def test_release_refused_with_uncommitted_agreement(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(approve=False)
    path = root / "agreements/koop/agreement.md"
    path.write_text(path.read_text().replace("P1Y", "P2Y"))
    result = cli("-C", root, "agreement", "release", "koop", ok=False)
    assert result.exit_code == 2 and "nicht übernommene" in result.stderr
    assert git(root, "tag").strip() == ""


def test_release_comment_only_change_is_nothing_new(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(approve=False)
    cli("-C", root, "agreement", "release", "koop", "--version", "v1")
    path = root / "agreements/koop/agreement.md"
    path.write_text(path.read_text().replace("review_cycle: P1Y", "review_cycle: P1Y  # Kommentar"))
    git(root, "commit", "-qam", "comment only")
    result = cli("-C", root, "agreement", "release", "koop", ok=False)
    assert "nichts geändert" in result.stderr
    result = cli("-C", root, "agreement", "release", "koop", "--version", "zwei", ok=False)
    assert result.exit_code == 2


def test_agreement_list_json(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(approve=False)
    cli("-C", root, "agreement", "release", "koop")
    listed = json.loads(cli("-C", root, "--json", "agreement", "list").stdout)["agreements"]
    assert listed[0]["id"] == "koop" and listed[0]["latest_version"] == "v1"
    assert "koop" in cli("-C", root, "agreement", "list").stdout


def test_an_edit_does_not_undo_a_change_committed_while_the_editor_was_open(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(approve=False)
    # The "editor" lets a colleague's command commit first, then changes the title.
    code = (
        "import subprocess\n"
        f"subprocess.run([{sys.executable!r}, '-m', 'coopkit.cli', '-C', {str(root)!r}, "
        f"'--author', {AUTHOR!r}, 'agreement', 'set', 'koop', 'notice_period', 'P6M'], "
        "check=True)\n"
        "t = t.replace('title: Kooperationsvereinbarung Integration', 'title: Neuer Titel')"
    )
    monkeypatch.setenv("EDITOR", _editor(tmp_path, "race", code))
    result = cli("-C", root, "agreement", "edit", "koop", ok=False)
    assert result.exit_code == 2 and "während der Bearbeitung" in result.stderr
    text = (root / "agreements/koop/agreement.md").read_text()
    assert "notice_period: P6M" in text and "Neuer Titel" not in text
    assert (root / ".coop/edits/koop.md").is_file()
    cli("-C", root, "agreement", "edit", "koop", "--discard")
    assert not (root / ".coop/edits/koop.md").exists()
