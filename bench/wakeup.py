"""Add→start latency with one idle `taskdesk worker` at default settings, and what that
worker costs while idle, on both databases.

    .venv/bin/python -m bench.wakeup [--adds 200] [--gap-ms 20] [--idle-seconds 10]

Each add is one `registry.add` (its own transaction) of `bench.handlers:stamp`, which
appends the time it started to a file; latency is that time minus the moment the add
returned (after its commit). The adds are spaced `--gap-ms` apart, so the worker is idle and
waiting before each one. Idle CPU: the worker's user+system time (/proc/<pid>/stat) over
`--idle-seconds` with nothing to do, as a percentage of one core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.databases import BACKENDS, fresh_database
from bench.process import REPO_ROOT, runner_env
from taskdesk.app import Taskdesk
from taskdesk.config import Settings
from taskdesk.store import open_store
from taskdesk.store.migrate import upgrade

WORKER = (sys.executable, "-m", "taskdesk", "worker")
READY_SECONDS = 30.0  # for the worker to run its first task
TICKS = os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adds", type=int, default=200)
    parser.add_argument("--gap-ms", type=float, default=20.0)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args()
    print("| database | adds | add→start p50 | p99 | max | idle worker CPU |")
    print("|---|---:|---:|---:|---:|---:|")
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="tdw") as folder:
            row = measure(backend, Path(folder), args.adds, args.gap_ms / 1000,
                          args.idle_seconds)
        print(row, flush=True)
    print(f"\n{os.cpu_count()} cores; Python {sys.version.split()[0]}; default settings "
          f"(TASKDESK_POLL_SECONDS={Settings.poll_seconds:g})")


def measure(backend: str, folder: Path, adds: int, gap: float, idle: float) -> str:
    with fresh_database(backend, folder / "db") as url:
        store = open_store(url, create=True)
        upgrade(store)
        store.close()
        env = runner_env({"TASKDESK_DATABASE_URL": url, "TASKDESK_HOME": str(folder),
                          "TASKDESK_ALLOWED_ACTIONS": "bench"})
        worker = subprocess.Popen(WORKER, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            desk = Taskdesk(Settings(home=folder, database_url=url, allowed_actions=("bench",)))
            latencies = _latencies(desk, folder / "stamps.txt", adds, gap)
            cpu = _idle_cpu(worker.pid, idle)
            desk.close()
        finally:
            worker.terminate()
            worker.wait(30)
    ms = sorted(1000 * value for value in latencies)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return (f"| {backend} | {len(ms)} | {statistics.median(ms):.2f} ms | {p99:.2f} ms | "
            f"{ms[-1]:.2f} ms | {cpu:.2f} % |")


def _latencies(desk: Taskdesk, stamps: Path, adds: int, gap: float) -> list[float]:
    _add(desk, stamps, -1)  # the worker's first task: it is up and idle after this one
    _wait_for(stamps, 1, READY_SECONDS)
    returned: list[float] = []
    for n in range(adds):
        time.sleep(gap)
        _add(desk, stamps, n)
        returned.append(time.time())
    _wait_for(stamps, adds + 1, READY_SECONDS)
    started = dict(line.split() for line in stamps.read_text().splitlines())
    return [float(started[str(n)]) - returned[n] for n in range(adds)]


def _add(desk: Taskdesk, stamps: Path, n: int) -> None:
    desk.tasks.add(f"stamp-{n}", "bench.handlers:stamp", {"path": str(stamps), "n": n})


def _wait_for(stamps: Path, lines: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not stamps.exists() or len(stamps.read_text().splitlines()) < lines:
        if time.monotonic() > deadline:
            raise SystemExit(f"the worker ran fewer than {lines} tasks in {seconds:g} s")
        time.sleep(0.05)


def _idle_cpu(pid: int, seconds: float) -> float:
    """Percent of one core the process used over `seconds` of doing nothing."""
    before = _cpu_ticks(pid)
    time.sleep(seconds)
    return 100.0 * (_cpu_ticks(pid) - before) / TICKS / seconds


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


if __name__ == "__main__":
    main()
