"""ErrorLog: each write stored in the database (host, pid, task) and appended to the host's
file as one `<UTC time> - <message>` line, read back whole or as a tail; a database that fails
a write loses no line and is reported once."""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from taskdesk.config import Settings
from taskdesk.errorlog import ErrorLog, warnings_logged
from taskdesk.errors import StoreUnavailable
from taskdesk.models.error_lines import ErrorLineFilter
from taskdesk.store import MemoryStore
from taskdesk.store.error_lines import ErrorLineStore
from tests.support import FakeClock

LINE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} - .*\n")


@pytest.fixture
def log(tmp_path: Path, clock: FakeClock) -> ErrorLog:
    return ErrorLog(tmp_path / "logs" / "error.log", clock=clock)


def test_line_format(log: ErrorLog, clock: FakeClock) -> None:
    log.write("My task has successfully started!")
    clock.advance(61.5)
    log.write("second")

    assert log.read() == (
        "2026-01-01 12:00:00 - My task has successfully started!\n"
        "2026-01-01 12:01:01 - second\n"
    )


def test_creates_the_folder(log: ErrorLog) -> None:
    assert not log.path.parent.exists()

    log.write("x")

    assert log.path.is_file()


@pytest.mark.parametrize(
    ("message", "text"),
    [
        ({"a": 1}, '{"a": 1}'),
        ([1, "two", None], '[1, "two", null]'),
        (3, "3"),
        (None, "null"),
        (True, "true"),
        ({"when": datetime(2026, 1, 1, tzinfo=UTC)}, '{"when": "2026-01-01 00:00:00+00:00"}'),
        (("a", 1), '["a", 1]'),
    ],
)
def test_non_strings_are_written_as_json(log: ErrorLog, message: object, text: str) -> None:
    log.write(message)

    assert log.read() == f"2026-01-01 12:00:00 - {text}\n"


def test_what_json_cannot_write_is_written_as_repr(log: ErrorLog) -> None:
    log.write({(1, 2): "tuple key"})

    assert log.read() == "2026-01-01 12:00:00 - {(1, 2): 'tuple key'}\n"


def test_unicode(log: ErrorLog) -> None:
    log.write("café ✓")

    assert log.read() == "2026-01-01 12:00:00 - café ✓\n"


def test_appends_to_an_existing_log(log: ErrorLog, tmp_path: Path, clock: FakeClock) -> None:
    log.write("first")
    again = ErrorLog(log.path, clock=clock)

    again.write("second")

    assert log.read().splitlines() == ["2026-01-01 12:00:00 - first",
                                       "2026-01-01 12:00:00 - second"]


def test_tail(log: ErrorLog) -> None:
    for n in range(5):
        log.write(f"line {n}")

    assert log.read(tail=2) == "2026-01-01 12:00:00 - line 3\n2026-01-01 12:00:00 - line 4\n"
    assert log.read(tail=10) == log.read()
    assert log.read(tail=0) == ""


def test_read_of_a_missing_file_is_empty(log: ErrorLog) -> None:
    assert log.read() == ""
    assert log.read(tail=5) == ""
    assert log.size() == 0


def test_size(log: ErrorLog) -> None:
    log.write("abc")

    assert log.size() == len("2026-01-01 12:00:00 - abc\n")


def test_clear(log: ErrorLog) -> None:
    log.write("gone")

    log.clear()

    assert log.read() == ""
    assert log.size() == 0
    log.write("after")
    assert log.read() == "2026-01-01 12:00:00 - after\n"


def test_clear_of_a_missing_file(log: ErrorLog) -> None:
    log.clear()

    assert not log.path.exists()


