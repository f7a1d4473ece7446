"""Issue 7, item 11: `task show` was quadratic in the response's size (4 MB: 4.4 s, 50 MB:
more than 12 minutes). It now prints a long response in linear time, cut at BLOCK_CHARS
with a note that says how to get the whole as JSON; lists show a one-line preview.
(Timings: bench/cli_output.py; no timed asserts here.)"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from taskdesk.cli.output import BLOCK_CHARS, PREVIEW_CHARS
from tests.cli.hostile_support import Home, ok

pytestmark = pytest.mark.hostile

LINE = "a line of a long report\n"
RESPONSE = LINE * (1024 * 1024 // len(LINE))  # 1 MiB, as an older taskdesk could store


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home.create(tmp_path)


def long_task(home: Home) -> int:
    task = home.desk().tasks.add("long", "tests.support.handlers:noop")
    with sqlite3.connect(home.database_url.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE task SET response = ? WHERE task_id = ?", (RESPONSE, task.task_id))
    return task.task_id


def test_show_cuts_a_long_response_and_says_how_to_get_it_whole(home: Home) -> None:
    task_id = long_task(home)
    shown = ok(home.run("task", "show", str(task_id)))
    assert BLOCK_CHARS < len(shown) < BLOCK_CHARS + 10_000
    left_out = len(RESPONSE) - BLOCK_CHARS
    assert f"[… {left_out:,} more characters: taskdesk task show {task_id} --json prints the " \
        "whole]" in shown
    assert RESPONSE[:BLOCK_CHARS] in shown
    whole = json.loads(ok(home.run("task", "show", str(task_id), "--json")))
    assert whole["response"] == RESPONSE


def test_list_shows_a_one_line_preview(home: Home) -> None:
    long_task(home)
    listed = ok(home.run("task", "list"))
    assert len(listed) < 2_000
    assert LINE.strip() in listed
    assert all(len(line) <= 160 for line in listed.splitlines())
    assert PREVIEW_CHARS < 160


def test_a_short_response_is_shown_whole_without_a_note(home: Home) -> None:
    task = home.ran("tests.cli.hostile_handlers:say", text="line one\n  line two")
    shown = ok(home.run("task", "show", str(task.task_id)))
    assert "response\nline one\n  line two\n" in shown
    assert "more characters" not in shown
