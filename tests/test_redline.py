import zipfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Cli, MakeRepo, git
from coopkit.render.package import DocumentInfo
from coopkit.render.redline import Change, render_redline
from docx_helpers import assert_valid_docx, convert_with_libreoffice
from redline_helpers import body_model, changes, paragraphs, resolve_model

EVA = "Eva Klein <klein@caritas.example>"
JAN = "Jan Meyer <meyer@jobcenter.example>"


def when(day: str) -> datetime:
    return datetime.fromisoformat(day + "T12:00:00+00:00")


Block = tuple[str, str]
"""(style, text) for a paragraph; style "Table" makes a table row per "|"-separated line."""


def build(blocks: list[Block]) -> bytes:
    """A small .docx: paragraphs in their styles, and tables from "Table" blocks."""
    import io

    import docx

    document = docx.Document()
    for style, text in blocks:
        if style == "Table":
            # Rendered templates put a heading before every table; so does this builder.
            document.add_paragraph("Tabelle", style="Heading 2")
            rows = [line.split("|") for line in text.split("\n")]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for row, values in zip(table.rows, rows, strict=True):
                for cell, value in zip(row.cells, values, strict=True):
                    cell.paragraphs[0].add_run(value)
        else:
            document.add_paragraph(text, style=style)
    document.add_paragraph("Ende")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def redline(states: list[list[Block]], changes: list[Change]) -> tuple[bytes, list[bytes]]:
    rendered = [build(state) for state in states]
    return render_redline(rendered, changes, DocumentInfo(title="Test")), rendered


def test_redline_accept_all_gives_new_and_reject_all_gives_old(tmp_path: Path) -> None:
    old = [
        ("Title", "Vereinbarung"),
        ("Heading 1", "§ 1 Ziele"),
        ("Normal", "(1) Zuwanderer früh unterstützen."),
        ("Normal", "(2) Dieser Absatz entfällt."),
        ("Table", "Wer|Was\nCaritas|informiert\nJobcenter|berät"),
        ("List Bullet", "Sprache"),
    ]
    new = [
        ("Title", "Vereinbarung"),
        ("Heading 1", "§ 1 Ziele und Zweck"),
        ("Normal", "(1) Zuwanderinnen und Zuwanderer frühzeitig unterstützen."),
        ("Table", "Wer|Was\nCaritas|informiert monatlich\nKreis|lädt ein"),
        ("List Bullet", "Sprache & Arbeit"),
        ("Normal", "(3) Ganz neu am Ende."),
    ]
    data, (before, after) = redline([old, new], [Change("Eva Klein", when("2013-03-10"))])
    assert_valid_docx(data, tmp_path)
    assert resolve_model(data, accept=True) == body_model(after)
    assert resolve_model(data, accept=False) == body_model(before)
    found = changes(data)
    assert ("ins", "Eva Klein", "2013-03-10T12:00:00Z", " und Zweck") in found
    assert any(kind == "del" and "entfällt" in text for kind, _, _, text in found)
    assert any(kind == "ins" and "monatlich" in text for kind, _, _, text in found)
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as archive:
        xml = archive.read("word/document.xml").decode()
    ids = [part.split('"')[0] for part in xml.split('w:id="')[1:]]
    assert len(ids) == len(set(ids))
    assert "<w:delText" in xml
    assert 'w:lang w:val="de-DE"' in xml


def test_redline_attributes_each_change_to_the_commit_that_made_it() -> None:
    first = [("Normal", "Die Caritas informiert vierteljährlich.")]
    second = [("Normal", "Die Caritas informiert monatlich.")]
    third = [("Normal", "Der Migrationsdienst informiert monatlich."), ("Normal", "Neu.")]
    eva, jan = Change("Eva", when("2013-03-10")), Change("Jan", when("2013-05-01"))
    data, rendered = redline([first, second, third], [eva, jan])
    found = {(kind, text): (author, date) for kind, author, date, text in changes(data)}
    assert found[("del", "vierteljährlich")] == ("Eva", "2013-03-10T12:00:00Z")
    assert found[("ins", "monatlich")] == ("Eva", "2013-03-10T12:00:00Z")
    assert found[("del", "Die Caritas")] == ("Jan", "2013-05-01T12:00:00Z")
    assert found[("ins", "Der Migrationsdienst")] == ("Jan", "2013-05-01T12:00:00Z")
    assert resolve_model(data, True) == body_model(rendered[-1])
    assert resolve_model(data, False) == body_model(rendered[0])


words = st.sampled_from(["der", "die", "Caritas", "informiert", "§", "1", "&", "„x“", "<a>"])
paragraph = st.builds(
    lambda style, parts: (style, " ".join(parts)),
    st.sampled_from(["Normal", "Heading 1", "List Bullet"]),
    st.lists(words, min_size=1, max_size=6),
)
table = st.builds(
    lambda rows: ("Table", "\n".join(f"{a}|{b}" for a, b in rows)),
    st.lists(st.tuples(words, words), min_size=1, max_size=3),
)
document = st.lists(st.one_of(paragraph, paragraph, table), min_size=1, max_size=5)


@settings(max_examples=40, deadline=None)
@given(st.lists(document, min_size=2, max_size=3))
def test_redline_round_trips_any_chain_of_states(states: list[list[Block]]) -> None:
    chain = [Change(f"Person {k}", when("2013-01-01")) for k in range(len(states) - 1)]
    data, rendered = redline(states, chain)
    assert resolve_model(data, accept=True) == body_model(rendered[-1])
    assert resolve_model(data, accept=False) == body_model(rendered[0])


