"""Progress on a terminal for work that takes longer than a second.

A `Progress` is the callback the services and queries accept (`progress(done, total)`): it
draws one line on stderr, redrawn in place, only when stderr is a terminal, output is not JSON,
and the work has already taken a second. Piped output and `--json` stay quiet.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from coopkit.errors import T

DELAY = 1.0
"""Seconds of silence before the line appears: quick work shows nothing."""


class Progress:
    """A counter line on a terminal: "Datensätze lesen: 12.345 / 30.402"."""

    def __init__(
        self, label: T, lang: str, *, quiet: bool = False, stream: TextIO | None = None
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and self.stream.isatty()
        self.label = label.format(lang)
        self.started = time.monotonic()
        self.shown = False
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        """Report that `done` of `total` steps are finished."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < DELAY or (now - self._last < 0.1 and done < total):
            return
        self._last = now
        self.shown = True
        self.stream.write(f"\r{self.label}: {done:,} / {total:,}".replace(",", "."))
        self.stream.flush()

    def close(self) -> None:
        """Clear the line again."""
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


READING = T("Datensätze lesen", "reading records")
