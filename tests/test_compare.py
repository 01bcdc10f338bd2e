import json
from pathlib import Path

from conftest import Cli, MakeRepo, git, tree_state
from coopkit.model.agreement import Agreement, Clause, Obligation
from coopkit.model.compare import (
    Paragraph,
    compare_agreements,
    compare_obligations,
    split_paragraphs,
)


def obligation(**fields: object) -> Obligation:
    base: dict[str, object] = {"id": "info", "by": ["a"], "to": ["b"], "what": "Informieren"}
    base.update(fields)
    return Obligation.model_validate(base)


def agreement(clauses: list[Clause], obligations: list[Obligation] | None = None) -> Agreement:
    return Agreement(
        id="x", title="X", parties=["a", "b"], clauses=clauses, obligations=obligations or []
    )


def test_obligation_diff_reports_added_removed_and_changed_fields() -> None:
    old = [obligation(), obligation(id="alt", what="Alt")]
    new = [
        obligation(
            by=["c"],
            to=["a"],
            every="P6M",
            first_due="2013-06-30",
            condition="nur mit Einwilligung",
        ),
        obligation(id="neu", what="Neu"),
    ]
    result = compare_obligations(old, new)
    assert [(c.kind, c.id) for c in result] == [
        ("changed", "info"),
        ("added", "neu"),
        ("removed", "alt"),
    ]
    fields = {c.field: (c.old, c.new) for c in result[0].changes}
    assert fields == {
        "by": ("a", "c"),
        "to": ("b", "a"),
        "recurrence": ("", "P6M"),
        "first_due": ("", "2013-06-30"),
        "condition": ("", "nur mit Einwilligung"),
    }


def test_obligation_diff_sees_rrule_as_recurrence_change() -> None:
    old = [obligation(every="P6M", first_due="2013-06-30")]
    new = [obligation(rrule="FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=-1", first_due="2013-06-30")]
    (change,) = compare_obligations(old, new)
    assert change.changes[0].field == "recurrence"
    assert change.changes[0].new == "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=-1"


def test_clause_diff_follows_titles_across_renumbering() -> None:
    old = agreement(
        [Clause(number=1, title="Ziele", text="a"), Clause(number=2, title="Kosten", text="b")]
    )
    new = agreement(
        [
            Clause(number=1, title="Ziele", text="a"),
            Clause(number=2, title="Datenschutz", text="neu"),
            Clause(number=3, title="Kosten", text="b"),
        ]
    )
    result = compare_agreements(old, new).clauses
    assert [(c.kind, c.old_number, c.new_number, c.new_title) for c in result] == [
        ("added", None, 2, "Datenschutz"),
        ("changed", 2, 3, "Kosten"),
    ]
    assert result[0].lines[-1] == "+neu"
    assert result[1].lines == []


def test_identical_agreements_have_an_empty_diff() -> None:
    same = agreement([Clause(number=1, title="Ziele", text="a")], [obligation()])
    assert compare_agreements(same, same).empty


def test_split_paragraphs_joins_soft_breaks_and_separates_bullets() -> None:
    text = "(1) Erste\nZeile.\n\n- eins\n- zwei\nweiter\n\n(2) Zweiter."
    assert split_paragraphs(text) == [
        Paragraph("text", "(1) Erste Zeile."),
        Paragraph("bullet", "eins"),
        Paragraph("bullet", "zwei weiter"),
        Paragraph("text", "(2) Zweiter."),
    ]


def changed_repo(make_repo: MakeRepo) -> Path:
    root = make_repo(approve=False)
    git(root, "tag", "-a", "koop/v1", "-m", "v1")
    path = root / "agreements/koop/agreement.md"
    text = path.read_text()
    text = text.replace("every: P3M", "every: P6M").replace("früh", "frühzeitig")
    text += "\n## § 3 Datenschutz\n\n(1) Nur mit Einwilligung.\n"
    path.write_text(text)
    return root


