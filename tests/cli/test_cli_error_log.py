"""`taskdesk log show|clear` over the database: every host's lines, newest last, paged back by
keyset, filtered by host and task, as JSON; two homes (two hosts) on one database read each
other's lines; a real `python -m taskdesk start` writes lines that carry its task and pid."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.cli.harness import Cli

SAY = "taskdesk.demo:Hello"


def _host(cli: Cli, name: str, *args: str) -> str:
    result = cli.run(*args, extra_env={"TASKDESK_HOST_NAME": name})
    assert result.code == 0, result
    return result.stdout


def test_a_line_written_on_host_b_is_read_on_host_a(cli: Cli, tmp_path: Path) -> None:
    host_a = cli.with_app()
    host_a.ok("init")
    host_b = replace(host_a, home=tmp_path / "home-b")  # its own disk, the same database
    host_b.add("greet", SAY, "--args", '{"name": "from b", "n": 1}')
    _host(host_b, "host-b", "start")

    shown = _host(host_a, "host-a", "log", "show", "--json")
    [line] = json.loads(shown)["lines"]
    assert (line["host"], line["task_id"]) == ("host-b", 1)
    assert line["message"] == "hello from b: step 1 of 1"
    assert not host_a.error_log.exists()  # host A's file has none of it: only B's has
    assert "hello from b" in host_b.error_log.read_text()
    text = _host(host_a, "host-a", "log", "show", "--host", "host-b")
    assert " host-b pid " in text
    assert text.rstrip().endswith("- hello from b: step 1 of 1")
    assert "no error log lines match" in _host(host_a, "host-a", "log", "show", "--host", "host-a")


def test_json_filters_and_keyset_pages(cli: Cli) -> None:
    cli = cli.with_app()
    cli.ok("init")
    one = cli.add("one", SAY, "--args", '{"name": "one", "n": 2}')
    cli.add("two", SAY, "--args", '{"name": "two", "n": 3}')
    cli.start()
    page = cli.json("log", "show", "--limit", "2")
    assert [line["message"] for line in page["lines"]] == [
        "hello two: step 2 of 3", "hello two: step 3 of 3"]
    assert set(page["lines"][0]) == {"error_log_id", "date_added", "host", "pid", "task_id",
                                     "message"}
    older = cli.json("log", "show", "--limit", "2",
                     "--before", str(page["next_cursor"]))
    assert [line["message"] for line in older["lines"]] == [
        "hello one: step 2 of 2", "hello two: step 1 of 3"]
    oldest = cli.json("log", "show", "--limit", "2",
                      "--before", str(older["next_cursor"]))
    assert [line["message"] for line in oldest["lines"]] == ["hello one: step 1 of 2"]
    assert oldest["next_cursor"] is None
    only = cli.json("log", "show", "--task", str(one["task_id"]))
    assert [line["message"] for line in only["lines"]] == [
        "hello one: step 1 of 2", "hello one: step 2 of 2"]
    assert {line["task_id"] for line in only["lines"]} == {one["task_id"]}


@pytest.mark.hostile
def test_hostile_lines_are_printed_escaped(cli: Cli) -> None:
    cli = cli.with_app()
    cli.ok("init")
    desk_log = cli.run("log", "show")  # an empty log first
    assert "is empty" in desk_log.stdout
    cli.add("evil", SAY, "--args", json.dumps({"name": "\x1b[2J\x1b]0;pwned\x07\u202e\r", "n": 1}))
    cli.start()
    shown = cli.ok("log", "show")
    assert "\x1b" not in shown
    assert "\u202e" not in shown
    assert "\r" not in shown
    assert "\\x1b[2J\\x1b]0;pwned\\x07\\u202e\\r" in shown
    printed = cli.ok("log", "show", "--json")
    assert "\u202e" not in printed
    assert json.loads(printed)["lines"][0]["message"].startswith("hello \x1b[2J")


def test_clear_deletes_every_hosts_lines(cli: Cli, tmp_path: Path) -> None:
    host_a = cli.with_app()
    host_a.ok("init")
    host_b = replace(host_a, home=tmp_path / "home-b")
    host_b.add("greet", SAY, "--args", '{"n": 2}')
    _host(host_b, "host-b", "start")
    assert "cleared 2 lines" in _host(host_a, "host-a", "log", "clear")
    assert "is empty" in _host(host_b, "host-b", "log", "show")


@pytest.mark.slow
def test_a_real_runner_writes_lines_with_its_task_and_pid(cli: Cli) -> None:
    real = cli.with_app().real_process()
    real.ok("init")
    task = real.add("greet", SAY, "--args", '{"n": 1}')
    real.ok("start")
    [line] = real.json("log", "show")["lines"]
    assert line["task_id"] == task["task_id"]
    assert line["pid"] > 0
    [entry] = real.log()
    pid = int(entry["worker_id"].split(":")[1])  # host:pid:random, the runner that ran it
    assert line["pid"] == pid
