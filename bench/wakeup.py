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
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.databases import BACKENDS
from bench.measure import fresh_desk
from bench.process import runner_env, spawn_worker, stop_workers, tail
from taskdesk.app import Taskdesk
from taskdesk.config import Settings

READY_SECONDS = 30.0  # for the worker to run its first task, and the last one
TICKS = os.sysconf("SC_CLK_TCK")
DEFAULT_ADDS = 200
DEFAULT_GAP_MS = 20.0
DEFAULT_IDLE_SECONDS = 10.0


class NotRun(Exception):
    """The worker did not run the stamp tasks in time."""


@dataclass(frozen=True)
class Latency:
    """Add→start of each add (seconds), and the idle worker's CPU (% of one core);
    `problems` say why the numbers mean nothing."""

    latencies: tuple[float, ...]
    idle_cpu: float
    problems: tuple[str, ...] = ()

    def percentile_ms(self, share: float) -> float:
        ms = sorted(1000 * value for value in self.latencies)
        return ms[min(len(ms) - 1, round(share * (len(ms) - 1)))] if ms else float("nan")

    @property
    def p50_ms(self) -> float:
        return 1000 * statistics.median(self.latencies) if self.latencies else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--adds", type=int, default=DEFAULT_ADDS)
    parser.add_argument("--gap-ms", type=float, default=DEFAULT_GAP_MS)
    parser.add_argument("--idle-seconds", type=float, default=DEFAULT_IDLE_SECONDS)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args()
    print("| database | adds | add→start p50 | p99 | max | idle worker CPU |")
    print("|---|---:|---:|---:|---:|---:|")
    failed = False
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="tdw") as folder:
            found = measure(backend, Path(folder), Plan(args.adds, args.gap_ms / 1000,
                                                        args.idle_seconds))
        failed = failed or bool(found.problems)
        print(f"| {backend} | {len(found.latencies)} | {found.p50_ms:.2f} ms | "
              f"{found.percentile_ms(0.99):.2f} ms | {found.percentile_ms(1.0):.2f} ms | "
              f"{found.idle_cpu:.2f} % |", flush=True)
        for problem in found.problems:
            print(f"✗ {problem}", file=sys.stderr)
    print(f"\n{os.cpu_count()} cores; Python {sys.version.split()[0]}; default settings "
          f"(TASKDESK_POLL_SECONDS={Settings.poll_seconds:g})")
    if failed:
        raise SystemExit(1)


@dataclass(frozen=True)
class Plan:
    """`adds` adds `gap` seconds apart, then `idle` seconds of nothing to do."""

    adds: int = DEFAULT_ADDS
    gap: float = DEFAULT_GAP_MS / 1000
    idle: float = DEFAULT_IDLE_SECONDS


def measure(backend: str, folder: Path, plan: Plan) -> Latency:
    """A new worker at default settings on a new database."""
    with fresh_desk(backend, folder / "db") as desk:
        env = runner_env({"TASKDESK_DATABASE_URL": desk.settings.database_url,
                          "TASKDESK_HOME": str(desk.settings.home),
                          "TASKDESK_ALLOWED_ACTIONS": "bench"})
        output = folder / "worker.out"
        worker = spawn_worker(env, output)
        try:
            found = measure_worker(desk, worker.pid, folder, plan)
        finally:
            [code] = stop_workers([worker])
    problems = [f"{backend}: {problem}; the worker printed:\n{tail(output)}"
                for problem in found.problems]
    if code != 0:
        problems.append(f"{backend}: the latency worker exited with {code}; it printed:\n"
                        f"{tail(output)}")
    return Latency(found.latencies, found.idle_cpu, tuple(problems))


def measure_worker(desk: Taskdesk, pid: int, folder: Path, plan: Plan) -> Latency:
    """Latency and idle CPU of the one worker (process `pid`) that runs the desk's tasks."""
    try:
        latencies = _latencies(desk, folder / "stamps.txt", plan.adds, plan.gap)
    except NotRun as error:
        return Latency((), float("nan"), (str(error),))
    return Latency(tuple(latencies), _idle_cpu(pid, plan.idle))


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
            raise NotRun(f"the worker ran fewer than {lines} stamp tasks in {seconds:g} s")
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
