"""PostgreSQL: many runners on many machines. Claims skip rows other runners have locked;
concurrent adds of one code, and concurrent migrations, are serialised by transaction-scoped
advisory locks; runners' commits do not wait for the disk (see SqlConnections.runner_writer). A
process forked from ours (a handler's os.fork()) starts with empty pools, so that it never
shares our connections.

Every transaction runs at READ COMMITTED, whatever the server's default: the claim's SKIP
LOCKED and the code locks are designed for it. Unless told otherwise, the store's clock is the
server's (ServerClock), so that runners on machines whose clocks disagree still agree on when a
lease ends and when a task is due. Every connection carries session limits and keepalives
derived from the lease (sessions.py), so that a dead host's sessions end, and their locks
with them, within about two leases."""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, text

from taskdesk.clock import Clock, StepWatch, utcnow
from taskdesk.config import Settings
from taskdesk.errors import ConfigError
from taskdesk.store.notify import CHANNEL, NOTIFY_CANCEL_SQL, NOTIFY_SQL, ListenChannel
from taskdesk.store.sql.adds import PostgresAdds
from taskdesk.store.sql.connections import SqlConnections
from taskdesk.store.sql.errors import translate_errors
from taskdesk.store.sql.sessions import admin_session, listen_session, runner_session

logger = logging.getLogger(__name__)

# The first key of our advisory locks, so they never collide with another application's.
ADVISORY_LOCK_NAMESPACE = 0x7A5D  # "taskdesk"
# Codes share this many locks: an add of 20,000 codes takes at most this many, never more
# than the server's lock table holds; two adds of one code always meet on the same lock.
CODE_LOCK_BUCKETS = 256
MIGRATION_LOCK = CODE_LOCK_BUCKETS  # the second key of the migrations' lock: no code's
LOG_TOTALS_LOCK = CODE_LOCK_BUCKETS + 1  # … and of the task log counters' folds
POOL_SIZE = 5  # connections kept open per engine, unless open_store is given a pool size
# Connections opened beyond the pool when needed: a worker's threads (up to 64), its lease
# and housekeeping threads never wait for one, whatever pool size it was opened with.
MAX_OVERFLOW = 70
CONNECT_TIMEOUT_SECONDS = 10  # cron's `taskdesk start` must not hang on an unreachable server
CLOCK_REFRESH_SECONDS = 60.0  # how often ServerClock measures the server's clock again
OFFSET_SAMPLES = 3  # round trips per measurement of the server's clock; the shortest counts

#: The advisory locks of some codes' buckets, in bucket order (no deadlock between two adds).
#: Written once, in psycopg's paramstyle, for every writer of codes: the add (adds.py, on the
#: driver's cursor: the store's own and a caller's psycopg connection's, external.py) and
#: delete_by_code (exec_driver_sql), so that they always meet on the same locks.
LOCK_CODES = (
    "SELECT pg_advisory_xact_lock(%(namespace)s, bucket) FROM "
    "(SELECT DISTINCT abs(hashtext(code) %% %(buckets)s) AS bucket "
    "FROM unnest(CAST(%(codes)s AS text[])) AS code ORDER BY bucket) AS buckets"
)
_LOCK_MIGRATIONS = text("SELECT pg_advisory_xact_lock(:namespace, :key)")
_SERVER_TIME = text("SELECT clock_timestamp()")
_NOTIFY = text(NOTIFY_SQL)
_NOTIFY_CANCEL = text(NOTIFY_CANCEL_SQL)
#: One simple query: the add's commit, then a notification whose commit skips the disk wait.
_COMMIT_THEN_NOTIFY = (f"COMMIT; SELECT set_config('synchronous_commit', 'off', true), "
                       f"pg_notify('{CHANNEL}', '')")


class ServerClock:
    """The server's time: this machine's UTC time plus the server's measured offset, taken
    at first use, again every CLOCK_REFRESH_SECONDS, and at once when this machine's clock
    steps (taskdesk.clock.StepWatch): a stepped local clock must never shift the leases this
    runner writes or judges. A failed refresh keeps the last offset (the database is down:
    nothing is compared meanwhile). `local` is this machine's clock (tests move it)."""

    def __init__(self, engine: Engine, local: Clock | None = None) -> None:
        self.engine = engine
        self.local = local or _local_time
        self.offset: float | None = None
        self._measured_at = 0.0
        self._lock = threading.Lock()
        self._steps = StepWatch(self.local)

    def __call__(self) -> datetime:
        stepped = self._steps.step()
        if stepped:
            logger.warning("clock.stepped this machine's clock jumped %+.1fs: measuring the "
                           "database's clock again", stepped)
        if (self.offset is None or stepped
                or time.monotonic() - self._measured_at > CLOCK_REFRESH_SECONDS):
            self._refresh()
        assert self.offset is not None
        return self.local() + timedelta(seconds=self.offset)

    def _refresh(self) -> None:
        if not self._lock.acquire(blocking=self.offset is None):
            return  # another thread is measuring: the last offset will do meanwhile
        try:
            self.offset = measure_offset(self.engine, self.local)
        except Exception as error:
            if self.offset is None:
                raise
            logger.warning("clock.refresh_failed keeping offset %.3fs: %s", self.offset, error)
        finally:
            self._measured_at = time.monotonic()
            self._lock.release()


def _local_time() -> datetime:
    """This machine's clock, looked up at each call (tests replace utcnow here)."""
    return utcnow()


