"""SqlStore: every verb over SQLAlchemy Core, for SQLite and PostgreSQL alike.

The dialects differ in how a transaction starts (SQLite takes the write lock up front), how
concurrent adds of one code are serialised, and how runners' commits wait for the disk —
nothing else; the claim is one statement for both (see statements.py).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from taskdesk.clock import Clock, utcnow
from taskdesk.errors import BadStatus, TaskNotFound
from taskdesk.models import InstalledModule, LogEntry, NewTask, Outcome, Status, Task, TaskFilter
from taskdesk.store import statements as sql
from taskdesk.store.base import PRUNE_CHUNK, ClaimKey, RunnerInfo, chunks
from taskdesk.store.errors import translate_errors
from taskdesk.store.rows import log_entry_from_row, new_task_row, recovery_message, task_from_row
from taskdesk.store.schema import extension as extension_table
from taskdesk.store.schema import runner, task, task_log


class SqlStore:
    """The Store verbs over a SQLAlchemy engine; subclasses set up the dialect."""

    def __init__(self, engine: Engine, *, clock: Clock = utcnow) -> None:
        self.engine = engine
        self.writer: Engine = engine  # the engine write transactions begin on
        #: Runners' writes (claim, heartbeat, finish, release, recover). A backend may let
        #: them commit without waiting for the disk: if the database crashes and loses one,
        #: the task is recovered and runs again, which at-least-once delivery allows.
        self.runner_writer: Engine = engine
        self.clock = clock
        self._bound: Connection | None = None

    # -- connections --------------------------------------------------------------------
    @contextmanager
    def _write(self, engine: Engine | None = None) -> Iterator[Connection]:
        if self._bound is not None:
            yield self._bound
            return
        with translate_errors(self.engine.url), (engine or self.writer).begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        if self._bound is not None:
            yield self._bound
            return
        with translate_errors(self.engine.url), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def atomic(self) -> Iterator[SqlStore]:
        if self._bound is not None:
            yield self
            return
        with self._write() as conn:
            bound = copy.copy(self)
            bound._bound = conn
            yield bound

    def close(self) -> None:
        self.engine.dispose()

    def lock_codes(self, conn: Connection, codes: Sequence[str]) -> None:
        """Serialise concurrent adds of the same codes; a no-op where writers are serial."""

    def lock_migrations(self, conn: Connection) -> None:
        """Serialise concurrent migrations; a no-op where writers are serial."""

    # -- the registry -------------------------------------------------------------------
    def add(self, tasks: Sequence[NewTask], *, replace: bool = True) -> list[Task]:
        if replace:  # within one batch, too, a later task replaces an earlier one
            tasks = list({new.code: new for new in tasks}.values())
        if not tasks:
            return []
        now = self.clock()
        rows = [new_task_row(new, now) for new in tasks]
        with self._write() as conn:
            if replace:
                self._delete_waiting(conn, sorted({new.code for new in tasks}))
            statement = insert(task).returning(*task.c, sort_by_parameter_order=True)
            return [task_from_row(row._mapping) for row in conn.execute(statement, rows)]

    def _delete_waiting(self, conn: Connection, codes: list[str]) -> None:
        self.lock_codes(conn, codes)
        for some in chunks(codes):
            conn.execute(
                delete(task).where(task.c.code.in_(some), task.c.status.in_(sql.WAITING_VALUES))
            )

    def get(self, task_id: int) -> Task | None:
        with self._read() as conn:
            row = conn.execute(select(task).where(task.c.task_id == task_id)).first()
        return None if row is None else task_from_row(row._mapping)

    def list_tasks(
        self, where: TaskFilter, *, cursor: int | None = None, limit: int = 50,
        descending: bool = False,
    ) -> list[Task]:
        query = select(task).where(*sql.filtered(where)).limit(limit)
        if descending:
            query = query.order_by(task.c.task_id.desc())
            if cursor is not None:
                query = query.where(task.c.task_id < cursor)
        else:
            query = query.order_by(task.c.task_id)
            if cursor is not None:
                query = query.where(task.c.task_id > cursor)
        with self._read() as conn:
            return [task_from_row(row._mapping) for row in conn.execute(query)]

    def count(self, where: TaskFilter) -> int:
        with self._read() as conn:
            query = select(func.count()).select_from(task).where(*sql.filtered(where))
            return int(conn.execute(query).scalar_one())

    def set_status(self, task_ids: Sequence[int], status: Status) -> int:
        if status is Status.PROCESSING:
            raise BadStatus("only a runner's claim sets a task processing")
        now = self.clock()
        values: dict[str, Any] = {"status": status.value, "date_modified": now,
                                  "delayed": False}
        if status is Status.PENDING:  # by hand: a fresh attempt budget
            values.update(attempts=0, delayed=sql.delayed_after(now))
        return self._update_idle(task_ids, values)

    def _update_idle(self, task_ids: Sequence[int], values: dict[str, Any]) -> int:
        with self._write() as conn:
            self._check_exist(conn, task_ids)
            return sum(
                conn.execute(update(task).where(*sql.idle(some)).values(values)).rowcount
                for some in chunks(task_ids)
            )

    def retry(self, task_ids: Sequence[int]) -> int:
        return self._update_idle(task_ids, self._fresh_start())

    def retry_matching(self, where: TaskFilter) -> int:
        statement = (update(task).where(*sql.filtered(where), task.c.status != sql.PROCESSING)
                     .values(self._fresh_start()))
        with self._write() as conn:
            return conn.execute(statement).rowcount

    def _fresh_start(self) -> dict[str, Any]:
        now = self.clock()
        return {"status": Status.PENDING.value, "attempts": 0, "run_at": now, "delayed": False,
                "date_modified": now}

    def delete(self, task_ids: Sequence[int]) -> int:
        with self._write() as conn:
            self._check_exist(conn, task_ids)
            return sum(
                conn.execute(delete(task).where(*sql.idle(some))).rowcount
                for some in chunks(task_ids)
            )

    def _check_exist(self, conn: Connection, task_ids: Sequence[int]) -> None:
        found: set[int] = set()
        for some in chunks(task_ids):
            found.update(conn.execute(select(task.c.task_id).where(task.c.task_id.in_(some)))
                         .scalars())
        missing = sorted(set(task_ids) - found)
        if missing:
            raise TaskNotFound(f"no task with id {', '.join(map(str, missing))}")

    def delete_by_code(self, code: str) -> int:
        with self._write() as conn:
            self.lock_codes(conn, [code])
            statement = delete(task).where(task.c.code == code, task.c.status != sql.PROCESSING)
            return conn.execute(statement).rowcount

    def clear(self) -> int:
        with self._write() as conn:
            return conn.execute(delete(task).where(task.c.status != sql.PROCESSING)).rowcount

    # -- the runner ---------------------------------------------------------------------
    def claim(self, worker_id: str, *, lease_seconds: float, limit: int = 1) -> list[Task]:
        now = self.clock()
        params = {"now": now, "worker": worker_id, "limit": limit, "token": uuid.uuid4().hex,
                  "expires": now + timedelta(seconds=lease_seconds)}
        with self._write(self.runner_writer) as conn:
            _promote(conn, now)
            claimed = [task_from_row(row._mapping) for row in conn.execute(sql.CLAIM, params)]
        return sorted(claimed, key=lambda t: (-t.priority, t.task_id))

    def heartbeat(self, runner_info: RunnerInfo, claims: Sequence[ClaimKey], *,
                  lease_seconds: float) -> int:
        now = self.clock()
        expires = now + timedelta(seconds=lease_seconds)
        worker_id = runner_info.runner_id
        with self._write(self.runner_writer) as conn:
            seen = conn.execute(
                update(runner).where(runner.c.runner_id == worker_id).values(last_seen_at=now)
            ).rowcount
            if not seen:  # forgotten while it was paused: it is alive, so it is listed again
                conn.execute(insert(runner).values(_runner_row(runner_info, last_seen_at=now)))
            return sum(
                conn.execute(
                    update(task)
                    .where(*sql.owned(worker_id, token, some))
                    .values(lease_expires_at=expires)
                ).rowcount
                for token, some in _by_token(claims)
            )

    def finish(self, task_: Task, worker_id: str, outcome: Outcome, *,
               retention_seconds: float) -> bool:
        now = self.clock()
        owner = {"id": task_.task_id, "worker": worker_id, "token": task_.claim_token}
        delayed = outcome.retry_at is not None and outcome.retry_at > now
        with self._write(self.runner_writer) as conn:
            if outcome.status is Status.COMPLETE and retention_seconds <= 0:
                result = conn.execute(sql.FINISH_DELETE, owner)
            else:
                result = conn.execute(sql.FINISH_UPDATE, {
                    **owner, "now": now, "outcome": outcome.status.value,
                    "text": outcome.response, "retry_at": outcome.retry_at, "delayed": delayed,
                })
            kept = task_.claim_token is not None and result.rowcount == 1
            comment = outcome.comment if kept else f"{outcome.comment} (lease lost: not stored)"
            conn.execute(sql.LOG, {
                "task_id": task_.task_id, "code": task_.code, "status": outcome.status.value,
                "comment": comment, "duration": outcome.duration, "attempt": task_.attempts,
                "worker_id": worker_id, "date_added": now,
            })
        return kept

    def release(self, worker_id: str, claims: Sequence[ClaimKey]) -> int:
        values = {"status": Status.PENDING.value, "worker_id": None, "lease_expires_at": None,
                  "attempts": task.c.attempts - 1, "date_modified": self.clock(),
                  "claim_token": None}
        with self._write(self.runner_writer) as conn:
            return sum(
                conn.execute(update(task).where(*sql.owned(worker_id, token, some))
                             .values(values)).rowcount
                for token, some in _by_token(claims)
            )

    def recover(self, *, lease_seconds: float) -> list[LogEntry]:
        now = self.clock()
        expired = (task.c.status == sql.PROCESSING, task.c.lease_expires_at < now)
        with self._write(self.runner_writer) as conn:
            conn.execute(delete(runner).where(
                runner.c.last_seen_at < now - timedelta(seconds=lease_seconds)))
            stale = conn.execute(
                select(task.c.task_id, task.c.code, task.c.attempts, task.c.max_attempts,
                       task.c.worker_id).where(*expired).with_for_update(skip_locked=True)
            ).all()
            entries = [self._recover_one(conn, row._mapping, expired) for row in stale]
        return [entry for entry in entries if entry is not None]

    def _recover_one(self, conn: Connection, row: Any,
                     expired: tuple[ColumnElement[bool], ...]) -> LogEntry | None:
        now = self.clock()
        retried = row["attempts"] < row["max_attempts"]
        status = Status.PENDING if retried else Status.FAILED
        message = recovery_message(row["worker_id"], row["attempts"], retried)
        changed = conn.execute(
            update(task).where(task.c.task_id == row["task_id"], *expired).values(
                status=status.value, response=message, worker_id=None, lease_expires_at=None,
                run_at=now, date_modified=now, claim_token=None, delayed=False,
            )
        ).rowcount
        if not changed:
            return None
        entry = {"task_id": row["task_id"], "code": row["code"], "status": status.value,
                 "comment": message, "duration": None, "attempt": row["attempts"],
                 "worker_id": row["worker_id"], "date_added": now}
        log_id = conn.execute(insert(task_log).values(entry)).inserted_primary_key
        assert log_id is not None
        return log_entry_from_row({**entry, "task_log_id": log_id[0]})

    def prune(self, *, retention_seconds: float, limit: int = PRUNE_CHUNK) -> int:
        before = self.clock() - timedelta(seconds=retention_seconds)
        doomed = (select(task.c.task_id)
                  .where(task.c.status == Status.COMPLETE.value, task.c.date_modified < before)
                  .limit(limit).with_for_update(skip_locked=True))
        with self._write(self.runner_writer) as conn:
            return conn.execute(delete(task).where(task.c.task_id.in_(doomed))).rowcount

    def prune_log(self, *, retention_seconds: float, limit: int = PRUNE_CHUNK) -> int:
        before = self.clock() - timedelta(seconds=retention_seconds)
        doomed = (select(task_log.c.task_log_id).where(task_log.c.date_added < before)
                  .order_by(task_log.c.task_log_id).limit(limit)
                  .with_for_update(skip_locked=True))
        with self._write(self.runner_writer) as conn:
            return conn.execute(
                delete(task_log).where(task_log.c.task_log_id.in_(doomed))).rowcount

    def clock_offset(self) -> float:
        """The database's clock is this machine's (SQLite), unless a subclass measures it."""
        return 0.0

    # -- the task log -------------------------------------------------------------------
    def log(self, *, task_id: int | None = None, cursor: int | None = None,
            limit: int = 50) -> list[LogEntry]:
        query = select(task_log).order_by(task_log.c.task_log_id.desc()).limit(limit)
        if task_id is not None:
            query = query.where(task_log.c.task_id == task_id)
        if cursor is not None:
            query = query.where(task_log.c.task_log_id < cursor)
        with self._read() as conn:
            return [log_entry_from_row(row._mapping) for row in conn.execute(query)]

    def count_log(self, *, task_id: int | None = None) -> int:
        query = select(func.count()).select_from(task_log)
        if task_id is not None:
            query = query.where(task_log.c.task_id == task_id)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def clear_log(self) -> int:
        with self._write() as conn:
            return conn.execute(delete(task_log)).rowcount

    # -- extensions -----------------------------------------------------------------------
    def installed_modules(self, extension: str | None = None) -> list[InstalledModule]:
        query = select(extension_table).order_by(extension_table.c.extension_id)
        if extension is not None:
            query = query.where(extension_table.c.extension == extension)
        with self._read() as conn:
            return [InstalledModule(**_without_id(row._mapping)) for row in conn.execute(query)]

    def mark_installed(self, extension: str, type_: str, code: str) -> bool:
        row = {"extension": extension, "type": type_, "code": code, "date_added": self.clock()}
        with self._write() as conn:
            try:
                with conn.begin_nested():  # a concurrent install may win the unique key
                    conn.execute(insert(extension_table).values(row))
            except IntegrityError:
                return False
            return True

    def mark_uninstalled(self, extension: str, type_: str, code: str) -> bool:
        with self._write() as conn:
            statement = delete(extension_table).where(*sql.module(extension, type_, code))
            return conn.execute(statement).rowcount > 0

    # -- runners ------------------------------------------------------------------------
    def register_runner(self, info: RunnerInfo) -> None:
        with self._write() as conn:
            conn.execute(insert(runner).values(_runner_row(info)))

    def unregister_runner(self, runner_id: str) -> None:
        with self._write() as conn:
            conn.execute(delete(runner).where(runner.c.runner_id == runner_id))

    def runners(self) -> list[RunnerInfo]:
        with self._read() as conn:
            rows = conn.execute(select(runner).order_by(runner.c.started_at)).all()
        return [RunnerInfo(**row._mapping) for row in rows]


def _promote(conn: Connection, now: datetime) -> None:
    """Make every delayed task that is due claimable (see statements.PROMOTE): all of them,
    so that the claim's order holds among every due task. Usually one probe finds none."""
    earliest = conn.execute(sql.NEXT_DELAYED).scalar()
    if earliest is None or earliest > now:
        return
    while True:
        due = conn.execute(sql.DUE_DELAYED, {"now": now}).scalars().all()
        if due:
            conn.execute(sql.PROMOTE, {"ids": list(due)})
        if len(due) < sql.PROMOTE_CHUNK:
            return


def _runner_row(info: RunnerInfo, **changes: Any) -> dict[str, Any]:
    return {"runner_id": info.runner_id, "hostname": info.hostname, "pid": info.pid,
            "started_at": info.started_at, "last_seen_at": info.last_seen_at, **changes}


def _by_token(claims: Sequence[ClaimKey]) -> Iterator[tuple[str, Sequence[int]]]:
    """Claims grouped by token (a batch claim gives all its tasks one), in chunks."""
    groups: dict[str, list[int]] = {}
    for key in dict.fromkeys(claims):
        groups.setdefault(key.token, []).append(key.task_id)
    for token, task_ids in groups.items():
        for some in chunks(task_ids):
            yield token, some


def _without_id(row: Any) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != "extension_id"}
