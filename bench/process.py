"""Runner subprocesses: one `taskdesk start --quiet`, timed from spawn to exit and bounded in
time; and long-running `taskdesk worker` processes, stopped by SIGTERM to their own pid."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

#: The repository root: the runner's working folder, so that `bench.handlers:noop` imports.
REPO_ROOT = Path(__file__).resolve().parent.parent
START = (sys.executable, "-m", "taskdesk", "start", "--quiet")
POLL_SECONDS = 0.5
KILL_WAIT_SECONDS = 10.0
OUTPUT_TAIL = 2000  # characters of the runner's output shown when it failed


@dataclass(frozen=True)
class Finished:
    """How a runner process ended: `returncode` is None when we killed it (timeout,
    Ctrl-C); `output` is what it printed (stdout and stderr)."""

    seconds: float
    returncode: int | None
    output: str

    @property
    def problem(self) -> str | None:
        if self.returncode == 0:
            return None
        why = (f"was killed after {self.seconds:.1f} s (timed out or interrupted)"
               if self.returncode is None else f"exited with code {self.returncode}")
        tail = self.output[-OUTPUT_TAIL:].strip() or "(no output)"
        return f"`taskdesk start` {why}; its output ends with:\n{tail}"


def runner_env(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any TASKDESK_* variable, plus `settings`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TASKDESK_")}
    env.update(settings)
    return env


def run_start(env: Mapping[str, str], output: Path, *, timeout: float,
              poll: Callable[[], None]) -> Finished:
    """Run the runner to completion; call `poll` every POLL_SECONDS while it runs."""
    exited = threading.Event()
    ended: list[float] = []
    killed = False
    with output.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(START, cwd=REPO_ROOT, env=dict(env), stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

        def wait() -> None:  # a blocking wait: the exit time is exact, not a polling step
            process.wait()
            ended.append(time.perf_counter())
            exited.set()

        waiter = threading.Thread(target=wait, name="bench-wait", daemon=True)
        waiter.start()
        try:
            while not exited.wait(POLL_SECONDS) and time.perf_counter() - started < timeout:
                poll()
        finally:
            if not exited.is_set():  # timed out, or Ctrl-C / an error in `poll`
                killed = True
                process.kill()  # this pid only: the runner starts no children
            waiter.join(KILL_WAIT_SECONDS)
    seconds = (ended[0] if ended else time.perf_counter()) - started
    return Finished(seconds=seconds, returncode=None if killed else process.returncode,
                    output=output.read_text(errors="replace"))


# -- long-running `taskdesk worker` processes ----------------------------------------------
WORKER = (sys.executable, "-m", "taskdesk", "worker")
STOP_WAIT_SECONDS = 30.0  # a stopped worker finishes what it runs, then exits


def spawn_worker(env: Mapping[str, str], output: Path) -> subprocess.Popen[bytes]:
    """A `taskdesk worker` at the settings `env` gives; what it prints goes to `output`."""
    with output.open("wb") as out:  # the child keeps its own descriptor
        return subprocess.Popen(WORKER, cwd=REPO_ROOT, env=dict(env), stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop_workers(processes: list[subprocess.Popen[bytes]]) -> list[int | None]:
    """SIGTERM to each pid (a worker drains and exits), all at once, then wait for each;
    None for one that had to be killed."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    return [_ended(process) for process in processes]


def _ended(process: subprocess.Popen[bytes]) -> int | None:
    try:
        return process.wait(STOP_WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(KILL_WAIT_SECONDS)
        return None


def tail(output: Path) -> str:
    """The end of what a process printed, for a problem's message."""
    text = output.read_text(errors="replace") if output.exists() else ""
    return text[-OUTPUT_TAIL:].strip() or "(no output)"
