"""`taskdesk task list --by-error`, `--error CLASS` and `task retry --error CLASS`: failed
tasks grouped by the class of what failed them, a class's tasks listed and retried without
touching another class; a hostile class name printed literally; bad input one clear error
that changes nothing."""

from __future__ import annotations

import json

from tests.cli.harness import Cli, error_line

HOSTILE = "[red]Evil[/red]\x1b[2J<b>x</b>"
HOSTILE_ACTION = "tests.cli.hostile_handlers:fail_as"
QUALIFIED = f"tests.cli.hostile_handlers.{HOSTILE}"


def failing(cli: Cli) -> None:
    for n in range(2):
        cli.add(f"boom-{n}", "tests.support.handlers:boom", "--max-attempts", "1")
    cli.add("evil", HOSTILE_ACTION, "--max-attempts", "1",
            "--args", json.dumps({"name": HOSTILE, "text": "evil\x07message"}))
    cli.add("fine", "tests.support.handlers:noop")
    cli.ok("start", "--quiet")


def test_failed_tasks_group_by_class_and_a_class_is_retried_alone(cli: Cli) -> None:
    failing(cli)

    groups = cli.json("task", "list", "--status", "failed", "--by-error")
    assert [(g["error_class"], g["count"]) for g in groups] == [
        ("RuntimeError", 2), (QUALIFIED, 1)]
    assert groups[0]["example_response"].startswith("RuntimeError: boom")
    assert "Traceback" in groups[0]["example_response"]
    assert groups[0]["first_seen"] <= groups[0]["last_seen"]

    table = cli.ok("task", "list", "--by-error")
    assert "RuntimeError" in table
    assert "\x1b" not in table  # the hostile name is printed literally, escaped
    assert "\\x1b" in table

    listed = cli.tasks("--status", "failed", "--error", "RuntimeError")
    assert sorted(t["code"] for t in listed) == ["boom-0", "boom-1"]
    assert {t["error_class"] for t in listed} == {"RuntimeError"}

    assert "2 retried" in cli.ok("task", "retry", "--error", "RuntimeError")
    statuses = {t["code"]: t["status"] for t in cli.tasks()}
    assert statuses == {"boom-0": "pending", "boom-1": "pending", "evil": "failed",
                        "fine": "complete"}
    assert [g["error_class"] for g in cli.json("task", "list", "--by-error")] == [QUALIFIED]


def test_no_failure_says_so(cli: Cli) -> None:
    assert "no failed tasks" in cli.ok("task", "list", "--by-error")
    assert cli.json("task", "list", "--by-error") == []


def test_bad_input_is_one_clear_error_and_changes_nothing(cli: Cli) -> None:
    failing(cli)
    before = cli.tasks()

    said = error_line(cli.run("task", "list", "--by-error", "--status", "pending"), 2)
    assert "--by-error groups failed tasks" in said
    said = error_line(cli.run("task", "list", "--by-error", "--code", "boom"), 2)
    assert "--code does not apply" in said
    said = error_line(cli.run("task", "retry", "--error", ""), 2)
    assert "an error class is 1 to 255 characters" in said
    said = error_line(cli.run("task", "retry", "1", "--error", "RuntimeError"), 2)
    assert "task ids, or --code, --status and/or --error" in said

    assert cli.tasks() == before
