"""Shared fixtures: real git repositories in temp dirs, a CLI runner that explains failures."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from coopkit.cli.main import app

TODAY = "2014-02-07"
AUTHOR = "Gisela Bernert <bernert@kreis-myk.example>"
REPO_ROOT = Path(__file__).resolve().parent.parent

BASE_FILES: dict[str, str] = {
    "coop.toml": 'name = "Test"\nlocale = "de"\n',
    "partners/kreis.yaml": """\
        id: kreis
        name: Kreisverwaltung Beispielkreis
        short: Kreis
        represented_by: Landrat
        representative: Rita Vogt
        contacts:
          - id: bernert
            name: Gisela Bernert
            function: Integrationsbeauftragte
            email: bernert@kreis.example
        """,
    "partners/jobcenter.yaml": """\
        id: jobcenter
        name: Jobcenter Beispielkreis
        representative: Paul Brandt
        contacts:
          - id: meyer
            name: Jan Meyer
        """,
    "partners/caritas.yaml": """\
        id: caritas
        name: Caritasverband Beispiel e. V.
        representative: Lena Graf
        contacts:
          - id: klein
            name: Eva Klein
        """,
    "agreements/koop/agreement.md": """\
        ---
        id: koop
        title: Kooperationsvereinbarung Integration
        parties: [kreis, jobcenter, caritas]
        coordinator: kreis
        valid_from: 2012-12-01
        review_cycle: P1Y
        notice_period: P3M
        status: active
        obligations:
          - id: angebote
            clause: 2
            by: caritas
            to: [kreis, jobcenter]
            what: Über aktuelle Beratungsangebote informieren
            every: P3M
            first_due: 2013-03-31
        ---

        ## Präambel

        Die Partner arbeiten zusammen.

        ## § 1 Ziele

        (1) Zuwanderer früh unterstützen.

        ## § 2 Leistungen

        (1) Die Caritas informiert vierteljährlich.
        """,
}


def git_env() -> dict[str, str]:
    """Return an environment for git that ignores the machine's identity and config."""
    env = dict(os.environ)
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "Test",
            "GIT_AUTHOR_EMAIL": "test@example.org",
            "GIT_COMMITTER_NAME": "Test",
            "GIT_COMMITTER_EMAIL": "test@example.org",
        }
    )
    return env


def git(root: Path, *args: str) -> str:
    """Run git in `root` and return its stdout."""
    return subprocess.run(
        ["git", *args], cwd=root, env=git_env(), check=True, capture_output=True, text=True
    ).stdout


GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/* from the current output (review the diff before committing)",
    )


Golden = Callable[[str, str], None]


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """Compare text with tests/golden/NAME; `--update-golden` rewrites the file instead."""

    def check(name: str, text: str) -> None:
        path = GOLDEN_DIR / name
        if request.config.getoption("--update-golden"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"no golden file {name}; run pytest --update-golden and review it"
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"{name} differs from its golden file (pytest --update-golden)"

    return check


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (the default in pyproject): one worker per usable CPU; none on a single CPU."""
    wanted = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if wanted:
        return int(wanted)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cpus if cpus and cpus > 1 else 0


BUDGET_FACTOR = 60
"""A wait may last this many times what the reference `coop` call took at the start of the run."""


@dataclass(frozen=True)
class Budget:
    """Time allowed for waits in tests, scaled by how fast this machine is right now.

    `reference` is how long one real `coop check` of the worked example took (as a process,
    interpreter start included) when the run began: a busy machine measures slower and so
    gets more time; a hang still ends, with a message that says what was waited for.
    """

    reference: float

    def seconds(self, commands: float = 1) -> float:
        """Return the time allowed for about `commands` coop calls' worth of work."""
        return BUDGET_FACTOR * self.reference * commands

    def fail(self, what: str, commands: float = 1) -> None:
        """Fail the test: `what` did not happen within the budget."""
        pytest.fail(
            f"{what}: not done within {self.seconds(commands):.0f} s ({BUDGET_FACTOR} x "
            f"{self.reference:.2f} s, the reference coop call at the start of this run, "
            f"x {commands:g}); a hang?",
            pytrace=False,
        )

    def wait_for(self, condition: Callable[[], bool], what: str, commands: float = 1) -> None:
        """Poll `condition` until it holds; fail when the budget runs out first."""
        deadline = time.monotonic() + self.seconds(commands)
        while not condition():
            if time.monotonic() > deadline:
                self.fail(what, commands)
            time.sleep(0.02)

    def communicate(
        self,
        process: subprocess.Popen[Any],
        what: str,
        commands: float = 1,
        *,
        group: bool = False,
    ) -> tuple[Any, Any]:
        """`process.communicate()` within the budget; on expiry kill it (its group) and fail."""
        try:
            return process.communicate(timeout=self.seconds(commands))
        except subprocess.TimeoutExpired:
            if group:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
            out, err = process.communicate()
            print("stdout:", out)
            print("stderr:", err)
            self.fail(what, commands)
            raise  # not reached: fail() raises


def _measure_reference(example: Path) -> float:
    """Time one `coop check` of the worked example as its own process (the slower of two)."""
    argv = [sys.executable, "-m", "coopkit.cli", "-C", str(example), "--today", TODAY, "check"]
    env = {**git_env(), "COOP_LANG": "de"}
    times = []
    for _ in range(2):  # the first also builds the index, the second reads it
        started = time.monotonic()
        subprocess.run(argv, env=env, capture_output=True, check=False)
        times.append(time.monotonic() - started)
    return max(times)


@pytest.fixture(scope="session")
def budget(tmp_path_factory: pytest.TempPathFactory) -> Budget:
    """The time budget for waits, measured on this machine in this run (see `Budget`)."""
    example = copy_example(tmp_path_factory.mktemp("reference") / "example")
    return Budget(_measure_reference(example))


HANG_COMMANDS = 30
"""A test that has not ended after this many coop calls' budget hangs: its worker is ended."""


@pytest.fixture(autouse=True)
def _hang_guard(budget: Budget) -> Iterator[None]:
    """End a hanging test with the stacks of all threads (xdist then names the test).

    The bound is far above what any test needs (`HANG_COMMANDS` coop calls on this machine,
    as measured in this run), so only a hang reaches it; waits inside tests have their own.
    """
    import faulthandler

    faulthandler.dump_traceback_later(budget.seconds(HANG_COMMANDS), exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def _render_time_from_budget(monkeypatch: pytest.MonkeyPatch, budget: Budget) -> None:
    """Renders in tests get the time this machine needs now (tests of the limit set their own)."""
    from dataclasses import replace

    from coopkit.render import sandbox

    seconds = max(sandbox.LIMITS.seconds, budget.seconds())
    monkeypatch.setattr(sandbox, "LIMITS", replace(sandbox.LIMITS, seconds=seconds))


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.delenv("COOP_AUTHOR", raising=False)
    monkeypatch.delenv("COOP_LANG", raising=False)
    monkeypatch.delenv("COOP_SSH_KEY", raising=False)


MakeRepo = Callable[..., Path]


@pytest.fixture
def make_repo(tmp_path: Path) -> MakeRepo:
    """Write files (dedented), `git init` and commit them with a fixed author; return the root."""
    counter = iter(range(1000))

    def make(
        files: dict[str, str | bytes] | None = None,
        *,
        base: bool = True,
        approve: bool = True,
        legacy: bool = False,
    ) -> Path:
        """Build a repository; with `approve`, each agreement not marked `status: draft` is
        released as v1 and approved by every party. A hand-set `status:` line is dropped unless
        `legacy` keeps it (as repositories written before the lifecycle was derived have it)."""
        root = tmp_path / f"repo{next(counter)}"
        root.mkdir()
        content: dict[str, str | bytes] = dict(BASE_FILES) if base else {}
        content.update(files or {})
        to_approve = []
        for rel, text in content.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                target.write_bytes(text)
                continue
            text = textwrap.dedent(text)
            if rel.startswith("agreements/") and rel.endswith("/agreement.md"):
                draft = "\nstatus: draft\n" in text
                if not legacy:
                    # A blank line keeps every later line number where the test expects it.
                    text = "\n".join(
                        "" if line.startswith("status: ") else line for line in text.split("\n")
                    )
                if approve and not draft:
                    to_approve.append(rel)
            target.write_text(text, encoding="utf-8")
        (root / ".gitignore").write_text(".coop/\n")
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "initial", "--date", "2010-01-01T12:00:00+00:00")
        if to_approve:
            approve_v1(root, to_approve)
        return root

    return make


def approve_v1(
    root: Path, paths: list[str], tagged: str = "2010-01-02", approved: str = "2010-01-03"
) -> None:
    """Tag each agreement as v1 on `tagged` and record every party's approval on `approved`."""
    from coopkit.signing.hashing import content_hash
    from coopkit.store.codec import parse_agreement
    from coopkit.store.text import decode_text

    env = {**git_env(), "GIT_COMMITTER_DATE": f"{tagged}T12:00:00+00:00"}
    written = []
    for rel in paths:
        textfile, _ = decode_text(rel, (root / rel).read_bytes())
        assert textfile is not None
        located, problems = parse_agreement(textfile)
        if located is None or problems:
            continue
        agreement = located.value
        subprocess.run(
            ["git", "tag", "-a", "-m", "v1", f"{agreement.id}/v1"],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
        )
        for party in agreement.parties:
            partner_file = root / f"partners/{party}.yaml"
            found = re.search(
                r"^representative: (.+)$",
                partner_file.read_text("utf-8") if partner_file.is_file() else "",
                re.MULTILINE,
            )
            signatory = found.group(1).strip() if found else "Test"
            signoff = root / f"agreements/{agreement.id}/signoffs/v1/{party}.yaml"
            signoff.parent.mkdir(parents=True, exist_ok=True)
            signoff.write_text(
                f"agreement: {agreement.id}\nversion: v1\npartner: {party}\n"
                f"signatory: {signatory}\ndate: {approved}\nmethod: internal\n"
                f"content_hash: {content_hash(agreement)}\n",
                encoding="utf-8",
            )
            written.append(signoff.relative_to(root).as_posix())
    if written:
        git(root, "add", "--", *written)
        git(root, "commit", "-q", "-m", "approvals", "--date", f"{approved}T12:00:00+00:00")


Cli = Callable[..., Result]


@pytest.fixture
def cli() -> Cli:
    """Run `coop` in-process with a fixed --today and author; echo output when it fails."""
    runner = CliRunner()

    def run(
        *args: str | Path,
        ok: bool | None = True,
        today: str = TODAY,
        author: str = AUTHOR,
        input: str | None = None,
    ) -> Result:
        argv = ["--today", today, "--author", author, *[str(a) for a in args]]
        result = runner.invoke(app, argv, input=input, catch_exceptions=False)
        failed = (ok is True and result.exit_code != 0) or (ok is False and result.exit_code == 0)
        if failed:
            print("argv:", argv)
            print("exit:", result.exit_code)
            print("stdout:", result.stdout)
            print("stderr:", result.stderr)
            pytest.fail(f"coop {' '.join(map(str, args))} exited {result.exit_code}")
        return result

    return run


def head(root: Path) -> str:
    """Return the HEAD commit id."""
    return git(root, "rev-parse", "HEAD").strip()


def tree_state(root: Path) -> tuple[str, str]:
    """Return (HEAD, porcelain status): equal before and after means nothing changed."""
    return head(root), git(root, "status", "--porcelain", "--untracked-files=all")


@pytest.fixture
def fixed_today() -> date:
    return date.fromisoformat(TODAY)


@pytest.fixture(scope="session")
def soffice() -> str:
    """Return the LibreOffice binary, or skip with a reason."""
    import shutil

    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("LibreOffice (soffice) is not installed; .ci/run installs libreoffice-writer")


@pytest.fixture(scope="session")
def ssh_keygen() -> str:
    """Return ssh-keygen, or skip with a reason."""
    import shutil

    found = shutil.which("ssh-keygen")
    if not found:
        pytest.skip("ssh-keygen is not installed; .ci/run installs openssh-client")
    return found


EXAMPLE_PARTS = ("coop.toml", "partners", "agreements", "minutes", "actions", "templates")


def copy_example(root: Path) -> Path:
    """Copy the worked example's files into `root` and commit them as they are."""
    import shutil

    root.mkdir(parents=True, exist_ok=True)
    for name in EXAMPLE_PARTS:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy(source, root / name)
    (root / ".gitignore").write_text(".coop/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "example", "--date", "2012-11-01T12:00:00+00:00")
    return root


@pytest.fixture(scope="session")
def example_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worked example with its v1 released (15 Nov 2012) and approved by all (20 Nov 2012).

    Read-only for tests: v1 is in force from each agreement's valid_from (Nov/Dec 2012).
    """
    root = copy_example(tmp_path_factory.mktemp("example") / "example")
    paths = sorted(p.relative_to(root).as_posix() for p in root.glob("agreements/*/agreement.md"))
    approve_v1(root, paths, tagged="2012-11-15", approved="2012-11-20")
    return root


@pytest.fixture
def example_root(example_repo: Path) -> Iterator[Path]:
    yield example_repo
