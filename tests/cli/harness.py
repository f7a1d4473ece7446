"""Run the `taskdesk` command as a user would and read what it prints: in a real subprocess
(`python -m taskdesk`), or in-process through the same `main()` (tests/cli/inprocess.py), which
is several times faster and what the CLI fixtures give."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from tests.cli.inprocess import Result as Result  # re-exported: tests import it from here
from tests.cli.inprocess import run_in_process

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The command as `python -m taskdesk`, and the console script installed next to the interpreter.
MODULE_COMMAND = (sys.executable, "-m", "taskdesk")
CONSOLE_SCRIPT = Path(sys.executable).parent / "taskdesk"
#: The databases a subprocess can share with the test: parameters of the CLI fixtures.
REAL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
DEMO_APP = "taskdesk.demo:desk"  # the demo application, with its registered Hello task
TIMEOUT = 60.0  # seconds any one command may take before the test fails

#: Variables of the caller's environment that would change what the command does or prints.
_DROPPED = ("COLUMNS", "LINES", "FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")

Json = Any
TaskJson = dict[str, Any]


def clean_env(values: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without TASKDESK_* and terminal settings, plus `values`."""
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith("TASKDESK_") and key not in _DROPPED
    }
    env.update(values)
    return env


def run(args: Sequence[str], env: Mapping[str, str],
        command: Sequence[str] = MODULE_COMMAND) -> Result:
    """Run the command from the repository root (so that
    `tests.support.handlers:…` imports), no stdin."""
    completed = subprocess.run(
        [*command, *args], cwd=REPO_ROOT, env=dict(env), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


def error_line(result: Result, code: int) -> str:
    """The one line on stderr of a command that failed with `code`; no traceback."""
    assert result.code == code, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    return lines[0]


@dataclass(frozen=True)
class Cli:
    """One installation: a data folder and a database, as the environment names them.

    Commands run in a real subprocess unless `in_process`: a test that builds its own Cli to
    crash, fork, signal or exit the command gets the real thing; the fixtures opt in."""

    home: Path
    database_url: str
    app: str = ""  # TASKDESK_APP: the application whose registered tasks commands know
    allowed_actions: str = "tests,bench"  # TASKDESK_ALLOWED_ACTIONS: the suite's own handlers
    in_process: bool = False  # True: taskdesk.cli.main() inside the test process

    @property
    def env(self) -> dict[str, str]:
        return clean_env({"TASKDESK_HOME": str(self.home),
                          "TASKDESK_DATABASE_URL": self.database_url,
                          "TASKDESK_ALLOWED_ACTIONS": self.allowed_actions,
                          "TASKDESK_APP": self.app})

    def with_app(self, app: str = DEMO_APP) -> Cli:
        """The same installation, its commands loading an application."""
        return replace(self, app=app)

    def real_process(self) -> Cli:
        """The same installation, its commands run as `python -m taskdesk` subprocesses."""
        return replace(self, in_process=False)

    @property
    def error_log(self) -> Path:
        return self.home / "logs" / "error.log"

    @property
    def runner_log(self) -> Path:
        return self.home / "logs" / "runner.log"

    def run(self, *args: str, extra_env: Mapping[str, str] | None = None) -> Result:
        env = {**self.env, **(extra_env or {})}
        return run_in_process(args, env, REPO_ROOT) if self.in_process else run(args, env)

    def ok(self, *args: str) -> str:
        """Stdout of a command that must succeed without writing to stderr."""
        result = self.run(*args)
        assert result.code == 0, result
        assert result.stderr == "", result
        return result.stdout

    def json(self, *args: str) -> Json:
        return json.loads(self.ok(*args, "--json"))

    def add(self, code: str, action: str, *options: str) -> TaskJson:
        task: TaskJson = self.json("task", "add", code, action, *options)
        return task

    def tasks(self, *options: str) -> list[TaskJson]:
        tasks: list[TaskJson] = self.json("task", "list", *options)
        return tasks

    def task(self, task_id: int) -> TaskJson:
        task: TaskJson = self.json("task", "show", str(task_id))
        return task

    def log(self, *options: str) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.json("task", "log", *options)
        return entries

    def start(self) -> str:
        return self.ok("start")


def record_args(path: Path, n: int) -> str:
    """--args of tests.support.handlers:record, which appends `n` to the file at `path`."""
    return json.dumps({"path": str(path), "n": n})


def recorded(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []
