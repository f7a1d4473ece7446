"""Run Tasks without piling up runners: a press starts a background runner unless one is
already working, whether this process started it (and it has not registered yet) or any
runner on any machine is alive in the database."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable

from taskdesk.views import RunnerView, RunStartView

Spawn = Callable[[], "subprocess.Popen[bytes]"]


class BackgroundRuns:
    """Remembers the runners this process started; asking about them reaps the finished."""

    def __init__(self, spawn: Spawn, runners: Callable[[], list[RunnerView]]) -> None:
        self._spawn = spawn
        self._runners = runners
        self._started: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()

    def start(self) -> RunStartView:
        """Start one unless a runner is working; either way, say which."""
        with self._lock:
            working = self._working_pid()
            if working is not None:
                return RunStartView(started=False, pid=working,
                                    message=f"a runner is already working (pid {working})")
            alive = [view for view in self._runners() if view["alive"]]
            if alive:
                first = alive[0]
                return RunStartView(
                    started=False, pid=first["pid"],
                    message=f"a runner is already working (pid {first['pid']} on "
                            f"{first['hostname']})")
            process = self._spawn()
            self._started.append(process)
            return RunStartView(started=True, pid=process.pid,
                                message=f"runner started in the background (pid {process.pid})")

    def running(self) -> list[int]:
        """Pids of the runners this process started that have not exited."""
        with self._lock:
            self._reap()
            return [process.pid for process in self._started]

    def _working_pid(self) -> int | None:
        self._reap()
        return self._started[-1].pid if self._started else None

    def _reap(self) -> None:
        self._started = [process for process in self._started if process.poll() is None]
