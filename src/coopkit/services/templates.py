"""The Word templates coopkit knows: their names, titles and the variables they may use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from coopkit.errors import NotFound, Problem, Source, T, UsageError
from coopkit.i18n import N_, gettext
from coopkit.queries.context import Context
from coopkit.store import layout


@dataclass(frozen=True)
class TemplateSpec:
    """A template name, its description in both languages and the top-level variables it gets."""

    name: str
    description: str
    """What the template is for, in German (the msgid; its English is in the catalog)."""
    sample: Callable[[str], dict[str, Any]]
    """Build a sample render context (by language) with the real context builder."""

    @cached_property
    def variables(self) -> frozenset[str]:
        """Return the top-level variables the template gets: those of its render context."""
        return frozenset(self.sample("de"))

    def title(self, lang: str) -> str:
        """Return the description in `lang`."""
        return gettext(self.description, lang)


def _agreement_sample(lang: str) -> dict[str, Any]:
    from coopkit.services.documents import sample_agreement_context

    return sample_agreement_context(lang)


def _meeting_sample(lang: str) -> dict[str, Any]:
    from coopkit.services.meeting_docs import sample_meeting_context

    return sample_meeting_context(lang)


def _reminder_sample(lang: str) -> dict[str, Any]:
    from coopkit.services.remind import sample_reminder_context

    return sample_reminder_context(lang)


def _checklist_sample(lang: str) -> dict[str, Any]:
    from coopkit.services.checklist import sample_checklist_context

    return sample_checklist_context(lang)


def _report_sample(lang: str) -> dict[str, Any]:
    from coopkit.services.report import sample_report_context

    return sample_report_context(lang)


def _privacy_sample(lang: str) -> dict[str, Any]:
    from coopkit.services.privacy import sample_privacy_context

    return sample_privacy_context(lang)


TEMPLATES: dict[str, TemplateSpec] = {
    "invitation.docx": TemplateSpec(
        "invitation.docx",
        N_("Einladung mit Datum, Uhrzeit, Ort, Tagesordnung und Teilnehmenden"),
        _meeting_sample,
    ),
    "cancellation.docx": TemplateSpec(
        "cancellation.docx",
        N_("Absage einer Sitzung mit Datum, Uhrzeit, Ort und Grund"),
        _meeting_sample,
    ),
    "cancellation.md.j2": TemplateSpec(
        "cancellation.md.j2",
        N_("Absage als Markdown"),
        _meeting_sample,
    ),
    "minutes.docx": TemplateSpec(
        "minutes.docx",
        N_("Niederschrift mit Kopf, Anwesenheit, TOPs, Beschlüssen, Aufgabentabelle und Verteiler"),
        _meeting_sample,
    ),
    "invitation.md.j2": TemplateSpec(
        "invitation.md.j2",
        N_("Einladung als Markdown"),
        _meeting_sample,
    ),
    "mail-invitation.txt.j2": TemplateSpec(
        "mail-invitation.txt.j2",
        N_("E-Mail zur Einladung: erste Zeile Betreff, dann der Text (coop meeting invite)"),
        _meeting_sample,
    ),
    "mail-minutes.txt.j2": TemplateSpec(
        "mail-minutes.txt.j2",
        N_("E-Mail zur Niederschrift: erste Zeile Betreff, dann der Text (meeting send --mail)"),
        _meeting_sample,
    ),
    "mail-reminder.txt.j2": TemplateSpec(
        "mail-reminder.txt.j2",
        N_("E-Mail zur Erinnerung: erste Zeile Betreff, dann der Text (coop remind)"),
        _reminder_sample,
    ),
    "minutes.md.j2": TemplateSpec(
        "minutes.md.j2",
        N_("Niederschrift als Markdown"),
        _meeting_sample,
    ),
    "agreement.docx": TemplateSpec(
        "agreement.docx",
        N_("Kooperationsvereinbarung mit Parteien, Paragraphen, Pflichten und Freigabeblock"),
        _agreement_sample,
    ),
    "checklist.docx": TemplateSpec(
        "checklist.docx",
        N_("Checkliste je Partner: offene Aufgaben und Pflichten mit Kästchen und Quelle"),
        _checklist_sample,
    ),
    "checklist.md.j2": TemplateSpec(
        "checklist.md.j2",
        N_("Checkliste als Markdown (- [ ] je Punkt)"),
        _checklist_sample,
    ),
    "report.docx": TemplateSpec(
        "report.docx",
        N_("Evaluationsbericht: Pflichten je Partner mit Grafik, Sitzungen, Beschlüsse, Aufgaben"),
        _report_sample,
    ),
    "report.md.j2": TemplateSpec(
        "report.md.j2",
        N_("Evaluationsbericht als Markdown"),
        _report_sample,
    ),
    "privacy.docx": TemplateSpec(
        "privacy.docx",
        N_("Verzeichnis personenbezogener Daten (Art. 30 DSGVO) je Kategorie mit Fristen"),
        _privacy_sample,
    ),
}


JINJA_GLOBALS = frozenset(
    {"lang", "range", "dict", "lipsum", "cycler", "joiner", "namespace", "loop"}
)
"""Names the environment provides; a template may use them without the context giving them."""

TEMPLATE_SUFFIXES = (".docx", ".md.j2", ".txt.j2")


@dataclass(frozen=True)
class TemplateInfo:
    """One template as `coop template list` shows it."""

    name: str
    title: str
    in_effect: str
    """"repository" (templates/ of the repository), "shipped" (the default), or "missing"."""
    repository: bool
    shipped: bool
    path: str


def _names_in(folder: Path) -> set[str]:
    if not folder.is_dir():
        return set()
    # Links and special files count as present, so that checking them reports them.
    return {
        p.name
        for p in folder.iterdir()
        if (p.is_symlink() or not p.is_dir()) and p.name.endswith(TEMPLATE_SUFFIXES)
    }


def list_templates(ctx: Context) -> list[TemplateInfo]:
    """Return every known template: registered, in the repository's templates/, or shipped."""
    own_dir = ctx.root / layout.TEMPLATES
    shipped_dir = layout.default_templates()
    own, shipped = _names_in(own_dir), _names_in(shipped_dir)
    result = []
    for name in sorted(set(TEMPLATES) | own | shipped):
        spec = TEMPLATES.get(name)
        if name in own:
            in_effect, path = "repository", f"{layout.TEMPLATES}/{name}"
        elif name in shipped:
            in_effect, path = "shipped", str(shipped_dir / name)
        else:
            in_effect, path = "missing", ""
        title = spec.title(ctx.lang) if spec else ""
        result.append(TemplateInfo(name, title, in_effect, name in own, name in shipped, path))
    return result


