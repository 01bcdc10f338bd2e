"""Whether an agreement can be released for signing: filled in, dated, every party represented."""

from __future__ import annotations

import re

from coopkit.errors import Problem, Source, T
from coopkit.model.agreement import Agreement
from coopkit.model.base import Located
from coopkit.model.repo import RepoData

PLACEHOLDER = re.compile(r"\[(?:Hier|Describe)\b[^\[\]]*\]")
"""A placeholder of the agreement skeleton: `[Hier … beschreiben.]`, `[Describe … here.]`.

Every placeholder `coop agreement new` writes starts so (a test holds the skeleton to it); a
placeholder wrapped over several lines by an editor is still one match.
"""


def _position(text: str, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _front_matter_end(text: str) -> int:
    """Return the line of the `---` that closes the front matter (1 when there is none)."""
    lines = text.split("\n")
    if lines and lines[0].rstrip() == "---":
        for number, line in enumerate(lines[1:], start=2):
            if line.rstrip() == "---":
                return number
    return 1


def check_placeholders(path: str, text: str) -> list[Problem]:
    """Return one problem per skeleton placeholder left in `text`, at its line and column."""
    problems = []
    for match in PLACEHOLDER.finditer(text):
        line, col = _position(text, match.start())
        shown = " ".join(match.group(0).split())
        problems.append(
            Problem(
                Source(path, line, col),
                T(
                    "Platzhalter aus dem Gerüst nicht ausgefüllt: „{p}“; hier gehört der "
                    "vereinbarte Text hin",
                    'placeholder from the skeleton not filled in: "{p}"; the agreed text '
                    "belongs here",
                    p=shown,
                ),
                "placeholder",
            )
        )
    return problems


def check_releasable(located: Located[Agreement], text: str, data: RepoData) -> list[Problem]:
    """Check what a text to be signed needs: no placeholder, `valid_from`, each party's signatory.

    Args:
        located: the agreement as parsed from `text`.
        text: the agreement file's text (LF line endings, no BOM), for the placeholders' places.
        data: the records the agreement is released with (its parties' partner files).
    """
    agreement = located.value
    problems = check_placeholders(located.path, text)
    if agreement.valid_from is None:
        problems.append(
            Problem(
                Source(located.path, _front_matter_end(text), 1),
                T(
                    "„valid_from“ fehlt: ab wann die Vereinbarung gilt, erwartet im Kopf z. B. "
                    "„valid_from: 2014-03-01“ (coop agreement set {a} valid_from 2014-03-01)",
                    '"valid_from" is missing: from when the agreement applies, expected in the '
                    'head, e.g. "valid_from: 2014-03-01" (coop agreement set {a} valid_from '
                    "2014-03-01)",
                    a=agreement.id,
                ),
                "release-field",
            )
        )
    for party in dict.fromkeys(agreement.parties):
        found = data.partners.get(party)
        if found is None or (found.value.representative or "").strip():
            continue  # An unknown partner is a problem `coop check` already reports.
        partner = found.value
        anchor = "representative" if partner.representative is not None else None
        anchor = anchor or ("represented_by" if partner.represented_by else "name")
        problems.append(
            Problem(
                Source(found.path, found.at(anchor).line, 1),
                T(
                    "{p}: keine vertretungsberechtigte Person („representative“), die {a} "
                    "unterschreibt; erwartet z. B. „representative: Dr. Erika Muster“ "
                    "(coop partner set {p} representative …)",
                    '{p}: no authorised representative ("representative") to sign {a}; '
                    'expected e.g. "representative: Dr. Erika Muster" (coop partner set {p} '
                    "representative …)",
                    p=party,
                    a=agreement.id,
                ),
                "release-field",
            )
        )
    return problems
