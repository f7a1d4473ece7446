"""Procrastinate on PostgreSQL at its defaults, measured the way bench/peers.py measures every
peer: N no-op jobs deferred one call each (each its own transaction), then one worker
(concurrency 1) timed from its first job's start to its N-th completion. Runs in the peers'
virtualenv (bench/peers-requirements.txt), never imports taskdesk, and prints one JSON object.

    python bench/peer_runs/procrastinate_run.py adds|work --dsn URL --tasks N
"""

from __future__ import annotations

import argparse
import json
import time

import procrastinate
import psycopg

parser = argparse.ArgumentParser()
parser.add_argument("mode", choices=["adds", "work"])
parser.add_argument("--dsn", required=True)
parser.add_argument("--tasks", type=int, required=True)
options = parser.parse_args()

app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=options.dsn))
seen: dict[str, float] = {"started": 0}


@app.task(name="noop")
def noop() -> None:
    """Does nothing but note when the first job started."""
    seen.setdefault("first", time.perf_counter())
    seen["started"] += 1


def succeeded() -> int:
    with psycopg.connect(options.dsn) as conn:
        row = conn.execute("SELECT count(*) FROM procrastinate_jobs "
                           "WHERE status = 'succeeded'").fetchone()
    return int(row[0]) if row else 0


def adds() -> None:
    with app.open():
        app.schema_manager.apply_schema()
        started = time.perf_counter()
        for _ in range(options.tasks):
            noop.defer()
        seconds = time.perf_counter() - started
    print(json.dumps({"count": options.tasks, "seconds": seconds, "problems": []}))


def work() -> None:
    with app.open():
        app.run_worker(concurrency=1, wait=False, install_signal_handlers=False)
    ended = time.perf_counter()  # the worker returns once no job is left: all are stored
    done = succeeded()
    problems = [] if done == options.tasks else [f"{done} of {options.tasks} succeeded"]
    print(json.dumps({"count": options.tasks, "seconds": ended - seen.get("first", ended),
                      "problems": problems}))


adds() if options.mode == "adds" else work()
