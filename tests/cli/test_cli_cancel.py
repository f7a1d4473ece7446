"""`taskdesk task cancel` in-process, on SQLite and PostgreSQL: by ids (complete tasks left
alone and said so), by --code, --status and --queue; the log names who cancelled; `task list
--status cancelled` and `task retry` of a cancelled task. Bad input is one clear error that
changes nothing: no ids and no filter, both, an unknown id among known ones, an unknown
status, `--status complete` and `--status cancelled` (nothing they name can be cancelled), a
bad queue name, an empty error class. `--error CLASS` alone cancels the failed tasks of that
class ("cancel all of this class")."""

from __future__ import annotations

from pathlib import Path

from taskdesk.models.runners import ClaimKey, RunnerInfo
from taskdesk.store import open_store
from tests.cli.harness import Cli, error_line, record_args, recorded

NOOP = "tests.support.handlers:noop"


def statuses(cli: Cli) -> dict[str, str]:
    return {task["code"]: task["status"] for task in cli.tasks("--limit", "1000")}


def test_cancel_by_ids_leaves_complete_tasks_alone(cli: Cli, tmp_path: Path) -> None:
    done = cli.add("done", NOOP)
    cli.start()
    out = tmp_path / "ran"
    waiting = cli.add("waiting", "tests.support.handlers:record", "--args", record_args(out, 1))

    said = cli.ok("task", "cancel", str(waiting["task_id"]), str(done["task_id"]))

    assert said.strip() == "1 cancelled, 1 already ended left alone"
    cli.start()
    assert recorded(out) == []
    assert statuses(cli) == {"done": "complete", "waiting": "cancelled"}
    [entry] = cli.log("--task", str(waiting["task_id"]))
    assert entry["status"] == "cancelled"
    assert entry["comment"].startswith("cancelled by taskdesk task cancel (")
    assert entry["comment"].endswith("(was pending)")
    assert [t["code"] for t in cli.tasks("--status", "cancelled")] == ["waiting"]
    table = cli.ok("task", "list", "--status", "cancelled")
    assert "1 of 1 tasks" in table
    assert "cancelled" in table
    assert "cancelled by taskdesk task cancel" in cli.ok("task", "log")
    assert "cancelled" in cli.ok("task", "show", str(waiting["task_id"]))

    assert cli.ok("task", "retry", str(waiting["task_id"])).strip() == "1 retried"
    cli.start()
    assert recorded(out) == ["1"]


def test_cancel_by_code_status_and_queue(cli: Cli) -> None:
    for code, queue in [("mail-1", "mail"), ("mail-2", "mail"), ("report-1", "default"),
                        ("report-2", "reports"), ("other", "default")]:
        cli.add(code, NOOP, "--queue", queue)
    cli.ok("task", "status", "paused", str(cli.tasks()[-1]["task_id"]))  # "other"

    assert cli.ok("task", "cancel", "--queue", "mail").strip() == "2 cancelled"
    assert cli.ok("task", "cancel", "--code", "report", "--queue", "reports").strip() == (
        "1 cancelled")
    assert cli.ok("task", "cancel", "--status", "paused").strip() == "1 cancelled"
    assert cli.ok("task", "cancel", "--status", "pending", "--code", "nothing").strip() == (
        "0 cancelled")

    assert statuses(cli) == {"mail-1": "cancelled", "mail-2": "cancelled",
                             "report-1": "pending", "report-2": "cancelled",
                             "other": "cancelled"}


def test_cancel_running_tasks_by_status(cli: Cli) -> None:
    running = cli.add("running", NOOP)
    cli.add("waiting", NOOP)
    store = open_store(cli.database_url)
    try:
        [claimed] = store.claim("host:1:abc", lease_seconds=60)
        assert claimed.task_id == running["task_id"]

        assert cli.ok("task", "cancel", "--status", "processing").strip() == "1 cancelled"

        assert store.heartbeat(RunnerInfo(runner_id="host:1:abc", hostname="host", pid=1,
                                          started_at=store.clock(), last_seen_at=store.clock()),
                               [ClaimKey.of(claimed)], lease_seconds=60) == 0
    finally:
        store.close()
    assert statuses(cli) == {"running": "cancelled", "waiting": "pending"}
    [entry] = cli.log("--task", str(running["task_id"]))
    assert "while running attempt 1 on runner host:1:abc" in entry["comment"]


def test_bad_input_is_one_clear_error_that_changes_nothing(cli: Cli) -> None:
    task = cli.add("a", NOOP)
    task_id = str(task["task_id"])

    assert "not both" in error_line(cli.run("task", "cancel"), 2)
    assert "not both" in error_line(cli.run("task", "cancel", task_id, "--code", "a"), 2)
    assert "no task with id 999" in error_line(cli.run("task", "cancel", task_id, "999"), 3)
    assert "unknown status 'finished'" in error_line(
        cli.run("task", "cancel", "--status", "finished"), 2)
    assert "complete tasks cannot be cancelled" in error_line(
        cli.run("task", "cancel", "--status", "complete"), 2)
    assert "cancelled tasks cannot be cancelled" in error_line(
        cli.run("task", "cancel", "--status", "cancelled"), 2)
    assert "queue" in error_line(cli.run("task", "cancel", "--queue", "bad name!"), 2)

    assert statuses(cli) == {"a": "pending"}
    assert cli.log("--task", task_id) == []


def test_cancel_all_of_one_error_class(cli: Cli) -> None:
    for n in range(2):
        cli.add(f"boom-{n}", "tests.support.handlers:boom", "--max-attempts", "1")
    cli.add("other", "tests.support.handlers:boom", "--max-attempts", "1",
            "--args", '{"message": "other"}')
    cli.start()
    cli.add("waiting", NOOP)

    said = cli.ok("task", "cancel", "--error", "RuntimeError", "--code", "boom")
    assert said.strip() == "2 cancelled"
    assert statuses(cli) == {"boom-0": "cancelled", "boom-1": "cancelled",
                             "other": "failed", "waiting": "pending"}
    assert cli.ok("task", "cancel", "--error", "RuntimeError").strip() == "1 cancelled"
    assert statuses(cli)["waiting"] == "pending"  # --error alone: failed tasks only
    assert "error class" in error_line(cli.run("task", "cancel", "--error", ""), 2)
