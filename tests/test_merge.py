"""Field-wise three-way merge of records (the git merge driver)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopkit.store.merge import (
    MergeConflict,
    changed_fields,
    conflicting_fields,
    merge_record,
    merge_texts,
)

BASE = """---
id: 2014-05-14-treffen
title: Treffen
date: 2014-05-14
attendance:
  present:
    - kreis/bernert
tops:
  - title: Begrüßung
  - title: Berichte
---
"""


def test_notes_under_different_tops_merge() -> None:
    ours = BASE.replace("  - title: Begrüßung\n", "  - title: Begrüßung\n    notes: Genehmigt.\n")
    theirs = BASE.replace(
        "  - title: Berichte\n", "  - title: Berichte\n    decisions:\n      - Ja.\n"
    )
    merged = merge_record(BASE, ours, theirs, "minutes/2014-05-14-treffen.md")
    assert "notes: Genehmigt." in merged and "- Ja." in merged
    assert merged.index("Genehmigt.") < merged.index("- Ja.")


def test_both_sides_adding_attendance_keep_both() -> None:
    ours = BASE.replace("    - kreis/bernert\n", "    - kreis/bernert\n    - jobcenter/meyer\n")
    theirs = BASE.replace("    - kreis/bernert\n", "    - kreis/bernert\n    - caritas/klein\n")
    merged = merge_record(BASE, ours, theirs, "minutes/x.md")
    assert "- jobcenter/meyer" in merged and "- caritas/klein" in merged


def test_same_top_changed_on_both_sides_is_a_conflict() -> None:
    ours = BASE.replace("  - title: Berichte\n", "  - title: Berichte\n    notes: A\n")
    theirs = BASE.replace("  - title: Berichte\n", "  - title: Berichte\n    notes: B\n")
    with pytest.raises(MergeConflict) as err:
        merge_record(BASE, ours, theirs, "minutes/x.md")
    assert err.value.where == "tops[2].notes"
    assert changed_fields(BASE, ours, "minutes/x.md") == ["TOP 2"]


def test_yaml_fields_merge_and_comments_survive() -> None:
    base = "id: kreis  # Koordination\nname: Kreis\nshort: K\n"
    ours = base.replace("name: Kreis", "name: Kreisverwaltung")
    theirs = base.replace("short: K", "short: KV")
    merged = merge_record(base, ours, theirs, "partners/kreis.yaml")
    assert merged == "id: kreis  # Koordination\nname: Kreisverwaltung\nshort: KV\n"
    with pytest.raises(MergeConflict):
        merge_record(base, base.replace("K\n", "A\n"), base.replace("K\n", "B\n"), "p.yaml")


# --- field- and list-wise merges of each record kind ------------------------------------------

PARTNER = """\
id: jobcenter  # Träger: Agentur und Kreis
name: Jobcenter Beispielkreis
representative: Paul Brandt
contacts:
  # die erste Ansprechperson
  - id: meyer
    name: Jan Meyer
    email: meyer@jobcenter.example  # dienstlich
