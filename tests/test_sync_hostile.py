"""`coop sync` receives what another organisation pushed: checked, reported, never trusted blindly."""

# ruff: noqa: F811 - `orgs` is the shared fixture, taken as each test's argument

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import Budget, Cli, MakeRepo, git, git_env
from test_collaboration import (  # noqa: F401 - `orgs` is a fixture
    CA,
    JC,
    KV,
    Org,
    Orgs,
    _forge_registration,
    _forge_signoff,
    clone,
    make_key,
    orgs,
    run,
)

SIGNOFF = "agreements/koop/signoffs/v1/caritas.yaml"


def _short(root: Path, rev: str = "HEAD") -> str:
    return git(root, "rev-parse", "--short", rev).strip()


def _remote_file(orgs: Orgs, path: str) -> str:
    return git(orgs.remote, "show", f"main:{path}")


def _push(org: Org) -> None:
    """Push as plain git would, without coop's checks (a careless or hostile partner)."""
    git(org.root, "push", "-q", "origin", "HEAD:refs/heads/main")


def test_forged_approval_is_reported_on_receipt_and_own_work_still_goes_out(
    orgs: Orgs, cli: Cli, ssh_keygen: str, tmp_path: Path
) -> None:
    evil = make_key(ssh_keygen, tmp_path / "evil")
    # The Jobcenter registers a key for the Caritas and approves in its name, past coop.
    _forge_registration(ssh_keygen, orgs.jc.root, "caritas", evil, orgs.jc.key)
    _forge_signoff(ssh_keygen, orgs.jc.root, "caritas", evil, "2014-01-20", "Freigabe Caritas")
    forged = _short(orgs.jc.root)
    _push(orgs.jc)
    # The Caritas meanwhile works on something unrelated.
    run(cli, orgs.ca, "partner", "contact", "add", "caritas", "--name", "Petra Neumann")
    result = run(cli, orgs.ca, "sync", ok=False)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    out = result.stdout  # type: ignore[attr-defined]
    assert f"Commit {forged} (Test): {SIGNOFF}" in out
    assert "kein vertrauenswürdiger Schlüssel von caritas" in out
    assert f"Commit {forged} (Test): keys/caritas/" in out
    assert "1 Commit(s) erhalten, 1 gesendet" in out
    # The Caritas's own commit went out on top of what it received.
    assert "Petra Neumann" in _remote_file(orgs, "partners/caritas.yaml")
    assert git(orgs.remote, "rev-parse", "main") == git(orgs.ca.root, "rev-parse", "HEAD")
    # The forged approval does not count, wherever it is asked.
    verified = run(cli, orgs.ca, "agreement", "verify", "koop", ok=False)
    assert verified.exit_code == 1  # type: ignore[attr-defined]
    assert "kein vertrauenswürdiger Schlüssel von caritas" in verified.stdout  # type: ignore[attr-defined]
    shown = json.loads(run(cli, orgs.ca, "--json", "agreement", "show", "koop").stdout)  # type: ignore[attr-defined]
    approvals = [a for v in shown["versions"] for a in v.get("approvals", [])]
    assert all(a.get("counts") is not True for a in approvals if a.get("partner") == "caritas")
    # Received with nothing of its own to send: the same report, in JSON.
    synced = run(cli, orgs.kv, "--json", "sync", ok=False)
    assert synced.exit_code == 1  # type: ignore[attr-defined]
    data = json.loads(synced.stdout)  # type: ignore[attr-defined]
    assert data["ok"] is False and data["exit_code"] == 1 and data["received"] == 2
    found = [p for p in data["incoming_problems"] if p["path"] == SIGNOFF]
    assert found and found[0]["commit"] == forged and found[0]["author"] == "Test"
    # And in English, for a fresh clone that only receives.
    late = clone(orgs.remote, tmp_path / "late")
    git(late, "reset", "-q", "--hard", "HEAD~2")
    english = cli("-C", late, "--lang", "en", "sync", author=KV, ok=False)
    assert english.exit_code == 1
    assert f"commit {forged} (Test): {SIGNOFF}" in english.stdout
    assert "received from origin" in english.stdout


