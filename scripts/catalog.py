"""Keep coopkit's gettext catalogs current: extract, update, compile, check.

    python scripts/catalog.py extract   # write locale/<domain>.pot from the sources
    python scripts/catalog.py update    # merge the .pot into each .po (new texts untranslated)
    python scripts/catalog.py compile   # write each .po as .mo (what coop reads)
    python scripts/catalog.py check     # exit 1 when a catalog is stale or a text untranslated

Two domains (see coopkit/i18n): `coopkit` (German msgids, `en` catalog) and `framework`
(English msgids of typer/click, `de` catalog). The `coopkit` texts come from two places:
Babel's extractor over `src/coopkit` for the markers `_()`, `N_()` and `gettext()`, and a walk
of the command tree (`typer.main.get_command`) for the help texts, epilogs and metavars that
stay plain German strings where the commands declare them. The walk does not care which module
declares a command. Run from the repository root with the package importable
(`PYTHONPATH=src`).
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "coopkit"
LOCALE = PACKAGE / "i18n" / "locale"
TRANSLATED = {"coopkit": "en", "framework": "de"}
"""Each domain and the one language its catalog translates into."""

KEYWORDS = {"_": None, "N_": None, "C_": ((1, "c"), 2), "gettext": (1,), "pgettext": ((1, "c"), 2)}
FRAMEWORK_KEYWORDS = {"_": None, "F_": None, "_say": None}
PROJECT = "coopkit"
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def pot_path(domain: str) -> Path:
    """Return the template (.pot) of `domain`."""
    return LOCALE / f"{domain}.pot"


def po_path(domain: str) -> Path:
    """Return the translation (.po) of `domain`."""
    return LOCALE / TRANSLATED[domain] / "LC_MESSAGES" / f"{domain}.po"


def mo_path(domain: str) -> Path:
    """Return the compiled translation (.mo) of `domain`."""
    return po_path(domain).with_suffix(".mo")


def _new_catalog(locale: str | None = None) -> Catalog:
    return Catalog(
        locale=locale,
        project=PROJECT,
        version="",
        copyright_holder="coopkit",
        msgid_bugs_address="",
        fuzzy=False,
    )


def _add(catalog: Catalog, msgid: str, comment: str, context: str | None = None) -> None:
    if not msgid.strip():
        return
    existing = catalog.get(msgid, context=context)
    if existing is None:
        catalog.add(msgid, auto_comments=[comment], context=context)
    elif comment not in existing.auto_comments:
        existing.auto_comments.append(comment)


def _source_messages() -> Iterator[tuple[str, str] | tuple[str, str, str | None]]:
    """Yield (msgid, where, context) for every marked text in src/coopkit (Babel's extractor)."""
    for filename, _lineno, message, _comments, context in extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=(),
        strip_comment_tags=True,
    ):
        if isinstance(message, str):
            yield message, f"src/coopkit/{filename}", context


def _walk(command: Any, path: list[str]) -> Iterator[tuple[Any, list[str]]]:
    yield command, path
    context = None
    names = command.list_commands(context) if hasattr(command, "list_commands") else []
    for name in names:
        sub = command.get_command(context, name)
        if sub is not None:
            yield from _walk(sub, [*path, name])


def command_texts() -> Iterator[tuple[str, str]]:
    """Yield (msgid, where) for every help text, epilog and metavar of the command tree."""
    from typer.main import get_command

    from coopkit.cli.main import app

    for command, path in _walk(get_command(app), ["coop"]):
        where = " ".join(path)
        for attribute in ("help", "short_help", "epilog"):
            value = getattr(command, attribute, None)
            if isinstance(value, str):
                yield value, f"{where} ({attribute})"
        for param in command.params:
            name = param.opts[0] if param.opts else param.name
            if getattr(param, "help", None):
                yield param.help, f"{where} {name}"
            if param.metavar:
                yield from (
                    (word, f"{where} {name} (metavar)") for word in _metavar_words(param.metavar)
                )


def _metavar_words(metavar: str) -> Iterable[str]:
    core = metavar.strip("[]").removesuffix("...")
    return [core] if core else []


