"""task_progress: which reports are percents, the throttle (at most one write per interval,
the latest held back and written by flush), and containment of what is not the author's
fault."""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path

import pytest

import taskdesk
from taskdesk.config import Settings
from taskdesk.controller import Context, Controller
from taskdesk.errorlog import ErrorLog
from taskdesk.errors import BadProgress, StoreUnavailable
from taskdesk.registry import TaskRegistry
from taskdesk.store import MemoryStore
from taskdesk.task_progress import MESSAGE_BYTES, ProgressReporter, checked, reporting

INTERVAL = 0.5


class Writes:
    """A write target that records what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []

    def __call__(self, percent: int, message: str) -> bool:
        self.calls.append((percent, message))
        return True


class Ticks:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def writes() -> Writes:
    return Writes()


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def reporter(writes: Writes, ticks: Ticks) -> ProgressReporter:
    return ProgressReporter(writes, interval=INTERVAL, monotonic=ticks)


@pytest.mark.parametrize(("percent", "expected"), [
    (0, 0), (100, 100), (42.9, 42), (-0.0, 0), (Fraction(1, 3), 0), (99.999, 99),
])
def test_a_percent_is_kept_as_a_whole_number_rounded_down(percent: object,
                                                           expected: int) -> None:
    assert checked(percent, "m") == (expected, "m")


@pytest.mark.parametrize("percent", [
    float("nan"), float("inf"), float("-inf"), -0.01, 100.01, 10**400, True, "50", None,
    [50], 1j,
])
def test_what_is_not_a_percent_is_refused_with_one_clear_message(percent: object) -> None:
    with pytest.raises(BadProgress, match="progress must be"):
        checked(percent, "")


def test_a_message_must_be_text() -> None:
    with pytest.raises(BadProgress, match="a progress message must be text, not bytes"):
        checked(50, b"half")


def test_the_first_report_is_written_at_once_and_later_ones_at_most_once_per_interval(
    reporter: ProgressReporter, writes: Writes, ticks: Ticks,
) -> None:
    reporter.report(1, "a")
    ticks.now += INTERVAL / 2
    reporter.report(2, "b")
    reporter.report(3, "c")
    assert writes.calls == [(1, "a")]

    ticks.now += INTERVAL
    reporter.report(4, "d")

    assert writes.calls == [(1, "a"), (4, "d")]


def test_flush_writes_the_latest_report_held_back_then_accepts_no_more(
    reporter: ProgressReporter, writes: Writes,
) -> None:
    reporter.report(10, "first")
    reporter.report(20, "held")
    reporter.report(30, "latest")

    reporter.flush()
    reporter.report(90, "after the attempt ended")
    reporter.flush()

    assert writes.calls == [(10, "first"), (30, "latest")]


def test_flush_writes_nothing_when_nothing_was_held_back(
    reporter: ProgressReporter, writes: Writes,
) -> None:
    reporter.report(10, "only")

    reporter.flush()

    assert writes.calls == [(10, "only")]


def test_a_bad_report_is_refused_before_anything_is_written(
    reporter: ProgressReporter, writes: Writes,
) -> None:
    with pytest.raises(BadProgress):
        reporter.report(float("nan"))

    assert writes.calls == []


def test_a_huge_hostile_message_is_stored_bounded_and_escaped(
    reporter: ProgressReporter, writes: Writes,
) -> None:
    reporter.report(5, "\x00\ud800" + "x" * 10_000_000)

    [(_, message)] = writes.calls
    assert len(message.encode("utf-8")) <= MESSAGE_BYTES
    assert message.startswith("\\x00\\ud800x")


def test_a_database_error_is_logged_and_the_task_goes_on(
    ticks: Ticks, caplog: pytest.LogCaptureFixture,
) -> None:
    def unavailable(percent: int, message: str) -> bool:
        raise StoreUnavailable("the database is away")

    reporter = ProgressReporter(unavailable, monotonic=ticks)

    with caplog.at_level(logging.WARNING, logger="taskdesk.task_progress"):
        reporter.report(50, "half")

    assert "task.progress_unstored" in caplog.text


def test_taskdesk_progress_reports_to_the_reporter_of_this_thread(
    reporter: ProgressReporter, writes: Writes,
) -> None:
    with reporting(reporter):
        taskdesk.progress(25, "a quarter")
    taskdesk.progress(50, "outside any runner: checked, then dropped")

    assert writes.calls == [(25, "a quarter")]
    with pytest.raises(BadProgress):
        taskdesk.progress(101)


class Half(Controller):
    def index(self) -> None:
        self.progress(50, "half")


def test_a_controller_reports_through_its_context(
    tmp_path: Path, settings: Settings, reporter: ProgressReporter, writes: Writes,
) -> None:
    base = Context(tasks=TaskRegistry(MemoryStore(), settings),
                   log=ErrorLog(tmp_path / "error.log"), config=settings)
    Half(base).index()  # called directly: nothing to report to
    Half(Context(tasks=base.tasks, log=base.log, config=settings, progress=reporter)).index()

    assert writes.calls == [(50, "half")]
    with pytest.raises(BadProgress):
        Half(base).progress(-5)
