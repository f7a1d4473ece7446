"""The measurements: tasks added through the registry, and no-op tasks run by one
`taskdesk start --quiet` process. Each works on a fresh database and checks that its work
really happened; what went wrong comes back as `problems`, never as a silent number."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress, TaskID
from sqlalchemy import Table, func, select

from bench.databases import fresh_database
from bench.process import run_start, runner_env
from taskdesk.app import Taskdesk
from taskdesk.config import Settings
from taskdesk.errors import TaskdeskError
from taskdesk.models.tasks import NewTask
from taskdesk.store import SqlStore
from taskdesk.store.sql.schema import task, task_log

ACTION = "bench.handlers:noop"
#: Settings' own default, used when TASKDESK_RETENTION_SECONDS is left unset.
DEFAULT_RETENTION = Settings.retention_seconds
UPDATE_EVERY = 100  # one-by-one adds between progress updates
START_TIMEOUT = 30.0  # seconds a runner gets to start and stop …
MIN_RATE = 50.0  # … plus one second per this many tasks; then it is killed
RUNNER_NOTE_LINES = 3  # lines of a runner's own output (its warnings) quoted in a note


@dataclass(frozen=True)
class Rate:
    """`count` things done in `seconds`; `problems` say what was wrong with the work (the
    number means nothing then), `notes` what is worth knowing (the runner's warnings)."""

    count: int
    seconds: float
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("inf")


@dataclass(frozen=True)
class Processing:
    """A processing run: how the N tasks were added (add_many), then run."""

    added: Rate
    ran: Rate


def runner_timeout(tasks: int) -> float:
    return START_TIMEOUT + tasks / MIN_RATE


def retention_label(retention: float | None) -> str:
    if retention is None:
        return f"default {DEFAULT_RETENTION:g} s"
    return f"{retention:g} s"


@contextmanager
def fresh_desk(backend: str, folder: Path) -> Iterator[Taskdesk]:
    """An installation on a new database, its schema created as `taskdesk init` does."""
    with fresh_database(backend, folder) as url:
        desk = Taskdesk(Settings(home=folder, database_url=url, allowed_actions=("bench",)))
        desk.init()
        try:
            yield desk
        finally:
            desk.close()


def new_tasks(count: int, prefix: str) -> list[NewTask]:
    return [NewTask(code=f"{prefix}_{n}", action=ACTION) for n in range(count)]


def add_one_by_one(backend: str, folder: Path, tasks: int, progress: Progress) -> Rate:
    """`registry.add` in a loop: one transaction per task."""
    with fresh_desk(backend, folder) as desk:
        registry = desk.tasks
        step = progress.add_task(f"{backend}: registry.add of {tasks}, one by one", total=tasks)
        started = time.perf_counter()
        for n in range(tasks):
            registry.add(f"one_{n}", ACTION)
            if n % UPDATE_EVERY == 0:
                progress.update(step, completed=n)
        seconds = time.perf_counter() - started
        progress.update(step, completed=tasks)
        found = statuses(desk, task)
    expected = {"pending": tasks} if tasks else {}
    problems = () if found == expected else (
        f"{backend}: after {tasks} adds one by one the task table holds {_show(found)}, "
        f"expected {_show(expected)}",
    )
    return Rate(tasks, seconds, problems)


def process(backend: str, folder: Path, tasks: int, *, retention: float | None,
            progress: Progress) -> Processing:
    """add_many N tasks, then time one `taskdesk start --quiet` over them, then check."""
    what = f"retention {retention_label(retention)}"
    if not tasks:
        what = "start-up on an empty queue"
    with fresh_desk(backend, folder) as desk:
        added = _add_many(desk, tasks, progress, f"{backend}, {what}")
        desk.close()  # the parent holds no connection while the runner runs (reopened later)
        step = progress.add_task(f"{backend}: taskdesk start, {what}", total=tasks or 1)
        finished = run_start(
            runner_env(_runner_settings(desk, retention)), folder / "start.out",
            timeout=runner_timeout(tasks), poll=lambda: _poll(progress, step, desk),
        )
        progress.update(step, completed=tasks or 1)
        problems = ([finished.problem] if finished.problem else []) + check_processed(
            desk, tasks, retention)
    printed = finished.output.strip().splitlines() if finished.returncode == 0 else []
    notes = (f"{backend}, {what}: the runner printed {len(printed)} line(s) with --quiet:\n"
             + "\n".join(printed[:RUNNER_NOTE_LINES]),) if printed else ()
    ran = Rate(tasks, finished.seconds, tuple(f"{backend}, {what}: {problem}"
                                              for problem in problems), notes)
    return Processing(added, ran)


def _add_many(desk: Taskdesk, tasks: int, progress: Progress, where: str) -> Rate:
    if not tasks:
        return Rate(0, 0.0)
    step = progress.add_task(f"{where.split(',')[0]}: registry.add_many of {tasks}", total=1)
    batch = new_tasks(tasks, "many")
    started = time.perf_counter()
    added = len(desk.tasks.add_many(batch))
    seconds = time.perf_counter() - started
    progress.update(step, completed=1)
    problems = () if added == tasks else (
        f"{where}: add_many returned {added} tasks, expected {tasks}",)
    return Rate(tasks, seconds, problems)


def _runner_settings(desk: Taskdesk, retention: float | None) -> dict[str, str]:
    settings = {
        "TASKDESK_HOME": str(desk.settings.home),
        "TASKDESK_DATABASE_URL": desk.settings.database_url,
        "TASKDESK_ALLOWED_ACTIONS": "bench",
    }
    if retention is not None:
        settings["TASKDESK_RETENTION_SECONDS"] = f"{retention:g}"
    return settings


def _poll(progress: Progress, step: TaskID, desk: Taskdesk) -> None:
    with suppress(TaskdeskError):  # progress only: the check at the end is what counts
        progress.update(step, completed=desk.tasks.count_log())


def check_processed(desk: Taskdesk, tasks: int, retention: float | None) -> list[str]:
    """Every task ran once and completed; none is left waiting or running."""
    problems = []
    logged = statuses(desk, task_log)
    expected_log = {"complete": tasks} if tasks else {}
    if logged != expected_log:
        problems.append(f"the task log holds {_show(logged)}, expected {_show(expected_log)}")
    left = statuses(desk, task)
    expected_left = {"complete": tasks} if tasks and retention != 0 else {}
    if left != expected_left:
        problems.append(f"the task table holds {_show(left)}, expected {_show(expected_left)}")
    return problems


def statuses(desk: Taskdesk, table: Table) -> dict[str, int]:
    """Rows of the table by status."""
    query = select(table.c.status, func.count()).group_by(table.c.status)
    store = desk.store
    assert isinstance(store, SqlStore)  # benchmarks run on real databases only
    with store.engine.connect() as conn:
        return {str(status): int(count) for status, count in conn.execute(query)}


def _show(counts: dict[str, int]) -> str:
    if not counts:
        return "no rows"
    return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
