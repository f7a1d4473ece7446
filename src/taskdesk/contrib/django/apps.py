"""The Django app: its migration creates taskdesk's tables, its `taskdesk` management command
is taskdesk's CLI, and at start-up it imports every installed app's `tasks` module, so that a
runner knows (and may run) every Django task."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class TaskdeskConfig(AppConfig):  # type: ignore[misc]
    name = "taskdesk.contrib.django"
    label = "taskdesk"
    verbose_name = "taskdesk"

    def ready(self) -> None:
        autodiscover_modules("tasks")
