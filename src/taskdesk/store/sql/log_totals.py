"""The task log's counters in SQL: monotonic, and cheap to read however long the log is.

/metrics' counters (entries per status, the attempt-duration histogram) used to be counted
from the task log at each read: they fell whenever entries were pruned or cleared (Prometheus
reads a reset) and cost a full count of the log. Now the table `log_total` holds, by name,
the totals of every entry up to the task_log_id named by FOLDED_THROUGH; a read adds the
entries after it (a range of the primary key: the few since the last fold). Entries are
folded in on the pruning side, in the transaction that prunes (log.py, prune_log); an entry
deleted before any fold reached it (`log clear`, a retention shorter than the lag below) is
added to the totals from what its DELETE returns. So each entry is counted once and none is
lost. Folds are serialised (SqlConnections.lock_log_totals): two runners never fold one range.

On PostgreSQL ids are taken before commit, so an entry may become visible after an entry
with a higher id: a fold stops short of the entries of the last FOLD_LAG_SECONDS, which any
committed finish has left long since (an entry whose transaction stayed open longer than that
after it was written may be left uncounted; the counters still never fall).

What each entry adds, and how the totals read, is shared with the memory store
(store/log_totals.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, Select, bindparam, case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from taskdesk.store.log_totals import (
    DURATION_COUNT,
    DURATION_SUM,
    HOST_PREFIX,
    LOST_KIND,
    Totals,
    bucket_name,
    merged,
    row_totals,
)
from taskdesk.store.protocol import DURATION_BUCKETS, LEASE_LOST
from taskdesk.store.sql.schema import log_total, task_log

FOLDED_THROUGH = "log.folded_through"  # the last task_log_id counted into the totals
FOLD_CHUNK = 10_000  # entries (ids) folded per transaction at most
FOLD_LAG_SECONDS = 60.0  # PostgreSQL: entries younger than this are left to a later fold


def read_totals(conn: Connection) -> Totals:
    return {name: float(value) for name, value in conn.execute(select(log_total))}


def _ranged(query: Select[Any], *, bounded: bool) -> Select[Any]:
    query = query.where(task_log.c.task_log_id > bindparam("after", type_=BigInteger()))
    if bounded:
        query = query.where(task_log.c.task_log_id <= bindparam("upto", type_=BigInteger()))
    return query


_DURATION = task_log.c.duration
#: What an entry counts as (store/log_totals.py kind_of), in SQL.
KIND = case((task_log.c.comment.endswith(LEASE_LOST, autoescape=True), LOST_KIND),
            else_=task_log.c.status)
#: The counters' increments over a range of ids (after, upto], or after `after`: built once.
#: Grouped by runner too, for the counters per host (a range holds few runners).
_PER_KIND = {bounded: _ranged(select(KIND, task_log.c.worker_id, func.count())
                              .group_by(KIND, task_log.c.worker_id), bounded=bounded)
             for bounded in (False, True)}
_DURATIONS = {bounded: _ranged(select(
    *(func.coalesce(func.sum(case((bound >= _DURATION, 1), else_=0)), 0)
      for bound in DURATION_BUCKETS),
    func.coalesce(func.sum(_DURATION), 0.0), func.count(_DURATION),
).where(_DURATION.is_not(None)), bounded=bounded) for bounded in (False, True)}


def since_fold(conn: Connection, after: int, upto: int | None = None) -> Totals:
    """The counters' increments for the entries with ids in (after, upto]."""
    bounded = upto is not None
    params = {"after": after, "upto": upto} if bounded else {"after": after}
    found = merged(*(_times(row_totals([(kind, None, worker_id)]), n)
                     for kind, worker_id, n in conn.execute(_PER_KIND[bounded], params)))
    *buckets, total, count = conn.execute(_DURATIONS[bounded], params).one()
    found.update({bucket_name(bound): float(n) for bound, n in zip(DURATION_BUCKETS, buckets,
                                                                   strict=True)})
    found.update({DURATION_SUM: float(total), DURATION_COUNT: float(count)})
    return found


def current(conn: Connection) -> Totals:
    """Every counter now: the folded totals plus the entries after them (one snapshot: the
    caller reads both in one transaction)."""
    totals = read_totals(conn)
    recent = since_fold(conn, int(totals.get(FOLDED_THROUGH, 0)))
    return {name: totals.get(name, 0.0) + recent.get(name, 0.0)
            for name in {*totals, *recent} - {FOLDED_THROUGH}}


def fold(conn: Connection, *, before: datetime | None) -> int:
    """Count one chunk of unfolded entries into the totals, those written before `before`
    only (None: all); returns the last id folded. The caller holds the fold lock."""
    after = int(read_totals(conn).get(FOLDED_THROUGH, 0))
    upto = conn.execute(select(func.max(task_log.c.task_log_id))).scalar()
    if before is not None:
        first_young = conn.execute(select(func.min(task_log.c.task_log_id))
                                   .where(task_log.c.date_added >= before)).scalar()
        if first_young is not None:
            upto = min(upto or 0, first_young - 1)
    upto = min(upto or 0, after + FOLD_CHUNK)
    if upto <= after:
        return after
    add(conn, since_fold(conn, after, upto))
    _put(conn, FOLDED_THROUGH, float(upto))
    return upto


def fold_all(conn: Connection) -> int:
    """Fold every entry there is (the migration)."""
    folded = -1
    while (upto := fold(conn, before=None)) != folded:
        folded = upto
    return folded


def _times(totals: Totals, n: int) -> Totals:
    return {name: value * n for name, value in totals.items()}


def forget_host(conn: Connection, host: str) -> None:
    """Delete a forgotten host's counters (store/log_totals.py host_name)."""
    conn.execute(log_total.delete().where(
        log_total.c.name.startswith(f"{HOST_PREFIX}", autoescape=True),
        log_total.c.name.endswith(f":{host}", autoescape=True)))


def _insert(conn: Connection, values: Totals) -> object:
    dialect = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    return dialect(log_total).values([{"name": n, "value": v} for n, v in values.items()])


def add(conn: Connection, increments: Totals) -> None:
    """Add to the totals (a counter not stored yet starts at 0)."""
    if not increments:
        return
    statement = _insert(conn, increments)
    conn.execute(statement.on_conflict_do_update(  # type: ignore[attr-defined]
        index_elements=[log_total.c.name],
        set_={"value": log_total.c.value + statement.excluded.value}))  # type: ignore[attr-defined]


def _put(conn: Connection, name: str, value: float) -> None:
    statement = _insert(conn, {name: value})
    conn.execute(statement.on_conflict_do_update(  # type: ignore[attr-defined]
        index_elements=[log_total.c.name], set_={"value": statement.excluded.value}))  # type: ignore[attr-defined]
