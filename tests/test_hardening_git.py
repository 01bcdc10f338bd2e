"""A failed or interrupted commit leaves working tree, index and HEAD exactly as before."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import AUTHOR, TODAY, Budget, Cli, MakeRepo, git, git_env, head
from coopkit.errors import RepositoryError
from coopkit.queries.context import Context
from coopkit.services.repository import commit_changes

NEW_PARTNER = b"id: awo\nname: AWO Beispiel\n"
KREIS = "partners/kreis.yaml"


def context(root: Path, **extra: object) -> Context:
    from datetime import date

    return Context(root=root, today=date.fromisoformat(TODAY), author_text=AUTHOR, **extra)  # type: ignore[arg-type]


def snapshot(root: Path) -> tuple[str, str, str, dict[str, bytes]]:
    """HEAD, staged diff, porcelain status and every tracked or untracked file's bytes."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith((".git/", ".coop/")) or rel in (".git", ".coop") or not path.is_file():
            continue
        files[rel] = path.read_bytes()
    return (
        head(root),
        git(root, "diff", "--cached"),
        git(root, "status", "--porcelain", "--untracked-files=all"),
        files,
    )


def change(root: Path) -> dict[str, bytes | None]:
    kreis = (root / KREIS).read_bytes()
    return {KREIS: kreis + b"web: https://kreis.example\n", "partners/awo.yaml": NEW_PARTNER}


def install_hook(root: Path, name: str, script: str) -> None:
    hook = root / ".git" / "hooks" / name
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\n" + script)
    hook.chmod(0o755)


