"""Carry-over: open, deferred and standing TOPs and open actions move into the next agenda."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import Cli, MakeRepo

M1 = "2014-02-05-evaluation"
M2 = "2014-03-05-zweites-treffen"
M3 = "2014-04-02-drittes-treffen"


def _new(cli: Cli, root: Path, day: str, title: str, *agenda: str, lang: str = "de") -> str:
    args: list[str] = ["meeting", "new", "--agreement", "koop", "--date", day, "--title", title]
    for item in agenda:
        args += ["--agenda", item]
    result = cli("-C", root, "--lang", lang, "--json", *args, today=day)
    return str(json.loads(result.stdout)["id"])


def _titles(root: Path, meeting: str) -> list[str]:
    text = (root / "minutes" / f"{meeting}.md").read_text()
    return re.findall(r"^  - title: (.*)$", text, re.MULTILINE)


def _first_meeting(cli: Cli, root: Path) -> None:
    assert (
        _new(cli, root, "2014-02-05", "Evaluation", "Sprachkurse", "Statistik", "Faltblatt") == M1
    )
    # TOP 1 approval, 2 obligations, 3 revisions, then the three items, then AOB.
    assert _titles(root, M1)[3:6] == ["Sprachkurse", "Statistik", "Faltblatt"]
    cli("-C", root, "meeting", "mark", M1, "--top", "4", "--open", today="2014-02-05")
    cli("-C", root, "meeting", "mark", M1, "--top", "5", "--recurring", today="2014-02-05")
    cli("-C", root, "meeting", "mark", M1, "--top", "6", "--deferred", today="2014-02-05")
    cli(
        "-C", root, "meeting", "action", M1, "--top", "6", "--who", "caritas/klein",
        "--due", "2014-03-01", "Faltblatt entwerfen", today="2014-02-05",
    )  # fmt: skip
    cli("-C", root, "meeting", "send", M1, today="2014-02-06")


def test_marks_are_written_and_removed_in_the_front_matter(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    _first_meeting(cli, root)
    text = (root / "minutes" / f"{M1}.md").read_text()
    assert "  - title: Sprachkurse\n    status: open\n" in text
    assert "  - title: Statistik\n    recurring: true\n" in text
    assert "  - title: Faltblatt\n    status: deferred\n" in text
    # Unmarked TOPs carry no new keys: old files read and write as before.
    assert "  - title: Verschiedenes\n" in text and text.count("recurring") == 1


def test_next_agenda_takes_over_open_recurring_and_deferred_tops(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo()
    _first_meeting(cli, root)
    assert _new(cli, root, "2014-03-05", "Zweites Treffen") == M2
    text = (root / "minutes" / f"{M2}.md").read_text()
    assert _titles(root, M2)[:4] == [
        "Begrüßung und Genehmigung der Niederschrift vom 05.02.2014",
        "Sprachkurse",
        "Statistik",
        "Faltblatt",
    ]
    assert f"    carried: {M1}#4\n" in text
    assert f"    carried: {M1}#5\n    recurring: true\n" in text
    assert f"    carried: {M1}#6\n" in text
    shown = cli("-C", root, "meeting", "show", M2, today="2014-03-01").stdout
    assert "Nicht abgeschlossen, aus der Sitzung vom 5. Februar 2014, TOP 4." in shown
    assert "Ständiger TOP seit der Sitzung vom 5. Februar 2014, TOP 5." in shown
    assert "Vertagt, aus der Sitzung vom 5. Februar 2014, TOP 6." in shown
    # The open action has its prepared TOP, linked to its meeting and TOP.
    assert "Faltblatt entwerfen" in shown and "aus der Sitzung vom 05.02.2014, TOP 6" in shown

    english = cli("-C", root, "--lang", "en", "meeting", "show", M2, today="2014-03-01").stdout
    assert "Not finished, from the meeting of 5 February 2014, item 4." in english
    assert "Standing item since the meeting of 5 February 2014, item 5." in english


def test_carry_over_across_three_meetings_links_to_the_origin_once(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo()
    _first_meeting(cli, root)
    _new(cli, root, "2014-03-05", "Zweites Treffen")
    # In the second meeting "Sprachkurse" (TOP 2) stays open, "Faltblatt" (TOP 4) is finished
    # and the action is done.
    cli("-C", root, "meeting", "mark", M2, "--top", "2", "--open", today="2014-03-05")
    cli("-C", root, "action", "done", f"{M1}#1", "--date", "2014-03-04", today="2014-03-05")
    cli("-C", root, "meeting", "send", M2, today="2014-03-06")
    sent = (root / "minutes" / f"{M2}.md").read_text()
    # Sending writes the link into the minutes; the origin reference stays.
    assert "Nicht abgeschlossen, aus der Sitzung vom 5. Februar 2014, TOP 4." in sent
    assert f"carried: {M1}#4" in sent

    assert _new(cli, root, "2014-04-02", "Drittes Treffen") == M3
    text = (root / "minutes" / f"{M3}.md").read_text()
    titles = _titles(root, M3)
    assert titles.count("Sprachkurse") == 1 and titles.count("Statistik") == 1
    assert "Faltblatt" not in titles
    assert "Offene Aufgaben" not in titles
    assert f"carried: {M1}#4" in text and f"carried: {M1}#5" in text and M2 + "#" not in text
    shown = cli("-C", root, "meeting", "show", M3, today="2014-03-20").stdout
    assert "Nicht abgeschlossen, aus der Sitzung vom 5. Februar 2014, TOP 4." in shown
    assert "TOP 3: Statistik  [ständiger TOP]" in shown
    marked = cli("-C", root, "--lang", "en", "meeting", "show", M2, today="2014-03-20").stdout
    assert "Item 2: Sprachkurse  [not finished]" in marked


def test_a_carried_top_follows_its_source_and_drops_out_once_finished(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo()
    _first_meeting(cli, root)
    _new(cli, root, "2014-03-05", "Zweites Treffen")
    cli("-C", root, "meeting", "mark", M2, "--top", "2", "--open", today="2014-03-05")
    _new(cli, root, "2014-04-02", "Drittes Treffen")
    # Finished in the second meeting after all: the third meeting's draft says so, and a
    # fourth meeting no longer takes it over.
    cli("-C", root, "meeting", "mark", M2, "--top", "2", "--done", today="2014-03-06")
    assert "status:" not in (root / "minutes" / f"{M2}.md").read_text().split("Sprachkurse")[1][:40]
    shown = cli("-C", root, "meeting", "show", M3, today="2014-03-20").stdout
    assert "inzwischen abgeschlossen, entfällt" in shown
    fourth = _new(cli, root, "2014-05-07", "Viertes Treffen")
    assert "Sprachkurse" not in _titles(root, fourth)
    # The standing item stays until it is marked as no longer standing.
    assert "Statistik" in _titles(root, fourth)
    cli("-C", root, "meeting", "mark", fourth, "--top", "2", "--not-recurring", today="2014-05-07")
    fifth = _new(cli, root, "2014-06-04", "Fuenftes Treffen")
    assert "Statistik" not in _titles(root, fifth)


def test_mark_refuses_bad_input(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    _first_meeting(cli, root)
    result = cli("-C", root, "meeting", "mark", M1, "--top", "4", ok=False)
    assert result.exit_code == 2 and "--open" in result.stderr
    result = cli(
        "-C", root, "meeting", "mark", M1, "--top", "4", "--open", "--done",
        "--after-sending", ok=False,
    )  # fmt: skip
    assert result.exit_code == 2 and "nur eine von" in result.stderr
    result = cli(
        "-C", root, "meeting", "mark", M1, "--top", "99", "--open", "--after-sending", ok=False
    )
    assert result.exit_code == 2 and "TOP 1 bis" in result.stderr
    marked = cli(
        "-C", root, "--json", "meeting", "mark", M1, "--top", "4", "--done", "--after-sending"
    )
    assert json.loads(marked.stdout)["ok"] is True


def test_check_reports_a_bad_carried_reference_with_line(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    _first_meeting(cli, root)
    path = root / "minutes" / f"{M1}.md"
    path.write_text(path.read_text().replace("    status: open\n", "    carried: nix#0\n"))
    result = cli("-C", root, "check", ok=False)
    assert result.exit_code == 1
    assert f"minutes/{M1}.md:" in result.stdout + result.stderr
    assert "SITZUNG#TOP" in result.stdout + result.stderr


def test_check_reports_a_carried_reference_to_a_missing_top(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    _first_meeting(cli, root)
    _new(cli, root, "2014-03-05", "Zweites Treffen")
    path = root / "minutes" / f"{M2}.md"
    text = path.read_text()
    lines = text.splitlines()
    line = next(i for i, x in enumerate(lines, start=1) if f"carried: {M1}#4" in x)
    path.write_text(text.replace(f"carried: {M1}#4", f"carried: {M1}#40"))
    result = cli("-C", root, "check", ok=False)
    out = result.stdout + result.stderr
    assert result.exit_code == 1
    assert f"minutes/{M2}.md:{line}:" in out and "hat keinen TOP 40" in out
    path.write_text(text.replace(f"carried: {M1}#4", "carried: 2014-01-01-gibt-es-nicht#1"))
    out = cli("-C", root, "--lang", "en", "check", ok=False).stdout
    out += cli("-C", root, "--lang", "en", "check", ok=False).stderr
    assert 'unknown meeting "2014-01-01-gibt-es-nicht"' in out
