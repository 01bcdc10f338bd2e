"""Progress shows on a terminal for long work and stays quiet when piped or with --json."""

from __future__ import annotations

import io

import pytest

from coopkit.cli import progress as progress_module
from coopkit.cli.progress import READING, RULES, Progress
from coopkit.errors import T


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


def test_a_step_names_the_next_stage_and_its_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    stream = Terminal()
    with Progress(READING, "en", stream=stream) as progress:
        progress(3, 3)
        progress.step(RULES)
        progress.step(T("PDF mit LibreOffice erzeugen", "converting with LibreOffice"))
        progress(2, 2)
    drawn = stream.getvalue().split("\r")
    assert "reading records: 3 / 3\033[K" in drawn
    assert "checking the rules …\033[K" in drawn
    assert "converting with LibreOffice …\033[K" in drawn
    assert "converting with LibreOffice: 2 / 2\033[K" in drawn


def test_steps_stay_quiet_when_piped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    stream = io.StringIO()
    with Progress(READING, "de", stream=stream) as progress:
        progress.step(RULES)
        progress(1, 1)
    assert stream.getvalue() == ""


@pytest.mark.parametrize(
    ("value", "seconds"), [("0", 0.0), ("2.5", 2.5), ("", 1.0), ("bald", 1.0), ("-1", 1.0)]
)
def test_the_delay_can_be_set_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, seconds: float
) -> None:
    monkeypatch.setenv("COOP_PROGRESS_DELAY", value)
    assert progress_module.delay() == seconds


def test_after_the_delay_the_current_stage_shows_without_further_calls() -> None:
    stream = Terminal()
    with Progress(READING, "de", stream=stream) as progress:
        progress.step(T("PDF mit LibreOffice erzeugen (3 Dokumente)", "converting"))
        assert stream.getvalue() == "", "within the first second nothing shows"
        progress._due()  # what the timer does once the second has passed
        assert "\rPDF mit LibreOffice erzeugen (3 Dokumente) …" in stream.getvalue()


def test_the_timer_draws_nothing_for_work_that_reported_nothing() -> None:
    stream = Terminal()
    with Progress(READING, "de", stream=stream) as progress:
        progress._due()
    assert stream.getvalue() == ""