def test_own_problems_are_still_refused_after_a_problem_arrived(
    orgs: Orgs, cli: Cli, ssh_keygen: str, tmp_path: Path
) -> None:
    evil = make_key(ssh_keygen, tmp_path / "evil")
    _forge_registration(ssh_keygen, orgs.jc.root, "caritas", evil, orgs.jc.key)
    git(orgs.jc.root, "add", "-A")
    git(orgs.jc.root, "commit", "-qm", "Schlüssel")
    _push(orgs.jc)
    # The Caritas's own commit is broken: that one is refused, whatever arrived.
    path = orgs.ca.root / "partners/caritas.yaml"
    path.write_text(path.read_text().replace("representative: Lena Graf", "representative: [x"))
    git(orgs.ca.root, "commit", "-qam", "kaputt")
    before = git(orgs.ca.root, "rev-parse", "HEAD")
    refused = run(cli, orgs.ca, "sync", ok=False)
    assert refused.exit_code == 1  # type: ignore[attr-defined]
    assert "nichts wurde gesendet" in refused.stderr  # type: ignore[attr-defined]
    assert "partners/caritas.yaml" in refused.stderr  # type: ignore[attr-defined]
    assert git(orgs.ca.root, "rev-parse", "HEAD") == before
    assert git(orgs.remote, "rev-parse", "main") == git(orgs.jc.root, "rev-parse", "HEAD")


def _contact(cli: Cli, org: Org, partner: str, name: str) -> None:
    run(cli, org, "partner", "contact", "add", partner, "--name", name)


def test_force_pushed_remote_is_reported_and_nothing_is_pushed_until_decided(
    orgs: Orgs, cli: Cli
) -> None:
    base = git(orgs.kv.root, "rev-parse", "HEAD").strip()
    _contact(cli, orgs.kv, "jobcenter", "Ayşe Yılmaz")
    _contact(cli, orgs.kv, "kreis", "Olaf Lenz")
    dropped = [_short(orgs.kv.root, "HEAD~1"), _short(orgs.kv.root)]
    run(cli, orgs.kv, "sync")
    run(cli, orgs.jc, "sync")
    run(cli, orgs.ca, "sync")
    # Someone force-pushes the shared branch back: the two commits are gone from the remote.
    git(orgs.remote, "update-ref", "refs/heads/main", base)
    _contact(cli, orgs.jc, "caritas", "Petra Neumann")
    refused = run(cli, orgs.jc, "sync", ok=False)
    assert refused.exit_code == 5  # type: ignore[attr-defined]
    err = refused.stderr  # type: ignore[attr-defined]
    assert "umgeschrieben" in err
    for sha in dropped:
        assert sha in err
    assert "Gisela Bernert" in err and "coop sync --restore" in err
    assert "coop sync --accept-rewrite" in err
    assert git(orgs.remote, "rev-parse", "main").strip() == base
    # Asked again, the same answer: the last seen state is kept, not the fetched one.
    assert run(cli, orgs.jc, "sync", ok=False).exit_code == 5  # type: ignore[attr-defined]
    english = cli("-C", orgs.jc.root, "--lang", "en", "sync", author=JC, ok=False)
    assert "rewritten" in english.stderr and dropped[0] in english.stderr
    # The Jobcenter takes the remote's history: its own commit goes out, the dropped stay out.
    taken = json.loads(run(cli, orgs.jc, "--json", "sync", "--accept-rewrite").stdout)  # type: ignore[attr-defined]
    assert taken["sent"] == 1 and [d["commit"] for d in taken["dropped"]] == dropped
    assert "Petra Neumann" in _remote_file(orgs, "partners/caritas.yaml")
    assert "Ayşe Yılmaz" not in _remote_file(orgs, "partners/jobcenter.yaml")
    assert "Ayşe Yılmaz" not in (orgs.jc.root / "partners/jobcenter.yaml").read_text()
    run(cli, orgs.jc, "check")
    # The Caritas saw the dropped commits too; it restores them.
    assert run(cli, orgs.ca, "sync", ok=False).exit_code == 5  # type: ignore[attr-defined]
    run(cli, orgs.ca, "sync", "--restore")
    assert "Ayşe Yılmaz" in _remote_file(orgs, "partners/jobcenter.yaml")
    assert "Olaf Lenz" in _remote_file(orgs, "partners/kreis.yaml")
    assert "Petra Neumann" in _remote_file(orgs, "partners/caritas.yaml")
    # Everybody else receives the restored commits; copies of what they had are not lost.
    run(cli, orgs.jc, "sync")
    assert "Ayşe Yılmaz" in (orgs.jc.root / "partners/jobcenter.yaml").read_text()
    run(cli, orgs.kv, "sync")
    run(cli, orgs.kv, "check")
    both = run(cli, orgs.kv, "sync", "--restore", "--accept-rewrite", ok=False)
    assert both.exit_code == 2  # type: ignore[attr-defined]


