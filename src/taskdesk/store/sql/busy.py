"""An add that finds SQLite's write lock held retries within its own bound, instead of failing
after one busy wait (issue 14 #15: a worker stalled inside a write transaction made 8 of 10
adds fail "database is locked").

Each try is a whole transaction: SQLite's BEGIN IMMEDIATE takes the write lock before the add
writes anything, and a try that fails is rolled back, so nothing is ever half-written. Tries
go on until TASKDESK_ADD_WAIT_SECONDS have passed (each one waits for the lock as long as the
connection's busy timeout allows), then one clear error says what held the add up. Only a
busy database is retried: any other error is the add's answer at once.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import URL
from sqlalchemy import exc as sa_exc

from taskdesk.errors import StoreUnavailable
from taskdesk.store.sql.errors import describe

logger = logging.getLogger(__name__)

T = TypeVar("T")

ADD_WAIT_SECONDS = 30.0  # the default of TASKDESK_ADD_WAIT_SECONDS
FIRST_PAUSE_SECONDS = 0.01  # between two tries, doubling …
MAX_PAUSE_SECONDS = 0.25  # … up to this
_BUSY = ("database is locked", "database is busy", "database table is locked")


def is_busy(error: BaseException) -> bool:
    """Whether SQLite refused for a lock another connection holds (SQLITE_BUSY/LOCKED)."""
    cause = error.__cause__ if isinstance(error, StoreUnavailable) else error
    orig = cause.orig if isinstance(cause, sa_exc.DBAPIError) else cause
    return isinstance(orig, sqlite3.OperationalError) and str(orig).startswith(_BUSY)


def retry_busy(attempt: Callable[[], T], *, seconds: float, url: URL) -> T:
    """`attempt()` until it is not refused for a busy database or `seconds` have passed."""
    deadline = time.monotonic() + seconds
    pause = FIRST_PAUSE_SECONDS
    tries = 0
    while True:
        tries += 1
        try:
            return attempt()
        except StoreUnavailable as error:
            left = deadline - time.monotonic()
            if not is_busy(error):
                raise
            if left <= 0:
                raise StoreUnavailable(
                    f"the database {describe(url)} stayed locked by another writer for "
                    f"{seconds:g} s (TASKDESK_ADD_WAIT_SECONDS), {tries} tries: nothing was "
                    "added") from error
            logger.info("add.busy try=%s left=%.1fs", tries, left)
            time.sleep(min(pause, left))
            pause = min(pause * 2, MAX_PAUSE_SECONDS)
