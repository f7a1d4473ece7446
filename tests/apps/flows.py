"""An application with workflow tasks, loaded by real workers as `tests.apps.flows:desk`:
`total` records each of its runs (its pid and its parents' results) with one write, so that
a test sees how many times a fan-in ran."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import taskdesk
from taskdesk import Taskdesk

desk = Taskdesk()


@desk.task()
def number(n: int) -> int:
    return n


@desk.task()
def slow_once(marker: str, n: int) -> int:
    """The first attempt writes `marker` and sleeps long enough to be killed; later ones
    return `n` at once."""
    flag = Path(marker)
    if not flag.exists():
        flag.write_text(str(os.getpid()))
        time.sleep(120)
    return n


@desk.task()
def total(path: str) -> int:
    parents = taskdesk.parent_results()
    line = json.dumps({"pid": os.getpid(), "parents": parents}) + "\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, line.encode())
    finally:
        os.close(descriptor)
    return sum(json.loads(text) for text in parents.values() if text is not None)


@desk.task(max_attempts=1)
def fail() -> None:
    raise RuntimeError("this parent fails")


@desk.task()
def clean_up() -> str:
    return "cleaned"
