"""Step 2 of the seed: the module registers the task when installed, removes it when not."""

from __future__ import annotations

from taskdesk import Controller


class TestModule(Controller):
    def install(self) -> None:
        # Register the task
        self.tasks.add(code="my_task", action="task/catalog/test_module.task", args={})

    def uninstall(self) -> None:
        # Remove the task on uninstall
        self.tasks.delete_by_code("my_task")
