"""`coop remind`: real SMTP over TLS on localhost, one message per person, the interval, records."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, Cli, MakeRepo, copy_example, head

pytest.importorskip("aiosmtpd", reason="aiosmtpd (test extra) is not installed")
import test_mail_send  # noqa: E402
from test_mail_send import SENDER, Smtp  # noqa: E402

smtp = test_mail_send.smtp
"""The STARTTLS SMTP server of the mail tests, shared."""

WEBER = "thomas.weber@kreis-myk.example"
PETROVIC = "daniel.petrovic@caritas-koblenz.example"
SCHMITZ = "petra.schmitz@kreis-myk.example"
OFFICE = "sekretariat@kreis-myk.example"


def _repo(tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_example(tmp_path / "repo")
    for key, value in {
        "mail.host": "127.0.0.1",
        "mail.port": str(smtp.port),
        "mail.security": "starttls",
        "mail.from_address": SENDER,
        "mail.from_name": "Integrationsbeauftragte",
        "mail.secretariat": OFFICE,
    }.items():
        cli("-C", root, "config", "set", key, value)
    monkeypatch.setenv("COOP_SMTP_CAFILE", str(smtp.cafile))
    monkeypatch.delenv("COOP_SMTP_PASSWORD", raising=False)
    return root


def _received(smtp: Smtp) -> dict[str, tuple[str, str]]:
    """Return (subject, body) of every message received, by its only recipient."""
    found: dict[str, tuple[str, str]] = {}
    for recipients, message in smtp.handler.messages:
        assert len(recipients) == 1, recipients
        assert recipients[0] not in found, "two messages to one person"
        found[recipients[0]] = (str(message["Subject"]), message.get_content())  # type: ignore[attr-defined]
    return found


def _records(root: Path) -> list[Path]:
    return sorted((root / "reminders").glob("*.yaml"))


@pytest.mark.slow
def test_remind_sends_one_german_message_per_person_and_never_twice(
    tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, cli, smtp, monkeypatch)
    result = cli("-C", root, "remind", "--within", "14d", today="2014-05-10")
    [name] = re.findall(r"vermerkt in reminders/(2014-05-10-[0-9a-f]{12}\.yaml)", result.stdout)
    got = _received(smtp)
    # The two actions overdue since 30 April; Schmitz's is due 30 June, beyond the window.
    assert set(got) == {WEBER, PETROVIC}
    subject, body = got[WEBER]
    assert subject == "Erinnerung an 1 offenen Punkt (Stand 10. Mai 2014)"
    assert "Guten Tag Thomas Weber," in body
    assert "fällig am 30. April 2014 (10 Tage überfällig)" in body
    assert "Einwilligungserklärung" in body
    assert "Quelle: TOP 3, Sitzung vom 5. Februar 2014" in body
    assert "Konzept" not in body  # Petrović's item goes to Petrović only
    record = _records(root)
    assert [p.name for p in record] == [name]
    text = record[0].read_text(encoding="utf-8")
    assert '"2014-02-05-evaluation#1"' in text and WEBER in text
    assert f"reminders/{name}" in _show_files(root)

    # A second run (same day, and within the interval) sends nothing and records nothing.
    before = head(root)
    smtp.handler.messages.clear()
    again = cli("-C", root, "remind", today="2014-05-12")
    assert "keine Erinnerung fällig" in again.stdout
    assert smtp.handler.messages == []
    assert head(root) == before


def _show_files(root: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "show", "--name-only", "--format=", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.mark.slow
def test_interval_and_fulfilment(
    tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, cli, smtp, monkeypatch)
    cli("-C", root, "config", "set", "mail.remind_every", "P10D")
    cli("-C", root, "remind", today="2014-05-10")
    assert set(_received(smtp)) == {WEBER, PETROVIC}
    cli("-C", root, "action", "done", "2014-02-05-evaluation#1", today="2014-05-12")
    smtp.handler.messages.clear()
    # Day 9 of 10: nothing yet.
    cli("-C", root, "remind", today="2014-05-19")
    assert smtp.handler.messages == []
    # Day 10: Petrović again; Weber's action is done, so Weber never again.
    cli("-C", root, "remind", today="2014-05-20")
    assert set(_received(smtp)) == {PETROVIC}
    assert len(_records(root)) == 2


@pytest.mark.slow
def test_dry_run_and_eml_write_nothing_to_the_repository(
    tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, cli, smtp, monkeypatch)
    before = head(root)
    result = cli("-C", root, "--json", "remind", "--dry-run", today="2014-05-10")
    data = json.loads(result.stdout)
    assert {tuple(m["to"]) for m in data["messages"]} == {(WEBER,), (PETROVIC,)}
    assert data["sent"] is False
    out = tmp_path / "out"
    cli("-C", root, "remind", "--eml", out, today="2014-05-10")
    assert len(list(out.glob("*.eml"))) == 2
    assert smtp.handler.messages == []
    assert head(root) == before
    assert not (root / "reminders").exists()


@pytest.mark.slow
def test_secretariat_minutes_and_approval_reminders(
    tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, cli, smtp, monkeypatch)
    cli("-C", root, "agreement", "release", "myk-awo", "--date", "2014-05-20", today="2014-05-20")
    # 13 days after the meeting of 14 May, 7 days after the release: nothing for the office.
    cli("-C", root, "remind", today="2014-05-27")
    assert OFFICE not in _received(smtp)
    smtp.handler.messages.clear()
    # 14 days after the meeting: the minutes are due; the version waits only 8 days.
    cli("-C", root, "remind", today="2014-05-28")
    subject, body = _received(smtp)[OFFICE]
    assert "Niederschriften, die noch nicht versandt sind:" in body
    assert "vom 14. Mai 2014 (2014-05-14-arbeitstreffen), Sitzung vor 14 Tagen" in body
    assert "Freigabe" not in body.replace("Ist etwas", "")
    smtp.handler.messages.clear()
    # 14 days after the release: the coordinator learns who has not approved yet.
    cli("-C", root, "remind", today="2014-06-03")
    subject, body = _received(smtp)[OFFICE]
    assert "Versionen, die auf Freigabe warten:" in body
    assert "(myk-awo) v1, veröffentlicht am 20. Mai 2014, seit 14 Tagen" in body
    assert "es fehlt die Freigabe von: " in body and "Arbeiterwohlfahrt" in body
    # The minutes were named six days ago: not again within the interval.
    assert "Niederschriften" not in body
    assert subject == "Erinnerung an 1 offenen Punkt (Stand 3. Juni 2014)"


@pytest.mark.slow
def test_minutes_after_is_configurable(
    tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, cli, smtp, monkeypatch)
    cli("-C", root, "config", "set", "mail.minutes_after", "30")
    cli("-C", root, "remind", today="2014-06-12")
    assert OFFICE not in _received(smtp)
    cli("-C", root, "remind", today="2014-06-13")
    assert OFFICE in _received(smtp)


@pytest.mark.slow
def test_a_refused_send_records_nothing(
    tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, cli, smtp, monkeypatch)
    before = head(root)
    smtp.handler.refuse.add(PETROVIC)
    result = cli("-C", root, "remind", today="2014-05-10", ok=False)
    assert result.exit_code == 1
    assert "nichts wurde im Repository vermerkt" in result.stderr
    assert head(root) == before
    assert not (root / "reminders").exists()
    # Once the server takes it, everything goes out: nothing was remembered as sent.
    smtp.handler.refuse.clear()
    smtp.handler.messages.clear()
    cli("-C", root, "remind", today="2014-05-10")
    assert set(_received(smtp)) == {WEBER, PETROVIC}


def _crontab_line(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if re.match(r"^[0-9*/,-]+( [0-9*/,-]+){4} ", ln)]
    assert len(lines) == 1, lines
    return lines[0]


def _crontab_command() -> str:
    """Return the command of the README's crontab line (after the times); the guide says the same."""
    line = _crontab_line(REPO_ROOT / "README.md")
    assert line == _crontab_line(REPO_ROOT / "docs" / "geschaeftsstelle.md")
    return line.split(maxsplit=5)[5]


