"""ErrorLog: one `<UTC time> - <message>` line per write, read back whole or as a tail."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from taskdesk.errorlog import ErrorLog
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
