"""Erasure from history: a client's name planted five commits deep, three clones, one remote."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import Cli, git, git_env
from test_collaboration import (  # noqa: F401 - the fixture is used by name
    Org,
    Orgs,
    orgs,
    run,
)

CLIENT = "Max Mustermann"
BIRTH = "geb. 03.04.1987"
MEETING_DAY = "2014-05-14"


def _objects_holding(root: Path, text: str) -> list[str]:
    """Every object of a repository (reachable or not) whose bytes hold `text`."""
    out = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"],
        cwd=root,
        env=git_env(),
        check=True,
        capture_output=True,
    ).stdout
    found = []
    pos = 0
    needle = text.encode()
    while pos < len(out):
        end = out.index(b"\n", pos)
        sha, _, size = out[pos:end].split(b" ")
        start = end + 1
        data = out[start : start + int(size)]
        if needle in data:
            found.append(sha.decode())
        pos = start + int(size) + 1
    return found


def _files(root: Path) -> dict[str, bytes]:
    """Every tracked file at HEAD."""
    names = git(root, "ls-files", "-z").split("\0")
    return {n: (root / n).read_bytes() for n in names if n}


def _sign(cli: Cli, org: Org, partner: str, who: str) -> None:
    run(
        cli,
        org,
        "agreement",
        "sign",
        "koop",
        "--partner",
        partner,
        "--signatory",
        who,
        "--date",
        "2014-01-20",
        key=True,
    )


@pytest.fixture
def planted(orgs: Orgs, cli: Cli) -> tuple[Orgs, str]:  # noqa: F811 - the imported fixture
    """Signed history, three sign-offs, a meeting whose note names a client five commits deep."""
    config = orgs.kv.root / "coop.toml"
    config.write_text(config.read_text() + "\n[signing]\nsign_commits = true\n")
    run(cli, orgs.kv, "commit", "-m", "Signierte Geschichte", "coop.toml", key=True)
    run(cli, orgs.kv, "sync", key=True)
    for org, partner, who in (
        (orgs.kv, "kreis", "Gisela Bernert"),
        (orgs.jc, "jobcenter", "Jan Meyer"),
        (orgs.ca, "caritas", "Eva Klein"),
    ):
        run(cli, org, "sync", key=True)
        _sign(cli, org, partner, who)
        run(cli, org, "sync", key=True)
    run(cli, orgs.kv, "sync", key=True)
    run(cli, orgs.kv, "meeting", "new", "--agreement", "koop", "--date", MEETING_DAY, key=True)
    meeting = next((orgs.kv.root / "minutes").glob(f"{MEETING_DAY}-*.md")).stem
    run(
        cli,
        orgs.kv,
        "--allow-personal-data",
        "meeting",
        "note",
        meeting,
        "--top",
        "2",
        f"Fallbesprechung: {CLIENT} ({BIRTH}) wartet auf den Integrationskurs.",
        key=True,
    )
    # Five more commits on top: the name sits five commits deep.
    for n, text in enumerate(
        (
            "Die Caritas berichtet über die Beratungszahlen.",
            "Das Jobcenter stellt die neuen Maßnahmen vor.",
            "Termine für die Hospitation werden abgestimmt.",
            "Der Kreis lädt zur Integrationskonferenz ein.",
            "Verschiedenes: keine Wortmeldungen.",
        )
    ):
        run(cli, orgs.kv, "meeting", "note", meeting, "--top", str(1 + n % 2), text, key=True)
    run(cli, orgs.kv, "sync", key=True)
    run(cli, orgs.jc, "sync", key=True)
    run(cli, orgs.ca, "sync", key=True)
    return orgs, meeting


@pytest.mark.slow
def test_erasure_reaches_every_clone_and_keeps_everything_else(
    planted: tuple[Orgs, str], cli: Cli
) -> None:
    orgs, meeting = planted  # noqa: F811 - the clones of the fixture
    note = f"minutes/{meeting}.md"
    deep = git(orgs.kv.root, "log", "--format=%H", "--", note).split()
    assert len(deep) >= 6
    before = {org.root: _files(org.root) for org in (orgs.kv, orgs.jc, orgs.ca)}
    assert all(CLIENT.encode() in files[note] for files in before.values())
    for root in (orgs.kv.root, orgs.jc.root, orgs.ca.root, orgs.remote):
        assert _objects_holding(root, CLIENT)
    # The Jobcenter works on, without sending yet.
    run(cli, orgs.jc, "partner", "contact", "add", "jobcenter", "--name", "Ayşe Yılmaz", key=True)
    unsent = git(orgs.jc.root, "log", "-1", "--format=%s").strip()

    # A dry run says what would change and changes nothing.
    head = git(orgs.kv.root, "rev-parse", "HEAD")
    dry = json.loads(
        cli(
            "-C",
            orgs.kv.root,
            "--json",
            "--ssh-key",
            orgs.coordinator,
            "privacy",
            "erase",
            "--text",
            CLIENT,
            "--text",
            BIRTH,
            "--reason",
            "Klientendaten in Sitzungsnotiz",
            "--dry-run",
            author=orgs.kv.author,
        ).stdout
    )
    assert dry["dry_run"] and dry["changed"] >= 6 and dry["record"] is None
    assert git(orgs.kv.root, "rev-parse", "HEAD") == head
    # Only a pinned coordinator key may erase (the Kreis's own partner key is none).
    refused = run(
        cli,
        orgs.kv,
        "privacy",
        "erase",
        "--text",
        CLIENT,
        "--reason",
        "x",
        ok=False,
        key=True,
    )
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    assert git(orgs.kv.root, "rev-parse", "HEAD") == head

    done = json.loads(
        cli(
            "-C",
            orgs.kv.root,
            "--json",
            "--ssh-key",
            orgs.coordinator,
            "privacy",
            "erase",
            "--text",
            CLIENT,
            "--text",
            BIRTH,
            "--reason",
            "Klientendaten in Sitzungsnotiz",
            author=orgs.kv.author,
        ).stdout
    )
    assert done["ok"] and done["record"].startswith("erasures/") and done["remote_cleaned"]
    assert done["signoffs"] and all(s["before"] and s["after"] for s in done["signoffs"])
    assert done["tags"] == []  # the version was released before the note: its commit stays

    # The others take it over with their next sync; the Jobcenter's unsent work goes along.
    for org in (orgs.jc, orgs.ca, orgs.kv):
        result = run(cli, org, "--json", "sync", key=True, ok=None)
        assert result.exit_code == 0, result.stdout  # type: ignore[attr-defined]
    run(cli, orgs.jc, "sync", key=True)
    assert git(orgs.jc.root, "log", "-1", "--format=%s").strip() == unsent or unsent in git(
        orgs.jc.root, "log", "-3", "--format=%s"
    )
    for org in (orgs.kv, orgs.ca):
        run(cli, org, "sync", key=True)

    for root in (orgs.kv.root, orgs.jc.root, orgs.ca.root, orgs.remote):
        assert _objects_holding(root, CLIENT) == [], root
        assert _objects_holding(root, BIRTH) == [], root
    heads = {git(org.root, "rev-parse", "HEAD") for org in (orgs.kv, orgs.jc, orgs.ca)}
    assert len(heads) == 1
    for org in (orgs.kv, orgs.jc, orgs.ca):
        after = _files(org.root)
        old = before[org.root]
        assert "(gelöscht)" in after[note].decode()
        for path, data in old.items():
            if path != note:
                assert after.get(path) == data or path == "partners/jobcenter.yaml", path
        assert "Ayşe Yılmaz" in after["partners/jobcenter.yaml"].decode()
        assert {p for p in after if p.startswith("erasures/")} == {done["record"]}
        run(cli, org, "agreement", "verify")
        run(cli, org, "agreement", "verify", "--history")
        run(cli, org, "check")
        proof = json.loads(
            run(cli, org, "--json", "privacy", "verify-erased", CLIENT, BIRTH).stdout  # type: ignore[attr-defined]
        )
        assert proof["ok"] and proof["objects"] > 0
