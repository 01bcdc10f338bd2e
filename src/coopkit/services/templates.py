"""The Word templates coopkit knows: their names, titles and the variables they may use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TemplateSpec:
    """A template name, its description in both languages and the top-level variables it gets."""

    name: str
    title_de: str
    title_en: str
    variables: frozenset[str]
    sample: Callable[[str], dict[str, Any]] | None = None
    """Build a sample render context (by language) so `coop template check` can try a render."""

    def title(self, lang: str) -> str:
        """Return the description in `lang`."""
        return self.title_en if lang == "en" else self.title_de


def _agreement_sample(lang: str) -> dict[str, Any]:
    from coopkit.services.documents import sample_agreement_context

    return sample_agreement_context(lang)


AGREEMENT_VARIABLES = frozenset(
    {
        "name",
        "labels",
        "id",
        "title",
        "version",
        "version_label",
        "content_hash",
        "today",
        "today_iso",
        "valid_from",
        "valid_from_iso",
        "valid_until",
        "valid_until_iso",
        "term",
        "coordinator",
        "parties",
        "preamble",
        "clauses",
        "obligations",
        "signatures",
        "in_force",
    }
)


def _meeting_sample(lang: str) -> dict[str, Any]:
    from coopkit.services.meeting_docs import sample_meeting_context

    return sample_meeting_context(lang)


MEETING_VARIABLES = frozenset(
    {
        "name", "labels", "lang_code", "id", "title", "date", "date_iso", "date_short",
        "start", "end", "time", "place", "chair", "minute_taker", "status", "status_note",
        "agreements", "present", "excused", "guests", "participants", "tops", "actions",
        "decisions", "distribution", "remarks", "today",
    }
)

TEMPLATES: dict[str, TemplateSpec] = {
    "invitation.docx": TemplateSpec(
        "invitation.docx",
        "Einladung mit Datum, Uhrzeit, Ort, Tagesordnung und Teilnehmenden",
        "Invitation with date, time, place, agenda and participants",
        MEETING_VARIABLES,
        _meeting_sample,
    ),
    "minutes.docx": TemplateSpec(
        "minutes.docx",
        "Niederschrift mit Kopf, Anwesenheit, TOPs, Beschlüssen, Aufgabentabelle und Verteiler",
        "Minutes with head, attendance, items, decisions, action table and distribution",
        MEETING_VARIABLES,
        _meeting_sample,
    ),
    "agreement.docx": TemplateSpec(
        "agreement.docx",
        "Kooperationsvereinbarung mit Parteien, Paragraphen, Pflichten und Freigabeblock",
        "Cooperation agreement with parties, clauses, obligations and approval block",
        AGREEMENT_VARIABLES,
        _agreement_sample,
    ),
}
