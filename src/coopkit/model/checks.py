"""Cross-record rules: references, id/file-name agreement, date logic."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from coopkit.errors import Problem, T
from coopkit.i18n import C_
from coopkit.model.base import Loc, Located, date_in, split_person
from coopkit.model.config import MUNICIPAL_HOLIDAYS, Config
from coopkit.model.minutes import Minutes
from coopkit.model.repo import RepoData


def _choices(known: Iterable[str]) -> str:
    names = sorted(known)
    if not names:
        return "—"
    shown = ", ".join(names[:8])
    return shown + (", …" if len(names) > 8 else "")


_KIND_LABELS = {
    "partner": C_("record kind", "Partner"),
    "agreement": C_("record kind", "Vereinbarung"),
    "meeting": C_("record kind", "Sitzung"),
}


def depends_on_broken(
    data: RepoData, located: Located[Any], loc: Loc, kind: str, ref: str
) -> Problem | None:
    """Return the problem for a reference to a record that exists but is broken, or None."""
    path = data.broken_path(kind, ref)
    if path is None:
        return None
    return Problem(
        located.at(*loc),
        T(
            "hängt an einem fehlerhaften Datensatz (siehe oben): {k} „{i}“ in {p}",
            'depends on a broken record (see above): {k} "{i}" in {p}',
            k=_KIND_LABELS[kind],
            i=ref,
            p=path,
        ),
        "depends-on-broken",
    )


def _unknown_agreement(data: RepoData, located: Located[Any], loc: Loc, ag: str) -> Problem:
    return depends_on_broken(data, located, loc, "agreement", ag) or Problem(
        located.at(*loc),
        T(
            "unbekannte Vereinbarung „{a}“; bekannt: {k}",
            'unknown agreement "{a}"; known: {k}',
            a=ag,
            k=_choices(data.agreement_ids()),
        ),
        "unknown-agreement",
    )


def check_person(data: RepoData, located: Located[Any], loc: Loc, ref: str) -> list[Problem]:
    """Check that `partner` or `partner/person` names a known partner and contact."""
    if ref in data.known_people:
        return []
    partner_id, person = split_person(ref)
    partner = data.find_partner(partner_id)
    if partner is None:
        return [_unknown_partner(data, located, loc, partner_id)]
    if person is not None and partner.find_contact(person) is None:
        return [
            Problem(
                located.at(*loc),
                T(
                    "unbekannte Person „{x}“ bei {p}; bekannt: {k}",
                    'unknown person "{x}" at {p}; known: {k}',
                    x=person,
                    p=partner_id,
                    k=_choices(c.id for c in partner.contacts),
                ),
                "unknown-person",
            )
        ]
    return []


def _unknown_partner(data: RepoData, located: Located[Any], loc: Loc, pid: str) -> Problem:
    return depends_on_broken(data, located, loc, "partner", pid) or Problem(
        located.at(*loc),
        T(
            "unbekannter Partner „{p}“; bekannt: {k}",
            'unknown partner "{p}"; known: {k}',
            p=pid,
            k=_choices(data.partner_ids()),
        ),
        "unknown-partner",
    )


def _file_id(located: Located[Any], record_id: str, expected_name: str) -> list[Problem]:
    name = located.path.rpartition("/")[2]
    if name != expected_name:
        return [
            Problem(
                located.at("id"),
                T(
                    "ID „{i}“ passt nicht zum Dateinamen „{n}“; erwartet „{e}“",
                    'id "{i}" does not match the file name "{n}"; expected "{e}"',
                    i=record_id,
                    n=name,
                    e=expected_name,
                ),
                "id-file-mismatch",
            )
        ]
    return []


def check_partners(data: RepoData) -> list[Problem]:
    """Check partner files: id matches file name, contact ids unique."""
    problems: list[Problem] = []
    for located in data.partners.values():
        partner = located.value
        problems += _file_id(located, partner.id, f"{partner.id}.yaml")
        seen: dict[str, int] = {}
        for i, contact in enumerate(partner.contacts):
            if contact.id in seen:
                problems.append(
                    Problem(
                        located.at("contacts", i, "id"),
                        T(
                            "Kontakt-ID „{c}“ doppelt (schon Kontakt {n})",
                            'duplicate contact id "{c}" (already contact {n})',
                            c=contact.id,
                            n=seen[contact.id] + 1,
                        ),
                        "duplicate-id",
                    )
                )
            seen.setdefault(contact.id, i)
    return problems


def check_agreements(data: RepoData) -> list[Problem]:
    """Check agreements: parties, coordinator, validity, obligations and their clauses."""
    problems: list[Problem] = []
    partner_ids = data.partner_ids()
    for located in data.agreements.values():
        ag = located.value
        loc_any: Located[Any] = located
        expected = f"agreements/{ag.id}/agreement.md"
        if located.path != expected:
            problems.append(
                Problem(
                    located.at("id"),
                    T(
                        "ID „{i}“ passt nicht zum Pfad „{p}“; erwartet „{e}“",
                        'id "{i}" does not match the path "{p}"; expected "{e}"',
                        i=ag.id,
                        p=located.path,
                        e=expected,
                    ),
                    "id-file-mismatch",
                )
            )
        for i, party in enumerate(ag.parties):
            if party not in data.partner_ids():
                problems.append(_unknown_partner(data, loc_any, ("parties", i), party))
        if len(set(ag.parties)) != len(ag.parties):
            problems.append(
                Problem(
                    located.at("parties"),
                    T("Partei doppelt aufgeführt", "party listed twice"),
                    "duplicate-party",
                )
            )
        if ag.coordinator and ag.coordinator not in ag.parties:
            problems.append(
                Problem(
                    located.at("coordinator"),
                    T(
                        "Koordinator „{c}“ ist keine Partei; Parteien: {k}",
                        'coordinator "{c}" is not a party; parties: {k}',
                        c=ag.coordinator,
                        k=", ".join(ag.parties),
                    ),
                    "coordinator-not-party",
                )
            )
        if ag.valid_from and ag.valid_until and ag.valid_until < ag.valid_from:
            problems.append(
                Problem(
                    located.at("valid_until"),
                    T(
                        "Ende der Laufzeit {u} liegt vor ihrem Beginn {f}",
                        "end of validity {u} is before its start {f}",
                        u=ag.valid_until.isoformat(),
                        f=ag.valid_from.isoformat(),
                    ),
                    "date-order",
                )
            )
        seen: dict[str, int] = {}
        numbers = {c.number for c in ag.clauses}
        for i, ob in enumerate(ag.obligations):
            if ob.id in seen:
                problems.append(
                    Problem(
                        located.at("obligations", i, "id"),
                        T(
                            "Pflicht-ID „{o}“ doppelt (schon Pflicht {n})",
                            'duplicate obligation id "{o}" (already obligation {n})',
                            o=ob.id,
                            n=seen[ob.id] + 1,
                        ),
                        "duplicate-id",
                    )
                )
            seen.setdefault(ob.id, i)
            for field in ("by", "to"):
                for j, pid in enumerate(getattr(ob, field)):
                    if pid not in partner_ids:
                        problems.append(
                            _unknown_partner(data, loc_any, ("obligations", i, field, j), pid)
                        )
                    elif pid not in ag.parties:
                        problems.append(
                            Problem(
                                located.at("obligations", i, field, j),
                                T(
                                    "„{p}“ ist keine Partei dieser Vereinbarung; Parteien: {k}",
                                    '"{p}" is not a party to this agreement; parties: {k}',
                                    p=pid,
                                    k=", ".join(ag.parties),
                                ),
                                "not-a-party",
                            )
                        )
            if ob.clause is not None and ob.clause not in numbers:
                problems.append(
                    Problem(
                        located.at("obligations", i, "clause"),
                        T(
                            "unbekannter Paragraph § {c}; vorhanden: {k}",
                            "unknown clause § {c}; present: {k}",
                            c=ob.clause,
                            k=", ".join(f"§ {n}" for n in sorted(numbers)) or "—",
                        ),
                        "unknown-clause",
                    )
                )
            if ob.first_due and not date_in(ob.first_due, ag.valid_from, ag.valid_until):
                problems.append(
                    Problem(
                        located.at("obligations", i, "first_due"),
                        T(
                            "erste Fälligkeit {d} liegt außerhalb der Laufzeit",
                            "first due date {d} lies outside the validity",
                            d=ob.first_due.isoformat(),
                        ),
                        "date-order",
                    )
                )
    return problems


def check_signoffs(data: RepoData) -> list[Problem]:
    """Check sign-off records: path matches content, partner is a party, one per partner."""
    problems: list[Problem] = []
    for located in data.signoffs:
        so = located.value
        expected = f"agreements/{so.agreement}/signoffs/{so.version}/{so.partner}.yaml"
        if located.path != expected:
            problems.append(
                Problem(
                    located.at("agreement"),
                    T(
                        "Inhalt passt nicht zum Pfad; erwartet „{e}“",
                        'content does not match the path; expected "{e}"',
                        e=expected,
                    ),
                    "id-file-mismatch",
                )
            )
        agreement = data.find_agreement(so.agreement)
        if agreement is None:
            problems.append(_unknown_agreement(data, located, ("agreement",), so.agreement))
        elif so.partner not in agreement.parties:
            problems.append(
                Problem(
                    located.at("partner"),
                    T(
                        "„{p}“ ist keine Partei von {a}; Parteien: {k}",
                        '"{p}" is not a party to {a}; parties: {k}',
                        p=so.partner,
                        a=so.agreement,
                        k=", ".join(agreement.parties),
                    ),
                    "not-a-party",
                )
            )
    return problems


def check_fulfilments(data: RepoData) -> list[Problem]:
    """Check fulfilment records: the file name names the record and its agreement exists.

    Whether the obligation was owed on that day depends on the version then in force; the
    queries check it (`coop check`).
    """
    problems: list[Problem] = []
    for located in data.fulfilments:
        ful = located.value
        expected = f"{ful.due.isoformat()}-{ful.obligation}-{ful.partner}.yaml"
        problems += _file_id(located, ful.obligation, expected)
    return problems


def _check_carried(
    data: RepoData, located: Located[Minutes], index: int, carried: str
) -> list[Problem]:
    """Check that a carried TOP names an existing TOP of an earlier meeting."""
    meeting, _, number = carried.rpartition("#")
    origin = data.find_minutes(meeting)
    where = located.at("tops", index, "carried")
    if origin is None:
        return [
            Problem(
                where,
                T("unbekannte Sitzung „{m}“", 'unknown meeting "{m}"', m=meeting),
                "unknown-meeting",
            )
        ]
    if origin.date >= located.value.date:
        return [
            Problem(
                where,
                T(
                    "„{m}“ vom {d} liegt nicht vor dieser Sitzung",
                    '"{m}" of {d} is not before this meeting',
                    m=meeting,
                    d=origin.date.isoformat(),
                ),
                "date-order",
            )
        ]
    if int(number) > len(origin.tops):
        return [
            Problem(
                where,
                T(
                    "die Sitzung „{m}“ hat keinen TOP {n} (TOP 1 bis {c})",
                    'the meeting "{m}" has no TOP {n} (TOP 1 to {c})',
                    m=meeting,
                    n=number,
                    c=len(origin.tops),
                ),
                "unknown-top",
            )
        ]
    return []


def check_minutes(data: RepoData) -> list[Problem]:
    """Check minutes: agreements and persons known, actions numbered and due after the meeting."""
    problems: list[Problem] = []
    # The common case of every reference is a set lookup; the helpers run only for a miss.
    people = data.known_people
    agreements = data.agreement_ids()
    partners = data.partner_ids()
    for located in data.minutes.values():
        mt = located.value
        loc_any: Located[Any] = located
        if located.path.rpartition("/")[2] != f"{mt.id}.md":
            problems += _file_id(loc_any, mt.id, f"{mt.id}.md")
        if not mt.id.startswith(mt.date.isoformat()):
            problems.append(
                Problem(
                    located.at("id"),
                    T(
                        "ID „{i}“ beginnt nicht mit dem Sitzungsdatum {d}",
                        'id "{i}" does not start with the meeting date {d}',
                        i=mt.id,
                        d=mt.date.isoformat(),
                    ),
                    "id-file-mismatch",
                )
            )
        for i, ag in enumerate(mt.agreements):
            if ag not in agreements:
                problems.append(_unknown_agreement(data, loc_any, ("agreements", i), ag))
        for i, pid in enumerate(mt.distribution):
            if pid not in partners:
                problems.append(_unknown_partner(data, loc_any, ("distribution", i), pid))
        for field in ("chair", "minute_taker"):
            ref = getattr(mt, field)
            if ref and ref not in people:
                problems += check_person(data, loc_any, (field,), ref)
        attendance = mt.attendance
        for group, refs in (("present", attendance.present), ("excused", attendance.excused)):
            for i, ref in enumerate(refs):
                if ref not in people:
                    problems += check_person(data, loc_any, ("attendance", group, i), ref)
        seen: set[int] = set()
        meeting_day = mt.date
        for t, top in enumerate(mt.tops):
            for a, action in enumerate(top.actions):
                if action.id not in seen and action.who in people and action.due >= meeting_day:
                    seen.add(action.id)
                    continue
                loc: Loc = ("tops", t, "actions", a)
                if action.id in seen:
                    problems.append(
                        Problem(
                            located.at(*loc, "id"),
                            T(
                                "Aufgaben-Nummer {n} doppelt in dieser Sitzung",
                                "action number {n} used twice in this meeting",
                                n=action.id,
                            ),
                            "duplicate-id",
                        )
                    )
                seen.add(action.id)
                problems += check_person(data, loc_any, (*loc, "who"), action.who)
                if action.due < mt.date:
                    problems.append(
                        Problem(
                            located.at(*loc, "due"),
                            T(
                                "Aufgabe fällig am {d}, vor der Sitzung am {m}",
                                "action due {d}, before the meeting on {m}",
                                d=action.due.isoformat(),
                                m=mt.date.isoformat(),
                            ),
                            "date-order",
                        )
                    )
        for t, top in enumerate(mt.tops):
            if top.carried is not None:
                problems += _check_carried(data, located, t, top.carried)
        if mt.approved_in:
            later = data.find_minutes(mt.approved_in)
            if later is None:
                problems.append(
                    depends_on_broken(data, loc_any, ("approved_in",), "meeting", mt.approved_in)
                    or Problem(
                        located.at("approved_in"),
                        T(
                            "unbekannte Sitzung „{m}“",
                            'unknown meeting "{m}"',
                            m=mt.approved_in,
                        ),
                        "unknown-meeting",
                    )
                )
            elif later.date <= mt.date:
                problems.append(
                    Problem(
                        located.at("approved_in"),
                        T(
                            "genehmigt in „{m}“ vom {d}, die nicht nach dieser Sitzung liegt",
                            'approved in "{m}" of {d}, which is not after this meeting',
                            m=mt.approved_in,
                            d=later.date.isoformat(),
                        ),
                        "date-order",
                    )
                )
    return problems


def check_action_records(data: RepoData) -> list[Problem]:
    """Check action records: the action exists, is closed once, not before its meeting."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for located in data.action_records:
        rec = located.value
        expected = rec.action.replace("#", "-") + ".yaml"
        problems += _file_id(located, rec.action, expected)
        if rec.action in seen:
            problems.append(
                Problem(
                    located.at("action"),
                    T(
                        "Aufgabe „{a}“ ist schon in {p} abgeschlossen",
                        'action "{a}" is already closed in {p}',
                        a=rec.action,
                        p=seen[rec.action],
                    ),
                    "duplicate-id",
                )
            )
        seen.setdefault(rec.action, located.path)
        found = data.find_action(rec.action)
        if found is None:
            problems.append(
                depends_on_broken(data, located, ("action",), "meeting", rec.action.split("#")[0])
                or Problem(
                    located.at("action"),
                    T(
                        "unbekannte Aufgabe „{a}“; erwartet SITZUNG#NUMMER",
                        'unknown action "{a}"; expected MEETING#NUMBER',
                        a=rec.action,
                    ),
                    "unknown-action",
                )
            )
        elif rec.date < found[0].date:
            problems.append(
                Problem(
                    located.at("date"),
                    T(
                        "erledigt am {d}, vor der Sitzung am {m}",
                        "closed on {d}, before the meeting on {m}",
                        d=rec.date.isoformat(),
                        m=found[0].date.isoformat(),
                    ),
                    "date-order",
                )
            )
        if rec.by:
            problems += check_person(data, located, ("by",), rec.by)
    return problems


