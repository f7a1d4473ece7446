"""`task list --json` cuts long args and responses as the table does (issue 14 #18: 20 tasks
with 5 MiB args printed 106 MB); `--whole` prints them whole."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from taskdesk.cli.output import LISTED_CHARS
from tests.cli.hostile_support import Home, ok

BIG = "x" * (1024 * 1024)  # 1 MiB of args
RESPONSE = "a line of a long report\n" * 50_000


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home.create(tmp_path)


def test_list_json_cuts_long_args_and_responses_and_whole_prints_them(home: Home) -> None:
    desk = home.desk()
    big = desk.tasks.add("big", "tests.support.handlers:noop", {"blob": BIG})
    desk.tasks.add("small", "tests.support.handlers:noop", {"n": 1})
    with sqlite3.connect(home.database_url.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE task SET response = ? WHERE task_id = ?", (RESPONSE, big.task_id))
    printed = ok(home.run("task", "list", "--json"))
    assert len(printed) < 4 * LISTED_CHARS + 5_000
    cut, small = json.loads(printed)
    assert cut["cut"] == ["args", "response"]
    assert cut["args"] == json.dumps({"blob": BIG})[:LISTED_CHARS - 1] + "…"
    assert cut["response"] == RESPONSE[:LISTED_CHARS - 1] + "…"
    assert small["cut"] == []
    assert small["args"] == {"n": 1}
    whole = json.loads(ok(home.run("task", "list", "--json", "--whole")))
    assert whole[0]["args"] == {"blob": BIG}
    assert whole[0]["response"] == RESPONSE
    assert "cut" not in whole[0]
