"""Reminders by e-mail: who has to act, unsent minutes, versions awaiting approval.

One message per recipient (a responsible contact, else the organisation's address; the
secretariat for minutes and approvals), listing what is due within the window or overdue. What
the server accepted is recorded in `reminders/<day>-<hash>.yaml` in one commit; an item is named
again only after `[mail] remind_every`. A refusal records nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from coopkit.errors import T
from coopkit.model.base import parse_duration
from coopkit.model.config import Mail
from coopkit.queries.context import Context
from coopkit.queries.due import DueItem, open_items
from coopkit.queries.load import Snapshot
from coopkit.queries.names import partner_name, person_name
from coopkit.render.dates import long_date, overdue_words
from coopkit.services.mail import (
    Group,
    SmtpAccess,
    compose_message,
    deliver,
    mail_settings,
    sender_of,
    split_mail,
)
from coopkit.services.repository import writing
from coopkit.store import layout

REMINDER_TEMPLATE = "mail-reminder.txt.j2"
REMINDERS = "reminders"
"""The folder of the reminder records."""
RECORD_LIMIT = 1 << 20
"""Largest reminder record read (bytes); a bigger one is not a record coop wrote."""


@dataclass
class Reminder:
    """One message: its recipients and the lines it names."""

    who: str
    """`partner/contact`, a partner id, or "secretariat"."""
    name: str
    addresses: tuple[str, ...]
    person: bool = False
    """Whether one person is addressed (greeted by name), not an organisation or office."""
    items: list[dict[str, Any]] = field(default_factory=list)
    minutes: list[dict[str, Any]] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    subject: str = ""
    message: EmailMessage | None = None


@dataclass
class RemindRun:
    """What one run of `coop remind` sends (or would send)."""

    reminders: list[Reminder] = field(default_factory=list)
    without_address: list[str] = field(default_factory=list)
    """Who would be reminded but has no e-mail address."""
    record: str | None = None
    commit: str | None = None
    files: list[str] = field(default_factory=list)


def interval_days(value: str) -> int:
    """Return an ISO duration in days (a month as 30 days, a year as 365)."""
    years, months, weeks, days = parse_duration(value)
    return years * 365 + months * 30 + weeks * 7 + days


def item_key(item: DueItem) -> str:
    """Return the key that names one item in the records: an occurrence by its own date."""
    if item.kind == "obligation":
        return f"{item.key}@{(item.nominal_due or item.due).isoformat()}"
    return item.key


def _regular_files(folder: Path) -> list[Path]:
    try:
        paths = sorted(folder.iterdir())
    except OSError:
        return []
    found = []
    for path in paths:
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and info.st_size <= RECORD_LIMIT:
            found.append(path)
    return found


def last_reminded(root: Path) -> dict[str, date]:
    """Return the last day each item was reminded of, read from every reminder record."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=True)
    last: dict[str, date] = {}
    for path in _regular_files(root / REMINDERS):
        if path.suffix != ".yaml":
            continue
        try:
            record = yaml.load(path.read_text(encoding="utf-8"))
            day = date.fromisoformat(str(record["day"]))
            keys = [str(k) for m in record.get("messages") or [] for k in m.get("items") or []]
        except (OSError, ValueError, TypeError, KeyError, AttributeError, YAMLError):
            continue
        for key in keys:
            if key not in last or last[key] < day:
                last[key] = day
    return last


def _minutes_sent(root: Path, meeting_id: str) -> bool:
    return any(
        p.name.endswith("-minutes.yaml")
        for p in _regular_files(root / "minutes" / meeting_id / "sent")
    )


def _contact_addresses(snap: Snapshot, item: DueItem) -> tuple[str, ...]:
    partner = snap.data.find_partner(item.partner)
    if partner is None:
        return ()
    if item.person:
        contact = partner.find_contact(item.person)
        if contact is not None and contact.email:
            return (contact.email,)
    return (partner.email,) if partner.email else ()


