"""An application whose tasks outlive their timeouts or kill their own process: loaded as
`tests.apps.timeouts:desk`, so that the child processes that run them can import it."""

from __future__ import annotations

import os
import signal
import time

from taskdesk import Controller, Taskdesk

desk = Taskdesk()


@desk.task(name="slow.sleep", timeout=2, max_attempts=1)
def sleep_an_hour() -> None:
    time.sleep(3600)


@desk.task(name="slow.spin", timeout=1, max_attempts=1)
def spin() -> None:
    while True:
        pass


@desk.task(name="slow.exit", timeout=30, max_attempts=5, retry_delay=0)
def exit_at_once() -> None:
    os._exit(1)


@desk.task(name="slow.kill", timeout=30, max_attempts=5, retry_delay=0)
def kill_itself() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@desk.task(name="slow.pid")
def pid() -> str:
    """No timeout: runs in the runner's own process."""
    return str(os.getpid())


class Report(Controller):
    def index(self, month: str) -> str:
        self.log.write(f"report for {month} from {os.getpid()}")
        return f"reported {month}"


report = desk.task(name="slow.report", timeout=30)(Report)


@desk.task(name="slow.fail", timeout=30, max_attempts=1)
def fail() -> None:
    raise ValueError("no such month")


def nap(seconds: float) -> None:
    """A plain import path (TASKDESK_ALLOWED_ACTIONS=tests): the default timeout applies."""
    time.sleep(seconds)