def check_config(data: RepoData) -> list[Problem]:
    """Check coop.toml references: the controller, and municipal holidays of the Land."""
    if data.config is None:
        return []
    problems = _municipal_problems(data.config)
    controller = data.config.value.controller
    if controller is None or controller in data.partner_ids():
        return problems
    return [_unknown_partner(data, data.config, ("controller",), controller), *problems]


def _municipal_problems(located: Located[Config]) -> list[Problem]:
    config = located.value
    allowed = MUNICIPAL_HOLIDAYS.get(config.land or "", ())
    problems = []
    for name in config.holidays.municipal:
        if name in allowed:
            continue
        if config.land is None:
            message = T(
                "„{v}“: ein Feiertag der Gemeinde braucht „land“ in coop.toml",
                '"{v}": a municipal holiday needs "land" in coop.toml',
                v=name,
            )
        else:
            message = T(
                "„{v}“ ist kein Feiertag einzelner Gemeinden in {l}; möglich: {k}",
                '"{v}" is not a holiday of single municipalities in {l}; possible: {k}',
                v=name,
                l=config.land,
                k=_choices(f"„{h}“" for h in allowed),
            )
        problems.append(Problem(located.at("holidays", "municipal"), message, "bad-value"))
    return problems


_WITHDRAWAL_NAME = re.compile(r"(?P<partner>[^/]+)-[1-9][0-9]{0,5}\.yaml")


