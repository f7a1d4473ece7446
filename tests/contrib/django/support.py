"""What the Django tests share: the test app's tasks on a backend, and running due tasks
in-process. The app's module is imported only once Django is set up (the `project` fixture)."""

from __future__ import annotations

import importlib
import threading
from types import ModuleType
from typing import Any

from taskdesk import Taskdesk
from taskdesk.contrib.django import compat

SHOP = "tests.contrib.django.project.shop.tasks"


def desk_of(alias: str) -> Taskdesk:
    desk: Taskdesk = compat.task_backends[alias].desk
    return desk


def run_due(alias: str) -> None:
    """What `manage.py taskdesk start` does, in this process (so signals reach the test)."""
    desk_of(alias).runner().drain(threading.Event())


class Shop:
    """The test app's tasks on the backend `alias` (they are written for "default")."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.module: ModuleType = importlib.import_module(SHOP)

    def __getattr__(self, name: str) -> Any:
        task = getattr(self.module, name)
        if self.alias == "default" or not hasattr(task, "using"):
            return task
        return task.using(backend=self.alias)
