from __future__ import annotations

import json

from conftest import Cli, MakeRepo

MEETING = "2013-06-12-treffen"

MINUTES = """\
    ---
    id: 2013-06-12-treffen
    title: Treffen
    agreements: [koop]
    date: 2013-06-12
    status: sent
    sent: 2013-06-19
    tops:
      - title: Kontakte
        actions:
          - id: 1
            who: kreis/bernert
            what: Kontaktliste versenden
            due: 2013-07-05
          - id: 2
            who: caritas
            what: Faltblätter liefern
            due: 2014-03-31
    ---
    """


def test_action_list_filters_by_partner_and_state(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({f"minutes/{MEETING}.md": MINUTES})
    rows = json.loads(cli("-C", root, "--json", "action", "list", "--partner", "caritas").stdout)[
        "actions"
    ]
    assert [r["key"] for r in rows] == [f"{MEETING}#2"]
    assert rows[0]["status"] == "open" and rows[0]["overdue"] is False
    overdue = json.loads(cli("-C", root, "--json", "action", "list", "--open").stdout)["actions"]
    assert [r["overdue"] for r in overdue] == [True, False]
    unknown = cli("-C", root, "action", "list", "--partner", "nobody", ok=False)
    assert unknown.exit_code == 6


def test_closed_actions_leave_the_next_agenda(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({f"minutes/{MEETING}.md": MINUTES})
    cli(
        "-C",
        root,
        "action",
        "done",
        f"{MEETING}#1",
        "--date",
        "2013-07-04",
        "--by",
        "kreis/bernert",
    )
    record = (root / "actions" / f"{MEETING}-1.yaml").read_text()
    assert f"action: {MEETING}#1" in record and "by: kreis/bernert" in record
    cli("-C", root, "meeting", "new", "--agreement", "koop", "--date", "2014-02-05")
    # The prepared TOPs show the records of the day (`meeting show`), not a copy in the file.
    text = cli("-C", root, "meeting", "show", "2014-02-05-arbeitstreffen").stdout
    assert "- Caritasverband Beispiel e. V. – Faltblätter liefern" in text
    assert "Kontaktliste versenden" not in text
    assert "TOP 1: Begrüßung und Genehmigung der Niederschrift vom 12.06.2013" in text
    assert "Seit der Sitzung vom 12.06.2013 fällig" in text
    status = cli("-C", root, "status").stdout
    assert "offene Aufgaben: 1, davon überfällig: 0" in status
    assert "Niederschriften im Entwurf: 2014-02-05-arbeitstreffen" in status
    assert f"versandt, noch nicht genehmigt: {MEETING}" in status
