"""Benchmarks of coopkit: start-up, check and writes at district and Land scale.

Usage: python bench/bench.py [--scale district|region|land] [--repeat N] [--json FILE] [--keep DIR]

Figures are wall-clock medians on this machine; compare ratios within one run, not across
machines. Results go to stdout as a Markdown table (and --json FILE).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

SCALES = {
    # partners, agreements, minutes, actions per meeting
    "district": (10, 10, 20, 5),
    "region": (100, 100, 2000, 10),
    "land": (300, 1000, 20000, 10),
}
AUTHOR = "Bench <bench@example.org>"


def timed(func: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def git(root: Path, *args: str, when: str | None = None, stdin: str | None = None) -> str:
    env = {
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@e",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@e",
        "PATH": "/usr/bin:/bin",
        "GIT_CONFIG_GLOBAL": "/dev/null",
    }
    if when:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when
    done = subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, env=env, input=stdin, text=True
    )
    return done.stdout


RELEASED = date(2011, 12, 15)
"""v1 of every agreement is tagged on this day; every party approves it five days later."""
PENDING_RELEASE = date(2014, 1, 10)
"""Every tenth agreement has a v2 released on this day, approved by its coordinator only."""
TODAY = date(2014, 2, 7)


def _stamp(day: date) -> str:
    return f"{day.isoformat()}T10:00:00+00:00"


def _tag_all(root: Path, tags: list[tuple[str, str, date]]) -> None:
    """Create annotated tags (name, commit, day) with two git processes instead of one per tag."""
    folder = root / ".git" / "bench-tags"
    folder.mkdir()
    paths = []
    for n, (name, commit, day) in enumerate(tags):
        seconds = int(datetime(day.year, day.month, day.day, 10, tzinfo=UTC).timestamp())
        path = folder / f"{n}"
        path.write_text(
            f"object {commit}\ntype commit\ntag {name}\ntagger b <b@e> {seconds} +0000\n\n"
            f"Release {name}\n"
        )
        paths.append(str(path))
    ids = git(root, "hash-object", "-t", "tag", "-w", "--stdin-paths", stdin="\n".join(paths))
    refs = "".join(
        f"create refs/tags/{name} {oid}\n"
        for (name, _, _), oid in zip(tags, ids.split(), strict=True)
    )
    git(root, "update-ref", "--stdin", stdin=refs)
    for path in paths:
        Path(path).unlink()
    folder.rmdir()


def generate(root: Path, partners: int, agreements: int, minutes: int, actions: int) -> None:
    """Write a repository in which versions are released and approved and duties recorded.

    v1 of each agreement is released and approved by all parties (in force from 2012-01-01);
    every tenth agreement has a v2 awaiting approval; obligation o0 has a fulfilment record on
    three of four past due dates (the fourth stays overdue); minutes carry action items.
    """
    from coopkit.model.agreement import Agreement, Clause, Obligation
    from coopkit.model.fulfilment import Fulfilment
    from coopkit.model.minutes import Action, Attendance, Minutes, Top
    from coopkit.model.partner import Contact, Partner
    from coopkit.model.signoff import SignOff
    from coopkit.schedule import occurrences
    from coopkit.signing.hashing import content_hash
    from coopkit.store import codec, layout
    from coopkit.store.text import decode_text

    def write(path: str, text: str) -> None:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    root.mkdir(parents=True)
    write("coop.toml", 'name = "Bench"\n')
    write(".gitignore", ".coop/\n")
    ids = [f"p{i:04d}" for i in range(partners)]
    for pid in ids:
        partner = Partner(
            id=pid,
            name=f"Partner {pid} e. V.",
            contacts=[
                Contact(id=f"c{j}", name=f"Kontakt {j}", email=f"c{j}@{pid}.example")
                for j in range(3)
            ],
        )
        write(layout.partner_path(pid), codec.dump_record(partner))
    clause_text = "\n\n".join(
        f"({n}) " + "Die Partner informieren einander regelmäßig. " * 6 for n in range(1, 4)
    )
    texts: dict[str, Agreement] = {}
    for a in range(agreements):
        parties = [ids[(a + k) % partners] for k in range(3)]
        agreement = Agreement(
            id=f"a{a:05d}",
            title=f"Kooperationsvereinbarung {a}",
            parties=parties,
            coordinator=parties[0],
            valid_from=date(2012, 1, 1),
            review_cycle="P1Y",
            notice_period="P3M",
            obligations=[
                Obligation(
                    id=f"o{k}",
                    clause=2,
                    by=[parties[k % 3]],
                    to=[parties[0]],
                    what="Informieren",
                    every="P3M",
                    first_due=date(2012, 3, 31),
                )
                for k in range(5)
            ],
            preamble="Präambel. " * 20,
            clauses=[
                Clause(number=n, title=f"Abschnitt {n}", text=clause_text) for n in range(1, 11)
            ],
        )
        texts[agreement.id] = agreement
        write(layout.agreement_path(agreement.id), codec.dump_agreement(agreement))
    start = date(2013, 1, 1)
    for m in range(minutes):
        day = start + timedelta(days=m % 3000)
        ag = f"a{m % agreements:05d}"
        parties = [ids[((m % agreements) + k) % partners] for k in range(3)]
        record = Minutes(
            id=f"{day.isoformat()}-s{m:05d}",
            title=f"Sitzung {m}",
            agreements=[ag],
            date=day,
            attendance=Attendance(present=[f"{p}/c0" for p in parties]),
            tops=[
                Top(
                    title=f"TOP {t}",
                    notes="Bericht der Partner.\nAussprache.",
                    decisions=["Beschluss."],
                    actions=[
                        Action(
                            id=t * 100 + k + 1,
                            who=f"{parties[k % 3]}/c1",
                            what="Nachfassen",
                            due=day + timedelta(days=30),
                        )
                        for k in range(actions // 2)
                    ],
                )
                for t in range(2)
            ],
        )
        write(layout.minutes_path(record.id), codec.dump_minutes(record))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Agreements, partners and minutes", when=_stamp(RELEASED))
    first = git(root, "rev-parse", "HEAD").strip()
    tags = [(f"{aid}/v1", first, RELEASED) for aid in texts]

    def parsed_hash(agreement_id: str) -> str:
        # The hash of the text as it reads back from the file, as `coop agreement sign` takes it.
        path = layout.agreement_path(agreement_id)
        textfile, _ = decode_text(path, (root / path).read_bytes())
        assert textfile is not None
        located, _ = codec.parse_agreement(textfile)
        assert located is not None
        return content_hash(located.value)

    def signoff(agreement: Agreement, version: str, partner: str, day: date) -> None:
        record = SignOff(
            agreement=agreement.id,
            version=version,
            partner=partner,
            signatory=f"Leitung {partner}",
            date=day,
            content_hash=parsed_hash(agreement.id),
        )
        write(layout.signoff_path(agreement.id, version, partner), codec.dump_record(record))

    approved = RELEASED + timedelta(days=5)
    for agreement in texts.values():
        for partner in agreement.parties:
            signoff(agreement, "v1", partner, approved)
        duty = agreement.obligations[0]
        for n, due in enumerate(occurrences(duty, date(2012, 1, 1), None, TODAY)):
            if due >= TODAY or n % 4 == 3:
                continue
            record = Fulfilment(
                obligation=duty.id, partner=duty.by[0], due=due, date=due, note="Bericht"
            )
            write(
                layout.fulfilment_path(agreement.id, due.isoformat(), duty.id, duty.by[0]),
                codec.dump_record(record),
            )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Approvals and fulfilments", when=_stamp(TODAY))
    pending = [a for n, a in enumerate(texts.values()) if n % 10 == 0]
    for agreement in pending:
        revised = agreement.model_copy(update={"title": agreement.title + " (Fassung 2)"})
        write(layout.agreement_path(agreement.id), codec.dump_agreement(revised))
        signoff(revised, "v2", revised.parties[0], PENDING_RELEASE + timedelta(days=2))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Revised agreements", when=_stamp(PENDING_RELEASE))
    second = git(root, "rev-parse", "HEAD").strip()
    tags += [(f"{a.id}/v2", second, PENDING_RELEASE) for a in pending]
    _tag_all(root, tags)


BARE_TYPER = """
import typer
app = typer.Typer()
@app.callback()
def main() -> None:
    '''Bare app.'''
