"""Issue 7, item 9: square brackets in values are printed literally, never read as Rich
markup: `[/oops]` in a response no longer crashes `task list`, `task log` and `task show` for
everyone, `[postgres]` is no longer dropped, and an error message with `[/x]` prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.hostile_support import FAIL_WITH, SAY, Home, ok, one_error_line

pytestmark = pytest.mark.hostile

RESPONSE = "[/oops] see [/var/log] then pip install 'taskdesk[postgres]' [bold]x[/bold] :smile:"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home.create(tmp_path)


@pytest.mark.parametrize("command", [("task", "list"), ("task", "log"),
                                     ("task", "show", "{id}")])
def test_a_response_with_brackets_is_printed_literally(home: Home,
                                                       command: tuple[str, ...]) -> None:
    task = home.ran(SAY, text=RESPONSE)
    shown = ok(home.run(*(part.format(id=task.task_id) for part in command)))
    assert "[/oops]" in shown
    if command[-1] == "{id}":  # the whole response, where no column cuts it
        assert RESPONSE in shown


def test_a_failure_message_with_brackets_is_printed_literally(home: Home) -> None:
    task = home.ran(FAIL_WITH, text="[/x] [red]not red[/red]")
    shown = ok(home.run("task", "show", str(task.task_id)))
    assert "RuntimeError: [/x] [red]not red[/red]" in shown


def test_an_error_message_with_brackets_is_printed_literally(home: Home) -> None:
    line = one_error_line(home.run("task", "add", "c", "tests.support.handlers:[/x]"), 2)
    assert "'tests.support.handlers:[/x]'" in line
