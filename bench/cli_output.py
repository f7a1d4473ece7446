"""How long `taskdesk task show` and `task list` take, and how much memory, for one task
whose response is 1 to 50 MB (a row an older taskdesk or another tool stored; runners now
keep at most 64 KiB). Each command is its own process, as a user runs it.

    .venv/bin/python -m bench.cli_output                      # 1, 4, 16 MB
    .venv/bin/python -m bench.cli_output --sizes 1,4,50 --src /work/main/src   # another tree

`--src` runs the taskdesk found in that source folder (PYTHONPATH), to compare with older
code. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

LINE = "one line of a long response, as a traceback or a report has many of\n"
COMMANDS = (("show", ("task", "show", "1")), ("show --json", ("task", "show", "1", "--json")),
            ("list", ("task", "list")))
TIMEOUT = 900.0  # seconds; a command that takes longer is reported as such


def run(args: tuple[str, ...], env: dict[str, str]) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in MiB and exit code of `python -m taskdesk ARGS`."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "taskdesk", *args], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = started + TIMEOUT
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return time.perf_counter() - started, usage.ru_maxrss // 1024, process.returncode
        if time.perf_counter() > deadline:
            process.kill()
            process.wait()
            return float("inf"), 0, -9
        time.sleep(0.01)


def prepare(home: Path, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "taskdesk", "init"], env=env, check=True,
                   capture_output=True)
    subprocess.run([sys.executable, "-m", "taskdesk", "task", "add", "big",
                    "tests.support.handlers:noop"], env=env, check=True, capture_output=True)


def set_response(home: Path, megabytes: int) -> None:
    text = LINE * (megabytes * 1024 * 1024 // len(LINE))
    with sqlite3.connect(home / "taskdesk.db") as conn:
        conn.execute("UPDATE task SET response = ? WHERE task_id = 1", (text,))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,4,16", help="response sizes in MB")
    parser.add_argument("--src", help="a taskdesk source folder to run instead of this one")
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    table = Table(title="one task with a long response", title_justify="left")
    table.add_column("response")
    for name, _ in COMMANDS:
        table.add_column(f"{name}: s", justify="right")
        table.add_column("MiB", justify="right")
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        env = {**os.environ, "TASKDESK_HOME": str(home), "TASKDESK_ALLOWED_ACTIONS": "tests",
               "COLUMNS": "160"}
        env.pop("TASKDESK_DATABASE_URL", None)
        if options.src:
            env["PYTHONPATH"] = options.src
        prepare(home, env)
        for megabytes in sizes:
            set_response(home, megabytes)
            cells = [f"{megabytes} MB"]
            for _, args in COMMANDS:
                seconds, mib, code = run(args, env)
                cells += [f"{seconds:.2f}" + ("" if code == 0 else f" (exit {code})"), str(mib)]
            table.add_row(*cells)
    console = Console()
    console.print(table)
    console.print(f"taskdesk from {options.src or 'this tree'}; {os.cpu_count()} cores; "
                  f"Python {sys.version.split()[0]}; each figure includes start-up (~1 s)")


if __name__ == "__main__":
    main()
