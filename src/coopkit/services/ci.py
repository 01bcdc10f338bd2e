"""CI pipelines that make per-party approval a merge gate: check and verify on every push."""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from coopkit.errors import T, UsageError

Platform = Literal["forgejo", "gitlab"]

COMMANDS = (
    "coop check",
    "coop agreement verify --all",
    "coop agreement verify --history",
)
"""The gate: files valid, every sign-off verified, sign-offs and keys committed by their owners."""

INSTALL = "pip install coopkit"
INSTALL_MAX = 500
"""The longest `--install` accepted: one shell line, not a script."""

SYSTEM_PACKAGES = "apt-get update && apt-get install -y --no-install-recommends git openssh-client"

HEADER = (
    "# coopkit: jede Änderung prüfen – Dateien gültig, jede Freigabe verifiziert\n"
    "# coopkit: check every push – files valid, every sign-off verified\n"
)


@dataclass(frozen=True)
class Pipeline:
    """A pipeline file: where it belongs in the repository and its text."""

    platform: str
    path: str
    text: str
    commands: tuple[str, ...]


def _flow(*items: str) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _forgejo(install: str, commands: tuple[str, ...]) -> CommentedMap:
    steps: list[Any] = [
        {"run": SYSTEM_PACKAGES},
        {"uses": "actions/checkout@v4", "with": {"fetch-depth": 0}},
        {"run": "git fetch --tags --force"},
        {"run": install},
        *({"run": c} for c in commands),
    ]
    job = {"runs-on": "docker", "container": "python:3.12", "steps": steps}
    return CommentedMap({"on": _flow("push", "pull_request"), "jobs": {"coop": job}})


def _gitlab(install: str, commands: tuple[str, ...]) -> CommentedMap:
    job = {
        "image": "python:3.12",
        "variables": {"GIT_DEPTH": "0", "GIT_FETCH_EXTRA_FLAGS": "--tags"},
        "before_script": [SYSTEM_PACKAGES, install],
        "script": list(commands),
    }
    return CommentedMap({"coop": job})


def _dump(data: CommentedMap) -> str:
    # The YAML library writes every value, so quotes, `: `, `#` or `[` in a value stay text.
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    out = io.StringIO()
    yaml.dump(data, out)
    return HEADER + out.getvalue()


def check_install(install: str) -> str:
    """Refuse an install command that is not one printable shell line (a usage error)."""
    bad = next((c for c in install if unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"}), None)
    if bad is not None or not install.strip() or len(install) > INSTALL_MAX:
        raise UsageError(
            T(
                "--install: erwartet eine Befehlszeile mit höchstens {n} Zeichen, ohne "
                "Zeilenumbruch oder Steuerzeichen{c}",
                "--install: expected one command line of at most {n} characters, without "
                "line breaks or control characters{c}",
                n=INSTALL_MAX,
                c=f" (U+{ord(bad):04X})" if bad is not None else "",
            )
        )
    return install


def pipeline(platform: str, *, install: str = INSTALL, history: bool = True) -> Pipeline:
    """Return the pipeline file for a platform."""
    commands = COMMANDS if history else COMMANDS[:2]
    if platform == "forgejo":
        data, path = _forgejo(check_install(install), commands), ".forgejo/workflows/coop.yaml"
    elif platform == "gitlab":
        data, path = _gitlab(check_install(install), commands), ".gitlab-ci.yml"
    else:
        raise UsageError(
            T(
                "Plattform „{p}“ unbekannt; möglich: forgejo, gitlab",
                'unknown platform "{p}"; possible: forgejo, gitlab',
                p=platform,
            )
        )
    return Pipeline(platform, path, _dump(data), commands)


def script_lines(text: str) -> list[str]:
    """Return the shell lines a pipeline text runs (`run:` steps or `script:` items), in order."""
    data = YAML(typ="safe").load(text)
    lines: list[str] = []
    for job in (data.get("jobs") or {}).values() if "jobs" in data else data.values():
        lines += [step["run"] for step in job.get("steps", []) if "run" in step]
        lines += list(job.get("before_script", [])) + list(job.get("script", []))
    return lines
