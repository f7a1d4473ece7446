"""TaskRegistry: the API that extensions, the CLI and the admin use to manage tasks.

It validates input and fills defaults, then calls one store verb. OpenCart's semantics, with
its defects fixed: adding a task replaces only a *waiting* task with the same code (never a
running one), statuses are checked, and lists are keyset-paginated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, Unpack

from taskdesk.clock import parse_moment
from taskdesk.config import Settings
from taskdesk.errors import BadCode, BadInput, BadStatus, TaskNotFound
from taskdesk.models.actions import parse_action
from taskdesk.models.failures import FailureGroup
from taskdesk.models.filters import Filters, task_filter
from taskdesk.models.limits import TaskLimit
from taskdesk.models.queues import DEFAULT_QUEUE, check_queue
from taskdesk.models.tasks import (
    JsonObject,
    LogEntry,
    NewTask,
    Status,
    Task,
    TaskFilter,
    check_args,
)
from taskdesk.store import AfterChunks, Store
from taskdesk.store.cancels import CANCELLABLE
from taskdesk.store.failures import MAX_GROUPS
from taskdesk.store.protocol import MATCH_CHUNK
from taskdesk.store.sql import add_through
from taskdesk.text import storable
from taskdesk.tracing import enqueueing
from taskdesk.views import AttemptView, attempt_view

CODE_PATTERN = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")
MAX_PAGE = 1000
INT32 = (-(2**31), 2**31 - 1)  # priority and attempts are INTEGER columns
ID_RANGE = (0, 2**63 - 1)  # ids and cursors are BIGINT
CANCELLED_BY = "the application"  # who a cancel's log entry names when nobody is named
MAX_BY = 256  # bytes of that name, as the log entry keeps it

#: Refuses an action that may not run (handlers.Handlers.check); the default only parses it.
Gate = Callable[[str], object]
#: Refuses args that do not fit a registered task's signature, and returns the task's limit
#: by key (a TaskLimit) when its definition has one (handlers.Handlers.check_args).
ArgsCheck = Callable[[str, JsonObject], object]


class TaskRegistry:
    """Checks input and fills defaults, then calls one Store verb: what extensions (as
    `self.tasks`), the CLI and the admin use."""

    def __init__(self, store: Store, settings: Settings, *, gate: Gate = parse_action,
                 check_args: ArgsCheck | None = None, origin: str | None = None) -> None:
        self.store = store
        self.settings = settings
        self.gate = gate
        self.check_args = check_args
        #: The extension whose code adds through this registry (its install() or its tasks):
        #: each task it adds records it, so that uninstall can remove them.
        self.origin = origin

    def for_extension(self, origin: str | None) -> TaskRegistry:
        """This registry, stamping the tasks it adds with `origin`."""
        if origin == self.origin:
            return self
        return TaskRegistry(self.store, self.settings, gate=self.gate,
                            check_args=self.check_args, origin=origin)

    def add(
        self, code: str, action: str, args: JsonObject | None = None, *, priority: int = 0,
        run_at: datetime | timedelta | str | None = None, max_attempts: int | None = None,
        replace: bool = True, connection: object | None = None, queue: str = DEFAULT_QUEUE,
    ) -> Task:
        """Add a pending task; with `replace`, a waiting task with the same code goes.
        `run_at` is an aware datetime, an ISO 8601 text (UTC if it has no offset), or a
        delay from now. With `connection` (see add_many) it is written in the caller's
        transaction. `queue` names the queue it waits in (taskdesk.models.queues)."""
        new = NewTask(code=code, action=action, args={} if args is None else args,
                      priority=priority, run_at=self.moment(run_at),
                      max_attempts=max_attempts, queue=queue)
        return self.add_many([new], replace=replace, connection=connection)[0]

    def add_many(self, tasks: Iterable[NewTask], *, replace: bool = True,
                 connection: object | None = None) -> list[Task]:
        """Add several tasks in one transaction (all or none). With `connection` — a
        SQLAlchemy Connection, Session or scoped_session, or a psycopg or sqlite3
        connection, on taskdesk's database —
        they are written in that connection's transaction: gone if it rolls back, seen by
        runners once it commits."""
        allowed: set[str] = set()
        checked = [self._checked(new, allowed) for new in tasks]
        with enqueueing(checked, enabled=self.settings.tracing) as traced:  # docs/tracing.md
            if connection is None:
                return traced.added(self.store.add(traced.tasks, replace=replace))
            return traced.added(add_through(self.store, connection, traced.tasks,
                                            replace=replace))

    def check(self, new: NewTask) -> NewTask:
        """The task as add would store it (allow-list, args, defaults filled), or the error
        add would raise: for callers that add through the store themselves (schedules)."""
        return self._checked(new, set())

    def moment(self, run_at: datetime | timedelta | str | None) -> datetime | None:
        """`run_at` as add takes it (a datetime, an ISO 8601 text, a delay) as a datetime:
        for callers that build NewTasks for add_many (TaskDefinition.enqueue_many)."""
        if isinstance(run_at, timedelta):
            try:
                return self.store.clock() + run_at
            except OverflowError:
                raise BadInput(f"run_at: a delay of {run_at} is out of range") from None
        if not isinstance(run_at, str):
            return run_at
        try:
            return parse_moment(run_at)
        except ValueError as error:
            raise BadInput(f"run_at {run_at!r} is not a time taskdesk can store: {error}"
                           ) from None

    def _checked(self, new: NewTask, allowed: set[str]) -> NewTask:
        check_code(new.code)
        check_queue(new.queue)
        if new.action not in allowed:  # one check per distinct action of a batch
            parse_action(new.action)
            self.gate(new.action)
            allowed.add(new.action)
        check_args(new.args)
        if self.check_args is not None:
            limit = self.check_args(new.action, new.args)
            if isinstance(limit, TaskLimit):  # its definition's limit by key, stored on it
                new = replace(new, limit=limit)
        _check_int("priority", new.priority, INT32)
        max_attempts = self.settings.max_attempts if new.max_attempts is None else new.max_attempts
        _check_int("max_attempts", max_attempts, (1, INT32[1]))
        if new.run_at is not None and (
                not isinstance(new.run_at, datetime) or new.run_at.tzinfo is None):
            raise BadInput(f"run_at must be a datetime with a timezone, not {new.run_at!r}")
        return replace(new, max_attempts=max_attempts, extension=new.extension or self.origin)

    def get(self, task_id: int) -> Task:
        found = self.store.get(_check_int("task id", task_id, ID_RANGE))
        if found is None:
            raise TaskNotFound(f"no task with id {task_id}")
        return found

    def list_tasks(
        self, *, cursor: int | None = None, limit: int = 50, descending: bool = False,
        preview: int | None = None, **filters: Unpack[Filters],
    ) -> list[Task]:
        """A page of tasks in id order (newest first with `descending`); pass the last id as
        `cursor` for the next page. Filters: see taskdesk.models.filters. With `preview`, responses
        are cut to their first `preview` characters (lists, tables)."""
        if preview is not None:
            _check_int("preview", preview, (1, INT32[1]))
        return self.store.list_tasks(task_filter(filters), cursor=_optional_id(cursor),
                                     limit=_check_limit(limit), descending=descending,
                                     preview=preview)

    def count(self, **filters: Unpack[Filters]) -> int:
        """How many tasks list_tasks would show with these filters, over every page."""
        return self.store.count(task_filter(filters))

    def set_status(self, status: Status | str, task_ids: Sequence[int]) -> int:
        """OpenCart's editStatus, but an unknown status is an error, not a silent failed.
        `cancelled` is a cancel (see cancel: running tasks too)."""
        if _status(status) is Status.CANCELLED:
            return len(self.cancel(task_ids))
        return self.store.set_status(_check_ids(task_ids), _status(status))

    def cancel(self, task_ids: Sequence[int], *, by: str = CANCELLED_BY) -> list[int]:
        """Cancel these tasks: a waiting one (pending, paused, failed) never runs; a running
        one is told (taskdesk.cancelled() turns True), its outcome is refused, and a child
        process running it is terminated after TASKDESK_CANCEL_GRACE_SECONDS. Complete and
        already cancelled tasks are left alone; an unknown id raises TaskNotFound and nothing
        changes. Returns the ids cancelled; `by` names who did it in the task log. `retry`
        brings a cancelled task back."""
        return self.store.cancels.cancel(_check_ids(task_ids), by=storable(by, MAX_BY))

    def cancel_matching(self, *, by: str = CANCELLED_BY, then: AfterChunks | None = None,
                        **filters: Unpack[Filters]) -> int:
        """`cancel` every task that `list_tasks(**filters)` would show, running ones too,
        MATCH_CHUNK tasks per transaction; returns how many were cancelled. Needs a filter; a
        status filter must name one a task can be cancelled from (not complete or
        cancelled). A task deleted meanwhile is skipped. `then(store, cancelled)` runs in the
        last chunk's transaction (the change's audit row)."""
        where = _bulk_filter("cancel", filters, running=True)
        if where.status is not None and where.status not in CANCELLABLE:
            raise BadStatus(f"{where.status.value} tasks cannot be cancelled: only pending, "
                            "paused, failed or processing ones")
        statuses = [where.status] if where.status is not None else list(CANCELLABLE)
        ids = self._matching_ids([replace(where, status=status) for status in statuses])
        chunk, total, by = list(islice(ids, MATCH_CHUNK)), 0, storable(by, MAX_BY)
        while True:
            following = list(islice(ids, MATCH_CHUNK))  # read first: is `chunk` the last?
            with self.store.atomic() as bound:
                total += len(bound.cancels.cancel(chunk, by=by, missing_ok=True))
                if not following and then is not None:
                    then(bound, total)
            if not following:
                return total
            chunk = following

    def _matching_ids(self, filters: list[TaskFilter]) -> Iterator[int]:
        """The ids of the tasks these filters match, read a page at a time as they go."""
        for where in filters:
            cursor = None
            while page := self.store.list_tasks(where, cursor=cursor, limit=MATCH_CHUNK,
                                                preview=1):
                yield from (task.task_id for task in page)
                cursor = page[-1].task_id

    def retry(self, task_ids: Sequence[int]) -> int:
        """Give these tasks a fresh start: pending, attempts 0, due now. Running tasks are
        left alone; returns how many were retried."""
        return self.store.retry(_check_ids(task_ids))

    def retry_matching(self, *, then: AfterChunks | None = None,
                       **filters: Unpack[Filters]) -> int:
        """`retry` every task that `list_tasks(**filters)` would show, except running ones;
        at least one filter is needed, so that a slip never re-runs everything. `then(store,
        changed)` runs in the last chunk's transaction (the change's audit row)."""
        return self.store.retry_matching(_bulk_filter("retry", filters), then=then)

    def set_status_matching(self, status: Status | str, /, *, then: AfterChunks | None = None,
                            **filters: Unpack[Filters]) -> int:
        """`set_status` on every task that `list_tasks(**filters)` would show, except running
        ones, a chunk per transaction; returns how many changed. Needs a filter."""
        wanted = _status(status)
        if wanted is Status.CANCELLED:
            return self.cancel_matching(then=then, **filters)
        return self.store.set_status_matching(_bulk_filter("set_status", filters), wanted,
                                              then=then)

    def delete_matching(self, *, then: AfterChunks | None = None,
                        **filters: Unpack[Filters]) -> int:
        """Delete every task that `list_tasks(**filters)` would show, except running ones, a
        chunk per transaction; returns how many went. Needs a filter (`clear` deletes all)."""
        return self.store.delete_matching(_bulk_filter("delete", filters), then=then)

    # -- failures by cause (taskdesk.models.failures) -------------------------------------
    def failures(self, *, limit: int = MAX_GROUPS) -> list[FailureGroup]:
        """The failed tasks grouped by error class: most tasks first, at most `limit`."""
        return self.store.error_classes.groups(limit=_check_int("limit", limit, (1, MAX_GROUPS)))

    def retry_failed(self, error_class: str, *, then: AfterChunks | None = None) -> int:
        """Retry every failed task whose latest failure was of this class."""
        return self.retry_matching(status=Status.FAILED, error_class=error_class, then=then)

    def cancel_failed(self, error_class: str, *, by: str = CANCELLED_BY,
                      then: AfterChunks | None = None) -> int:
        """Cancel every failed task whose latest failure was of this class: each becomes
        `cancelled` (it keeps its history; a retry brings it back), through the cancel
        (cancel_matching, store.cancels) as every cancel goes."""
        return self.cancel_matching(status=Status.FAILED, error_class=error_class, by=by,
                                    then=then)

    def attempts(self, task_id: int) -> list[AttemptView]:
        """Every attempt of a task (its newest MAX_PAGE log entries), oldest first, with
        timings and the runner that held it; the log outlives the task."""
        entries = self.store.log(task_id=_check_int("task id", task_id, ID_RANGE),
                                 limit=MAX_PAGE)
        return [attempt_view(entry) for entry in reversed(entries)]

    def delete(self, task_ids: Sequence[int]) -> int:
        return self.store.delete(_check_ids(task_ids))

    def delete_by_code(self, code: str) -> int:
        return self.store.delete_by_code(check_code(code))

    def clear(self) -> int:
        return self.store.clear()

    def log(self, *, task_id: int | None = None, cursor: int | None = None,
            limit: int = 50) -> list[LogEntry]:
        """Task log entries, newest first; pass the last id as `cursor` for older ones."""
        return self.store.log(task_id=_optional_id(task_id), cursor=_optional_id(cursor),
                              limit=_check_limit(limit))

    def count_log(self, *, task_id: int | None = None) -> int:
        return self.store.count_log(task_id=_optional_id(task_id))

    def clear_log(self) -> int:
        return self.store.clear_log()


def check_code(code: Any) -> str:
    if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
        raise BadCode(f"bad code {code!r}: {BadCode.__doc__}")
    return code


def _check_int(name: str, value: Any, bounds: tuple[int, int]) -> int:
    """An integer within the bounds its column can hold, or BadInput naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"{name} must be an integer, not {value!r}")
    if not bounds[0] <= value <= bounds[1]:
        raise BadInput(f"{name} must be between {bounds[0]} and {bounds[1]}, not {value}")
    return value


def _check_ids(task_ids: Sequence[int]) -> Sequence[int]:
    for task_id in task_ids:
        _check_int("task id", task_id, ID_RANGE)
    return task_ids


def _optional_id(value: int | None) -> int | None:
    return None if value is None else _check_int("id", value, ID_RANGE)


def _check_limit(limit: int) -> int:
    return _check_int("limit", limit, (1, MAX_PAGE))


def _status(status: Status | str) -> Status:
    return status if isinstance(status, Status) else Status.parse(status)


def _bulk_filter(verb: str, filters: Filters, *, running: bool = False) -> TaskFilter:
    """A bulk change's filter: never empty, never `processing` (running tasks stay) unless
    the change is to `running` ones too (a cancel)."""
    where = task_filter(filters)
    if where.is_empty():
        raise BadInput(f"{verb}_matching needs a filter: a code or a status, an action or args")
    if where.status is Status.PROCESSING and not running:
        raise BadStatus("processing tasks are running: they cannot be changed")
    return where
