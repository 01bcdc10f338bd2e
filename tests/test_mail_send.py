"""`coop meeting invite`: real SMTP over TLS on localhost, the record, refusals, .eml export."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from ruamel.yaml import YAML

from conftest import Cli, copy_example, git, head

aiosmtpd = pytest.importorskip("aiosmtpd", reason="aiosmtpd (test extra) is not installed")
from aiosmtpd.controller import Controller  # noqa: E402

MEETING = "2014-05-14-arbeitstreffen"
SENDER = "integration@kreis-myk.example"


@dataclass
class Handler:
    """Keeps every accepted message; refuses the recipients named in `refuse`."""

    refuse: set[str] = field(default_factory=set)
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted"


@dataclass
class Smtp:
    port: int
    cafile: Path
    handler: Handler


def _certificate(folder: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip(
            "neither the cryptography package nor openssl is available for a test certificate"
        )
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[Smtp]:
    """A STARTTLS-only SMTP server on 127.0.0.1 with a self-signed certificate."""
    cert, key = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Handler()
    port = _free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
    )
    controller.start()
    try:
        yield Smtp(port, cert, handler)
    finally:
        controller.stop()


def _repo(tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_example(tmp_path / "repo")
    for key, value in {
        "mail.host": "127.0.0.1",
        "mail.port": str(smtp.port),
        "mail.security": "starttls",
        "mail.from_address": SENDER,
        "mail.from_name": "Integrationsbeauftragte",
    }.items():
        cli("-C", root, "config", "set", key, value)
    monkeypatch.setenv("COOP_SMTP_CAFILE", str(smtp.cafile))
    monkeypatch.delenv("COOP_SMTP_PASSWORD", raising=False)
    return root


def _attachments(message: EmailMessage) -> dict[str, bytes]:
    return {
        str(part.get_filename()): part.get_payload(decode=True)  # type: ignore[misc]
        for part in message.iter_attachments()
    }


def _calendar(message: EmailMessage) -> tuple[EmailMessage, Calendar]:
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0], Calendar.from_ical(parts[0].get_payload(decode=True))  # type: ignore[arg-type]


@pytest.mark.slow
def test_invite_sends_one_message_per_partner_and_records_it(
    tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, cli, smtp, monkeypatch)
    before = head(root)
    result = cli("-C", root, "meeting", "invite", MEETING)
    assert "vermerkt in minutes/" in result.stdout
    received = smtp.handler.messages
    assert [rcpt for rcpt, _ in received] == [
        ["poststelle@kreis-myk.example"],
        ["jobcenter-myk@jobcenter-myk.example"],
        ["migrationsdienst@caritas-koblenz.example"],
        ["migration@caritas-rma.example"],
        ["migration@awo-rheinland.example"],
    ]
    # One commit holding exactly the record.
    assert git(root, "rev-parse", "HEAD~1").strip() == before
    paths = git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert len(paths) == 1 and paths[0].startswith(f"minutes/{MEETING}/sent/")
    assert paths[0].endswith("-invitation.yaml")
    assert git(root, "status", "--porcelain").strip() == ""
    record = YAML(typ="safe").load((root / paths[0]).read_text(encoding="utf-8"))
    assert record["uid"] == f"{MEETING}@coopkit"
    assert [g["addresses"] for g in record["to"]] == [r for r, _ in received]
    hashes = {a["name"]: a["sha256"] for a in record["attachments"]}
    for _rcpt, message in received:
        assert message["Subject"] == "Einladung: Arbeitstreffen der Kooperationspartner Integration"
        assert message["From"].addresses[0].addr_spec == SENDER
        body = message.get_body(("plain",))
        assert body is not None
        assert "hiermit laden wir Sie herzlich" in body.get_content()
        files = _attachments(message)
        assert sorted(files) == sorted(hashes)
        assert {n: hashlib.sha256(d).hexdigest() for n, d in files.items()} == hashes
        assert files[f"{MEETING}-einladung.pdf"].startswith(b"%PDF")
        part, calendar = _calendar(message)
        assert part.get_param("method") == "REQUEST"
        assert calendar["METHOD"] == "REQUEST"
        event = calendar.walk("VEVENT")[0]
        assert str(event["UID"]) == record["uid"]
        assert event["SEQUENCE"] == record["sequence"]
        assert str(event["ORGANIZER"]) == f"mailto:{SENDER}"
        attendees = event["ATTENDEE"]
        attendees = attendees if isinstance(attendees, list) else [attendees]
        assert [str(a) for a in attendees] == [
            f"mailto:{a.addr_spec}" for a in message["To"].addresses
        ]
        assert calendar.walk("VTIMEZONE")


@pytest.mark.slow
def test_invite_after_cancel_sends_cancel_with_same_uid_and_higher_sequence(
    tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, cli, smtp, monkeypatch)
    cli("-C", root, "meeting", "invite", MEETING)
    first = _calendar(smtp.handler.messages[0][1])[1].walk("VEVENT")[0]
    cli("-C", root, "meeting", "cancel", MEETING, "--reason", "Krankheit der Leitung")
    smtp.handler.messages.clear()
    cli("-C", root, "meeting", "invite", MEETING)
    part, calendar = _calendar(smtp.handler.messages[0][1])
    assert part.get_param("method") == "CANCEL"
    assert calendar["METHOD"] == "CANCEL"
    event = calendar.walk("VEVENT")[0]
    assert str(event["UID"]) == str(first["UID"])
    assert event["SEQUENCE"] > first["SEQUENCE"]
    assert event["STATUS"] == "CANCELLED"
    assert (
        git(root, "show", "--name-only", "--format=", "HEAD").strip().endswith("-cancellation.yaml")
    )


@pytest.mark.slow
def test_refused_second_recipient_changes_nothing(
    tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, cli, smtp, monkeypatch)
    smtp.handler.refuse = {"jobcenter-myk@jobcenter-myk.example"}
    before = head(root)
    result = cli("-C", root, "meeting", "invite", MEETING, ok=False)
    assert result.exit_code == 1
    assert "jobcenter-myk@jobcenter-myk.example" in result.stderr
    assert "nichts wurde im Repository vermerkt" in result.stderr
    assert "Traceback" not in result.stderr
    assert head(root) == before
    assert git(root, "status", "--porcelain", "--untracked-files=all").strip() == ""


@pytest.mark.slow
def test_untrusted_certificate_is_refused(
    tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, cli, smtp, monkeypatch)
    monkeypatch.delenv("COOP_SMTP_CAFILE")
    before = head(root)
    result = cli("-C", root, "meeting", "invite", MEETING, ok=False)
    assert result.exit_code == 1
    assert "CERTIFICATE_VERIFY_FAILED" in result.stderr or "certificate" in result.stderr
    assert smtp.handler.messages == []
    assert head(root) == before


@pytest.mark.slow
def test_eml_export_parses_and_records_nothing(tmp_path: Path, cli: Cli) -> None:
    root = copy_example(tmp_path / "repo")
    cli("-C", root, "config", "set", "mail.from_address", SENDER)
    before = head(root)
    out = tmp_path / "ausgang"
    cli("-C", root, "meeting", "invite", MEETING, "--eml", out)
    files = sorted(out.glob("*.eml"))
    assert len(files) == 5
    for path in files:
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert message["Subject"].startswith("Einladung: ")
        part, calendar = _calendar(message)  # type: ignore[arg-type]
        assert part.get_param("method") == calendar["METHOD"] == "REQUEST"
        assert len(_attachments(message)) == 2  # type: ignore[arg-type]
    assert head(root) == before
    assert git(root, "status", "--porcelain").strip() == ""


@pytest.fixture
def smtps(tmp_path: Path) -> Iterator[Smtp]:
    """An implicit-TLS SMTP server (port 465 style) on 127.0.0.1."""
    cert, key = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Handler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    try:
        yield Smtp(port, cert, handler)
    finally:
        controller.stop()


def _without_address(root: Path, partner: str) -> None:
    path = root / "partners" / f"{partner}.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text(
        "\n".join(line for line in lines if not line.lstrip().startswith("email:")),
        encoding="utf-8",
    )
    git(root, "commit", "-q", "-am", "no address")


@pytest.mark.slow
def test_implicit_tls_and_partner_without_address_gets_the_letter(
    tmp_path: Path, cli: Cli, smtps: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, cli, smtps, monkeypatch)
    cli("-C", root, "config", "set", "mail.security", "tls")
    _without_address(root, "awo-rheinland")
    # The letter is written where the command runs, as `meeting render` writes its documents.
    office = tmp_path / "office"
    office.mkdir()
    monkeypatch.chdir(office)
    result = cli("-C", root, "meeting", "invite", MEETING)
    assert (office / f"{MEETING}-einladung.docx").is_file()
    assert len(smtps.handler.messages) == 4
    assert all(
        "awo-rheinland" not in address for rcpt, _ in smtps.handler.messages for address in rcpt
    )
    assert "keine E-Mail-Adresse – bitte den Brief ausdrucken" in result.stdout
    assert f"{MEETING}-einladung.docx" in result.stdout
    record = YAML(typ="safe").load(
        (root / git(root, "show", "--name-only", "--format=", "HEAD").strip()).read_text(
            encoding="utf-8"
        )
    )
    assert record["on_paper"] == ["Arbeiterwohlfahrt Bezirksverband Rheinland e. V."]


@pytest.mark.slow
def test_move_sends_an_update_with_the_same_uid_and_a_higher_sequence(
    tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, cli, smtp, monkeypatch)
    cli("-C", root, "meeting", "invite", MEETING)
    first = _calendar(smtp.handler.messages[0][1])[1].walk("VEVENT")[0]
    moved = "2014-05-21-arbeitstreffen"
    cli("-C", root, "meeting", "move", MEETING, "--date", "2014-05-21")
    smtp.handler.messages.clear()
    cli("-C", root, "meeting", "invite", moved)
    calendar = _calendar(smtp.handler.messages[0][1])[1]
    assert calendar["METHOD"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert str(event["UID"]) == str(first["UID"])
    assert event["SEQUENCE"] > first["SEQUENCE"]
    assert event.decoded("DTSTART").date().isoformat() == "2014-05-21"


def test_dry_run_names_recipients_and_writes_nothing(tmp_path: Path, cli: Cli) -> None:
    root = copy_example(tmp_path / "repo")
    cli("-C", root, "config", "set", "mail.from_address", SENDER)
    before = head(root)
    result = cli("-C", root, "--json", "meeting", "invite", MEETING, "--dry-run")
    data = json.loads(result.stdout)
    assert data["sent"] is False and data["record"] is None and data["files"] == []
    assert data["to"]["caritas-ko"] == ["migrationsdienst@caritas-koblenz.example"]
    assert data["uid"] == f"{MEETING}@coopkit"
    assert head(root) == before
    assert git(root, "status", "--porcelain", "--untracked-files=all").strip() == ""


def test_topic_contacts_get_the_invitation_instead_of_the_organisation(
    tmp_path: Path, cli: Cli
) -> None:
    root = copy_example(tmp_path / "repo")
    cli("-C", root, "config", "set", "mail.from_address", SENDER)
    path = root / "minutes" / f"{MEETING}.md"
    path.write_text(path.read_text().replace("\ndate: ", "\ntopics:\n  - jmd\ndate: ", 1))
    data = json.loads(cli("-C", root, "--json", "meeting", "invite", MEETING, "--dry-run").stdout)
    # AWO's youth migration contact (topics: jmd) instead of the organisation's address.
    assert data["to"]["awo-rheinland"] == ["jan.nowak@awo-rheinland.example"]
    assert data["to"]["caritas-ko"] == ["daniel.petrovic@caritas-koblenz.example"]
    # A partner without a contact for the topic: its organisation's address.
    assert data["to"]["kv-myk"] == ["poststelle@kreis-myk.example"]


def test_send_without_a_server_is_a_config_error(tmp_path: Path, cli: Cli) -> None:
    root = copy_example(tmp_path / "repo")
    cli("-C", root, "config", "set", "mail.from_address", SENDER)
    result = cli("-C", root, "meeting", "invite", MEETING, ok=False)
    assert result.exit_code == 4
    assert "mail.host" in result.stderr


@pytest.mark.slow
def test_send_minutes_by_mail_marks_sent_and_records_in_one_commit(
    tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, cli, smtp, monkeypatch)
    held = "2014-05-14-arbeitstreffen"
    before = head(root)
    cli("-C", root, "meeting", "send", held, "--mail", "--date", "2014-05-20", today="2014-05-20")
    assert git(root, "rev-parse", "HEAD~1").strip() == before
    paths = git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert f"minutes/{held}.md" in paths
    record = next(p for p in paths if p.startswith(f"minutes/{held}/sent/"))
    assert record.endswith("-minutes.yaml")
    assert "status: sent" in (root / f"minutes/{held}.md").read_text(encoding="utf-8")
    assert len(smtp.handler.messages) == 5
    message = smtp.handler.messages[0][1]
    assert message["Subject"].startswith("Niederschrift: ")
    assert not [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    data = YAML(typ="safe").load((root / record).read_text(encoding="utf-8"))
    hashes = {a["name"]: a["sha256"] for a in data["attachments"]}
    files = _attachments(message)
    assert {n: hashlib.sha256(d).hexdigest() for n, d in files.items()} == hashes


@pytest.mark.slow
def test_send_minutes_refused_leaves_them_draft(
    tmp_path: Path, cli: Cli, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, cli, smtp, monkeypatch)
    smtp.handler.refuse = {"migrationsdienst@caritas-koblenz.example"}
    before = head(root)
    held = "2014-05-14-arbeitstreffen"
    result = cli(
        "-C", root, "meeting", "send", held, "--mail", "--date", "2014-05-20", today="2014-05-20",
        ok=False,
    )  # fmt: skip
    assert result.exit_code == 1
    assert head(root) == before
    assert git(root, "status", "--porcelain", "--untracked-files=all").strip() == ""
    assert "status: draft" in (root / f"minutes/{held}.md").read_text(encoding="utf-8") or (
        "status:" not in (root / f"minutes/{held}.md").read_text(encoding="utf-8")
    )


@pytest.mark.slow
def test_login_uses_the_password_from_the_environment(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"geheim-123")

    cert, key = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Handler()
    port = _free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
        auth_required=True,
    )
    controller.start()
    try:
        root = _repo(tmp_path, cli, Smtp(port, cert, handler), monkeypatch)
        cli("-C", root, "config", "set", "mail.user", "integration")
        before = head(root)
        result = cli("-C", root, "meeting", "invite", MEETING, ok=False)
        assert result.exit_code == 4
        assert "COOP_SMTP_PASSWORD" in result.stderr
        monkeypatch.setenv("COOP_SMTP_PASSWORD", "falsch")
        assert cli("-C", root, "meeting", "invite", MEETING, ok=False).exit_code == 1
        assert head(root) == before
        monkeypatch.setenv("COOP_SMTP_PASSWORD", "geheim-123")
        cli("-C", root, "meeting", "invite", MEETING)
    finally:
        controller.stop()
    assert logins[-1] == (b"integration", b"geheim-123")
    assert len(handler.messages) == 5
    assert "geheim" not in git(root, "log", "-p", "-1")


def test_partner_addresses_prefer_topic_contacts_then_the_organisation() -> None:
    from coopkit.model.partner import Contact, Partner
    from coopkit.services.mail import partner_addresses

    partner = Partner(
        id="caritas-ko",
        name="Caritas",
        email="info@caritas.example",
        contacts=[
            Contact(id="klein", name="Klein", email="klein@caritas.example", topics=["migration"]),
            Contact(id="ohne", name="Ohne", topics=["migration"]),
            Contact(id="roth", name="Roth", email="roth@caritas.example", topics=["datenschutz"]),
        ],
    )
    assert partner_addresses(partner, ["migration"]) == ("klein@caritas.example",)
    assert partner_addresses(partner, ["finanzen"]) == ("info@caritas.example",)
    assert partner_addresses(partner) == ("info@caritas.example",)
    no_org = partner.model_copy(update={"email": None})
    assert partner_addresses(no_org) == ("klein@caritas.example", "roth@caritas.example")
    assert partner_addresses(no_org.model_copy(update={"contacts": []})) == ()


def test_an_address_with_a_line_break_is_refused_before_anything_is_built(
    tmp_path: Path, cli: Cli
) -> None:
    root = copy_example(tmp_path / "repo")
    cli("-C", root, "config", "set", "mail.from_address", SENDER)
    path = root / "partners" / "caritas-ko.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "email: migrationsdienst@caritas-koblenz.example",
            'email: "migrationsdienst@caritas-koblenz.example\\nBcc: x@evil.example"',
            1,
        ),
        encoding="utf-8",
    )
    git(root, "commit", "-q", "-am", "bad address")
    result = cli("-C", root, "meeting", "invite", MEETING, "--dry-run", ok=False)
    assert result.exit_code == 4
    assert "partners/caritas-ko.yaml" in result.stderr
    assert "Traceback" not in result.stderr
