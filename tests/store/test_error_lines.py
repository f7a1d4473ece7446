"""The error log's lines on every backend (memory, SQLite, PostgreSQL): written with host, pid
and task; pages newest last, keyset back; filters by host and task; retention; hostile text."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskdesk.errorlog import ErrorLog
from taskdesk.models.error_lines import MAX_LINE_BYTES, ErrorLineFilter, NewErrorLine
from taskdesk.store import Store
from tests.support import FakeClock

ALL = ErrorLineFilter()


def _line(message: str, host: str = "alpha", task_id: int | None = None,
          pid: int = 100) -> NewErrorLine:
    return NewErrorLine(host=host, pid=pid, task_id=task_id, message=message)


def test_a_line_is_stored_with_its_host_pid_task_and_time(store: Store, clock: FakeClock) -> None:
    written = store.error_lines.write(_line("hello", host="beta", task_id=7, pid=4321))
    (read,) = store.error_lines.page(ALL, 10)
    assert read == written
    assert (read.host, read.pid, read.task_id, read.message) == ("beta", 4321, 7, "hello")
    assert read.date_added == clock()


def test_pages_are_newest_last_and_page_back_by_keyset(store: Store) -> None:
    for n in range(7):
        store.error_lines.write(_line(f"line {n}"))
    newest = store.error_lines.page(ALL, 3)
    assert [line.message for line in newest] == ["line 4", "line 5", "line 6"]
    older = store.error_lines.page(ErrorLineFilter(before=newest[0].error_log_id), 3)
    assert [line.message for line in older] == ["line 1", "line 2", "line 3"]
    oldest = store.error_lines.page(ErrorLineFilter(before=older[0].error_log_id), 3)
    assert [line.message for line in oldest] == ["line 0"]


def test_filters_by_host_and_by_task(store: Store) -> None:
    store.error_lines.write(_line("a1", host="alpha", task_id=1))
    store.error_lines.write(_line("b1", host="beta", task_id=1))
    store.error_lines.write(_line("b2", host="beta", task_id=2))
    store.error_lines.write(_line("b-", host="beta"))

    def messages(where: ErrorLineFilter) -> list[str]:
        return [line.message for line in store.error_lines.page(where, 10)]

    assert messages(ErrorLineFilter(host="beta")) == ["b1", "b2", "b-"]
    assert messages(ErrorLineFilter(task_id=1)) == ["a1", "b1"]
    assert messages(ErrorLineFilter(host="beta", task_id=1)) == ["b1"]
    assert messages(ErrorLineFilter(host="gamma")) == []
    assert store.error_lines.hosts() == ["alpha", "beta"]


def test_retention_prunes_old_lines_in_chunks(store: Store, clock: FakeClock) -> None:
    for n in range(5):
        store.error_lines.write(_line(f"old {n}"))
    clock.advance(3600)
    store.error_lines.write(_line("new"))
    assert store.error_lines.prune(retention_seconds=1800, limit=3) == 3
    assert store.error_lines.prune(retention_seconds=1800, limit=3) == 2
    assert store.error_lines.prune(retention_seconds=1800, limit=3) == 0
    assert [line.message for line in store.error_lines.page(ALL, 10)] == ["new"]


def test_clear_deletes_every_hosts_lines(store: Store) -> None:
    store.error_lines.write(_line("a", host="alpha"))
    store.error_lines.write(_line("b", host="beta"))
    assert store.error_lines.clear() == 2
    assert store.error_lines.page(ALL, 10) == []


@pytest.mark.hostile
def test_hostile_messages_are_stored_safely_and_read_back(store: Store, tmp_path: Path) -> None:
    log = ErrorLog(tmp_path / "error.log", lines=lambda: store.error_lines, host="h\x00\x1b[31m")
    log.write("nul\x00 surrogate\ud800 esc\x1b[2J bidi\u202e")
    log.write("x" * (MAX_LINE_BYTES * 4))
    log.write({"not": "a string"})
    lone, huge, other = store.error_lines.page(ALL, 10)
    assert lone.message == "nul\\x00 surrogate\\ud800 esc\x1b[2J bidi\u202e"
    assert lone.host == "h\\x00\\x1b[31m"  # a name: stored as shown
    assert len(huge.message.encode("utf-8")) <= MAX_LINE_BYTES
    assert "cut to" in huge.message
    assert huge.message.startswith("xxx")
    assert other.message == '{"not": "a string"}'
    assert "surrogate" in log.read()  # the file has them too