def _framework_messages() -> Iterator[tuple[str, str]]:
    """Yield (msgid, where) for typer's gettext texts and framework.py's `F_()` words."""
    import typer.core

    core = Path(typer.core.__file__)
    for _lineno, message, _comments, _context in extract_from_file(
        "python", str(core), keywords={"_": None}
    ):
        if isinstance(message, str):
            yield message, "typer/core.py"
    framework = PACKAGE / "cli" / "framework.py"
    for _lineno, message, _comments, _context in extract_from_file(
        "python", str(framework), keywords={"F_": None, "_say": None}
    ):
        if isinstance(message, str):
            yield message, "src/coopkit/cli/framework.py"


def extracted(domain: str) -> Catalog:
    """Return what the sources hold now for `domain`, as a template catalog."""
    catalog = _new_catalog()
    framework = list(_framework_messages())
    if domain == "framework":
        messages = framework
    else:
        # The options the framework adds itself (--help, completion) speak its domain.
        theirs = {msgid for msgid, _where in framework}
        messages = [m for m in (*_source_messages(), *command_texts()) if m[0] not in theirs]
    for msgid, where, *context in messages:
        _add(catalog, msgid, where, context[0] if context else None)
    return catalog


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as stream:
        return read_po(stream, locale=locale)


def _write_po(path: Path, catalog: Catalog) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=True, no_location=True)
    text = buffer.getvalue()
    # The creation/revision dates change on every run; keep the files stable.
    lines = [
        line
        for line in text.split(b"\n")
        if not line.startswith((b'"POT-Creation-Date:', b'"PO-Revision-Date:'))
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(lines))


def compiled(catalog: Catalog) -> bytes:
    """Return `catalog` as .mo bytes (the same bytes on every run: the header dates are fixed)."""
    catalog.creation_date = catalog.revision_date = FIXED_DATE
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def extract() -> None:
    """Write each domain's .pot from the sources."""
    for domain in TRANSLATED:
        _write_po(pot_path(domain), extracted(domain))


def update() -> None:
    """Merge each .pot into its .po: new texts come in untranslated, dropped ones go."""
    for domain, lang in TRANSLATED.items():
        template = _read(pot_path(domain))
        path = po_path(domain)
        catalog = _read(path, lang) if path.exists() else _new_catalog(lang)
        catalog.update(template, update_header_comment=False, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write_po(path, catalog)


def compile_all() -> None:
    """Write each .po as its .mo."""
    for domain, lang in TRANSLATED.items():
        mo_path(domain).write_bytes(compiled(_read(po_path(domain), lang)))


def _ids(catalog: Catalog) -> set[tuple[str, str | None]]:
    return {(str(m.id), m.context) for m in catalog if m.id}


def problems() -> list[str]:
    """Return what is stale or missing in the committed catalogs (empty when all is current)."""
    found: list[str] = []
    for domain, lang in TRANSLATED.items():
        now = _ids(extracted(domain))
        pot = _ids(_read(pot_path(domain)))
        for msgid in sorted(now - pot):
            found.append(f"{pot_path(domain).relative_to(ROOT)}: not extracted yet: {msgid!r}")
        for msgid in sorted(pot - now):
            found.append(
                f"{pot_path(domain).relative_to(ROOT)}: no longer in the sources: {msgid!r}"
            )
        po = _read(po_path(domain), lang)
        for message in po:
            if (
                message.id
                and (message.id, message.context) in pot
                and (not message.string or message.fuzzy)
            ):
                found.append(f"{po_path(domain).relative_to(ROOT)}: untranslated: {message.id!r}")
        for msgid in sorted(pot - _ids(po)):
            found.append(f"{po_path(domain).relative_to(ROOT)}: missing: {msgid!r}")
        mo = mo_path(domain)
        if not mo.exists() or mo.read_bytes() != compiled(po):
            found.append(f"{mo.relative_to(ROOT)}: not compiled from the current .po")
    return found


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("extract", "update", "compile", "check"))
    command = parser.parse_args(argv).command
    if command == "extract":
        extract()
    elif command == "update":
        update()
    elif command == "compile":
        compile_all()
    else:
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
