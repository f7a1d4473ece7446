"""Issue 17's must-show for limits by key, with real workers on SQLite and PostgreSQL: a
`concurrency_limit=1` key never runs twice at once across 2 worker processes of 4 threads,
while one worker is SIGKILLed mid-task (its slot is freed once its lease is recovered, and
the task runs again), and another key runs beside it; a `rate_limit` of 4/s lets at most 4
start in any second (within the admission's tolerance)."""

from __future__ import annotations

import itertools
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.runner.processes import Desk, end, wait_for

LEASE_SECONDS = "1.5"
KILLED_RUN_SECONDS = 60.0  # key a's first run: still running when the test kills its worker
APP = "tests.apps.limited:desk"


@pytest.fixture
def backend(real_backend: str) -> str:
    return real_backend


def notes(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def runs(found: list[dict[str, Any]], key: str, killed_at: float) -> list[tuple[float, float]]:
    """Each run of the key's tasks as (start, end); a run cut by the kill ends then."""
    starts = {}
    ended: list[tuple[float, float]] = []
    for note in sorted(found, key=lambda note: note["at"]):
        if note["key"] != key:
            continue
        if note["event"] == "start":
            starts[(note["n"], note["pid"])] = note["at"]
        else:
            ended.append((starts.pop((note["n"], note["pid"])), note["at"]))
    return sorted(ended + [(start, killed_at) for start in starts.values()])


def stop(workers: list[Any]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.communicate(timeout=30)
        finally:
            end(worker)


@pytest.mark.slow
def test_a_key_never_runs_twice_at_once_across_workers_one_killed(
        database_url: str, tmp_path: Path) -> None:
    desk = Desk(tmp_path / "home", database_url, lease_seconds=LEASE_SECONDS, app=APP)
    out = tmp_path / "notes"
    for n in range(5):
        for key in ("a", "b"):
            killed_run = {"first_seconds": KILLED_RUN_SECONDS} if key == "a" else {}
            desk.run("task", "add", f"{key}{n}", "limited.one_per_key", "--args", json.dumps(
                {"key": key, "n": n, "out": str(out), "seconds": 0.3, **killed_run}))
    [sample] = [t for t in desk.json("task", "list") if t["code"] == "a0"]
    workers = [desk.spawn("worker", "--concurrency", "4") for _ in range(2)]
    try:
        wait_for(lambda: any(n["key"] == "a" and n["event"] == "start" for n in notes(out)),
                 timeout=60, what="a task of key a to start")
        [first] = [n for n in notes(out) if n["key"] == "a"][:1]
        [victim] = [w for w in workers if w.pid == first["pid"]]
        victim.send_signal(signal.SIGKILL)
        killed_at = time.time()
        wait_for(lambda: sum(n["event"] == "end" for n in notes(out)) >= 10, timeout=60,
                 what="every task to end (the killed one recovered and run again)")
    finally:
        stop(workers)
    found = notes(out)
    a_runs, b_runs = runs(found, "a", killed_at), runs(found, "b", killed_at)
    assert len(a_runs) >= 6  # 5 tasks, the one killed ran twice
    for (_, ended), (started, _) in itertools.pairwise(a_runs):
        assert started >= ended, f"key a ran twice at once: {a_runs}"
    assert not any(n["event"] == "end" and (n["n"], n["pid"]) == (first["n"], first["pid"])
                   for n in found)  # killed mid-run
    after_kill = [start for start, _ in a_runs if start > killed_at]
    # Its slot stayed taken until its lease ended and it was recovered.
    assert min(after_kill) >= first["at"] + float(LEASE_SECONDS) * 0.9, (first, a_runs)
    assert any(b_start < a_end and a_start < b_end  # the other key was not held back
               for a_start, a_end in a_runs for b_start, b_end in b_runs)
    assert sample["limit_key"] == "limited.one_per_key[key=\"a\"]"


@pytest.mark.slow
def test_a_rate_limit_holds_across_threads(database_url: str, tmp_path: Path) -> None:
    desk = Desk(tmp_path / "home", database_url, app=APP)
    out = tmp_path / "notes"
    for n in range(12):
        desk.run("task", "add", f"r{n}", "limited.rated", "--args",
                 json.dumps({"n": n, "out": str(out)}))
    worker = desk.spawn("worker", "--concurrency", "4")
    try:
        wait_for(lambda: sum(n["event"] == "end" for n in notes(out)) >= 12, timeout=60,
                 what="the rated tasks to run")
    finally:
        stop([worker])
    starts = sorted(n["at"] for n in notes(out) if n["event"] == "start")
    assert starts[-1] - starts[0] >= 2 * 0.9  # 12 at 4 a second: 3 windows at least
    for n, start in enumerate(starts):  # at most 4 in any second (the admission's tolerance)
        assert sum(start <= later < start + 0.9 for later in starts[n:]) <= 4, starts
