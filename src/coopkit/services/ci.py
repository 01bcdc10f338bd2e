"""CI pipelines that make per-party approval a merge gate: check and verify on every push."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from coopkit.errors import T, UsageError

Platform = Literal["forgejo", "gitlab"]

COMMANDS = (
    "coop check",
    "coop agreement verify --all",
    "coop agreement verify --history",
)
"""The gate: files valid, every sign-off verified, sign-offs and keys committed by their owners."""

INSTALL = "pip install coopkit"


@dataclass(frozen=True)
class Pipeline:
    """A pipeline file: where it belongs in the repository and its text."""

    platform: str
    path: str
    text: str
    commands: tuple[str, ...]


def _forgejo(install: str, commands: tuple[str, ...]) -> str:
    steps = "\n".join(f"      - run: {c}" for c in commands)
    return f"""# coopkit: jede Änderung prüfen – Dateien gültig, jede Freigabe verifiziert
# coopkit: check every push – files valid, every sign-off verified
on: [push, pull_request]
jobs:
  coop:
    runs-on: docker
    container: python:3.12
    steps:
      - run: apt-get update && apt-get install -y --no-install-recommends git openssh-client
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - run: git fetch --tags --force
      - run: {install}
{steps}
"""


def _gitlab(install: str, commands: tuple[str, ...]) -> str:
    script = "\n".join(f"    - {c}" for c in commands)
    return f"""# coopkit: jede Änderung prüfen – Dateien gültig, jede Freigabe verifiziert
# coopkit: check every push – files valid, every sign-off verified
coop:
  image: python:3.12
  variables:
    GIT_DEPTH: "0"
    GIT_FETCH_EXTRA_FLAGS: --tags
  before_script:
    - apt-get update && apt-get install -y --no-install-recommends git openssh-client
    - {install}
  script:
{script}
"""


def pipeline(platform: str, *, install: str = INSTALL, history: bool = True) -> Pipeline:
    """Return the pipeline file for a platform."""
    commands = COMMANDS if history else COMMANDS[:2]
    if platform == "forgejo":
        return Pipeline(
            platform, ".forgejo/workflows/coop.yaml", _forgejo(install, commands), commands
        )
    if platform == "gitlab":
        return Pipeline(platform, ".gitlab-ci.yml", _gitlab(install, commands), commands)
    raise UsageError(
        T(
            "Plattform „{p}“ unbekannt; möglich: forgejo, gitlab",
            'unknown platform "{p}"; possible: forgejo, gitlab',
            p=platform,
        )
    )


def script_lines(text: str) -> list[str]:
    """Return the shell lines a pipeline text runs (`run:` steps or `script:` items)."""
    lines = []
    in_script = False
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("- run: "):
            lines.append(stripped.removeprefix("- run: "))
        elif stripped == "script:":
            in_script = True
        elif in_script and stripped.startswith("- "):
            lines.append(stripped.removeprefix("- "))
        elif in_script and stripped and not raw.startswith("    "):
            in_script = False
    return lines
