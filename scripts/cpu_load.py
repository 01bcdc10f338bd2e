"""Run a command while every CPU is kept busy; stop the load afterwards, also on failure.

CI uses it to prove that the timing-sensitive tests (`-m timing`) hold on a busy machine:

    python scripts/cpu_load.py -- pytest -m timing

One busy process per usable CPU (or `--workers N`) spins until the command has ended; each
also stops by itself when its parent is gone, so a killed run leaves no load behind. The exit
code is the command's.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from types import FrameType


def _spin(parent: int) -> None:
    """Keep one CPU busy until the parent process is gone."""
    while os.getppid() == parent:
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            pass


def _cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    """Start the load, run the command, stop the load; return the command's exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--workers", type=int, default=_cpus(), help="busy processes (CPUs)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given (cpu_load.py -- COMMAND ...)")
    signal.signal(signal.SIGTERM, _stop)
    context = multiprocessing.get_context("spawn")
    me = os.getpid()
    load = [context.Process(target=_spin, args=(me,), daemon=True) for _ in range(args.workers)]
    for process in load:
        process.start()
    print(f"cpu_load: {len(load)} busy processes while running: {' '.join(command)}", flush=True)
    try:
        return subprocess.call(command)
    finally:
        for process in load:
            process.terminate()
        for process in load:
            process.join()
        print("cpu_load: load stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
