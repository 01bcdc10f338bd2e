"""`coop check --privacy` flags client data that belongs to no registered contact."""

from __future__ import annotations

from conftest import Cli, MakeRepo

MINUTES = """\
    ---
    id: 2014-02-05-treffen
    title: Treffen
    date: 2014-02-05
    tops:
      - title: Einzelfall
        notes: |
          Frau Bernert (bernert@kreis.example) berichtet.
          Herr X., geb. 12.03.1985, erreichbar unter x.privat@mail.example oder 0171 1234567.
          Überweisung auf DE89 3704 0044 0532 0130 00, Kundennummer 123D456789, BG 12345BG0012345.
          Termin 2014-03-01, Raum 0261 (nicht flaggen: Datum).
    ---
    """


def test_privacy_check_reports_client_data_with_lines(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({"minutes/2014-02-05-treffen.md": MINUTES})
    cli("-C", root, "check")
    result = cli("-C", root, "check", "--privacy", ok=False)
    assert result.exit_code == 1
    out = result.stdout
    path = "minutes/2014-02-05-treffen.md"
    assert f"{path}:9:16: mögliche Klientendaten: Geburtsdatum „geb. 12.03.1985“" in out
    assert f"{path}:9:50: mögliche Klientendaten: E-Mail-Adresse „x.privat@mail.example“" in out
    assert f"{path}:9:77: mögliche Klientendaten: Telefonnummer „0171 1234567“" in out
    assert f"{path}:10:23: mögliche Klientendaten: IBAN „DE89 3704 0044 0532 0130 00“" in out
    assert "Kundennummer 123D456789" in out
    assert "12345BG0012345" in out
    assert "bernert@kreis.example" not in out
    assert "2014-03-01" not in out
    assert out.strip().splitlines()[-1] == "6 Problem(e) in 1 Datei(en)"


def test_privacy_check_is_quiet_on_the_worked_example(cli: Cli, example_root) -> None:  # type: ignore[no-untyped-def]
    result = cli("-C", example_root, "check", "--privacy")
    assert "keine Probleme" in result.stdout
