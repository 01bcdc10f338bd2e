"""The gettext catalogs are current and complete, and every --help speaks one language."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from babel.messages.pofile import read_po
from typer.main import get_command
from typer.testing import CliRunner

from coopkit.cli.main import app
from coopkit.errors import T
from coopkit.i18n import C_, LOCALE_DIR, Msg, _, gettext
from coopkit.i18n.glossary import ACTION_FIELDS, AGREEMENT_FIELDS, OBLIGATION_FIELDS

ROOT = Path(__file__).resolve().parent.parent


def load_catalog_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("catalog_script", ROOT / "scripts" / "catalog.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["catalog_script"] = module
    spec.loader.exec_module(module)
    return module


def read(domain: str, lang: str) -> Any:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po").open("rb") as stream:
        return read_po(stream, locale=lang)


def flat(text: str) -> str:
    return " ".join(text.split())


def commands() -> Iterator[tuple[list[str], Any]]:
    def walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        yield path, command
        for name in command.list_commands(None) if hasattr(command, "list_commands") else []:
            yield from walk(command.get_command(None, name), [*path, name])

    yield from walk(get_command(app), [])


def help_of(lang: str, path: list[str]) -> str:
    result = CliRunner().invoke(app, ["--lang", lang, *path, "--help"])
    assert result.exit_code == 0, result.output
    return result.stdout


def left_column(text: str) -> list[str]:
    """The usage line and the option/argument column (where metavars are)."""
    found = []
    for line in text.splitlines():
        if line.startswith(("Usage", "Aufruf")):
            found.append(line)
        elif line.startswith("  ") and not line.startswith("   "):
            found.append(re.split(r"\s{2,}", line.strip())[0])
    return found


def test_catalogs_are_current_and_complete() -> None:
    """extract == committed .pot, every msgid translated, .mo == compiled .po."""
    problems = load_catalog_script().problems()
    assert problems == [], "\n".join(
        ["run: PYTHONPATH=src python scripts/catalog.py extract update compile", *problems]
    )


def test_every_coopkit_text_has_english_and_every_framework_word_german() -> None:
    for domain, lang in (("coopkit", "en"), ("framework", "de")):
        untranslated = [m.id for m in read(domain, lang) if m.id and not m.string]
        assert untranslated == [], f"{domain} ({lang}): {untranslated}"


def test_help_of_every_command_is_english_under_lang_en() -> None:
    german = {
        m.id: m.string
        for m in read("coopkit", "en")
        if m.id and m.context is None and m.string != m.id
    }
    long_texts = {flat(msgid) for msgid in german if " " in msgid}
    words = {msgid for msgid in german if " " not in msgid and msgid.isupper()}
    failures = []
    for path, _command in commands():
        text = help_of("en", path)
        body = flat(text)
        left = " ".join(left_column(text))
        left_words = set(re.findall(r"[\w/|.-]+", left))
        found = [t for t in long_texts if t in body]
        found += sorted(words & left_words)
        if found:
            failures.append(f"coop {' '.join(path)} --help: {found}")
    assert failures == [], "\n".join(failures)


def test_help_of_every_command_has_no_english_framework_word_under_lang_de() -> None:
    checks: list[str] = []
    for message in read("framework", "de"):
        if not message.id or message.string == message.id:
            continue
        msgid = str(message.id)
        if "{" in msgid:
            # The fixed parts of a sentence with placeholders that are English for sure:
            # several words ("did you mean") or a label ("Allowed:"); a lone word may be German.
            parts = [p.strip(" '.;?") for p in re.split(r"\{[^}]*\}", msgid)]
            checks += [p for p in parts if " " in p or (p.endswith(":") and len(p) > 1)]
        elif " " in msgid or not msgid.isalpha():
            checks.append(msgid.strip())
        else:
            checks += [f"\n{msgid}:", f"{msgid}]"]
    failures = []
    for path, _command in commands():
        text = "\n" + help_of("de", path)
        found = [c.strip() for c in checks if c in text]
        if found:
            failures.append(f"coop {' '.join(path)} --help: {found}")
    assert failures == [], "\n".join(failures)


def test_catalog_text_translates_where_it_travels() -> None:
    assert gettext("Kooperationsvereinbarung", "en") == "Cooperation agreement"
    assert gettext("Kooperationsvereinbarung", "de") == "Kooperationsvereinbarung"
    assert gettext("Kooperationsvereinbarung", "fr") == "Kooperationsvereinbarung"
    assert C_("done", "erledigt").format("en") == "done"
    message = T("Freigabe: {m}", "approval: {m}", m=_("freigegeben (intern)"))
    assert message.format("de") == "Freigabe: freigegeben (intern)"
    assert message.format("en") == "approval: approved (internal)"
    assert isinstance(OBLIGATION_FIELDS["how"], Msg)


def test_field_labels_of_documents_come_from_the_glossary() -> None:
    from coopkit.services import checklist, documents, meeting_docs

    obligation = {
        "who": "by",
        "what": "what",
        "to_whom": "to",
        "how_often": "recurrence",
        "first_due": "first_due",
        "condition": "condition",
        "how": "how",
    }
    for key, field in obligation.items():
        assert documents.LABELS[key] is OBLIGATION_FIELDS[field]
    for key in ("who", "what", "due"):
        assert meeting_docs.LABELS[key] is ACTION_FIELDS[key]
    for key in ("who", "what"):
        assert checklist.CHECKLIST_LABELS[key] is ACTION_FIELDS[key]
    for lang in ("de", "en"):
        assert documents.labels(lang)["how"] == OBLIGATION_FIELDS["how"].format(lang)
    assert documents.labels("de")["how"] == "Weg"
    assert documents.labels("en")["how"] == "Channel"


def test_field_labels_of_the_command_line_come_from_the_glossary() -> None:
    from coopkit.cli import agreement

    for field in (*OBLIGATION_FIELDS, *AGREEMENT_FIELDS):
        label = OBLIGATION_FIELDS.get(field) or AGREEMENT_FIELDS[field]
        for lang in ("de", "en"):
            assert agreement._field_label(field, lang) == label.format(lang), field


def test_the_root_command_list_speaks_the_chosen_language() -> None:
    """`coop --help` lists the table's short help texts, translated like every other help text."""
    from coopkit.cli.main import COMMANDS

    english = help_of("en", [])
    german = help_of("de", [])
    for name, entry in COMMANDS.items():
        start = " ".join(entry.short_help.split())[:25]
        assert (start in german) != entry.hidden, name
        assert start not in english, f"coop --lang en --help lists {name} in German"
