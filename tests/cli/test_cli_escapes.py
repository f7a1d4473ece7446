"""Issue 7, item 2: terminal escape codes from a package, a task's args, its response or its
traceback are shown as escapes (`\\x1b`), never obeyed, in tables and plain output; `--json`
escapes them as JSON does and reads back the same value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.hostile_support import FAIL_WITH, RAW_CONTROLS, SAY, Home, ok
from tests.extensions.support import (
    manifest,
    module_source,
    unique_code,
    write_extension,
    zip_folder,
)

pytestmark = pytest.mark.hostile

NAME = "X\x1b[31m…\r\nfake: line\u202e"
SCREEN = "\x1b[2J\x9b2J done\rhidden"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home.create(tmp_path)


def assert_no_raw_controls(text: str) -> None:
    for char in RAW_CONTROLS:
        assert char not in text, (char, text)


def test_a_package_name_with_escape_codes_is_shown_escaped(home: Home, tmp_path: Path) -> None:
    code = unique_code("escapes")
    folder = write_extension(tmp_path / code, code, {
        f"admin/controller/module/{code}.py": module_source("Module")},
        install_json=manifest(code, name=NAME, version="1.0\x1b[8m"))
    uploaded = ok(home.run("extension", "upload", str(zip_folder(folder, tmp_path / "p.zip"))))
    assert_no_raw_controls(uploaded)
    assert "1.0\\x1b[8m" in uploaded

    listed = ok(home.run("extension", "list"))
    assert_no_raw_controls(listed)
    assert "X\\x1b[31m" in listed
    assert "fake: line" not in listed.splitlines()[0]  # no line of its own

    [row] = [row for row in json.loads(ok(home.run("extension", "list", "--json")))
             if row["code"] == code]
    assert row["name"] == NAME


@pytest.mark.parametrize("command", [("task", "show", "{id}"), ("task", "list"),
                                     ("task", "log")])
def test_a_response_that_clears_the_screen_is_shown_escaped(home: Home,
                                                            command: tuple[str, ...]) -> None:
    task = home.ran(SAY, text=SCREEN)
    shown = ok(home.run(*(part.format(id=task.task_id) for part in command)))
    assert_no_raw_controls(shown)
    assert "\\x1b[2J" in shown


def test_args_and_a_traceback_with_escape_codes_are_shown_escaped(home: Home) -> None:
    task = home.ran(FAIL_WITH, text=SCREEN)
    assert task.response is not None
    assert "Traceback" in task.response
    shown = ok(home.run("task", "show", str(task.task_id)))
    assert_no_raw_controls(shown)
    assert shown.count("\\x1b[2J") >= 2  # the args row and the traceback's last line
    assert "Traceback (most recent call last):\n" in shown  # a traceback keeps its lines


def test_json_escapes_them_and_reads_back_the_same(home: Home) -> None:
    task = home.ran(SAY, text=SCREEN)
    printed = ok(home.run("task", "show", str(task.task_id), "--json"))
    assert_no_raw_controls(printed)
    assert json.loads(printed)["response"] == SCREEN
    assert json.loads(ok(home.run("task", "list", "--json")))[0]["args"] == {"text": SCREEN}


def test_the_error_log_is_shown_escaped_with_its_lines(home: Home) -> None:
    home.desk().error_log.write(f"first {SCREEN}")
    home.desk().error_log.write("second")
    shown = ok(home.run("log", "show"))
    assert_no_raw_controls(shown)
    assert len(shown.splitlines()) == 2
