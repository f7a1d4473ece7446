"""The error log: what `self.log.write()` writes (OpenCart's System > Maintenance > Error
logs). One log for the installation, whichever host wrote the line: each line is stored in
the database with its host, its process id and the task whose controller wrote it, so every
host's admin reads every host's lines (`taskdesk log show`, /error-log, /api/error-log).

Each line is also appended to this host's `logs/error.log`, for tools that tail it: one
append per call, so that concurrent runners never interleave within an entry.

A database that fails a write neither fails the task nor loses the line: the file has it, and
the failure is reported once (a warning on the `taskdesk.errorlog` logger, which a runner's
output shows) until a write succeeds again, which is reported too. After a refused line the
next RETRY_SECONDS of lines go to the file only, so that a database that is down never makes
each line wait for a connection.

A runner's own warnings (WARNING and above on the `taskdesk.runner` loggers: a recovered task,
a lost lease, an outage) are written to the error log too, while it runs (`warnings_logged`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from taskdesk.clock import Clock, utcnow
from taskdesk.config import Settings
from taskdesk.models.error_lines import (
    MAX_HOST_CHARS,
    MAX_LINE_BYTES,
    ErrorLine,
    ErrorLineFilter,
    NewErrorLine,
)
from taskdesk.store import Store
from taskdesk.store.error_lines import ErrorLineStore
from taskdesk.text import error_text, json_text, storable, visible
from taskdesk.views.error_log import ErrorLogPageView, error_log_page_view

logger = logging.getLogger(__name__)

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
RETRY_SECONDS = 5.0  # after a refused line, lines go to the file only this long
#: Whose warnings a running runner writes to the error log: its own, and its schedules'
#: firings' (a schedule refused or broken is the operator's to see on every host).
RUNNER_LOGGERS = ("taskdesk.runner", "taskdesk.schedules")


@dataclass
class _Health:
    """Whether the database refused the last line (shared by a log and its tasks' copies)."""

    retry_seconds: float = RETRY_SECONDS
    failing: bool = False
    failed_at: float = 0.0  # time.monotonic() of the last refusal
    lock: threading.Lock = field(default_factory=threading.Lock)

    def may_try(self) -> bool:
        with self.lock:
            return not self.failing or (
                time.monotonic() - self.failed_at >= self.retry_seconds)

    def failed(self, error: Exception, path: Path) -> None:
        with self.lock:
            first, self.failing = not self.failing, True
            self.failed_at = time.monotonic()
        if first:
            logger.warning("error_log.database_failed: lines are written to %s only until the "
                           "database takes them again: %s", path, error_text(error))

    def stored(self) -> None:
        with self.lock:
            back, self.failing = self.failing, False
        if back:
            logger.warning("error_log.database_back: lines are stored in the database again "
                           "(those written meanwhile are in the file only)")


class ErrorLog:
    """The installation's error log, as seen from this host; `lines` opens its store."""

    def __init__(self, path: Path, *, lines: Callable[[], ErrorLineStore] | None = None,
                 host: str = "", clock: Clock = utcnow, task_id: int | None = None,
                 health: _Health | None = None, retry_seconds: float = RETRY_SECONDS,
                 held: list[NewErrorLine] | None = None) -> None:
        self.path = path
        #: A name, never text to obey: stored with its control characters already escaped,
        #: so that it can be shown, and filtered by, exactly as stored.
        self.host = visible(storable(host, MAX_HOST_CHARS))[:MAX_HOST_CHARS]
        self.task_id = task_id
        self._lines = lines
        self._clock = clock
        self._health = health or _Health(retry_seconds)
        #: Lines kept for release() rather than stored at once (see holding()).
        self._held = held

    def for_task(self, task_id: int | None) -> ErrorLog:
        """This log, its lines marked as written by the task `task_id`."""
        return ErrorLog(self.path, lines=self._lines, host=self.host, clock=self._clock,
                        task_id=task_id, health=self._health, held=self._held)

    def holding(self) -> ErrorLog:
        """This log with its lines held in memory until release(), the file still written at
        once: for code run inside a transaction, such as an extension's install(), whose
        write lock (SQLite's covers the whole database) a line stored at once would wait on
        until the store gave up."""
        return ErrorLog(self.path, lines=self._lines, host=self.host, clock=self._clock,
                        task_id=self.task_id, health=self._health, held=[])

    def release(self) -> None:
        """Store the lines held so far, in the order they were written (each dated by the
        store as it is stored)."""
        if not self._held:
            return
        held = list(self._held)
        self._held.clear()
        for line in held:
            self._store_line(line)

    def write(self, message: object) -> None:
        """Store the message (non-strings as JSON, or repr) with this host, this process and
        the task, and append `<UTC time> - <message>` to the file."""
        text = json_text(message)
        self._store(text)
        line = f"{self._clock().strftime(TIME_FORMAT)} - {text}\n"
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line.encode("utf-8", "backslashreplace"))
        finally:
            os.close(descriptor)

    def _store(self, text: str) -> None:
        if self._lines is None:
            return
        line = NewErrorLine(host=self.host, pid=os.getpid(), task_id=self.task_id,
                            message=storable(text, MAX_LINE_BYTES))
        if self._held is not None:
            self._held.append(line)
            return
        self._store_line(line)

    def _store_line(self, line: NewErrorLine) -> None:
        if self._lines is None or not self._health.may_try():
            return
        try:
            self._lines().write(line)
        except Exception as error:  # the task goes on; the file keeps the line
            self._health.failed(error, self.path)
        else:
            self._health.stored()

    def page(self, where: ErrorLineFilter, limit: int) -> list[ErrorLine]:
        """The newest `limit` stored lines `where` selects, newest last (every host's)."""
        return self._store_of().page(where, limit)

    def page_view(self, where: ErrorLineFilter, limit: int) -> ErrorLogPageView:
        """A page of lines as the CLI's --json and the API show it (newest last)."""
        return error_log_page_view(self.page(where, limit + 1), limit)

    def hosts(self) -> list[str]:
        """The hosts whose lines are stored."""
        return self._store_of().hosts()

    def clear(self) -> int:
        """Delete every stored line (every host's) and empty this host's file; how many
        lines were stored."""
        cleared = self._store_of().clear() if self._lines is not None else 0
        if self.path.exists():
            self.path.write_bytes(b"")
        return cleared

    def _store_of(self) -> ErrorLineStore:
        if self._lines is None:
            raise RuntimeError("this error log has no database")  # a programming error
        return self._lines()

    # -- this host's file ---------------------------------------------------------------
    def read(self, *, tail: int | None = None) -> str:
        """This host's file, or its last `tail` lines; empty when nothing was written yet."""
        if not self.path.exists():
            return ""
        with self.path.open(encoding="utf-8", errors="replace", newline="\n") as file:
            if tail is None:
                return file.read()
            return "".join(deque(file, maxlen=tail))

    def size(self) -> int:
        """This host's file, in bytes."""
        return self.path.stat().st_size if self.path.exists() else 0


def error_log_of(settings: Settings, store: Callable[[], Store], *,
                 clock: Clock = utcnow) -> ErrorLog:
    """The installation's error log on `store` (opened when first written or read), this
    host's file and name from `settings`."""
    return ErrorLog(settings.error_log, lines=lambda: store().error_lines,
                    host=settings.host_name, clock=clock)


class RunnerWarnings(logging.Handler):
    """Writes each warning of the runner's loggers to the error log, as
    `WARNING taskdesk.runner.x: message`; the error log's own reports are not written back."""

    def __init__(self, log: ErrorLog) -> None:
        super().__init__(logging.WARNING)
        self.log = log
        self._busy = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == __name__ or getattr(self._busy, "on", False):
            return
        self._busy.on = True
        try:
            self.log.write(f"{record.levelname} {record.name}: {record.getMessage()}")
        except Exception:
            self.handleError(record)
        finally:
            self._busy.on = False


@contextmanager
def warnings_logged(log: ErrorLog) -> Iterator[None]:
    """While the block runs, the runner's warnings go to `log` too."""
    handler = RunnerWarnings(log)
    loggers = [logging.getLogger(name) for name in RUNNER_LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
