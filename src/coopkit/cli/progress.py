"""Progress on a terminal for work that takes longer than a second.

A `Progress` is the callback the services and queries accept (`progress(done, total)`), and its
`step(label)` names the next stage of a longer job ("Regeln prüfen", "PDF mit LibreOffice
erzeugen"). It draws one line on stderr, redrawn in place, only when stderr is a terminal and
output is not JSON, and only once the work has taken a second: a timer draws the current line
then, so a single long stage (LibreOffice, a push) shows even without further calls. Piped
output and `--json` stay quiet; the line is cleared again when the work is done.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

from coopkit.errors import T

DELAY = 1.0
"""Seconds of silence before the line appears: quick work shows nothing."""

DELAY_VARIABLE = "COOP_PROGRESS_DELAY"
"""Environment variable that overrides DELAY (seconds; 0 shows progress at once)."""


def delay() -> float:
    """Return the seconds before progress appears: COOP_PROGRESS_DELAY, else DELAY."""
    value = os.environ.get(DELAY_VARIABLE, "").strip()
    try:
        seconds = float(value) if value else DELAY
    except ValueError:
        return DELAY
    return seconds if 0 <= seconds < 3600 else DELAY


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


class Progress:
    """A line on a terminal: "Datensätze lesen: 12.345 / 30.402" or "Regeln prüfen …"."""

    def __init__(
        self, label: T, lang: str, *, quiet: bool = False, stream: TextIO | None = None
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and _is_terminal(self.stream)
        self.lang = lang
        self.label = label.format(lang)
        self.count: tuple[int, int] | None = None
        self.started = time.monotonic()
        self.shown = False
        self.closed = False
        self.told = False
        """Whether any work was reported: the timer draws nothing for a job that said nothing."""
        self._last = 0.0
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        if self.enabled:
            wait = delay()
            if wait > 0:
                self._timer = threading.Timer(wait, self._due)
                self._timer.daemon = True
                self._timer.start()
            self.delay = wait
        else:
            self.delay = 0.0

    def __call__(self, done: int, total: int) -> None:
        """Report that `done` of `total` steps of the current stage are finished."""
        if not self.enabled:
            return
        with self._lock:
            self.count = (done, total)
            self.told = True
            now = time.monotonic()
            if not self._late(now) or (now - self._last < 0.1 and done < total):
                return
            self._draw(now)

    def step(self, label: T) -> None:
        """Start the next stage: show what it does (with a counter once it reports one)."""
        if not self.enabled:
            return
        with self._lock:
            self.label = label.format(self.lang)
            self.count = None
            self.told = True
            now = time.monotonic()
            if self._late(now):
                self._draw(now)

    def _late(self, now: float) -> bool:
        return now - self.started >= self.delay

    def _due(self) -> None:
        with self._lock:
            if self.told and not self.closed:
                self._draw(time.monotonic())

    def _draw(self, now: float) -> None:
        if self.closed:
            return
        if self.count is None:
            text = f"{self.label} …"
        else:
            done, total = self.count
            text = f"{self.label}: {_number(done)} / {_number(total)}"
        width = _width(self.stream)
        if width is not None and len(text) >= width:
            text = text[: max(width - 2, 1)] + "…"
        self._last = now
        self.shown = True
        self.stream.write(f"\r{text}\033[K")
        self.stream.flush()

    def close(self) -> None:
        """Clear the line again."""
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self.closed = True
            if self.shown:
                self.stream.write("\r\033[K")
                self.stream.flush()
                self.shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _width(stream: TextIO) -> int | None:
    try:
        return os.get_terminal_size(stream.fileno()).columns or None
    except (AttributeError, ValueError, OSError):
        return None


READING = T("Datensätze lesen", "reading records")
RULES = T("Regeln prüfen", "checking the rules")