def _due_lines(snap: Snapshot, until: date, due_again: Any) -> dict[str, Reminder]:
    found: dict[str, Reminder] = {}
    for item in open_items(snap, until):
        key = item_key(item)
        if not due_again(key):
            continue
        who = item.who
        if who not in found:
            name = (
                person_name(snap.data, who, with_org=False)
                if item.person
                else partner_name(snap.data, who)
            )
            found[who] = Reminder(who, name, _contact_addresses(snap, item), bool(item.person))
        reminder = found[who]
        reminder.keys.append(key)
        reminder.items.append(
            {
                "kind": item.kind,
                "due": long_date(item.due, "de"),
                "what": item.what,
                "source": item.source,
                "overdue": item.overdue,
                "days_overdue": item.days_overdue,
                "late": overdue_words(item.days_overdue, "de") if item.overdue else "",
                "moved": item.moved or "",
                "partner": partner_name(snap.data, item.partner),
            }
        )
    return found


def _secretariat_lines(snap: Snapshot, mail: Mail, root: Path, due_again: Any) -> Reminder:
    today = snap.today
    office = Reminder("secretariat", mail.from_name or "Sekretariat", ())
    held = [located.value for located in snap.data.minutes.values()]
    for minutes in sorted(held, key=lambda m: (m.date, m.id)):
        if minutes.cancelled or minutes.held or minutes.date > today:
            continue
        if (today - minutes.date).days < mail.minutes_after or _minutes_sent(root, minutes.id):
            continue
        key = f"minutes:{minutes.id}"
        if not due_again(key):
            continue
        office.keys.append(key)
        office.minutes.append(
            {
                "id": minutes.id,
                "title": minutes.title,
                "date": long_date(minutes.date, "de"),
                "days": (today - minutes.date).days,
            }
        )
    for agreement_id, timeline in sorted(snap.timelines().items()):
        latest = timeline.latest
        if latest is None or not latest.missing:
            continue
        if (today - latest.released).days < mail.approval_after:
            continue
        key = f"approval:{agreement_id}/{latest.version}"
        if not due_again(key):
            continue
        office.keys.append(key)
        office.approvals.append(
            {
                "agreement": agreement_id,
                "title": timeline.working.title,
                "version": latest.version,
                "released": long_date(latest.released, "de"),
                "days": (today - latest.released).days,
                "missing": ", ".join(partner_name(snap.data, p) for p in latest.missing),
            }
        )
    return office


def prepare_reminders(
    ctx: Context, snap: Snapshot, within_days: int, now: datetime, need_server: bool
) -> RemindRun:
    """Build the reminder messages of today, leaving out items reminded within the interval."""
    from coopkit.render.markdown import render_markdown

    mail = mail_settings(snap)
    sender = sender_of(mail, need_server)
    today = snap.today
    last = last_reminded(ctx.root)
    every = interval_days(mail.remind_every)

    def due_again(key: str) -> bool:
        seen = last.get(key)
        return seen is None or (today - seen).days >= every

    found = _due_lines(snap, today + timedelta(days=within_days), due_again)
    office = _secretariat_lines(snap, mail, ctx.root, due_again)
    run = RemindRun()
    if office.keys:
        office.addresses = (mail.secretariat or sender,)
        found["secretariat"] = office
    # One message per address: a person in charge twice (or the secretariat) gets one.
    by_address: dict[tuple[str, ...], Reminder] = {}
    for reminder in found.values():
        if not reminder.addresses:
            run.without_address.append(reminder.name)
            continue
        same = by_address.get(reminder.addresses)
        if same is None:
            by_address[reminder.addresses] = reminder
            continue
        same.items += reminder.items
        same.minutes += reminder.minutes
        same.approvals += reminder.approvals
        same.keys += reminder.keys
    template = layout.resolve_template(ctx.root, REMINDER_TEMPLATE)
    for reminder in by_address.values():
        context = {
            "name": reminder.name,
            "person": reminder.person,
            "count": len(reminder.keys),
            "today": long_date(today, "de"),
            "within": within_days,
            "items": reminder.items,
            "minutes": reminder.minutes,
            "approvals": reminder.approvals,
            "sender": mail.from_name or sender,
        }
        subject, body = split_mail(render_markdown(template, context, "de"))
        reminder.subject = subject
        group = Group(reminder.who, reminder.name, reminder.addresses)
        reminder.message = compose_message(mail, sender, group, subject, body, now)
        run.reminders.append(reminder)
    return run


