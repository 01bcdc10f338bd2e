"""One term per field: the label every document and every command shows for a record's field.

A field is named the same way wherever it appears (agreement document, minutes, checklist,
`coop agreement diff`, help texts); the German term is the msgid, its English is in the
catalog. The glossary with the reasons for each choice is in `locale/README.md`.
"""

from __future__ import annotations

from coopkit.i18n import Msg, _

OBLIGATION_FIELDS: dict[str, Msg] = {
    "clause": _("Paragraph"),
    "by": _("Wer"),
    "to": _("an wen"),
    "what": _("Was"),
    "recurrence": _("wie oft"),
    "first_due": _("erste Fälligkeit"),
    "condition": _("Bedingung"),
    "how": _("Weg"),
}
"""An obligation's fields (`model.compare.OBLIGATION_FIELDS`) and their labels."""

AGREEMENT_FIELDS: dict[str, Msg] = {
    "title": _("Titel"),
    "parties": _("Parteien"),
    "coordinator": _("Koordination"),
    "valid_from": _("gültig ab"),
    "valid_until": _("gültig bis"),
    "review_cycle": _("Überprüfung"),
    "notice_period": _("Kündigungsfrist"),
    "on_notice": _("Wirkung einer Kündigung"),
}
"""An agreement's front-matter fields and their labels."""

ACTION_FIELDS: dict[str, Msg] = {
    "who": _("Wer"),
    "what": _("Was"),
    "due": _("Bis wann"),
}
"""An action item's fields (Wer / Was / Bis wann) and their labels."""

FULFILMENT_STATUS: dict[str, Msg] = {
    "fulfilled": _("erfüllt"),
    "partly": _("teilweise"),
    "missed": _("versäumt"),
    "waived": _("erlassen"),
}
"""The status of a fulfilment record and its word."""


def field_label(kind: str, field: str, lang: str) -> str:
    """Return the label of `field` of a record `kind` (obligation, agreement, action)."""
    table = {
        "obligation": OBLIGATION_FIELDS,
        "agreement": AGREEMENT_FIELDS,
        "action": ACTION_FIELDS,
    }[kind]
    label = table.get(field)
    return label.format(lang) if label is not None else field
