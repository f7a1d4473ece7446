"""The test project's settings, as Django's documentation writes them; only INSTALLED_APPS'
first entry and TASKS are taskdesk's. The databases come from the environment, so that the
suite and the `manage.py taskdesk` processes it starts read the same settings:
TASKDESK_TEST_DJANGO_SQLITE (a file), TASKDESK_TEST_DJANGO_POSTGRES (a URL, optional)
and TASKDESK_TEST_DJANGO_HOME (taskdesk's data folder)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

SECRET_KEY = "tests-only"
DEBUG = os.environ.get("TASKDESK_TEST_DJANGO_DEBUG") == "1"  # one test: DEBUG's logging
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = ["taskdesk.contrib.django", "tests.contrib.django.project.shop"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3",
                "NAME": os.environ["TASKDESK_TEST_DJANGO_SQLITE"]},
}
TASKS = {
    "default": {"BACKEND": "taskdesk.contrib.django.TaskdeskBackend",
                "QUEUES": ["default", "mail"],
                "OPTIONS": {"HOME": os.environ["TASKDESK_TEST_DJANGO_HOME"]}},
}

_postgres = os.environ.get("TASKDESK_TEST_DJANGO_POSTGRES")
if _postgres:
    _url = urlsplit(_postgres)
    DATABASES["pg"] = {"ENGINE": "django.db.backends.postgresql",
                       "NAME": _url.path.lstrip("/"), "USER": _url.username or "",
                       "PASSWORD": _url.password or "", "HOST": _url.hostname or "",
                       "PORT": str(_url.port or "")}
    TASKS["pg"] = {"BACKEND": "taskdesk.contrib.django.TaskdeskBackend",
                   "QUEUES": ["default", "mail"],
                   "OPTIONS": {"DATABASE": "pg", "HOME": os.environ["TASKDESK_TEST_DJANGO_HOME"]}}