def test_concurrent_writers_produce_whole_lines(log: ErrorLog) -> None:
    threads, writes = 8, 200
    start = threading.Barrier(threads)

    def writer(number: int) -> None:
        start.wait()
        for n in range(writes):
            log.write(f"writer {number} line {n} " + "x" * (100 + number * 37))

    workers = [threading.Thread(target=writer, args=(number,)) for number in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    lines = log.read().splitlines(keepends=True)
    assert len(lines) == threads * writes
    assert all(LINE.fullmatch(line) for line in lines)
    entries = [re.fullmatch(r"\S+ \S+ - writer (\d+) line (\d+) (x+)\n", line) for line in lines]
    seen = {(int(m[1]), int(m[2]), len(m[3])) for m in entries if m}
    assert seen == {(number, n, 100 + number * 37)
                    for number in range(threads) for n in range(writes)}


# -- the database's lines ---------------------------------------------------------------


class Flaky:
    """An error-line store that refuses writes while `down`."""

    def __init__(self) -> None:
        self.store = MemoryStore()
        self.down = False

    def lines(self) -> ErrorLineStore:
        if self.down:
            raise StoreUnavailable("the database is down")
        return self.store.error_lines


def test_a_line_is_stored_with_host_pid_and_task(tmp_path: Path, clock: FakeClock) -> None:
    store = MemoryStore(clock=clock)
    log = ErrorLog(tmp_path / "error.log", lines=lambda: store.error_lines, host="alpha",
                   clock=clock)
    log.write("outside a task")
    log.for_task(7).write("inside task 7")
    outside, inside = store.error_lines.page(ErrorLineFilter(), 10)
    assert (outside.host, outside.pid, outside.task_id) == ("alpha", os.getpid(), None)
    assert (inside.task_id, inside.message) == (7, "inside task 7")
    assert log.read().splitlines() == ["2026-01-01 12:00:00 - outside a task",
                                       "2026-01-01 12:00:00 - inside task 7"]


def test_a_database_that_fails_loses_no_line_and_is_reported_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    flaky = Flaky()
    log = ErrorLog(tmp_path / "error.log", lines=flaky.lines, host="alpha", retry_seconds=0)
    flaky.down = True
    with caplog.at_level(logging.WARNING, logger="taskdesk.errorlog"):
        log.write("first while down")
        log.for_task(3).write("second while down")  # a task's copy shares the report
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "error_log.database_failed"]
    assert "the database is down" in caplog.records[0].getMessage()
    assert [line.split(" - ", 1)[1] for line in log.read().splitlines()] == [
        "first while down", "second while down"]  # the file keeps them
    caplog.clear()
    flaky.down = False
    with caplog.at_level(logging.WARNING, logger="taskdesk.errorlog"):
        log.write("back")
        log.write("still back")
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["error_log.database_back"]
    assert [line.message for line in flaky.store.error_lines.page(ErrorLineFilter(), 10)] == [
        "back", "still back"]


def test_clear_deletes_the_database_lines_and_empties_the_file(tmp_path: Path) -> None:
    store = MemoryStore()
    log = ErrorLog(tmp_path / "error.log", lines=lambda: store.error_lines, host="alpha")
    log.write("a")
    log.write("b")
    assert log.clear() == 2
    assert store.error_lines.page(ErrorLineFilter(), 10) == []
    assert log.read() == ""


def test_page_view_pages_back_with_next_cursor(tmp_path: Path) -> None:
    store = MemoryStore()
    log = ErrorLog(tmp_path / "error.log", lines=lambda: store.error_lines, host="alpha")
    for n in range(3):
        log.write(f"line {n}")
    first = log.page_view(ErrorLineFilter(), 2)
    assert [line["message"] for line in first["lines"]] == ["line 1", "line 2"]
    assert first["next_cursor"] == first["lines"][0]["error_log_id"]
    last = log.page_view(ErrorLineFilter(before=first["next_cursor"]), 2)
    assert ([line["message"] for line in last["lines"]], last["next_cursor"]) == (["line 0"], None)


def test_the_host_name_setting_names_the_lines(tmp_path: Path) -> None:
    assert Settings(home=tmp_path, host_name="web-1").host_name == "web-1"
    assert Settings(home=tmp_path).host_name == socket.gethostname()
    assert Settings.from_env({"TASKDESK_HOST_NAME": "db-2"}, home=tmp_path).host_name == "db-2"


def test_after_a_refusal_lines_go_to_the_file_only_for_a_while(tmp_path: Path) -> None:
    flaky = Flaky()
    log = ErrorLog(tmp_path / "error.log", lines=flaky.lines, host="alpha", retry_seconds=60)
    flaky.down = True
    log.write("refused")
    flaky.down = False
    log.write("within the pause")  # not tried: a database that is down would make it wait
    assert flaky.store.error_lines.page(ErrorLineFilter(), 10) == []
    assert [line.split(" - ", 1)[1] for line in log.read().splitlines()] == [
        "refused", "within the pause"]


def test_the_runners_warnings_are_written_while_it_runs(tmp_path: Path) -> None:
    store = MemoryStore()
    log = ErrorLog(tmp_path / "error.log", lines=lambda: store.error_lines, host="alpha")
    runner_logger = logging.getLogger("taskdesk.runner.housekeeper")
    with warnings_logged(log):
        runner_logger.warning("task.recovered task_id=%s", 5)
        runner_logger.info("not a warning")
        logging.getLogger("taskdesk.errorlog").warning("error_log.database_failed: not again")
    runner_logger.warning("after the runner stopped")
    [line] = store.error_lines.page(ErrorLineFilter(), 10)
    assert line.message == "WARNING taskdesk.runner.housekeeper: task.recovered task_id=5"
