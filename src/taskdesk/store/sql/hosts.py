"""Runners' registrations and the record of their hosts, over SQL (see models.runners
HostInfo for why a host's record outlives its runners' rows).

A runner's start upserts its host (seen now, not stopped); its clean stop deletes its row and,
when no other row of the host is left, marks the host stopped — the host's row is locked
first, so that two runners of one host stopping at once see each other's delete. Heartbeats
write the runner's row only. Recovery, as it forgets a dead runner's row, carries its last
heartbeat to the host's record (note_dead), and forgets hosts unseen for HOST_MEMORY_SECONDS
that have no runner row left (forget_old_hosts)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from taskdesk.models.runners import HOST_MEMORY_SECONDS, HostInfo, RunnerInfo, host_of
from taskdesk.store.sql import log_totals
from taskdesk.store.sql.connections import SqlVerbs
from taskdesk.store.sql.rows import runner_from_row, runner_row
from taskdesk.store.sql.schema import host, runner

#: Takes the log counters' lock in a transaction (SqlConnections.lock_log_totals).
Lock = Callable[[Connection], None]


def upsert_host(conn: Connection, hostname: str, now: datetime) -> None:
    """The host is seen now, running (a new host is first seen now)."""
    dialect = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = dialect(host).values(hostname=hostname, first_seen_at=now, last_seen_at=now,
                                     stopped_at=None)
    conn.execute(statement.on_conflict_do_update(
        index_elements=[host.c.hostname], set_={"last_seen_at": now, "stopped_at": None}))


def note_dead(conn: Connection, dead: Sequence[RunnerInfo]) -> None:
    """Runners whose rows recovery forgets: their hosts were last seen at their last beat."""
    for info in dead:
        conn.execute(update(host).where(host.c.hostname == info.hostname,
                                        host.c.last_seen_at < info.last_seen_at)
                     .values(last_seen_at=info.last_seen_at))


def forget_old_hosts(conn: Connection, now: datetime, lock: Lock) -> None:
    """Forget hosts unseen for HOST_MEMORY_SECONDS that no runner row is left on; `lock`
    takes the log counters' lock first, as a fold does (a fold and a forget then never
    lock one host's counters in two orders)."""
    before = now - timedelta(seconds=HOST_MEMORY_SECONDS)
    gone = conn.execute(
        select(host.c.hostname).where(
            host.c.last_seen_at < before,
            ~select(runner.c.runner_id).where(runner.c.hostname == host.c.hostname).exists())
    ).scalars().all()
    if gone:
        lock(conn)
    for hostname in gone:
        _forget(conn, hostname)


def _forget(conn: Connection, hostname: str) -> bool:
    log_totals.forget_host(conn, hostname)
    return bool(conn.execute(delete(host).where(host.c.hostname == hostname)).rowcount)


class SqlHostVerbs(SqlVerbs):
    def register_runner(self, info: RunnerInfo) -> None:
        with self.db.write() as conn:
            upsert_host(conn, info.hostname, info.last_seen_at)
            conn.execute(insert(runner).values(runner_row(info)))

    def unregister_runner(self, runner_id: str) -> None:
        now = self.db.clock()
        with self.db.write() as conn:
            hostname = conn.execute(select(runner.c.hostname)
                                    .where(runner.c.runner_id == runner_id)).scalar()
            hostname = hostname or host_of(runner_id)
            if hostname is not None:  # locks the host's row: stops of one host take turns
                conn.execute(update(host).where(host.c.hostname == hostname)
                             .values(last_seen_at=now))
            conn.execute(delete(runner).where(runner.c.runner_id == runner_id))
            if hostname is not None and not conn.execute(
                    select(func.count()).where(runner.c.hostname == hostname)).scalar():
                conn.execute(update(host).where(host.c.hostname == hostname)
                             .values(stopped_at=now))

    def runners(self) -> list[RunnerInfo]:
        with self.db.read() as conn:
            rows = conn.execute(select(runner).order_by(runner.c.started_at)).all()
        return [runner_from_row(row._mapping) for row in rows]

    def hosts(self) -> list[HostInfo]:
        with self.db.read() as conn:
            rows = conn.execute(select(host).order_by(host.c.hostname)).all()
        return [HostInfo(**row._mapping) for row in rows]

    def forget_host(self, hostname: str) -> bool:
        with self.db.write() as conn:
            self.db.lock_log_totals(conn)
            return _forget(conn, hostname)
