"""Throughput of taskdesk: tasks added per second (one by one, and in one batch) and no-op
tasks processed per second by one `taskdesk start --quiet` process, per backend and
retention. Every measurement is checked: if the work did not happen, it says so and exits 1.

    .venv/bin/python -m bench.throughput [--tasks N] [--backends sqlite,postgres]
                                         [--retentions 0,default]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from bench.databases import BACKENDS
from bench.durable import raw_rates
from bench.machine import describe, sync_latency
from bench.measure import Processing, Rate, add_one_by_one, process, retention_label
from bench.options import (
    backend_name,
    console,
    exit_on_sigterm,
    listed,
    positive,
    progress_bars,
    server,
)

DEFAULT_TASKS = 5000
RAW_ROWS = 1000  # rows of the raw insert loop (it stops after 2 s anyway)


@dataclass(frozen=True)
class Options:
    tasks: int
    backends: tuple[str, ...]
    #: 0 deletes each completed task (as OpenCart does); None leaves
    #: TASKDESK_RETENTION_SECONDS unset (the default keeps completed tasks a day).
    retentions: tuple[float | None, ...]


@dataclass
class BackendResult:
    backend: str
    add_one: Rate
    startup: Rate
    raw_insert: float  # this machine's durable single-row insert + commit rate (per second)
    runs: dict[float | None, Processing] = field(default_factory=dict)  # by retention

    def rates(self) -> list[Rate]:
        return [self.add_one, self.startup, *(rate for run in self.runs.values()
                                              for rate in (run.added, run.ran))]


# -- the command line ------------------------------------------------------------------------
def _retention(text: str) -> float | None:
    if text == "default":
        return None
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither seconds nor 'default'") from None
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    return seconds


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks", type=positive, default=DEFAULT_TASKS, metavar="N",
                        help=f"tasks per measurement (default {DEFAULT_TASKS})")
    parser.add_argument("--backends", type=listed(backend_name), default=BACKENDS,
                        help="comma-separated: sqlite,postgres (default both)")
    parser.add_argument("--retentions", type=listed(_retention), default=(0.0, None),
                        help="TASKDESK_RETENTION_SECONDS of the processing runs, 'default' "
                             "for unset (default 0,default)")
    args = parser.parse_args(argv)
    return Options(tasks=args.tasks, backends=tuple(args.backends),
                   retentions=tuple(args.retentions))


# -- the measurements ------------------------------------------------------------------------
def bench_backend(backend: str, options: Options, folder: Path,
                  progress: Progress) -> BackendResult:
    n = options.tasks
    result = BackendResult(
        backend=backend,
        add_one=add_one_by_one(backend, folder / "add-one", n, progress),
        raw_insert=raw_rates(backend, folder / "raw", RAW_ROWS).inserts.per_second,
        startup=process(backend, folder / "startup", 0, retention=0.0, progress=progress).ran,
    )
    for number, retention in enumerate(options.retentions):
        result.runs[retention] = process(backend, folder / f"retention-{number}", n,
                                         retention=retention, progress=progress)
    return result


# -- the report ------------------------------------------------------------------------------
def _rate(rate: Rate) -> str:
    mark = " [bold red]✗[/]" if rate.problems else ""
    return f"{rate.per_second:,.0f}/s ({rate.seconds:.2f} s){mark}"


def _median_add_many(result: BackendResult) -> Rate:
    """Each processing run adds its N tasks with one add_many: the median of those."""
    samples = [run.added for run in result.runs.values()]
    return Rate(samples[0].count, statistics.median(rate.seconds for rate in samples),
                tuple(problem for rate in samples for problem in rate.problems))


def results_table(results: list[BackendResult], options: Options) -> Table:
    table = Table(title=f"taskdesk throughput, N = {options.tasks:,} tasks per measurement",
                  title_justify="left")
    for header in ("backend", "add() one by one\n(1 txn per task)",
                   "add_many() of N\n(1 txn, median)", "runner start-up\n(empty queue)",
                   *(f"processed by 1 runner\nretention {retention_label(retention)}"
                     for retention in options.retentions), "verified"):
        table.add_column(header, justify="left" if header in ("backend", "verified")
                         else "right")
    for result in results:
        runs = [result.runs[retention].ran for retention in options.retentions]
        adds = [result.add_one, _median_add_many(result)]
        ok = not any(rate.problems for rate in (*runs, *adds, result.startup))
        table.add_row(
            result.backend, *(_rate(rate) for rate in adds),
            f"{result.startup.seconds:.2f} s", *(_rate(rate) for rate in runs),
            "[green]✓ all N ran once[/]" if ok else "[bold red]✗ FAILED[/]",
        )
    return table






def report(results: list[BackendResult], options: Options, machine: list[str],
           err: Console) -> int:
    out = console()
    out.print(results_table(results, options))
    for result in results:
        out.print(f"{result.backend}: durable single-row INSERT + COMMIT on the driver alone "
                  f"(bench/durable.py): {result.raw_insert:,.0f}/s; add() one by one is "
                  f"{result.add_one.per_second / result.raw_insert:.0%} of it")
    for line in machine:
        out.print(escape(line))
    rates = [rate for result in results for rate in result.rates()]
    for note in (note for rate in rates for note in rate.notes):
        out.print(f"[yellow]note:[/] {escape(note)}")
    problems = [problem for rate in rates for problem in rate.problems]
    if not problems:
        return 0
    err.print(f"\n[bold red]BENCHMARK INVALID: {len(problems)} measurement(s) did not do "
              "their work; their numbers mean nothing:[/]")
    for problem in problems:
        err.print(f"[red]✗[/] {escape(problem)}")
    return 1




def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    err = console(stderr=True)
    reachable, postgres = server(options.backends, err)
    if not reachable:
        return 2
    progress = progress_bars(err)
    with tempfile.TemporaryDirectory(prefix="taskdesk-bench-") as tmp, progress:
        syncs = [sync_latency(Path(tmp))]
        results = [bench_backend(backend, options, Path(tmp) / backend, progress)
                   for backend in options.backends]
        syncs.append(sync_latency(Path(tmp)))
    machine = describe(options.backends, postgres, syncs, tempfile.gettempdir())
    return report(results, options, machine, err)


if __name__ == "__main__":
    sys.exit(main())
