"""The CLI run in-process (Typer's CliRunner against `taskdesk.cli.app`) on one installation,
plus the library to put hostile rows in place, and the check that a failure is one line."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from typer.testing import CliRunner

from taskdesk import Settings, Task, Taskdesk
from taskdesk.cli import app

SAY = "tests.cli.hostile_handlers:say"
FAIL_WITH = "tests.cli.hostile_handlers:fail_with"
#: What must never reach a terminal raw from a value: ESC, CR, the 8-bit CSI, a bidi override.
RAW_CONTROLS = ("\x1b", "\r", "\x9b", "\u202e")


class Run(NamedTuple):
    code: int
    stdout: str  # decoded as written: no "\r\n" folding (CliRunner's .stdout does that)
    stderr: str


def invoke(args: list[str], env: Mapping[str, str] | None = None) -> Run:
    """`taskdesk ARGS` in-process; TASKDESK_* of the caller's environment are ignored."""
    result = CliRunner().invoke(app, args, env={"TASKDESK_APP": "", **(env or {})})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception)
    return Run(result.exit_code, result.stdout_bytes.decode("utf-8", "replace"),
               result.stderr_bytes.decode("utf-8", "replace"))


def one_error_line(run: Run, code: int | None = None) -> str:
    """The failure printed exactly one line on stderr, starting `error:`, and no traceback."""
    assert run.code != 0, run
    if code is not None:
        assert run.code == code, run
    assert "Traceback" not in run.stderr + run.stdout, run
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: "), run.stderr
    return lines[0]


@dataclass(frozen=True)
class Home:
    """A data folder and a SQLite database outside it (so that the folder can be made
    unusable while the database still works)."""

    home: Path
    database_url: str

    @classmethod
    def create(cls, folder: Path) -> Home:
        installation = cls(folder / "home", f"sqlite:///{folder / 'taskdesk.db'}")
        ok(installation.run("init"))
        return installation

    def run(self, *args: str, env: Mapping[str, str] | None = None) -> Run:
        return invoke(["--home", str(self.home), "--database-url", self.database_url, *args],
                      {"TASKDESK_ALLOWED_ACTIONS": "tests", **(env or {})})

    def desk(self) -> Taskdesk:
        return Taskdesk(Settings(home=self.home, database_url=self.database_url,
                                 allowed_actions=("tests",), retry_delay_seconds=0,
                                 max_attempts=1))

    def ran(self, action: str, **args: Any) -> Task:
        """A task of `action` with `args`, added and run to its end by the library."""
        with self.desk() as desk:
            task = desk.tasks.add("hostile", action, args)
            desk.runner().drain(threading.Event())
            return desk.tasks.get(task.task_id)


def ok(run: Run) -> str:
    assert run.code == 0, run
    assert run.stderr == "", run
    return run.stdout
