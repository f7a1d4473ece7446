"""No-op tasks processed per second by K `taskdesk worker` processes. The workers start first
on an empty queue, so interpreter start-up is not timed; once every one has registered, one
add_many of N commits (and wakes them); the clock runs from that commit until the task log
holds N entries, counted every POLL_SECONDS. Then they are stopped (SIGTERM) and the work is
checked: N complete log entries of N distinct tasks, every task complete after one attempt."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress
from sqlalchemy import distinct, func, select

from bench.measure import Rate, check_processed, fresh_desk, new_tasks, runner_timeout
from bench.process import runner_env, spawn_worker, stop_workers, tail
from bench.wakeup import Latency, Plan, measure_worker
from taskdesk.admin import Admin
from taskdesk.app import Taskdesk
from taskdesk.store import SqlStore
from taskdesk.store.sql.schema import task, task_log

POLL_SECONDS = 0.02  # how often the log is counted while the workers run
REGISTER_SECONDS = 30.0  # for every worker to start and register


@dataclass(frozen=True)
class Processed:
    """How the N tasks were added (one add_many, the workers idle), then run; and the
    latency measured with the worker afterwards, when one was asked for."""

    added: Rate
    ran: Rate
    latency: Latency | None = None


def process(backend: str, folder: Path, tasks: int, *, workers: int, progress: Progress,
            latency: Plan | None = None) -> Processed:
    """With `latency` (one worker only), that worker's add→start latency and idle CPU are
    measured once its N tasks are done and checked, before it is stopped."""
    what = f"{backend}, {workers} worker{'s' if workers > 1 else ''}"
    with fresh_desk(backend, folder) as desk:
        env = runner_env(_settings(desk))
        outputs = [folder / f"worker-{n}.out" for n in range(workers)]
        started = [spawn_worker(env, output) for output in outputs]
        try:
            problems = _registered(desk, started, outputs)
            added, ran = _timed(desk, tasks, started, progress, what) if not problems else (
                Rate(0, 0.0, ("not measured: the workers did not start",)), Rate(0, 0.0))
            problems += [*ran.problems, *([] if problems or ran.problems else _checked(
                desk, tasks))]
            found = _latency(desk, started, folder, latency, problems, progress, backend)
        finally:
            codes = stop_workers(started)
        problems += [f"a worker exited with {code}; it printed:\n{tail(output)}"
                     for code, output in zip(codes, outputs, strict=True) if code != 0]
    return Processed(_about(added, what), _about(Rate(ran.count, ran.seconds, tuple(problems)),
                                                 what), found)


def _checked(desk: Taskdesk, tasks: int) -> list[str]:
    return check_processed(desk, tasks, None) + check_ran_once(desk, tasks)


def _latency(desk: Taskdesk, workers: list[subprocess.Popen[bytes]], folder: Path,
             plan: Plan | None, problems: list[str], progress: Progress,
             backend: str) -> Latency | None:
    if plan is None:
        return None
    if problems:
        return Latency((), float("nan"), (f"{backend}: latency not measured: the run of "
                                          "its worker failed",))
    step = progress.add_task(f"{backend}: add→start latency, then idle CPU", total=1)
    found = measure_worker(desk, workers[0].pid, folder, plan)
    progress.update(step, completed=1)
    return Latency(found.latencies, found.idle_cpu, tuple(
        f"{backend}: {problem}" for problem in found.problems))


def _about(rate: Rate, what: str) -> Rate:
    return Rate(rate.count, rate.seconds, tuple(f"{what}: {problem}"
                                                for problem in rate.problems), rate.notes)


def _settings(desk: Taskdesk) -> dict[str, str]:
    """Default settings but the database and the allow-list."""
    return {"TASKDESK_HOME": str(desk.settings.home),
            "TASKDESK_DATABASE_URL": desk.settings.database_url,
            "TASKDESK_ALLOWED_ACTIONS": "bench"}


def _registered(desk: Taskdesk, workers: list[subprocess.Popen[bytes]],
                outputs: list[Path]) -> list[str]:
    """Wait until every worker is in the runner table; what went wrong otherwise."""
    deadline = time.monotonic() + REGISTER_SECONDS
    while len(Admin(desk).runners()) < len(workers):
        ended = [output for worker, output in zip(workers, outputs, strict=True)
                 if worker.poll() is not None]
        if ended:
            return [f"a worker exited before it registered; it printed:\n{tail(ended[0])}"]
        if time.monotonic() > deadline:
            return [f"{len(Admin(desk).runners())} of {len(workers)} workers registered in "
                    f"{REGISTER_SECONDS:g} s"]
        time.sleep(POLL_SECONDS)
    return []


def _timed(desk: Taskdesk, tasks: int, workers: list[subprocess.Popen[bytes]],
           progress: Progress, what: str) -> tuple[Rate, Rate]:
    """add_many of N, then the time from its commit until the log holds N entries."""
    batch = new_tasks(tasks, "run")
    step = progress.add_task(f"{what}: no-op tasks", total=tasks)
    started = time.perf_counter()
    added = len(desk.tasks.add_many(batch))
    committed = time.perf_counter()
    deadline = committed + runner_timeout(tasks)
    logged = 0
    while logged < tasks and time.perf_counter() < deadline and all(
            worker.poll() is None for worker in workers):
        time.sleep(POLL_SECONDS)
        logged = desk.tasks.count_log()
        progress.update(step, completed=logged)
    seconds = time.perf_counter() - committed
    added_problems = () if added == tasks else (
        f"add_many returned {added} tasks, expected {tasks}",)
    ran_problems = () if logged >= tasks else (
        f"the log held {logged} of {tasks} entries after {seconds:.1f} s",)
    return (Rate(tasks, committed - started, added_problems),
            Rate(tasks, seconds, ran_problems))


def check_ran_once(desk: Taskdesk, tasks: int) -> list[str]:
    """Each task has one log entry, and was started once."""
    store = desk.store
    assert isinstance(store, SqlStore)  # benchmarks run on real databases only
    with store.engine.connect() as conn:
        distinct_tasks = conn.execute(select(func.count(distinct(task_log.c.task_id)))).scalar()
        retried = conn.execute(select(func.count()).where(task.c.attempts > 1)).scalar()
    problems = []
    if distinct_tasks != tasks:
        problems.append(f"the log names {distinct_tasks} distinct tasks, expected {tasks}")
    if retried:
        problems.append(f"{retried} task(s) were started more than once (attempts > 1)")
    return problems
