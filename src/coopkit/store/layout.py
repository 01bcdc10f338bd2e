"""Where each record kind lives in a repository, and finding the repository root."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from coopkit.errors import RepositoryError, T, TemplateError
from coopkit.store.coopdir import check_coop_dir

CONFIG = "coop.toml"
INDEX_DIR = ".coop"
TEMPLATES = "templates"

_KINDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^coop\.toml$"), "config"),
    (re.compile(r"^partners/[^/]+\.yaml$"), "partner"),
    (re.compile(r"^agreements/[^/]+/agreement\.md$"), "agreement"),
    (re.compile(r"^agreements/[^/]+/signoffs/[^/]+/[^/]+\.yaml$"), "signoff"),
    (re.compile(r"^agreements/[^/]+/fulfilment/[^/]+\.yaml$"), "fulfilment"),
    (re.compile(r"^agreements/[^/]+/termination/[^/]+\.yaml$"), "termination"),
    (re.compile(r"^agreements/[^/]+/withdrawals/[^/]+/[^/]+\.yaml$"), "withdrawal"),
    (re.compile(r"^minutes/[^/]+\.md$"), "minutes"),
    (re.compile(r"^actions/[^/]+\.yaml$"), "action"),
    (re.compile(r"^keys/[^/]+/[A-Za-z0-9_-]{43}\.revoked\.yaml$"), "key-revocation"),
    (re.compile(r"^keys/[^/]+/[A-Za-z0-9_-]{43}\.yaml$"), "key"),
]
RECORD_DIRS = ("partners", "agreements", "minutes", "actions", "keys")


# One pattern for all kinds: a Land-scale repository asks this for every one of 30,000 paths.
# Group names are the kinds with "-" spelled "_" (a regex group name is an identifier).
_ANY_KIND = re.compile(
    "|".join(f"(?P<{kind.replace('-', '_')}>{pattern.pattern})" for pattern, kind in _KINDS)
)
_GROUP_KIND = {kind.replace("-", "_"): kind for _, kind in _KINDS}


def kind_of(path: str) -> str | None:
    """Return the record kind stored at a repository-relative path, or None."""
    match = _ANY_KIND.fullmatch(path)
    return _GROUP_KIND[match.lastgroup] if match and match.lastgroup else None


def partner_path(partner_id: str) -> str:
    """Return the path of a partner file."""
    return f"partners/{partner_id}.yaml"


def fingerprint_name(fingerprint: str) -> str:
    """Return the file-name form of `SHA256:<base64>`: URL-safe base64 without the prefix."""
    return fingerprint.removeprefix("SHA256:").replace("+", "-").replace("/", "_")


def key_path(partner_id: str, fingerprint: str) -> str:
    """Return the path of a key registration record."""
    return f"keys/{partner_id}/{fingerprint_name(fingerprint)}.yaml"


def key_revocation_path(partner_id: str, fingerprint: str) -> str:
    """Return the path of a key revocation record."""
    return f"keys/{partner_id}/{fingerprint_name(fingerprint)}.revoked.yaml"


def withdrawal_path(agreement_id: str, version: str, partner_id: str, n: int) -> str:
    """Return the path of the n-th withdrawal of a partner's sign-off of a version."""
    return f"agreements/{agreement_id}/withdrawals/{version}/{partner_id}-{n}.yaml"


def agreement_path(agreement_id: str) -> str:
    """Return the path of an agreement file."""
    return f"agreements/{agreement_id}/agreement.md"


def signoff_path(agreement_id: str, version: str, partner_id: str) -> str:
    """Return the path of a sign-off record."""
    return f"agreements/{agreement_id}/signoffs/{version}/{partner_id}.yaml"


def fulfilment_path(agreement_id: str, due: str, obligation_id: str, partner_id: str) -> str:
    """Return the path of a fulfilment record."""
    return f"agreements/{agreement_id}/fulfilment/{due}-{obligation_id}-{partner_id}.yaml"


