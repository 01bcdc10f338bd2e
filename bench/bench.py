"""Benchmarks of coopkit: start-up, check and writes at district and Land scale.

Usage: python bench/bench.py [--scale district|region|land] [--repeat N]

Figures are wall-clock medians on this machine; compare ratios within one run, not across
machines. Results go to stdout as a Markdown table (and --json FILE).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
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


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=root,
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "b",
            "GIT_AUTHOR_EMAIL": "b@e",
            "GIT_COMMITTER_NAME": "b",
            "GIT_COMMITTER_EMAIL": "b@e",
            "PATH": "/usr/bin:/bin",
            "GIT_CONFIG_GLOBAL": "/dev/null",
        },
    )


def generate(root: Path, partners: int, agreements: int, minutes: int, actions: int) -> None:
    from coopkit.model.agreement import Agreement, Clause, Obligation
    from coopkit.model.minutes import Action, Attendance, Minutes, Top
    from coopkit.model.partner import Contact, Partner
    from coopkit.store import codec

    root.mkdir(parents=True)
    (root / "coop.toml").write_text('name = "Bench"\n')
    (root / ".gitignore").write_text(".coop/\n")
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
        path = root / "partners" / f"{pid}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(codec.dump_record(partner))
    clause_text = "\n\n".join(
        f"({n}) " + "Die Partner informieren einander regelmäßig. " * 6 for n in range(1, 4)
    )
    for a in range(agreements):
        parties = [ids[(a + k) % partners] for k in range(3)]
        agreement = Agreement(
            id=f"a{a:05d}",
            title=f"Kooperationsvereinbarung {a}",
            parties=parties,
            coordinator=parties[0],
            valid_from=date(2012, 1, 1),
            status="active",
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
        path = root / "agreements" / agreement.id / "agreement.md"
        path.parent.mkdir(parents=True)
        path.write_text(codec.dump_agreement(agreement))
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
        path = root / "minutes" / f"{record.id}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(codec.dump_minutes(record))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "bench data")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="district")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from coopkit.queries.check import check
    from coopkit.queries.context import Context
    from coopkit.queries.load import load_worktree
    from coopkit.services.repository import commit_changes

    coop = [sys.executable, "-m", "coopkit.cli"]
    results: dict[str, float] = {}
    results["coop --help (s)"] = timed(
        lambda: subprocess.run([*coop, "--help"], check=True, capture_output=True), args.repeat
    )
    example = Path(__file__).resolve().parent.parent
    results["coop check, worked example (s)"] = timed(
        lambda: subprocess.run(
            [*coop, "-C", str(example), "check"], check=True, capture_output=True
        ),
        args.repeat,
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        t0 = time.perf_counter()
        generate(root, *SCALES[args.scale])
        results[f"generate {args.scale} repository (s)"] = time.perf_counter() - t0
        files = sum(1 for _ in root.rglob("*.md")) + sum(1 for _ in root.rglob("*.yaml"))
        ctx = Context(root=root, today=date(2014, 2, 7), author_text=AUTHOR)
        results[f"load {files} files, empty index (s)"] = timed(lambda: load_worktree(ctx), 1)
        results[f"load {files} files, warm index (s)"] = timed(
            lambda: load_worktree(ctx), args.repeat
        )
        results[f"coop check, {args.scale}, in process (s)"] = timed(
            lambda: check(ctx), args.repeat
        )
        results[f"coop check, {args.scale}, command (s)"] = timed(
            lambda: subprocess.run(
                [*coop, "-C", str(root), "check"], check=True, capture_output=True
            ),
            args.repeat,
        )
        for name, extra in (("status", ["status"]), ("due", ["--today", "2014-02-07", "due"])):
            results[f"coop {name}, {args.scale}, command (s)"] = timed(
                lambda extra=extra: subprocess.run(
                    [*coop, "-C", str(root), *extra], check=True, capture_output=True
                ),
                args.repeat,
            )
        counter = iter(range(10**6))

        def write() -> None:
            n = next(counter)
            commit_changes(
                ctx,
                {f"partners/w{n}.yaml": f"id: w{n}\nname: W{n}\n".encode()},
                f"Add partner w{n}",
            )

        results[f"one write command (validate + commit), {args.scale} (s)"] = timed(
            write, args.repeat
        )
    width = max(len(k) for k in results)
    print(f"| {'measure'.ljust(width)} | median |")
    print(f"| {'-' * width} | ------ |")
    for key, value in results.items():
        print(f"| {key.ljust(width)} | {value:6.3f} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
