import subprocess
from pathlib import Path

import pytest

from conftest import Cli, MakeRepo, git_env, tree_state
from docx_helpers import assert_valid_docx, document_text

SIGNOFF = """\
    agreement: koop
    version: v1
    partner: kreis
    signatory: Dr. Anna Schulz
    function: Landrätin
    place: Koblenz
    date: 2013-01-15
    method: internal
    content_hash: {hash}
    """


def koop_hash() -> str:
    """The content hash of the base repository's agreement koop."""
    import textwrap

    from conftest import BASE_FILES
    from coopkit.signing.hashing import content_hash
    from coopkit.store.codec import parse_agreement
    from coopkit.store.text import decode_text

    raw = textwrap.dedent(BASE_FILES["agreements/koop/agreement.md"]).encode()
    textfile, _ = decode_text("agreements/koop/agreement.md", raw)
    assert textfile is not None
    located, _ = parse_agreement(textfile)
    assert located is not None
    return content_hash(located.value)


NASTY_PARTNER = """\
    id: caritas
    name: Müller & Söhne <Beratung> "gGmbH" 'Nord'
    short: M&S
    represented_by: Vorstand
    address:
      street: Hauptstraße 1 & 2
      postcode: "01067"
      city: Dresden
    """


def released(make_repo: MakeRepo, files: dict[str, str] | None = None) -> Path:
    root = make_repo(files, approve=False)
    env = {**git_env(), "GIT_COMMITTER_DATE": "2013-01-01T12:00:00+00:00"}
    subprocess.run(
        ["git", "tag", "-a", "koop/v1", "-m", "Release v1"], cwd=root, env=env, check=True
    )
    return root


def approve_kreis(root: Path) -> None:
    """Record kreis's approval of koop v1 (dated 15 January 2013) in a commit of 16 January."""
    path = root / "agreements/koop/signoffs/v1/kreis.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "\n".join(line.strip() for line in SIGNOFF.format(hash=koop_hash()).splitlines()) + "\n"
    )
    env = {
        **git_env(),
        "GIT_AUTHOR_DATE": "2013-01-16T12:00:00+00:00",
        "GIT_COMMITTER_DATE": "2013-01-16T12:00:00+00:00",
    }
    subprocess.run(["git", "add", "--", str(path)], cwd=root, env=env, check=True)
    subprocess.run(["git", "commit", "-qm", "Freigabe"], cwd=root, env=env, check=True)


