"""parse(dump(x)) == x for every record kind; untouched files load and dump byte-identically."""

from __future__ import annotations

import string
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO_ROOT
from coopkit.model.agreement import Agreement, Clause, Obligation
from coopkit.model.fulfilment import Fulfilment
from coopkit.model.minutes import Action, ActionRecord, Attendance, Guest, Minutes, Top
from coopkit.model.partner import Address, Contact, Partner, SigningKey
from coopkit.model.signoff import Evidence, SignOff
from coopkit.store import codec
from coopkit.store.text import decode_text
from coopkit.store.yamlio import dump_yaml, load_yaml

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ids = st.from_regex(r"\A[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,5}){0,2}\Z").filter(
    lambda s: (
        s.split("-")[0] not in {"con", "prn", "aux", "nul"} and not s.startswith(("com", "lpt"))
    )
)
words = st.text(
    alphabet=string.ascii_letters + "äöüßÄÖÜ&<>\"'„“:#-%@!*{}[],|>?", min_size=1, max_size=12
)
line = st.lists(words, min_size=1, max_size=6).map(" ".join)
text = st.one_of(
    line,
    st.text(min_size=1, max_size=40).filter(lambda s: "\r" not in s),
    st.sampled_from(
        ["NO", "no", "1.10", "01067", "true", "null", "~", "- x", "a: b", "#x", " lead", "tail "]
    ),
)
optional_text = st.none() | text
multiline = st.lists(line, min_size=1, max_size=4).map("\n".join) | text
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
durations = st.sampled_from(["P1M", "P3M", "P6M", "P1Y", "P2W", "P14D", "P1Y6M"])


def person(partners: st.SearchStrategy[str] = ids) -> st.SearchStrategy[str]:
    return st.one_of(partners, st.tuples(partners, ids).map("/".join))


partners = st.builds(
    Partner,
    id=ids,
    name=text,
    short=optional_text,
    address=st.none()
    | st.builds(
        Address,
        street=optional_text,
        postcode=optional_text,
        city=optional_text,
        country=st.sampled_from(["DE", "NO", "AT"]),
    ),
    represented_by=optional_text,
    contacts=st.lists(
        st.builds(
            Contact,
            id=ids,
            name=text,
            function=optional_text,
            email=optional_text,
            phone=optional_text,
            topics=st.lists(text, max_size=3),
        ),
        max_size=3,
    ),
    keys=st.lists(
        st.builds(
            SigningKey,
            key=st.just("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF0 bernert"),
            signatory=optional_text,
            valid_after=st.none() | days,
        ),
        max_size=2,
    ),
)


@st.composite
def obligations(draw: st.DrawFn) -> Obligation:
    recurrence = draw(st.sampled_from(["none", "every", "rrule"]))
    return Obligation(
        id=draw(ids),
        clause=draw(st.none() | st.integers(1, 5)),
        by=draw(st.lists(ids, min_size=1, max_size=3)),
        to=draw(st.lists(ids, max_size=3)),
        what=draw(text),
        every=draw(durations) if recurrence == "every" else None,
        rrule="FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=-1" if recurrence == "rrule" else None,
        first_due=draw(days) if recurrence != "none" else draw(st.none() | days),
        condition=draw(optional_text),
        how=draw(optional_text),
    )


body_line = st.lists(words.filter(lambda w: not w.startswith("#")), min_size=1, max_size=6).map(
    " ".join
)
body_text = (
    st.lists(st.one_of(body_line, st.just("")), min_size=1, max_size=5)
    .map(lambda lines: "\n".join(lines).strip("\n"))
    .filter(bool)
)


@st.composite
def agreements(draw: st.DrawFn) -> Agreement:
    count = draw(st.integers(0, 4))
    return Agreement(
        id=draw(ids),
        title=draw(text),
        parties=draw(st.lists(ids, min_size=2, max_size=4, unique=True)),
        coordinator=draw(st.none() | ids),
        valid_from=draw(st.none() | days),
        valid_until=draw(st.none() | days),
        review_cycle=draw(st.none() | durations),
        notice_period=draw(st.none() | durations),
        status=draw(st.sampled_from(["draft", "active", "terminated"])),
        obligations=draw(st.lists(obligations(), max_size=3)),
        preamble=draw(st.just("") | body_text),
        clauses=[
            Clause(number=n, title=draw(body_line), text=draw(st.just("") | body_text))
            for n in range(1, count + 1)
        ],
    )


signoffs = st.builds(
    SignOff,
    agreement=ids,
    version=st.sampled_from(["v1", "v2", "v10"]),
    partner=ids,
    signatory=text,
    function=optional_text,
    place=optional_text,
    date=days,
    method=st.sampled_from(["internal", "wet-ink", "qes"]),
    content_hash=st.just("sha256:" + "ab" * 32),
    evidence=st.none() | st.builds(Evidence, file=text, sha256=st.just("cd" * 32)),
    signature=st.none()
    | st.just("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----"),
)
fulfilments = st.builds(
    Fulfilment,
    obligation=ids,
    partner=ids,
    due=days,
    date=days,
    status=st.sampled_from(["fulfilled", "partly", "missed", "waived"]),
    note=st.none() | multiline,
)
action_records = st.builds(
    ActionRecord,
    action=st.tuples(ids, st.integers(1, 9)).map(lambda t: f"{t[0]}#{t[1]}"),
    status=st.sampled_from(["done", "dropped"]),
    date=days,
    note=st.none() | multiline,
    by=st.none() | person(),
)