def termination_path(agreement_id: str, partner_id: str) -> str:
    """Return the path of a party's termination record."""
    return f"agreements/{agreement_id}/termination/{partner_id}.yaml"


EVALUATION = re.compile(r"^agreements/[^/]+/evaluation/\d{4}\.md\Z")
"""The written assessment of an agreement's year: read by `coop report`, not a record."""


SENT = re.compile(
    r"^minutes/[^/]+/sent/[0-9]{8}T[0-9]{6}Z-(?:invitation|cancellation|minutes)\.yaml\Z"
)
"""What a meeting's e-mail sent, to whom, with which attachment hashes: read by people, kept."""


def sent_path(meeting_id: str, stamp: str, kind: str) -> str:
    """Return the path of the record of one send (`stamp` as 20140507T091500Z)."""
    return f"minutes/{meeting_id}/sent/{stamp}-{kind}.yaml"


def evaluation_path(agreement_id: str, year: int) -> str:
    """Return the path of the written assessment of an agreement for a year."""
    return f"agreements/{agreement_id}/evaluation/{year:04d}.md"


def minutes_path(minutes_id: str) -> str:
    """Return the path of a minutes file."""
    return f"minutes/{minutes_id}.md"


def action_record_path(action_key: str) -> str:
    """Return the path of the record that closes action `<meeting-id>#<n>`."""
    return f"actions/{action_key.replace('#', '-')}.yaml"


def safe_relpath(root: Path, path: str) -> str:
    """Return `path` relative to root, refusing anything that leaves the repository."""
    pure = PurePosixPath(path.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts:
        candidate = Path(path).resolve()
        try:
            return candidate.relative_to(root.resolve()).as_posix()
        except ValueError as err:
            raise RepositoryError(
                T(
                    "Pfad „{p}“ liegt außerhalb des Repositorys {r}",
                    'path "{p}" lies outside the repository {r}',
                    p=path,
                    r=str(root),
                )
            ) from err
    return pure.as_posix()


def find_root(start: Path) -> Path:
    """Walk up from `start` to the directory holding coop.toml."""
    current = start.resolve()
    for candidate in (current, *current.parents):
        if os.path.lexists(candidate / CONFIG):
            check_coop_dir(candidate)
            return candidate
    raise RepositoryError(
        T(
            "kein coop-Repository in {p} oder darüber (coop.toml fehlt); "
            "mit „coop init“ anlegen oder mit -C VERZEICHNIS wählen",
            "no coop repository at {p} or above (coop.toml missing); "
            'create one with "coop init" or choose one with -C DIR',
            p=str(start),
        )
    )


def example_root() -> Path:
    """Return the shipped worked example: package data when installed, else the checkout root."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "example"
    if (installed / CONFIG).is_file():
        return installed
    checkout = package.parent.parent
    if (checkout / CONFIG).is_file():
        return checkout
    raise RepositoryError(
        T(
            "das mitgelieferte Beispiel fehlt (weder {a} noch {b})",
            "the shipped example is missing (neither {a} nor {b})",
            a=str(installed),
            b=str(checkout),
        )
    )


def default_templates() -> Path:
    """Return the folder of the default templates that `coop init` copies."""
    return example_root() / TEMPLATES


def resolve_template(root: Path, name: str) -> Path:
    """Return the repository's own template `name`, else the shipped default."""
    folder = root / TEMPLATES
    if folder.is_symlink():
        raise TemplateError(
            T(
                "{t}/: Verknüpfung (Symlink) nicht erlaubt; Vorlagen müssen im Repository liegen",
                "{t}/: symbolic link not allowed; templates must lie in the repository",
                t=TEMPLATES,
            )
        )
    own = folder / name
    # lexists, not is_file: a link or special file is the repository's template and is refused
    # when read, instead of silently falling back to the shipped one.
    if os.path.lexists(own):
        return own
    return default_templates() / name
