"""The demo task of the README's first command: greets, counts, writes to the error log."""

from __future__ import annotations

from taskdesk.controller import Controller


class Hello(Controller):
    def index(self, name: str = "world", n: int = 3) -> str:
        for step in range(1, n + 1):
            self.log.write(f"hello {name}: step {step} of {n}")
        return f"greeted {name} {n} times"
