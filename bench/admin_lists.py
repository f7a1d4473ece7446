"""The admin's Tasks page and dashboard at a million tasks, through the front door: first page,
a page half the table deep, status / exact code / code substring / args filters, counts per
status and /metrics, as p50/p95 in ms.

    .venv/bin/python -m bench.admin_lists [--tasks 1000000] [--runs 50] [--postgres]

The filled SQLite file is kept under bench/.cache, keyed by the number of tasks, so reruns
start at once; PostgreSQL is filled into a throw-away database dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import insert

from bench.databases import fresh_database
from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.store import SqlStore, open_store
from taskdesk.store.sql import SCHEMA_HEAD, upgrade
from taskdesk.store.sql.schema import task, task_log

CACHE = Path(__file__).parent / ".cache"
BATCH = 50_000  # rows per executemany, one transaction each
SLOW_RUNS = 5  # runs of the filters no index answers (substring, args)
STATUSES = ["complete"] * 70 + ["failed"] * 15 + ["pending"] * 10 + ["paused"] * 5
ACTIONS = ("app.mail:send", "task/catalog/backup.task", "app.reports:build", "app.sync:pull")
START = datetime(2026, 1, 1, tzinfo=UTC)


def task_rows(count: int, seed: int = 7) -> Iterator[list[dict[str, Any]]]:
    """Batches of realistic task rows: many codes repeat (mail.N), some are unique pages."""
    rng = random.Random(seed)
    for first in range(0, count, BATCH):
        batch = []
        for n in range(first, min(first + BATCH, count)):
            when = START + timedelta(seconds=n)
            code = f"mail.{n % 1000}" if n % 10 < 6 else f"backup.page{n}" if n % 10 < 9 \
                else "report"
            batch.append({
                "code": code, "action": ACTIONS[n % len(ACTIONS)],
                "args": f'{{"user_id":{rng.randrange(10_000)},"kind":"k{n % 7}"}}',
                "response": "ok" if n % 3 else "x" * 2000, "status": rng.choice(STATUSES),
                "priority": 0, "attempts": 1, "max_attempts": 3, "run_at": when,
                "date_added": when, "date_modified": when, "delayed": False})
        yield batch


def log_rows(count: int) -> Iterator[list[dict[str, Any]]]:
    for first in range(0, count, BATCH):
        yield [{"task_id": n + 1, "code": "mail", "status": ("complete", "failed")[n % 5 == 0],
                "comment": "done", "duration": (n % 1000) / 100, "attempt": 1,
                "worker_id": "w", "date_added": START + timedelta(seconds=n)}
               for n in range(first, min(first + BATCH, count))]


def fill(url: str, tasks: int) -> float:
    """Create the schema and insert the rows; returns the seconds it took."""
    began = time.perf_counter()
    store = open_store(url, create=True)
    assert isinstance(store, SqlStore)
    upgrade(store)
    for table, batches in ((task, task_rows(tasks)), (task_log, log_rows(tasks // 4))):
        for batch in batches:
            with store.engine.begin() as conn:
                conn.execute(insert(table), batch)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    store.close()
    return time.perf_counter() - began


def cases(desk: Taskdesk, tasks: int) -> dict[str, tuple[Callable[[], object], bool]]:
    """Name -> (call, slow): what the admin's pages ask the front door."""
    page: dict[str, Any] = {"limit": 50, "descending": True, "preview": 200}
    deep = max(tasks - 500_000, tasks // 2)
    listing = desk.tasks.list_tasks
    return {
        "first page": (lambda: listing(**page), False),
        f"page at id {deep:,}": (lambda: listing(cursor=deep, **page), False),
        "status=failed": (lambda: listing(status="failed", **page), False),
        "status=failed, deep": (lambda: listing(status="failed", cursor=deep, **page), False),
        "code exact": (lambda: listing(code="mail.7", code_exact=True, **page), False),
        "code exact, deep": (lambda: listing(code="mail.7", code_exact=True, cursor=deep,
                                             **page), False),
        "code substring": (lambda: listing(code="mail.7", **page), True),
        "args user_id": (lambda: listing(args={"user_id": 4242}, **page), True),
        "count status=pending": (lambda: desk.tasks.count(status="pending"), False),
        "status_counts": (Admin(desk).insights.status_counts, False),
        "metrics": (Admin(desk).insights.metrics, False),
        "activity 60 min": (Admin(desk).insights.activity, False),
    }


def measure(call: Callable[[], object], runs: int) -> tuple[float, float]:
    call()  # warm the cache and the statement cache
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    p95 = statistics.quantiles(times, n=20)[18] if len(times) > 1 else times[0]
    return statistics.median(times), p95


def report(backend: str, url: str, tasks: int, runs: int, console: Console) -> None:
    table = Table(title=f"{backend}, {tasks:,} tasks: ms per call through Taskdesk")
    for column in ("query", "runs", "p50", "p95"):
        table.add_column(column, justify="left" if column == "query" else "right")
    with Taskdesk(database_url=url) as desk:
        for name, (call, slow) in cases(desk, tasks).items():
            count = min(runs, SLOW_RUNS) if slow else runs
            p50, p95 = measure(call, count)
            table.add_row(name, str(count), f"{p50:.2f}", f"{p95:.2f}")
    console.print(table)


def cached_sqlite(tasks: int, console: Console) -> str:
    """The URL of a SQLite file filled with `tasks` tasks, kept under bench/.cache (keyed by
    the count and the schema, so that a schema change fills a new one)."""
    path = CACHE / f"admin_lists_{tasks}_{SCHEMA_HEAD}.db"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        partial = path.with_suffix(".filling")
        partial.unlink(missing_ok=True)
        seconds = fill(f"sqlite:///{partial}", tasks)
        partial.rename(path)
        console.print(f"filled {path} in {seconds:.1f} s")
    else:
        console.print(f"using the cached {path}")
    return f"sqlite:///{path}"


Report = Callable[[str, str, int, int, Console], None]


def run(report: Report, description: str) -> None:
    """The command line both admin benchmarks share: SQLite (cached), then PostgreSQL."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--postgres", action="store_true", help="also PostgreSQL")
    options = parser.parse_args()
    console = Console()
    report("sqlite", cached_sqlite(options.tasks, console), options.tasks, options.runs, console)
    if options.postgres:
        with fresh_database("postgres", CACHE) as pg_url:
            console.print(f"filled PostgreSQL in {fill(pg_url, options.tasks):.1f} s")
            report("postgres", pg_url, options.tasks, options.runs, console)


def main() -> None:
    run(report, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
