"""`coop status` counts exactly the problems `coop check` prints, whichever reading answers."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import test_collaboration
from conftest import AUTHOR, TODAY, Cli, MakeRepo, copy_example, git
from coopkit.queries.context import Context
from coopkit.queries.facts import facts_snapshot
from coopkit.queries.state import scan
from test_collaboration import CA, KV, Orgs, _forge_registration, _forge_signoff, make_key

KOOP = "agreements/koop/agreement.md"

orgs = test_collaboration.orgs
"""Three organisations with their keys (the fixture of tests/test_collaboration.py)."""


def _codes(cli: Cli, root: Path, today: str, author: str) -> list[str]:
    """Return the codes of the problems `coop check` prints, after proving its lines agree."""
    found = json.loads(
        cli("-C", root, "--json", "check", today=today, author=author, ok=None).stdout
    )["problems"]
    text = cli("-C", root, "check", today=today, author=author, ok=None).stdout.splitlines()
    # One line per problem and a summary line (or only "keine Probleme gefunden").
    assert len(text) - 1 == len(found)
    return [p["code"] for p in found]


def _status_count(cli: Cli, root: Path, today: str, author: str) -> int:
    out = cli("-C", root, "--json", "status", today=today, author=author).stdout
    return int(json.loads(out)["problems"])


def _agree(cli: Cli, root: Path, today: str, author: str) -> list[str]:
    """Assert that status, the derived facts and check count the same; return check's codes."""
    codes = _codes(cli, root, today, author)
    assert _status_count(cli, root, today, author) == len(codes)
    served = facts_snapshot(Context(root=root, today=date.fromisoformat(today)), scan(root))
    assert served is not None, "the derived facts must serve this repository"
    assert served.problem_count() == len(codes)
    return codes


def assert_status_counts_like_check(
    cli: Cli, root: Path, code: str, *, today: str = TODAY, author: str = AUTHOR
) -> None:
    """Status counts check's list on a first run, after `.coop/` is gone and after a write."""
    first = _agree(cli, root, today, author)
    assert code in first, first
    shutil.rmtree(root / ".coop")
    assert _agree(cli, root, today, author) == first
    # A write elsewhere: only what it touches is derived again.
    cli("-C", root, "partner", "add", "neu", "--name", "Neu e. V.", today=today, author=author)
    assert code in _agree(cli, root, today, author)
    minutes = root / "minutes" / "extra.md"
    minutes.parent.mkdir(exist_ok=True)
    minutes.write_text(
        "---\nid: extra\ntitle: Treffen\nagreements: []\ndate: 2013-03-01\n---\n",
        encoding="utf-8",
    )
    assert code in _agree(cli, root, today, author)


def _commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


# --- the key registry -------------------------------------------------------------------------


def test_status_counts_an_untrusted_key_registration(
    orgs: Orgs, cli: Cli, ssh_keygen: str, tmp_path: Path
) -> None:
    evil = make_key(ssh_keygen, tmp_path / "evil")
    _forge_registration(ssh_keygen, orgs.kv.root, "caritas", evil, orgs.jc.key)
    _commit(orgs.kv.root, "key")
    assert_status_counts_like_check(cli, orgs.kv.root, "key-untrusted", author=KV)


def test_status_counts_a_shared_key(orgs: Orgs, cli: Cli, ssh_keygen: str) -> None:
    _forge_registration(ssh_keygen, orgs.kv.root, "jobcenter", orgs.ca.key, orgs.coordinator)
    _commit(orgs.kv.root, "same key")
    assert_status_counts_like_check(cli, orgs.kv.root, "key-shared", author=KV)


# --- sign-off verdicts ------------------------------------------------------------------------


def test_status_counts_a_post_dated_approval(orgs: Orgs, cli: Cli, ssh_keygen: str) -> None:
    _forge_signoff(ssh_keygen, orgs.ca.root, "caritas", orgs.ca.key, "2031-01-01")
    assert_status_counts_like_check(
        cli, orgs.ca.root, "signoff-verdict", today="2032-01-01", author=CA
    )


