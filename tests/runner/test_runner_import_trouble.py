"""Issue 7, item 8: trouble while an extension's admin module is imported or installed —
sys.exit(5), os._exit(7), a non-daemon thread — and a task that leaves a non-daemon thread
running. The CLI says what happened in one line and never hangs at exit."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.cli.harness import MODULE_COMMAND, REPO_ROOT, Cli, Result, error_line
from tests.extensions.support import module_source, unique_code, write_extension, zip_folder

pytestmark = [pytest.mark.hostile, pytest.mark.slow]

STRAY_SECONDS = 120  # how long a stray thread lives: far past any timeout below
EXIT_WITHIN_SECONDS = 30.0  # a command that waited for the stray thread would take longer


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    installation = Cli(home=tmp_path / "home",
                       database_url=f"sqlite:///{tmp_path / 'home' / 'db.sqlite'}")
    replace(installation, in_process=True).ok("init")  # the commands tested stay real
    return installation


def upload(cli: Cli, tmp_path: Path, *, before: str = "", install: str = "pass") -> str:
    """Upload an extension whose admin module runs `before` at import (after its class) and
    `install` in install(); its code."""
    code = unique_code("trouble")
    class_name = "".join(part.capitalize() for part in code.split("_"))
    source = module_source(class_name, install=install) + "\n" + before
    folder = write_extension(tmp_path / code, code,
                             {f"admin/controller/module/{code}.py": source})
    in_process = replace(cli, in_process=True)  # the set-up: only the command tested is real
    in_process.ok("extension", "upload", str(zip_folder(folder, tmp_path / f"{code}.zip")))
    return code


def run_bounded(cli: Cli, *args: str) -> Result:
    """The command, failing the test if it has not exited after EXIT_WITHIN_SECONDS."""
    completed = subprocess.run(
        [*MODULE_COMMAND, *args], cwd=REPO_ROOT, env=cli.env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=EXIT_WITHIN_SECONDS, check=False,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


def installed(cli: Cli, code: str) -> bool:
    """Read in-process: the check need not start a process of its own."""
    listed = replace(cli, in_process=True).json("extension", "list")
    [row] = [row for row in listed if row["code"] == code]
    return all(module["installed"] for module in row["modules"])


def test_sys_exit_at_import_is_one_clear_error(cli: Cli, tmp_path: Path) -> None:
    code = upload(cli, tmp_path, before="import sys\nsys.exit(5)\n")

    line = error_line(cli.run("extension", "install", code), 1)

    assert f"extension {code!r}, module module/{code}" in line
    assert f"cannot load admin/controller/module/{code}.py: SystemExit(5)" in line
    assert not installed(cli, code)


def test_sys_exit_in_install_is_one_clear_error(cli: Cli, tmp_path: Path) -> None:
    code = upload(cli, tmp_path, install="raise SystemExit(5)")

    line = error_line(cli.run("extension", "install", code), 1)

    assert line.endswith(f"extension {code!r}, module module/{code}: install() failed: "
                         "SystemExit(5)")
    assert not installed(cli, code)


def test_os_exit_at_import_says_nothing_misleading(cli: Cli, tmp_path: Path) -> None:
    """os._exit() at import ends the process that runs the install() hook: a child of its own
    (issue 14, item 26), so the command survives it and says what happened, claims no success
    and leaves the module not installed."""
    code = upload(cli, tmp_path, before="import os\nos._exit(7)\n")

    result = cli.run("extension", "install", code)

    assert result.code == 1
    assert "ended (exit code 7) before finishing; nothing was changed" in result.stderr
    assert "installed" not in result.stdout
    assert not installed(cli, code)


def test_a_non_daemon_thread_started_at_import_does_not_hang_install(
    cli: Cli, tmp_path: Path
) -> None:
    before = ("import threading, time\n"
              f"threading.Thread(target=time.sleep, args=({STRAY_SECONDS},), name='stray')"
              ".start()\n")
    code = upload(cli, tmp_path, before=before)

    started = time.monotonic()
    result = run_bounded(cli, "extension", "install", code)

    assert time.monotonic() - started < EXIT_WITHIN_SECONDS
    assert result.code == 0, result
    assert f"installed module/{code}" in result.stdout
    assert result.stderr == ""  # the thread was the hook's child's, and ended with it
    assert installed(cli, code)


def test_a_task_that_leaves_a_thread_running_does_not_hang_start(cli: Cli) -> None:
    cli.add("stray", "tests.runner.hostile_handlers:stray_thread",
            "--args", json.dumps({"seconds": STRAY_SECONDS}))

    result = run_bounded(cli, "start")

    assert result.code == 0, result
    assert "runner summary" in result.stdout
    assert "without waiting for 1 thread(s)" in result.stderr
    assert [t["status"] for t in cli.tasks()] == ["complete"]
