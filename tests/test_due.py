import json
from datetime import date

from conftest import Cli, MakeRepo
from coopkit.queries.context import Context
from coopkit.services.followup import record_fulfilment

MINUTES = """\
    ---
    id: 2013-12-04-treffen
    title: Arbeitstreffen
    agreements: [koop]
    date: 2013-12-04
    status: sent
    sent: 2013-12-10
    tops:
      - title: Begrüßung
      - title: Kontaktliste
      - title: Faltblätter
        actions:
          - id: 1
            who: caritas/klein
            what: Faltblätter auf Arabisch liefern
            due: 2014-02-20
          - id: 2
            who: kreis/bernert
            what: Kontaktliste verschicken
            due: 2014-01-15
    ---
    """


def due_json(cli: Cli, root: object, *args: str, today: str = "2014-02-07") -> dict:
    return json.loads(cli("-C", root, "--json", "due", *args, today=today).stdout)


def items(data: dict, partner: str) -> list[tuple[str, str, str]]:
    group = next((g for g in data["partners"] if g["partner"] == partner), None)
    return [(i["due"], i["kind"], i["source"]) for i in group["items"]] if group else []


def test_due_lists_overdue_and_upcoming_by_partner_and_date(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"minutes/2013-12-04-treffen.md": MINUTES})
    data = due_json(cli, root, today="2014-02-07")
    assert [g["partner"] for g in data["partners"]] == ["caritas", "kreis"]
    assert items(data, "caritas") == [
        ("2013-03-31", "obligation", "§ 2 Vereinbarung koop"),
        ("2013-06-30", "obligation", "§ 2 Vereinbarung koop"),
        ("2013-09-30", "obligation", "§ 2 Vereinbarung koop"),
        ("2013-12-31", "obligation", "§ 2 Vereinbarung koop"),
        ("2014-02-20", "action", "TOP 3, Sitzung vom 4. Dezember 2013"),
    ]
    kreis = data["partners"][1]["items"][0]
    assert kreis["overdue"] is True and kreis["days_overdue"] == 23
    assert kreis["person"] == "bernert" and kreis["key"] == "2013-12-04-treffen#2"


def test_due_window_and_overdue_filter(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"minutes/2013-12-04-treffen.md": MINUTES})
    assert items(due_json(cli, root, "--within", "10d"), "caritas")[-1][0] == "2013-12-31"
    assert items(due_json(cli, root, "--within", "2m"), "caritas")[-1][0] == "2014-03-31"
    overdue = due_json(cli, root, "--overdue")
    assert all(i["overdue"] for g in overdue["partners"] for i in g["items"])
    assert len(items(overdue, "caritas")) == 4
    only = due_json(cli, root, "--partner", "kreis")
    assert [g["partner"] for g in only["partners"]] == ["kreis"]


def test_due_at_another_fixed_date(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    data = due_json(cli, root, "--within", "30d", today="2013-03-15")
    assert items(data, "caritas") == [("2013-03-31", "obligation", "§ 2 Vereinbarung koop")]
    assert data["partners"][0]["items"][0]["overdue"] is False
    assert due_json(cli, root, today="2013-01-15")["partners"] == []
    text = cli("-C", root, "due", today="2013-01-15").stdout
    assert "nichts fällig" in text


def test_fulfilment_removes_the_occurrence_from_the_due_list(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    before = items(due_json(cli, root, "--overdue"), "caritas")
    assert before[0][0] == "2013-03-31"
    ctx = Context(
        root=root, today=date(2014, 2, 7), author_text="Eva Klein <klein@caritas.example>"
    )
    record_fulfilment(ctx, "koop", "angebote", when=date(2013, 4, 3))
    record_fulfilment(
        ctx,
        "koop",
        "angebote",
        due=date(2013, 9, 30),
        when=date(2013, 10, 8),
        status="missed",
        note="Rundmail vergessen",
    )
    after = items(due_json(cli, root, "--overdue"), "caritas")
    assert [d for d, _, _ in after] == ["2013-06-30", "2013-12-31"]


def test_closed_action_leaves_the_due_list(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(
        {
            "minutes/2013-12-04-treffen.md": MINUTES,
            "actions/2013-12-04-treffen-2.yaml": "action: 2013-12-04-treffen#2\ndate: 2014-01-14\n",
        }
    )
    assert items(due_json(cli, root), "kreis") == []


def test_due_text_output_and_unknown_partner(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"minutes/2013-12-04-treffen.md": MINUTES})
    text = cli("-C", root, "due").stdout
    assert "Caritasverband Beispiel e. V. (caritas)" in text
    assert "TOP 3, Sitzung vom 4. Dezember 2013" in text
    assert "23 Tage überfällig" in text
    bad = cli("-C", root, "due", "--partner", "nix", ok=False)
    assert bad.exit_code == 6 and "caritas" in bad.stderr
    assert cli("-C", root, "due", "--within", "bald", ok=False).exit_code == 2


def test_draft_agreement_has_nothing_due(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(approve=False)
    assert due_json(cli, root)["partners"] == []
    cli("-C", root, "agreement", "release", "koop", "--date", "2012-11-20")
    assert due_json(cli, root)["partners"] == [], "released but not approved is not in force"


CARITAS_IN_CHARGE = """\
    id: caritas
    name: Caritasverband Beispiel e. V.
    representative: Lena Graf
    contacts:
      - id: graf
        name: Lena Graf
      - id: klein
        name: Eva Klein
        topics: [angebote]
    """


def test_every_due_row_says_who_acts_a_contact_or_the_organisation(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo({"minutes/2013-12-04-treffen.md": MINUTES})
    data = due_json(cli, root, "--overdue")
    caritas = next(g for g in data["partners"] if g["partner"] == "caritas")["items"]
    assert {(i["person"], i["who"]) for i in caritas} == {(None, "caritas")}
    kreis = next(g for g in data["partners"] if g["partner"] == "kreis")["items"]
    assert (kreis[0]["person"], kreis[0]["who"]) == ("bernert", "kreis/bernert")

    text = cli("-C", root, "due", "--overdue").stdout
    header = next(line for line in text.splitlines() if line.startswith("fällig"))
    assert header.split() == ["fällig", "was", "Quelle", "wer", "Verzug"]
    row = next(line for line in text.splitlines() if "31.03.2013" in line)
    assert row.split("  ")[0] and " caritas " in row and "Tage überfällig" in row
    english = cli("-C", root, "--lang", "en", "due", "--overdue").stdout
    assert next(line for line in english.splitlines() if line.startswith("due")).split() == [
        "due",
        "what",
        "source",
        "who",
        "overdue",
    ]

    named = make_repo(
        {"minutes/2013-12-04-treffen.md": MINUTES, "partners/caritas.yaml": CARITAS_IN_CHARGE}
    )
    caritas = next(
        g for g in due_json(cli, named, "--overdue")["partners"] if g["partner"] == "caritas"
    )["items"]
    assert {(i["person"], i["who"]) for i in caritas} == {("klein", "caritas/klein")}


def test_overdue_days_are_counted_in_words_with_the_singular() -> None:
    from coopkit.render.dates import overdue_words

    assert overdue_words(1, "de") == "1 Tag überfällig"
    assert overdue_words(12, "de") == "12 Tage überfällig"
    assert overdue_words(1, "en") == "1 day overdue"
    assert overdue_words(2, "en") == "2 days overdue"
