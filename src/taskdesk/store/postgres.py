"""PostgreSQL: many runners on many machines. Claims skip rows other runners have locked;
concurrent adds of one code are serialised by transaction-scoped advisory locks; runners'
commits do not wait for the disk (see SqlStore.runner_writer). A process forked from ours
(a handler's os.fork()) starts with empty pools, so that it never shares our connections."""

from __future__ import annotations

import os
import weakref
from collections.abc import Sequence

from sqlalchemy import URL, Connection, Engine, create_engine, text

from taskdesk.clock import Clock, utcnow
from taskdesk.errors import ConfigError
from taskdesk.store.sql import SqlStore

# The first key of our advisory locks, so they never collide with another application's.
ADVISORY_LOCK_NAMESPACE = 0x7A5D  # "taskdesk"
# Codes share this many locks: an add of 20,000 codes takes at most this many, never more
# than the server's lock table holds; two adds of one code always meet on the same lock.
CODE_LOCK_BUCKETS = 256
POOL_SIZE = 5
CONNECT_TIMEOUT_SECONDS = 10  # cron's `taskdesk start` must not hang on an unreachable server

_LOCK_CODES = text(
    "SELECT pg_advisory_xact_lock(:namespace, bucket) FROM "
    "(SELECT DISTINCT abs(hashtext(code) % :buckets) AS bucket "
    "FROM unnest(CAST(:codes AS text[])) AS code ORDER BY bucket) AS buckets"
)


def lock_codes_sql(codes: Sequence[str]) -> tuple[str, dict[str, object]]:
    """_LOCK_CODES for a plain psycopg cursor: the same locks, so both ways of adding meet."""
    sql = (_LOCK_CODES.text.replace("%", "%%").replace(":namespace", "%(namespace)s")
           .replace(":buckets", "%(buckets)s").replace(":codes", "%(codes)s"))
    return sql, {"namespace": ADVISORY_LOCK_NAMESPACE, "buckets": CODE_LOCK_BUCKETS,
                 "codes": list(codes)}


class PostgresStore(SqlStore):
    def __init__(self, url: URL, *, clock: Clock = utcnow) -> None:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise ConfigError(
                "PostgreSQL needs the psycopg driver: pip install 'taskdesk[postgres]'"
            ) from None
        timeout = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        super().__init__(create_engine(url, pool_size=POOL_SIZE, connect_args=timeout),
                         clock=clock)
        self.runner_writer = create_engine(
            url, pool_size=POOL_SIZE,
            connect_args={**timeout, "options": "-c synchronous_commit=off"},
        )
        _forget_pools_in_forked_children(self.engine, self.runner_writer)

    def lock_codes(self, conn: Connection, codes: Sequence[str]) -> None:
        conn.execute(_LOCK_CODES, {"namespace": ADVISORY_LOCK_NAMESPACE,
                                   "buckets": CODE_LOCK_BUCKETS, "codes": list(codes)})

    def close(self) -> None:
        super().close()
        self.runner_writer.dispose()


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
