"""The demo application of the README's first command: `TASKDESK_APP=taskdesk.demo:desk`.

Its one task, registered with the decorator, greets, counts and writes to the error log.
"""

from __future__ import annotations

from taskdesk.app import Taskdesk
from taskdesk.controller import Controller

desk = Taskdesk()


@desk.task
class Hello(Controller):
    def index(self, name: str = "world", n: int = 3) -> str:
        for step in range(1, n + 1):
            self.log.write(f"hello {name}: step {step} of {n}")
        return f"greeted {name} {n} times"
