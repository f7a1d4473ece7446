"""An application whose tasks outlive their timeouts or kill their own process: loaded as
`tests.apps.timeouts:desk`, so that the child processes that run them can import it."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from pathlib import Path

import taskdesk
from taskdesk import Controller, Taskdesk

desk = Taskdesk()


@desk.task(name="slow.sleep", timeout=2, max_attempts=1)
def sleep_an_hour() -> None:
    time.sleep(3600)


@desk.task(name="slow.spin", timeout=1, max_attempts=1)
def spin() -> None:
    while True:
        pass


@desk.task(name="slow.exit", timeout=30, max_attempts=5, retry_delay=0)
def exit_at_once() -> None:
    os._exit(1)


@desk.task(name="slow.kill", timeout=30, max_attempts=5, retry_delay=0)
def kill_itself() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@desk.task(name="slow.pid")
def pid() -> str:
    """No timeout: runs in the runner's own process."""
    return str(os.getpid())


class Report(Controller):
    def index(self, month: str) -> str:
        self.log.write(f"report for {month} from {os.getpid()}")
        return f"reported {month}"


report = desk.task(name="slow.report", timeout=30)(Report)


@desk.task(name="slow.fail", timeout=30, max_attempts=1)
def fail() -> None:
    raise ValueError("no such month")


def nap(seconds: float) -> None:
    """A plain import path (TASKDESK_ALLOWED_ACTIONS=tests): the default timeout applies."""
    time.sleep(seconds)


def _fork_a_sleeper() -> int:
    """A forked copy of the child that sleeps, holding the child's result pipe open."""
    forked = os.fork()
    if forked == 0:
        time.sleep(120)
        os._exit(0)
    return forked


@desk.task(name="slow.family", timeout=1, max_attempts=1)
def start_a_family(pids: str) -> None:
    """Starts `sleep 120`, forks, writes both pids, then hangs past its timeout."""
    sleeper = subprocess.Popen(["sleep", "120"])
    Path(pids).write_text(f"{sleeper.pid} {_fork_a_sleeper()}")
    time.sleep(3600)


@desk.task(name="slow.forked_exit", timeout=30, max_attempts=1)
def exit_leaving_a_helper(pids: str) -> None:
    """Forks a helper that holds the result pipe, then exits 7 without an outcome."""
    Path(pids).write_text(str(_fork_a_sleeper()))
    os._exit(7)


@desk.task(name="slow.pids", timeout=30, max_attempts=1)
def write_pids(pids: str) -> None:
    """Starts `sleep 120`; writes its own pid, its parent's (the forkserver's) and the
    sleeper's; then runs for a while."""
    sleeper = subprocess.Popen(["sleep", "120"])
    Path(pids).write_text(f"{os.getpid()} {os.getppid()} {sleeper.pid}")
    time.sleep(30)


class Progressing(Controller):
    """Reports progress from its child, waits to see it stored, reports once more, fails."""

    def index(self) -> None:
        assert self.task is not None
        self.progress(30, "a third")
        deadline = time.monotonic() + 5
        seen = self.tasks.get(self.task.task_id)
        while seen.progress != 30 and time.monotonic() < deadline:
            time.sleep(0.02)
            seen = self.tasks.get(self.task.task_id)
        taskdesk.progress(70, "latest")
        raise RuntimeError(f"seen {seen.progress} {seen.progress_message}")


progressing = desk.task(name="slow.progress", timeout=30, max_attempts=1)(Progressing)


@desk.task(name="slow.gil", process=True, max_attempts=3)
def hold_the_gil(seconds: int, starts: str) -> str:
    """Records its start, then holds the GIL for `seconds` in one C call (libc's sleep through
    ctypes.PyDLL, which keeps the GIL), as CPU-bound C code does."""
    with Path(starts).open("a") as record:
        record.write(f"{os.getpid()}\n")
    ctypes.PyDLL(None).sleep(seconds)
    return "held"