def check_withdrawals(data: RepoData) -> list[Problem]:
    """Check withdrawal records: the path names the withdrawn record's version and partner."""
    problems: list[Problem] = []
    for located in data.withdrawals:
        w = located.value
        folder = f"agreements/{w.agreement}/withdrawals/{w.version}/"
        name = located.path.removeprefix(folder)
        match = _WITHDRAWAL_NAME.fullmatch(name) if name != located.path else None
        if match is None or match.group("partner") != w.partner:
            problems.append(
                Problem(
                    located.at("agreement"),
                    T(
                        "Inhalt passt nicht zum Pfad; erwartet „{e}<n>.yaml“",
                        'content does not match the path; expected "{e}<n>.yaml"',
                        e=f"{folder}{w.partner}-",
                    ),
                    "id-file-mismatch",
                )
            )
        so = w.signoff
        if (so.agreement, so.version, so.partner) != (w.agreement, w.version, w.partner):
            problems.append(
                Problem(
                    located.at("signoff"),
                    T(
                        "die zurückgezogene Freigabe gilt für {a} {v} {p}, nicht für {x} {y} {z}",
                        "the withdrawn sign-off is for {a} {v} {p}, not for {x} {y} {z}",
                        a=so.agreement,
                        v=so.version,
                        p=so.partner,
                        x=w.agreement,
                        y=w.version,
                        z=w.partner,
                    ),
                    "withdrawal-mismatch",
                )
            )
    return problems


def check_repository(data: RepoData) -> list[Problem]:
    """Run every cross-record rule over a loaded repository."""
    return [
        *check_config(data),
        *check_partners(data),
        *check_agreements(data),
        *check_signoffs(data),
        *check_withdrawals(data),
        *check_fulfilments(data),
        *check_minutes(data),
        *check_action_records(data),
    ]