"""
YILMAZ = "  - id: yilmaz\n    name: Ayşe Yılmaz\n"
NEUMANN = "  - id: neumann\n    name: Petra Neumann\n"


def _data(text: str, path: str = "partners/jobcenter.yaml") -> object:
    from coopkit.store.codec import split_front_matter
    from coopkit.store.yamlio import load_yaml, to_plain

    if path.endswith(".md"):
        text = split_front_matter(text, path)[0]
    node, problems = load_yaml(text, path)
    assert not problems
    return to_plain(node)


def test_contacts_added_on_both_sides_are_both_kept_ours_first() -> None:
    merged = merge_record(PARTNER, PARTNER + YILMAZ, PARTNER + NEUMANN, "partners/jobcenter.yaml")
    assert merged == PARTNER + YILMAZ + NEUMANN


def test_same_contact_added_on_both_sides_merges_its_fields() -> None:
    ours = PARTNER + YILMAZ + "    email: yilmaz@jobcenter.example\n"
    theirs = PARTNER + YILMAZ + "    phone: 0261 1\n"
    merged = merge_record(PARTNER, ours, theirs, "partners/jobcenter.yaml")
    assert merged.endswith(
        "  - id: yilmaz\n    name: Ayşe Yılmaz\n    email: yilmaz@jobcenter.example\n"
        "    phone: 0261 1\n"
    )


def test_removed_contact_goes_while_the_other_side_changes_another_field() -> None:
    base = PARTNER + YILMAZ
    ours = base.replace(YILMAZ, "")
    theirs = base.replace("Paul Brandt", "Maria Brandt")
    merged = merge_record(base, ours, theirs, "partners/jobcenter.yaml")
    assert merged == PARTNER.replace("Paul Brandt", "Maria Brandt")


def test_contact_removed_on_one_side_and_changed_on_the_other_is_a_conflict() -> None:
    base = PARTNER + YILMAZ
    with pytest.raises(MergeConflict) as err:
        merge_record(
            base, base.replace(YILMAZ, ""), base + "    phone: 1\n", "partners/jobcenter.yaml"
        )
    assert err.value.where == "contacts[yilmaz]"


def test_same_contact_field_changed_differently_names_the_contact_and_field() -> None:
    ours = PARTNER.replace("meyer@jobcenter", "jan.meyer@jobcenter")
    theirs = PARTNER.replace("meyer@jobcenter", "j.meyer@jobcenter")
    with pytest.raises(MergeConflict) as err:
        merge_record(PARTNER, ours, theirs, "partners/jobcenter.yaml")
    assert err.value.where == "contacts[meyer].email"


def test_prefer_settles_only_the_conflicting_field() -> None:
    ours = PARTNER.replace("meyer@jobcenter", "jan.meyer@jobcenter") + YILMAZ
    theirs = (
        PARTNER.replace("meyer@jobcenter", "j.meyer@jobcenter").replace("Paul", "Maria") + NEUMANN
    )
    for prefer, mail in (("ours", "jan.meyer"), ("theirs", "j.meyer")):
        result = merge_texts(PARTNER, ours, theirs, "partners/jobcenter.yaml", prefer=prefer)  # type: ignore[arg-type]
        assert result.settled == ["contacts[meyer].email"]
        assert result.text == (
            PARTNER.replace("meyer@jobcenter", f"{mail}@jobcenter").replace("Paul", "Maria")
            + YILMAZ
            + NEUMANN
        )
    assert conflicting_fields(PARTNER, ours, theirs, "partners/jobcenter.yaml") == [
        "contacts[meyer].email"
    ]


def test_a_key_only_one_side_added_goes_where_that_side_put_it() -> None:
    theirs = PARTNER.replace(
        "name: Jobcenter Beispielkreis\n", "name: Jobcenter Beispielkreis\nshort: JC\n"
    )
    ours = PARTNER.replace("Paul Brandt", "Maria Brandt")
    merged = merge_record(PARTNER, ours, theirs, "partners/jobcenter.yaml")
    assert merged == theirs.replace("Paul Brandt", "Maria Brandt")


def test_minutes_attendees_decisions_actions_and_tops_added_on_both_sides_merge() -> None:
    base = BASE.replace(
        "  - title: Berichte\n",
        "  - title: Berichte\n    decisions:\n      - Bericht angenommen.\n"
        "    actions:\n      - id: 1\n        who: kreis/bernert\n        what: Protokoll\n"
        "        due: 2014-06-01\n",
    )
    ours = (
        base.replace("    - kreis/bernert\n", "    - kreis/bernert\n    - jobcenter/meyer\n")
        .replace("      - Bericht angenommen.\n", "      - Bericht angenommen.\n      - Ja.\n")
        .replace(
            "        due: 2014-06-01\n",
            "        due: 2014-06-01\n"
            "      - id: 2\n        who: jobcenter/meyer\n        what: Zahlen\n"
            "        due: 2014-06-15\n",
        )
    )
    theirs = (
        base.replace("    - kreis/bernert\n", "    - kreis/bernert\n    - caritas/klein\n")
        .replace("      - Bericht angenommen.\n", "      - Bericht angenommen.\n      - Nein.\n")
        .replace(
            "        due: 2014-06-01\n",
            "        due: 2014-06-01\n"
            "      - id: 3\n        who: caritas/klein\n        what: Flyer\n"
            "        due: 2014-06-30\n",
        )
    )
    ours = ours[: ours.rindex("---\n")] + "  - title: Verschiedenes\n---\n"
    theirs = theirs[: theirs.rindex("---\n")] + "  - title: Termine\n---\n"
    merged = _data(merge_record(base, ours, theirs, "minutes/x.md"), "minutes/x.md")
    assert isinstance(merged, dict)
    assert merged["attendance"]["present"] == ["kreis/bernert", "jobcenter/meyer", "caritas/klein"]
    tops = merged["tops"]
    assert [t["title"] for t in tops] == ["Begrüßung", "Berichte", "Verschiedenes", "Termine"]
    assert tops[1]["decisions"] == ["Bericht angenommen.", "Ja.", "Nein."]
    assert [a["id"] for a in tops[1]["actions"]] == ["1", "2", "3"]


def test_renamed_top_keeps_the_notes_the_other_side_wrote() -> None:
    ours = BASE.replace("title: Berichte", "title: Berichte der Partner")
    theirs = BASE.replace("  - title: Berichte\n", "  - title: Berichte\n    notes: Gut.\n")
    merged = _data(merge_record(BASE, ours, theirs, "minutes/x.md"), "minutes/x.md")
    assert isinstance(merged, dict)
    assert merged["tops"][1] == {"title": "Berichte der Partner", "notes": "Gut."}


def test_attendee_removed_on_one_side_goes() -> None:
    base = BASE.replace("    - kreis/bernert\n", "    - kreis/bernert\n    - caritas/klein\n")
    ours = base.replace("    - caritas/klein\n", "")
    theirs = base.replace("title: Treffen", "title: Arbeitstreffen")
    merged = _data(merge_record(base, ours, theirs, "minutes/x.md"), "minutes/x.md")
    assert isinstance(merged, dict)
    assert merged["attendance"]["present"] == ["kreis/bernert"]
    assert merged["title"] == "Arbeitstreffen"


AGREEMENT = """---
id: koop
title: Kooperation
parties: [kreis, jobcenter]
obligations:
  - id: angebote
    by: caritas
    what: Angebote melden
