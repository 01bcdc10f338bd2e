import json

from conftest import BASE_FILES, Cli, MakeRepo, git, tree_state


def test_obligation_list_shows_frequency_next_due_and_overdue(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo()
    out = cli("-C", root, "--json", "obligation", "list").stdout
    row = json.loads(out)["obligations"][0]
    assert row["id"] == "angebote"
    assert row["frequency"] == "vierteljährlich"
    assert row["next_due"] == "2014-03-31"
    # 2013-03-31, 06-30, 09-30, 12-31 are past and unrecorded on 2014-02-07
    assert row["overdue"] == 4
    text = cli("-C", root, "obligation", "list", "--partner", "caritas").stdout
    assert "vierteljährlich" in text and "31.03.2014" in text


def test_obligation_done_writes_one_record_for_the_earliest_open_occurrence(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo()
    result = cli(
        "-C",
        root,
        "obligation",
        "done",
        "koop/angebote",
        "--date",
        "2013-04-02",
        "--note",
        "Rundmail mit Sprechzeiten",
    )
    assert "fällig 31.03.2013" in result.stdout
    path = root / "agreements/koop/fulfilment/2013-03-31-angebote-caritas.yaml"
    text = path.read_text("utf-8").replace('"', "")
    assert "status: fulfilled" in text
    assert "date: 2013-04-02" in text
    assert "note: Rundmail mit Sprechzeiten" in text
    assert "recorded_by: Gisela Bernert" in text
    log = git(root, "log", "-1", "--format=%an|%ad|%s", "--date=short", "--name-only")
    assert log.splitlines()[0] == (
        "Gisela Bernert|2013-04-02|angebote (fällig 2013-03-31) für caritas: erfüllt"
    )
    assert "agreements/koop/fulfilment/2013-03-31-angebote-caritas.yaml" in log
    assert git(root, "status", "--porcelain") == ""
    cli("-C", root, "check")
    second = cli("-C", root, "obligation", "done", "koop/angebote", "--status", "partly").stdout
    assert "fällig 30.06.2013: teilweise →" in second and "partly" not in second
    english = cli(
        "-C", root, "--lang", "en", "obligation", "done", "koop/angebote", "--status", "missed"
    ).stdout
    assert ": missed →" in english and "versäumt" not in english


def test_obligation_done_again_updates_the_record_and_keeps_comments(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo(
        {
            "agreements/koop/fulfilment/2013-06-30-angebote-caritas.yaml": """\
            # nachgereicht
            obligation: angebote
            partner: caritas
            due: 2013-06-30
            date: 2013-07-20
            status: partly
            note: nur Sprechzeiten
            """,
        }
    )
    cli(
        "-C",
        root,
        "obligation",
        "done",
        "koop/angebote",
        "--due",
        "2013-06-30",
        "--date",
        "2013-08-01",
        "--note",
        "vollständig nachgeliefert",
    )
    text = (root / "agreements/koop/fulfilment/2013-06-30-angebote-caritas.yaml").read_text()
    text = text.replace('"', "")
    assert text.startswith("# nachgereicht\n")
    assert "status: fulfilled" in text and "date: 2013-08-01" in text
    assert "vollständig nachgeliefert" in text
    assert git(root, "log", "-1", "--format=%s").startswith(
        "angebote (fällig 2013-06-30) für caritas: erfüllt (aktualisiert)"
    )


def test_obligation_done_refuses_bad_input_and_writes_nothing(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo()
    before = tree_state(root)
    assert (
        cli(
            "-C", root, "obligation", "done", "koop/angebote", "--due", "2013-04-01", ok=False
        ).exit_code
        == 2
    )
    assert (
        cli(
            "-C", root, "obligation", "done", "koop/angebote", "--partner", "kreis", ok=False
        ).exit_code
        == 2
    )
    assert (
        cli(
            "-C", root, "obligation", "done", "koop/angebote", "--status", "done", ok=False
        ).exit_code
        == 2
    )
    assert cli("-C", root, "obligation", "done", "koop/nix", ok=False).exit_code == 6
    assert cli("-C", root, "obligation", "done", "nix/angebote", ok=False).exit_code == 6
    bad = cli("-C", root, "obligation", "done", "angebote", ok=False)
    assert bad.exit_code == 2 and "VEREINBARUNG/PFLICHT" in bad.stderr
    wrong_due = cli(
        "-C", root, "obligation", "done", "koop/angebote", "--due", "2013-04-01", ok=False
    )
    assert "2013-03-31" in wrong_due.stderr
    assert tree_state(root) == before


def test_obligation_done_needs_partner_when_several_owe_it(make_repo: MakeRepo, cli: Cli) -> None:
    text = BASE_FILES["agreements/koop/agreement.md"]
    text = text.replace("    by: caritas\n", "    by: [caritas, jobcenter]\n")
    root = make_repo({"agreements/koop/agreement.md": text})
    result = cli("-C", root, "obligation", "done", "koop/angebote", ok=False)
    assert result.exit_code == 2 and "caritas, jobcenter" in result.stderr
    cli("-C", root, "obligation", "done", "koop/angebote", "--partner", "jobcenter")
    assert (root / "agreements/koop/fulfilment/2013-03-31-angebote-jobcenter.yaml").is_file()


def test_per_case_duty_is_recorded_on_the_given_date(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    text = (root / "agreements/koop/agreement.md").read_text()
    text = text.replace(
        "---\n\n## Präambel",
        """\
  - id: daten
    clause: 2
    by: kreis
    to: caritas
    what: Kontaktdaten übermitteln
    condition: nur mit schriftlicher Einwilligung
---

## Präambel""",
    )
    (root / "agreements/koop/agreement.md").write_text(text)
    git(root, "commit", "-qam", "per-case duty")
    cli("-C", root, "obligation", "done", "koop/daten", "--date", "2013-05-02")
    assert (root / "agreements/koop/fulfilment/2013-05-02-daten-kreis.yaml").is_file()
    rows = json.loads(cli("-C", root, "--json", "obligation", "list").stdout)["obligations"]
    daten = next(r for r in rows if r["id"] == "daten")
    assert daten["frequency"] == "im Einzelfall" and daten["next_due"] is None
    assert daten["overdue"] == 0
