"""Progress shows on a terminal for long work and stays quiet when piped or with --json."""

from __future__ import annotations

import io

import pytest

from coopkit.cli import progress as progress_module
from coopkit.cli.progress import READING, Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_one_line_on_a_terminal_and_clears_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    stream = Terminal()
    with Progress(READING, "de", stream=stream) as progress:
        progress(0, 30402)
        progress(30402, 30402)
    out = stream.getvalue()
    assert "Datensätze lesen: 30.402 / 30.402" in out
    assert out.endswith("\r\033[K")


@pytest.mark.parametrize("tty", [False, True])
def test_progress_is_quiet_when_piped_or_with_json(
    monkeypatch: pytest.MonkeyPatch, tty: bool
) -> None:
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    stream = Terminal() if tty else io.StringIO()
    with Progress(READING, "en", quiet=tty, stream=stream) as progress:
        progress(5, 10)
    assert stream.getvalue() == ""


def test_quick_work_shows_nothing() -> None:
    stream = Terminal()
    with Progress(READING, "de", stream=stream) as progress:
        progress(1, 2)
    assert stream.getvalue() == ""
