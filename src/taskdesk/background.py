"""Run Tasks without piling up runners: a press starts a background runner unless one is
already working, whether this process started it (and it has not registered yet), any runner
on any machine is alive in the database, or another admin process has just started one.

The last case is a claim in the database (store.claim_start): the press that takes it starts
the runner; a press elsewhere within START_CLAIM_SECONDS sees it and starts nothing. The claim
covers the seconds a new runner needs to register, after which the runner itself is seen; the
process that holds it gives it back as soon as its runner has exited."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import uuid
from collections.abc import Callable

from taskdesk.store import Store
from taskdesk.views import RunnerView, RunStartView

Spawn = Callable[[], "subprocess.Popen[bytes]"]

#: The start claim's name: one per installation.
RUN_TASKS = "run_tasks"
#: How long a press holds the claim, in seconds: far more than a runner needs to register.
START_CLAIM_SECONDS = 30.0


class BackgroundRuns:
    """Remembers the runners this process started; asking about them reaps the finished."""

    def __init__(self, spawn: Spawn, runners: Callable[[], list[RunnerView]],
                 store: Callable[[], Store]) -> None:
        self._spawn = spawn
        self._runners = runners
        self._store = store
        self._started: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def start(self) -> RunStartView:
        """Start one unless a runner is working; either way, say which."""
        with self._lock:
            working = self._working_pid()
            if working is not None:
                return _busy(f"a runner is already working (pid {working})", working)
            alive = [view for view in self._runners() if view["alive"]]
            if alive:
                first = alive[0]
                return _busy(f"a runner is already working (pid {first['pid']} on "
                             f"{first['hostname']})", first["pid"])
            if not self._store().claim_start(RUN_TASKS, self.holder,
                                             seconds=START_CLAIM_SECONDS):
                return _busy("a runner is already starting (Run Tasks was pressed in "
                             "another admin process)", None)
            return self._spawned()

    def _spawned(self) -> RunStartView:
        try:
            process = self._spawn()
        except BaseException:
            self._store().release_start(RUN_TASKS, self.holder)
            raise
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
        had = bool(self._started)
        self._started = [process for process in self._started if process.poll() is None]
        if had and not self._started:  # ours ended: a press anywhere may start the next
            self._store().release_start(RUN_TASKS, self.holder)


def _busy(message: str, pid: int | None) -> RunStartView:
    return RunStartView(started=False, pid=pid, message=message)
