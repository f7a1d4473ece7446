"""`taskdesk task why ID [--json]`: the first reason a task is not running, in words with its
facts and what to do, and the same as JSON; an unknown id is one clear error; a fact from a
package (an extension's manifest) is printed literally, never obeyed."""

from __future__ import annotations

import json

import pytest

from taskdesk.models.tasks import NewTask
from taskdesk.store import open_store
from tests.cli.harness import Cli, error_line
from tests.extensions.support import write_extension

NOOP = "tests.support.handlers:noop"


def test_a_paused_queue_in_words_and_as_json(cli: Cli) -> None:
    task = cli.add("m", NOOP, "--queue", "mail")
    cli.ok("queue", "pause", "mail")

    said = cli.ok("task", "why", str(task["task_id"]))
    found = cli.json("task", "why", str(task["task_id"]))

    assert f"task {task['task_id']} (pending) waits: its queue mail is paused (since " in said
    assert "by cli)" in said
    assert "paused_by" in said
    assert "what to do: taskdesk queue resume mail" in said
    assert found["reason"] == "paused_queue"
    assert (found["task_id"], found["status"], found["waiting"]) == (task["task_id"],
                                                                     "pending", True)
    assert found["facts"]["paused_by"] == "cli"
    assert found["hint"] == "taskdesk queue resume mail"


def test_no_runner_then_complete_after_start(cli: Cli) -> None:
    task = cli.add("a", NOOP)

    before = cli.json("task", "why", str(task["task_id"]))
    cli.ok("start", "--quiet")
    after = cli.ok("task", "why", str(task["task_id"]))

    assert before["reason"] == "no_runner"
    assert before["hint"].startswith("start one: taskdesk worker")
    assert f"task {task['task_id']} (complete) is not waiting: it is complete (at " in after


def test_an_unknown_task_is_one_clear_error(cli: Cli) -> None:
    for args in (("task", "why", "99"), ("task", "why", "99", "--json")):
        assert error_line(cli.run(*args), 3) == "error: no task with id 99"


@pytest.mark.hostile
def test_a_packages_text_is_printed_literally(cli: Cli) -> None:
    """An extension whose install.json names another code, with escapes in it: the reason
    quotes it, and the terminal gets the escapes as text."""
    write_extension(cli.home / "extensions" / "shop", "shop", {},
                    install_json='{"code": "x\\u001b[2Jy", "name": "n", "version": "1"}')
    store = open_store(cli.database_url)
    try:
        store.mark_installed("shop", "module", "shop")
        [task] = store.add([NewTask(code="s", action="task/catalog/shop.task",
                                    max_attempts=1)])
    finally:
        store.close()

    result = cli.run("task", "why", str(task.task_id))  # stderr: the hand-made folder's warning
    said = result.stdout
    found = json.loads(cli.run("task", "why", str(task.task_id), "--json").stdout)

    assert (result.code, found["reason"]) == (0, "extension_broken")
    assert "\x1b" not in said
    assert "x\\x1b[2Jy" in said
    assert "x\\x1b[2Jy" in found["facts"]["error"]
