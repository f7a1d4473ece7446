"""Huey on SQLite at its defaults (`SqliteHuey`), measured the way bench/peers.py measures
every peer: N no-op tasks enqueued one call each, then one consumer with one worker thread
timed from its first task's start to its N-th completion. Runs in the peers' virtualenv
(bench/peers-requirements.txt), never imports taskdesk, and prints one JSON object.

    python bench/peer_runs/huey_run.py adds|work --db FILE --tasks N
"""

from __future__ import annotations

import argparse
import json
import os
import time

from huey import SqliteHuey, signals

parser = argparse.ArgumentParser()
parser.add_argument("mode", choices=["adds", "work"])
parser.add_argument("--db", required=True)
parser.add_argument("--tasks", type=int, required=True)
options = parser.parse_args()

huey = SqliteHuey(filename=options.db)
seen: dict[str, float] = {"done": 0}


@huey.task()
def noop() -> None:
    """Does nothing: the benchmark measures the queue, not the work."""


@huey.signal(signals.SIGNAL_EXECUTING)
def executing(signal: str, task: object) -> None:
    seen.setdefault("first", time.perf_counter())


@huey.signal(signals.SIGNAL_COMPLETE)
def complete(signal: str, task: object) -> None:
    seen["done"] += 1
    if seen["done"] == options.tasks:
        seconds = time.perf_counter() - seen["first"]
        left = huey.pending_count()
        print(json.dumps({"count": options.tasks, "seconds": seconds,
                          "problems": [f"{left} tasks still queued"] if left else []}),
              flush=True)
        os._exit(0)


def adds() -> None:
    started = time.perf_counter()
    for _ in range(options.tasks):
        noop()
    seconds = time.perf_counter() - started
    queued = huey.pending_count()
    problems = [] if queued == options.tasks else [f"{queued} queued of {options.tasks}"]
    print(json.dumps({"count": options.tasks, "seconds": seconds, "problems": problems}))


if options.mode == "adds":
    adds()
else:
    huey.create_consumer(workers=1, periodic=False).run()
