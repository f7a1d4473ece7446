"""One log line per task: `worker --verbose` and `start --verbose` (where people type it),
`taskdesk --verbose`, and TASKDESK_LOG_LEVEL; a level that is not one is one error."""

from __future__ import annotations

import pytest

from tests.cli.harness import Cli, error_line

SHOP = "tests.apps.shop:desk"


def _lines(stderr: str, event: str) -> list[str]:
    return [line for line in stderr.splitlines() if f"taskdesk.runner.runner: {event}" in line]


@pytest.mark.parametrize("where", ["command", "root"])
def test_verbose_logs_one_line_per_task_with_what_ran(sqlite_cli: Cli, where: str) -> None:
    cli = sqlite_cli.with_app(SHOP)
    cli.ok("init")
    cli.add("welcome-7", "shop.welcome", "--args", '{"path": "/dev/null", "user_id": 7}')
    cli.add("flaky", "tests.apps.shop:flaky", "--max-attempts", "1")
    args = ["start", "--quiet", "--verbose"] if where == "command" else [
        "--verbose", "start", "--quiet"]

    result = cli.run(*args)

    assert result.code == 0, result
    [complete] = _lines(result.stderr, "task.complete")
    assert "code=welcome-7 action=shop.welcome queue=default attempt=1 duration=" in complete
    [failed] = _lines(result.stderr, "task.failed")
    assert "code=flaky action=tests.apps.shop:flaky" in failed
    assert failed.endswith("error=RuntimeError")


def test_quiet_by_default(sqlite_cli: Cli) -> None:
    cli = sqlite_cli.with_app(SHOP)
    cli.ok("init")
    cli.add("welcome-7", "shop.welcome", "--args", '{"path": "/dev/null", "user_id": 7}')

    result = cli.run("start", "--quiet")

    assert result.code == 0, result
    assert result.stderr == ""


def test_log_level_from_the_environment(sqlite_cli: Cli) -> None:
    cli = sqlite_cli.with_app(SHOP)
    cli.ok("init")
    cli.add("welcome-7", "shop.welcome", "--args", '{"path": "/dev/null", "user_id": 7}')

    result = cli.run("start", "--quiet", extra_env={"TASKDESK_LOG_LEVEL": " INFO "})

    assert result.code == 0, result
    assert len(_lines(result.stderr, "task.complete")) == 1


def test_worker_takes_verbose(sqlite_cli: Cli) -> None:
    result = sqlite_cli.run("worker", "--help")

    assert "--verbose" in result.stdout


def test_a_level_that_is_not_one_is_one_error_and_runs_nothing(sqlite_cli: Cli) -> None:
    cli = sqlite_cli.with_app(SHOP)
    cli.ok("init")
    added = cli.add("welcome-7", "shop.welcome", "--args", '{"path": "/dev/null", "user_id": 7}')

    result = cli.run("start", extra_env={"TASKDESK_LOG_LEVEL": "loud\x1b[31m"})

    line = error_line(result, result.code)
    assert result.code != 0
    assert "TASKDESK_LOG_LEVEL=loud\\x1b[31m is not a level" in line
    assert cli.task(added["task_id"])["status"] == "pending"