def _edit(root: Path, old: str, new: str) -> None:
    path = root / "agreements/koop/agreement.md"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _commit(root: Path, author: str, day: str, message: str) -> None:
    git(
        root,
        "commit",
        "-q",
        "-a",
        "-m",
        message,
        "--author",
        author,
        "--date",
        f"{day}T12:00:00+00:00",
    )


def history_repo(make_repo: MakeRepo) -> Path:
    root = make_repo(approve=False)
    git(root, "tag", "-a", "koop/v1", "-m", "v1")
    _edit(
        root,
        "Zuwanderer früh unterstützen.",
        "Zuwanderinnen und Zuwanderer frühzeitig unterstützen.",
    )
    _edit(
        root,
        "(1) Die Caritas informiert vierteljährlich.",
        "(1) Die Caritas informiert vierteljährlich.\n\n(2) Sie lädt zu Hospitationen ein.",
    )
    _commit(root, EVA, "2013-03-10", "Reword goals")
    _edit(root, "every: P3M", "every: P6M")
    _edit(root, "Die Partner arbeiten zusammen.", "Die Partner arbeiten eng zusammen.")
    _edit(
        root,
        "    first_due: 2013-03-31\n",
        "    first_due: 2013-03-31\n  - id: bericht\n    by: kreis\n    what: Jahresbericht"
        " „Integration“ & Statistik\n",
    )
    _commit(root, JAN, "2013-05-01", "Half-yearly information, report")
    return root


def test_diff_docx_between_versions_carries_commit_authors_and_dates(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    from coopkit.queries.context import Context
    from coopkit.queries.load import snapshot
    from coopkit.services.documents import read_agreement, state_bytes

    root = history_repo(make_repo)
    out = tmp_path / "redline.docx"
    cli("-C", root, "agreement", "diff", "koop", "v1", "HEAD", "--docx", out)
    data = out.read_bytes()
    assert_valid_docx(data, tmp_path)
    ctx = Context(root=root, today=datetime(2014, 2, 7).date())
    snap = snapshot(ctx)
    repo = snap.data
    v1 = read_agreement(ctx, "koop", git(root, "rev-parse", "koop/v1^{}").strip()).agreement
    head = read_agreement(ctx, "koop", git(root, "rev-parse", "HEAD").strip()).agreement
    version = snap.timeline("koop").get("v1")
    newer, older = state_bytes(ctx, repo, head, None), state_bytes(ctx, repo, v1, version)
    accepted, rejected = resolve_model(data, True), resolve_model(data, False)
    assert accepted == body_model(newer)
    assert rejected == body_model(older)
    # The agreement's own layout: parties, the obligations table, the signature page.
    shown = paragraphs(accepted)
    assert "Kreisverwaltung Beispielkreis" in shown
    assert "Unterschriften" in shown and "Ort, Datum" in shown
    assert "Jahresbericht „Integration“ & Statistik" in shown
    assert not any(t.startswith("angebote") for t in shown)
    found = changes(data)
    by_text = {text: (author, date) for _, author, date, text in found}
    assert by_text["frühzeitig"] == ("Eva Klein", "2013-03-10T12:00:00Z")
    assert by_text["eng "] == ("Jan Meyer", "2013-05-01T12:00:00Z")
    assert any("halbjährlich" in text and who == "Jan Meyer" for _, who, _, text in found)
    assert any("Hospitationen" in text and who == "Eva Klein" for _, who, _, text in found)


def test_diff_docx_against_working_text_attributes_it_to_the_acting_person(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = history_repo(make_repo)
    _edit(root, "eng zusammen", "sehr eng zusammen")
    out = tmp_path / "work.docx"
    cli("-C", root, "agreement", "diff", "koop", "--docx", out)
    data = out.read_bytes()
    by_text = {text: (author, date) for _, author, date, text in changes(data)}
    assert by_text["sehr "] == ("Gisela Bernert", "2014-02-07T12:00:00Z")
    assert by_text["frühzeitig"] == ("Eva Klein", "2013-03-10T12:00:00Z")


def test_redline_and_rendered_agreement_open_in_libreoffice(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, soffice: str
) -> None:
    root = history_repo(make_repo)
    out = tmp_path / "redline.docx"
    cli("-C", root, "agreement", "diff", "koop", "v1", "--docx", out)
    assert convert_with_libreoffice(soffice, out, "pdf").stat().st_size > 1000
    odt = convert_with_libreoffice(soffice, out, "odt")
    with zipfile.ZipFile(odt) as archive:
        content = archive.read("content.xml").decode()
    assert "text:tracked-changes" in content
    assert "text:deletion" in content and "text:insertion" in content
    assert "Eva Klein" in content
    rendered = tmp_path / "koop.docx"
    result = cli("-C", root, "agreement", "render", "koop", "-o", rendered, "--pdf")
    assert rendered.with_suffix(".pdf").stat().st_size > 1000
    assert "koop.pdf" in result.stdout


def test_diff_docx_refuses_record_folder(make_repo: MakeRepo, cli: Cli) -> None:
    root = history_repo(make_repo)
    result = cli(
        "-C", root, "agreement", "diff", "koop", "v1", "--docx", root / "partners/x.docx", ok=False
    )
    assert result.exit_code == 2
    assert not (root / "partners/x.docx").exists()


def test_stamp_is_utc_iso() -> None:
    moment = datetime(2014, 3, 10, 13, 0, tzinfo=UTC).astimezone()
    assert Change("x", moment).stamp() == "2014-03-10T13:00:00Z"