---

## Präambel

Die Partner arbeiten zusammen.

## § 1 Ziele

(1) Früh unterstützen.

## § 2 Leistungen

(1) Vierteljährlich informieren.
"""
PATH = "agreements/koop/agreement.md"


def test_agreement_obligations_added_on_both_sides_merge() -> None:
    add = "  - id: {i}\n    by: kreis\n    what: {w}\n---\n"
    ours = AGREEMENT.replace(
        "    what: Angebote melden\n---\n",
        "    what: Angebote melden\n" + add.format(i="bericht", w="Bericht"),
    )
    theirs = AGREEMENT.replace(
        "    what: Angebote melden\n---\n",
        "    what: Angebote melden\n" + add.format(i="treffen", w="Treffen"),
    ).replace("what: Angebote melden", "what: Angebote und Sprechzeiten melden")
    merged = _data(merge_record(AGREEMENT, ours, theirs, PATH), PATH)
    assert isinstance(merged, dict)
    assert [o["id"] for o in merged["obligations"]] == ["angebote", "bericht", "treffen"]
    assert merged["obligations"][0]["what"] == "Angebote und Sprechzeiten melden"


def test_agreement_sections_changed_on_different_sides_merge() -> None:
    ours = AGREEMENT.replace("Früh unterstützen.", "Früh und verlässlich unterstützen.")
    theirs = AGREEMENT.replace("Vierteljährlich", "Monatlich").replace(
        "title: Kooperation", "title: Kooperation Integration"
    )
    theirs += "\n## § 3 Laufzeit\n\n(1) Unbefristet.\n"
    merged = merge_record(AGREEMENT, ours, theirs, PATH)
    expected = (
        AGREEMENT.replace("Früh unterstützen.", "Früh und verlässlich unterstützen.")
        .replace("Vierteljährlich", "Monatlich")
        .replace("title: Kooperation", "title: Kooperation Integration")
        + "\n## § 3 Laufzeit\n\n(1) Unbefristet.\n"
    )
    assert merged == expected


def test_same_section_changed_differently_is_a_conflict_never_a_union() -> None:
    ours = AGREEMENT.replace("(1) Früh unterstützen.", "(1) Früh unterstützen.\n(2) Sprache.")
    theirs = AGREEMENT.replace("(1) Früh unterstützen.", "(1) Früh unterstützen.\n(2) Arbeit.")
    with pytest.raises(MergeConflict) as err:
        merge_record(AGREEMENT, ours, theirs, PATH)
    assert err.value.where == "(Markdown) ## § 1 Ziele"
    theirs = theirs.replace("Vierteljährlich", "Monatlich")
    result = merge_texts(AGREEMENT, ours, theirs, PATH, prefer="theirs")
    assert result.settled == ["(Markdown) ## § 1 Ziele"]
    assert result.text == theirs
    result = merge_texts(AGREEMENT, ours, theirs, PATH, prefer="ours")
    assert result.text == ours.replace("Vierteljährlich", "Monatlich")


def test_sections_added_on_both_sides_are_both_kept() -> None:
    ours = AGREEMENT + "\n## § 3 Daten\n\n(1) Datenschutz.\n"
    theirs = AGREEMENT + "\n## § 3 Laufzeit\n\n(1) Unbefristet.\n"
    merged = merge_record(AGREEMENT, ours, theirs, PATH)
    assert merged == ours + "\n## § 3 Laufzeit\n\n(1) Unbefristet.\n"


# --- property: disjoint changes merge to both changes ----------------------------------------

_FIELDS = ["name", "short", "represented_by", "representative", "email", "phone", "web"]
_words = st.text(alphabet="abcdefgh äöüß", min_size=1, max_size=12).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None)
@given(
    base=st.fixed_dictionaries({f: _words for f in _FIELDS}),
    changes=st.dictionaries(st.sampled_from(_FIELDS), st.tuples(st.booleans(), _words)),
    contacts=st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True),
    removed=st.booleans(),
)
def test_disjoint_changes_merge_to_both_changes(
    base: dict[str, str],
    changes: dict[str, tuple[bool, str]],
    contacts: list[str],
    removed: bool,
) -> None:
    from coopkit.store.yamlio import dump_yaml, yaml_value

    start = {"id": "p", **base, "contacts": [{"id": "z", "name": "Z"}]}
    mine, other = dict(start), dict(start)
    for key, (side, value) in changes.items():
        (mine if side else other)[key] = value
    # Contacts: even ones added here, odd ones there; the old one removed on one side.
    mine["contacts"] = [*start["contacts"], *({"id": c, "name": c} for c in contacts[::2])]  # type: ignore[misc]
    other["contacts"] = [] if removed else list(start["contacts"])  # type: ignore[call-overload]
    other["contacts"] += [{"id": c, "name": c} for c in contacts[1::2]]  # type: ignore[operator]
    texts = [dump_yaml(yaml_value(d)) for d in (start, mine, other)]
    merged = merge_record(texts[0], texts[1], texts[2], "partners/p.yaml")
    expected = {**start, **{k: v for k, (_, v) in changes.items()}}
    expected["contacts"] = [
        *([] if removed else start["contacts"]),  # type: ignore[list-item]
        *({"id": c, "name": c} for c in contacts[::2]),
        *({"id": c, "name": c} for c in contacts[1::2]),
    ]
    assert _data(merged, "partners/p.yaml") == expected
    assert (
        _data(merge_record(texts[0], texts[2], texts[1], "partners/p.yaml"))
        == {
            **expected,
            "contacts": [
                *([] if removed else start["contacts"]),  # type: ignore[list-item]
                *({"id": c, "name": c} for c in contacts[1::2]),
                *({"id": c, "name": c} for c in contacts[::2]),
            ],
        }
    )
