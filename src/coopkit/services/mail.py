"""Sending a meeting's invitation by e-mail: recipients, messages, SMTP over TLS, the record.

One message per invited partner (its topic contacts, else the organisation's address), with the
invitation as PDF/A and .docx and an iTIP calendar part Outlook answers with Accept/Decline. What
the server accepted is recorded in the repository in one commit; a refusal records nothing.
"""

from __future__ import annotations

import hashlib
import json
import smtplib
import ssl
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

from coopkit.errors import ConfigError, SendRefused, T
from coopkit.model.config import ADDRESS_RE, Mail
from coopkit.model.minutes import Minutes
from coopkit.model.partner import Partner
from coopkit.model.repo import RepoData
from coopkit.queries.context import Context
from coopkit.queries.load import Snapshot
from coopkit.queries.lookup import get_minutes
from coopkit.queries.names import partner_name
from coopkit.render.ics import CalendarAddress, CalendarEvent, render_itip
from coopkit.services.calendar import UID_DOMAIN
from coopkit.services.meeting_docs import (
    LetterOptions,
    invited_partners,
    meeting_context,
    meeting_document,
)
from coopkit.services.repository import writing
from coopkit.store import layout

MAIL_TEMPLATE = "mail-invitation.txt.j2"
MINUTES_TEMPLATE = "mail-minutes.txt.j2"
SMTP_TIMEOUT = 60.0
"""Seconds to wait for the server on each step; a stalled server is a refusal, not a hang."""


@dataclass(frozen=True)
class SmtpAccess:
    """What the command line knows about the server beyond coop.toml: secrets and trust."""

    password: str | None = None
    """From COOP_SMTP_PASSWORD or the system keyring; never from the repository."""
    cafile: Path | None = None
    """A CA bundle to trust instead of the system's (COOP_SMTP_CAFILE, e.g. for a test server)."""
    lookup: Callable[[str], str | None] | None = None
    """Asks the system keyring for the password of a login, when no password is given."""

    def password_for(self, user: str) -> str | None:
        """Return the password of `user`: the given one, else the keyring's, else None."""
        if self.password is not None:
            return self.password
        return self.lookup(user) if self.lookup is not None else None


@dataclass(frozen=True)
class Attachment:
    """One file attached to every message."""

    name: str
    maintype: str
    subtype: str
    data: bytes

    @property
    def sha256(self) -> str:
        """Return the hex SHA-256 of the file, as recorded."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Group:
    """The recipients of one message: one invited partner's addresses."""

    partner: str
    name: str
    addresses: tuple[str, ...]


@dataclass
class Outreach:
    """The messages of one invitation, before and after sending."""

    meeting_id: str
    method: str
    uid: str
    sequence: int
    subject: str
    groups: list[Group]
    without_address: list[str]
    """Partners (display names) with no e-mail address: they get the printed letter."""
    messages: list[EmailMessage] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    letter: bytes = b""
    """The invitation .docx, for the partners who get it on paper."""
    record: str | None = None
    """The path of the record written (after a send), else None."""
    commit: str | None = None
    files: list[str] = field(default_factory=list)
    """Files written: .eml exports and the letter for partners without an address."""
    stem: str = ""


def partner_addresses(partner: Partner, topics: Sequence[str] = ()) -> tuple[str, ...]:
    """Return where a partner's mail goes: contacts of the topics, else the organisation's address.

    Without a topic match and without an organisation address, every contact with an address.
    """
    if topics:
        wanted = set(topics)
        found = [c.email for c in partner.contacts if c.email and wanted & set(c.topics)]
        if found:
            return tuple(dict.fromkeys(found))
    if partner.email:
        return (partner.email,)
    return tuple(dict.fromkeys(c.email for c in partner.contacts if c.email))


