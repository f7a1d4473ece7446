"""The main flows of the `taskdesk` command, on SQLite and on PostgreSQL: init, add, start, and
what the task log, the registry and the error log show afterwards.

Most run in-process; the first, and --help and the console script, are the smoke tests that run
real `python -m taskdesk` processes (init, task add/list/log, start, log show)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.harness import CONSOLE_SCRIPT, Cli, clean_env, record_args, recorded, run


def test_init_add_start_then_the_log_shows_the_task_complete(cli: Cli, tmp_path: Path) -> None:
    real = cli.real_process()  # each command that changes something, and one --json, for real
    out = tmp_path / "record.txt"

    init = real.ok("init")
    assert "schema" in init
    assert (cli.home / "logs").is_dir()
    added = real.ok("task", "add", "demo", "tests.support.handlers:record",
                    "--args", record_args(out, 3))
    assert "added task" in added
    assert "(demo), pending" in added
    [task] = cli.tasks()
    real.start()

    [entry] = real.log()
    assert entry["status"] == "complete"
    assert entry["attempt"] == 1
    assert entry["task_id"] == task["task_id"]
    assert entry["code"] == "demo"
    assert recorded(out) == ["3"]
    [done] = cli.tasks()
    assert (done["status"], done["attempts"]) == ("complete", 1)
    assert "is empty" in real.ok("log", "show")  # the record handler writes no error log


def test_the_demo_task_writes_three_lines_to_the_error_log(cli: Cli) -> None:
    cli = cli.with_app()
    cli.ok("init")
    cli.ok("task", "add", "demo", "taskdesk.demo:Hello", "--args", '{"n": 3}')
    cli.start()

    shown = cli.ok("log", "show")
    messages = ["hello world: step 1 of 3", "hello world: step 2 of 3", "hello world: step 3 of 3"]
    assert [line.split(" - ", 1)[1] for line in shown.splitlines()] == messages
    # the database's lines say which host, process and task wrote them; the file the same text
    assert all(re.fullmatch(r"\S+ \S+ \S+ pid \d+ task 1", line.split(" - ", 1)[0])
               for line in shown.splitlines())
    written = cli.error_log.read_text().splitlines()
    assert [line.split(" - ", 1)[1] for line in written] == messages
    assert [line[:19] for line in written] == [line[:19] for line in shown.splitlines()]
    [task] = cli.tasks()
    assert task["status"] == "complete"
    assert task["response"] == "greeted world 3 times"


def test_a_task_due_in_the_future_is_not_run_by_start(cli: Cli, tmp_path: Path) -> None:
    later_file, now_file = tmp_path / "later.txt", tmp_path / "now.txt"
    later = cli.add("later", "tests.support.handlers:record", "--args", record_args(later_file, 1),
                    "--run-at", "2999-01-01T00:00:00Z")
    now = cli.add("now", "tests.support.handlers:record", "--args", record_args(now_file, 2))
    assert later["run_at"] == "2999-01-01T00:00:00Z"

    cli.start()

    assert not later_file.exists()
    assert recorded(now_file) == ["2"]
    assert cli.task(later["task_id"])["status"] == "pending"
    assert cli.task(later["task_id"])["attempts"] == 0
    assert cli.log("--task", str(later["task_id"])) == []
    assert cli.task(now["task_id"])["status"] == "complete"


def test_a_higher_priority_runs_first(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "order.txt"
    cli.add("low", "tests.support.handlers:record", "--args", record_args(out, 1))
    cli.add("high", "tests.support.handlers:record", "--args", record_args(out, 3),
            "--priority", "10")
    cli.add("middle", "tests.support.handlers:record", "--args", record_args(out, 2),
            "--priority", "5")

    cli.start()

    assert recorded(out) == ["3", "2", "1"]
    assert [task["priority"] for task in cli.tasks()] == [0, 10, 5]


@pytest.mark.parametrize("action", ["tests.nosuch_module:func", "tests.support.handlers:nosuch"])
def test_an_unresolvable_action_fails_only_its_own_task(
    cli: Cli, tmp_path: Path, action: str
) -> None:
    out = tmp_path / "record.txt"
    broken = cli.add("broken", action)
    fine = cli.add("fine", "tests.support.handlers:record", "--args", record_args(out, 7))

    summary = cli.start()

    [failed_row] = [line for line in summary.splitlines() if "failed" in line]
    assert re.search(r"\b1\b", failed_row), summary
    failed = cli.task(broken["task_id"])
    assert failed["status"] == "failed"
    assert action in (failed["response"] or "")
    assert [entry["status"] for entry in failed["log"]] == ["failed"]
    assert cli.task(fine["task_id"])["status"] == "complete"
    assert recorded(out) == ["7"]


def test_human_output_shows_codes_and_statuses(cli: Cli) -> None:
    cli = cli.with_app()
    task = cli.add("greeting", "taskdesk.demo:Hello", "--args", '{"n": 1}')
    cli.add("waiting", "tests.support.handlers:noop", "--run-at", "2999-01-01T00:00:00")
    cli.start()

    listed = cli.ok("task", "list")
    assert "2 of 2 tasks" in listed
    for text in ("greeting", "complete", "waiting", "pending", "taskdesk.demo:Hello"):
        assert text in listed
    shown = cli.ok("task", "show", str(task["task_id"]))
    assert "greeting" in shown
    assert "greeted world 1 times" in shown
    log = cli.ok("task", "log")
    assert "greeting" in log
    assert "complete" in log


def test_python_m_taskdesk_help_and_the_console_script_both_work(sqlite_cli: Cli) -> None:
    env = clean_env({})
    by_module = run(["--help"], env)
    assert by_module.code == 0, by_module
    for command in ("init", "start", "worker", "task", "log"):
        assert command in by_module.stdout

    assert CONSOLE_SCRIPT.is_file()
    by_script = run(["--help"], env, command=[str(CONSOLE_SCRIPT)])
    assert by_script.code == 0, by_script
    assert "task" in by_script.stdout
    script_init = run(["init"], sqlite_cli.env, command=[str(CONSOLE_SCRIPT)])
    assert script_init.code == 0, script_init
    assert sqlite_cli.tasks() == []
