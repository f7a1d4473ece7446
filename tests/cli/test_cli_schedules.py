"""`taskdesk schedule …` in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.cli.harness import Cli, error_line


def schedules(cli: Cli) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = cli.json("schedule", "list")
    return found


def test_add_list_show_disable_enable_delete(cli: Cli) -> None:
    added = cli.json("schedule", "add", "tick", "tests.support.handlers:noop", "--every", "hour",
                     "--interval", "2", "--missed", "skip")
    assert (added["code"], added["rule"], added["missed"]) == ("tick", "every 2 hours", "skip")
    assert "added schedule rates (cron */5 * * * *)" in cli.ok(
        "schedule", "add", "rates", "tests.support.handlers:record", "--cron", "*/5 * * * *",
        "--args", '{"path": "/tmp/x", "n": 1}')
    assert [s["code"] for s in schedules(cli)] == ["rates", "tick"]
    assert "2 schedules" in cli.ok("schedule", "list")
    assert cli.json("schedule", "show", "rates")["args"] == {"path": "/tmp/x", "n": 1}
    assert "disabled schedule tick" in cli.ok("schedule", "disable", "tick")
    assert cli.json("schedule", "show", "tick")["enabled"] is False
    cli.ok("schedule", "enable", "tick")
    assert cli.json("schedule", "show", "tick")["enabled"] is True
    assert "deleted schedule tick" in cli.ok("schedule", "delete", "tick")
    assert [s["code"] for s in schedules(cli)] == ["rates"]


def test_bad_schedules_give_one_error_and_store_nothing(cli: Cli) -> None:
    for options, message in [
        (("--cron", "99 * * * *"), "bad cron expression"),
        (("--every", "fortnight"), "unknown cycle"),
        (("--every", "day", "--missed", "later"), "missed-firing policy"),
        ((), "needs either a cron expression or a cycle"),
    ]:
        result = cli.run("schedule", "add", "tick", "tests.support.handlers:noop", *options)
        assert message in error_line(result, 2)
    result = cli.run("schedule", "add", "tick", "os:system", "--every", "day")
    assert "allow" in error_line(result, 2)
    assert schedules(cli) == []


def test_unknown_and_taken_codes(cli: Cli) -> None:
    assert "no schedule with code 'nope'" in error_line(cli.run("schedule", "show", "nope"), 3)
    assert "no schedule" in error_line(cli.run("schedule", "delete", "nope"), 3)
    cli.ok("schedule", "add", "tick", "tests.support.handlers:noop", "--every", "day")
    result = cli.run("schedule", "add", "tick", "tests.support.handlers:noop", "--every", "hour")
    assert "exists already" in error_line(result, result.code)
    assert cli.json("schedule", "show", "tick")["rule"] == "every day"