def sender_of(mail: Mail, need_server: bool) -> str:
    """Return the sender address; a configuration error when it (or a needed server) is unset."""
    if mail.from_address is None:
        raise ConfigError(
            T(
                "coop.toml: [mail] from_address fehlt; setzen mit "
                "coop config set mail.from_address ADRESSE",
                "coop.toml: [mail] from_address is missing; set it with "
                "coop config set mail.from_address ADDRESS",
            )
        )
    if need_server and mail.host is None:
        raise ConfigError(
            T(
                "coop.toml: [mail] host fehlt; setzen mit coop config set mail.host SERVER "
                "(oder --eml ORDNER für den Versand aus dem eigenen Mailprogramm)",
                "coop.toml: [mail] host is missing; set it with coop config set mail.host SERVER "
                "(or --eml DIR to send from your own mail client)",
            )
        )
    return mail.from_address


def _event(minutes: Minutes, sequence: int) -> CalendarEvent:
    """Return the meeting as a calendar event: timed when it has a start, else all day."""

    def at(clock: str) -> datetime:
        hours, mins = (int(x) for x in clock.split(":"))
        return datetime.combine(minutes.date, time(hours, mins))

    start: date | datetime = minutes.date
    end: date | datetime | None = None
    if minutes.start:
        start = at(minutes.start)
        end = at(minutes.end) if minutes.end else None
    return CalendarEvent(
        uid=f"{minutes.calendar_id}@{UID_DOMAIN}",
        summary=minutes.title,
        start=start,
        end=end,
        location=minutes.place,
        sequence=sequence,
    )


def split_mail(text: str) -> tuple[str, str]:
    """Return (subject, body) of a rendered mail template: first line, then after a blank line."""
    head, _sep, body = text.lstrip("\n").partition("\n")
    return " ".join(head.split()), body.strip("\n") + "\n"


def _pdf(docx: bytes, stem: str) -> bytes:
    from coopkit.render.pdf import convert

    with tempfile.TemporaryDirectory(prefix="coop-mail-") as folder:
        source = Path(folder) / f"{stem}.docx"
        source.write_bytes(docx)
        return convert(source, "pdf").read_bytes()


def mail_settings(snap: Snapshot) -> Mail:
    """Return the `[mail]` settings of the repository (the defaults when coop.toml has none)."""
    config = snap.data.config
    return config.value.mail if config is not None else Mail()


def _groups(data: RepoData, minutes: Minutes) -> tuple[list[Group], list[str]]:
    """Return the invited partners with addresses, and the names of those without one."""
    groups: list[Group] = []
    without: list[str] = []
    for partner_id in invited_partners(data, minutes):
        partner = data.find_partner(partner_id)
        topics = [*minutes.topics, *minutes.agreements]
        addresses = partner_addresses(partner, topics) if partner else ()
        name = partner_name(data, partner_id)
        for address in addresses:
            # A line break or a second address in a record would write headers of its own.
            if not ADDRESS_RE.fullmatch(address):
                raise ConfigError(
                    T(
                        "{f}: „{a}“ ist keine E-Mail-Adresse; nichts gesendet",
                        '{f}: "{a}" is not an e-mail address; nothing was sent',
                        f=layout.partner_path(partner_id),
                        a=address.replace("\n", " ").replace("\r", " ")[:80],
                    )
                )
        if addresses:
            groups.append(Group(partner_id, name, addresses))
        else:
            without.append(name)
    return groups, without


def _documents(docx: bytes, stem: str) -> list[Attachment]:
    return [
        Attachment(f"{stem}.pdf", "application", "pdf", _pdf(docx, stem)),
        Attachment(
            f"{stem}.docx",
            "application",
            "vnd.openxmlformats-officedocument.wordprocessingml.document",
            docx,
        ),
    ]


