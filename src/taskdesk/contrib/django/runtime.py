"""`taskdesk.contrib.django.runtime:desk`, the application `manage.py taskdesk` and taskdesk's
child processes load: Django is set up (from DJANGO_SETTINGS_MODULE, which a child inherits)
and every app's tasks registered before the desk is handed over."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name != "desk":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from .desks import DESKS, runtime_desk

    return runtime_desk(DESKS)