@st.composite
def minutes(draw: st.DrawFn) -> Minutes:
    day = draw(days)
    tops = []
    number = 0
    for _ in range(draw(st.integers(0, 3))):
        actions = []
        for _ in range(draw(st.integers(0, 2))):
            number += 1
            actions.append(Action(id=number, who=draw(person()), what=draw(text), due=day))
        tops.append(
            Top(
                title=draw(text),
                notes=draw(st.just("") | multiline),
                decisions=draw(st.lists(multiline, max_size=2)),
                actions=actions,
            )
        )
    status = draw(st.sampled_from(["draft", "sent", "approved"]))
    return Minutes(
        id=f"{day.isoformat()}-{draw(ids)}",
        title=draw(text),
        agreements=draw(st.lists(ids, max_size=2)),
        date=day,
        start=draw(st.none() | st.just("09:30")),
        end=draw(st.none() | st.just("12:00")),
        place=draw(optional_text),
        chair=draw(st.none() | person()),
        status=status,
        approved_in=draw(ids) if status == "approved" else None,
        attendance=Attendance(
            present=draw(st.lists(person(), max_size=3)),
            excused=draw(st.lists(person(), max_size=2)),
            guests=draw(st.lists(st.builds(Guest, name=text, org=optional_text), max_size=2)),
        ),
        tops=tops,
        remarks=draw(st.just("") | body_text),
    )


def reparse(parser, text: str, path: str):  # type: ignore[no-untyped-def]
    textfile, problems = decode_text(path, text.encode())
    assert textfile is not None, problems
    located, problems = parser(textfile)
    assert not problems, [p.format() for p in problems] + [text]
    return located.value


@SETTINGS
@given(partners)
def test_partner_roundtrip(partner: Partner) -> None:
    assert reparse(codec.parse_partner, codec.dump_record(partner), "partners/x.yaml") == partner


@SETTINGS
@given(agreements())
def test_agreement_roundtrip(agreement: Agreement) -> None:
    text = codec.dump_agreement(agreement)
    assert reparse(codec.parse_agreement, text, "agreements/x/agreement.md") == agreement


@SETTINGS
@given(signoffs)
def test_signoff_roundtrip(signoff: SignOff) -> None:
    assert reparse(codec.parse_signoff, codec.dump_record(signoff), "s.yaml") == signoff


@SETTINGS
@given(fulfilments)
def test_fulfilment_roundtrip(record: Fulfilment) -> None:
    assert reparse(codec.parse_fulfilment, codec.dump_record(record), "f.yaml") == record


@SETTINGS
@given(action_records)
def test_action_record_roundtrip(record: ActionRecord) -> None:
    assert reparse(codec.parse_action_record, codec.dump_record(record), "a.yaml") == record


@SETTINGS
@given(minutes())
def test_minutes_roundtrip(record: Minutes) -> None:
    assert reparse(codec.parse_minutes, codec.dump_minutes(record), "m.md") == record


EXAMPLE_FILES = sorted(
    p.relative_to(REPO_ROOT).as_posix()
    for pattern in ("partners/*.yaml", "agreements/**/*.yaml", "actions/*.yaml")
    for p in REPO_ROOT.glob(pattern)
)
EXAMPLE_FRONT = sorted(
    p.relative_to(REPO_ROOT).as_posix()
    for pattern in ("agreements/*/agreement.md", "minutes/*.md")
    for p in REPO_ROOT.glob(pattern)
)


@pytest.mark.parametrize("path", EXAMPLE_FILES)
def test_untouched_yaml_file_dumps_byte_identical(path: str) -> None:
    text = (REPO_ROOT / path).read_text("utf-8")
    node, problems = load_yaml(text, path)
    assert not problems
    assert dump_yaml(node) == text


@pytest.mark.parametrize("path", EXAMPLE_FRONT)
def test_untouched_front_matter_file_edits_byte_identical(path: str) -> None:
    text = (REPO_ROOT / path).read_text("utf-8")
    assert codec.edit_front_matter(text, path, lambda node: None) == text


def test_edit_keeps_comments_and_key_order(tmp_path: Path) -> None:
    text = "# Partner\nid: a  # Kürzel\nname: A\n# Kontakte folgen\ncontacts:\n  - id: x\n    name: X\n"

    def change(node):  # type: ignore[no-untyped-def]
        node["short"] = "AA"
        node["contacts"][0]["email"] = "x@example.org"

    out = codec.edit_yaml_text(text, "partners/a.yaml", change)
    assert out == (
        "# Partner\nid: a  # Kürzel\nname: A\n# Kontakte folgen\ncontacts:\n  - id: x\n    name: X\n"
        "    email: x@example.org\nshort: AA\n"
    )
