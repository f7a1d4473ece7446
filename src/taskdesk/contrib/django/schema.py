"""taskdesk's tables on a Django database: `migrate` runs this (migrations/0001)."""

from __future__ import annotations

from django.conf import settings

from . import compat


def create_tables_on(alias: str) -> list[str]:
    """Create or upgrade taskdesk's schema (and sync its schedules) for every
    TaskdeskBackend on Django's database `alias`; returns those backends' names."""
    done = []
    for name, config in (getattr(settings, "TASKS", {}) or {}).items():
        if not str(config.get("BACKEND", "")).startswith("taskdesk.contrib.django"):
            continue
        backend = compat.task_backends[name]
        if backend.database == alias:
            backend.desk.init()
            done.append(name)
    return done
