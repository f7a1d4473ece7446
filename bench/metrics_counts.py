"""/metrics' log counters at a long task log (issue 14 #10): N entries written straight into
a fresh database, then the counters read before the entries are folded into `log_total`
(a count of the whole log, as every read was before) and after (the totals plus the entries
since the fold: a key range). Figures only, nothing asserted; the counts are checked.

    .venv/bin/python -m bench.metrics_counts                     # 1,000,000 entries, both
    .venv/bin/python -m bench.metrics_counts --entries 20000 --backends sqlite
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import text

from bench.databases import BACKENDS, fresh_database
from taskdesk.app import Taskdesk
from taskdesk.models.tasks import Status
from taskdesk.store import PRUNE_CHUNK, SqlStore

FILL = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n) ",
    "postgres": "WITH n(i) AS (SELECT generate_series(1, :n)) ",
}
INSERT = ("INSERT INTO task_log (task_id, code, status, comment, duration, attempt, "
          "date_added) SELECT i, 'bench', CASE WHEN i % 10 = 0 THEN 'failed' "
          "ELSE 'complete' END, '', (i % 1000) / 1000.0, 1, :day FROM n")
DAY = "2026-01-01 00:00:00.000000"  # long past the fold's lag, inside any retention
KEEP_SECONDS = 1e9  # the prune that folds deletes nothing

T = TypeVar("T")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    options = parser.parse_args()
    problems: list[str] = []
    for backend in options.backends.split(","):
        with tempfile.TemporaryDirectory() as folder, \
                fresh_database(backend, Path(folder)) as url, \
                Taskdesk(database_url=url, home=Path(folder)) as desk:
            desk.init()
            store = desk.store
            assert isinstance(store, SqlStore)
            problems += _measure(backend, store, options.entries)
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)


def _measure(backend: str, store: SqlStore, entries: int) -> list[str]:
    with store.engine.begin() as conn:
        conn.execute(text(FILL[backend] + INSERT), {"n": entries, "day": DAY})
    if backend == "postgres":  # what autovacuum does after a bulk insert: current statistics
        with store.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE task_log"))
    unfolded, counts = _timed(store.log_counts)
    folds = 0
    while _unfolded(store):
        store.prune_log(retention_seconds=KEEP_SECONDS, limit=PRUNE_CHUNK)
        folds += 1
    folded, again = _timed(store.log_counts)
    histogram_ms, histogram = _timed(store.duration_histogram)
    print(f"{backend:<9} {entries:>9,} entries  log_counts unfolded {unfolded:8.1f} ms, "
          f"folded {folded:6.2f} ms ({folds} folds); duration_histogram {histogram_ms:6.2f} ms")
    wanted = {Status.COMPLETE: entries - entries // 10, Status.FAILED: entries // 10}
    return [f"{backend}: counts {found} != {wanted}" for found in (counts, again)
            if found != wanted] + ([] if histogram.count == entries else
                                   [f"{backend}: histogram counted {histogram.count}"])


def _unfolded(store: SqlStore) -> bool:
    with store.engine.connect() as conn:
        folded = conn.execute(text("SELECT value FROM log_total WHERE name = "
                                   "'log.folded_through'")).scalar() or 0
        last = conn.execute(text("SELECT max(task_log_id) FROM task_log")).scalar() or 0
    return bool(folded < last)


def _timed(read: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    found = read()
    return (time.perf_counter() - started) * 1000, found


if __name__ == "__main__":
    main()
