"""`coop init`: a new, empty coop repository with its first commit."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from coopkit.errors import RepositoryError, T
from coopkit.queries.context import Context
from coopkit.store import layout
from coopkit.store.atomic import write_atomic
from coopkit.store.git import GitRepo

GITIGNORE = ".coop/\n"


def config_text(name: str, locale: str = "de", coordinator_keys: list[str] | None = None) -> str:
    """Return a commented coop.toml for a new repository, commented in its own language."""
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    trust = ""
    if coordinator_keys:
        from coopkit.services.keys import trust_section

        trust = "\n" + trust_section(coordinator_keys)
    if locale == "en":
        return f"""# coopkit repository: settings
name = "{quoted}"
# language of documents and messages: "de" or "en"
locale = "{locale}"
# partner id of the data-protection controller (optional)
# controller = "county"

[signing]
# true: every approval must be signed with a registered SSH key
require_ssh = false

[schedule]
# due dates of open-ended obligations are computed this many years beyond today
horizon_years = 3
{trust}"""
    return f"""# coopkit-Repository: Einstellungen
name = "{quoted}"
# Sprache der Dokumente und Meldungen: "de" oder "en"
locale = "{locale}"
# Partner-ID der datenschutzrechtlich verantwortlichen Stelle (optional)
# controller = "kreis"

[signing]
# true: jede Freigabe muss mit einem registrierten SSH-Schlüssel signiert sein
require_ssh = false

[schedule]
# so viele Jahre über heute hinaus werden Termine unbefristeter Pflichten berechnet
horizon_years = 3
{trust}"""


@dataclass(frozen=True)
class InitResult:
    """The new repository."""

    root: Path
    commit: str
    paths: list[str]


def init(
    ctx: Context,
    target: Path,
    name: str | None = None,
    coordinator_keys: list[str] | None = None,
    ci: str | None = None,
) -> InitResult:
    """Create coop.toml, the record folders, default templates and .gitignore; commit them."""
    target = target.resolve()
    if (target / layout.CONFIG).exists():
        raise RepositoryError(
            T(
                "{p} ist schon ein coop-Repository (coop.toml vorhanden)",
                "{p} is already a coop repository (coop.toml exists)",
                p=str(target),
            )
        )
    if ci is not None:
        from coopkit.services.ci import pipeline

        pipe = pipeline(ci)
    author = ctx.with_root(target).author() if ctx.author_text else None
    target.mkdir(parents=True, exist_ok=True)
    if not (target / ".git").exists():
        GitRepo.init(target)
    written = [layout.CONFIG, ".gitignore"]
    write_atomic(
        target / layout.CONFIG,
        config_text(name or target.name, ctx.lang, coordinator_keys).encode(),
    )
    ignore = target / ".gitignore"
    existing = ignore.read_text("utf-8") if ignore.is_file() else ""
    if ".coop/" not in existing.split():
        write_atomic(
            ignore,
            (
                existing + ("\n" if existing and not existing.endswith("\n") else "") + GITIGNORE
            ).encode(),
        )
    for folder in layout.RECORD_DIRS:
        keep = target / folder / ".gitkeep"
        keep.parent.mkdir(exist_ok=True)
        if not keep.exists():
            write_atomic(keep, b"")
        written.append(f"{folder}/.gitkeep")
    templates = layout.default_templates()
    if templates.is_dir():
        for source in sorted(templates.iterdir()):
            if source.is_file() and not source.name.startswith("."):
                dest = target / layout.TEMPLATES / source.name
                if not dest.exists():
                    dest.parent.mkdir(exist_ok=True)
                    shutil.copyfile(source, dest)
                    written.append(f"{layout.TEMPLATES}/{source.name}")
    from coopkit.store.remote import ATTRIBUTES, attributes_text

    write_atomic(target / ATTRIBUTES, attributes_text("").encode())
    written.append(ATTRIBUTES)
    if ci is not None:
        (target / pipe.path).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target / pipe.path, pipe.text.encode())
        written.append(pipe.path)
    new_ctx = ctx.with_root(target)
    author = author or new_ctx.author()
    with GitRepo(target) as repo:
        commit = repo.commit_paths(written, "Initialise coop repository", author)
    return InitResult(target, commit, written)
