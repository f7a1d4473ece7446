"""PostgreSQL: many runners on many machines. Claims skip rows other runners have locked;
concurrent adds of one code are serialised by a transaction-scoped advisory lock."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import URL, Connection, create_engine, text

from taskdesk.clock import Clock, utcnow
from taskdesk.errors import ConfigError
from taskdesk.store.sql import SqlStore

# The first key of our advisory locks, so they never collide with another application's.
ADVISORY_LOCK_NAMESPACE = 0x7A5D  # "taskdesk"
POOL_SIZE = 5

_LOCK_CODES = text(
    "SELECT pg_advisory_xact_lock(:namespace, key) FROM "
    "(SELECT DISTINCT hashtext(code) AS key FROM unnest(CAST(:codes AS text[])) AS code "
    "ORDER BY key) AS keys"
)


class PostgresStore(SqlStore):
    def __init__(self, url: URL, *, clock: Clock = utcnow) -> None:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise ConfigError(
                "PostgreSQL needs the psycopg driver: pip install 'taskdesk[postgres]'"
            ) from None
        engine = create_engine(url, pool_size=POOL_SIZE, pool_pre_ping=False)
        super().__init__(engine, clock=clock)

    def lock_codes(self, conn: Connection, codes: Sequence[str]) -> None:
        conn.execute(_LOCK_CODES, {"namespace": ADVISORY_LOCK_NAMESPACE, "codes": list(codes)})
