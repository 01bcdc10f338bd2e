from __future__ import annotations

from pathlib import Path

from conftest import REPO_ROOT, Cli, MakeRepo
from coopkit.render.docx import render_docx, template_variables
from coopkit.render.markdown import markdown_variables, render_markdown
from coopkit.services.templates import TEMPLATES
from docx_helpers import assert_valid_docx, convert_with_libreoffice, document_text

MEETING = "2014-02-05-evaluation"

MINUTES = """\
    ---
    id: 2014-02-05-evaluation
    title: Evaluationsgespräch
    agreements: [koop]
    date: 2014-02-05
    start: "14:00"
    end: "16:30"
    place: Kreisverwaltung, Sitzungssaal
    chair: kreis/bernert
    minute_taker: kreis/bernert
    status: sent
    sent: 2014-02-12
    attendance:
      present:
        - kreis/bernert
        - jobcenter/meyer
      excused:
        - caritas/klein
      guests:
        - name: Ralf Simon
          org: Bundesamt für Migration & Flüchtlinge <Regionalstelle>
    tops:
      - title: Begrüßung
        notes: |
          Die Leitung begrüßt alle.

          - erster Punkt
      - title: Sprachförderung über Grundkenntnisse hinaus
        decisions:
          - Die Partner informieren gemeinsam über Sprachkurse.
        actions:
          - id: 1
            who: jobcenter/meyer
            what: Fördermöglichkeiten schriftlich beschreiben
            due: 2014-03-31
    distribution: [kreis, jobcenter, caritas]
    ---
    """


def test_minutes_and_invitation_render_and_open_in_libreoffice(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path, soffice: str
) -> None:
    root = make_repo({f"minutes/{MEETING}.md": MINUTES})
    minutes = tmp_path / "niederschrift.docx"
    invitation = tmp_path / "einladung.docx"
    cli("-C", root, "meeting", "render", MEETING, "-o", minutes)
    cli("-C", root, "meeting", "render", MEETING, "--invitation", "-o", invitation)
    data = minutes.read_bytes()
    assert_valid_docx(data, tmp_path, "m.docx")
    text = document_text(data)
    for expected in (
        "Niederschrift: Evaluationsgespräch",
        "5. Februar 2014",
        "Gisela Bernert (Kreisverwaltung Beispielkreis)",
        "Jan Meyer (Jobcenter Beispielkreis)",
        "Eva Klein (Caritasverband Beispiel e. V.)",
        "Ralf Simon, Bundesamt für Migration & Flüchtlinge <Regionalstelle>",
        "Beschluss: Die Partner informieren gemeinsam über Sprachkurse.",
        "Wer",
        "Bis wann",
        "Fördermöglichkeiten schriftlich beschreiben",
        "31.03.2014",
        "erster Punkt",
    ):
        assert expected in text, expected
    assert "2014-02-05-evaluation#1" not in text
    assert "Sitzungsleitung, Integrationsbeauftragte" in text
    invite = invitation.read_bytes()
    assert_valid_docx(invite, tmp_path, "i.docx")
    invite_text = document_text(invite)
    assert "Einladung: Evaluationsgespräch" in invite_text
    assert "14:00–16:30 Uhr" in invite_text
    assert "TOP 2" in invite_text
    assert "Sprachförderung über Grundkenntnisse hinaus" in invite_text
    assert "Mit freundlichen Grüßen" in invite_text
    for path in (minutes, invitation):
        pdf = convert_with_libreoffice(soffice, path)
        assert pdf.read_bytes().startswith(b"%PDF")


def test_minutes_render_as_markdown_in_english(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({f"minutes/{MEETING}.md": MINUTES})
    out = cli("-C", root, "--lang", "en", "meeting", "render", MEETING, "--format", "md").stdout
    assert "# Minutes: Evaluationsgespräch" in out
    assert "| Who | What | Due |" in out
    assert "| Jan Meyer (Jobcenter Beispielkreis) | Fördermöglichkeiten schriftlich" in out
    assert "**Decision:** Die Partner informieren gemeinsam über Sprachkurse." in out
    assert "**Excused:** Eva Klein (Caritasverband Beispiel e. V.)" in out
    german = cli("-C", root, "meeting", "render", MEETING, "--format", "md").stdout
    assert "| Wer | Was | Bis wann |" in german
    assert "*Stand: versandt am 12.02.2014, noch nicht genehmigt*" in german


def test_english_repository_renders_english_word_labels(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    root = make_repo(
        {"coop.toml": 'name = "Test"\nlocale = "en"\n', f"minutes/{MEETING}.md": MINUTES}
    )
    target = tmp_path / "minutes.docx"
    cli("-C", root, "meeting", "render", MEETING, "-o", target)
    text = document_text(target.read_bytes())
    assert "Minutes: Evaluationsgespräch" in text and "5 February 2014" in text
    assert "Who" in text and "Due" in text and "31/03/2014" in text


def test_meeting_templates_use_only_registered_variables() -> None:
    for name, base in (("minutes.docx", "minutes"), ("invitation.docx", "invitation")):
        spec = TEMPLATES[name]
        used, problems = template_variables(REPO_ROOT / "templates" / name)
        assert not problems and used <= spec.variables, used - spec.variables
        md_used, md_problems = markdown_variables(REPO_ROOT / "templates" / f"{base}.md.j2")
        assert not md_problems and md_used <= spec.variables
        assert spec.sample is not None
        for lang in ("de", "en"):
            context = spec.sample(lang)
            render_docx(REPO_ROOT / "templates" / name, context, lang)
            render_markdown(REPO_ROOT / "templates" / f"{base}.md.j2", context, lang)


def test_render_refuses_unknown_format(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo({f"minutes/{MEETING}.md": MINUTES})
    result = cli("-C", root, "meeting", "render", MEETING, "--format", "odt", ok=False)
    assert result.exit_code == 2
