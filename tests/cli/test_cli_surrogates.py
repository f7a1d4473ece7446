"""Issue 7, item 10: `task add --json` with a lone surrogate in args used to add the task,
crash printing it, and break `task list --json` from then on. Such args are refused up front
now, and a row that holds one already (an older taskdesk stored it) lists like any other."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli.hostile_support import Home, ok, one_error_line

pytestmark = pytest.mark.hostile


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home.create(tmp_path)


@pytest.mark.parametrize("args", ['{"x": "a\\ud800b"}', '{"\\udc80": 1}',
                                  '{"x": ["ok", {"y": "\\udfff"}]}'])
def test_args_with_a_lone_surrogate_are_refused_and_nothing_is_added(home: Home,
                                                                     args: str) -> None:
    line = one_error_line(home.run("task", "add", "c", "tests.support.handlers:noop",
                                   "--args", args, "--json"), 2)
    assert "lone surrogate" in line
    assert json.loads(ok(home.run("task", "list", "--json"))) == []


def test_a_stored_row_with_a_lone_surrogate_never_breaks_a_listing(home: Home) -> None:
    task = home.desk().tasks.add("old", "tests.support.handlers:noop", {"x": "fine"})
    with sqlite3.connect(home.database_url.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE task SET args = ? WHERE task_id = ?",
                     ('{"x": "a\\ud800b"}', task.task_id))
    listed = json.loads(ok(home.run("task", "list", "--json")))
    assert listed[0]["args"] == {"x": "a\ud800b"}  # the JSON escape reads back the same
    shown = json.loads(ok(home.run("task", "show", str(task.task_id), "--json")))
    assert shown["args"] == {"x": "a\ud800b"}
    assert "1 of 1 tasks" in ok(home.run("task", "list"))
    assert '{"x": "a\\ud800b"}' in ok(home.run("task", "show", str(task.task_id)))
