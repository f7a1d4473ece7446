"""An application with limited tasks, loaded by real workers (`TASKDESK_APP=
tests.apps.limited:desk`): each run appends a start line and an end line (JSON: key, n, pid,
time) with one write each, so that a test can tell which ran at once, across processes."""

from __future__ import annotations

import json
import os
import time

from taskdesk import Taskdesk

desk = Taskdesk()


def note(out: str, event: str, key: str, n: int) -> None:
    line = json.dumps({"event": event, "key": key, "n": n, "pid": os.getpid(),
                       "at": time.time()}) + "\n"
    descriptor = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, line.encode())
    finally:
        os.close(descriptor)


@desk.task(name="limited.one_per_key", concurrency_limit=1, limit_key="key")
def one_per_key(key: str, n: int, out: str, seconds: float, first_seconds: float = 0.0) -> None:
    """Its key's first run anywhere lasts `first_seconds` when given (so that a test's kill
    lands in it however slow the test is to look), every other run `seconds`."""
    note(out, "start", key, n)
    time.sleep(first_seconds if first_seconds and first_run(out, key) else seconds)
    note(out, "end", key, n)


def first_run(out: str, key: str) -> bool:
    """True once per key: the run that creates the key's marker file beside `out`."""
    try:
        os.close(os.open(f"{out}.{key}.first", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    except FileExistsError:
        return False
    return True


@desk.task(name="limited.rated", rate_limit="4/s")
def rated(n: int, out: str) -> None:
    note(out, "start", "rated", n)
    note(out, "end", "rated", n)