def dump_record(run: RemindRun, day: date, now: datetime) -> str:
    """Return the YAML text of what was reminded (strings JSON-quoted: valid YAML 1.2)."""
    q = json.dumps
    lines = [
        f"day: {q(day.isoformat())}",
        f"sent: {q(now.astimezone(UTC).isoformat(timespec='seconds'))}",
        "messages:",
    ]
    for reminder in run.reminders:
        lines.append(f"  - who: {q(reminder.who)}")
        lines.append("    to: [" + ", ".join(q(a) for a in reminder.addresses) + "]")
        lines.append(f"    subject: {q(reminder.subject)}")
        lines.append("    items: [" + ", ".join(q(k) for k in reminder.keys) + "]")
    return "\n".join(lines) + "\n"


def record_path(day: date, text: str) -> str:
    """Return `reminders/<day>-<hash>.yaml`, named by its content.

    Two clones that remind on the same day write different names (nothing for `sync` to
    conflict over); the same record twice is one file.
    """
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return f"{REMINDERS}/{day.isoformat()}-{digest}.yaml"


def send_reminders(ctx: Context, within_days: int, access: SmtpAccess, now: datetime) -> RemindRun:
    """Send today's reminders and record them in one commit; a refusal records nothing."""
    with writing(ctx) as tx:
        snap = tx.snapshot()
        mail = mail_settings(snap)
        run = prepare_reminders(ctx, snap, within_days, now, True)
        if not run.reminders:
            return run
        text = dump_record(run, ctx.today, now)
        path = record_path(ctx.today, text)
        tx.create(path, text)
        messages = [r.message for r in run.reminders if r.message is not None]
        words = T(
            "Erinnerung per E-Mail an {n} Empfänger",
            "Send reminders by e-mail to {n} recipients",
            n=len(messages),
        )
        result = tx.commit(words, now, ready=lambda: deliver(messages, mail, access))
        run.record = path
        run.commit = result.commit
    return run


def export_reminders(
    ctx: Context, within_days: int, now: datetime, folder: Path | None = None
) -> RemindRun:
    """Build today's reminders; with `folder`, write one .eml per message. Nothing is recorded."""
    from coopkit.queries.load import snapshot
    from coopkit.services.outputs import write_output

    run = prepare_reminders(ctx, snapshot(ctx), within_days, now, False)
    if folder is None:
        return run
    for n, reminder in enumerate(run.reminders, 1):
        if reminder.message is None:
            continue
        stem = reminder.who.replace("/", "-")
        target = folder / f"erinnerung-{ctx.today.isoformat()}-{n}-{stem}.eml"
        run.files.append(str(write_output(ctx, target, bytes(reminder.message))))
    return run


def sample_reminder_context(lang: str) -> dict[str, Any]:
    """Return a render context of a made-up reminder, for `coop template check`."""
    return {
        "name": "Gisela Bernert",
        "person": True,
        "count": 3,
        "today": long_date(date(2026, 3, 2), lang),
        "within": 14,
        "items": [
            {
                "kind": "obligation",
                "due": long_date(date(2026, 3, 1), lang),
                "what": "Jahresbericht vorlegen",
                "source": "§ 4 Abs. 2",
                "overdue": True,
                "days_overdue": 1,
                "late": overdue_words(1, lang),
                "moved": "",
                "partner": "Kreisverwaltung Mayen-Koblenz",
            }
        ],
        "minutes": [
            {
                "id": "2026-02-04-arbeitstreffen",
                "title": "Arbeitstreffen",
                "date": long_date(date(2026, 2, 4), lang),
                "days": 26,
            }
        ],
        "approvals": [
            {
                "agreement": "kv-2026",
                "title": "Kooperationsvereinbarung",
                "version": "v2",
                "released": long_date(date(2026, 2, 1), lang),
                "days": 29,
                "missing": "Caritasverband Koblenz e. V.",
            }
        ],
        "sender": "Integrationsbeauftragte",
    }
