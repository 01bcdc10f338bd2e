"""A party's notice: it leaves and the others go on, or the agreement ends (`on_notice`)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Cli, MakeRepo, git, tree_state
from docx_helpers import document_text

PARTNERS = {
    "partners/kreis.yaml": """\
        id: kreis
        name: Kreisverwaltung Beispielkreis
        short: Kreis
        represented_by: Landrat
        representative: Dr. Anna Schulz
        """,
    "partners/jobcenter.yaml": """\
        id: jobcenter
        name: Jobcenter Beispielkreis
        represented_by: Geschäftsführer
        representative: Jan Meyer
        """,
    "partners/caritas.yaml": """\
        id: caritas
        name: Caritasverband Beispiel e. V.
        short: Caritas
        represented_by: Vorstand
        representative: Eva Klein
        """,
    "partners/vhs.yaml": """\
        id: vhs
        name: Volkshochschule Beispielkreis
        short: VHS
        represented_by: Leitung
        representative: Uwe Roth
        """,
}


def _agreement(parties: str, on_notice: str = "") -> str:
    return f"""\
        ---
        id: netz
        title: Netzwerk Sprache
        parties: [{parties}]
        coordinator: kreis
        valid_from: 2012-12-01
        notice_period: P3M
        {on_notice}
        obligations:
          - id: kurse
            clause: 1
            by: vhs
            to: [kreis]
            what: Kursplätze melden
            every: P3M
            first_due: 2013-03-31
          - id: beratung
            clause: 1
            by: kreis
            to: [vhs]
            what: Beratungszahlen melden
            every: P3M
            first_due: 2013-03-31
        ---

        ## § 1 Leistungen

        (1) Die Partner melden vierteljährlich.
        """


def _repo(make_repo: MakeRepo, parties: str, on_notice: str = "") -> Path:
    return make_repo({**PARTNERS, "agreements/netz/agreement.md": _agreement(parties, on_notice)})


def _json(cli: Cli, root: Path, *args: str, today: str = "2014-02-07") -> dict:
    return json.loads(cli("-C", root, "--json", *args, today=today).stdout)


def _notice(cli: Cli, root: Path, by: str, day: str = "2013-05-10") -> str:
    return cli("-C", root, "agreement", "terminate", "netz", "--by", by, "--date", day).stdout


def _state(cli: Cli, root: Path, today: str = "2014-02-07") -> dict:
    return next(
        a for a in _json(cli, root, "status", today=today)["agreements"] if a["id"] == "netz"
    )


FOUR = "kreis, jobcenter, caritas, vhs"


def test_one_of_four_parties_leaves_and_the_agreement_goes_on(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = _repo(make_repo, FOUR)
    said = _notice(cli, root, "vhs")
    assert "vhs scheidet zum 10. August 2013 aus, die übrigen Parteien bleiben gebunden" in said
    assert git(root, "log", "-1", "--format=%s").startswith(
        "Kündigung durch vhs in netz: scheidet zum 2013-08-10 aus, die übrigen Parteien"
    )

    during = _state(cli, root, today="2013-06-01")
    assert during["state"] == "in_force"
    assert (
        "vhs scheidet zum 10. August 2013 aus (Kündigung vom 10. Mai 2013)"
        in (during["state_text"])
    )
    after = _state(cli, root)
    assert after["state"] == "in_force" and after["in_force_until"] is None
    assert (
        "vhs ist zum 10. August 2013 ausgeschieden (Kündigung vom 10. Mai 2013)"
        in (after["state_text"])
    )

    shown = cli("-C", root, "agreement", "show", "netz").stdout
    assert "Kündigungen\n  VHS ist zum 10. August 2013 ausgeschieden" in shown
    data = _json(cli, root, "agreement", "show", "netz")
    assert [x["partner"] for x in data["leavings"]] == ["vhs"]
    assert data["leavings"][0]["effective"] == "2013-08-10"


def test_a_leaving_party_owes_nothing_due_after_its_last_day(make_repo: MakeRepo, cli: Cli) -> None:
    root = _repo(make_repo, FOUR)
    _notice(cli, root, "vhs")
    groups = {g["partner"]: g for g in _json(cli, root, "due", "--overdue")["partners"]}
    assert [i["due"] for i in groups["vhs"]["items"]] == ["2013-03-31", "2013-06-30"]
    assert [i["due"] for i in groups["kreis"]["items"]] == [
        "2013-03-31",
        "2013-06-30",
        "2013-09-30",
        "2013-12-31",
    ]
    assert groups["vhs"]["endings"] == [
        "netz: VHS ist zum 10. August 2013 ausgeschieden (Kündigung vom 10. Mai 2013)"
    ]
    assert groups["kreis"]["endings"] == []
    printed = cli("-C", root, "due", "--overdue").stdout
    assert "netz: VHS ist zum 10. August 2013 ausgeschieden" in printed

    rows = {r["id"]: r for r in _json(cli, root, "obligation", "list")["obligations"]}
    assert rows["kurse"]["overdue"] == 2 and rows["kurse"]["next_due"] is None
    assert rows["beratung"]["next_due"] == "2014-03-31"
    assert rows["kurse"]["endings"] and not rows["beratung"]["endings"]
    listed = cli("-C", root, "obligation", "list").stdout
    assert "netz: VHS ist zum 10. August 2013 ausgeschieden (Kündigung vom 10. Mai 2013)" in listed


def test_the_yearly_report_names_the_leaving(make_repo: MakeRepo, cli: Cli) -> None:
    root = _repo(make_repo, FOUR)
    _notice(cli, root, "vhs")
    text = cli("-C", root, "report", "netz", "--year", "2013", "--format", "md").stdout
    assert "VHS ist zum 10. August 2013 ausgeschieden (Kündigung vom 10. Mai 2013)." in text
    report = _json(cli, root, "report", "netz", "--year", "2013", "--format", "json")
    counted = {r["partner"]: r["total"] for r in report["obligations"]}
    assert counted == {"kreis": 4, "vhs": 2}
    assert report["leavings"][0]["partner"] == "vhs" and report["ending"] is None
    later = cli("-C", root, "report", "netz", "--year", "2015", "--format", "md").stdout
    assert "ausgeschieden" not in later


def test_the_rendered_agreement_states_the_leaving_not_open_ended(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = _repo(make_repo, FOUR)
    out = tmp_path / "netz.docx"
    cli("-C", root, "agreement", "render", "netz", "--version", "v1", "-o", out)
    assert "unbefristet" in document_text(out.read_bytes())
    _notice(cli, root, "vhs")
    cli("-C", root, "agreement", "render", "netz", "--version", "v1", "-o", out)
    text = document_text(out.read_bytes())
    assert "unbefristet" not in text
    assert (
        "gültig ab 1. Dezember 2012; VHS ist zum 10. August 2013 ausgeschieden "
        "(Kündigung vom 10. Mai 2013)" in text
    )


def test_a_notice_between_two_parties_ends_the_agreement(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = _repo(make_repo, "kreis, vhs")
    said = _notice(cli, root, "vhs")
    assert "Kündigung von vhs eingetragen, wirksam zum 10. August 2013" in said
    state = _state(cli, root)
    assert state["state"] == "terminated"
    assert (
        "nicht mehr in Kraft seit 10. August 2013 (v1; Kündigung durch vhs vom 10. Mai 2013)"
        in (state["state_text"])
    )
    overdue = {g["partner"]: g for g in _json(cli, root, "due", "--overdue")["partners"]}
    assert [i["due"] for i in overdue["kreis"]["items"]] == ["2013-03-31", "2013-06-30"]
    assert overdue["kreis"]["endings"] == [
        "netz: Vereinbarung endete zum 10. August 2013 (Kündigung durch VHS vom 10. Mai 2013)"
    ]
    out = tmp_path / "netz.docx"
    cli("-C", root, "agreement", "render", "netz", "--version", "v1", "-o", out)
    text = document_text(out.read_bytes())
    assert "unbefristet" not in text
    assert (
        "gültig ab 1. Dezember 2012, endete zum 10. August 2013 "
        "(Kündigung durch VHS vom 10. Mai 2013)" in text
    )
    report = cli("-C", root, "report", "netz", "--year", "2013", "--format", "md").stdout
    assert (
        "Die Vereinbarung endete zum 10. August 2013 (Kündigung durch VHS vom 10. Mai 2013)."
        in report
    )


def test_on_notice_ends_with_three_parties_ends_the_agreement(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = _repo(make_repo, "kreis, caritas, vhs", "on_notice: ends")
    said = _notice(cli, root, "vhs")
    assert "wirksam zum 10. August 2013" in said and "scheidet" not in said
    assert _state(cli, root)["state"] == "terminated"
    assert _state(cli, root, today="2013-06-01")["state_text"].startswith(
        "in Kraft (v1) seit 1. Dezember 2012, gekündigt zum 10. August 2013 "
        "(Kündigung durch vhs vom 10. Mai 2013)"
    )


def test_the_agreement_ends_when_fewer_than_two_parties_would_remain(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = _repo(make_repo, "kreis, caritas, vhs")
    _notice(cli, root, "vhs", "2013-05-10")
    _notice(cli, root, "caritas", "2013-07-01")
    state = _state(cli, root)
    assert state["state"] == "terminated"
    assert (
        "seit 1. Oktober 2013 (v1; Kündigung durch caritas vom 1. Juli 2013)"
        in (state["state_text"])
    )
    assert "vhs ist zum 10. August 2013 ausgeschieden" in state["state_text"]


def test_mutual_termination_still_ends_the_whole_agreement(make_repo: MakeRepo, cli: Cli) -> None:
    root = _repo(make_repo, FOUR)
    for partner in ("kreis", "jobcenter", "caritas", "vhs"):
        cli(
            "-C",
            root,
            "agreement",
            "terminate",
            "netz",
            "--by",
            partner,
            "--mutual",
            "--effective",
            "2013-12-31",
            "--date",
            "2013-10-01",
        )
    state = _state(cli, root)
    assert state["state"] == "terminated"
    assert "Aufhebung im Einvernehmen vom 1. Oktober 2013" in state["state_text"]


def test_release_after_the_end_is_refused_and_tags_nothing(make_repo: MakeRepo, cli: Cli) -> None:
    root = _repo(make_repo, "kreis, vhs")
    _notice(cli, root, "vhs")
    cli("-C", root, "agreement", "set", "netz", "title", "Netzwerk Sprache neu")
    before = tree_state(root), git(root, "tag", "--list")
    result = cli("-C", root, "agreement", "release", "netz", ok=False)
    assert result.exit_code == 2
    assert "netz endete zum 10. August 2013 (Kündigung durch vhs vom 10. Mai 2013)" in (
        result.stderr
    )
    assert "coop agreement new" in result.stderr and "termination/" in result.stderr
    assert (tree_state(root), git(root, "tag", "--list")) == before


def test_release_still_naming_a_party_that_left_is_refused(make_repo: MakeRepo, cli: Cli) -> None:
    root = _repo(make_repo, FOUR)
    _notice(cli, root, "vhs")
    cli("-C", root, "agreement", "set", "netz", "title", "Netzwerk Sprache neu")
    before = tree_state(root), git(root, "tag", "--list")
    result = cli("-C", root, "agreement", "release", "netz", ok=False)
    assert result.exit_code == 2
    assert "vhs ist zum 10. August 2013 ausgeschieden" in result.stderr
    assert "„parties“" in result.stderr
    assert (tree_state(root), git(root, "tag", "--list")) == before


def test_on_notice_is_set_like_any_field_and_checked(make_repo: MakeRepo, cli: Cli) -> None:
    root = _repo(make_repo, FOUR)
    cli("-C", root, "agreement", "set", "netz", "on_notice", "ends")
    assert "on_notice: ends" in (root / "agreements/netz/agreement.md").read_text("utf-8")
    assert git(root, "log", "-1", "--format=%s").startswith("on_notice von netz gesetzt")
    before = tree_state(root)
    result = cli("-C", root, "agreement", "set", "netz", "on_notice", "leaves", ok=False)
    assert result.exit_code == 1 and "erwartet: party-leaves oder ends" in result.stderr
    assert tree_state(root) == before
