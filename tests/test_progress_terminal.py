"""Long commands show progress on a terminal (real process, pseudo-terminal) and nothing else.

Each command runs three ways: stderr on a pseudo-terminal, stderr piped, and on a terminal with
--json. Only the first shows progress; stdout is byte-identical in the first two.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import AUTHOR, Budget, git, git_env

pytestmark = [
    pytest.mark.skipif(
        sys.platform == "win32", reason="needs a pseudo-terminal (pty module), POSIX only"
    ),
    pytest.mark.timing,
]

COMMANDS_PER_RUN = 10
"""One run may render or convert many documents: its budget is that of this many coop calls."""

_budget: list[Budget] = []


@pytest.fixture(autouse=True)
def _measured_budget(budget: Budget) -> None:
    _budget[:] = [budget]


TODAY = "2014-04-30"
MEETING = "2014-05-14-arbeitstreffen"

Mode = str
MODES: tuple[Mode, ...] = ("terminal", "piped", "json")


def run_coop(cwd: Path, args: list[str], *, terminal: bool) -> tuple[int, bytes, bytes]:
    """Run coop as a process; stderr on a pseudo-terminal or a pipe; return (rc, out, err)."""
    import pty

    env = {**git_env(), "COOP_PROGRESS_DELAY": "0", "COOP_AUTHOR": AUTHOR}
    env.pop("COOP_LANG", None)
    argv = [sys.executable, "-m", "coopkit.cli", "--today", TODAY, *args]
    budget = _budget[0]
    what = f"coop {' '.join(args)} ({'terminal' if terminal else 'piped'})"
    deadline = time.monotonic() + budget.seconds(COMMANDS_PER_RUN)
    with tempfile.TemporaryFile() as out:
        if not terminal:
            try:
                done = subprocess.run(
                    argv,
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.PIPE,
                    timeout=budget.seconds(COMMANDS_PER_RUN),
                )
            except subprocess.TimeoutExpired:
                budget.fail(what, COMMANDS_PER_RUN)
                raise
            out.seek(0)
            return done.returncode, out.read(), done.stderr
        master, slave = pty.openpty()
        try:
            process = subprocess.Popen(
                argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=slave
            )
        finally:
            os.close(slave)
        err = b""
        try:
            while True:
                left = deadline - time.monotonic()
                ready, _, _ = select.select([master], [], [], max(left, 0))
                if not ready:
                    process.kill()
                    process.wait()
                    budget.fail(what, COMMANDS_PER_RUN)
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: every writer of the terminal has closed it
                    break
                if not chunk:
                    break
                err += chunk
        finally:
            os.close(master)
        try:
            code = process.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            budget.fail(what, COMMANDS_PER_RUN)
            raise
        out.seek(0)
        return code, out.read(), err


def run_mode(cwd: Path, args: list[str], mode: Mode) -> tuple[int, bytes, bytes]:
    """Run coop in one of the three modes."""
    extra = ["--json"] if mode == "json" else []
    return run_coop(cwd, [*extra, *args], terminal=mode != "piped")


def progress_text(err: bytes) -> str:
    """Return the progress drawn on the terminal, one redraw a line."""
    text = err.decode("utf-8")
    return "\n".join(part.replace("\x1b[K", "") for part in text.split("\r"))


def make_demo(target: Path) -> Path:
    """Build the worked example as a repository with its history."""
    subprocess.run(
        [sys.executable, "-m", "coopkit.cli", "--author", AUTHOR, "demo", str(target)],
        env=git_env(),
        check=True,
        capture_output=True,
    )
    return target


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_demo(tmp_path_factory.mktemp("progress") / "demo")


def _assert_three_ways(
    run: Callable[[Mode], tuple[int, bytes, bytes]], shown: list[str], code: int = 0
) -> str:
    results = {mode: run(mode) for mode in MODES}
    for mode, (rc, out, err) in results.items():
        assert rc == code, (mode, out, err)
    _, terminal_out, terminal_err = results["terminal"]
    drawn = progress_text(terminal_err)
    for label in shown:
        assert label in drawn, drawn
    assert terminal_err.endswith(b"\r\x1b[K"), "the line is cleared at the end"
    _, piped_out, piped_err = results["piped"]
    assert piped_err == b""
    assert piped_out == terminal_out
    _, json_out, json_err = results["json"]
    assert json_err == b""
    assert json_out.startswith(b"{")
    return drawn


def test_check_shows_records_read_then_rules_on_a_terminal(demo: Path) -> None:
    _assert_three_ways(
        lambda mode: run_mode(demo, ["check"], mode),
        ["Datensätze lesen: 0 / ", "Regeln prüfen …"],
    )


def test_render_all_counts_documents_on_a_terminal(demo: Path, tmp_path: Path) -> None:
    output = tmp_path / "dokumente"
    _assert_three_ways(
        lambda mode: run_mode(demo, ["render", "--all", "-o", str(output)], mode),
        ["Datensätze lesen", "Dokumente erzeugen: ", "Dateien schreiben"],
    )
    assert sorted(p.suffix for p in output.iterdir()) == [".docx"] * 6


def test_meeting_pack_counts_documents_on_a_terminal(demo: Path, tmp_path: Path) -> None:
    output = tmp_path / "unterlagen.zip"
    _assert_three_ways(
        lambda mode: run_mode(demo, ["meeting", "pack", MEETING, "-o", str(output)], mode),
        ["Dokumente erzeugen: ", "Dateien schreiben"],
    )


def test_progress_speaks_english_with_lang_en(demo: Path, tmp_path: Path) -> None:
    rc, out, err = run_coop(
        demo,
        ["--lang", "en", "meeting", "pack", MEETING, "-o", str(tmp_path / "p")],
        terminal=True,
    )
    assert rc == 0, (out, err)
    drawn = progress_text(err)
    assert "reading records" in drawn
    assert "rendering documents: " in drawn
    assert "Dokumente" not in drawn
    assert b"11 files written" in out


def test_meeting_pack_with_pdf_shows_the_libreoffice_step(
    demo: Path, tmp_path: Path, soffice: str
) -> None:
    results = {
        mode: run_mode(
            demo, ["meeting", "pack", MEETING, "--pdf", "-o", str(tmp_path / "pdf")], mode
        )
        for mode in ("terminal", "piped")
    }
    rc, out, err = results["terminal"]
    assert rc == 0, (out, err)
    assert "PDF mit LibreOffice erzeugen (11 Dokumente) …" in progress_text(err)
    assert b"01_Einladung.pdf" in out
    assert results["piped"][2] == b""
    assert results["piped"][1] == out


def _diverged(base: Path, demo: Path) -> Path:
    """A clone with one commit of its own, behind a remote with one commit of another's."""
    mine = base / "mine"
    shutil.copytree(demo, mine, symlinks=True, ignore=shutil.ignore_patterns(".coop"))
    remote = base / "shared.git"
    git(base, "clone", "-q", "--bare", str(mine), str(remote))
    git(mine, "remote", "add", "origin", str(remote))
    git(mine, "fetch", "-q", "origin")
    git(mine, "branch", "-q", "--set-upstream-to=origin/main")
    theirs = base / "theirs"
    git(base, "clone", "-q", str(remote), str(theirs))
    for root, path in ((theirs, "partners/awo-rheinland.yaml"), (mine, "partners/kv-myk.yaml")):
        with (root / path).open("a", encoding="utf-8") as handle:
            handle.write("# geprüft\n")
        git(root, "commit", "-q", "-m", f"note {path}", "--", path)
    git(theirs, "push", "-q", "origin", "HEAD")
    return mine


def test_sync_names_each_step_on_a_terminal(demo: Path, tmp_path: Path) -> None:
    def run(mode: Mode) -> tuple[int, bytes, bytes]:
        base = tmp_path / mode
        base.mkdir()
        return run_mode(_diverged(base, demo), ["sync"], mode)

    drawn = _assert_three_ways(
        run,
        [
            "Abrufen von origin …",
            "Eigenen Stand prüfen",
            "1 eigene(n) Commit(s) auf origin/main setzen …",
            "Zusammengeführten Stand prüfen",
            "Senden an origin/main …",
        ],
    )
    assert "Zusammengeführten Stand prüfen: " in drawn, "the checks count records read"