def test_moved_tag_is_named_with_both_targets_and_the_rest_still_arrives(
    orgs: Orgs, cli: Cli
) -> None:
    ours = _short(orgs.kv.root, "koop/v1^{commit}")
    _contact(cli, orgs.jc, "jobcenter", "Ayşe Yılmaz")
    run(cli, orgs.jc, "sync")
    theirs = _short(orgs.jc.root)
    env = git_env()
    subprocess.run(
        ["git", "tag", "-f", "-a", "-m", "v1", "koop/v1", "HEAD"],
        cwd=orgs.jc.root,
        env=env,
        check=True,
        capture_output=True,
    )
    git(orgs.jc.root, "push", "-q", "-f", "origin", "refs/tags/koop/v1")
    _contact(cli, orgs.kv, "kreis", "Olaf Lenz")
    result = run(cli, orgs.kv, "sync", ok=False)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    out = result.stdout  # type: ignore[attr-defined]
    assert f"koop/v1: hier {ours}, auf origin {theirs}" in out
    assert "git tag -d koop/v1" in out
    assert "1 Commit(s) erhalten, 1 gesendet" in out
    assert "Ayşe Yılmaz" in (orgs.kv.root / "partners/jobcenter.yaml").read_text()
    assert "Olaf Lenz" in _remote_file(orgs, "partners/kreis.yaml")
    # Our tag was not clobbered.
    assert _short(orgs.kv.root, "koop/v1^{commit}") == ours
    data = json.loads(run(cli, orgs.kv, "--json", "sync", ok=False).stdout)  # type: ignore[attr-defined]
    assert data["tag_conflicts"] == [
        {
            "tag": "koop/v1",
            "ours": git(orgs.kv.root, "rev-parse", "koop/v1^{commit}").strip(),
            "theirs": git(orgs.jc.root, "rev-parse", "HEAD").strip(),
        }
    ]


def test_commit_tracking_coop_dir_is_refused_and_the_clone_keeps_working(
    orgs: Orgs, cli: Cli
) -> None:
    run(cli, orgs.kv, "check")
    own = (orgs.kv.root / ".coop").iterdir()
    before = sorted(p.name for p in own)
    evil = orgs.jc.root / ".coop" / "lock"
    evil.parent.mkdir(exist_ok=True)
    evil.write_text("hijacked")
    git(orgs.jc.root, "add", "-f", ".coop/lock")
    git(orgs.jc.root, "commit", "-qm", "Zustand")
    bad = _short(orgs.jc.root)
    _push(orgs.jc)
    refused = run(cli, orgs.kv, "sync", ok=False)
    assert refused.exit_code == 5  # type: ignore[attr-defined]
    err = refused.stderr  # type: ignore[attr-defined]
    assert f"{bad}" in err and ".coop/lock" in err
    assert sorted(p.name for p in (orgs.kv.root / ".coop").iterdir()) == before
    assert (
        not (orgs.kv.root / ".coop/lock").is_file()
        or (orgs.kv.root / ".coop/lock").read_text() != "hijacked"
    )
    run(cli, orgs.kv, "check")
    # The fix arrives: the file leaves git again; the sync goes through and says what was seen.
    git(orgs.jc.root, "rm", "-q", "--cached", ".coop/lock")
    git(orgs.jc.root, "commit", "-qm", "Zustand entfernt")
    _push(orgs.jc)
    done = run(cli, orgs.kv, "sync", ok=False)
    assert done.exit_code == 1  # type: ignore[attr-defined]
    assert f"Commit {bad} (Test): .coop/lock" in done.stdout  # type: ignore[attr-defined]
    run(cli, orgs.kv, "check")
    assert git(orgs.kv.root, "ls-files", ".coop") == ""