def compose_message(
    mail: Mail, sender: str, group: Group, subject: str, body: str, now: datetime
) -> EmailMessage:
    """Return a plain-text message from `[mail]`'s sender to one recipient group."""
    message = EmailMessage()
    message["From"] = formataddr((mail.from_name or "", sender))
    message["To"] = ", ".join(formataddr((group.name, a)) for a in group.addresses)
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message["Subject"] = subject
    message["Date"] = formatdate(now.timestamp(), localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message.set_content(body)
    return message


def _attach(message: EmailMessage, attachments: Sequence[Attachment]) -> None:
    for item in attachments:
        message.add_attachment(
            item.data, maintype=item.maintype, subtype=item.subtype, filename=item.name
        )


def prepare_invitation(
    ctx: Context, snap: Snapshot, meeting_id: str, now: datetime, need_server: bool
) -> Outreach:
    """Build the messages of a meeting's invitation (or cancellation) without sending them."""
    from coopkit.queries.agenda import current_agenda
    from coopkit.queries.meetings import meeting_sequences
    from coopkit.render.markdown import render_markdown

    mail = mail_settings(snap)
    sender = sender_of(mail, need_server)
    data: RepoData = snap.data
    minutes = get_minutes(snap, meeting_id).value
    method = "CANCEL" if minutes.cancelled else "REQUEST"
    sequence = meeting_sequences(ctx.root, data).get(minutes.id, 0)
    event = _event(minutes, sequence)
    groups, without = _groups(data, minutes)
    letter = LetterOptions(one_letter=True)
    doc = meeting_document(ctx, data, minutes, invitation=True, letter=letter, snap=snap)
    stem = f"{minutes.id}-{'absage' if minutes.cancelled else 'einladung'}"
    context = meeting_context(
        data, current_agenda(snap, minutes, ctx.lang), ctx.lang, ctx.today, one_letter=True
    )
    text = render_markdown(layout.resolve_template(ctx.root, MAIL_TEMPLATE), context, ctx.lang)
    subject, body = split_mail(text)
    organizer = CalendarAddress(sender, mail.from_name)
    outreach = Outreach(
        minutes.id, method, event.uid, sequence, subject, groups, without, letter=doc.data
    )
    outreach.attachments = _documents(doc.data, stem)
    outreach.stem = stem
    for group in groups:
        ics = render_itip(
            event,
            "CANCEL" if method == "CANCEL" else "REQUEST",
            organizer,
            [CalendarAddress(a, group.name) for a in group.addresses],
            now,
        )
        message = compose_message(mail, sender, group, subject, body, now)
        message.add_alternative(ics, maintype="text", subtype="calendar", params={"method": method})
        _attach(message, outreach.attachments)
        outreach.messages.append(message)
    return outreach


def prepare_minutes(
    ctx: Context, snap: Snapshot, minutes: Minutes, now: datetime, need_server: bool
) -> Outreach:
    """Build the messages that send a meeting's minutes (as they will be once marked sent)."""
    from coopkit.render.markdown import render_markdown

    mail = mail_settings(snap)
    sender = sender_of(mail, need_server)
    data: RepoData = snap.data
    groups, without = _groups(data, minutes)
    doc = meeting_document(ctx, data, minutes)
    stem = f"{minutes.id}-niederschrift"
    context = meeting_context(data, minutes, ctx.lang, ctx.today)
    template = layout.resolve_template(ctx.root, MINUTES_TEMPLATE)
    subject, body = split_mail(render_markdown(template, context, ctx.lang))
    outreach = Outreach(minutes.id, "", "", 0, subject, groups, without, letter=doc.data)
    outreach.attachments = _documents(doc.data, stem)
    outreach.stem = stem
    for group in groups:
        message = compose_message(mail, sender, group, subject, body, now)
        _attach(message, outreach.attachments)
        outreach.messages.append(message)
    return outreach


def _connect(mail: Mail, access: SmtpAccess) -> smtplib.SMTP:
    host = mail.host or ""
    context = ssl.create_default_context(cafile=str(access.cafile) if access.cafile else None)
    server: smtplib.SMTP
    if mail.security == "tls":
        server = smtplib.SMTP_SSL(host, mail.effective_port, timeout=SMTP_TIMEOUT, context=context)
    else:
        server = smtplib.SMTP(host, mail.effective_port, timeout=SMTP_TIMEOUT)
        if mail.security == "starttls":
            server.starttls(context=context)
    if mail.user:
        password = access.password_for(mail.user)
        if password is None:
            server.close()
            raise ConfigError(
                T(
                    "kein Passwort für {u}: COOP_SMTP_PASSWORD setzen oder im Schlüsselbund "
                    "des Systems (Dienst „coopkit“) hinterlegen",
                    "no password for {u}: set COOP_SMTP_PASSWORD or store it in the system "
                    'keyring (service "coopkit")',
                    u=mail.user,
                )
            )
        server.login(mail.user, password)
    return server


def _refused(err: BaseException, where: str) -> SendRefused:
    return SendRefused(
        T(
            "Versand abgebrochen bei {w}: {e}; nichts wurde im Repository vermerkt",
            "sending stopped at {w}: {e}; nothing was recorded in the repository",
            w=where,
            e=str(err) or type(err).__name__,
        )
    )


def deliver(messages: Sequence[EmailMessage], mail: Mail, access: SmtpAccess) -> None:
    """Hand every message to the server in one session; any refusal raises SendRefused."""
    where = f"{mail.host}:{mail.effective_port}"
    try:
        server = _connect(mail, access)
    except (OSError, smtplib.SMTPException) as err:
        raise _refused(err, where) from err
    try:
        for message in messages:
            where = str(message["To"])
            refused = server.send_message(message)
            if refused:
                raise SendRefused(
                    T(
                        "der Server hat {a} abgelehnt; nichts wurde im Repository vermerkt",
                        "the server refused {a}; nothing was recorded in the repository",
                        a=", ".join(sorted(refused)),
                    )
                )
    except (OSError, smtplib.SMTPException) as err:
        raise _refused(err, where) from err
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()


def sent_record_path(meeting_id: str, now: datetime, kind: str) -> str:
    """Return where the record of a send lies: beside the meeting, named by time and kind."""
    return layout.sent_path(meeting_id, now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"), kind)


def dump_sent_record(outreach: Outreach, now: datetime) -> str:
    """Return the YAML text of what was sent (strings JSON-quoted: valid YAML 1.2)."""
    q = json.dumps
    lines = [
        f"sent: {q(now.astimezone(UTC).isoformat(timespec='seconds'))}",
        f"meeting: {q(outreach.meeting_id)}",
        f"method: {q(outreach.method or 'MINUTES')}",
        f"subject: {q(outreach.subject)}",
    ]
    if outreach.uid:
        lines += [f"uid: {q(outreach.uid)}", f"sequence: {outreach.sequence}"]
    lines.append("to:")
    for group in outreach.groups:
        lines.append(f"  - partner: {q(group.partner)}")
        lines.append("    addresses: [" + ", ".join(q(a) for a in group.addresses) + "]")
    lines.append("attachments:")
    for item in outreach.attachments:
        lines.append(f"  - name: {q(item.name)}")
        lines.append(f"    sha256: {q(item.sha256)}")
    if outreach.without_address:
        lines.append("on_paper: [" + ", ".join(q(n) for n in outreach.without_address) + "]")
    return "\n".join(lines) + "\n"


def _write_letter(ctx: Context, outreach: Outreach) -> None:
    """Write the invitation letter for the partners without an address (into the output pack)."""
    from coopkit.services.outputs import default_output, write_output

    if outreach.without_address:
        target = default_output(ctx, f"{outreach.stem}.docx")
        outreach.files.append(str(write_output(ctx, target, outreach.letter)))


def send_invitation(ctx: Context, meeting_id: str, access: SmtpAccess, now: datetime) -> Outreach:
    """Send a meeting's invitation (or cancellation) and record it in one commit.

    The repository stays locked from reading the meeting to the commit; when the server refuses
    any message, nothing is written.
    """
    with writing(ctx) as tx:
        snap = tx.snapshot()
        mail = mail_settings(snap)
        outreach = prepare_invitation(ctx, snap, meeting_id, now, True)
        if not outreach.messages:
            raise ConfigError(
                T(
                    "kein eingeladener Partner hat eine E-Mail-Adresse; nichts gesendet",
                    "no invited partner has an e-mail address; nothing was sent",
                )
            )
        kind = "cancellation" if outreach.method == "CANCEL" else "invitation"
        path = sent_record_path(outreach.meeting_id, now, kind)
        tx.create(path, dump_sent_record(outreach, now))
        words = T(
            "Einladung {m} per E-Mail versandt an {n} Partner",
            "Send invitation {m} by e-mail to {n} partners",
            m=outreach.meeting_id,
            n=len(outreach.groups),
        )
        if kind == "cancellation":
            words = T(
                "Absage {m} per E-Mail versandt an {n} Partner",
                "Send cancellation {m} by e-mail to {n} partners",
                m=outreach.meeting_id,
                n=len(outreach.groups),
            )
        # The messages go out only once the record has passed every check of the commit.
        result = tx.commit(words, now, ready=lambda: deliver(outreach.messages, mail, access))
        outreach.record = path
        outreach.commit = result.commit
    _write_letter(ctx, outreach)
    return outreach


def export_invitation(
    ctx: Context, meeting_id: str, now: datetime, folder: Path | None = None
) -> Outreach:
    """Build the invitation's messages; with `folder`, write one .eml per recipient group.

    Nothing is sent and nothing is recorded: an exported message may never leave the office,
    and a record says what a server accepted.
    """
    from coopkit.queries.load import snapshot
    from coopkit.services.outputs import write_output

    outreach = prepare_invitation(ctx, snapshot(ctx), meeting_id, now, False)
    if folder is None:
        return outreach
    for group, message in zip(outreach.groups, outreach.messages, strict=True):
        target = folder / f"{outreach.meeting_id}-{group.partner}.eml"
        outreach.files.append(str(write_output(ctx, target, bytes(message))))
    _write_letter(ctx, outreach)
    return outreach


def send_minutes(
    ctx: Context, meeting_id: str, access: SmtpAccess, now: datetime, day: date | None = None
) -> Outreach:
    """Mark the minutes sent and e-mail them; the status change and the record are one commit.

    The messages go out only once the change has passed every check; a refusal writes nothing.
    """
    from coopkit.services.meetings import mark_sent
    from coopkit.store.codec import parse_minutes

    with writing(ctx) as tx:
        snap = tx.snapshot()
        mail = mail_settings(snap)
        path = mark_sent(tx, meeting_id, day or ctx.today)
        written = parse_minutes(tx.read(path))[0]
        if written is None:
            raise SendRefused(
                T("Niederschrift {m} unlesbar", "minutes {m} unreadable", m=meeting_id)
            )
        outreach = prepare_minutes(ctx, snap, written.value, now, True)
        if not outreach.messages:
            raise ConfigError(
                T(
                    "kein eingeladener Partner hat eine E-Mail-Adresse; nichts gesendet",
                    "no invited partner has an e-mail address; nothing was sent",
                )
            )
        record = sent_record_path(outreach.meeting_id, now, "minutes")
        tx.create(record, dump_sent_record(outreach, now))
        words = T(
            "Niederschrift {m} per E-Mail versandt an {n} Partner",
            "Send minutes {m} by e-mail to {n} partners",
            m=outreach.meeting_id,
            n=len(outreach.groups),
        )
        result = tx.commit(
            words, day or now, ready=lambda: deliver(outreach.messages, mail, access)
        )
        outreach.record = record
        outreach.commit = result.commit
    _write_letter(ctx, outreach)
    return outreach
