"""Step 1 of the seed: the task class; its code goes in index()."""

from __future__ import annotations

from taskdesk import Controller


class Task(Controller):
    def index(self) -> None:
        # Process your customizations here
        self.log.write("My task has successfully started!")