def test_diff_cli_shows_clause_text_and_obligation_changes(make_repo: MakeRepo, cli: Cli) -> None:
    root = changed_repo(make_repo)
    before = tree_state(root)
    out = cli("-C", root, "agreement", "diff", "koop").stdout
    assert "--- v1" in out and "+++ Arbeitstext" in out
    assert "## § 1 Ziele (geändert)" in out
    assert "-(1) Zuwanderer früh unterstützen." in out
    assert "+(1) Zuwanderer frühzeitig unterstützen." in out
    assert "## § 3 Datenschutz (neu)" in out
    assert "~ angebote (geändert)" in out
    assert "wie oft: vierteljährlich → halbjährlich" in out
    assert tree_state(root) == before


def test_diff_says_recurrence_and_first_due_in_the_words_of_the_document(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    from redline_helpers import changes

    root = changed_repo(make_repo)
    path = root / "agreements/koop/agreement.md"
    text = path.read_text()
    assert "first_due: 2013-03-31" in text
    path.write_text(
        text.replace("every: P6M", "rrule: FREQ=MONTHLY;BYMONTH=3,9;BYMONTHDAY=-1").replace(
            "first_due: 2013-03-31", "first_due: 2013-09-30"
        )
    )
    out = cli("-C", root, "agreement", "diff", "koop", "--docx", tmp_path / "r.docx").stdout
    assert "    wie oft: vierteljährlich → " in out and "FREQ" not in out and "P3M" not in out
    assert "    erste Fälligkeit: 31. März 2013 → 30. September 2013" in out
    english = cli("-C", root, "--lang", "en", "agreement", "diff", "koop").stdout
    assert ": quarterly → " in english and "31 March 2013 → 30 September 2013" in english
    deleted = {t for kind, _, _, t in changes((tmp_path / "r.docx").read_bytes()) if kind == "del"}
    assert any("vierteljährlich" in t for t in deleted), "the document says the same words"

    path.write_text(text.replace("every: P6M", "every: P1Y"))
    git(root, "commit", "-qam", "jährlich")
    path.write_text(path.read_text().replace("every: P1Y", "every: P12M"))
    same = cli("-C", root, "agreement", "diff", "koop", "HEAD", "WORKTREE").stdout
    assert "wie oft: jährlich (P1Y) → jährlich (P12M)" in same


def test_diff_cli_json_has_structured_obligation_changes(make_repo: MakeRepo, cli: Cli) -> None:
    root = changed_repo(make_repo)
    data = json.loads(cli("-C", root, "--json", "agreement", "diff", "koop", "v1").stdout)
    assert data["from"]["label"] == "v1" and data["to"]["commit"] is None
    assert data["obligations"] == [
        {
            "kind": "changed",
            "id": "angebote",
            "what": "Über aktuelle Beratungsangebote informieren",
            "changes": [{"field": "recurrence", "old": "P3M", "new": "P6M"}],
        }
    ]
    assert [c["kind"] for c in data["clauses"]] == ["changed", "added"]


def test_diff_between_commits_and_identical_states(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(approve=False)
    out = cli("-C", root, "agreement", "diff", "koop", "HEAD", "WORKTREE").stdout
    assert "keine Unterschiede" in out


def test_diff_unknown_revision_is_not_found(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(approve=False)
    result = cli("-C", root, "agreement", "diff", "koop", "v9", ok=False)
    assert result.exit_code == 6
    assert "v9" in result.stderr


def test_diff_of_a_revision_with_a_broken_file_reports_problems(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo(approve=False)
    path = root / "agreements/koop/agreement.md"
    path.write_text(path.read_text().replace("## § 2 Leistungen", "## Leistungen"))
    result = cli("-C", root, "agreement", "diff", "koop", "HEAD", ok=False)
    assert result.exit_code == 1
    assert "agreements/koop/agreement.md:" in result.stderr