@dataclass(frozen=True)
class ExportResult:
    """Where an exported template went, and the commit when it went into the repository."""

    path: Path
    commit: str | None


def _known(ctx: Context) -> str:
    return ", ".join(sorted(_names_in(layout.default_templates()))) or "—"


def export_template(
    ctx: Context,
    name: str,
    output: Path | None = None,
    *,
    force: bool = False,
    when: date | None = None,
) -> ExportResult:
    """Copy a shipped default template for editing: into templates/ (one commit) or to a file."""
    from coopkit.services.repository import commit_changes

    source = layout.default_templates() / name
    if "/" in name or "\\" in name or not source.is_file():
        raise NotFound(
            T(
                "keine mitgelieferte Vorlage „{n}“; vorhanden: {k}",
                'no shipped template "{n}"; available: {k}',
                n=name,
                k=_known(ctx),
            )
        )
    target = (output or ctx.root / layout.TEMPLATES / name).absolute()
    root = ctx.root.resolve()
    if target.exists() and not force:
        raise UsageError(
            T(
                "{p} gibt es schon; mit --force überschreiben",
                "{p} exists already; overwrite it with --force",
                p=str(target),
            )
        )
    data = source.read_bytes()
    if target.resolve().is_relative_to(root):
        relative = target.resolve().relative_to(root).as_posix()
        if relative != f"{layout.TEMPLATES}/{target.name}":
            raise UsageError(
                T(
                    "im Repository gehört eine Vorlage nach {t}/, nicht nach {p}",
                    "inside the repository a template belongs in {t}/, not {p}",
                    t=layout.TEMPLATES,
                    p=relative,
                )
            )
        result = commit_changes(
            ctx,
            {relative: data},
            T(
                "Vorlage {n} zum Bearbeiten übernommen",
                "Export template {n} for editing",
                n=name,
            ),
            when,
        )
        return ExportResult(target, result.commit)
    from coopkit.services.outputs import write_output

    # Outside the repository: walked like every output (no link inside the repository).
    return ExportResult(write_output(ctx, target, data), None)