@pytest.mark.slow
def test_the_documented_crontab_line_runs(
    tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, cli, smtp, monkeypatch)
    command = _crontab_command()
    assert "/srv/kooperation" in command
    command = command.replace("/srv/kooperation", shlex.quote(str(root)))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(REPO_ROOT / "src"),
        "COOP_SMTP_CAFILE": str(smtp.cafile),
        # The crontab's own variable line, as the guide sets it.
        "COOP_AUTHOR": "Erinnerungsdienst <integration@kreis-myk.example>",
    }
    first = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    # Today is long after 2014: every action of the example is overdue, the minutes unsent.
    assert {WEBER, PETROVIC, SCHMITZ, OFFICE} <= set(_received(smtp))
    smtp.handler.messages.clear()
    second = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert smtp.handler.messages == []


KLEIN = "eva.klein@caritas.example"


@pytest.mark.slow
def test_obligations_go_to_the_contact_in_charge_until_fulfilled(
    make_repo: MakeRepo, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_due import CARITAS_IN_CHARGE, MINUTES

    caritas = CARITAS_IN_CHARGE.replace(
        "        topics: [angebote]\n", f"        topics: [angebote]\n        email: {KLEIN}\n"
    )
    root = make_repo({"minutes/2013-12-04-treffen.md": MINUTES, "partners/caritas.yaml": caritas})
    for key, value in {
        "mail.host": "127.0.0.1",
        "mail.port": str(smtp.port),
        "mail.from_address": SENDER,
        "mail.secretariat": OFFICE,
    }.items():
        cli("-C", root, "config", "set", key, value)
    monkeypatch.setenv("COOP_SMTP_CAFILE", str(smtp.cafile))
    cli("-C", root, "remind", today="2014-02-07")
    subject, body = _received(smtp)[KLEIN]
    assert subject == "Erinnerung an 5 offene Punkte (Stand 7. Februar 2014)"
    assert "Guten Tag Eva Klein," in body
    for day in ("31. März 2013", "30. Juni 2013", "30. September 2013", "31. Dezember 2013"):
        assert f"fällig am {day} (" in body
    assert "fällig am 20. Februar 2014:" in body  # the action, due within the window
    cli("-C", root, "obligation", "done", "koop/angebote", "--partner", "caritas",
        "--due", "2013-03-31", "--date", "2014-02-10", today="2014-02-10")  # fmt: skip
    smtp.handler.messages.clear()
    cli("-C", root, "remind", today="2014-02-14")
    subject, body = _received(smtp)[KLEIN]
    assert subject == "Erinnerung an 4 offene Punkte (Stand 14. Februar 2014)"
    assert "31. März 2013" not in body and "30. Juni 2013" in body
