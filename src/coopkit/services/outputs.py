"""Writing generated files (documents, calendars, reports) without touching the repository's own."""

from __future__ import annotations

from pathlib import Path

from coopkit.errors import T, UsageError
from coopkit.queries.context import Context
from coopkit.store import layout
from coopkit.store.atomic import write_atomic

OUT_DIR = "out"
"""Where rendered files go by default when the command runs inside the repository."""

PROTECTED = (".git", layout.INDEX_DIR, layout.TEMPLATES, *layout.RECORD_DIRS)
PROTECTED_FILES = (layout.CONFIG, ".gitignore", ".gitattributes")


def check_output(ctx: Context, output: Path) -> Path:
    """Return the resolved output path; refuse one that would overwrite the repository's files.

    Rendered files never land in `.git/`, `.coop/`, `templates/` or a record folder, and never
    replace `coop.toml` or git's own settings files.
    """
    target = output.resolve()
    root = ctx.root.resolve()
    for folder in PROTECTED:
        base = root / folder
        if target == base or base in target.parents:
            raise UsageError(
                T(
                    "Ausgabe {p} läge im Ordner „{f}/“ des Repositorys; bitte einen anderen Ort "
                    "wählen (-o)",
                    'output {p} would lie in the repository folder "{f}/"; choose another place '
                    "(-o)",
                    p=str(output),
                    f=folder,
                )
            )
    if target.parent == root and target.name in PROTECTED_FILES:
        raise UsageError(
            T(
                "Ausgabe {p} würde {f} des Repositorys überschreiben; bitte einen anderen Ort "
                "wählen (-o)",
                "output {p} would overwrite the repository's {f}; choose another place (-o)",
                p=str(output),
                f=target.name,
            )
        )
    if target.is_dir():
        raise UsageError(
            T(
                "Ausgabe {p} ist ein Ordner; bitte einen Dateinamen angeben",
                "output {p} is a folder; give a file name",
                p=str(output),
            )
        )
    return target


def default_output(ctx: Context, name: str, cwd: Path | None = None) -> Path:
    """Return where a rendered file goes without -o: the current folder, or `out/` inside the repo.

    `out/` is kept out of git (`.git/info/exclude`), so rendered files never end up in a commit.
    """
    here = (cwd or Path.cwd()).resolve()
    root = ctx.root.resolve()
    if here == root or root in here.parents:
        _exclude_out(root)
        return root / OUT_DIR / name
    return here / name


def _exclude_out(root: Path) -> None:
    exclude = root / ".git" / "info" / "exclude"
    if not (root / ".git").is_dir():
        return
    try:
        current = exclude.read_text("utf-8") if exclude.is_file() else ""
    except OSError:
        return
    if f"/{OUT_DIR}/" in current.split("\n"):
        return
    addition = ("" if current.endswith("\n") or not current else "\n") + f"/{OUT_DIR}/\n"
    try:
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with exclude.open("a", encoding="utf-8") as handle:
            handle.write(addition)
    except OSError:
        return


def write_output(ctx: Context, output: Path, payload: bytes) -> Path:
    """Write `payload` to `output` atomically after `check_output`; return the path written."""
    target = check_output(ctx, output)
    write_atomic(target, payload)
    return target
