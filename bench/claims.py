"""Claims per second with and without tasks that wait for a later run_at: a claim's cost must
not grow with the number of delayed tasks (issue 7, item 19). Every claim is checked: it took
one due task, never a delayed one.

    .venv/bin/python -m bench.claims [--delayed 100000] [--claims 1000] [--rounds 3]
                                     [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.databases import BACKENDS, fresh_database
from bench.machine import describe, postgres_server, sync_latency
from taskdesk.models.tasks import NewTask, Status, TaskFilter
from taskdesk.store import SqlStore, open_store
from taskdesk.store.sql import upgrade

ACTION = "bench.handlers:noop"
ADD_BATCH = 5_000  # tasks per add() while filling the database
WITHIN = 0.20  # the rates with and without delayed tasks must be this close


@dataclass(frozen=True)
class Result:
    backend: str
    delayed: int
    rates: tuple[float, ...]  # claims per second, one per round
    problems: tuple[str, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


def fill_delayed(store: SqlStore, count: int) -> None:
    """`count` pending tasks due tomorrow, added first, so their ids come before the due ones
    (at equal priority, the claim's order would meet them first)."""
    tomorrow = store.clock() + timedelta(days=1)
    for start in range(0, count, ADD_BATCH):
        store.add([NewTask(code=f"later_{n}", action=ACTION, run_at=tomorrow, max_attempts=3)
                   for n in range(start, min(start + ADD_BATCH, count))], replace=False)


def claim_round(store: SqlStore, claims: int, number: int) -> tuple[float, list[str]]:
    """Add `claims` due tasks, then time `claims` single claims; (claims/s, problems)."""
    store.add([NewTask(code=f"due_{number}_{n}", action=ACTION, max_attempts=3)
               for n in range(claims)], replace=False)
    problems: list[str] = []
    started = time.perf_counter()
    for _ in range(claims):
        claimed = store.claim("bench", lease_seconds=300)
        if len(claimed) != 1 or not claimed[0].code.startswith(f"due_{number}_"):
            problems.append(f"a claim returned {[t.code for t in claimed]}")
    seconds = time.perf_counter() - started
    return claims / seconds, problems[:3]


def measure(backend: str, delayed: int, claims: int, rounds: int,
            folder: Path) -> list[Result]:
    """Both databases (no delayed task, `delayed` of them) side by side, their rounds taken
    in turn, so that both meet the same moments of a shared machine's load."""
    counts = (0, delayed)
    with ExitStack() as stack:
        stores = [stack.enter_context(_filled(backend, count, folder / str(count)))
                  for count in counts]
        runs: list[list[tuple[float, list[str]]]] = [[], []]
        for number in range(rounds):
            order = (0, 1) if number % 2 == 0 else (1, 0)
            for index in order:
                runs[index].append(claim_round(stores[index], claims, number))
        return [Result(backend, count, tuple(rate for rate, _ in found),
                       tuple(_problems(store, count, found)))
                for count, store, found in zip(counts, stores, runs, strict=True)]


@contextmanager
def _filled(backend: str, delayed: int, folder: Path) -> Iterator[SqlStore]:
    with fresh_database(backend, folder) as url:
        store = open_store(url, create=True)
        try:
            upgrade(store)
            fill_delayed(store, delayed)
            yield store
        finally:
            store.close()


def _problems(store: SqlStore, delayed: int,
              runs: list[tuple[float, list[str]]]) -> list[str]:
    problems = [problem for _, found in runs for problem in found]
    left = store.count(TaskFilter(status=Status.PENDING))
    if left != delayed:
        problems.append(f"{left} pending tasks left, expected the {delayed} delayed")
    return problems


def table(results: list[Result], claims: int, rounds: int) -> Table:
    out = Table(title=f"taskdesk claims: {rounds} rounds of {claims:,} single claims, "
                      "each its own transaction", title_justify="left")
    for header in ("backend", "delayed tasks", "claims/s (median)", "ms per claim",
                   "rounds (claims/s)", "vs 0 delayed", "verified"):
        out.add_column(header, justify="left" if header in ("backend", "verified") else "right")
    baseline = {r.backend: r.median for r in results if r.delayed == 0}
    for r in results:
        ratio = r.median / baseline[r.backend] if r.backend in baseline else float("nan")
        close = abs(ratio - 1) <= WITHIN
        out.add_row(r.backend, f"{r.delayed:,}", f"{r.median:,.0f}", f"{1000 / r.median:.3f}",
                    " / ".join(f"{rate:,.0f}" for rate in r.rates),
                    f"{ratio:.0%}" + ("" if close else " [bold red]✗[/]"),
                    "[bold red]✗ " + "; ".join(r.problems) + "[/]" if r.problems
                    else "[green]✓ each took one due task[/]")
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.claims",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--delayed", type=int, default=100_000,
                        help="delayed tasks in the second measurement (default 100000)")
    parser.add_argument("--claims", type=int, default=1_000, help="claims per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per measurement")
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help="comma-separated: sqlite,postgres (default both)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    backends = [name for name in args.backends.split(",") if name in BACKENDS]
    err = Console(stderr=True)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="taskdesk-bench-") as tmp:
        syncs = [sync_latency(Path(tmp))]
        for backend in backends:
            err.print(f"{backend}: 0 and {args.delayed:,} delayed tasks …")
            results += measure(backend, args.delayed, args.claims, args.rounds,
                               Path(tmp) / backend)
        syncs.append(sync_latency(Path(tmp)))
    out = Console(highlight=False, width=160)
    out.print(table(results, args.claims, args.rounds))
    server = postgres_server() if "postgres" in backends else None
    for line in describe(backends, server, syncs, tempfile.gettempdir()):
        out.print(line)
    return 1 if any(r.problems for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
