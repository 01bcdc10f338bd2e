"""Writing generated files (documents, calendars, reports) without touching the repository's own."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from coopkit.errors import T, UsageError
from coopkit.queries.context import Context
from coopkit.store import layout
from coopkit.store.atomic import write_atomic

OUT_DIR = "out"
"""Where rendered files go by default when the command runs inside the repository."""

PROTECTED = (".git", layout.INDEX_DIR, layout.TEMPLATES, *layout.RECORD_DIRS)
PROTECTED_FILES = (layout.CONFIG, ".gitignore", ".gitattributes")


_MAX_LINKS = 40
"""Links followed outside the repository before a path counts as a loop (as the kernel's)."""


def _refuse_output(output: Path, de: str, en: str, **params: object) -> UsageError:
    return UsageError(T("Ausgabe {p}: " + de, "output {p}: " + en, p=str(output), **params))


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def resolve_output(root: Path, output: Path) -> Path:
    """Return where `output` really lies, walked one component at a time from `/`.

    A symbolic link outside the repository is followed (the user's own folders); one inside
    the repository is refused, naming it: a committed `out -> ../elsewhere` would make coop
    write wherever the link points. Nothing is created here.

    Args:
        root: the repository's real path (no links in it).
        output: the path as given (relative to the current folder).

    Raises:
        UsageError: a link inside the repository, a file where a folder is needed, a loop.
    """
    given = output if output.is_absolute() else Path.cwd() / output
    pending = list(given.parts[1:])
    current = Path(given.anchor or "/")
    missing = False
    links = 0
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            current = current.parent
            missing = False
            continue
        candidate = current / part
        if missing:
            current = candidate
            continue
        try:
            info = os.lstat(candidate)
        except FileNotFoundError:
            missing = True
            current = candidate
            continue
        except OSError as err:
            raise _refuse_output(
                output, "{c} nicht nutzbar ({e})", "{c} unusable ({e})", c=str(candidate), e=err
            ) from err
        if stat.S_ISLNK(info.st_mode):
            if _inside(current, root):
                raise _refuse_output(
                    output,
                    "„{l}“ ist eine Verknüpfung (Symlink) im Repository; coop schreibt nie durch "
                    "eine Verknüpfung im Repository (Verknüpfung entfernen oder mit -o einen "
                    "anderen Ort wählen)",
                    '"{l}" is a symbolic link inside the repository; coop never writes through '
                    "a link inside the repository (remove the link or choose another place "
                    "with -o)",
                    l=candidate.relative_to(root).as_posix(),
                )
            links += 1
            if links > _MAX_LINKS:
                raise _refuse_output(
                    output, "zu viele Verknüpfungen (Schleife?)", "too many links (a loop?)"
                )
            target = candidate.readlink()
            if target.is_absolute():
                current = Path(target.anchor)
                pending = list(target.parts[1:]) + pending
            else:
                pending = list(target.parts) + pending
            continue
        if pending and not stat.S_ISDIR(info.st_mode):
            raise _refuse_output(
                output, "{c} ist kein Ordner", "{c} is not a folder", c=str(candidate)
            )
        current = candidate
    return current


def check_output(ctx: Context, output: Path) -> Path:
    """Return the real output path; refuse one that would overwrite the repository's files.

    The path is walked without following a link inside the repository (`resolve_output`).
    Rendered files never land in `.git/`, `.coop/`, `templates/` or a record folder, and never
    replace `coop.toml` or git's own settings files. Nothing is created.
    """
    root = Path(os.path.realpath(ctx.root))
    target = resolve_output(root, output)
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
    if target == root or target.is_dir():
        raise UsageError(
            T(
                "Ausgabe {p} ist ein Ordner; bitte einen Dateinamen angeben",
                "output {p} is a folder; give a file name",
                p=str(output),
            )
        )
    return target


def _make_folders(output: Path, folder: Path) -> list[Path]:
    """Create the missing folders of an accepted output path, one at a time, never via a link.

    Returns the folders created, outermost first. On a refusal the ones created so far are
    removed again: a refused output leaves no folder behind.
    """
    missing: list[Path] = []
    current = folder
    while not os.path.lexists(current):
        missing.append(current)
        current = current.parent
    created: list[Path] = []
    try:
        for path in reversed(missing):
            try:
                path.mkdir(mode=0o755)
                created.append(path)
            except FileExistsError:
                pass
            except OSError as err:
                raise _refuse_output(
                    output,
                    "Ordner {c} kann nicht angelegt werden ({e})",
                    "cannot create folder {c} ({e})",
                    c=str(path),
                    e=err.strerror or str(err),
                ) from err
            # A link put there meanwhile is not a folder of ours: refuse rather than follow it.
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                raise _refuse_output(
                    output, "{c} ist kein Ordner", "{c} is not a folder", c=str(path)
                )
    except BaseException:
        _remove_folders(created)
        raise
    return created


def _remove_folders(created: list[Path]) -> None:
    """Remove folders `_make_folders` created, innermost first, as long as they are empty."""
    for path in reversed(created):
        try:
            path.rmdir()
        except OSError:
            return  # something else put a file there meanwhile: leave it and its parents


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
    """Write `payload` to `output` atomically after `check_output`; return the path written.

    Folders are created only once the whole path is accepted, and removed again when the write
    fails after all: a refused or failed output leaves no folder behind.
    """
    target = check_output(ctx, output)
    created = _make_folders(output, target.parent)
    try:
        write_atomic(target, payload)
    except BaseException:
        _remove_folders(created)
        raise
    return target
