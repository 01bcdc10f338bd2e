"""Benchmark of the documents: batch .docx rendering against pandoc, and the meeting folder.

Usage: python bench/documents.py [--repeat N] [--json]

Works on a committed copy of the worked example. "Batch" renders every agreement and every
set of minutes in one process (`coop render --all`) and divides by the number of documents;
pandoc converts the same Markdown (the agreement and minutes files) one process per document,
as a script would. The meeting folder is `coop meeting pack … --pdf` as a command.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUTHOR = "Bench <bench@example.org>"
TODAY = "2014-04-30"


def timed(func: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def example(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in ("coop.toml", "partners", "agreements", "minutes", "actions", "templates"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy(source, target / name)
    env = {
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@e",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@e",
        "PATH": "/usr/bin:/bin",
        "GIT_CONFIG_GLOBAL": "/dev/null",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "example"]):
        subprocess.run(["git", *args], cwd=target, check=True, env=env, capture_output=True)
    return target


def coop(root: Path, *args: str) -> None:
    subprocess.run(
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
            *args,
        ],
        check=True,
        capture_output=True,
    )


def render_in_process(root: Path) -> None:
    """Render every agreement and set of minutes from one load, as `render --all` does."""
    from datetime import date

    from coopkit.queries.context import Context
    from coopkit.queries.load import load_worktree
    from coopkit.services.documents import agreement_bytes, prepare_agreement
    from coopkit.services.meeting_docs import meeting_document

    ctx = Context(root=root, today=date.fromisoformat(TODAY), author_text=AUTHOR)
    data = load_worktree(ctx).data
    for agreement_id in sorted(data.agreements):
        agreement_bytes(ctx, prepare_agreement(ctx, data, agreement_id))
    for minutes in data.minutes.values():
        meeting_document(ctx, data, minutes.value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    results: dict[str, float | int | None] = {}
    with tempfile.TemporaryDirectory(prefix="coop-bench-docs-") as tmp:
        root = example(Path(tmp) / "example")
        sources = sorted(root.glob("agreements/*/agreement.md")) + sorted(root.glob("minutes/*.md"))
        documents = len(sources)
        out = Path(tmp) / "out"
        batch = timed(lambda: coop(root, "render", "--all", "-o", str(out)), args.repeat)
        results["documents"] = documents
        results["render_all_command_s"] = round(batch, 3)
        results["render_all_command_per_document_s"] = round(batch / documents, 3)
        in_process = timed(lambda: render_in_process(root), args.repeat)
        results["batch_per_document_s"] = round(in_process / documents, 4)
        results["single_agreement_command_s"] = round(
            timed(
                lambda: coop(
                    root, "agreement", "render", "myk-caritas-ko", "-o", str(Path(tmp) / "a.docx")
                ),
                args.repeat,
            ),
            3,
        )
        pandoc = shutil.which("pandoc")
        if pandoc:

            def run_pandoc() -> None:
                for index, source in enumerate(sources):
                    subprocess.run(
                        [pandoc, str(source), "-o", str(Path(tmp) / f"p{index}.docx")],
                        check=True,
                        capture_output=True,
                    )

            per_pandoc = timed(run_pandoc, args.repeat) / documents
            results["pandoc_per_document_s"] = round(per_pandoc, 3)
            results["batch_vs_pandoc"] = round(in_process / documents / per_pandoc, 2)
        else:
            results["pandoc_per_document_s"] = None
        if shutil.which("soffice") or shutil.which("libreoffice"):
            pack = Path(tmp) / "pack.zip"
            results["meeting_pack_pdf_s"] = round(
                timed(
                    lambda: coop(
                        root,
                        "meeting",
                        "pack",
                        "2014-05-14-arbeitstreffen",
                        "-o",
                        str(pack),
                        "--pdf",
                    ),
                    1,
                ),
                2,
            )
        results["meeting_pack_docx_s"] = round(
            timed(
                lambda: coop(
                    root,
                    "meeting",
                    "pack",
                    "2014-05-14-arbeitstreffen",
                    "-o",
                    str(Path(tmp) / "p2.zip"),
                ),
                args.repeat,
            ),
            2,
        )
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print("| measurement | value |\n|---|---|")
        for key, value in results.items():
            print(f"| {key} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