def _problem(path: str, de: str, en: str, **params: Any) -> Problem:
    return Problem(Source(path), T(de, en, **params), "template")


def _check_markdown(
    path: Path, shown: str, spec: TemplateSpec | None, lang: str = "de"
) -> list[Problem]:
    from coopkit.errors import TemplateError
    from coopkit.render.markdown import markdown_syntax, render_markdown

    try:
        variables, syntax = markdown_syntax(path)
    except TemplateError as err:
        return [Problem(Source(shown), _without_name(err.message, path.name), "template")]
    if syntax:
        return [
            Problem(
                Source(shown, line),
                T("fehlerhaftes Template-Tag ({m})", "broken template tag ({m})", m=message),
                "template",
            )
            for line, message in syntax
        ]
    if spec is None:
        return []
    problems = [
        _problem(
            shown,
            "unbekannte Variable „{v}“; bekannt: {k}",
            'unknown variable "{v}"; known: {k}',
            v=v,
            k=", ".join(sorted(spec.variables)),
        )
        for v in sorted(variables - spec.variables - JINJA_GLOBALS)
    ]
    if not problems:
        try:
            render_markdown(path, spec.sample(lang), lang)
        except TemplateError as err:
            problems.append(
                _problem(
                    shown, "Probe-Ausgabe scheitert: {m}", "sample render fails: {m}", m=err.message
                )
            )
    return problems


def _without_name(message: T, name: str) -> T:
    """Drop the `name: ` prefix render messages carry; the problem's source names the file."""
    prefix = f"{name}: "
    return T(message.format("de").removeprefix(prefix), message.format("en").removeprefix(prefix))


def _check_docx(path: Path, shown: str, spec: TemplateSpec | None, lang: str) -> list[Problem]:
    from coopkit.errors import TemplateError
    from coopkit.render.docx import render_docx, template_variables

    try:
        variables, syntax = template_variables(path)
    except TemplateError as err:
        return [Problem(Source(shown), _without_name(err.message, path.name), "template")]
    if syntax:
        # A render attempt reports the paragraph text around the broken tag.
        try:
            render_docx(path, {}, lang)
        except TemplateError as err:
            return [Problem(Source(shown), _without_name(err.message, path.name), "template")]
        return [
            _problem(shown, "fehlerhaftes Template-Tag: {m}", "broken template tag: {m}", m=s)
            for s in syntax
        ]
    if spec is None:
        return []
    unknown = sorted(variables - spec.variables - JINJA_GLOBALS)
    problems = [
        _problem(
            shown,
            "unbekannte Variable „{v}“; bekannt: {k}",
            'unknown variable "{v}"; known: {k}',
            v=v,
            k=", ".join(sorted(spec.variables)),
        )
        for v in unknown
    ]
    if not problems:
        try:
            render_docx(path, spec.sample(lang), lang)
        except TemplateError as err:
            problems.append(
                _problem(
                    shown, "Probe-Ausgabe scheitert: {m}", "sample render fails: {m}", m=err.message
                )
            )
    return problems


def check_templates(ctx: Context, name: str | None = None) -> list[Problem]:
    """Find unknown variables and broken tags in the templates in effect (or in one of them)."""
    infos = list_templates(ctx)
    if name is not None:
        infos = [i for i in infos if i.name == name]
        if not infos:
            raise NotFound(
                T(
                    "keine Vorlage „{n}“; bekannt: {k}",
                    'no template "{n}"; known: {k}',
                    n=name,
                    k=", ".join(i.name for i in list_templates(ctx)),
                )
            )
    problems: list[Problem] = []
    for info in infos:
        shown = f"{layout.TEMPLATES}/{info.name}"
        spec = TEMPLATES.get(info.name)
        if info.in_effect == "missing":
            problems.append(
                _problem(
                    shown,
                    "Vorlage fehlt (weder im Repository noch mitgeliefert)",
                    "template missing (neither in the repository nor shipped)",
                )
            )
            continue
        path = layout.resolve_template(ctx.root, info.name)
        if info.name.endswith((".md.j2", ".txt.j2")):
            problems += _check_markdown(path, shown, spec, ctx.lang)
        else:
            problems += _check_docx(path, shown, spec, ctx.lang)
    return problems
