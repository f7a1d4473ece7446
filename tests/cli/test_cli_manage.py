"""Managing tasks and logs from the command line: list, show, status, delete, clear, task log,
error log; on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from tests.cli.harness import Cli, TaskJson, error_line

TASK_KEYS = {
    "task_id", "code", "action", "args", "status", "response", "date_added", "date_modified",
    "attempts", "priority", "run_at", "max_attempts",
}
FUTURE = "2999-01-01T00:00:00Z"


def ids(tasks: list[TaskJson]) -> list[int]:
    return [task["task_id"] for task in tasks]


def test_list_json_has_every_field_and_filters_by_status_and_code(cli: Cli) -> None:
    first = cli.add("report.daily", "tests.support.handlers:noop", "--run-at", FUTURE)
    second = cli.add("report.weekly", "tests.support.handlers:noop", "--args", '{"a": [1, "x"]}',
                     "--priority", "4", "--max-attempts", "5", "--run-at", FUTURE)
    third = cli.add("cleanup", "tests.support.handlers:noop", "--run-at", FUTURE)
    cli.ok("task", "status", "paused", str(third["task_id"]))

    tasks = cli.tasks()
    assert ids(tasks) == [first["task_id"], second["task_id"], third["task_id"]]
    assert all(task.keys() >= TASK_KEYS for task in tasks)
    weekly = tasks[1]
    assert weekly["code"] == "report.weekly"
    assert weekly["action"] == "tests.support.handlers:noop"
    assert weekly["args"] == {"a": [1, "x"]}
    assert (weekly["priority"], weekly["max_attempts"], weekly["attempts"]) == (4, 5, 0)
    assert (weekly["status"], weekly["response"]) == ("pending", None)
    assert weekly["run_at"] == FUTURE

    assert ids(cli.tasks("--status", "paused")) == [third["task_id"]]
    assert ids(cli.tasks("--status", "pending")) == [first["task_id"], second["task_id"]]
    assert ids(cli.tasks("--code", "report")) == [first["task_id"], second["task_id"]]
    assert ids(cli.tasks("--code", "weekly", "--status", "pending")) == [second["task_id"]]
    assert cli.tasks("--code", "nothing-like-it") == []


def test_list_pages_with_limit_and_after(cli: Cli) -> None:
    added = [cli.add(f"page{n}", "tests.support.handlers:noop", "--run-at", FUTURE)["task_id"]
             for n in range(3)]

    first_page = cli.tasks("--limit", "2")
    assert ids(first_page) == added[:2]
    assert ids(cli.tasks("--limit", "2", "--after", str(added[1]))) == added[2:]
    assert cli.tasks("--after", str(added[2])) == []
    human = cli.ok("task", "list", "--limit", "2")
    assert "2 of 3 tasks" in human
    assert f"next page: --after {added[1]}" in human


def test_show_json_includes_the_log(cli: Cli) -> None:
    task = cli.add("one", "tests.support.handlers:noop")
    assert cli.task(task["task_id"])["log"] == []
    cli.start()

    shown = cli.task(task["task_id"])
    assert shown.keys() >= TASK_KEYS
    assert shown["status"] == "complete"
    [entry] = shown["log"]
    assert (entry["task_id"], entry["status"], entry["attempt"]) == (task["task_id"],
                                                                   "complete", 1)


def test_status_pauses_tasks_so_start_leaves_them_then_back_to_pending(
    cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "record.txt"
    tasks = [cli.add(f"t{n}", "tests.support.handlers:record", "--args",
                     f'{{"path": "{out}", "n": {n}}}') for n in range(2)]
    task_ids = [str(task_id) for task_id in ids(tasks)]

    assert "2 changed" in cli.ok("task", "status", "paused", *task_ids)
    assert [task["status"] for task in cli.tasks()] == ["paused", "paused"]
    cli.start()
    assert not out.exists()

    cli.ok("task", "status", "PENDING", *task_ids)
    assert [task["status"] for task in cli.tasks()] == ["pending", "pending"]
    cli.start()
    assert sorted(out.read_text().split()) == ["0", "1"]
    assert [task["status"] for task in cli.tasks()] == ["complete", "complete"]


def test_delete_and_delete_code(cli: Cli) -> None:
    keep = cli.add("keep", "tests.support.handlers:noop", "--run-at", FUTURE)
    gone = cli.add("gone", "tests.support.handlers:noop", "--run-at", FUTURE)
    cli.add("batch", "tests.support.handlers:noop", "--run-at", FUTURE)
    cli.add("batch", "tests.support.handlers:noop", "--run-at", FUTURE, "--keep")
    cli.add("batch.other", "tests.support.handlers:noop", "--run-at", FUTURE)

    assert "1 deleted" in cli.ok("task", "delete", str(gone["task_id"]))
    assert [task["code"] for task in cli.tasks()] == ["keep", "batch", "batch", "batch.other"]
    assert "2 deleted" in cli.ok("task", "delete-code", "batch")
    assert [task["code"] for task in cli.tasks()] == ["keep", "batch.other"]
    assert ids(cli.tasks())[0] == keep["task_id"]


def test_clear_needs_yes_when_nobody_can_be_asked(cli: Cli) -> None:
    for code in ("a", "b"):
        cli.add(code, "tests.support.handlers:noop", "--run-at", FUTURE)
    before = cli.tasks()

    refused = error_line(cli.run("task", "clear"), 2)
    assert "--yes" in refused
    assert cli.tasks() == before

    assert "2 deleted" in cli.ok("task", "clear", "--yes")
    assert cli.tasks() == []


def test_task_log_filters_by_task_and_pages_with_before(cli: Cli) -> None:
    tasks = [cli.add(f"t{n}", "tests.support.handlers:noop") for n in range(3)]
    cli.start()

    entries = cli.log()
    assert [entry["task_id"] for entry in entries] == list(reversed(ids(tasks)))  # newest first
    newest, middle, oldest = (entry["task_log_id"] for entry in entries)
    assert [entry["task_id"] for entry in cli.log("--task", str(tasks[1]["task_id"]))] == [
        tasks[1]["task_id"]
    ]
    assert [entry["task_log_id"] for entry in cli.log("--before", str(newest))] == [middle, oldest]
    assert [entry["task_log_id"] for entry in cli.log("--before", str(middle), "--limit", "1")] \
        == [oldest]
    assert f"older: --before {newest}" in cli.ok("task", "log", "--limit", "1")


def test_log_show_tail_and_clear(cli: Cli) -> None:
    cli = cli.with_app()
    cli.ok("init")
    assert "is empty" in cli.ok("log", "show")
    cli.add("demo", "taskdesk.demo:Hello", "--args", '{"name": "you", "n": 3}')
    cli.start()

    last, hint = cli.ok("log", "show", "-n", "1").splitlines()
    assert last.endswith("hello you: step 3 of 3")
    assert hint == "older: --before 3"  # the keyset to page back with
    older = cli.ok("log", "show", "-n", "1", "--before", "3").splitlines()
    assert older[0].endswith("hello you: step 2 of 3")
    assert len(cli.ok("log", "show").splitlines()) == 3  # all of them: no hint

    assert "cleared 3 lines" in cli.ok("log", "clear")
    assert "is empty" in cli.ok("log", "show")
    assert cli.error_log.read_text() == ""
