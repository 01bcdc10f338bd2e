"""Field-wise three-way merge of records (the git merge driver)."""

from __future__ import annotations

import pytest

from coopkit.store.merge import MergeConflict, changed_fields, merge_record

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