def _unsigned_signoff(root: Path, partner: str) -> Path:
    from coopkit.signing.hashing import content_hash
    from coopkit.store.codec import parse_agreement
    from coopkit.store.text import decode_text

    textfile, _ = decode_text(KOOP, (root / KOOP).read_bytes())
    assert textfile is not None
    located, _ = parse_agreement(textfile)
    assert located is not None
    path = root / "agreements" / "koop" / "signoffs" / "v1" / f"{partner}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"agreement: koop\nversion: v1\npartner: {partner}\nsignatory: X\ndate: 2014-01-20\n"
        f"method: internal\ncontent_hash: {content_hash(located.value)}\n",
        encoding="utf-8",
    )
    return path


def test_status_counts_an_unsigned_approval_under_pinned_keys(orgs: Orgs, cli: Cli) -> None:
    _unsigned_signoff(orgs.kv.root, "jobcenter")
    _commit(orgs.kv.root, "unsigned")
    assert_status_counts_like_check(cli, orgs.kv.root, "signoff-verdict", author=KV)


def test_status_follows_an_approval_from_written_to_committed(orgs: Orgs, cli: Cli) -> None:
    root = orgs.kv.root
    _unsigned_signoff(root, "jobcenter")
    # Not committed yet: the verdict says so; committed: it says only what remains.
    before = _agree(cli, root, TODAY, KV)
    _commit(root, "unsigned")
    after = _agree(cli, root, TODAY, KV)
    assert before.count("signoff-verdict") == after.count("signoff-verdict") + 1


# --- agreements and minutes -------------------------------------------------------------------


def test_status_counts_a_termination_problem(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(
        {
            "agreements/koop/termination/caritas.yaml": (
                "agreement: koop\npartner: caritas\nkind: notice\ndate: 2014-01-01\n"
                "effective: 2014-01-31\n"
            )
        }
    )
    assert_status_counts_like_check(cli, root, "notice-period")


def test_status_counts_a_recurrence_problem(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    text = (root / KOOP).read_text(encoding="utf-8")
    (root / KOOP).write_text(
        text.replace("every: P3M", 'rrule: "FREQ=MONTHLY;BYDAY=XX"'), encoding="utf-8"
    )
    _commit(root, "rrule")
    assert_status_counts_like_check(cli, root, "recurrence")


def test_status_counts_a_hand_set_status_line(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(legacy=True)
    assert_status_counts_like_check(cli, root, "legacy-status")


def test_status_counts_an_edited_approved_minutes_file(tmp_path: Path, cli: Cli) -> None:
    root = copy_example(tmp_path / "example")
    minutes = root / "minutes" / "2013-06-12-arbeitstreffen.md"
    text = minutes.read_text(encoding="utf-8")
    minutes.write_text(text.replace("Besprechungsraum 214", "Besprechungsraum 215"), "utf-8")
    _commit(root, "edited after approval")
    assert_status_counts_like_check(cli, root, "frozen-minutes")


def test_status_counts_approved_minutes_committed_under_a_file_that_differs(
    tmp_path: Path, cli: Cli
) -> None:
    root = copy_example(tmp_path / "example")
    source = (root / "minutes" / "2013-06-12-arbeitstreffen.md").read_text(encoding="utf-8")
    approved = source.replace("id: 2013-06-12-arbeitstreffen", "id: 2013-06-13-nachtreffen")
    minutes = root / "minutes" / "2013-06-13-nachtreffen.md"
    working = approved.replace("Besprechungsraum 214", "Besprechungsraum 215")
    minutes.write_text(working, encoding="utf-8")
    # Approved only in the working tree: no approval to compare with yet.
    assert "frozen-minutes" not in _agree(cli, root, TODAY, AUTHOR)
    # The approved text is committed while the working file stays as it was.
    minutes.write_text(approved, encoding="utf-8")
    _commit(root, "approved")
    minutes.write_text(working, encoding="utf-8")
    assert "frozen-minutes" in _agree(cli, root, TODAY, AUTHOR)
