"""The test Django project (project/), set up once per process: Django's settings can be
configured only once, so one settings module holds both databases — "default" on a SQLite
file and "pg" on the session's PostgreSQL database — each with its own TaskdeskBackend of
the same name. A test asks for `alias` and runs on each; `manage.py` subprocesses read the
same settings from the environment the `project` fixture gives them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import _truncate
from tests.contrib.django.support import Shop

django = pytest.importorskip("django")

ROOT = Path(__file__).parents[3]
MANAGE = Path(__file__).parent / "project" / "manage.py"
SETTINGS = "tests.contrib.django.project.settings"


@dataclass(frozen=True)
class Project:
    """The set-up project: which aliases it has, and the environment of its manage.py."""

    aliases: tuple[str, ...]
    env: dict[str, str]

    def manage(self, alias: str, *arguments: str) -> str:
        """Run `manage.py ARGUMENTS` (`manage.py taskdesk` on the backend `alias`); its output,
        or the test fails with it."""
        done = subprocess.run([sys.executable, str(MANAGE), *arguments], cwd=ROOT, env={
            **os.environ, **self.env, "TASKDESK_DJANGO_BACKEND": alias},
            capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory,
            request: pytest.FixtureRequest) -> Project:
    folder = tmp_path_factory.mktemp("django")
    env = {"DJANGO_SETTINGS_MODULE": SETTINGS, "PYTHONPATH": str(ROOT),
           "TASKDESK_TEST_DJANGO_SQLITE": str(folder / "db.sqlite3"),
           "TASKDESK_TEST_DJANGO_HOME": str(folder / "taskdesk")}
    aliases = ["default"]
    try:
        env["TASKDESK_TEST_DJANGO_POSTGRES"] = request.getfixturevalue("postgres_url")
        aliases.append("pg")
    except pytest.skip.Exception:
        pass  # the PostgreSQL tests skip loudly on their own (tests/support.require_postgres)
    _set_up(env)
    from django.core.management import call_command
    from django.db import connections

    for alias in aliases:
        call_command("migrate", database=alias, verbosity=0)
        with connections[alias].cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS note (text VARCHAR(100) NOT NULL)")
    return Project(aliases=tuple(aliases), env=env)


def _set_up(env: dict[str, str]) -> None:
    """django.setup() with these variables, which the settings module reads once."""
    from django.apps import apps

    if apps.ready:
        raise RuntimeError("Django was set up before the test project: one per process")
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        django.setup()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(params=["default", pytest.param("pg", marks=pytest.mark.postgres)])
def alias(request: pytest.FixtureRequest, project: Project) -> Iterator[str]:
    """A Django database and the TaskdeskBackend of the same name on it, emptied."""
    name: str = request.param
    if name not in project.aliases:
        request.getfixturevalue("postgres_url")  # skips, or fails under CI's flag
    empty(name, project)
    yield name
    from django.db import connections

    connections.close_all()




def empty(alias: str, project: Project) -> None:
    """No task, no log, no note, no schedule that fires: each test starts from an empty
    database. The PostgreSQL one is the session's (tests/conftest.py), which other tests
    share: it is emptied as they empty it, its schedules and queues included; on SQLite the
    file is the project's own."""
    from django.db import connections

    from taskdesk.contrib.django.compat import task_backends

    if alias == "pg":
        _truncate(project.env["TASKDESK_TEST_DJANGO_POSTGRES"])
        _restore_schedules(alias)
    desk = task_backends[alias].desk
    desk.tasks.clear()
    desk.tasks.clear_log()
    for planned in desk.schedules.list_schedules():  # kept, but never fired by a test's
        desk.schedules.disable(planned["code"])       # runner (nightly, after midnight UTC)
    with connections[alias].cursor() as cursor:
        cursor.execute("DELETE FROM note")


@pytest.fixture
def shop(alias: str) -> Shop:
    return Shop(alias)


def _restore_schedules(alias: str) -> None:
    """The schedules migrate wrote (none on "pg": the app's scheduled task is "default"'s)."""
    from taskdesk.contrib.django.compat import task_backends

    task_backends[alias].desk.schedules.sync()
