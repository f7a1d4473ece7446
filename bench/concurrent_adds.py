"""Concurrent durable adds on PostgreSQL (issue 14 #5): K threads, each adding one task per
transaction, four ways one after the other — the raw driver's INSERT + COMMIT, the same with
a pg_notify inside the transaction (what every add did before), the same with the pg_notify
after the commit in a statement that does not wait for the disk (what add() does now), and
taskdesk's add(). A transaction that sent NOTIFY holds a server-wide lock from its
commit until its commit record is flushed, so the second column's commits go one at a time
while the first's share the disk's flushes.

    .venv/bin/python -m bench.concurrent_adds                 # 8 adders, 2 s each
    .venv/bin/python -m bench.concurrent_adds --adders 8 --seconds 5

Figures only (adds/s over all adders); nothing is asserted. Each way checks that its rows
are there; a shortfall is printed as a problem and the exit code is 1.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import psycopg

from bench.databases import fresh_database
from taskdesk.app import Taskdesk
from taskdesk.store.notify import NOTIFY_SQL

ACTION = "bench.handlers:noop"
CREATE = "CREATE TABLE scratch (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL)"
INSERT = "INSERT INTO scratch (payload) VALUES ('{}')"

AddOne = Callable[[int], None]  # adds the n-th row of one adder


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--adders", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=2.0)
    options = parser.parse_args()
    problems: list[str] = []
    with fresh_database("postgres", Path()) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(CREATE)
        for name, notify in (("raw INSERT+COMMIT", ""), ("raw, NOTIFY inside", "inside"),
                             ("raw, NOTIFY after commit", "after")):
            rate, rows = _run(options, partial(_raw, url, notify))
            problems += _check(name, rows, _count(url, "scratch"))
            _truncate(url)
            print(f"{name:<28} {rate:>9,.0f} adds/s")
        with Taskdesk(database_url=url, allowed_actions=("bench",)) as desk:
            desk.init()
            rate, rows = _run(options, partial(_desk_adder, desk))
            problems += _check("add()", rows, desk.tasks.count())
            print(f"{'taskdesk add()':<28} {rate:>9,.0f} adds/s")
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)


def _raw(url: str, notify: str, _k: int) -> tuple[AddOne, Callable[[], None]]:
    """`notify`: "" never, "inside" the transaction, "after" its commit (as add() does: in
    an autocommit statement that does not wait for the disk)."""
    conn = psycopg.connect(url)
    after = psycopg.connect(url, autocommit=True, options="-c synchronous_commit=off")

    def add(n: int) -> None:
        conn.execute(INSERT)
        if notify == "inside":
            conn.execute(NOTIFY_SQL)
        conn.commit()
        if notify == "after":
            after.execute(NOTIFY_SQL)

    def close() -> None:
        conn.close()
        after.close()

    return add, close


def _desk_adder(desk: Taskdesk, k: int) -> tuple[AddOne, Callable[[], None]]:
    def add(n: int) -> None:
        desk.tasks.add(f"c-{k}-{n}", ACTION)

    return add, lambda: None


def _run(options: argparse.Namespace,
         adder: Callable[[int], tuple[AddOne, Callable[[], None]]]) -> tuple[float, int]:
    """K threads adding until the time is up; (adds/s, rows added)."""
    counts = [0] * options.adders
    start = threading.Barrier(options.adders + 1)
    stop = threading.Event()

    def loop(k: int) -> None:
        add, close = adder(k)
        start.wait()
        while not stop.is_set():
            add(counts[k])
            counts[k] += 1
        close()

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(options.adders)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(options.seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - began), sum(counts)


def _count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _truncate(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE scratch")


def _check(name: str, added: int, found: int) -> list[str]:
    return [] if added == found else [f"{name}: {added} added, {found} found"]


if __name__ == "__main__":
    main()