def test_render_writes_valid_docx_with_parties_clauses_obligations(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo(approve=False)
    before = tree_state(root)
    out = tmp_path / "koop.docx"
    result = cli("-C", root, "agreement", "render", "koop", "-o", out)
    assert str(out) in result.stdout
    data = out.read_bytes()
    assert_valid_docx(data, tmp_path)
    text = document_text(data)
    assert "Kooperationsvereinbarung Integration" in text
    assert "Kreisverwaltung Beispielkreis" in text
    assert "vertreten durch Landrat" in text
    assert "§ 2 Leistungen" in text
    assert "(1) Die Caritas informiert vierteljährlich." in text
    assert "Über aktuelle Beratungsangebote informieren" in text
    assert "vierteljährlich" in text and "31.03.2013" in text
    assert text.count("ausstehend") == 3
    assert "Entwurf (7. Februar 2014)" in text
    assert "{{" not in text and "{%" not in text
    assert tree_state(root) == before


def test_render_version_shows_signoffs_and_pending(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = released(make_repo)
    approve_kreis(root)
    out = tmp_path / "v1.docx"
    cli("-C", root, "agreement", "render", "koop", "--version", "v1", "-o", out)
    text = document_text(out.read_bytes())
    assert "freigegeben am 15. Januar 2013 von Dr. Anna Schulz (Landrätin), Koblenz" in text
    assert text.count("ausstehend") == 2
    assert "Fassung v1" in text
    assert "sha256:" in text


def test_render_working_text_equal_to_latest_version_shows_its_signoffs(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = released(make_repo)
    approve_kreis(root)
    out = tmp_path / "now.docx"
    cli("-C", root, "agreement", "render", "koop", "-o", out)
    assert "freigegeben am 15. Januar 2013" in document_text(out.read_bytes())
    text = (root / "agreements/koop/agreement.md").read_text()
    (root / "agreements/koop/agreement.md").write_text(text.replace("früh", "frühzeitig"))
    cli("-C", root, "agreement", "render", "koop", "-o", out)
    assert document_text(out.read_bytes()).count("ausstehend") == 3


def test_render_keeps_special_characters_and_german_quotes_intact(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo(approve=False, files={"partners/caritas.yaml": NASTY_PARTNER})
    path = root / "agreements/koop/agreement.md"
    path.write_text(
        path.read_text().replace(
            "Zuwanderer früh unterstützen.",
            "Zuwanderer „früh“ & <sofort> \"direkt\" 'gern' unterstützen.",
        )
    )
    out = tmp_path / "nasty.docx"
    cli("-C", root, "agreement", "render", "koop", "-o", out)
    data = out.read_bytes()
    assert_valid_docx(data, tmp_path)
    text = document_text(data)
    assert "Müller & Söhne <Beratung> \"gGmbH\" 'Nord'" in text
    assert "Hauptstraße 1 & 2, 01067 Dresden" in text
    assert "Zuwanderer „früh“ & <sofort> \"direkt\" 'gern' unterstützen." in text
    assert "M&S" in text


def test_render_in_english_uses_english_labels(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo(approve=False, files={"coop.toml": 'name = "Test"\nlocale = "en"\n'})
    out = tmp_path / "en.docx"
    cli("-C", root, "agreement", "render", "koop", "-o", out)
    text = document_text(out.read_bytes())
    assert "represented by Landrat" in text
    assert "pending" in text and "ausstehend" not in text
    assert "quarterly" in text and "31/03/2013" in text


def test_render_default_output_is_in_current_directory(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(approve=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    cli("-C", root, "agreement", "render", "koop")
    assert (work / "koop.docx").is_file()


def test_render_refuses_output_in_record_folder(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(approve=False)
    before = tree_state(root)
    result = cli(
        "-C", root, "agreement", "render", "koop", "-o", root / "agreements/koop/out.docx", ok=False
    )
    assert result.exit_code == 2
    assert "Ordner „agreements/“" in result.stderr
    assert tree_state(root) == before


def test_render_unknown_version_names_released_ones(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = released(make_repo)
    result = cli(
        "-C",
        root,
        "agreement",
        "render",
        "koop",
        "--version",
        "v7",
        "-o",
        tmp_path / "x.docx",
        ok=False,
    )
    assert result.exit_code == 6
    assert "v7" in result.stderr and "v1" in result.stderr


def test_render_unknown_agreement_is_not_found(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo(approve=False)
    result = cli("-C", root, "agreement", "render", "nope", "-o", tmp_path / "x.docx", ok=False)
    assert result.exit_code == 6


def test_render_pdf_without_libreoffice_explains_and_keeps_docx(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coopkit.render import pdf

    monkeypatch.setattr(pdf, "find_soffice", lambda: None)
    root = make_repo(approve=False)
    out = tmp_path / "koop.docx"
    result = cli("-C", root, "agreement", "render", "koop", "-o", out, "--pdf", ok=False)
    assert result.exit_code == 7
    assert "LibreOffice ist nicht installiert" in result.stderr
    assert out.is_file()


def test_render_reports_broken_repository_template(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo(approve=False, files={"templates/agreement.docx": b"not a zip"})
    result = cli("-C", root, "agreement", "render", "koop", "-o", tmp_path / "x.docx", ok=False)
    assert result.exit_code == 7
    assert "keine Word-Datei" in result.stderr
