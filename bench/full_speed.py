"""taskdesk at full speed, in one table per run, each figure beside its target (issue 9,
item 9): the machine's durable insert and claim rates on the raw drivers, adds one by one and
in one batch, no-op tasks processed by 1 and 2 `taskdesk worker` processes, add→start
latency with an idle worker, and that worker's idle CPU. Every measurement checks that its
work happened; one that did not is ✗ FAILED and the exit code is 1. A missed target is ✗ only.

    .venv/bin/python -m bench.full_speed [--tasks N] [--backends sqlite,postgres]
                                         [--workers 1,2]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress

from bench import wakeup
from bench.databases import BACKENDS
from bench.durable import LOOP_SECONDS, Raw, raw_rates
from bench.machine import describe, sync_latency
from bench.measure import Rate, add_one_by_one
from bench.options import (
    backend_name,
    console,
    exit_on_sigterm,
    listed,
    positive,
    progress_bars,
    server,
)
from bench.speed_report import report
from bench.targets import Row, add_row, latency_target, rate_row
from bench.workers import Processed, process
from taskdesk.config import Settings

DEFAULT_TASKS = 5000
DEFAULT_WORKERS = (1, 2)


@dataclass(frozen=True)
class Options:
    tasks: int
    backends: tuple[str, ...]
    workers: tuple[int, ...]
    latency_adds: int
    idle_seconds: float


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < seconds <= 600:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 600 seconds")
    return seconds


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.full_speed",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks", type=positive, default=DEFAULT_TASKS, metavar="N",
                        help=f"tasks per measurement (default {DEFAULT_TASKS})")
    parser.add_argument("--backends", type=listed(backend_name), default=BACKENDS,
                        help="comma-separated: sqlite,postgres (default both)")
    parser.add_argument("--workers", type=listed(positive), default=DEFAULT_WORKERS,
                        help="worker processes of each processing run (default 1,2)")
    parser.add_argument("--latency-adds", type=positive, default=wakeup.DEFAULT_ADDS,
                        help=f"adds timed to their start (default {wakeup.DEFAULT_ADDS})")
    parser.add_argument("--idle-seconds", type=_seconds, default=wakeup.DEFAULT_IDLE_SECONDS,
                        help="how long the idle worker's CPU is measured (default "
                             f"{wakeup.DEFAULT_IDLE_SECONDS:g})")
    args = parser.parse_args(argv)
    return Options(tasks=args.tasks, backends=tuple(args.backends), workers=tuple(args.workers),
                   latency_adds=args.latency_adds,
                   idle_seconds=args.idle_seconds)


# -- the measurements ------------------------------------------------------------------------
def bench_backend(backend: str, options: Options, folder: Path, progress: Progress) -> list[Row]:
    step = progress.add_task(f"{backend}: raw insert and claim loops", total=1)
    raw = raw_rates(backend, folder / "raw", options.tasks)
    progress.update(step, completed=1)
    add_one = add_one_by_one(backend, folder / "add-one", options.tasks, progress)
    plan = wakeup.Plan(options.latency_adds, wakeup.DEFAULT_GAP_MS / 1000,
                       options.idle_seconds)
    runs = {workers: process(backend, folder / f"workers-{workers}", options.tasks,
                             workers=workers, progress=progress,
                             latency=plan if workers == 1 and _shared(options) else None)
            for workers in options.workers}
    latency = runs[1].latency if _shared(options) else None
    if latency is None:
        step = progress.add_task(f"{backend}: add→start latency, then idle CPU", total=1)
        latency = wakeup.measure(backend, folder / "latency", plan)
        progress.update(step, completed=1)
    return [*_rate_rows(backend, raw, add_one, runs),
            *_latency_rows(backend, latency, options)]


def _shared(options: Options) -> bool:
    """Whether there is a 1-worker run (its worker is at default settings): then it also
    measures the latency and idle CPU once its tasks are done, which saves starting another."""
    return 1 in options.workers


def _rate_rows(backend: str, raw: Raw, add_one: Rate,
               runs: dict[int, Processed]) -> list[Row]:
    durable = 0.0 if raw.inserts.problems else raw.inserts.per_second
    return [
        rate_row(backend, "durable INSERT+COMMIT, raw driver", raw.inserts),
        rate_row(backend, "claim UPDATE…RETURNING+COMMIT, raw", raw.claims),
        add_row(add_one, durable),
        rate_row(backend, "add_many() of N", _median_added(runs)),
        *(rate_row(backend, f"processed by {workers} worker{'s' if workers > 1 else ''}",
                   run.ran) for workers, run in runs.items()),
    ]


def _median_added(runs: dict[int, Processed]) -> Rate:
    """Each processing run adds its N tasks with one add_many: the median of those."""
    samples = [run.added for run in runs.values()]
    return Rate(samples[0].count, statistics.median(rate.seconds for rate in samples),
                tuple(problem for rate in samples for problem in rate.problems))


def _latency_rows(backend: str, latency: wakeup.Latency, options: Options) -> list[Row]:
    adds = f"{len(latency.latencies)} adds {wakeup.DEFAULT_GAP_MS:g} ms apart"
    return [
        Row("add→start p50", latency.p50_ms, " ms", adds, latency_target(backend, 0.5),
            latency.problems),
        Row("add→start p99", latency.percentile_ms(0.99), " ms",
            f"max {latency.percentile_ms(1.0):.2f} ms", latency_target(backend, 0.99),
            latency.problems),
        Row("idle worker CPU", latency.idle_cpu, " %", f"of one core over "
            f"{options.idle_seconds:g} s", None, latency.problems),
    ]


def settings_used(options: Options) -> str:
    return (f"settings: `taskdesk worker` at defaults (concurrency 1, one task per claim, poll "
            f"{Settings.poll_seconds:g} s, retention {Settings.retention_seconds:g} s); "
            f"raw loops stop after N rows or {LOOP_SECONDS:g} s; add→start and idle CPU: "
            + ("the 1-worker run's worker, once its N tasks were done" if _shared(options)
               else "a worker of its own at default settings"))


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    previous = signal.signal(signal.SIGTERM, exit_on_sigterm)
    try:
        return _run(options)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(options: Options) -> int:
    err = console(stderr=True)
    reachable, postgres = server(options.backends, err)
    if not reachable:
        return 2
    with tempfile.TemporaryDirectory(prefix="taskdesk-bench-") as tmp, progress_bars(
            err) as progress:
        syncs = [sync_latency(Path(tmp))]
        rows = {backend: bench_backend(backend, options, Path(tmp) / backend, progress)
                for backend in options.backends}
        syncs.append(sync_latency(Path(tmp)))
    machine = describe(options.backends, postgres, syncs, tempfile.gettempdir())
    return report(rows, options.tasks, [*machine, settings_used(options)], err)


if __name__ == "__main__":
    sys.exit(main())