def measure_offset(engine: Engine, local: Clock | None = None) -> float:
    """Seconds by which the server's clock is ahead of this machine's, from the sample of
    OFFSET_SAMPLES with the shortest round trip (precise to half of it). One sample delayed
    on either side (a busy machine, a slow network) would be off by half its delay, and two
    runners that disagree on "now" do not see each other's tasks due at once."""
    local = local or _local_time
    samples: list[tuple[float, float]] = []  # (round trip, offset)
    with translate_errors(engine.url), engine.connect() as conn:
        for _ in range(OFFSET_SAMPLES):
            before = local()
            server: datetime = conn.execute(_SERVER_TIME).scalar_one()
            trip = local() - before
            samples.append((trip.total_seconds(), (server - (before + trip / 2)).total_seconds()))
    return min(samples)[1]


def lock_codes_sql(codes: Sequence[str]) -> tuple[str, dict[str, object]]:
    """LOCK_CODES and its parameters for these codes."""
    return LOCK_CODES, {"namespace": ADVISORY_LOCK_NAMESPACE, "buckets": CODE_LOCK_BUCKETS,
                        "codes": list(codes)}


class PostgresConnections(SqlConnections):
    """A PostgreSQL database's connections: the registry's pool and the runners' (whose
    commits skip the disk wait), READ COMMITTED, and the server's clock."""

    def __init__(self, url: URL, *, clock: Clock | None = None, pool_size: int | None = None,
                 lease_seconds: float = Settings.lease_seconds) -> None:
        """`pool_size`: connections kept open per engine; give a worker its concurrency plus
        two, so that its threads do not open and close connections. `lease_seconds`: the
        runners' lease, from which the sessions' limits are derived (sessions.py)."""
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise ConfigError(
                "PostgreSQL needs the psycopg driver: pip install 'taskdesk[postgres]'"
            ) from None
        engine = _engine(url, pool_size, admin_session(lease_seconds))
        super().__init__(engine, clock=clock or ServerClock(engine))
        self.server_clock = clock is None  # the server dates what it writes (finish.py)
        self.lease_seconds = lease_seconds
        self.runner_writer = _engine(url, pool_size, runner_session(lease_seconds))
        self.runner_alone = self.runner_writer.execution_options(isolation_level="AUTOCOMMIT")
        self.adds = PostgresAdds(engine.dialect, lock_codes_sql, self.raw)
        self._notifier = self.runner_writer.execution_options(isolation_level="AUTOCOMMIT")
        _forget_pools_in_forked_children(self.engine, self.runner_writer)

    def lock_codes(self, conn: Connection, codes: Sequence[str]) -> None:
        conn.exec_driver_sql(*lock_codes_sql(codes))

    def lock_migrations(self, conn: Connection) -> None:
        """Concurrent `taskdesk init`s take turns: the first migrates, the others find the
        schema up to date (without this, two CREATE TABLEs of one name collide)."""
        conn.execute(_LOCK_MIGRATIONS, {"namespace": ADVISORY_LOCK_NAMESPACE,
                                        "key": MIGRATION_LOCK})

    def lock_log_totals(self, conn: Connection) -> None:
        conn.execute(_LOCK_MIGRATIONS, {"namespace": ADVISORY_LOCK_NAMESPACE,
                                        "key": LOG_TOTALS_LOCK})

    def clock_offset(self) -> float:
        return measure_offset(self.engine)

    def wake_address(self) -> ListenChannel:
        url = self.engine.url.set(drivername="postgresql")
        settings = tuple(listen_session(self.lease_seconds).items())
        return ListenChannel(url.render_as_string(hide_password=False), settings=settings)

    def announce_in(self, conn: Connection) -> None:
        """Delivered at commit, never for a rollback; one per transaction however many."""
        conn.execute(_NOTIFY)

    def announce_cancel_in(self, conn: Connection) -> None:
        """Delivered at commit to every listening runner, never for a rollback."""
        conn.execute(_NOTIFY_CANCEL)

    def commit_announcing(self, conn: Connection) -> bool:
        """The add's COMMIT, then its NOTIFY in a transaction of its own that does not wait
        for the disk, sent together (one round trip, as the NOTIFY inside the add was). A
        transaction that sent NOTIFY holds a server-wide lock from its commit until its
        commit record is flushed, so NOTIFY inside each add made concurrent adds wait for
        each other's disk flush; this one holds it only while it queues (a notification is
        never durable anyway). The driver then finds no transaction left to commit."""
        with _plain_cursor(conn.connection.dbapi_connection) as cursor:
            cursor.execute(_COMMIT_THEN_NOTIFY)
        return True

    def announce_after(self) -> None:
        """After a change's own commit (a status change, a retry), as commit_announcing
        notifies; inside an enclosing transaction announce_in has notified (at that
        commit)."""
        if self.bound is None:
            with translate_errors(self.engine.url), self._notifier.connect() as conn:
                conn.execute(_NOTIFY)

    def close(self) -> None:
        super().close()
        self.runner_writer.dispose()


def _plain_cursor(dbapi: Any) -> Any:
    """A tuple cursor on the driver's connection (whatever its row factory)."""
    import psycopg
    from psycopg.rows import tuple_row

    return psycopg.Cursor(dbapi, row_factory=tuple_row)


def _forget_pools_in_forked_children(*engines: Engine) -> None:
    """SQLAlchemy's advice for os.fork(): the child drops the pooled connections without
    closing them (they are the parent's) and opens its own. Weak references: a closed store
    is not kept alive by the process-wide hook."""
    refs = [weakref.ref(engine) for engine in engines]

    def in_child() -> None:
        for ref in refs:
            engine = ref()
            if engine is not None:
                engine.dispose(close=False)

    os.register_at_fork(after_in_child=in_child)


def _engine(url: URL, pool_size: int | None, session: dict[str, Any]) -> Engine:
    connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS, **session}
    return create_engine(url, pool_size=pool_size or POOL_SIZE, max_overflow=MAX_OVERFLOW,
                         isolation_level="READ COMMITTED", connect_args=connect_args)
