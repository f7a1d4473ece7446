"""An application as its authors write one: a Taskdesk made at import time and its tasks.
Tests load it the way users do: `--app tests.apps.shop:desk` or `TASKDESK_APP`."""

from __future__ import annotations

from taskdesk import Controller, Taskdesk
from tests.support.handlers import record

desk = Taskdesk()


@desk.task(name="shop.welcome", max_attempts=2)
def send_welcome(path: str, user_id: int) -> str:
    record(path, user_id)
    return f"welcomed {user_id}"


class Report(Controller):
    def index(self, month: str) -> str:
        self.log.write(f"report for {month}")
        return f"reported {month}"


report = desk.task(Report)  # not a class decorator: type checkers then see report.enqueue


@desk.task(retry_delay=120)
def flaky() -> None:
    raise RuntimeError("flaky")
