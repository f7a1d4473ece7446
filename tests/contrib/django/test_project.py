"""The must-show, as a Django project lives: enqueue inside transaction.atomic() (with a row
of the project's own in the same transaction), then a real `manage.py taskdesk start`
process runs what was committed; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from taskdesk.contrib.django import compat
from tests.contrib.django.conftest import MANAGE, ROOT, Project
from tests.contrib.django.support import Shop, desk_of

Status = compat.TaskResultStatus


class Rollback(Exception):
    """Raised inside atomic() to roll its transaction back."""


def notes(alias: str) -> list[str]:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT text FROM note")
        return [row[0] for row in cursor.fetchall()]


def write_note(alias: str, text: str) -> None:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute("INSERT INTO note (text) VALUES (%s)", [text])


def test_a_rolled_back_enqueue_leaves_no_task(alias: str, shop: Shop) -> None:
    from django.db import transaction

    def order() -> None:
        with transaction.atomic(using=alias):
            write_note(alias, "order 1")
            shop.add.enqueue(1, 2)
            assert desk_of(alias).tasks.count() == 0  # taskdesk's connection sees nothing yet
            raise Rollback

    with pytest.raises(Rollback):
        order()
    assert notes(alias) == []
    assert desk_of(alias).tasks.count() == 0


def test_a_committed_enqueue_is_run_by_manage_py_taskdesk_start(
        alias: str, shop: Shop, project: Project) -> None:
    from django.db import transaction
    from django.utils import timezone

    with transaction.atomic(using=alias):
        write_note(alias, "order 2")
        added = shop.add.enqueue(2, 3)
        failing = shop.reserve.enqueue("apple")
        later = shop.add.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(4, 4)
    assert notes(alias) == ["order 2"]
    assert desk_of(alias).tasks.count() == 3

    project.manage(alias, "taskdesk", "start", "--quiet")

    result = shop.add.get_result(added.id)
    assert result.status == Status.SUCCESSFUL
    assert result.return_value == 5
    failed = shop.reserve.get_result(failing.id)
    assert failed.status == Status.FAILED
    assert failed.errors[0].exception_class is shop.OutOfStock
    assert shop.add.get_result(later.id).status == Status.READY


def test_manage_py_taskdesk_is_the_whole_cli(alias: str, shop: Shop, project: Project) -> None:
    added = shop.send_mail.enqueue("bo@example.com")
    listed = json.loads(project.manage(alias, "taskdesk", "task", "list", "--json"))
    rows = listed["tasks"] if isinstance(listed, dict) else listed
    assert [(row["task_id"], row["queue"], row["priority"]) for row in rows] == [
        (int(added.id), "mail", 10)]
    assert "worker" in project.manage(alias, "taskdesk", "--help")
    settings = project.env["DJANGO_SETTINGS_MODULE"]
    assert "1 of 1" in project.manage(alias, "taskdesk", "--settings", settings, "task", "list",
                                      f"--pythonpath={project.env['PYTHONPATH']}")
    schedules = json.loads(project.manage(alias, "taskdesk", "schedule", "list", "--json"))
    codes = [row["code"] for row in (schedules["schedules"] if isinstance(schedules, dict)
                                      else schedules)]
    # @task(every="day") on the "default" backend: its schedule is written by migrate there
    assert codes == (["tests.contrib.django.project.shop.tasks:nightly"]
                     if alias == "default" else [])


def test_migrate_again_changes_nothing(alias: str, shop: Shop, project: Project) -> None:
    added = shop.add.enqueue(1, 1)
    project.manage(alias, "migrate", "--database", alias)
    from django.core.management import call_command

    call_command("migrate", database=alias, verbosity=0)
    assert shop.add.get_result(added.id).status == Status.READY


def test_a_task_with_a_timeout_runs_in_a_child_that_sets_django_up(
        alias: str, shop: Shop, project: Project) -> None:
    quick = shop.in_a_child.enqueue(7)
    slow = shop.too_slow.enqueue()
    project.manage(alias, "taskdesk", "start", "--quiet")
    done = shop.in_a_child.get_result(quick.id)
    assert done.status == Status.SUCCESSFUL
    assert done.return_value[0] == 7
    timed_out = shop.too_slow.get_result(slow.id)
    assert timed_out.status == Status.FAILED
    assert [error.exception_class for error in timed_out.errors] == [TimeoutError]


def test_under_debug_each_of_djangos_task_lines_is_printed_once(
        alias: str, shop: Shop, project: Project) -> None:
    """Django 6's DEBUG logging prints django.tasks' lines itself (the "django" logger's
    console handler); the CLI's handler must not print them a second time. The backport logs
    to "django_tasks", which Django's logging does not print."""
    shop.add.enqueue(1, 2)
    done = subprocess.run(
        [sys.executable, str(MANAGE), "taskdesk", "start", "--quiet"], cwd=ROOT,
        env={**os.environ, **project.env, "TASKDESK_DJANGO_BACKEND": alias,
             "TASKDESK_TEST_DJANGO_DEBUG": "1"},
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    printed = 1 if compat.FRAMEWORK == "django.tasks" else 0
    assert done.stderr.count("state=SUCCESSFUL") == printed, done.stderr