def test_tracked_gitattributes_cannot_choose_the_merge(orgs: Orgs, cli: Cli) -> None:
    hostile = "* merge=union\nagreements/** merge=union\npartners/** merge=union\n"
    (orgs.jc.root / ".gitattributes").write_text(hostile)
    git(orgs.jc.root, "add", ".gitattributes")
    git(orgs.jc.root, "commit", "-qm", "Attribute")
    _push(orgs.jc)
    run(cli, orgs.ca, "sync")
    run(cli, orgs.kv, "sync")
    for org, words in ((orgs.jc, "früh und gezielt"), (orgs.ca, "sofort")):
        path = org.root / "agreements/koop/agreement.md"
        text = path.read_text().replace("Zuwanderer früh", f"Zuwanderer {words}")
        path.write_text(text)
        run(cli, org, "commit", "-m", "Ziel", "agreements/koop/agreement.md")
    run(cli, orgs.jc, "sync")
    before = git(orgs.ca.root, "rev-parse", "HEAD")
    clash = run(cli, orgs.ca, "sync", ok=False)
    assert clash.exit_code == 5  # type: ignore[attr-defined]
    assert "agreements/koop/agreement.md" in clash.stderr  # type: ignore[attr-defined]
    assert git(orgs.ca.root, "rev-parse", "HEAD") == before
    remote_text = _remote_file(orgs, "agreements/koop/agreement.md")
    assert "sofort" not in remote_text and "früh und gezielt" in remote_text
    attributes = (orgs.ca.root / ".git/info/attributes").read_text()
    assert "agreements/*/agreement.md merge=coop" in attributes
    checked = git(orgs.ca.root, "check-attr", "merge", "--", "agreements/koop/agreement.md")
    assert checked.strip().endswith("merge: coop")


def test_plain_bare_remote_with_head_master_clones_the_shared_branch(
    make_repo: MakeRepo, cli: Cli, tmp_path: Path
) -> None:
    remote = tmp_path / "plain.git"
    subprocess.run(
        ["git", "init", "-q", "--bare", str(remote)], env=git_env(), check=True, capture_output=True
    )
    assert git(remote, "symbolic-ref", "HEAD").strip() == "refs/heads/master"
    root = make_repo()
    cli("-C", root, "remote", "add", "origin", remote, author=CA)
    cli("-C", root, "sync", author=CA)
    assert git(remote, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    copy = clone(remote, tmp_path / "copy")
    assert git(copy, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert (copy / "coop.toml").is_file()
    cli("-C", copy, "check", author=CA)


def _writer(org: Org, name: str) -> subprocess.Popen[str]:
    """Start `coop partner contact add kreis` in a clone as its own process."""
    import os
    import sys

    env = {**git_env(), "COOP_LANG": "de", "PATH": os.environ["PATH"]}
    argv = [sys.executable, "-m", "coopkit.cli", "-C", str(org.root), "--today", "2014-02-07"]
    argv += ["--author", org.author, "partner", "contact", "add", "kreis", "--name", name]
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.timing
def test_concurrent_writers_in_two_clones_with_sync_lose_nothing_and_count_nothing_forged(
    orgs: Orgs, cli: Cli, ssh_keygen: str, budget: Budget
) -> None:
    sign = ("agreement", "sign", "koop", "--signatory", "X", "--date", "2014-01-20")
    run(cli, orgs.kv, *sign, "--partner", "kreis", key=True)
    run(cli, orgs.kv, "sync")
    for org in (orgs.jc, orgs.ca):
        run(cli, org, "sync")
    run(cli, orgs.jc, *sign, "--partner", "jobcenter", key=True)
    # One careless clone also pushes an approval in another partner's name.
    _forge_signoff(ssh_keygen, orgs.jc.root, "caritas", orgs.jc.key, "2014-01-20")
    landed: list[str] = []
    for round_ in range(3):
        writers = [
            (
                f"Kontakt {org.author.split()[0]} {round_}-{n}",
                _writer(org, f"Kontakt {org.author.split()[0]} {round_}-{n}"),
            )
            for org in (orgs.jc, orgs.ca)
            for n in range(4)
        ]
        for name, proc in writers:
            out, err = budget.communicate(proc, f"writer {name!r}", commands=len(writers))
            if proc.returncode == 0:
                landed.append(name)
            else:
                assert proc.returncode == 5 and "belegt" in err, (name, out, err)
        for org in (orgs.jc, orgs.ca, orgs.jc):
            run(cli, org, "sync", ok=None)
    assert landed, "no write landed at all"
    run(cli, orgs.kv, "sync", ok=None)
    for org in (orgs.kv, orgs.jc, orgs.ca):
        text = (org.root / "partners/kreis.yaml").read_text()
        assert all(name in text for name in landed), [n for n in landed if n not in text]
        assert git(org.root, "status", "--porcelain") == ""
        shown = json.loads(run(cli, org, "--json", "agreement", "show", "koop").stdout)  # type: ignore[attr-defined]
        assert shown["missing"] == ["caritas"] and not shown["in_force"]
        remembered = run(cli, org, "--json", "status").stdout  # type: ignore[attr-defined]
        import shutil

        shutil.rmtree(org.root / ".coop", ignore_errors=True)
        assert run(cli, org, "--json", "status").stdout == remembered  # type: ignore[attr-defined]