@app.command()
def hello() -> None:
    '''Say hello.'''
app()
"""


BARE_TYPER_OPTION = """
import typer
app = typer.Typer()
@app.callback()
def main() -> None:
    '''Bare app.'''
@app.command()
def hello(name: str = typer.Option("x", "--name")) -> None:
    '''Say hello.'''
app()
"""
"""The same app whose command takes one option: typer checks option values with pydantic."""


MANY = 8
"""District repositories for `coop report --repos`."""


def many_repositories(coop: list[str], folder: Path, repeat: int) -> dict[str, float]:
    """Time `coop report --repos` over one and over MANY district repositories, per repository.

    Each repository is generated on its own (its own `.coop/`); "first" is the first report on
    an empty `.coop/` (every record read), "warm" a report whose answers are stored.
    """
    roots = [folder / f"kreis-{n}" for n in range(MANY)]
    for root in roots:
        generate(root, *SCALES["district"])
    results: dict[str, float] = {}

    def report(chosen: list[Path]) -> float:
        argv = [*coop, "--today", TODAY.isoformat(), "report", "--year", "2013", "--repos"]
        return run_child([*argv, *map(str, chosen)])[0]

    def forget() -> None:
        for root in roots:
            shutil.rmtree(root / ".coop", ignore_errors=True)

    one, all_ = [], []
    for _ in range(max(repeat, 3)):
        forget()
        one.append(report(roots[:1]))
        all_.append(report(roots[1:]) / (MANY - 1))
    first_one, first_all = statistics.median(one), statistics.median(all_)
    warm_one = timed(lambda: report(roots[:1]), repeat)
    warm_all = timed(lambda: report(roots[1:]), repeat) / (MANY - 1)
    name = "many: coop report --repos"
    results[f"{name}, first, one repository, command (s)"] = first_one
    results[f"{name}, first, per repository of {MANY - 1}, command (s)"] = first_all
    results[f"{name}, warm, one repository, command (s)"] = warm_one
    results[f"{name}, warm, per repository of {MANY - 1}, command (s)"] = warm_all
    results["many: ratio per repository, first, many / one"] = first_all / first_one
    results["many: ratio per repository, warm, many / one"] = warm_all / warm_one
    return results


def run_child(argv: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Run a process to its end; return (seconds, peak RSS in KiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read() if proc.stderr else b""
    if proc.returncode not in (0, 1):  # 1: the generated data has findings
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {stderr.decode()}")
    return elapsed, usage.ru_maxrss


def timed_child(argv: list[str], repeat: int, cwd: Path | None = None) -> tuple[float, int]:
    """Return (median seconds, highest peak RSS in KiB) over `repeat` runs."""
    runs = [run_child(argv, cwd) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


ENV = {**os.environ, "COOP_AUTHOR": AUTHOR, "GIT_CONFIG_GLOBAL": "/dev/null"}


def paired(
    measured: Callable[[], float], baseline: Callable[[], float], repeat: int
) -> tuple[float, float, float]:
    """Time `measured` and `baseline` in pairs, alternating which runs first.

    Returns (median seconds of each, median of the per-pair ratios): a ratio is taken from
    runs a moment apart, so a shared machine's changing load does not tilt it.
    """
    pairs: list[tuple[float, float]] = []
    for n in range(repeat):
        if n % 2:
            base = baseline()
            pairs.append((measured(), base))
        else:
            pairs.append((measured(), baseline()))
    return (
        statistics.median(m for m, _ in pairs),
        statistics.median(b for _, b in pairs),
        statistics.median(m / b for m, b in pairs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="district")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this folder")
    args = parser.parse_args()

    from coopkit.queries.check import check
    from coopkit.queries.context import Context
    from coopkit.queries.facts import update
    from coopkit.queries.load import load_worktree
    from coopkit.queries.state import scan

    scale = args.scale
    # As pip installs it: byte-compiled (where PYTHONDONTWRITEBYTECODE is set, nothing would
    # write the compiled files and every start would compile every module again).
    import compileall
    import sysconfig

    import coopkit

    for folder in {Path(coopkit.__file__).parent, Path(sysconfig.get_paths()["purelib"])}:
        compileall.compile_dir(folder, quiet=1)
    coop = [sys.executable, "-m", "coopkit.cli"]
    results: dict[str, float] = {}
    rss: dict[str, int] = {}

    def bare_typer() -> float:
        return run_child([sys.executable, "-c", BARE_TYPER, "hello"])[0]

    help_s, bare_s, ratio = paired(
        lambda: run_child([*coop, "--help"])[0], bare_typer, max(args.repeat, 5)
    )
    results["coop --help, command (s)"] = help_s
    results["bare typer app, command (s)"] = bare_s
    results["ratio coop --help / bare typer"] = ratio
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp) / "repo"
        if not (root / "coop.toml").exists():
            t0 = time.perf_counter()
            generate(root, *SCALES[scale])
            results[f"generate {scale} repository (s)"] = time.perf_counter() - t0
        files = int(git(root, "ls-files").count("\n"))
        results[f"{scale}: files in the repository"] = files
        # a bare git commit of one small file, for the write-command ratio
        bare = Path(tmp) / "bare"
        bare.mkdir()
        git(bare, "init", "-q")
        counter = iter(range(10**6))

        def bare_commit() -> None:
            n = next(counter)
            (bare / f"f{n}").write_text("x\n")
            git(bare, "add", f"f{n}")
            git(bare, "commit", "-q", "-m", "x")

        results["bare git add + commit, command (s)"] = timed(bare_commit, args.repeat)

        def cmd(*extra: str) -> list[str]:
            return [*coop, "-C", str(root), "--today", TODAY.isoformat(), *extra]

        shutil.rmtree(root / ".coop", ignore_errors=True)
        seconds, peak = run_child(cmd("status"))
        results[f"{scale}: coop status, empty index (cold), command (s)"] = seconds
        rss["status, cold"] = peak
        for name, extra in (
            ("status", ["status"]),
            ("due", ["due"]),
            ("obligation list", ["obligation", "list"]),
            ("search", ["search", "Sitzung", "17"]),
            ("agreement show", ["agreement", "show", "a00001"]),
            ("check", ["check"]),
        ):
            # First ask: the parse index is warm, the answer is computed (and remembered).
            seconds, peak = run_child(cmd(*extra))
            results[f"{scale}: coop {name}, first ask, command (s)"] = seconds
            rss[f"{name}, first ask"] = peak
            seconds, peak = timed_child(cmd(*extra), args.repeat)
            results[f"{scale}: coop {name}, warm, command (s)"] = seconds
            rss[name] = peak
        writes = iter(range(10**6))
        run = os.getpid()

        def write_command() -> float:
            n = next(writes)
            return run_child(cmd("partner", "add", f"w{run}-{n}", "--name", f"W {n}"))[0]

        def start_and_commit(*app: str) -> Callable[[], float]:
            def measure() -> float:
                start = time.perf_counter()
                bare_commit()
                return time.perf_counter() - start + run_child([sys.executable, "-c", *app])[0]

            return measure

        bare_app = start_and_commit(BARE_TYPER, "hello")
        write_s, _, ratio = paired(write_command, bare_app, max(args.repeat, 5))
        results[f"{scale}: one write command (partner add), command (s)"] = write_s
        results[f"{scale}: ratio write / (bare typer + bare git commit)"] = ratio
        option_app = start_and_commit(BARE_TYPER_OPTION, "hello", "--name", "y")
        _, option_s, ratio = paired(write_command, option_app, max(args.repeat, 5))
        results["bare typer app with one option + bare commit, command (s)"] = option_s
        results[f"{scale}: ratio write / (bare typer with one option + bare git commit)"] = ratio
        minutes = sorted((root / "minutes").iterdir())
        edits = iter(range(10**6))

        def touch_one() -> None:
            n = next(edits)
            path = minutes[n % len(minutes)]
            path.write_text(path.read_text().replace("Aussprache.", f"Aussprache {n}.", 1))

        def status_after_edit() -> None:
            touch_one()
            run_child(cmd("status"))

        results[f"{scale}: coop status after one changed file, command (s)"] = timed(
            status_after_edit, args.repeat
        )

        def due_after_edit() -> None:
            touch_one()
            run_child(cmd("due"))

        results[f"{scale}: coop due after one changed file, command (s)"] = timed(
            due_after_edit, args.repeat
        )
        ctx = Context(root=root, today=TODAY, author_text=AUTHOR)
        update(ctx, scan(root))

        def update_after_edit() -> None:
            touch_one()
            update(ctx, scan(root))

        results[f"{scale}: index update after one changed file, in process (s)"] = timed(
            update_after_edit, args.repeat
        )
        load_worktree(ctx)

        def load_after_edit() -> None:
            touch_one()
            load_worktree(ctx)

        results[f"{scale}: load after one changed file, in process (s)"] = timed(
            load_after_edit, args.repeat
        )
        results[f"{scale}: coop check, in process (s)"] = timed(lambda: check(ctx), args.repeat)
        git(root, "checkout", "-q", "--", ".")
        results[f"{scale}: peak RSS of any command (MiB)"] = max(rss.values()) / 1024
        for name, peak in rss.items():
            results[f"{scale}: peak RSS, coop {name} (MiB)"] = peak / 1024
        results.update(many_repositories(coop, Path(tmp) / "many", args.repeat))
    width = max(len(k) for k in results)
    print(f"| {'measure'.ljust(width)} | median |")
    print(f"| {'-' * width} | ------ |")
    for key, value in results.items():
        print(f"| {key.ljust(width)} | {value:8.3f} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
