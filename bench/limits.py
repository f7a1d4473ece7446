"""The claim with and without limits by key: one runner's claim → finish cycles per second,
in process (no worker start-up, no handler), on tasks with no limit, and on tasks with a
`concurrency_limit` per key over K keys (each cycle then admits the key's next task before
its claim: docs/limits.md). Verified: every task ran once, and no key ever held more running
tasks than its limit.

    .venv/bin/python -m bench.limits [--tasks 2000] [--keys 10] [--concurrency 1]
                                     [--threads 1] [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.databases import BACKENDS, fresh_database
from bench.machine import describe, postgres_server, sync_latency
from taskdesk.models.runners import Finished, NextClaim
from taskdesk.models.tasks import NewTask, Outcome, Status, Task, TaskFilter
from taskdesk.store import SqlStore, open_store
from taskdesk.store.sql import upgrade

ACTION = "bench.handlers:noop"
LEASE = 300.0
MODES = ("no limit", "limited")
DONE = Outcome(status=Status.COMPLETE, response=None, comment="", duration=0.0)


@dataclass(frozen=True)
class Result:
    backend: str
    mode: str
    rate: float  # tasks claimed and finished per second
    problems: tuple[str, ...]


def fill(store: SqlStore, tasks: int, keys: int, concurrency: int | None) -> None:
    if concurrency is None:  # (no limits imported: the unlimited run runs on older trees)
        store.add([NewTask(code=f"t{n}", action=ACTION, max_attempts=3)
                   for n in range(tasks)], replace=False)
        return
    from taskdesk.models.limits import TaskLimit

    store.add([NewTask(code=f"t{n}", action=ACTION, max_attempts=3,
                       limit=TaskLimit(key=f"k{n % keys}", concurrency=concurrency))
               for n in range(tasks)], replace=False)


class Watch:
    """How many of each key run at once, at most (checked against the limit)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: Counter[str] = Counter()
        self.most: Counter[str] = Counter()
        self.ran = 0

    def started(self, tasks: list[Task]) -> None:
        with self.lock:
            for t in tasks:
                self.ran += 1
                limit = getattr(t, "limit", None)
                if limit is not None:
                    self.running[limit.key] += 1
                    self.most[limit.key] = max(self.most[limit.key], self.running[limit.key])

    def ended(self, tasks: list[Task]) -> None:
        with self.lock:
            for t in tasks:
                limit = getattr(t, "limit", None)
                if limit is not None:
                    self.running[limit.key] -= 1


def drain(store: SqlStore, name: str, watch: Watch) -> None:
    """One runner thread: finish the last task and claim the next in one call, until none."""
    held: list[Task] = []
    idle = 0
    while idle < 20:  # a few empty claims in a row: the others hold the last slots
        watch.ended(held)
        _, held = store.finish_many(name, [Finished(t, DONE) for t in held],
                                    retention_seconds=3600, then_claim=NextClaim(1, LEASE))
        watch.started(held)
        idle = 0 if held else idle + 1
        if not held:
            time.sleep(0.001)


def measure(backend: str, folder: Path, mode: str, args: argparse.Namespace) -> Result:
    concurrency = None if mode == "no limit" else args.concurrency
    with fresh_database(backend, folder) as url:
        store = open_store(url, create=True)
        try:
            upgrade(store)
            fill(store, args.tasks, args.keys, concurrency)
            watch = Watch()
            threads = [threading.Thread(target=drain, args=(store, f"bench-{n}", watch))
                       for n in range(args.threads)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds = time.perf_counter() - started - 0.02  # the last idle claims, roughly
            problems = _problems(store, watch, args.tasks, concurrency)
        finally:
            store.close()
    return Result(backend, mode, args.tasks / seconds, tuple(problems))


def _problems(store: SqlStore, watch: Watch, tasks: int, concurrency: int | None) -> list[str]:
    problems = []
    complete = store.count(TaskFilter(status=Status.COMPLETE))
    if complete != tasks or watch.ran != tasks:
        problems.append(f"{complete} complete, {watch.ran} claimed, of {tasks}")
    over = {key: most for key, most in watch.most.items()
            if concurrency is not None and most > concurrency}
    if over:
        problems.append(f"keys over their limit: {over}")
    return problems


def table(results: list[Result], args: argparse.Namespace) -> Table:
    out = Table(title=f"taskdesk claims with limits: {args.tasks:,} tasks, {args.threads} "
                      f"runner thread(s), one task per claim (finish + claim per call); "
                      f"limited: concurrency_limit={args.concurrency} per key over "
                      f"{args.keys} keys", title_justify="left")
    for header in ("backend", "tasks", "tasks/s", "ms per task", "vs no limit", "verified"):
        out.add_column(header, justify="left" if header in ("backend", "tasks",
                                                            "verified") else "right")
    base = {r.backend: r.rate for r in results if r.mode == "no limit"}
    for r in results:
        out.add_row(r.backend, r.mode, f"{r.rate:,.0f}", f"{1000 / r.rate:.3f}",
                    f"{r.rate / base[r.backend]:.0%}" if r.backend in base else "",
                    "[bold red]✗ " + "; ".join(r.problems) + "[/]" if r.problems
                    else "[green]✓ each ran once, no key over its limit[/]")
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.limits",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2_000, help="tasks per measurement")
    parser.add_argument("--keys", type=int, default=10, help="keys of the limited tasks")
    parser.add_argument("--concurrency", type=int, default=1, help="concurrency_limit per key")
    parser.add_argument("--threads", type=int, default=1, help="runner threads")
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help="comma-separated: sqlite,postgres (default both)")
    parser.add_argument("--modes", default=",".join(MODES),
                        help="comma-separated: 'no limit','limited' (default both)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    backends = [name for name in args.backends.split(",") if name in BACKENDS]
    err = Console(stderr=True)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="taskdesk-bench-") as tmp:
        syncs = [sync_latency(Path(tmp))]
        for backend in backends:
            for mode in [m for m in MODES if m in args.modes.split(",")]:
                err.print(f"{backend}: {mode} …")
                results.append(measure(backend, Path(tmp) / backend / mode.replace(" ", "_"),
                                       mode, args))
        syncs.append(sync_latency(Path(tmp)))
    out = Console(highlight=False, width=160)
    out.print(table(results, args))
    server = postgres_server() if "postgres" in backends else None
    for line in describe(backends, server, syncs, tempfile.gettempdir()):
        out.print(line)
    return 1 if any(r.problems for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
