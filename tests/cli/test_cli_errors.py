"""Errors a user makes or meets: one line on stderr starting with "error:", the exit code of its
kind (bad input 2, not found 3, database 4), and nothing changed. The matrix runs in-process;
one smoke test checks the same contract on a real `python -m taskdesk` process."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import NamedTuple

import pytest

from tests.cli.harness import REAL_BACKENDS, Cli, TaskJson, error_line
from tests.support import require_postgres, temporary_database

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nowhere"
HUGE = "9" * 20  # more than any id or INTEGER column holds

#: Input that is checked before the database is touched: (arguments, exit code, text the
#: message must contain).
INVALID_INPUT = [
    pytest.param(["task", "add", "c", "tests.support.handlers:noop", "--args", "{n: 1"], 2, "JSON",
                 id="args-not-json"),
    pytest.param(["task", "add", "c", "tests.support.handlers:noop", "--args", "[1, 2]"], 2,
                 "JSON object", id="args-a-list"),
    pytest.param(["task", "add", "c", "not..an/action"], 2, "not..an/action",
                 id="malformed-action"),
    pytest.param(["task", "add", "bad code!", "tests.support.handlers:noop"], 2, "bad code",
                 id="bad-code"),
    pytest.param(["task", "add", "c", "tests.support.handlers:noop", "--run-at", "tomorrow"], 2,
                 "run_at 'tomorrow'", id="bad-run-at"),
    pytest.param(["task", "add", "c", "tests.support.handlers:noop", "--max-attempts", "0"], 2,
                 "max_attempts", id="zero-max-attempts"),
    pytest.param(["task", "status", "nonsense", "{id}"], 2, "nonsense", id="unknown-status"),
    pytest.param(["task", "list", "--status", "nonsense"], 2, "nonsense",
                 id="list-unknown-status"),
    pytest.param(["task", "list", "--limit", "0"], 2, "limit", id="list-limit-0"),
    pytest.param(["task", "delete-code", "bad code!"], 2, "bad code", id="delete-bad-code"),
    pytest.param(["task", "clear"], 2, "--yes", id="clear-without-yes"),
    pytest.param(["task", "add", "c", "tests.support.handlers:noop", "--priority", HUGE], 2,
                 "priority", id="priority-out-of-range"),
    pytest.param(["task", "add", "c", "tests.support.handlers:noop", "--args", '{"n": ' + "9" * 5000
                  + "}"], 2, "JSON", id="args-number-too-long"),
    pytest.param(["task", "add", "c", "tests.support.handlers:noop", "--run-at",
                  "0001-01-01T00:00:00+01:00"], 2, "is out of range in UTC",
                 id="run-at-out-of-range"),
    pytest.param(["task", "show", HUGE], 2, "task id", id="show-id-out-of-range"),
    pytest.param(["task", "delete", HUGE], 2, "task id", id="delete-id-out-of-range"),
    pytest.param(["task", "list", "--after", HUGE], 2, "id", id="list-cursor-out-of-range"),
    pytest.param(["task", "log", "--task", HUGE], 2, "id", id="log-task-out-of-range"),
]

#: Requests the database must refuse as a whole; {id} is an existing task's id.
REFUSED = [
    pytest.param(["task", "status", "processing", "{id}"], 2, "processing",
                 id="status-processing"),
    pytest.param(["task", "show", "999"], 3, "999", id="show-unknown-id"),
    pytest.param(["task", "status", "paused", "999"], 3, "999", id="status-unknown-id"),
    pytest.param(["task", "status", "paused", "{id}", "999"], 3, "999",
                 id="status-some-unknown-id"),
    pytest.param(["task", "delete", "999"], 3, "999", id="delete-unknown-id"),
    pytest.param(["task", "delete", "{id}", "999"], 3, "999", id="delete-some-unknown-id"),
]


class Installed(NamedTuple):
    cli: Cli
    task: TaskJson
    tasks: list[TaskJson]  # the task list every failed command must leave as it is


def installed(cli: Cli) -> Installed:
    cli.ok("init")
    task = cli.add("existing", "tests.support.handlers:noop", "--run-at", "2999-01-01T00:00:00Z")
    return Installed(cli, task, cli.tasks())


@pytest.fixture(scope="module")
def on_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """One installation for every case (each case leaves it unchanged, or fails)."""
    folder = tmp_path_factory.mktemp("errors")
    return installed(Cli(home=folder / "home", database_url=f"sqlite:///{folder / 'db.sqlite'}",
                         in_process=True))


@pytest.fixture(scope="module", params=REAL_BACKENDS)
def on_each_backend(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    folder = tmp_path_factory.mktemp("refused")
    if request.param == "sqlite":
        yield installed(Cli(home=folder / "home",
                            database_url=f"sqlite:///{folder / 'db.sqlite'}", in_process=True))
        return
    require_postgres()
    with temporary_database() as url:
        yield installed(Cli(home=folder / "home", database_url=url, in_process=True))


def check_refused(where: Installed, args: list[str], code: int, text: str) -> None:
    result = where.cli.run(*(arg.replace("{id}", str(where.task["task_id"])) for arg in args))

    assert text in error_line(result, code)
    assert result.stdout == ""
    assert where.cli.tasks() == where.tasks


@pytest.mark.parametrize(("args", "code", "text"), INVALID_INPUT)
def test_invalid_input_is_one_line_on_stderr_and_changes_nothing(
    on_sqlite: Installed, args: list[str], code: int, text: str
) -> None:
    check_refused(on_sqlite, args, code, text)


@pytest.mark.parametrize(("args", "code", "text"), REFUSED)
def test_a_refused_request_is_one_line_on_stderr_and_changes_nothing(
    on_each_backend: Installed, args: list[str], code: int, text: str
) -> None:
    check_refused(on_each_backend, args, code, text)


def test_before_init_commands_say_run_init(fresh: Cli) -> None:
    for args in (["task", "list"], ["task", "add", "c", "tests.support.handlers:noop"], ["start"]):
        message = error_line(fresh.run(*args), 4)
        assert "run `taskdesk init`" in message

    fresh.ok("init")
    assert fresh.tasks() == []
    fresh.ok("init")  # a second init is harmless


@pytest.mark.parametrize("args", [["init"], ["task", "list"], ["start"]])
def test_an_unreachable_database_is_named_without_a_traceback(
    sqlite_cli: Cli, args: list[str]
) -> None:
    result = sqlite_cli.run(*args, extra_env={"TASKDESK_DATABASE_URL": UNREACHABLE})

    message = error_line(result, 4)
    assert "127.0.0.1:1/nowhere" in message


@pytest.mark.parametrize(("variable", "value"), [
    ("TASKDESK_LEASE_SECONDS", "abc"),
    ("TASKDESK_LEASE_SECONDS", "0"),
    ("TASKDESK_MAX_ATTEMPTS", "1.5"),
])
def test_a_bad_setting_names_its_variable(sqlite_cli: Cli, variable: str, value: str) -> None:
    result = sqlite_cli.run("task", "list", extra_env={variable: value})

    assert variable in error_line(result, 2)


def test_a_real_process_prints_one_error_line_and_the_exit_code_of_its_kind(
    sqlite_cli: Cli
) -> None:
    sqlite_cli.ok("init")
    real = sqlite_cli.real_process()

    assert "999" in error_line(real.run("task", "show", "999"), 3)
    assert "JSON" in error_line(real.run("task", "add", "c", "tests.support.handlers:noop",
                                         "--args", "{n: 1"), 2)
    assert sqlite_cli.tasks() == []


def test_serve_on_a_port_in_use_is_one_error_line(sqlite_cli: Cli) -> None:
    sqlite_cli.ok("init")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        message = error_line(sqlite_cli.run("serve", "--port", str(port)), 2)
    assert f"cannot serve on 127.0.0.1:{port}" in message
    assert "in use" in message
