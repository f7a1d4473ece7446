"""The traced tests' application, loaded as `tests.tracing.app:desk` so that the child
processes of its tasks with a timeout can import it."""

from __future__ import annotations

from pathlib import Path

from taskdesk import Taskdesk

desk = Taskdesk()


@desk.task(name="traced.ok")
def ok() -> str:
    return "done"


@desk.task(name="traced.flaky", max_attempts=3, retry_delay=0)
def flaky(marker: str) -> str:
    """Fails its first attempt (the marker file is not there yet), then succeeds."""
    return _fail_once(marker)


@desk.task(name="traced.broken", max_attempts=1)
def broken() -> None:
    raise LookupError("nothing here")


@desk.task(name="traced.child_flaky", timeout=30, max_attempts=3, retry_delay=0)
def child_flaky(marker: str) -> str:
    """As traced.flaky, in a child process of its own (a timeout)."""
    return _fail_once(marker)


def _fail_once(marker: str) -> str:
    path = Path(marker)
    if not path.exists():
        path.write_text("failed once")
        raise ValueError("the first attempt fails")
    return "second time lucky"