def git_wrapper(tmp_path: Path, script: str) -> str:
    """Put a `git` on PATH that runs `script` (with $@ the arguments) before the real git."""
    real = shutil.which("git")
    assert real
    folder = tmp_path / "wrapped-bin"
    folder.mkdir(exist_ok=True)
    wrapper = folder / "git"
    wrapper.write_text(f'#!/bin/sh\nREAL_GIT="{real}"\n{script}\nexec "$REAL_GIT" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


def fails_on(step: str) -> str:
    return (
        f'for a in "$@"; do [ "$a" = "{step}" ] && {{ echo "{step} refused" >&2; exit 1; }}; done'
    )


def test_failing_pre_commit_hook_refuses_with_its_output_and_leaves_nothing(
    make_repo: MakeRepo,
) -> None:
    root = make_repo()
    install_hook(root, "pre-commit", 'echo "Prüfung: Zeile 3 zu lang" >&2\nexit 1\n')
    before = snapshot(root)
    with pytest.raises(RepositoryError) as info:
        commit_changes(context(root), change(root), "Change two partners")
    assert "pre-commit" in info.value.message.format("de")
    assert info.value.hint is not None and "Zeile 3 zu lang" in info.value.hint.format("de")
    assert snapshot(root) == before


def test_failing_commit_msg_hook_leaves_nothing(make_repo: MakeRepo) -> None:
    root = make_repo()
    install_hook(root, "commit-msg", 'grep -q "^JIRA-" "$1" || exit 1\n')
    before = snapshot(root)
    with pytest.raises(RepositoryError, match="commit-msg"):
        commit_changes(context(root), change(root), "Change two partners")
    assert snapshot(root) == before


def test_hooks_see_exactly_the_change_in_their_index(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = make_repo()
    seen = tmp_path / "seen.txt"
    install_hook(root, "pre-commit", f'git diff --cached --name-only > "{seen}"\n')
    (root / "partners/jobcenter.yaml").write_text("id: jobcenter\nname: Jobcenter neu\n")
    git(root, "add", "partners/jobcenter.yaml")  # the user's own staged change
    commit_changes(context(root), change(root), "Change two partners")
    assert seen.read_text().split() == ["partners/awo.yaml", KREIS]
    # The user's staged change is still staged, and not part of the commit.
    assert git(root, "diff", "--cached", "--name-only").split() == ["partners/jobcenter.yaml"]
    assert git(root, "show", "--name-only", "--format=", "HEAD").split() == [
        "partners/awo.yaml",
        KREIS,
    ]


def test_commit_leaves_git_status_clean(make_repo: MakeRepo) -> None:
    root = make_repo()
    commit_changes(context(root), change(root), "Change two partners")
    assert git(root, "status", "--porcelain") == ""
    assert git(root, "log", "-1", "--format=%an <%ae>|%s") == f"{AUTHOR}|Change two partners\n"


@pytest.mark.parametrize("step", ["add", "write-tree", "commit-tree", "update-ref", "hook"])
def test_git_failing_at_each_step_leaves_nothing(
    make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    root = make_repo()
    install_hook(root, "pre-commit", "exit 0\n")
    before = snapshot(root)
    monkeypatch.setenv("PATH", git_wrapper(tmp_path, fails_on(step)))
    with pytest.raises(RepositoryError):
        commit_changes(context(root), change(root), "Change two partners")
    monkeypatch.undo()
    assert snapshot(root) == before


def test_a_full_disk_while_git_writes_leaves_nothing(
    make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo()
    before = snapshot(root)
    # No file may grow past 0 blocks: every object or index git writes fails as on a full disk.
    monkeypatch.setenv("PATH", git_wrapper(tmp_path, "trap '' XFSZ\nulimit -f 0"))
    with pytest.raises(RepositoryError):
        commit_changes(context(root), change(root), "Change two partners")
    monkeypatch.undo()
    assert snapshot(root) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_objects_leave_nothing(make_repo: MakeRepo) -> None:
    root = make_repo()
    before = snapshot(root)
    objects = root / ".git" / "objects"
    folders = [objects, *[p for p in objects.rglob("*") if p.is_dir()]]
    for folder in folders:
        folder.chmod(0o555)
    try:
        with pytest.raises(RepositoryError):
            commit_changes(context(root), change(root), "Change two partners")
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert snapshot(root) == before


def test_git_refusing_the_author_leaves_nothing(make_repo: MakeRepo) -> None:
    root = make_repo()
    before = snapshot(root)
    with pytest.raises(RepositoryError):
        commit_changes(
            Context(root=root, today=context(root).today, author_text=". <a@b.example>"),
            change(root),
            "Change two partners",
        )
    assert snapshot(root) == before


def test_a_commit_by_someone_else_meanwhile_is_never_overwritten(
    make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo()
    before = snapshot(root)
    # Just before coop builds its commit, another process commits: the compare-and-swap fails.
    race = (
        'for a in "$@"; do if [ "$a" = "commit-tree" ]; then '
        'env -u GIT_INDEX_FILE "$REAL_GIT" -c user.name=X -c user.email=x@example.org '
        "commit -q --allow-empty -m other >/dev/null; fi; done"
    )
    monkeypatch.setenv("PATH", git_wrapper(tmp_path, race))
    with pytest.raises(RepositoryError, match="changed while writing|geändert"):
        commit_changes(context(root), change(root), "Change two partners")
    monkeypatch.undo()
    other = head(root)
    assert other != before[0]
    assert git(root, "log", "-1", "--format=%s") == "other\n"
    assert git(root, "diff", "--cached") == ""
    assert snapshot(root)[1:] == before[1:]


@pytest.mark.parametrize(
    ("state", "word"),
    [
        ("MERGE_HEAD", "Merge"),
        ("CHERRY_PICK_HEAD", "Cherry-Pick"),
        ("REVERT_HEAD", "Revert"),
        ("BISECT_LOG", "Bisect"),
        ("rebase-merge", "Rebase"),
    ],
)
def test_writes_refused_while_git_is_in_the_middle_of_something(
    make_repo: MakeRepo, state: str, word: str
) -> None:
    root = make_repo()
    marker = root / ".git" / state
    if state.startswith("rebase"):
        marker.mkdir()
    else:
        marker.write_text(head(root) + "\n")
    before = snapshot(root)
    with pytest.raises(RepositoryError) as info:
        commit_changes(context(root), change(root), "Change two partners")
    assert word in info.value.message.format("de")
    assert snapshot(root) == before


def test_writes_refused_on_a_detached_head(make_repo: MakeRepo) -> None:
    root = make_repo()
    git(root, "checkout", "-q", "--detach")
    before = snapshot(root)
    with pytest.raises(RepositoryError, match="detached"):
        commit_changes(context(root), change(root), "Change two partners")
    assert snapshot(root) == before


def test_refusal_during_a_merge_through_the_cli(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    (root / ".git" / "MERGE_HEAD").write_text(head(root) + "\n")
    before = snapshot(root)
    result = cli("-C", root, "partner", "add", "awo", "--name", "AWO", ok=False)
    assert result.exit_code == 5
    assert "Merge" in result.stderr
    assert snapshot(root) == before


def test_init_makes_the_first_commit_of_an_empty_repository(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "neu"
    target.mkdir()
    git(target, "init", "-q", "-b", "main")
    cli("init", target)
    assert git(target, "rev-list", "--count", "HEAD") == "1\n"
    assert git(target, "status", "--porcelain") == ""


def _coop_process(root: Path, path_env: str) -> subprocess.Popen[bytes]:
    env = git_env()
    env.update({"PATH": path_env, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull})
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "coopkit.cli",
            "-C",
            str(root),
            "--today",
            TODAY,
            "--author",
            AUTHOR,
            "partner",
            "add",
            "awo",
            "--name",
            "AWO Beispiel",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


@pytest.mark.slow
@pytest.mark.timing
@pytest.mark.parametrize("step", ["hash-object", "commit-tree", "update-ref"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_signal_during_the_commit_leaves_index_and_head(
    make_repo: MakeRepo, tmp_path: Path, step: str, sig: signal.Signals, budget: Budget
) -> None:
    root = make_repo()
    before = snapshot(root)
    marker = tmp_path / "reached"
    # The git step waits on a pipe that nobody writes to until the test lets it go: paused for
    # exactly as long as the test needs, however slow the machine, and no longer.
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    pause = f'for a in "$@"; do if [ "$a" = "{step}" ]; then touch "{marker}"; read _ < "{gate}"; fi; done'
    process = _coop_process(root, git_wrapper(tmp_path, pause))
    try:
        budget.wait_for(
            lambda: marker.exists() or process.poll() is not None, f"coop reaching git {step}"
        )
        assert marker.exists(), process.communicate()
        # As Ctrl-C in a terminal does: the whole process group, git included.
        os.killpg(process.pid, sig)
        _, stderr = budget.communicate(process, f"coop ending after {sig.name}", group=True)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    lock = root / ".git" / "index.lock"
    if sig == signal.SIGKILL and step == "update-ref":
        # Killed while holding git's index lock (as a killed git would): the index is intact.
        assert lock.exists()
        lock.unlink()
    assert not lock.exists()
    after = snapshot(root)
    assert after[0] == before[0], "HEAD moved"
    assert after[1] == before[1], "the index changed"
    if sig == signal.SIGINT:
        assert process.returncode in (130, 5), stderr.decode()
        assert after == before, "working files not restored"
    else:
        # Nothing can run after SIGKILL: the new file may stay in the working tree, unstaged.
        assert set(after[3]) - set(before[3]) <= {"partners/awo.yaml"}
